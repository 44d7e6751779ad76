#!/usr/bin/env bash
# synth.sh DB LINES EVENTS — fills a migrated souk database with a synthetic store for
# bench/analytics.sh, straight through SQLite (a bench-only generator: ~20 s for a million order
# lines and five million events, where placing the orders through the API would take an hour).
# Deterministic. 4 lines per order over 2025; 50,000 customers (every 20th order a guest),
# 5,000 products in 50 categories, 20 vendors (a quarter the shop's own), USD with every 10th
# order in EUR, a refund of every 20th order; events of 200,000 visitors (product views, carts,
# checkouts, purchases, page views; each visitor's about every 15 days) spread over the same year.
set -euo pipefail
DB="$1"; LINES="${2:-1000000}"; EVENTS="${3:-5000000}"
ORDERS=$((LINES / 4))
START_US=1735689600000000 # 2025-01-01T00:00:00Z
YEAR_US=31536000000000
sqlite3 "$DB" <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA foreign_keys = OFF;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 50)
INSERT INTO categories (id, slug, name, created_at, updated_at)
SELECT 900000 + i, 'bench-cat-' || i, 'Bench category ' || i, 0, 0 FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20)
INSERT INTO vendors (id, slug, name, created_at, updated_at)
SELECT 800000 + i, 'bench-vendor-' || i, 'Bench vendor ' || i, 0, 0 FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 5000)
INSERT INTO products (id, slug, title, status, vendor_id, category_id, created_at, updated_at)
SELECT 700000 + i, 'bench-product-' || i, 'Bench product ' || i, 'archived',
       CASE WHEN i % 4 = 0 THEN NULL ELSE 800000 + 1 + i % 20 END, 900000 + 1 + i % 50, 0, 0 FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $ORDERS)
INSERT INTO orders (id, user_id, email, state, payment_status, currency, subtotal, discount, shipping, tax, total,
                    shipping_address, gateway, payment_due_at, created_at, updated_at, paid_at)
SELECT 10000000 + i, CASE WHEN i % 20 = 0 THEN NULL ELSE 1 + (i * 7919) % 50000 END, 'bench@example.com',
       'delivered', 'succeeded', CASE WHEN i % 10 = 3 THEN 'EUR' ELSE 'USD' END, 0, 0, 0, 0, 0, '{}', 'test', 0,
       0, 0, $START_US + (i - 1) * ($YEAR_US / $ORDERS) + (i * 104729) % 3600000000 FROM c;
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < $LINES - 1)
INSERT INTO order_lines (order_id, line_no, sub_order_id, variant_id, product_id, vendor_id, sku, product_title,
                         variant_title, quantity, unit_amount, line_total)
SELECT 10000000 + 1 + i / 4, 1 + i % 4, 10000000 + 1 + i / 4, p, p,
       CASE WHEN (p - 700000) % 4 = 0 THEN NULL ELSE 800000 + 1 + (p - 700000) % 20 END, 'B', 'B', 'B',
       1 + i % 3, 500 + (p % 50) * 100, (1 + i % 3) * (500 + (p % 50) * 100)
FROM (SELECT i, 700000 + 1 + (i * 2654435761) % 5000 AS p FROM c);
INSERT INTO refunds (id, order_id, amount, state, created_at)
SELECT id, id, (SELECT SUM(line_total) FROM order_lines l WHERE l.order_id = o.id) / 4, 'succeeded',
       paid_at + 3 * 86400000000 FROM orders o WHERE id >= 10000000 AND id % 20 = 7;
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < $EVENTS - 1)
INSERT INTO behaviour_events (id, sender, client_key, type, at, visitor_id)
SELECT ((t / 1000 - 1577836800000) << 20) + (i % 1000), v, i,
       CASE WHEN r < 55 THEN 2 WHEN r < 70 THEN 5 WHEN r < 78 THEN 7 WHEN r < 83 THEN 20 ELSE 1 END, t, v
FROM (SELECT i, $START_US + i * ($YEAR_US / $EVENTS) AS t, 1 + (i * 48271) % 200000 AS v, (7 * i + 37 * (i / 200000) + 11 * (i / 200000) * (i / 200000)) % 100 AS r FROM c);
COMMIT;
SQL
