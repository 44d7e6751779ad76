-- 0005: carts, and the store's pricing configuration: tax rates per region,
-- shipping methods, coupons.

CREATE TABLE tax_rates (
    region             TEXT PRIMARY KEY,
    name               TEXT NOT NULL DEFAULT '',
    rate_bp            BIGINT NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000), -- 2000 = 20 %
    prices_include_tax BIGINT NOT NULL DEFAULT 0,
    updated_at         BIGINT NOT NULL
);

CREATE TABLE shipping_methods (
    id          BIGINT PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    currency    TEXT NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount >= 0),
    free_above  BIGINT CHECK (free_above IS NULL OR free_above >= 0),
    active      BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE coupons (
    id           BIGINT PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,              -- upper case
    kind         TEXT NOT NULL CHECK (kind IN ('percent', 'fixed')),
    value        BIGINT NOT NULL CHECK (value > 0), -- basis points or minor units
    currency     TEXT,                               -- fixed coupons only
    min_subtotal BIGINT NOT NULL DEFAULT 0,
    starts_at    BIGINT,
    expires_at   BIGINT,
    usage_limit  BIGINT,                            -- NULL = unlimited
    used_count   BIGINT NOT NULL DEFAULT 0,
    active       BIGINT NOT NULL DEFAULT 1,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

-- PostgreSQL checks a foreign key's table exists when it is declared: carts come after what they name
CREATE TABLE carts (
    id                 BIGINT PRIMARY KEY,
    token_hash         TEXT UNIQUE,                  -- guest carts: BLAKE2b-256 of the cart token
    user_id            BIGINT UNIQUE REFERENCES users(id), -- customer carts: one per user
    currency           TEXT NOT NULL,
    region             TEXT,                         -- tax region, e.g. 'GB' or 'US-CA'
    shipping_method_id BIGINT REFERENCES shipping_methods(id),
    coupon_id          BIGINT REFERENCES coupons(id),
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,             -- 7 days after the last change
    CHECK (token_hash IS NOT NULL OR user_id IS NOT NULL)
);
CREATE INDEX carts_expiry ON carts(expires_at);

CREATE TABLE cart_lines (
    cart_id    BIGINT NOT NULL REFERENCES carts(id) ON DELETE CASCADE,
    variant_id BIGINT NOT NULL REFERENCES variants(id),
    quantity   BIGINT NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    added_at   BIGINT NOT NULL,
    PRIMARY KEY (cart_id, variant_id)
);
