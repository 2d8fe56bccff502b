-- `--rate-limits` across replicas: the `limits` library's sliding-window counters (two per window
-- and account), and what each replica has in flight per account. UNLOGGED: counters need no crash
-- safety (a crash of the database forgets them, as a restart of one process forgets its own).
CREATE UNLOGGED TABLE rate_counters (
    key text PRIMARY KEY,
    n bigint NOT NULL,
    expires_at double precision NOT NULL
);
CREATE UNLOGGED TABLE requests_in_flight (
    node text NOT NULL,
    account text NOT NULL,
    n integer NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (node, account)
);
-- Take one request in every window of an account at once, or none: the number (1-based) of the
-- first window without room, or 0 when the request was counted in all. The current counters are
-- locked (in the callers' one order of windows) while the weighted counts are checked, so
-- replicas racing at a limit cannot both pass.
CREATE FUNCTION hub_take_request(prev text[], cur text[], weight float8[], lim integer[], expires float8[], at float8)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    i integer;
    this bigint;
    before bigint;
BEGIN
    INSERT INTO rate_counters (key, n, expires_at) SELECT k, 0, e FROM unnest(cur, expires) AS t(k, e)
        ON CONFLICT (key) DO NOTHING;
    FOR i IN 1 .. array_length(cur, 1) LOOP
        SELECT n INTO this FROM rate_counters WHERE key = cur[i] FOR UPDATE;
        SELECT coalesce((SELECT n FROM rate_counters WHERE key = prev[i] AND expires_at > at), 0) INTO before;
        IF floor(before * weight[i] + this) + 1 > lim[i] THEN
            RETURN i;
        END IF;
    END LOOP;
    UPDATE rate_counters SET n = n + 1 WHERE key = ANY(cur);
    RETURN 0;
END
$$;
