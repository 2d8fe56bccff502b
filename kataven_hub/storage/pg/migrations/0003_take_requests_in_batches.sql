-- `--rate-limits` under load: the requests a replica has waiting are taken in one round trip.
-- `hub_take_requests` takes them in order, each in one statement where 0002's function took
-- eight: every current counter of its windows incremented at once (an upsert, which locks each
-- row), then each window checked with the request counted; a refused request's increments are taken
-- back before the transaction ends, so no one ever sees them. The windows of request j are
-- elements j * windows + 1 .. (j + 1) * windows of each array. Callers send the requests in the
-- order of their accounts, so that two batches lock the counters in one order (no deadlock).
-- The answer is each request's 0 (counted) or the number of its first window without room.
-- 0002's `hub_take_request` stays, for replicas not yet upgraded.
CREATE FUNCTION hub_take_requests(prev text[], cur text[], weight float8[], lim integer[], expires float8[],
                                  windows integer, at float8)
RETURNS integer[] LANGUAGE plpgsql AS $$
DECLARE
    answers integer[] := '{}';
    first integer;
    last integer;
    refused integer;
BEGIN
    FOR j IN 0 .. coalesce(array_length(cur, 1), 0) / windows - 1 LOOP
        first := j * windows + 1;
        last := first + windows - 1;
        WITH counted AS (
            INSERT INTO rate_counters AS r (key, n, expires_at)
            SELECT k, 1, e FROM unnest(cur[first:last], expires[first:last]) AS t(k, e)
            ON CONFLICT (key) DO UPDATE SET n = r.n + 1 RETURNING r.key, r.n
        )
        SELECT min(t.i) INTO refused
        FROM unnest(prev[first:last], cur[first:last], weight[first:last], lim[first:last])
            WITH ORDINALITY AS t(p, c, w, l, i)
        JOIN counted ON counted.key = t.c
        LEFT JOIN rate_counters before ON before.key = t.p AND before.expires_at > at
        WHERE floor(coalesce(before.n, 0) * t.w + counted.n - 1) + 1 > t.l;
        IF refused IS NOT NULL THEN
            UPDATE rate_counters SET n = n - 1 WHERE key = ANY(cur[first:last]);
        END IF;
        answers := answers || coalesce(refused, 0);
    END LOOP;
    RETURN answers;
END
$$;
