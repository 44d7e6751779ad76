-- 0070: the newest-first list of a category reads products in id order
-- (status, id) and keeps those in the category subtree. With category_id in
-- the index that test is made on the index entry, and the table row is read
-- only for the products shown (before: for every product passed over, about
-- five for each one shown in a top-level category of the demo store). It
-- replaces products_status_id, whose columns it starts with.
CREATE INDEX products_status_id_category ON products(status, id, category_id);
DROP INDEX products_status_id;
