-- A TOTP code is accepted once: the time step of the last code used is kept,
-- and only a later step is accepted after it (RFC 6238 section 5.2).
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
