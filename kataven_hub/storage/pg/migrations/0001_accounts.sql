-- Every account in shared tables: each row carries its account, each key and index starts with it.
-- Timestamps are the API's fixed-width RFC3339 text (as in the SQLite files), compared as bytes.
CREATE TABLE accounts (
    account text PRIMARY KEY,
    clock_ahead double precision NOT NULL DEFAULT 0
);
CREATE TABLE account_limits (
    account text PRIMARY KEY REFERENCES accounts ON DELETE CASCADE,
    concurrent_max integer, calls_per_minute integer, daily_calls_max integer, daily_minutes_max integer,
    requests_per_minute integer, requests_per_hour integer, requests_per_day integer, requests_in_flight integer
);
-- the accounts the dispatchers visit, each leased by one replica at a time (no index on the lease:
-- renewals stay HOT updates)
CREATE TABLE account_work (
    account text PRIMARY KEY,
    lease_until timestamptz NOT NULL DEFAULT '-infinity',
    leased_by text
) WITH (fillfactor = 50);
CREATE TABLE campaigns (
    account text NOT NULL,
    id text NOT NULL,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    name text NOT NULL,
    agent_id text NOT NULL,
    phone_number_id text NOT NULL,
    max_concurrent_calls integer,
    retries_per_contact integer,
    retry_delay_seconds integer,
    scheduled_at text COLLATE "C",
    started_at text COLLATE "C",
    completed_at text COLLATE "C",
    created_at text COLLATE "C" NOT NULL,
    created_by text NOT NULL,
    status text NOT NULL,
    contacts_total integer,
    first_contact_id bigint,
    custom_field_names text NOT NULL DEFAULT '[]',
    PRIMARY KEY (account, id)
);
CREATE INDEX campaigns_by_status ON campaigns (account, status);
CREATE TABLE contacts (
    account text NOT NULL,
    id bigint NOT NULL,
    campaign_id text NOT NULL,
    phone_number text NOT NULL,
    custom_fields text NOT NULL,
    status text NOT NULL,
    attempts integer NOT NULL,
    last_attempt_at text COLLATE "C",
    next_attempt_at text COLLATE "C",
    last_outcome text,
    session_id text,
    created_at text COLLATE "C",
    PRIMARY KEY (account, id)
);
CREATE INDEX contacts_by_status ON contacts (account, campaign_id, status, id);
CREATE TABLE calls (
    account text NOT NULL,
    id bigint GENERATED ALWAYS AS IDENTITY,
    campaign_id text NOT NULL,
    contact_id bigint NOT NULL,
    session_id text NOT NULL UNIQUE,
    node_id text,
    placed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    started_at text COLLATE "C" NOT NULL,
    ended_at text COLLATE "C",
    outcome text,
    duration_seconds double precision,
    PRIMARY KEY (account, id)
);
CREATE INDEX calls_by_start ON calls (account, started_at);
CREATE INDEX calls_by_campaign ON calls (account, campaign_id);
-- PostgreSQL itself forbids two open attempts on one contact
CREATE UNIQUE INDEX calls_one_open_per_contact ON calls (account, contact_id) WHERE ended_at IS NULL;
CREATE TABLE mock_resources (
    account text NOT NULL,
    collection text NOT NULL,
    id text NOT NULL,
    seq bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (account, collection, id)
);
CREATE INDEX mock_resources_in_order ON mock_resources (account, collection, seq);
CREATE TABLE idempotency_keys (
    account text NOT NULL,
    key text NOT NULL,
    fingerprint text NOT NULL,
    answer text NOT NULL,
    created_at text COLLATE "C" NOT NULL,
    PRIMARY KEY (account, key)
);
CREATE TABLE api_keys (
    id text PRIMARY KEY,
    account text NOT NULL,
    name text,
    hash text NOT NULL UNIQUE,
    hint text NOT NULL,
    created_at text COLLATE "C" NOT NULL,
    revoked_at text COLLATE "C"
);
-- the replicas, each beating every second: a replica silent for longer than the node TTL is dead
CREATE TABLE nodes (
    id text PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);
-- the simulated carrier's own record of every call it placed (PostgreSQL mode): any replica can
-- settle any call, and the tests check the hub against it
CREATE TABLE sim_calls (
    session_id text PRIMARY KEY,
    account text NOT NULL,
    campaign_id text NOT NULL,
    contact_id bigint NOT NULL,
    attempt integer NOT NULL,
    node_id text,
    dialled_at text COLLATE "C" NOT NULL,
    ends_at text COLLATE "C" NOT NULL,
    outcome text NOT NULL,
    duration_seconds double precision NOT NULL,
    UNIQUE (account, campaign_id, contact_id, attempt)
);
