-- Payments that do not match their order (issue 9). A payment whose amount or
-- currency differs from the order's total leaves the order unpaid and flags it
-- for review (docs/orders.md "Payments that do not match"); the money it took
-- is refunded through the intent that took it, which need not be the order's.

-- The latest mismatch reported for the order; review_reason NULL: nothing to review.
ALTER TABLE orders ADD COLUMN review_reason TEXT CHECK (review_reason IN ('amount_mismatch', 'currency_mismatch'));
ALTER TABLE orders ADD COLUMN review_source TEXT;         -- 'webhook' or 'checkout'
ALTER TABLE orders ADD COLUMN review_intent_id TEXT;      -- the provider's intent that reported it
ALTER TABLE orders ADD COLUMN review_amount BIGINT;      -- what it took (amount_received, else amount); NULL: not said
ALTER TABLE orders ADD COLUMN review_currency TEXT;       -- as reported, upper case; NULL: not said
ALTER TABLE orders ADD COLUMN review_refund_id BIGINT;   -- the refund of what it took, when one was begun
ALTER TABLE orders ADD COLUMN review_at BIGINT;

-- The intent a refund returns money to (NULL: the order's own intent), and the
-- currency it was taken in (NULL: the order's).
ALTER TABLE refunds ADD COLUMN intent_id TEXT;
ALTER TABLE refunds ADD COLUMN currency TEXT;
CREATE INDEX refunds_intent ON refunds(intent_id);
