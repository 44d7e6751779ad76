-- 0112: the fraud-risk score of every order placed through checkout
-- (docs/internals/fraud.md, docs/fraud.md): the fingerprints its velocity
-- signals count by, the score with its reasons, and the review hold of an
-- order scored at or above the threshold. Orders placed before this, and
-- imported ones, have no score (NULL).
ALTER TABLE orders ADD COLUMN card_fp TEXT;           -- BLAKE2b-128 hex of the payment method the checkout sent
ALTER TABLE orders ADD COLUMN address_fp TEXT;        -- BLAKE2b-128 hex of the normalised shipping address
ALTER TABLE orders ADD COLUMN bill_country TEXT;      -- ISO 3166 alpha-2 the checkout gave as billing country
ALTER TABLE orders ADD COLUMN fraud_score INTEGER;    -- 0..100; NULL: not scored
ALTER TABLE orders ADD COLUMN fraud_reasons TEXT;     -- JSON [{"reason": "...", "points": n}]
ALTER TABLE orders ADD COLUMN fraud_hold TEXT;        -- NULL, 'held', 'released' or 'cancelled'
CREATE INDEX orders_card_fp ON orders(card_fp, created_at) WHERE card_fp IS NOT NULL;
CREATE INDEX orders_address_fp ON orders(address_fp, created_at) WHERE address_fp IS NOT NULL;
CREATE INDEX orders_email_created ON orders(email, created_at);
CREATE INDEX orders_fraud_hold ON orders(fraud_hold, id) WHERE fraud_hold IS NOT NULL;
-- declined attempts, looked up by card and by e-mail without reading the orders that went through
CREATE INDEX orders_declined_card ON orders(card_fp, created_at) WHERE payment_status = 'declined';
CREATE INDEX orders_declined_email ON orders(email, created_at) WHERE payment_status = 'declined';

-- What identity publishes to orders: when each account was created (the
-- fraud score's "new account" signal).
CREATE VIEW orders_account_ages AS
SELECT u.id AS user_id, u.created_at AS created_at FROM users u;

-- What orders publish to analytics: the scored orders with their score,
-- reasons, hold and what they were for.
CREATE VIEW analytics_fraud_orders AS
SELECT o.id AS order_id, o.user_id AS user_id, o.email AS email, o.state AS state, o.total AS total,
       o.currency AS currency, o.created_at AS created_at, o.fraud_score AS score, o.fraud_reasons AS reasons,
       o.fraud_hold AS hold
FROM orders o WHERE o.fraud_score IS NOT NULL;
