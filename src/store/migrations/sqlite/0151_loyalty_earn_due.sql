-- 0151: the loyalty.maintenance job's safety-net release reads the earnings
-- whose return window ended in a bounded window (loyalty/points.c,
-- souk_loyalty_release_due_tx): a partial index on the earn rows only, so
-- the scan does not grow with every earning ever made. Owner: src/loyalty.
CREATE INDEX loyalty_ledger_earn_due ON loyalty_ledger (available_at, order_id) WHERE kind = 'earn';
