/*
 * Unit tests for src/store/sqlite/sqlite.c (the storage port over SQLite):
 * migrations, the statement cache, $N binding, transactions, error classes
 * and data_version.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/embed.h"
#include "store/store.h"

typedef struct fixture {
    char path[64];
    souk_store *db;
} fixture;

static void remove_db(const char *path)
{
    char p[96];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static int setup(void **state)
{
    static fixture f;
    snprintf(f.path, sizeof f.path, "/tmp/souk-test-store-XXXXXX");
    int fd = mkstemp(f.path);
    if (fd < 0)
        return -1;
    close(fd);
    char err[256];
    if (souk_store_open(&f.db, f.path, err, sizeof err) != 0) {
        fprintf(stderr, "open: %s\n", err);
        return -1;
    }
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    souk_store_close(f->db);
    remove_db(f->path);
    return 0;
}

static void exec_ok(souk_store *db, const char *sql)
{
    souk_stmt *st = souk_store_stmt(db, sql);
    if (!st)
        fail_msg("does not prepare: %s (%s)", sql, souk_store_errmsg(db));
    int r = souk_stmt_exec(st);
    if (r != SOUK_DB_DONE)
        fail_msg("exec %s -> %d (%s)", sql, r, souk_store_errmsg(db));
}

static int64_t count_rows(souk_store *db, const char *table_where)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table_where);
    souk_stmt *st = souk_store_stmt(db, sql);
    assert_non_null(st);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    int64_t n = souk_stmt_i64(st, 0);
    souk_stmt_done(st);
    return n;
}

static void test_migrate(void **state)
{
    fixture *f = *state;
    assert_int_equal(souk_store_schema_version(f->db), 0);
    int applied = -1;
    assert_int_equal(souk_store_migrate(f->db, &applied), 0);
    assert_int_equal(applied, (int)souk_migrations_sqlite_count);
    assert_true(applied > 0);
    int version = souk_store_schema_version(f->db);
    assert_true(version > 0);
    assert_int_equal(version, atoi(souk_migrations_sqlite[souk_migrations_sqlite_count - 1].name));
    assert_int_equal(count_rows(f->db, "schema_migrations"), (int64_t)souk_migrations_sqlite_count);
    /* the catalog tables exist */
    assert_int_equal(count_rows(f->db, "products"), 0);
    assert_int_equal(count_rows(f->db, "sqlite_master WHERE name = 'variant_prices'"), 1);
    /* a second run applies nothing */
    applied = -1;
    assert_int_equal(souk_store_migrate(f->db, &applied), 0);
    assert_int_equal(applied, 0);
    assert_int_equal(souk_store_schema_version(f->db), version);
    assert_int_equal(souk_store_migrate(f->db, NULL), 0);
    /* and neither does a fresh connection to the same file */
    souk_store *other;
    char err[256];
    assert_int_equal(souk_store_open(&other, f->path, err, sizeof err), 0);
    assert_int_equal(souk_store_schema_version(other), version);
    assert_int_equal(souk_store_migrate(other, &applied), 0);
    assert_int_equal(applied, 0);
    souk_store_close(other);
}

static void test_open_errors(void **state)
{
    (void)state;
    souk_store *db = (souk_store *)0x1;
    char err[256] = "";
    assert_int_equal(souk_store_open(&db, "/nonexistent-dir-souk/x/y.db", err, sizeof err), -1);
    assert_true(strlen(err) > 0);
    assert_ptr_equal(db, (souk_store *)0x1);
    souk_store_close(NULL); /* allowed */
}

static void test_statement_cache(void **state)
{
    fixture *f = *state;
    souk_stmt *a = souk_store_stmt(f->db, "SELECT 1");
    souk_stmt *b = souk_store_stmt(f->db, "SELECT 1");
    souk_stmt *c = souk_store_stmt(f->db, "SELECT 2");
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_ptr_not_equal(a, c);
    /* a cached statement comes back reset with its bindings cleared */
    souk_stmt *st = souk_store_stmt(f->db, "SELECT $1");
    souk_stmt_bind_i64(st, 1, 42);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    assert_int_equal(souk_stmt_i64(st, 0), 42);
    souk_stmt *again = souk_store_stmt(f->db, "SELECT $1");
    assert_ptr_equal(again, st);
    assert_int_equal(souk_stmt_step(again), SOUK_DB_ROW);
    assert_true(souk_stmt_is_null(again, 0));
    souk_stmt_done(again);
    /* bad SQL gives NULL */
    assert_null(souk_store_stmt(f->db, "SELEKT nothing"));
    assert_null(souk_store_stmt(f->db, "SELECT * FROM no_such_table"));
    /* only $N parameters are allowed */
    assert_null(souk_store_stmt(f->db, "SELECT ?"));
    assert_null(souk_store_stmt(f->db, "SELECT :name"));
    assert_null(souk_store_stmt(f->db, "SELECT $0"));
    assert_null(souk_store_stmt(f->db, "SELECT $65"));
    /* many distinct statements (beyond the cache size) keep working */
    for (int i = 0; i < 700; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "SELECT %d + $1", i);
        souk_stmt *s = souk_store_stmt(f->db, sql);
        assert_non_null(s);
        souk_stmt_bind_i64(s, 1, 1);
        assert_int_equal(souk_stmt_step(s), SOUK_DB_ROW);
        assert_int_equal(souk_stmt_i64(s, 0), i + 1);
        souk_stmt_done(s);
    }
    assert_int_equal(souk_store_ping(f->db), 0);
}

/* A full cache evicts one least recently used statement, never one that is
 * mid-rows, and frees evicted ones only at souk_store_idle. */
static void test_statement_cache_eviction(void **state)
{
    fixture *f = *state;
    souk_stmt *rows = souk_store_stmt(f->db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5) "
                                             "SELECT x FROM c");
    assert_non_null(rows);
    assert_int_equal(souk_stmt_step(rows), SOUK_DB_ROW);
    assert_int_equal(souk_stmt_i64(rows, 0), 1);
    souk_stmt *held = souk_store_stmt(f->db, "SELECT $1 * 2"); /* handed out, not stepped yet */
    souk_stmt *hot = souk_store_stmt(f->db, "SELECT 'hot'");
    for (int i = 0; i < 2000; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "SELECT %d", i);
        souk_stmt *s = souk_store_stmt(f->db, sql);
        assert_non_null(s);
        assert_int_equal(souk_stmt_step(s), SOUK_DB_ROW);
        assert_int_equal(souk_stmt_i64(s, 0), i);
        souk_stmt_done(s);
        if (i % 50 == 0) /* used often: stays cached, the same statement */
            assert_ptr_equal(souk_store_stmt(f->db, "SELECT 'hot'"), hot);
    }
    /* the statement in the middle of its rows was kept and goes on */
    for (int x = 2; x <= 5; x++) {
        assert_int_equal(souk_stmt_step(rows), SOUK_DB_ROW);
        assert_int_equal(souk_stmt_i64(rows, 0), x);
    }
    assert_int_equal(souk_stmt_step(rows), SOUK_DB_DONE);
    /* the held one was evicted but is still valid until the connection is idle */
    souk_stmt_bind_i64(held, 1, 21);
    assert_int_equal(souk_stmt_step(held), SOUK_DB_ROW);
    assert_int_equal(souk_stmt_i64(held, 0), 42);
    souk_stmt_done(held);
    souk_store_idle(f->db);
    souk_stmt *fresh = souk_store_stmt(f->db, "SELECT $1 * 2");
    souk_stmt_bind_i64(fresh, 1, 4);
    assert_int_equal(souk_stmt_step(fresh), SOUK_DB_ROW);
    assert_int_equal(souk_stmt_i64(fresh, 0), 8);
    souk_stmt_done(fresh);
}

static void test_dollar_binding(void **state)
{
    fixture *f = *state;
    souk_stmt *st = souk_store_stmt(f->db, "SELECT $2, $1, $2");
    assert_non_null(st);
    souk_stmt_bind_i64(st, 1, 10);
    souk_stmt_bind_i64(st, 2, 20);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    assert_int_equal(souk_stmt_i64(st, 0), 20);
    assert_int_equal(souk_stmt_i64(st, 1), 10);
    assert_int_equal(souk_stmt_i64(st, 2), 20);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_DONE);

    /* text (copied, explicit length or NUL-terminated) and NULL */
    st = souk_store_stmt(f->db, "SELECT $3, $1, length($1), $2, $10");
    assert_non_null(st);
    char buf[16] = "hello world";
    souk_stmt_bind_text(st, 1, buf, 5);
    souk_stmt_bind_text(st, 3, "caf\xc3\xa9", SIZE_MAX);
    souk_stmt_bind_null(st, 2);
    souk_stmt_bind_i64(st, 10, -7);
    memset(buf, 'X', sizeof buf - 1); /* the binding took a copy */
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    size_t len = 99;
    assert_string_equal(souk_stmt_text(st, 0, &len), "caf\xc3\xa9");
    assert_int_equal(len, 5);
    assert_string_equal(souk_stmt_text(st, 1, &len), "hello");
    assert_int_equal(len, 5);
    assert_int_equal(souk_stmt_i64(st, 2), 5);
    assert_true(souk_stmt_is_null(st, 3));
    assert_null(souk_stmt_text(st, 3, &len));
    assert_int_equal(len, 0);
    assert_int_equal(souk_stmt_i64(st, 3), 0);
    assert_int_equal(souk_stmt_i64(st, 4), -7);
    souk_stmt_done(st);

    /* binding a parameter the SQL does not have is reported at step */
    st = souk_store_stmt(f->db, "SELECT $1");
    souk_stmt_bind_i64(st, 2, 1);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_HARD);
    /* ...and cleared when the statement is fetched again */
    st = souk_store_stmt(f->db, "SELECT $1");
    souk_stmt_bind_i64(st, 1, 3);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    souk_stmt_done(st);
    st = souk_store_stmt(f->db, "SELECT $1");
    souk_stmt_bind_i64(st, 0, 1);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_HARD);
    st = souk_store_stmt(f->db, "SELECT $1");
    souk_stmt_bind_i64(st, 65, 1);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_HARD);
}

struct tx_ctx {
    int ret;
    int calls;
    const char *value;
};

static int tx_insert(souk_store *db, void *arg)
{
    struct tx_ctx *c = arg;
    c->calls++;
    souk_stmt *st = souk_store_stmt(db, "INSERT INTO t (v) VALUES ($1)");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_text(st, 1, c->value, SIZE_MAX);
    int r = souk_stmt_exec(st);
    if (r < 0)
        return r;
    return c->ret;
}

static void test_tx(void **state)
{
    fixture *f = *state;
    exec_ok(f->db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE CHECK (v <> 'bad'))");
    struct tx_ctx c = {7, 0, "a"};
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), 7);
    assert_int_equal(c.calls, 1);
    assert_int_equal(count_rows(f->db, "t WHERE v = 'a'"), 1);
    c = (struct tx_ctx){0, 0, "zero"};
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), 0);
    assert_int_equal(count_rows(f->db, "t WHERE v = 'zero'"), 1);
    /* a negative result rolls back and is returned as is */
    c = (struct tx_ctx){-5, 0, "b"};
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), -5);
    assert_int_equal(c.calls, 1);
    assert_int_equal(count_rows(f->db, "t WHERE v = 'b'"), 0);
    c = (struct tx_ctx){-100, 0, "b"};
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), -100);
    assert_int_equal(count_rows(f->db, "t WHERE v = 'b'"), 0);
    c = (struct tx_ctx){SOUK_DB_HARD, 0, "b"};
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), SOUK_DB_HARD);
    assert_int_equal(count_rows(f->db, "t WHERE v = 'b'"), 0);
    /* SOFT means retry: the body runs again (bounded) and nothing sticks */
    c = (struct tx_ctx){SOUK_DB_SOFT, 0, "soft"};
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), SOUK_DB_SOFT);
    assert_true(c.calls > 1);
    assert_true(c.calls <= 10);
    assert_int_equal(count_rows(f->db, "t WHERE v = 'soft'"), 0);
    /* the connection is usable after all of that */
    c = (struct tx_ctx){1, 0, "c"};
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), 1);
    assert_int_equal(count_rows(f->db, "t"), 3);
}

static void test_constraints(void **state)
{
    fixture *f = *state;
    exec_ok(f->db, "CREATE TABLE u (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE CHECK (v <> 'bad'))");
    exec_ok(f->db, "INSERT INTO u (v) VALUES ('x')");
    souk_stmt *st = souk_store_stmt(f->db, "INSERT INTO u (v) VALUES ($1)");
    souk_stmt_bind_text(st, 1, "x", SIZE_MAX);
    assert_int_equal(souk_stmt_exec(st), SOUK_DB_CONSTRAINT); /* UNIQUE */
    assert_true(strlen(souk_store_errmsg(f->db)) > 0);
    st = souk_store_stmt(f->db, "INSERT INTO u (v) VALUES ($1)");
    souk_stmt_bind_null(st, 1);
    assert_int_equal(souk_stmt_exec(st), SOUK_DB_CONSTRAINT); /* NOT NULL */
    st = souk_store_stmt(f->db, "INSERT INTO u (v) VALUES ($1)");
    souk_stmt_bind_text(st, 1, "bad", SIZE_MAX);
    assert_int_equal(souk_stmt_exec(st), SOUK_DB_CONSTRAINT); /* CHECK */
    /* foreign keys are enforced */
    exec_ok(f->db, "CREATE TABLE w (id INTEGER PRIMARY KEY, u_id INTEGER REFERENCES u(id))");
    st = souk_store_stmt(f->db, "INSERT INTO w (u_id) VALUES ($1)");
    souk_stmt_bind_i64(st, 1, 999);
    assert_int_equal(souk_stmt_exec(st), SOUK_DB_CONSTRAINT);
    /* inside a transaction the violation rolls everything back */
    struct tx_ctx c = {0, 0, "x"};
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), SOUK_DB_HARD); /* table t is absent here */
    exec_ok(f->db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)");
    c = (struct tx_ctx){0, 0, "dup"};
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), 0);
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), SOUK_DB_CONSTRAINT);
    assert_int_equal(count_rows(f->db, "t"), 1);
    /* a statement error is not sticky */
    assert_int_equal(count_rows(f->db, "u"), 1);
}

static void test_changes_idle_ping(void **state)
{
    fixture *f = *state;
    exec_ok(f->db, "CREATE TABLE n (x INTEGER)");
    exec_ok(f->db, "INSERT INTO n VALUES (1), (2), (3)");
    assert_int_equal(souk_store_changes(f->db), 3);
    exec_ok(f->db, "UPDATE n SET x = x + 1 WHERE x >= 2");
    assert_int_equal(souk_store_changes(f->db), 2);
    exec_ok(f->db, "DELETE FROM n WHERE x = 100");
    assert_int_equal(souk_store_changes(f->db), 0);
    /* idle resets statements left half-way */
    souk_stmt *st = souk_store_stmt(f->db, "SELECT x FROM n ORDER BY x");
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    assert_int_equal(souk_stmt_i64(st, 0), 1);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    assert_int_equal(souk_stmt_i64(st, 0), 3);
    souk_store_idle(f->db);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    assert_int_equal(souk_stmt_i64(st, 0), 1); /* started over */
    souk_stmt_done(st);
    assert_int_equal(souk_store_ping(f->db), 0);
    /* stepping to the end resets too: the next step starts again */
    st = souk_store_stmt(f->db, "SELECT count(*) FROM n");
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_DONE);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    souk_stmt_done(st);
}

static void test_data_version(void **state)
{
    fixture *f = *state;
    exec_ok(f->db, "CREATE TABLE dv (x INTEGER)");
    souk_store *other;
    char err[256];
    assert_int_equal(souk_store_open(&other, f->path, err, sizeof err), 0);
    int64_t v1 = souk_store_data_version(f->db);
    assert_true(v1 >= 0);
    assert_int_equal(souk_store_data_version(f->db), v1); /* stable while nothing happens */
    /* another connection commits: the number changes */
    exec_ok(other, "INSERT INTO dv VALUES (1)");
    int64_t v2 = souk_store_data_version(f->db);
    assert_true(v2 >= 0);
    assert_true(v2 != v1);
    assert_int_equal(count_rows(f->db, "dv"), 1);
    /* and again through a transaction */
    struct tx_ctx c = {0, 0, "v"};
    exec_ok(other, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    int64_t v3 = souk_store_data_version(f->db);
    assert_int_equal(souk_store_tx(other, tx_insert, &c), 0);
    int64_t v4 = souk_store_data_version(f->db);
    assert_true(v4 != v3);
    souk_store_close(other);
}

static void test_read_transaction(void **state)
{
    fixture *f = *state;
    exec_ok(f->db, "CREATE TABLE rt (x INTEGER)");
    exec_ok(f->db, "INSERT INTO rt VALUES (1)");
    souk_store *other;
    char err[256];
    assert_int_equal(souk_store_open(&other, f->path, err, sizeof err), 0);
    /* inside a read transaction every statement sees one snapshot */
    assert_int_equal(souk_store_read_begin(f->db), 0);
    assert_int_equal(count_rows(f->db, "rt"), 1);
    exec_ok(other, "INSERT INTO rt VALUES (2)"); /* WAL: the writer is not blocked */
    assert_int_equal(count_rows(f->db, "rt"), 1);
    /* a statement left half-way does not keep the snapshot past the end */
    souk_stmt *st = souk_store_stmt(f->db, "SELECT x FROM rt");
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    souk_store_read_end(f->db);
    assert_int_equal(count_rows(f->db, "rt"), 2);
    /* ending twice, or without a transaction, is harmless */
    souk_store_read_end(f->db);
    /* writes work again afterwards */
    struct tx_ctx c = {3, 0, "after"};
    exec_ok(f->db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), 3);
    souk_store_close(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrate, setup, teardown),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test_setup_teardown(test_statement_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statement_cache_eviction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dollar_binding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_constraints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changes_idle_ping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_transaction, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
