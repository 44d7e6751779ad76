-- 0152 (PostgreSQL only; the SQLite file of this name is empty): loyalty_ledger is
-- append-only (0150), but its row triggers do not fire on TRUNCATE. A statement
-- trigger refuses it with the same error. Owner: src/loyalty.
CREATE TRIGGER loyalty_ledger_no_truncate BEFORE TRUNCATE ON loyalty_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION loyalty_ledger_append_only();
