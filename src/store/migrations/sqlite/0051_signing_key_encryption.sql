-- 0051: the private halves of the token-signing keys are stored encrypted
-- (docs/auth.md "Signing keys at rest"). secret_key then holds nonce ||
-- XChaCha20-Poly1305 ciphertext || tag, and kek_id names the key-encryption
-- key that sealed it; '' marks a key stored in the clear by an older souk,
-- which souk encrypts at its next start (a data migration done in C, since
-- the key comes from outside the database).
ALTER TABLE signing_keys ADD COLUMN kek_id TEXT NOT NULL DEFAULT '';
