-- 0007: checkout and orders — orders with their lines and per-vendor
-- sub-orders, the history of state changes, refunds, returns, idempotency
-- keys, processed webhook events and sent order e-mails.
-- Design: docs/internals/orders.md.

-- A vendor's commission on marketplace sales, in basis points (1000 = 10 %).
ALTER TABLE vendors ADD COLUMN commission_bp BIGINT NOT NULL DEFAULT 0 CHECK (commission_bp BETWEEN 0 AND 10000);

CREATE TABLE orders (
    id                 BIGINT PRIMARY KEY,
    user_id            BIGINT REFERENCES users(id),  -- NULL: a guest order
    guest_token_hash   TEXT,                          -- guests: BLAKE2b-256 of the order token
    email              TEXT NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('pending_payment', 'paid', 'partially_fulfilled', 'fulfilled',
                                                      'shipped', 'delivered', 'cancelled', 'refunded')),
    payment_status     TEXT NOT NULL DEFAULT 'pending'
                       CHECK (payment_status IN ('pending', 'succeeded', 'declined', 'failed', 'partially_refunded',
                                                 'refunded')),
    currency           TEXT NOT NULL,
    subtotal           BIGINT NOT NULL,
    discount           BIGINT NOT NULL,
    shipping           BIGINT NOT NULL,
    tax                BIGINT NOT NULL,
    total              BIGINT NOT NULL CHECK (total >= 0),
    refunded           BIGINT NOT NULL DEFAULT 0,
    prices_include_tax BIGINT NOT NULL DEFAULT 0,
    shipping_method    TEXT,
    coupon_code        TEXT,
    coupon_id          BIGINT,
    shipping_address   TEXT NOT NULL,                 -- JSON object
    cart_id            BIGINT,                       -- emptied when the order is paid
    reservation_id     BIGINT,
    gateway            TEXT NOT NULL,
    intent_id          TEXT,
    client_secret      TEXT,
    intent_status      TEXT NOT NULL DEFAULT 'requires_confirmation',
    decline_code       TEXT,
    payment_due_at     BIGINT NOT NULL,              -- abandoned after this (the reservation's expiry)
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    paid_at            BIGINT,
    CHECK (refunded BETWEEN 0 AND total)
);
CREATE INDEX orders_user ON orders(user_id, id);
CREATE INDEX orders_state ON orders(state, id);
CREATE INDEX orders_due ON orders(payment_due_at) WHERE state = 'pending_payment';
CREATE UNIQUE INDEX orders_intent ON orders(intent_id) WHERE intent_id IS NOT NULL;

-- One per vendor of the order's lines (vendor_id NULL = the shop's own goods).
CREATE TABLE sub_orders (
    id            BIGINT PRIMARY KEY,
    order_id      BIGINT NOT NULL REFERENCES orders(id),
    vendor_id     BIGINT REFERENCES vendors(id),
    state         TEXT NOT NULL,
    subtotal      BIGINT NOT NULL,
    commission_bp BIGINT NOT NULL,
    commission    BIGINT NOT NULL,
    carrier       TEXT,
    tracking      TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX sub_orders_order ON sub_orders(order_id);
CREATE INDEX sub_orders_vendor ON sub_orders(vendor_id, order_id);

CREATE TABLE order_lines (
    order_id      BIGINT NOT NULL REFERENCES orders(id),
    line_no       BIGINT NOT NULL,
    sub_order_id  BIGINT NOT NULL REFERENCES sub_orders(id),
    variant_id    BIGINT NOT NULL,
    product_id    BIGINT NOT NULL,
    vendor_id     BIGINT,
    sku           TEXT NOT NULL,
    product_title TEXT NOT NULL,
    variant_title TEXT NOT NULL,
    quantity      BIGINT NOT NULL CHECK (quantity > 0),
    unit_amount   BIGINT NOT NULL,
    line_total    BIGINT NOT NULL,
    fulfilled     BIGINT NOT NULL DEFAULT 0,
    returned      BIGINT NOT NULL DEFAULT 0,    -- requested in returns not rejected
    CHECK (fulfilled BETWEEN 0 AND quantity),
    CHECK (returned BETWEEN 0 AND fulfilled),
    PRIMARY KEY (order_id, line_no)
);

CREATE TABLE order_history (
    id           BIGINT PRIMARY KEY,
    order_id     BIGINT NOT NULL REFERENCES orders(id),
    sub_order_id BIGINT,
    from_state   TEXT,
    to_state     TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    actor        TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL
);
CREATE INDEX order_history_order ON order_history(order_id, id);

CREATE TABLE refunds (
    id                BIGINT PRIMARY KEY,
    order_id          BIGINT NOT NULL REFERENCES orders(id),
    amount            BIGINT NOT NULL CHECK (amount > 0),
    reason            TEXT NOT NULL DEFAULT '',
    state             TEXT NOT NULL CHECK (state IN ('pending', 'succeeded')),
    gateway_refund_id TEXT,
    return_id         BIGINT,
    actor             TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL
);
CREATE INDEX refunds_order ON refunds(order_id, id);

CREATE TABLE order_returns (
    id         BIGINT PRIMARY KEY,
    order_id   BIGINT NOT NULL REFERENCES orders(id),
    state      TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'received')),
    reason     TEXT NOT NULL DEFAULT '',
    lines      TEXT NOT NULL,                    -- JSON [{"line_no","quantity"}]
    refund     BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX order_returns_order ON order_returns(order_id, id);

-- Idempotency-Key of unsafe requests (checkout): the first request's answer,
-- kept 24 h. status/response NULL while the first request is in progress.
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,                  -- the caller: 'usr_…' or 'cart:<token hash>'
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    order_id     BIGINT,
    status       BIGINT,
    response     TEXT,
    lease_until  BIGINT NOT NULL,
    lease_token  TEXT NOT NULL DEFAULT '',       -- the request holding the lease; only it may answer
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys(created_at);

-- Payment-gateway webhook events already processed (idempotent by event id).
CREATE TABLE webhook_events (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    received_at BIGINT NOT NULL
);

-- Order e-mails: one row per order and kind, written with the state change
-- that asks for it; the order.emails job renders the due ones into the mail
-- outbox in batches and sets sent_at, so each is sent once.
CREATE TABLE order_notifications (
    order_id   BIGINT NOT NULL,
    kind       TEXT NOT NULL,                -- confirmation, shipped, delivered, cancelled, refunded:rfd_…
    created_at BIGINT NOT NULL,
    sent_at    BIGINT,                      -- NULL: still to be written to the outbox
    PRIMARY KEY (order_id, kind)
);
CREATE INDEX order_notifications_due ON order_notifications(created_at) WHERE sent_at IS NULL;
