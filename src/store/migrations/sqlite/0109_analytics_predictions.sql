-- 0109: stored forecasts, stock forecasts and anomalies of the analytics
-- (issue 13). Owner: src/analytics (predict.c writes them in the
-- analytics.predict job and `souk analytics rebuild`; predict_api.c serves
-- them). Bodies are JSON documents (docs/internals/analytics.md); times are
-- µs since the Unix epoch, days local day numbers in the store's time zone.

-- One fitted series: the whole store (scope 'store', series_id 0), a
-- vendor's lines, a category's or a product's, per granularity.
CREATE TABLE analytics_forecasts (
    granularity TEXT NOT NULL CHECK (granularity IN ('day', 'week')),
    scope       TEXT NOT NULL CHECK (scope IN ('store', 'vendor', 'category', 'product')),
    series_id   INTEGER NOT NULL,
    vendor_id   INTEGER NOT NULL,          -- the vendor whose slice it is (0: none)
    body        TEXT NOT NULL,
    computed_at INTEGER NOT NULL,
    PRIMARY KEY (granularity, scope, series_id)
);
CREATE INDEX analytics_forecasts_vendor ON analytics_forecasts(vendor_id, granularity, scope);

-- The daily demand forecast of one variant in one warehouse (the reorder report).
CREATE TABLE analytics_stock_forecasts (
    variant_id   INTEGER NOT NULL,
    warehouse_id INTEGER NOT NULL,
    body         TEXT NOT NULL,
    computed_at  INTEGER NOT NULL,
    PRIMARY KEY (variant_id, warehouse_id)
);

-- Days whose value lay outside the 95% one-step interval of its series' model.
CREATE TABLE analytics_anomalies (
    metric      TEXT NOT NULL CHECK (metric IN ('revenue', 'orders', 'visitors')),
    day         INTEGER NOT NULL,
    body        TEXT NOT NULL,
    computed_at INTEGER NOT NULL,
    PRIMARY KEY (metric, day)
);

-- The last computation (one row, id 1): when, up to which day, how long.
CREATE TABLE analytics_prediction_runs (
    id          INTEGER PRIMARY KEY,
    computed_at INTEGER NOT NULL,
    last_day    INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    series      INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL
);

-- What inventory publishes to analytics: stock per variant and warehouse,
-- and the units sold from each (the "sold" history rows of checkouts).
CREATE VIEW analytics_stock_levels AS
SELECT s.variant_id AS variant_id, s.warehouse_id AS warehouse_id, s.on_hand AS on_hand, s.reserved AS reserved,
       w.code AS warehouse_code
FROM stock_levels s JOIN warehouses w ON w.id = s.warehouse_id;

CREATE VIEW analytics_stock_sales AS
SELECT variant_id AS variant_id, warehouse_id AS warehouse_id, -delta AS quantity, created_at AS at
FROM stock_adjustments WHERE reason = 'sold';

-- What the catalog publishes to analytics: every variant's SKU, product and vendor.
CREATE VIEW analytics_variants AS
SELECT v.id AS variant_id, v.sku AS sku, v.product_id AS product_id, p.vendor_id AS vendor_id
FROM variants v JOIN products p ON p.id = v.product_id;
