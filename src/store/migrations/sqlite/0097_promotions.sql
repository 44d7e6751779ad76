-- 0097: promotions (issue 15), owned by the cart context beside its legacy
-- coupons. A promotion applies by itself (or while one of its codes is on the
-- cart); its rules are in docs/promotions.md, the design in
-- docs/internals/promotions.md. Product sets are JSON arrays of ids.
CREATE TABLE promotions (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('percent', 'fixed', 'buy_x_get_y', 'tiered', 'free_shipping')),
    target_kind        TEXT NOT NULL DEFAULT 'all',
    target_ids         TEXT NOT NULL DEFAULT '[]',
    buy_kind           TEXT NOT NULL DEFAULT 'all',
    buy_ids            TEXT NOT NULL DEFAULT '[]',
    value              INTEGER NOT NULL DEFAULT 0 CHECK (value >= 0),
    buy_qty            INTEGER NOT NULL DEFAULT 0,
    get_qty            INTEGER NOT NULL DEFAULT 0,
    tiers              TEXT NOT NULL DEFAULT '[]',      -- [{"min": minor units, "rate_bp": bp}], ascending
    min_subtotal       INTEGER NOT NULL DEFAULT 0,
    currency           TEXT,                            -- NULL: any currency
    starts_at          INTEGER,                         -- µs; NULL: open
    ends_at            INTEGER,
    exclusive          INTEGER NOT NULL DEFAULT 0,
    priority           INTEGER NOT NULL DEFAULT 0,
    needs_code         INTEGER NOT NULL DEFAULT 0,
    flash              INTEGER NOT NULL DEFAULT 0,
    active             INTEGER NOT NULL DEFAULT 1,
    usage_limit        INTEGER,                         -- orders in all; NULL: no limit
    per_customer_limit INTEGER,                         -- orders per customer; NULL: no limit
    used_count         INTEGER NOT NULL DEFAULT 0 CHECK (used_count >= 0),
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);

-- Codes that switch a promotion on; batch-generated ones share a batch id.
CREATE TABLE promotion_codes (
    id           INTEGER PRIMARY KEY,
    promotion_id INTEGER NOT NULL REFERENCES promotions(id),
    code         TEXT NOT NULL UNIQUE,                  -- upper case
    batch_id     INTEGER,
    usage_limit  INTEGER,                               -- NULL: no limit of its own
    used_count   INTEGER NOT NULL DEFAULT 0 CHECK (used_count >= 0),
    created_at   INTEGER NOT NULL
);
CREATE INDEX promotion_codes_promotion ON promotion_codes(promotion_id, id);

-- Uses per customer ('u:<user id>' or 'e:<lower-case e-mail>' for guests).
CREATE TABLE promotion_customer_uses (
    promotion_id INTEGER NOT NULL REFERENCES promotions(id),
    customer     TEXT NOT NULL,
    used         INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
    PRIMARY KEY (promotion_id, customer)
);

-- What an order claimed, given back (released = 1) when the order fails.
CREATE TABLE promotion_redemptions (
    id           INTEGER PRIMARY KEY,
    order_id     INTEGER NOT NULL,
    promotion_id INTEGER NOT NULL REFERENCES promotions(id),
    code_id      INTEGER,
    customer     TEXT NOT NULL,
    amount       INTEGER NOT NULL,
    released     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);
CREATE INDEX promotion_redemptions_order ON promotion_redemptions(order_id);

-- Bumped by every change of what the in-memory snapshot holds (a promotion
-- or code written, a global limit reached or freed again).
CREATE TABLE promotion_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO promotion_state (id, generation) VALUES (1, 1);

-- The promotion code on a cart (beside its legacy coupon).
ALTER TABLE carts ADD COLUMN promo_code_id INTEGER REFERENCES promotion_codes(id);

-- Each order line's share of the order's discount, to the minor unit: what
-- refunds and returns give back is line_total − discount.
ALTER TABLE order_lines ADD COLUMN discount INTEGER NOT NULL DEFAULT 0;

-- What the catalog publishes for promotions to match lines with product sets
-- (contract in catalog.h): a product's brand, vendor and category, and the
-- category tree.
CREATE VIEW catalog_promo_products AS
SELECT id AS product_id, brand_id, vendor_id, category_id FROM products;
CREATE VIEW catalog_promo_categories AS
SELECT id, parent_id, updated_at FROM categories;

-- Units of each order line already paid back by a received return: the
-- next return's refund is its units' share of what the line paid
-- (souk_cart_line_refund), so the shares sum to exactly that.
ALTER TABLE order_lines ADD COLUMN refunded_qty INTEGER NOT NULL DEFAULT 0;

-- What the cart publishes for the catalog to show flash-sale prices (percent
-- flash sales that are switched on; the catalog matches the product sets).
CREATE VIEW cart_flash_sales AS
SELECT id, value, target_kind, target_ids, starts_at, ends_at, priority
FROM promotions WHERE active = 1 AND flash = 1 AND kind = 'percent';
