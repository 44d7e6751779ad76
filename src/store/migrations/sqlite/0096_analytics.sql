-- 0096: the analytics read model (issue 13). Owner: src/analytics
-- (analytics.h documents the contract). The facts live in memory, built from
-- the views below, which the owning contexts publish; analytics owns only
-- its settings. Times are µs since the Unix epoch.

-- Settings of the reports: "timezone" (the store's time zone for day
-- boundaries: UTC, a fixed offset such as +02:00, or an IANA name).
CREATE TABLE analytics_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- What orders publish to analytics: paid orders (an order that was never
-- paid is in no number) with their customer (NULL: a guest), currency,
-- payment time and channel (1: imported from another system, 0: placed
-- through the API, the storefront included).
CREATE VIEW analytics_orders AS
SELECT o.id AS order_id, o.user_id AS user_id, o.currency AS currency, o.paid_at AS paid_at,
       CASE WHEN o.external_ref IS NOT NULL THEN 1 ELSE 0 END AS channel
FROM orders o WHERE o.paid_at IS NOT NULL;

-- The lines of paid orders.
CREATE VIEW analytics_order_lines AS
SELECT l.order_id AS order_id, l.line_no AS line_no, l.product_id AS product_id, l.vendor_id AS vendor_id,
       l.quantity AS quantity, l.line_total AS line_total
FROM order_lines l JOIN orders o ON o.id = l.order_id
WHERE o.paid_at IS NOT NULL;

-- Refunds that went through, in the order's currency.
CREATE VIEW analytics_refunds AS
SELECT r.id AS refund_id, r.order_id AS order_id, r.amount AS amount, r.created_at AS created_at
FROM refunds r WHERE r.state = 'succeeded';

-- What the catalog publishes to analytics: every product's category.
CREATE VIEW analytics_products AS
SELECT p.id AS product_id, p.category_id AS category_id FROM products p;

-- What behaviour publishes to analytics: who did what when (visitor_key:
-- the account, else minus the anonymous visitor).
CREATE VIEW analytics_events AS
SELECT id AS event_id, COALESCE(user_id, -visitor_id) AS visitor_key, type, at
FROM behaviour_events WHERE user_id IS NOT NULL OR visitor_id IS NOT NULL;
