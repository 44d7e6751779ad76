-- 0113: where an order was placed — 'storefront' (souk's own shop pages) or
-- 'api' (a client of the JSON API: a headless storefront, an app, a script);
-- imported orders are told by their external_ref. Orders placed before this
-- count as 'api'. The analytics view gains the storefront as channel 2 (its
-- KPI filter: channel=storefront|api|import; docs/analytics.md).
ALTER TABLE orders ADD COLUMN channel TEXT NOT NULL DEFAULT 'api';

DROP VIEW analytics_orders;
CREATE VIEW analytics_orders AS
SELECT o.id AS order_id, o.user_id AS user_id, o.currency AS currency, o.paid_at AS paid_at,
       CASE WHEN o.external_ref IS NOT NULL THEN 1 WHEN o.channel = 'storefront' THEN 2 ELSE 0 END AS channel
FROM orders o WHERE o.paid_at IS NOT NULL;
