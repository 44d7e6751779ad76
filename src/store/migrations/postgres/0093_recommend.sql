-- 0093: the recommendation model registry and A/B tests (issue 12). Owner:
-- src/recommend (service.h documents the contract). Times are µs since the
-- Unix epoch.

-- One training run: a model version with its parameters, data window, figures
-- and offline metrics (JSON: every recommender beside the popularity
-- baseline), and the trained model as a blob (recommend.h's format).
CREATE TABLE rec_models (
    version      BIGINT PRIMARY KEY,
    status       TEXT NOT NULL CHECK (status IN ('training', 'ready', 'failed')),
    params       TEXT NOT NULL,
    data_from    BIGINT,
    data_to      BIGINT,
    interactions BIGINT,
    users        BIGINT,
    items        BIGINT,
    duration_ms  BIGINT,
    loss         REAL,
    metrics      TEXT,
    model        BYTEA,
    error        TEXT,
    created_at   BIGINT NOT NULL,
    finished_at  BIGINT
);

-- Every activation, newest last: the active model is the latest one's
-- version; a rollback activates the version active before it.
CREATE TABLE rec_activations (
    id         BIGINT PRIMARY KEY,
    version    BIGINT NOT NULL REFERENCES rec_models(version),
    actor      TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

-- An A/B test splits shoppers between two model versions by a stable hash of
-- their user or anonymous id: percent_b of them get version_b.
CREATE TABLE rec_ab_tests (
    id         BIGINT PRIMARY KEY,
    name       TEXT NOT NULL,
    version_a  BIGINT NOT NULL REFERENCES rec_models(version),
    version_b  BIGINT NOT NULL REFERENCES rec_models(version),
    percent_b  BIGINT NOT NULL CHECK (percent_b BETWEEN 1 AND 99),
    status     TEXT NOT NULL CHECK (status IN ('running', 'stopped')),
    started_at BIGINT NOT NULL,
    stopped_at BIGINT
);
CREATE UNIQUE INDEX rec_ab_tests_one_running ON rec_ab_tests(status) WHERE status = 'running';

-- What the catalog publishes to recommend: the active products with their
-- texts, brand and category, and whether any active variant can be sold.
CREATE VIEW recommend_products AS
SELECT p.id AS product_id, p.title AS title, p.description AS description, p.brand_id AS brand_id,
       b.name AS brand, p.category_id AS category_id, c.name AS category, p.vendor_id AS vendor_id,
       CASE WHEN EXISTS (SELECT 1 FROM variants v JOIN variant_availability a ON a.variant_id = v.id
                         WHERE v.product_id = p.id AND v.status = 'active' AND a.available > 0)
            THEN 1 ELSE 0 END AS in_stock
FROM products p
LEFT JOIN brands b ON b.id = p.brand_id
LEFT JOIN categories c ON c.id = p.category_id
WHERE p.status = 'active';

-- The category tree, for the category filter (a category and its subtree).
CREATE VIEW recommend_categories AS
SELECT id, parent_id FROM categories;

-- What behaviour publishes to recommend: the events that train and the
-- purchases that make baskets (user: the account, else minus the visitor).
CREATE VIEW recommend_interactions AS
SELECT COALESCE(user_id, -visitor_id) AS user_key, product_id, type, at, quantity, order_id, model_version
FROM behaviour_events
WHERE product_id IS NOT NULL AND (user_id IS NOT NULL OR visitor_id IS NOT NULL);

-- The visitor of an anonymous id (for a signed-out shopper's "for you").
CREATE VIEW recommend_visitors AS
SELECT id, anonymous_id FROM behaviour_visitors;

-- An account's purchases (user_id is indexed: what a shopper bought is left
-- out of their lists without scanning every event).
CREATE VIEW recommend_purchases AS
SELECT user_id, product_id, at FROM behaviour_events WHERE type = 20 AND user_id IS NOT NULL;
