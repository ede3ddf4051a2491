-- Arbiter's first schema, SQLite. Times are Unix milliseconds (INTEGER); JSON is TEXT.

CREATE TABLE jobs (
    id                  TEXT PRIMARY KEY,              -- UUIDv7: sorts by creation time
    type                TEXT NOT NULL,
    payload             TEXT NOT NULL,                 -- JSON
    priority            INTEGER NOT NULL DEFAULT 0,    -- higher runs first
    state               TEXT NOT NULL CHECK (state IN ('scheduled', 'queued', 'running', 'succeeded', 'dead', 'cancelled')),
    run_at              INTEGER NOT NULL,
    attempt             INTEGER NOT NULL DEFAULT 0,
    max_attempts        INTEGER NOT NULL CHECK (max_attempts >= 1),
    backoff_initial_ms  INTEGER NOT NULL,
    backoff_max_ms      INTEGER NOT NULL,
    timeout_ms          INTEGER NOT NULL,
    idempotency_key     TEXT,
    request_hash        TEXT,                          -- SHA-256 of the submission, for idempotency conflicts
    user_id             TEXT,
    consent_scope       TEXT,
    tags                TEXT NOT NULL DEFAULT '[]',    -- JSON array of strings
    result              TEXT,                          -- JSON
    last_error          TEXT,
    cancel_reason       TEXT,
    lease_worker_id     TEXT,
    lease_token         INTEGER,                       -- fencing token: grows with every lease
    lease_expires_at    INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    queued_at           INTEGER,
    started_at          INTEGER,
    finished_at         INTEGER
);
CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
-- Dispatch: the highest priority first, FIFO within a priority.
CREATE INDEX jobs_dispatch ON jobs (type, priority DESC, run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_due ON jobs (run_at) WHERE state = 'scheduled';
CREATE INDEX jobs_lease_expiry ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_user ON jobs (user_id, consent_scope, state) WHERE user_id IS NOT NULL;
CREATE INDEX jobs_listing ON jobs (created_at, id);
CREATE INDEX jobs_state_type ON jobs (state, type);

CREATE TABLE job_attempts (
    job_id       TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt      INTEGER NOT NULL,
    worker_id    TEXT NOT NULL,
    lease_token  INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    outcome      TEXT CHECK (outcome IN ('succeeded', 'failed', 'lease_expired', 'cancelled')),
    error        TEXT,
    PRIMARY KEY (job_id, attempt)
);

CREATE TABLE job_type_state (
    type        TEXT PRIMARY KEY,
    paused      INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    updated_at  INTEGER NOT NULL
);

CREATE TABLE workers (
    id                 TEXT PRIMARY KEY,
    capabilities       TEXT NOT NULL,                  -- JSON array of job types
    concurrency        INTEGER NOT NULL CHECK (concurrency >= 1),
    labels             TEXT NOT NULL DEFAULT '{}',     -- JSON object
    state              TEXT NOT NULL CHECK (state IN ('idle', 'busy', 'draining', 'offline')),
    registered_at      INTEGER NOT NULL,
    last_heartbeat_at  INTEGER NOT NULL
);
CREATE INDEX workers_heartbeat ON workers (state, last_heartbeat_at);

CREATE TABLE audit_logs (
    seq           INTEGER PRIMARY KEY,                 -- the chain's order
    at            INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    subject_type  TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    details       TEXT NOT NULL DEFAULT '{}',          -- JSON
    prev_hash     BLOB NOT NULL,                       -- 32 bytes; zeros for the first entry
    hash          BLOB NOT NULL UNIQUE                 -- SHA-256(prev_hash || canonical entry)
);
CREATE INDEX audit_logs_actor ON audit_logs (actor, seq);
CREATE INDEX audit_logs_action ON audit_logs (action, seq);
CREATE INDEX audit_logs_subject ON audit_logs (subject_type, subject_id, seq);
CREATE INDEX audit_logs_at ON audit_logs (at);

CREATE TABLE user_consents (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,
    scope           TEXT NOT NULL,
    granted_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    revoked_at      INTEGER,
    recorded_by     TEXT NOT NULL,
    policy_version  TEXT NOT NULL,
    source          TEXT NOT NULL
);
CREATE INDEX user_consents_lookup ON user_consents (user_id, scope, granted_at);
CREATE INDEX user_consents_expiry ON user_consents (expires_at) WHERE expires_at IS NOT NULL AND revoked_at IS NULL;

CREATE TABLE credentials (
    user_id     TEXT NOT NULL,
    scope       TEXT NOT NULL,
    key_id      TEXT NOT NULL,                         -- which encryption key sealed it
    nonce       BLOB NOT NULL,
    ciphertext  BLOB NOT NULL,                         -- AES-256-GCM, tag included
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, scope)
);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    token_hash    BLOB NOT NULL UNIQUE,                -- SHA-256 of the token; the token is never stored
    role          TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'submitter', 'worker', 'viewer')),
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
