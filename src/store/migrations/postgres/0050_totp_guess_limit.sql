-- 0050: a per-account limit on wrong TOTP codes (docs/auth.md). Wrong codes
-- sent with the right password are counted from the first of them; the fifth
-- within 15 minutes locks two-factor checks of the account for an hour
-- (recovery codes still work). Kept here rather than in memory, so the lock
-- holds across restarts and for every process sharing the database.
ALTER TABLE users ADD COLUMN totp_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_failures_since BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_locked_until BIGINT NOT NULL DEFAULT 0;
