-- 0001: platform bookkeeping and the catalog.
-- Times are integer microseconds since the Unix epoch (UTC); money is integer
-- minor units with an ISO 4217 code; ids are souk's 64-bit time-ordered ids.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Bootstrap admin API keys (stored as a hash; the key is shown once).
CREATE TABLE api_keys (
    id           BIGINT PRIMARY KEY,
    prefix       TEXT NOT NULL,             -- first characters, to tell keys apart in listings
    hash         TEXT NOT NULL UNIQUE,      -- hex BLAKE2b-256 of the whole key
    scopes       TEXT NOT NULL,             -- space-separated permissions, '*' = all
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);

CREATE TABLE vendors (
    id         BIGINT PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE brands (
    id         BIGINT PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE categories (
    id         BIGINT PRIMARY KEY,
    parent_id  BIGINT REFERENCES categories(id),
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    position   BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX categories_parent ON categories(parent_id);

CREATE TABLE products (
    id           BIGINT PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('draft', 'active', 'archived')),
    brand_id     BIGINT REFERENCES brands(id),
    vendor_id    BIGINT REFERENCES vendors(id),
    category_id  BIGINT REFERENCES categories(id),
    external_ref TEXT UNIQUE,                -- e.g. 'online-retail:85123A' for idempotent imports
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX products_status_id ON products(status, id);
CREATE INDEX products_status_title ON products(status, title, id);
CREATE INDEX products_category ON products(category_id, status);
CREATE INDEX products_brand ON products(brand_id, status);
CREATE INDEX products_vendor ON products(vendor_id, status);

CREATE TABLE product_attributes (
    product_id BIGINT NOT NULL REFERENCES products(id),
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (product_id, name)
);
CREATE INDEX product_attributes_lookup ON product_attributes(name, value, product_id);

CREATE TABLE product_images (
    id         BIGINT PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products(id),
    url        TEXT NOT NULL,
    alt        TEXT NOT NULL DEFAULT '',
    width      BIGINT,
    height     BIGINT,
    position   BIGINT NOT NULL
);
CREATE INDEX product_images_product ON product_images(product_id, position);

CREATE TABLE variants (
    id         BIGINT PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products(id),
    sku        TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL DEFAULT '',
    options    TEXT NOT NULL DEFAULT '{}',   -- JSON object of option name -> value
    status     TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    position   BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX variants_product ON variants(product_id, position);

CREATE TABLE variant_prices (
    variant_id BIGINT NOT NULL REFERENCES variants(id),
    currency   TEXT NOT NULL,
    amount     BIGINT NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (variant_id, currency)
);

-- Derived: the lowest active-variant price per product and currency, kept by
-- the catalog in the same transaction as every price or variant change. It
-- serves price filters and price sorting without a GROUP BY per request.
CREATE TABLE product_prices (
    product_id BIGINT NOT NULL REFERENCES products(id),
    currency   TEXT NOT NULL,
    min_amount BIGINT NOT NULL,
    PRIMARY KEY (product_id, currency)
);
CREATE INDEX product_prices_sort ON product_prices(currency, min_amount, product_id);
