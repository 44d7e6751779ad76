-- 0170: subscriptions (issue 17, "Subscriptions"). Owners: src/subscriptions
-- (subscription_settings, subscriptions, subscription_renewals; design in
-- docs/internals/subscriptions.md, the user's view in docs/subscriptions.md)
-- and src/orders (order_saved_methods). Times are µs since the Unix epoch.

-- A payment method a paid checkout saved for later charges without the
-- customer present (the checkout's save_payment_method). TOKEN is the
-- gateway's reusable reference: the test gateway's "tok_test_…", the
-- Stripe-style adapter's "cus_…|pm_…" — never a card number of a real card.
CREATE TABLE order_saved_methods (
    order_id   INTEGER PRIMARY KEY REFERENCES orders(id),
    user_id    INTEGER NOT NULL,
    gateway    TEXT NOT NULL,
    token      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- The store-wide settings: one row. discount_bp off every renewal's goods
-- (after promotions, before tax); retry_hours: the dunning schedule, a JSON
-- array of hours after each declined attempt (its length is how many retries
-- are made before the subscription is paused).
CREATE TABLE subscription_settings (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    discount_bp INTEGER NOT NULL CHECK (discount_bp BETWEEN 0 AND 9000),
    retry_hours TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
INSERT INTO subscription_settings (id, discount_bp, retry_hours, updated_at) VALUES (1, 0, '[24,72,168]', 0);

-- One subscription: QUANTITY of VARIANT every INTERVAL_COUNT INTERVAL_UNITs
-- for USER, paid with PAYMENT_TOKEN, shipped to SHIPPING_ADDRESS. PERIOD is
-- the number of the next renewal (1 = the first after the first order);
-- ATTEMPT the number of its next attempt (one renewal row per attempt, so it
-- only grows within a period); FAILURES the failed attempts since the last
-- paid renewal, skip or resume (what dunning counts). A renewal is due when
-- state = 'active' and next_run_at <= now.
CREATE TABLE subscriptions (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users(id),
    first_order_id   INTEGER NOT NULL,
    variant_id       INTEGER NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    interval_unit    TEXT NOT NULL CHECK (interval_unit IN ('day', 'week', 'month')),
    interval_count   INTEGER NOT NULL CHECK (interval_count BETWEEN 1 AND 365),
    state            TEXT NOT NULL CHECK (state IN ('active', 'paused', 'cancelled')),
    pause_reason     TEXT,
    period           INTEGER NOT NULL,
    attempt          INTEGER NOT NULL DEFAULT 0,
    failures         INTEGER NOT NULL DEFAULT 0,
    anchor_at        INTEGER NOT NULL,
    next_run_at      INTEGER NOT NULL,
    gateway          TEXT NOT NULL,
    payment_token    TEXT NOT NULL,
    currency         TEXT NOT NULL,
    email            TEXT NOT NULL,
    shipping_address TEXT NOT NULL,
    shipping_method  TEXT,
    tax_region       TEXT,                 -- the first order's cart's tax region ('GB', 'US-CA'), for the renewals' carts
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (first_order_id, variant_id)
);
CREATE INDEX subscriptions_due ON subscriptions(next_run_at) WHERE state = 'active';
CREATE INDEX subscriptions_user ON subscriptions(user_id, id);

-- Every renewal attempt: one row per (subscription, period, attempt), made
-- before its order, so a job run again after a crash finds the order it
-- began and charges that one (the gateway's idempotency keys are the
-- order's). state: placing → charging → paid | declined | failed; skipped
-- (the customer or an admin skipped the period; no order).
CREATE TABLE subscription_renewals (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions(id),
    period          INTEGER NOT NULL,
    attempt         INTEGER NOT NULL,
    order_id        INTEGER,
    state           TEXT NOT NULL CHECK (state IN ('charging', 'paid', 'declined', 'failed', 'skipped')),
    decline_code    TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (subscription_id, period, attempt)
);
CREATE INDEX subscription_renewals_order ON subscription_renewals(order_id);
