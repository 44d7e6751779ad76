-- 0080: what the catalog publishes to the search engine (issue 11), read-only
-- views so that src/search builds its index without naming the catalog's
-- tables (docs/internals/ownership.md). Contract: src/search/index.h
-- (souk_search_build).

-- Active products, with their brand's and vendor's names.
CREATE VIEW search_products AS
SELECT p.id AS product_id, p.title AS title, p.description AS description,
       p.brand_id AS brand_id, b.name AS brand, p.vendor_id AS vendor_id, vd.name AS vendor,
       p.category_id AS category_id, p.created_at AS created_at
FROM products p
LEFT JOIN brands b ON b.id = p.brand_id
LEFT JOIN vendors vd ON vd.id = p.vendor_id
WHERE p.status = 'active';

-- Attribute values of every product (the search keeps the active ones).
CREATE VIEW search_product_attributes AS
SELECT product_id, name, value FROM product_attributes;

-- The active variants' SKUs, and whether each has stock to sell (inventory's
-- variant_availability, which the catalog may read).
CREATE VIEW search_product_skus AS
SELECT v.product_id AS product_id, v.sku AS sku,
       CASE WHEN COALESCE(a.available, 0) > 0 THEN 1 ELSE 0 END AS in_stock
FROM variants v
LEFT JOIN variant_availability a ON a.variant_id = v.id
WHERE v.status = 'active';

-- The lowest active-variant price of a product per currency.
CREATE VIEW search_product_prices AS
SELECT product_id, currency, min_amount FROM product_prices;

-- The category tree.
CREATE VIEW search_categories AS
SELECT id, parent_id, name FROM categories;
