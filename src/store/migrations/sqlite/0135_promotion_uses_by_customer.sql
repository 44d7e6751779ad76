-- 0135: a customer's per-promotion uses by customer (issue 15, checkout speed).
-- Every priced cart of a known customer (and every checkout) asks which
-- promotions that customer has had their share of (cart/promo_claim.c,
-- souk__promo_spent): WHERE customer = $1. The primary key leads with
-- promotion_id, so without this index that was a scan of the whole table,
-- one row per customer and limited promotion, growing with every order.
CREATE INDEX promotion_customer_uses_customer ON promotion_customer_uses(customer, promotion_id);
