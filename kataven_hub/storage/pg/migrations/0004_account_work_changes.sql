-- Each time an account is given work or new limits (`mark_work`), `changes` counts it: a replica
-- that leaves a quiet account alone until its next call ends sees that something else happened.
ALTER TABLE account_work ADD COLUMN changes bigint NOT NULL DEFAULT 0;
