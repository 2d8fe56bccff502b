-- `--rate-limits` under load, again: the requests of one account waiting together on a replica are
-- taken by one upsert, not one each. `hub_take_groups` takes groups of requests (one account's,
-- alike in their windows) in order: each window's current counter is incremented by the group's
-- size k at once (the upsert locks each row), then each window's room is what its limit leaves
-- before the group (limit - floor(previous count * weight) - current count before it). The group's
-- first P requests are counted, P = the smallest room, between 0 and k; the other k - P are taken
-- back before the transaction ends, so no one ever sees them. The windows of group g are elements
-- g * windows + 1 .. (g + 1) * windows of each array. Callers send the groups in the order of
-- their accounts (no deadlock). The answer is every group's rooms, window by window, from which
-- request i of a group is counted if i <= P; a later one is refused in the first window whose room
-- is <= P, as it would find the counters with the first P counted (0003's answer, request by request).
-- 0003's `hub_take_requests` stays, for replicas not yet upgraded.
CREATE FUNCTION hub_take_groups(prev text[], cur text[], weight float8[], lim integer[], expires float8[],
                                windows integer, sizes integer[], at float8)
RETURNS integer[] LANGUAGE plpgsql AS $$
DECLARE
    rooms integer[] := '{}';
    found integer[];
    first integer;
    last integer;
    size integer;
    passed integer;
BEGIN
    FOR g IN 1 .. coalesce(array_length(sizes, 1), 0) LOOP
        size := sizes[g];
        first := (g - 1) * windows + 1;
        last := first + windows - 1;
        WITH counted AS (
            INSERT INTO rate_counters AS r (key, n, expires_at)
            SELECT c, size, e FROM unnest(cur[first:last], expires[first:last]) AS t(c, e)
            ON CONFLICT (key) DO UPDATE SET n = r.n + excluded.n RETURNING r.key, r.n
        )
        SELECT array_agg(t.l - floor(coalesce(before.n, 0) * t.w)::integer - (counted.n - size) ORDER BY t.i) INTO found
        FROM unnest(prev[first:last], cur[first:last], weight[first:last], lim[first:last])
            WITH ORDINALITY AS t(p, c, w, l, i)
        JOIN counted ON counted.key = t.c
        LEFT JOIN rate_counters before ON before.key = t.p AND before.expires_at > at;
        passed := greatest(0, least(size, (SELECT min(x) FROM unnest(found) AS x)));
        IF passed < size THEN
            UPDATE rate_counters SET n = n - (size - passed) WHERE key = ANY(cur[first:last]);
        END IF;
        rooms := rooms || found;
    END LOOP;
    RETURN rooms;
END
$$;
