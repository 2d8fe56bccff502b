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
