-- A worker token acts only as one worker id.
ALTER TABLE api_tokens ADD COLUMN worker_id TEXT;
-- Consent in force for a user and scope: the newest grant that is neither revoked nor expired.
CREATE INDEX user_consents_active ON user_consents (user_id, scope) WHERE revoked_at IS NULL;
-- When the clock handled a consent's expiry (its jobs cancelled, its credential deleted); NULL until then.
ALTER TABLE user_consents ADD COLUMN expiry_handled_at BIGINT;
