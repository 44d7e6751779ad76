-- 0114: stored exchange rates and the display currencies (issue 15,
-- "Currencies"). Owner: src/fx (fx.h documents the contract; design in
-- docs/internals/fx.md, the user's view in docs/currencies.md).
--
-- A rate says how many units of CURRENCY one unit of BASE buys, as the exact
-- decimal units / 10^scale (never a float), from effective_at (µs since the
-- Unix epoch) until the next rate of the same pair takes effect. BASE is the
-- store currency when the rate was set; only the rates of the current store
-- currency are used.
CREATE TABLE fx_rates (
    id           INTEGER PRIMARY KEY,
    base         TEXT NOT NULL,
    currency     TEXT NOT NULL,
    units        INTEGER NOT NULL CHECK (units > 0 AND units < 10000000000),
    scale        INTEGER NOT NULL CHECK (scale >= 0 AND scale <= 12),
    effective_at INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (base, currency, effective_at)
);

-- The currencies shoppers may ask prices to be converted into (?currency=),
-- in the order the store shows them.
CREATE TABLE fx_display_currencies (
    currency TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
