-- Arbiter's first schema, PostgreSQL. Same tables and meaning as schema/sqlite/0001_initial.sql.
-- Times are Unix milliseconds (BIGINT) on both backends, so stores compare and copy them as is.

CREATE TABLE jobs (
    id                  TEXT PRIMARY KEY,
    type                TEXT NOT NULL,
    payload             JSONB NOT NULL,
    priority            INTEGER NOT NULL DEFAULT 0,
    state               TEXT NOT NULL CHECK (state IN ('scheduled', 'queued', 'running', 'succeeded', 'dead', 'cancelled')),
    run_at              BIGINT NOT NULL,
    attempt             INTEGER NOT NULL DEFAULT 0,
    max_attempts        INTEGER NOT NULL CHECK (max_attempts >= 1),
    backoff_initial_ms  BIGINT NOT NULL,
    backoff_max_ms      BIGINT NOT NULL,
    timeout_ms          BIGINT NOT NULL,
    idempotency_key     TEXT,
    request_hash        TEXT,
    user_id             TEXT,
    consent_scope       TEXT,
    tags                TEXT[] NOT NULL DEFAULT '{}',
    result              JSONB,
    last_error          TEXT,
    cancel_reason       TEXT,
    lease_worker_id     TEXT,
    lease_token         BIGINT,
    lease_expires_at    BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    queued_at           BIGINT,
    started_at          BIGINT,
    finished_at         BIGINT
);
CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
-- Dispatch with FOR UPDATE SKIP LOCKED: the highest priority first, FIFO within a priority.
CREATE INDEX jobs_dispatch ON jobs (type, priority DESC, run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_due ON jobs (run_at) WHERE state = 'scheduled';
CREATE INDEX jobs_lease_expiry ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_user ON jobs (user_id, consent_scope, state) WHERE user_id IS NOT NULL;
CREATE INDEX jobs_listing ON jobs (created_at, id);
CREATE INDEX jobs_state_type ON jobs (state, type);
CREATE INDEX jobs_tags ON jobs USING GIN (tags);

CREATE TABLE job_attempts (
    job_id       TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt      INTEGER NOT NULL,
    worker_id    TEXT NOT NULL,
    lease_token  BIGINT NOT NULL,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT,
    outcome      TEXT CHECK (outcome IN ('succeeded', 'failed', 'lease_expired', 'cancelled')),
    error        TEXT,
    PRIMARY KEY (job_id, attempt)
);

CREATE TABLE job_type_state (
    type        TEXT PRIMARY KEY,
    paused      BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE workers (
    id                 TEXT PRIMARY KEY,
    capabilities       TEXT[] NOT NULL,
    concurrency        INTEGER NOT NULL CHECK (concurrency >= 1),
    labels             JSONB NOT NULL DEFAULT '{}',
    state              TEXT NOT NULL CHECK (state IN ('idle', 'busy', 'draining', 'offline')),
    registered_at      BIGINT NOT NULL,
    last_heartbeat_at  BIGINT NOT NULL
);
CREATE INDEX workers_heartbeat ON workers (state, last_heartbeat_at);

CREATE TABLE audit_logs (
    seq           BIGINT PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    subject_type  TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    details       JSONB NOT NULL DEFAULT '{}',
    prev_hash     BYTEA NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash          BYTEA NOT NULL UNIQUE CHECK (octet_length(hash) = 32)
);
CREATE INDEX audit_logs_actor ON audit_logs (actor, seq);
CREATE INDEX audit_logs_action ON audit_logs (action, seq);
CREATE INDEX audit_logs_subject ON audit_logs (subject_type, subject_id, seq);
CREATE INDEX audit_logs_at ON audit_logs (at);

CREATE TABLE user_consents (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,
    scope           TEXT NOT NULL,
    granted_at      BIGINT NOT NULL,
    expires_at      BIGINT,
    revoked_at      BIGINT,
    recorded_by     TEXT NOT NULL,
    policy_version  TEXT NOT NULL,
    source          TEXT NOT NULL
);
CREATE INDEX user_consents_lookup ON user_consents (user_id, scope, granted_at);
CREATE INDEX user_consents_expiry ON user_consents (expires_at) WHERE expires_at IS NOT NULL AND revoked_at IS NULL;

CREATE TABLE credentials (
    user_id     TEXT NOT NULL,
    scope       TEXT NOT NULL,
    key_id      TEXT NOT NULL,
    nonce       BYTEA NOT NULL,
    ciphertext  BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, scope)
);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    token_hash    BYTEA NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'submitter', 'worker', 'viewer')),
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
