-- Access control, consent and the audit log as the daemon writes them.

-- The audit log, rebuilt before anything writes to it. `seq` (the primary key) alone keeps the chain
-- single, so the hash needs no unique index (its random keys made every entry dirty a page of its
-- own). Every index is paid for by every change, so there is one: a subject's history (a job's, a
-- worker's, a consent's). Filters by actor, action or time walk the log in `seq` order.
DROP TABLE audit_logs;
CREATE TABLE audit_logs (
    seq           BIGINT PRIMARY KEY ,                  -- the chain's order
    at            BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    subject_type  TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    details       TEXT NOT NULL DEFAULT '{}',          -- JSON text exactly as hashed
    prev_hash     BYTEA NOT NULL CHECK (octet_length(prev_hash) = 32),                       -- zeros for the first entry
    hash          BYTEA NOT NULL CHECK (octet_length(hash) = 32)                       -- SHA-256(prev_hash || canonical entry)
);
CREATE INDEX audit_logs_subject ON audit_logs (subject_type, subject_id, seq);

-- A worker token acts only as one worker id.
ALTER TABLE api_tokens ADD COLUMN worker_id TEXT;

-- When the clock handled a consent's expiry (its jobs cancelled, its credential deleted); NULL until then.
ALTER TABLE user_consents ADD COLUMN expiry_handled_at BIGINT;

-- A user's jobs in a scope, for revocation. Without `state`, a job's state changes leave this index alone.
DROP INDEX jobs_user;
CREATE INDEX jobs_user ON jobs (user_id, consent_scope) WHERE user_id IS NOT NULL;
