-- 0020: what the catalog publishes for carts to read, as read-only views over
-- its own tables (the contract is documented in src/catalog/catalog.h), so
-- that no other context names variants, products or variant_prices.

-- One row per variant: what a cart line shows, and whether it can be bought
-- (purchasable = 1: the variant and its product are both active).
CREATE VIEW catalog_offers AS
SELECT v.id AS variant_id, v.product_id AS product_id, v.sku AS sku, p.title AS product_title,
       v.title AS variant_title,
       CASE WHEN v.status = 'active' AND p.status = 'active' THEN 1 ELSE 0 END AS purchasable
FROM variants v JOIN products p ON p.id = v.product_id;

-- The price of a variant in each currency it has one in (integer minor units).
CREATE VIEW catalog_offer_prices AS
SELECT variant_id, currency, amount FROM variant_prices;
