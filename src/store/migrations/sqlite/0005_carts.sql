-- 0005: carts, and the store's pricing configuration: tax rates per region,
-- shipping methods, coupons.

CREATE TABLE carts (
    id                 INTEGER PRIMARY KEY,
    token_hash         TEXT UNIQUE,                  -- guest carts: BLAKE2b-256 of the cart token
    user_id            INTEGER UNIQUE REFERENCES users(id), -- customer carts: one per user
    currency           TEXT NOT NULL,
    region             TEXT,                         -- tax region, e.g. 'GB' or 'US-CA'
    shipping_method_id INTEGER REFERENCES shipping_methods(id),
    coupon_id          INTEGER REFERENCES coupons(id),
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,             -- 7 days after the last change
    CHECK (token_hash IS NOT NULL OR user_id IS NOT NULL)
);
CREATE INDEX carts_expiry ON carts(expires_at);

CREATE TABLE cart_lines (
    cart_id    INTEGER NOT NULL REFERENCES carts(id) ON DELETE CASCADE,
    variant_id INTEGER NOT NULL REFERENCES variants(id),
    quantity   INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (cart_id, variant_id)
) WITHOUT ROWID;

CREATE TABLE tax_rates (
    region             TEXT PRIMARY KEY,
    name               TEXT NOT NULL DEFAULT '',
    rate_bp            INTEGER NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000), -- 2000 = 20 %
    prices_include_tax INTEGER NOT NULL DEFAULT 0,
    updated_at         INTEGER NOT NULL
);

CREATE TABLE shipping_methods (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    currency    TEXT NOT NULL,
    amount      INTEGER NOT NULL CHECK (amount >= 0),
    free_above  INTEGER CHECK (free_above IS NULL OR free_above >= 0),
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE coupons (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,              -- upper case
    kind         TEXT NOT NULL CHECK (kind IN ('percent', 'fixed')),
    value        INTEGER NOT NULL CHECK (value > 0), -- basis points or minor units
    currency     TEXT,                               -- fixed coupons only
    min_subtotal INTEGER NOT NULL DEFAULT 0,
    starts_at    INTEGER,
    expires_at   INTEGER,
    usage_limit  INTEGER,                            -- NULL = unlimited
    used_count   INTEGER NOT NULL DEFAULT 0,
    active       INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
