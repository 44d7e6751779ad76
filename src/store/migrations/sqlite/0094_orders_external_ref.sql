-- 0094: orders brought in from another system (`souk import online-retail
-- --orders`) carry the reference they had there, so that an import run again
-- finds them instead of placing them twice.
ALTER TABLE orders ADD COLUMN external_ref TEXT;
CREATE UNIQUE INDEX orders_external_ref ON orders(external_ref) WHERE external_ref IS NOT NULL;
