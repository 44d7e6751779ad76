-- The unit price each cart line was shown at (issue 9): refreshed from the
-- catalog's published prices by every change of the cart (souk__cart_touch),
-- so that a checkout refused with 409 PRICE_CHANGED can say which line's price
-- moved, from what to what. NULL: not known (a line from before this column).
ALTER TABLE cart_lines ADD COLUMN quoted_amount BIGINT;
ALTER TABLE cart_lines ADD COLUMN quoted_currency TEXT;
