-- 0140: the customer's address book (docs/auth.md "Addresses"). At most 20
-- an account (checked by identity); at most one is the default shipping
-- address (a partial unique index). Deleted, not anonymised, when the
-- account is erased.
CREATE TABLE addresses (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users(id),
    label            TEXT NOT NULL DEFAULT '',   -- "Home", "Work": the customer's own name for it
    name             TEXT NOT NULL,
    line1            TEXT NOT NULL,
    line2            TEXT NOT NULL DEFAULT '',
    city             TEXT NOT NULL,
    postal_code      TEXT NOT NULL,
    region           TEXT NOT NULL DEFAULT '',
    country          TEXT NOT NULL,              -- ISO 3166-1 alpha-2, upper case
    default_shipping INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX addresses_user ON addresses(user_id, id);
CREATE UNIQUE INDEX addresses_one_default ON addresses(user_id) WHERE default_shipping = 1;
