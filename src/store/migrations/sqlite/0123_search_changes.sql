-- 0123: what the search engine's delta reads to learn which products changed
-- since its base segment was built (issue 11; src/search/service.c). Read-only
-- views, published to search like those of 0080 (docs/internals/ownership.md):
-- a product is re-indexed when it, one of its variants (prices and SKUs move
-- the variant's updated_at) or its rating aggregate changed at or after a
-- time; a renamed category, brand or vendor rebuilds the whole index.

CREATE INDEX products_updated_at ON products(updated_at);
CREATE INDEX variants_updated_at ON variants(updated_at);
CREATE INDEX review_product_stats_updated_at ON review_product_stats(updated_at);

-- Products by the time they or a variant last changed (one row per change source).
CREATE VIEW search_product_changes AS
SELECT id AS product_id, updated_at AS changed_at FROM products
UNION ALL
SELECT product_id, updated_at AS changed_at FROM variants;

-- Products whose rating aggregate changed (reviews' published aggregate).
CREATE VIEW search_rating_changes AS
SELECT product_id, updated_at AS changed_at FROM review_product_stats;

-- When any category, brand or vendor last changed (their names are indexed text).
CREATE VIEW search_taxonomy_changes AS
SELECT updated_at AS changed_at FROM categories
UNION ALL
SELECT updated_at FROM brands
UNION ALL
SELECT updated_at FROM vendors;
