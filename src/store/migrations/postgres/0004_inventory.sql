-- 0004: inventory — warehouses, stock per variant per warehouse, the
-- adjustment history, reservations taken at checkout, and the derived
-- availability the catalog reads. Design: docs/internals/inventory.md.
--
-- Stock is changed only by conditional updates (the WHERE clause carries the
-- condition, e.g. "on_hand - reserved >= $q"), so no interleaving of writers
-- can oversell; the CHECK constraints below are the last line of defence.

CREATE TABLE warehouses (
    id         BIGINT PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,             -- short, stable, e.g. "ams-1"
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- available = on_hand - reserved (never stored here, so it cannot drift).
-- low_stock_threshold 0 = no alert; otherwise falling below it emits
-- inventory.low_stock.
CREATE TABLE stock_levels (
    variant_id          BIGINT NOT NULL REFERENCES variants(id),
    warehouse_id        BIGINT NOT NULL REFERENCES warehouses(id),
    on_hand             BIGINT NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved            BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    low_stock_threshold BIGINT NOT NULL DEFAULT 0 CHECK (low_stock_threshold >= 0),
    updated_at          BIGINT NOT NULL,
    CHECK (reserved <= on_hand),
    PRIMARY KEY (variant_id, warehouse_id)
);
CREATE INDEX stock_levels_warehouse ON stock_levels(warehouse_id, variant_id);

-- History of on_hand changes: manual sets and adjustments (reason given by
-- the caller) and sales (reason "sold", reservation_id set). Append-only.
CREATE TABLE stock_adjustments (
    id             BIGINT PRIMARY KEY,
    variant_id     BIGINT NOT NULL REFERENCES variants(id),
    warehouse_id   BIGINT NOT NULL REFERENCES warehouses(id),
    delta          BIGINT NOT NULL,
    on_hand_after  BIGINT NOT NULL,
    reason         TEXT NOT NULL,
    actor          TEXT NOT NULL DEFAULT '',     -- "usr_…", "key_…", "system"
    reservation_id BIGINT,                      -- set for "sold"
    created_at     BIGINT NOT NULL
);
CREATE INDEX stock_adjustments_level ON stock_adjustments(variant_id, warehouse_id, id);

CREATE TABLE reservations (
    id         BIGINT PRIMARY KEY,
    reference  TEXT NOT NULL,                    -- the caller's key, e.g. a checkout id
    state      TEXT NOT NULL DEFAULT 'active'
               CHECK (state IN ('active', 'consumed', 'released', 'expired')),
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX reservations_reference ON reservations(reference);
-- the expiry job's scan: only active reservations, oldest deadline first
CREATE INDEX reservations_due ON reservations(expires_at) WHERE state = 'active';

CREATE TABLE reservation_lines (
    reservation_id BIGINT NOT NULL REFERENCES reservations(id),
    variant_id     BIGINT NOT NULL,
    warehouse_id   BIGINT NOT NULL,
    quantity       BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (reservation_id, variant_id, warehouse_id),
    FOREIGN KEY (variant_id, warehouse_id) REFERENCES stock_levels(variant_id, warehouse_id)
);

-- Derived: total available (sum of on_hand - reserved over warehouses) per
-- variant, rewritten by the inventory in the same transaction as every stock
-- change. It is inventory's published read model: the catalog reads it (the
-- in_stock list filter, "available" in product detail) and never touches
-- stock_levels. A variant without a row has nothing available.
CREATE TABLE variant_availability (
    variant_id BIGINT PRIMARY KEY REFERENCES variants(id),
    available  BIGINT NOT NULL CHECK (available >= 0)
);
