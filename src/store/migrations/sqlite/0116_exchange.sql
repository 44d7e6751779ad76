-- 0116: data in and out (src/exchange, docs/import-export.md).
--
-- import_runs: a Shopify product CSV sent to POST /api/v1/admin/imports, kept
-- until its job has run it, with the job's progress and its error report.
-- The body is dropped (set to '') once the run is done.
CREATE TABLE import_runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,                -- 'shopify_products'
    state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    body        TEXT NOT NULL,                -- the CSV as sent
    bytes_total INTEGER NOT NULL,
    bytes_done  INTEGER NOT NULL DEFAULT 0,
    stats       TEXT NOT NULL DEFAULT '{}',   -- JSON: rows, error_rows, products, created, updated, ...
    problems    TEXT NOT NULL DEFAULT '[]',   -- JSON: [{"line","handle","field","message"}], at most 1000
    problem_count INTEGER NOT NULL DEFAULT 0, -- all problems, also those beyond the kept 1000
    error       TEXT,                         -- why a failed run stopped
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    finished_at INTEGER
);

-- The orders context publishes its order lines for export (src/exchange reads
-- only this view): one row per line, with its order's totals.
CREATE VIEW orders_export_lines AS
SELECT o.id AS order_id, o.created_at AS created_at, o.paid_at AS paid_at, o.email AS email,
       o.state AS state, o.payment_status AS payment_status, o.currency AS currency,
       o.subtotal AS subtotal, o.discount AS discount, o.shipping AS shipping, o.tax AS tax,
       o.total AS total, o.refunded AS refunded, o.shipping_method AS shipping_method,
       o.coupon_code AS coupon_code,
       l.line_no AS line_no, l.sku AS sku, l.product_title AS product_title,
       l.variant_title AS variant_title, l.quantity AS quantity, l.unit_amount AS unit_amount,
       l.line_total AS line_total, l.fulfilled AS fulfilled, l.returned AS returned
FROM orders o JOIN order_lines l ON l.order_id = o.id;
