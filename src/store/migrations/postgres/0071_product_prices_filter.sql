-- 0071: a price-sorted list of a category walks product_prices_sort in price
-- order and keeps the products that are in the category subtree and have the
-- asked status. Both live in products, so every price passed over cost a
-- seek into products (about five per product shown for a top-level category
-- of the demo store). product_prices now carries copies of the two columns,
-- kept by the catalog in the same transactions as products
-- (souk__catalog_refresh_prices, souk__catalog_follow_product), and the sort
-- index ends with them: the walk tests them on the index entry and reads a
-- product only when it is shown. The list still tests products' own columns
-- too, so a copy that were ever stale could hide a product from a price-sorted
-- page, never show a wrong one.
ALTER TABLE product_prices ADD COLUMN status TEXT;
ALTER TABLE product_prices ADD COLUMN category_id BIGINT;
UPDATE product_prices
   SET status = (SELECT p.status FROM products p WHERE p.id = product_prices.product_id),
       category_id = (SELECT p.category_id FROM products p WHERE p.id = product_prices.product_id);
CREATE INDEX product_prices_sort_filter ON product_prices(currency, min_amount, product_id, status, category_id);
DROP INDEX product_prices_sort;
