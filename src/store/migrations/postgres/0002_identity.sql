-- 0002: accounts, sessions, signing keys, API keys owned by users, consents,
-- password resets, the mail outbox and the append-only audit log.

CREATE TABLE users (
    id                  BIGINT PRIMARY KEY,
    email               TEXT UNIQUE,                 -- lower-cased; NULL once erased
    password_hash       TEXT,                        -- Argon2id (libsodium encoded string); NULL once erased
    name                TEXT NOT NULL DEFAULT '',
    phone               TEXT NOT NULL DEFAULT '',
    role                TEXT NOT NULL CHECK (role IN ('customer', 'vendor', 'inventory_manager', 'admin')),
    vendor_id           BIGINT REFERENCES vendors(id),
    status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'deleted')),
    totp_secret         TEXT,                        -- base32; set at enrolment, used once enabled
    totp_enabled        BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL,
    deleted_at          BIGINT
);

-- A session is a refresh-token family: every refresh rotates the token
-- inside the same session; reuse of a used token revokes the session.
CREATE TABLE sessions (
    id            BIGINT PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    revoked_at    BIGINT,
    revoke_reason TEXT,
    ip            TEXT NOT NULL DEFAULT '',
    user_agent    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id, created_at);

CREATE TABLE refresh_tokens (
    id         BIGINT PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions(id),
    hash       TEXT NOT NULL UNIQUE,                 -- hex BLAKE2b-256 of the token
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);

-- Ed25519 keys that sign access tokens. The newest unretired key signs;
-- retired keys still verify until retired_at + the access-token lifetime.
CREATE TABLE signing_keys (
    kid        TEXT PRIMARY KEY,
    public_key BYTEA NOT NULL,
    secret_key BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);

ALTER TABLE api_keys ADD COLUMN user_id BIGINT REFERENCES users(id);
ALTER TABLE api_keys ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN expires_at BIGINT;
ALTER TABLE api_keys ADD COLUMN revoked_at BIGINT;
CREATE INDEX api_keys_user ON api_keys(user_id);

CREATE TABLE recovery_codes (
    user_id BIGINT NOT NULL REFERENCES users(id),
    hash    TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, hash)
);

CREATE TABLE password_resets (
    id         BIGINT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    hash       TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

-- Consent history: one row per decision, never updated.
CREATE TABLE consents (
    id         BIGINT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL,                        -- 'marketing'
    granted    BIGINT NOT NULL,
    method     TEXT NOT NULL,                        -- 'registration', 'api', ...
    created_at BIGINT NOT NULL
);
CREATE INDEX consents_user ON consents(user_id, created_at);

CREATE TABLE mail_outbox (
    id              BIGINT PRIMARY KEY,
    user_id         BIGINT REFERENCES users(id),     -- recipient account, when there is one
    to_addr         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox(status, next_attempt_at);

-- Append-only, hash-chained: hash = BLAKE2b-256(prev_hash || canonical fields).
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,                 -- 1, 2, 3 ... in chain order
    id          BIGINT NOT NULL UNIQUE,
    at          BIGINT NOT NULL,
    actor_type  TEXT NOT NULL,                       -- 'user', 'api_key', 'anonymous', 'system'
    actor_id    BIGINT,
    action      TEXT NOT NULL,                       -- e.g. 'POST /api/v1/products', 'auth.refresh_reuse'
    object_type TEXT NOT NULL DEFAULT '',
    object_id   TEXT NOT NULL DEFAULT '',
    subject_user_id BIGINT,                         -- the account the entry is about, for exports
    request_id  TEXT NOT NULL DEFAULT '',
    result      BIGINT NOT NULL,                    -- HTTP status or 0
    details     TEXT NOT NULL DEFAULT '{}',          -- JSON, never PII
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log(actor_type, actor_id, seq);
CREATE INDEX audit_log_subject ON audit_log(subject_user_id, seq);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
