-- 0150 (PostgreSQL twin: the append-only trigger differs): loyalty points (issue 17, "Loyalty"). Owner: src/loyalty (loyalty.h
-- documents the contract; design in docs/internals/loyalty.md, the user's
-- view in docs/loyalty.md). Times are µs since the Unix epoch.

-- The programme's settings: one row. Nothing is earned in a currency
-- without a loyalty_currencies row, so a new shop runs no programme.
CREATE TABLE loyalty_settings (
    id                 BIGINT PRIMARY KEY CHECK (id = 1),
    max_redeem_bp      BIGINT NOT NULL CHECK (max_redeem_bp BETWEEN 0 AND 10000), -- share of the goods points may pay
    return_window_days BIGINT NOT NULL CHECK (return_window_days BETWEEN 0 AND 365), -- pending this long after payment
    expiry_days        BIGINT NOT NULL CHECK (expiry_days BETWEEN 0 AND 3650),      -- available this long; 0 = never
    updated_at         BIGINT NOT NULL
);
INSERT INTO loyalty_settings (id, max_redeem_bp, return_window_days, expiry_days, updated_at)
VALUES (1, 5000, 30, 365, 0);

-- Per currency: points earned per major unit paid (1 = a point per dollar),
-- and what one point is worth when redeemed, in minor units (1 = a cent).
CREATE TABLE loyalty_currencies (
    currency      TEXT PRIMARY KEY,
    earn_per_unit BIGINT NOT NULL CHECK (earn_per_unit BETWEEN 0 AND 1000),
    point_value   BIGINT NOT NULL CHECK (point_value BETWEEN 1 AND 1000000)
);

-- Per category (the product's own category): its lines earn rate_bp / 10000
-- of the currency's rate (0: nothing, 20000: double).
CREATE TABLE loyalty_category_rates (
    category_id BIGINT PRIMARY KEY,
    rate_bp     BIGINT NOT NULL CHECK (rate_bp BETWEEN 0 AND 100000)
);

-- The ledger, append-only: every change of a customer's points is one row.
-- points: change of the available balance; pending: of the points waiting
-- for the return window; debt: of what clawbacks could not take. Each
-- balance is the sum of its column over the customer's rows. dedupe makes
-- the once-only entries (an order's earning, release, redemption and its
-- reversal, a refund's clawback) once-only under any retry.
CREATE TABLE loyalty_ledger (
    id           BIGINT PRIMARY KEY,
    user_id      BIGINT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('earn', 'release', 'redeem', 'redeem_reversal', 'clawback',
                                               'debt_payment', 'expire', 'adjust')),
    points       BIGINT NOT NULL,
    pending      BIGINT NOT NULL DEFAULT 0,
    debt         BIGINT NOT NULL DEFAULT 0,
    order_id     BIGINT,
    amount       BIGINT,          -- the money the entry is about, minor units of currency
    currency     TEXT,
    reason       TEXT NOT NULL,
    actor        TEXT NOT NULL,
    dedupe       TEXT UNIQUE,
    available_at BIGINT,          -- earn: when the return window ends
    expires_at   BIGINT,          -- a credit (release, adjust > 0): when what is left of it expires; NULL = never
    created_at   BIGINT NOT NULL
);
CREATE INDEX loyalty_ledger_user ON loyalty_ledger (user_id, id);
CREATE INDEX loyalty_ledger_order ON loyalty_ledger (order_id);
CREATE INDEX loyalty_ledger_lots ON loyalty_ledger (expires_at, user_id);
CREATE FUNCTION loyalty_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'loyalty_ledger is append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER loyalty_ledger_no_update BEFORE UPDATE ON loyalty_ledger
    FOR EACH ROW EXECUTE FUNCTION loyalty_ledger_append_only();
CREATE TRIGGER loyalty_ledger_no_delete BEFORE DELETE ON loyalty_ledger
    FOR EACH ROW EXECUTE FUNCTION loyalty_ledger_append_only();

-- The sums of the ledger per customer, kept in the transaction of every
-- entry: the guard that no balance goes below zero (the CHECKs, and the
-- conditional updates of loyalty/ledger.c), and the quick read of a balance.
CREATE TABLE loyalty_accounts (
    user_id    BIGINT PRIMARY KEY,
    available  BIGINT NOT NULL DEFAULT 0 CHECK (available >= 0),
    pending    BIGINT NOT NULL DEFAULT 0 CHECK (pending >= 0),
    debt       BIGINT NOT NULL DEFAULT 0 CHECK (debt >= 0),
    updated_at BIGINT NOT NULL
);
