-- Dynamic pricing (src/pricing, docs/pricing.md): suggested prices per variant and
-- currency, their approval flow, and the admins' bounds per product.

-- The admins' bounds of one product: min/max price in CURRENCY (NULL = none), the
-- largest change one suggestion may make in basis points (NULL = the default,
-- 1000 = 10 %), and whether the product is left out of suggestions.
CREATE TABLE pricing_bounds (
    product_id    INTEGER PRIMARY KEY,
    currency      TEXT,
    min_amount    INTEGER CHECK (min_amount IS NULL OR min_amount >= 0),
    max_amount    INTEGER CHECK (max_amount IS NULL OR max_amount >= 0),
    max_change_bp INTEGER CHECK (max_change_bp IS NULL OR max_change_bp BETWEEN 1 AND 5000),
    frozen        INTEGER NOT NULL DEFAULT 0,
    updated_at    INTEGER NOT NULL
);

-- One suggestion. status: pending (waiting for an admin) → approved (scheduled:
-- applied by the pricing.apply job at apply_at) → applied → rolled_back; or
-- rejected; superseded (a later recompute replaced it while pending); failed (the
-- price had changed when it came to be applied). basis: the JSON of the inputs
-- (elasticity, cover, demand); reasons: a JSON array of {code, message, numbers}.
CREATE TABLE pricing_suggestions (
    id               INTEGER PRIMARY KEY,
    variant_id       INTEGER NOT NULL,
    product_id       INTEGER NOT NULL,
    currency         TEXT NOT NULL,
    current_amount   INTEGER NOT NULL,
    suggested_amount INTEGER NOT NULL CHECK (suggested_amount >= 0),
    reasons          TEXT NOT NULL,
    basis            TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'applied', 'rejected', 'rolled_back',
                                                     'superseded', 'failed')),
    computed_at      INTEGER NOT NULL,
    decided_at       INTEGER,
    decided_by       INTEGER,
    note             TEXT,
    apply_at         INTEGER,
    applied_at       INTEGER,
    previous_amount  INTEGER,
    rolled_back_at   INTEGER
);
CREATE INDEX pricing_suggestions_status ON pricing_suggestions(status, id);
CREATE INDEX pricing_suggestions_product ON pricing_suggestions(product_id, id);
-- at most one open (pending or approved) suggestion per variant and currency
CREATE UNIQUE INDEX pricing_suggestions_open ON pricing_suggestions(variant_id, currency)
    WHERE status IN ('pending', 'approved');

-- The last recompute: when, from which stored prediction run, how many suggestions.
CREATE TABLE pricing_runs (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    computed_at   INTEGER NOT NULL,
    prediction_at INTEGER NOT NULL,
    variants      INTEGER NOT NULL,
    suggestions   INTEGER NOT NULL
);

-- What orders publish to pricing: the units and amounts of paid order lines, per
-- variant, in the order's currency, at its payment time.
CREATE VIEW pricing_sales AS
SELECT l.variant_id AS variant_id, o.currency AS currency, l.quantity AS quantity, l.line_total AS line_total,
       o.paid_at AS paid_at
FROM order_lines l JOIN orders o ON o.id = l.order_id
WHERE o.paid_at IS NOT NULL;

-- What the catalog publishes to pricing: the explicit prices of active variants of
-- active products (changed only through souk_catalog_price_set).
CREATE VIEW pricing_catalog_prices AS
SELECT v.id AS variant_id, v.product_id AS product_id, v.sku AS sku, p.title AS product_title,
       vp.currency AS currency, vp.amount AS amount
FROM variant_prices vp JOIN variants v ON v.id = vp.variant_id JOIN products p ON p.id = v.product_id
WHERE v.status = 'active' AND p.status = 'active';
