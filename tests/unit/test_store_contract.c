/*
 * The storage port's contract (src/store/store.h), written against the port
 * only, with SQL every adapter must run: each test runs once per adapter in
 * `backends` below. What only one database does (SQLite's parameter
 * syntaxes, its write-ahead log) is tested in test_store_sqlite.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "store/row.h"
#include "store/store.h"

/* ---- the adapters under test ---- */

typedef struct backend {
    const char *name;
    /* Writes a DSN for a fresh, empty database into DSN; 0 or -1. */
    int (*create)(char *dsn, size_t len);
    /* Removes what create made. */
    void (*destroy)(const char *dsn);
    const char *blob_type; /* the column type of bytes */
} backend;

static int sqlite_create(char *dsn, size_t len)
{
    char path[64] = "/tmp/souk-test-contract-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    snprintf(dsn, len, "sqlite:%s", path);
    return 0;
}

static void sqlite_destroy(const char *dsn)
{
    const char *path = dsn + strlen("sqlite:");
    char p[96];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

/* PostgreSQL: a fresh database on the server SOUK_TEST_PG_DSN names
 * (postgresql://user@host:port, no database; tests/run.sh starts one with
 * scripts/pg-test.sh). Without it the PostgreSQL half is reported skipped. */
static int pg_admin(const char *sql)
{
    const char *base = getenv("SOUK_TEST_PG_DSN");
    char dsn[256], err[256];
    souk_store *db = NULL;
    snprintf(dsn, sizeof dsn, "%s/postgres", base);
    if (souk_store_open(&db, dsn, err, sizeof err) != 0) {
        fprintf(stderr, "postgres: %s\n", err);
        return -1;
    }
    int r = souk_store_exec(db, sql, NULL);
    if (r != SOUK_DB_DONE)
        fprintf(stderr, "postgres: %s: %s\n", sql, souk_store_errmsg(db));
    souk_store_close(db);
    return r == SOUK_DB_DONE ? 0 : -1;
}

static int pg_create(char *dsn, size_t len)
{
    static int n;
    char name[64], sql[128];
    snprintf(name, sizeof name, "souk_contract_%d_%d", (int)getpid(), ++n);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    if (pg_admin(sql) < 0)
        return -1;
    snprintf(dsn, len, "%s/%s", getenv("SOUK_TEST_PG_DSN"), name);
    return 0;
}

static void pg_destroy(const char *dsn)
{
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", strrchr(dsn, '/') + 1);
    pg_admin(sql);
}

static const backend backends[] = {
    {"sqlite", sqlite_create, sqlite_destroy, "BLOB"},
    {"postgres", pg_create, pg_destroy, "BYTEA"},
};

static const backend *current;

typedef struct fixture {
    char dsn[256];
    souk_store *db;
} fixture;

static int setup(void **state)
{
    static fixture f;
    char err[256];
    if (current->create(f.dsn, sizeof f.dsn) < 0)
        return -1;
    if (souk_store_open(&f.db, f.dsn, err, sizeof err) != 0) {
        fprintf(stderr, "open %s: %s\n", f.dsn, err);
        return -1;
    }
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    souk_store_close(f->db);
    current->destroy(f->dsn);
    return 0;
}

static souk_store *second_connection(fixture *f)
{
    souk_store *other = NULL;
    char err[256];
    if (souk_store_open(&other, f->dsn, err, sizeof err) != 0)
        fail_msg("second connection: %s", err);
    return other;
}

static void exec_ok(souk_store *db, const char *sql)
{
    int r = souk_store_exec(db, sql, NULL);
    if (r != SOUK_DB_DONE)
        fail_msg("exec %s -> %d (%s)", sql, r, souk_store_errmsg(db));
}

static int64_t count_rows(souk_store *db, const char *table_where)
{
    char sql[256];
    int64_t n = -1;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table_where);
    assert_int_equal(souk_store_one(db, sql, NULL, SOUK_COLS(SOUK_COL_I64(&n))), SOUK_DB_ROW);
    return n;
}

/* ---- connections and migrations ---- */

static void test_open(void **state)
{
    fixture *f = *state;
    assert_string_equal(souk_store_backend(f->db), current->name);
    assert_int_equal(souk_store_ping(f->db), 0);
    souk_store *db = (souk_store *)0x1;
    char err[256] = "";
    /* unknown schemes and adapters this binary lacks are refused with a reason */
    assert_int_equal(souk_store_open(&db, "mysql://localhost/shop", err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown database"));
    assert_int_equal(souk_store_open(&db, "", err, sizeof err), -1);
    assert_int_equal(souk_store_open(&db, NULL, err, sizeof err), -1);
    assert_ptr_equal(db, (souk_store *)0x1); /* untouched on failure */
    souk_store_close(NULL);                  /* allowed */
}

static void test_migrate(void **state)
{
    fixture *f = *state;
    assert_int_equal(souk_store_schema_version(f->db), 0);
    int applied = -1;
    assert_int_equal(souk_store_migrate(f->db, &applied), 0);
    assert_true(applied > 0);
    int version = souk_store_schema_version(f->db);
    assert_true(version > 0);
    assert_int_equal(count_rows(f->db, "schema_migrations"), applied);
    assert_int_equal(count_rows(f->db, "products"), 0); /* the catalog tables exist */
    /* a second run applies nothing, on this and on a fresh connection */
    assert_int_equal(souk_store_migrate(f->db, &applied), 0);
    assert_int_equal(applied, 0);
    souk_store *other = second_connection(f);
    assert_int_equal(souk_store_schema_version(other), version);
    assert_int_equal(souk_store_migrate(other, &applied), 0);
    assert_int_equal(applied, 0);
    souk_store_close(other);
}

/* ---- typed parameters ---- */

static void test_params(void **state)
{
    fixture *f = *state;
    char ddl[128];
    snprintf(ddl, sizeof ddl, "CREATE TABLE p (id BIGINT PRIMARY KEY, i BIGINT, t TEXT, flag BOOLEAN, b %s)",
             current->blob_type);
    exec_ok(f->db, ddl);
    char buf[16] = "hello world";
    int r = souk_store_exec(f->db, "INSERT INTO p (id, i, t, flag, b) VALUES ($1, $2, $3, $4, $5)",
                            SOUK_ARGS(SOUK_I64(1), SOUK_I64(-9007199254740993LL), SOUK_TEXTN(buf, 5), SOUK_BOOL(7),
                                      SOUK_BLOB("\0\1\2", 3)));
    assert_int_equal(r, SOUK_DB_DONE);
    memset(buf, 'X', sizeof buf - 1); /* the binding took a copy */
    /* NULLs: SOUK_NULL, a NULL text pointer, SOUK_REF(0) */
    r = souk_store_exec(f->db, "INSERT INTO p (id, i, t, flag) VALUES ($1, $2, $3, $4)",
                        SOUK_ARGS(SOUK_I64(2), SOUK_REF(0), SOUK_TEXT(NULL), SOUK_NULL));
    assert_int_equal(r, SOUK_DB_DONE);
    assert_int_equal(
        souk_store_exec(f->db, "INSERT INTO p (id, i) VALUES ($1, $2)", SOUK_ARGS(SOUK_I64(3), SOUK_REF(42))),
        SOUK_DB_DONE);

    int64_t i = 0;
    char t[16] = "";
    bool flag = false, i_null = false, t_null = false;
    r = souk_store_one(f->db, "SELECT i, t, flag FROM p WHERE id = $1", SOUK_ARGS(SOUK_I64(1)),
                       SOUK_COLS(SOUK_COL_I64(&i), SOUK_COL_STR(t), SOUK_COL_BOOL(&flag)));
    assert_int_equal(r, SOUK_DB_ROW);
    assert_true(i == -9007199254740993LL); /* 64 bits, not a double */
    assert_string_equal(t, "hello");
    assert_true(flag);
    size_t blen = 0, blen2 = 0;
    souk_stmt *st = souk_store_query(f->db, "SELECT b, b FROM p WHERE id = $1", SOUK_ARGS(SOUK_I64(1)));
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    /* two blobs of one row stay readable together */
    const void *b1 = souk_stmt_blob(st, 0, &blen), *b2 = souk_stmt_blob(st, 1, &blen2);
    assert_memory_equal(b1, "\0\1\2", 3);
    assert_memory_equal(b2, "\0\1\2", 3);
    assert_int_equal(blen, 3);
    assert_int_equal(blen2, 3);
    souk_stmt_done(st);

    i = 5, flag = true;
    r = souk_store_one(f->db, "SELECT i, t, flag FROM p WHERE id = $1", SOUK_ARGS(SOUK_I64(2)),
                       SOUK_COLS(SOUK_COL_NULLABLE(SOUK_COL_I64(&i), &i_null),
                                 SOUK_COL_NULLABLE(SOUK_COL_STR(t), &t_null), SOUK_COL_BOOL(&flag)));
    assert_int_equal(r, SOUK_DB_ROW);
    assert_true(i_null && t_null);
    assert_true(i == 0 && t[0] == '\0' && !flag); /* NULL reads as 0 / "" / false */
    assert_int_equal(
        souk_store_one(f->db, "SELECT i FROM p WHERE id = $1", SOUK_ARGS(SOUK_I64(3)), SOUK_COLS(SOUK_COL_I64(&i))),
        SOUK_DB_ROW);
    assert_int_equal(i, 42);

    /* one parameter used twice and out of order */
    int64_t a = 0, b = 0, c = 0;
    r = souk_store_one(f->db, "SELECT $2 + 0, $1 + 0, $2 + $1", SOUK_ARGS(SOUK_I64(10), SOUK_I64(20)),
                       SOUK_COLS(SOUK_COL_I64(&a), SOUK_COL_I64(&b), SOUK_COL_I64(&c)));
    assert_int_equal(r, SOUK_DB_ROW);
    assert_true(a == 20 && b == 10 && c == 30);

    /* the arguments must match the parameters the SQL names exactly */
    assert_null(souk_store_query(f->db, "SELECT $1 + $2", SOUK_ARGS(SOUK_I64(1))));
    assert_null(souk_store_query(f->db, "SELECT $1 + 0", SOUK_ARGS(SOUK_I64(1), SOUK_I64(2))));
    assert_null(souk_store_query(f->db, "SELECT $1 + 0", NULL));
    assert_null(souk_store_query(f->db, "SELECT 1", SOUK_ARGS(SOUK_I64(1))));
    /* a NULL statement steps as a hard error; done and one accept it */
    assert_int_equal(souk_stmt_step(NULL), SOUK_DB_HARD);
    souk_stmt_done(NULL);
    assert_int_equal(souk_store_one(f->db, "SELECT $1 + 0", NULL, NULL), SOUK_DB_HARD);
    assert_int_equal(souk_store_exec(f->db, "SELEKT 1", NULL), SOUK_DB_HARD);
    /* and the connection is fine afterwards */
    assert_int_equal(souk_store_ping(f->db), 0);
}

/* ---- typed columns ---- */

static void test_columns(void **state)
{
    fixture *f = *state;
    exec_ok(f->db, "CREATE TABLE c (id BIGINT PRIMARY KEY, t TEXT)");
    assert_int_equal(
        souk_store_exec(f->db, "INSERT INTO c (id, t) VALUES ($1, $2), ($3, $4)",
                        SOUK_ARGS(SOUK_I64(1), SOUK_TEXT("caf\xc3\xa9 au lait"), SOUK_I64(2), SOUK_TEXT("tea"))),
        SOUK_DB_DONE);
    /* a short buffer truncates at a character boundary, never inside é */
    char small[5] = "zzzz";
    assert_int_equal(souk_store_one(f->db, "SELECT t FROM c WHERE id = 1", NULL, SOUK_COLS(SOUK_COL_STR(small))),
                     SOUK_DB_ROW);
    assert_string_equal(small, "caf");
    char fits[6];
    assert_int_equal(souk_store_one(f->db, "SELECT t FROM c WHERE id = 1", NULL, SOUK_COLS(SOUK_COL_STR(fits))),
                     SOUK_DB_ROW);
    assert_string_equal(fits, "caf\xc3\xa9");
    /* copies that outlive the row: malloc'd and in an arena */
    char *dup = NULL, *in_arena = NULL;
    souk_arena arena;
    souk_arena_init(&arena, 1024, 1 << 20);
    int64_t id = 0;
    assert_int_equal(
        souk_store_one(f->db, "SELECT id, t, t FROM c WHERE id = 2", NULL,
                       SOUK_COLS(SOUK_COL_I64(&id), SOUK_COL_DUP(&dup), SOUK_COL_ARENA(&in_arena, &arena))),
        SOUK_DB_ROW);
    assert_int_equal(id, 2);
    assert_string_equal(dup, "tea");
    assert_string_equal(in_arena, "tea");
    free(dup);
    souk_arena_release(&arena);
    /* skipped columns, and no row at all: DONE leaves the outputs alone */
    id = 77;
    assert_int_equal(
        souk_store_one(f->db, "SELECT t, id FROM c WHERE id = 2", NULL, SOUK_COLS(SOUK_COL_SKIP, SOUK_COL_I64(&id))),
        SOUK_DB_ROW);
    assert_int_equal(id, 2);
    id = 77;
    assert_int_equal(souk_store_one(f->db, "SELECT id FROM c WHERE id = 3", NULL, SOUK_COLS(SOUK_COL_I64(&id))),
                     SOUK_DB_DONE);
    assert_int_equal(id, 77);
    /* more specs than columns is our bug: a hard error */
    int64_t x, y;
    assert_int_equal(
        souk_store_one(f->db, "SELECT id FROM c WHERE id = 2", NULL, SOUK_COLS(SOUK_COL_I64(&x), SOUK_COL_I64(&y))),
        SOUK_DB_HARD);
    /* iterating with souk_stmt_next */
    souk_stmt *st = souk_store_query(f->db, "SELECT id, t FROM c ORDER BY id", NULL);
    char t[16];
    int n = 0, r;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&id), SOUK_COL_STR(t)))) == SOUK_DB_ROW)
        assert_int_equal(id, ++n);
    assert_int_equal(r, SOUK_DB_DONE);
    assert_int_equal(n, 2);
    assert_string_equal(t, "tea");
}

/* ---- the statement cache ---- */

static void test_statement_cache(void **state)
{
    fixture *f = *state;
    souk_stmt *a = souk_store_query(f->db, "SELECT 1", NULL);
    souk_stmt *b = souk_store_query(f->db, "SELECT 1", NULL);
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_ptr_not_equal(a, souk_store_query(f->db, "SELECT 2", NULL));
    /* a cached statement comes back reset with the new bindings */
    souk_stmt *st = souk_store_query(f->db, "SELECT $1 + 0", SOUK_ARGS(SOUK_I64(42)));
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    assert_int_equal(souk_stmt_i64(st, 0), 42);
    souk_stmt *again = souk_store_query(f->db, "SELECT $1 + 0", SOUK_ARGS(SOUK_I64(7)));
    assert_ptr_equal(again, st);
    assert_int_equal(souk_stmt_step(again), SOUK_DB_ROW);
    assert_int_equal(souk_stmt_i64(again, 0), 7);
    souk_stmt_done(again);
    /* bad SQL gives NULL */
    assert_null(souk_store_query(f->db, "SELEKT nothing", NULL));
    assert_null(souk_store_query(f->db, "SELECT * FROM no_such_table", NULL));
    /* only $1 … $64 */
    assert_null(souk_store_query(f->db, "SELECT $0", NULL));
    assert_null(souk_store_query(f->db, "SELECT $65", NULL));
    /* many distinct statements (beyond the cache size) keep working */
    for (int i = 0; i < 700; i++) {
        char sql[64];
        int64_t v = 0;
        snprintf(sql, sizeof sql, "SELECT %d + $1", i);
        assert_int_equal(souk_store_one(f->db, sql, SOUK_ARGS(SOUK_I64(1)), SOUK_COLS(SOUK_COL_I64(&v))), SOUK_DB_ROW);
        assert_int_equal(v, i + 1);
    }
    assert_int_equal(souk_store_ping(f->db), 0);
}

/* A full cache evicts one least recently used statement, never one that is
 * mid-rows, and frees evicted ones only at souk_store_idle. */
static void test_statement_cache_eviction(void **state)
{
    fixture *f = *state;
    souk_stmt *rows = souk_store_query(
        f->db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5) SELECT x FROM c", NULL);
    assert_int_equal(souk_stmt_step(rows), SOUK_DB_ROW);
    assert_int_equal(souk_stmt_i64(rows, 0), 1);
    souk_stmt *held = souk_store_query(f->db, "SELECT $1 * 2", SOUK_ARGS(SOUK_I64(21))); /* not stepped yet */
    souk_stmt *hot = souk_store_query(f->db, "SELECT 'hot'", NULL);
    for (int i = 0; i < 2000; i++) {
        char sql[64];
        int64_t v = -1;
        snprintf(sql, sizeof sql, "SELECT %d", i);
        assert_int_equal(souk_store_one(f->db, sql, NULL, SOUK_COLS(SOUK_COL_I64(&v))), SOUK_DB_ROW);
        assert_int_equal(v, i);
        if (i % 50 == 0) /* used often: stays cached, the same statement */
            assert_ptr_equal(souk_store_query(f->db, "SELECT 'hot'", NULL), hot);
    }
    /* the statement in the middle of its rows was kept and goes on */
    for (int x = 2; x <= 5; x++) {
        assert_int_equal(souk_stmt_step(rows), SOUK_DB_ROW);
        assert_int_equal(souk_stmt_i64(rows, 0), x);
    }
    assert_int_equal(souk_stmt_step(rows), SOUK_DB_DONE);
    /* the held one was evicted but stays valid until the connection is idle */
    assert_int_equal(souk_stmt_step(held), SOUK_DB_ROW);
    assert_int_equal(souk_stmt_i64(held, 0), 42);
    souk_stmt_done(held);
    souk_store_idle(f->db);
    int64_t v = 0;
    assert_int_equal(souk_store_one(f->db, "SELECT $1 * 2", SOUK_ARGS(SOUK_I64(4)), SOUK_COLS(SOUK_COL_I64(&v))),
                     SOUK_DB_ROW);
    assert_int_equal(v, 8);
}

/* ---- writes, changes, idle ---- */

static void test_changes_idle_ping(void **state)
{
    fixture *f = *state;
    exec_ok(f->db, "CREATE TABLE n (x BIGINT)");
    assert_int_equal(souk_store_update(f->db, "INSERT INTO n VALUES (1), (2), (3)", NULL), 3);
    assert_int_equal(souk_store_changes(f->db), 3);
    assert_int_equal(souk_store_update(f->db, "UPDATE n SET x = x + 1 WHERE x >= $1", SOUK_ARGS(SOUK_I64(2))), 2);
    assert_int_equal(souk_store_update(f->db, "DELETE FROM n WHERE x = 100", NULL), 0);
    assert_int_equal(souk_store_update(f->db, "DELETE FROM nowhere", NULL), SOUK_DB_HARD);
    /* RETURNING rows are ignored by exec and readable by one */
    int64_t x = 0;
    assert_int_equal(
        souk_store_one(f->db, "UPDATE n SET x = x * 10 WHERE x = 1 RETURNING x", NULL, SOUK_COLS(SOUK_COL_I64(&x))),
        SOUK_DB_ROW);
    assert_int_equal(x, 10);
    /* idle resets statements left half-way */
    souk_stmt *st = souk_store_query(f->db, "SELECT x FROM n ORDER BY x", NULL);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    assert_int_equal(souk_stmt_i64(st, 0), 3);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    assert_int_equal(souk_stmt_i64(st, 0), 4);
    souk_store_idle(f->db);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    assert_int_equal(souk_stmt_i64(st, 0), 3); /* started over */
    souk_stmt_done(st);
    assert_int_equal(souk_store_ping(f->db), 0);
    /* stepping to the end resets too: the next step starts again */
    st = souk_store_query(f->db, "SELECT count(*) FROM n", NULL);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_DONE);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    souk_stmt_done(st);
}

/* ---- transactions ---- */

typedef struct tx_ctx {
    int ret;
    int calls;
    const char *value;
} tx_ctx;

static int tx_insert(souk_store *db, void *arg)
{
    tx_ctx *c = arg;
    c->calls++;
    int r = souk_store_exec(db, "INSERT INTO t (id, v) VALUES ((SELECT coalesce(max(id), 0) + 1 FROM t), $1)",
                            SOUK_ARGS(SOUK_TEXT(c->value)));
    return r < 0 ? r : c->ret;
}

/* a failed write inside a transaction undoes only itself: the body goes on */
static int tx_fail_then_go_on(souk_store *db, void *arg)
{
    (void)arg;
    const char *ins = "INSERT INTO t (id, v) VALUES ($1, $2)";
    int r = souk_store_exec(db, ins, SOUK_ARGS(SOUK_I64(100), SOUK_TEXT("first")));
    if (r < 0)
        return r;
    assert_int_equal(souk_store_exec(db, ins, SOUK_ARGS(SOUK_I64(101), SOUK_TEXT("first"))), SOUK_DB_CONSTRAINT);
    assert_int_equal(souk_store_exec(db, ins, SOUK_ARGS(SOUK_I64(102), SOUK_TEXT("bad"))), SOUK_DB_CONSTRAINT);
    assert_int_equal(count_rows(db, "t WHERE id >= 100"), 1);
    return souk_store_exec(db, ins, SOUK_ARGS(SOUK_I64(103), SOUK_TEXT("after")));
}

static void test_tx(void **state)
{
    fixture *f = *state;
    exec_ok(f->db, "CREATE TABLE t (id BIGINT PRIMARY KEY, v TEXT NOT NULL UNIQUE CHECK (v <> 'bad'))");
    tx_ctx c = {7, 0, "a"};
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), 7);
    assert_int_equal(c.calls, 1);
    assert_int_equal(count_rows(f->db, "t WHERE v = 'a'"), 1);
    c = (tx_ctx){0, 0, "zero"};
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), 0);
    assert_int_equal(count_rows(f->db, "t WHERE v = 'zero'"), 1);
    /* a negative result rolls back and is returned as is */
    c = (tx_ctx){-5, 0, "b"};
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), -5);
    assert_int_equal(c.calls, 1);
    assert_int_equal(count_rows(f->db, "t WHERE v = 'b'"), 0);
    c = (tx_ctx){SOUK_DB_HARD, 0, "b"};
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), SOUK_DB_HARD);
    assert_int_equal(count_rows(f->db, "t WHERE v = 'b'"), 0);
    /* SOFT means retry: the body runs again (bounded) and nothing sticks */
    c = (tx_ctx){SOUK_DB_SOFT, 0, "soft"};
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), SOUK_DB_SOFT);
    assert_true(c.calls > 1 && c.calls <= 10);
    assert_int_equal(count_rows(f->db, "t WHERE v = 'soft'"), 0);
    /* constraint failures inside roll everything back */
    c = (tx_ctx){0, 0, "a"};
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), SOUK_DB_CONSTRAINT);
    /* the connection is usable after all of that */
    c = (tx_ctx){1, 0, "c"};
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), 1);
    assert_int_equal(count_rows(f->db, "t"), 3);
    /* a statement that fails inside a transaction does not end it */
    assert_int_equal(souk_store_tx(f->db, tx_fail_then_go_on, NULL), SOUK_DB_DONE);
    assert_int_equal(count_rows(f->db, "t WHERE id >= 100"), 2);
}

/* two joined writes inside an outer transaction: they are its own */
static int tx_join_twice(souk_store *db, void *arg)
{
    tx_ctx *c = arg;
    tx_ctx one = {0, 0, "j1"}, bad = {0, 0, "a"}; /* "a" is taken: the UNIQUE fails */
    int r = souk_store_tx_join(db, tx_insert, &one);
    if (r < 0)
        return r;
    /* a joined write that fails leaves nothing and the outer transaction goes on */
    assert_int_equal(souk_store_tx_join(db, tx_insert, &bad), SOUK_DB_CONSTRAINT);
    assert_int_equal(count_rows(db, "t WHERE v = 'j1'"), 1);
    c->calls++;
    return c->ret;
}

static void test_tx_join(void **state)
{
    fixture *f = *state;
    exec_ok(f->db, "CREATE TABLE t (id BIGINT PRIMARY KEY, v TEXT NOT NULL UNIQUE CHECK (v <> 'bad'))");
    /* outside a transaction it is one of its own */
    tx_ctx c = {3, 0, "a"};
    assert_int_equal(souk_store_tx_join(f->db, tx_insert, &c), 3);
    assert_int_equal(count_rows(f->db, "t WHERE v = 'a'"), 1);
    c = (tx_ctx){-5, 0, "b"};
    assert_int_equal(souk_store_tx_join(f->db, tx_insert, &c), -5);
    assert_int_equal(count_rows(f->db, "t WHERE v = 'b'"), 0);
    /* inside one it commits and rolls back with it */
    c = (tx_ctx){0, 0, NULL};
    assert_int_equal(souk_store_tx(f->db, tx_join_twice, &c), 0);
    assert_int_equal(count_rows(f->db, "t WHERE v = 'j1'"), 1);
    exec_ok(f->db, "DELETE FROM t WHERE v = 'j1'");
    c = (tx_ctx){-7, 0, NULL};
    assert_int_equal(souk_store_tx(f->db, tx_join_twice, &c), -7);
    assert_int_equal(c.calls, 1);
    assert_int_equal(count_rows(f->db, "t WHERE v = 'j1'"), 0);
}

typedef struct run_ctx {
    souk_err answer;
    int calls;
    souk_problems *pr;
    souk_arena *arena;
} run_ctx;

static souk_err run_body(souk_store *db, void *arg)
{
    run_ctx *c = arg;
    c->calls++;
    souk_problems_add(c->pr, c->arena, "attempt", "%d", c->calls);
    int r = souk_store_exec(db, "INSERT INTO r (id) VALUES ($1)", SOUK_ARGS(SOUK_I64(c->calls)));
    if (r < 0)
        return souk_store_dberr(r);
    return c->calls < 3 && c->answer == SOUK_E_UNAVAILABLE ? SOUK_E_UNAVAILABLE : c->answer;
}

static void test_run(void **state)
{
    fixture *f = *state;
    exec_ok(f->db, "CREATE TABLE r (id BIGINT PRIMARY KEY)");
    souk_arena arena;
    souk_arena_init(&arena, 1024, 1 << 20);
    souk_problems pr;
    souk_problems_init(&pr);
    /* UNAVAILABLE runs the body again, dropping the failed attempts' problems */
    run_ctx c = {SOUK_E_UNAVAILABLE, 0, &pr, &arena};
    assert_int_equal(souk_store_run(f->db, run_body, &c, &pr), SOUK_E_UNAVAILABLE);
    assert_true(c.calls >= 3);
    assert_int_equal(pr.count, 1); /* only the last attempt's */
    souk_problems_init(&pr);
    c = (run_ctx){SOUK_OK, 0, &pr, &arena};
    exec_ok(f->db, "DELETE FROM r");
    assert_int_equal(souk_store_run(f->db, run_body, &c, &pr), SOUK_OK);
    assert_int_equal(pr.count, 1);
    assert_int_equal(count_rows(f->db, "r"), 1);
    /* another error rolls back and comes back unchanged */
    c = (run_ctx){SOUK_E_CONFLICT, 1, &pr, &arena};
    assert_int_equal(souk_store_run(f->db, run_body, &c, &pr), SOUK_E_CONFLICT);
    assert_int_equal(count_rows(f->db, "r"), 1);
    /* a constraint failure maps to CONFLICT */
    c = (run_ctx){SOUK_OK, 0, &pr, &arena};
    assert_int_equal(souk_store_run(f->db, run_body, &c, &pr), SOUK_E_CONFLICT);
    souk_arena_release(&arena);
}

static void test_constraints(void **state)
{
    fixture *f = *state;
    exec_ok(f->db, "CREATE TABLE u (id BIGINT PRIMARY KEY, v TEXT NOT NULL UNIQUE CHECK (v <> 'bad'))");
    exec_ok(f->db, "INSERT INTO u (id, v) VALUES (1, 'x')");
    const char *ins = "INSERT INTO u (id, v) VALUES ($1, $2)";
    assert_int_equal(souk_store_exec(f->db, ins, SOUK_ARGS(SOUK_I64(2), SOUK_TEXT("x"))), SOUK_DB_CONSTRAINT);
    assert_true(strlen(souk_store_errmsg(f->db)) > 0);
    assert_int_equal(souk_store_exec(f->db, ins, SOUK_ARGS(SOUK_I64(2), SOUK_NULL)), SOUK_DB_CONSTRAINT);
    assert_int_equal(souk_store_exec(f->db, ins, SOUK_ARGS(SOUK_I64(2), SOUK_TEXT("bad"))), SOUK_DB_CONSTRAINT);
    assert_int_equal(souk_store_exec(f->db, ins, SOUK_ARGS(SOUK_I64(1), SOUK_TEXT("y"))), SOUK_DB_CONSTRAINT);
    /* foreign keys are enforced */
    exec_ok(f->db, "CREATE TABLE w (id BIGINT PRIMARY KEY, u_id BIGINT REFERENCES u(id))");
    assert_int_equal(souk_store_exec(f->db, "INSERT INTO w (id, u_id) VALUES (1, $1)", SOUK_ARGS(SOUK_I64(999))),
                     SOUK_DB_CONSTRAINT);
    /* a statement error is not sticky */
    assert_int_equal(count_rows(f->db, "u"), 1);
}

/* ---- snapshots and change detection ---- */

static void test_read_transaction(void **state)
{
    fixture *f = *state;
    exec_ok(f->db, "CREATE TABLE rt (x BIGINT)");
    exec_ok(f->db, "INSERT INTO rt VALUES (1)");
    souk_store *other = second_connection(f);
    /* inside a read transaction every statement sees one snapshot */
    assert_int_equal(souk_store_read_begin(f->db), 0);
    assert_int_equal(count_rows(f->db, "rt"), 1);
    exec_ok(other, "INSERT INTO rt VALUES (2)"); /* the writer is not blocked */
    assert_int_equal(count_rows(f->db, "rt"), 1);
    /* a statement left half-way does not keep the snapshot past the end */
    souk_stmt *st = souk_store_query(f->db, "SELECT x FROM rt", NULL);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    souk_store_read_end(f->db);
    assert_int_equal(count_rows(f->db, "rt"), 2);
    souk_store_read_end(f->db); /* ending twice, or without a transaction, is harmless */
    exec_ok(f->db, "CREATE TABLE t (id BIGINT PRIMARY KEY, v TEXT)");
    tx_ctx c = {3, 0, "after"};
    assert_int_equal(souk_store_tx(f->db, tx_insert, &c), 3); /* writes work again */
    souk_store_close(other);
}

static void test_change_mark(void **state)
{
    fixture *f = *state;
    exec_ok(f->db, "CREATE TABLE dv (x BIGINT)");
    souk_store *other = second_connection(f);
    int64_t v1 = souk_store_change_mark(f->db);
    assert_true(v1 >= 0);
    assert_true(souk_store_change_mark(f->db) == v1); /* stable while nothing happens */
    exec_ok(other, "INSERT INTO dv VALUES (1)");      /* another connection commits */
    int64_t v2 = souk_store_change_mark(f->db);
    assert_true(v2 >= 0 && v2 != v1);
    assert_int_equal(count_rows(f->db, "dv"), 1);
    exec_ok(other, "CREATE TABLE t (id BIGINT PRIMARY KEY, v TEXT)");
    int64_t v3 = souk_store_change_mark(f->db);
    tx_ctx c = {0, 0, "v"};
    assert_int_equal(souk_store_tx(other, tx_insert, &c), 0);
    assert_true(souk_store_change_mark(f->db) != v3);
    souk_store_close(other);
}

static int touch_twice(souk_store *db, void *arg)
{
    (void)arg;
    int r = souk_store_touch(db, "content");
    return r < 0 ? r : souk_store_touch(db, "content");
}

static void test_touch_version(void **state)
{
    fixture *f = *state;
    assert_int_equal(souk_store_migrate(f->db, NULL), 0); /* the meta table */
    assert_int_equal(souk_store_version(f->db, "content"), 0);
    assert_int_equal(souk_store_tx(f->db, touch_twice, NULL), SOUK_DB_DONE);
    assert_int_equal(souk_store_version(f->db, "content"), 2);
    souk_store *other = second_connection(f);
    assert_int_equal(souk_store_version(other, "content"), 2);
    assert_int_equal(souk_store_version(other, "elsewhere"), 0);
    souk_store_close(other);
    assert_int_equal(souk_store_scrub(f->db), 0); /* nothing else holds old data */
}

/* ---- memos ---- */

static int memos_freed;

static void count_free(void *memo)
{
    memos_freed++;
    free(memo);
}

static void test_memos(void **state)
{
    fixture *f = *state;
    static const char key_a, key_b;
    static const char keys[SOUK_STORE_MEMOS];
    memos_freed = 0;
    assert_null(souk_store_memo(f->db, &key_a));
    assert_null(souk_store_memo(f->db, NULL));
    assert_int_equal(souk_store_memo_set(f->db, NULL, NULL, NULL), -1);
    int *one = malloc(sizeof *one), *two = malloc(sizeof *two);
    assert_int_equal(souk_store_memo_set(f->db, &key_a, one, count_free), 0);
    assert_ptr_equal(souk_store_memo(f->db, &key_a), one);
    assert_null(souk_store_memo(f->db, &key_b));
    /* replacing frees the old one; setting the same one again does not */
    assert_int_equal(souk_store_memo_set(f->db, &key_a, two, count_free), 0);
    assert_int_equal(memos_freed, 1);
    assert_int_equal(souk_store_memo_set(f->db, &key_a, two, count_free), 0);
    assert_int_equal(memos_freed, 1);
    assert_ptr_equal(souk_store_memo(f->db, &key_a), two);
    /* another connection has its own */
    souk_store *other = second_connection(f);
    assert_null(souk_store_memo(other, &key_a));
    /* a full connection refuses another key; the caller keeps the memo */
    for (size_t i = 0; i + 1 < SOUK_STORE_MEMOS; i++)
        assert_int_equal(souk_store_memo_set(other, &keys[i], malloc(1), count_free), 0);
    assert_int_equal(souk_store_memo_set(other, &key_b, NULL, NULL), 0);
    int *refused = malloc(sizeof *refused);
    assert_int_equal(souk_store_memo_set(other, &key_a, refused, count_free), -1);
    free(refused);
    souk_store_close(other); /* frees the SOUK_STORE_MEMOS - 1 it held (key_b's has no free function) */
    assert_int_equal(memos_freed, 1 + SOUK_STORE_MEMOS - 1);
    /* closing frees what is left (teardown closes f->db; count it here) */
    souk_store_close(f->db);
    assert_int_equal(memos_freed, SOUK_STORE_MEMOS + 1);
    char err[256];
    assert_int_equal(souk_store_open(&f->db, f->dsn, err, sizeof err), 0);
}

static void test_row_json(void **state)
{
    fixture *f = *state;
    souk_stmt *st = souk_store_query(f->db, "SELECT 'caf\xc3\xa9', NULL, 42, 1768473000000000, 7", NULL);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    json_t *row =
        json_pack("[o,o,o,o,o,o,o,o,o]", souk_row_text(st, 0), souk_row_text(st, 1), souk_row_text_or_null(st, 1),
                  souk_row_int_or_null(st, 2), souk_row_int_or_null(st, 1), souk_row_time(st, 3), souk_row_time(st, 1),
                  souk_row_id(st, 4, "ord"), souk_row_id(st, 1, "ord"));
    souk_stmt_done(st);
    assert_non_null(row);
    char *text = json_dumps(row, JSON_COMPACT);
    char id[64];
    snprintf(id, sizeof id, "%s", json_string_value(json_array_get(row, 7)));
    assert_true(strncmp(id, "ord_", 4) == 0);
    char want[256];
    snprintf(want, sizeof want, "[\"caf\xc3\xa9\",\"\",null,42,null,\"2026-01-15T10:30:00.000000Z\",null,\"%s\",null]",
             id);
    assert_string_equal(text, want);
    free(text);
    json_decref(row);
}

/* ---- several writers at once ---- */

#define WRITERS 4
#define APPENDS 25

typedef struct writer {
    const char *dsn;
    int id;
    bool late; /* write something else first */
    int failures;
    int calls; /* of the transaction's body, retries included */
    int claimed[APPENDS * WRITERS];
    int nclaimed;
} writer;

/* One append to the toy chain: the head's seq and value, then the next. */
static int chain_append(souk_store *db, void *arg)
{
    writer *w = arg;
    w->calls++;
    if (w->late) {
        char sql[96];
        snprintf(sql, sizeof sql, "UPDATE chain_side SET n = n + 1 WHERE id = %d", w->id);
        int r = souk_store_exec(db, sql, NULL);
        if (r < 0)
            return r;
    }
    int64_t seq = 0, val = 0;
    int r = souk_store_one(db, "SELECT seq, val FROM chain ORDER BY seq DESC LIMIT 1", NULL,
                           SOUK_COLS(SOUK_COL_I64(&seq), SOUK_COL_I64(&val)));
    if (r < 0)
        return r;
    r = souk_store_exec(db, "INSERT INTO chain (seq, prev, val) VALUES ($1, $2, $3)",
                        SOUK_ARGS(SOUK_I64(seq + 1), SOUK_I64(val),
                                  SOUK_I64((int64_t)(((uint64_t)val * 31u + (uint64_t)w->id + 1u) >> 1))));
    return r == SOUK_DB_CONSTRAINT ? SOUK_DB_SOFT : r < 0 ? r : 0;
}

static void *chain_writer(void *arg)
{
    writer *w = arg;
    souk_store *db = NULL;
    char err[256];
    if (souk_store_open(&db, w->dsn, err, sizeof err) != 0) {
        w->failures = APPENDS;
        return NULL;
    }
    for (int i = 0; i < APPENDS; i++) {
        int r = souk_store_tx(db, chain_append, w);
        if (r < 0) {
            fprintf(stderr, "append %d of writer %d: %d (%s)\n", i, w->id, r, souk_store_errmsg(db));
            w->failures++;
        }
    }
    souk_store_close(db);
    return NULL;
}

/* One write transaction at a time (souk_store_tx): four connections append
 * to one hash chain at once, half of them with another write first; every
 * append lands, in one order, each on the head its predecessor committed,
 * and none has to run again (on PostgreSQL the writer lock comes before the
 * snapshot, so no serialization failure). */
static void test_chain_lock(void **state)
{
    fixture *f = *state;
    exec_ok(f->db, "CREATE TABLE chain (seq BIGINT PRIMARY KEY, prev BIGINT NOT NULL, val BIGINT NOT NULL)");
    exec_ok(f->db, "CREATE TABLE chain_side (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)");
    exec_ok(f->db, "INSERT INTO chain_side (id, n) VALUES (0, 0), (1, 0), (2, 0), (3, 0)");
    writer w[WRITERS];
    pthread_t t[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (writer){.dsn = f->dsn, .id = i, .late = i % 2};
        assert_int_equal(pthread_create(&t[i], NULL, chain_writer, &w[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].failures, 0);
        assert_int_equal(w[i].calls, APPENDS);
    }
    assert_int_equal(count_rows(f->db, "chain"), WRITERS * APPENDS);
    souk_stmt *st = souk_store_query(f->db, "SELECT seq, prev, val FROM chain ORDER BY seq", NULL);
    int64_t seq, prev, val, want_seq = 1, last = 0;
    while (souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&seq), SOUK_COL_I64(&prev), SOUK_COL_I64(&val))) == SOUK_DB_ROW) {
        assert_int_equal(seq, want_seq++);
        assert_int_equal(prev, last); /* chained to the head committed before it */
        last = val;
    }
    souk_stmt_done(st);
}

/* One claim: the oldest unclaimed row read, then marked (no condition in
 * the UPDATE: what the job queue does), in a serializable transaction. */
static int claim_one(souk_store *db, void *arg)
{
    writer *w = arg;
    int64_t id = 0;
    int r =
        souk_store_one(db, "SELECT id FROM q WHERE owner = -1 ORDER BY id LIMIT 1", NULL, SOUK_COLS(SOUK_COL_I64(&id)));
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? 1 : r;
    r = souk_store_exec(db, "UPDATE q SET owner = $2 WHERE id = $1", SOUK_ARGS(SOUK_I64(id), SOUK_I64(w->id)));
    if (r < 0)
        return r;
    w->claimed[w->nclaimed++] = (int)id;
    return 0;
}

static void *claimer(void *arg)
{
    writer *w = arg;
    souk_store *db = NULL;
    char err[256];
    if (souk_store_open(&db, w->dsn, err, sizeof err) != 0) {
        w->failures = 1;
        return NULL;
    }
    for (;;) {
        int before = w->nclaimed;
        int r = souk_store_tx(db, claim_one, w);
        if (r < 0) {
            w->nclaimed = before; /* rolled back: not claimed */
            w->failures++;
            if (w->failures > 50)
                break;
            continue;
        }
        if (r == 1)
            break;
    }
    souk_store_close(db);
    return NULL;
}

/* A read-then-update claim hands every row to exactly one of four
 * connections claiming at once (the job queue's claim relies on it). */
static void test_claim_once(void **state)
{
    fixture *f = *state;
    exec_ok(f->db, "CREATE TABLE q (id BIGINT PRIMARY KEY, owner BIGINT NOT NULL)");
    for (int i = 1; i <= WRITERS * APPENDS; i++) {
        char sql[80];
        snprintf(sql, sizeof sql, "INSERT INTO q (id, owner) VALUES (%d, -1)", i);
        exec_ok(f->db, sql);
    }
    static writer w[WRITERS];
    pthread_t t[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (writer){.dsn = f->dsn, .id = i};
        assert_int_equal(pthread_create(&t[i], NULL, claimer, &w[i]), 0);
    }
    int seen[WRITERS * APPENDS + 1] = {0}, total = 0;
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(t[i], NULL);
        for (int k = 0; k < w[i].nclaimed; k++) {
            assert_int_equal(seen[w[i].claimed[k]], 0); /* nobody else claimed it */
            seen[w[i].claimed[k]] = 1;
            total++;
        }
    }
    assert_int_equal(total, WRITERS * APPENDS);
    assert_int_equal(count_rows(f->db, "q WHERE owner = -1"), 0);
    for (int i = 0; i < WRITERS; i++) {
        char where[64];
        snprintf(where, sizeof where, "q WHERE owner = %d", i);
        assert_int_equal(count_rows(f->db, where), w[i].nclaimed);
    }
}

static void *insert_later(void *arg)
{
    souk_store *other = arg;
    usleep(100 * 1000);
    souk_store_exec(other, "INSERT INTO w VALUES (2)", NULL);
    return NULL;
}

/* souk_store_wait_change: PostgreSQL tells of other connections' commits
 * (its own not), also one that lands while it waits; SQLite cannot. */
static void test_wait_change(void **state)
{
    fixture *f = *state;
    int r0 = souk_store_wait_change(f->db, 0);
    if (strcmp(souk_store_backend(f->db), "postgres") != 0) {
        assert_int_equal(r0, -1);
        return;
    }
    assert_int_equal(r0, 0);
    exec_ok(f->db, "CREATE TABLE w (x BIGINT)"); /* its own commit */
    assert_int_equal(souk_store_wait_change(f->db, 0), 0);
    souk_store *other = second_connection(f);
    exec_ok(other, "INSERT INTO w VALUES (1)");
    assert_int_equal(souk_store_wait_change(f->db, 5000), 1);
    assert_int_equal(souk_store_wait_change(f->db, 0), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, insert_later, other), 0);
    assert_int_equal(souk_store_wait_change(f->db, 10000), 1);
    pthread_join(t, NULL);
    assert_int_equal(count_rows(f->db, "w"), 2);
    souk_store_close(other);
}

static int64_t backend_pid(souk_store *db)
{
    int64_t pid = 0;
    assert_int_equal(souk_store_one(db, "SELECT pg_backend_pid()", NULL, SOUK_COLS(SOUK_COL_I64(&pid))), SOUK_DB_ROW);
    return pid;
}

/* Ends DB's session on the server, as a restart of PostgreSQL would. */
static void terminate(souk_store *other, int64_t pid)
{
    int64_t ok = 0;
    assert_int_equal(souk_store_one(other, "SELECT pg_terminate_backend($1::int)::int", SOUK_ARGS(SOUK_I64(pid)),
                                    SOUK_COLS(SOUK_COL_I64(&ok))),
                     SOUK_DB_ROW);
    assert_int_equal(ok, 1);
    usleep(50 * 1000); /* the backend is gone before the next statement */
}

typedef struct kill_ctx {
    souk_store *other;
    int64_t pid;
} kill_ctx;

static int tx_insert_kill_insert(souk_store *db, void *arg)
{
    kill_ctx *k = arg;
    int r = souk_store_exec(db, "INSERT INTO rc VALUES (10)", NULL);
    if (r < 0)
        return r;
    terminate(k->other, k->pid);
    return souk_store_exec(db, "INSERT INTO rc VALUES (11)", NULL);
}

static int tx_insert_one(souk_store *db, void *arg)
{
    (void)arg;
    return souk_store_exec(db, "INSERT INTO rc VALUES (3)", NULL);
}

/* A session lost on the server (PostgreSQL restarted): the connection makes
 * a new one by itself. A read or a BEGIN that found it dead is sent again on
 * the new one; a write is not (it fails, souk_store_lost says why); a
 * transaction that lost its session fails as a whole, never finished on a
 * new one. SQLite has no session to lose. */
static void test_reconnect(void **state)
{
    fixture *f = *state;
    if (strcmp(souk_store_backend(f->db), "postgres") != 0) {
        assert_false(souk_store_lost(f->db));
        return;
    }
    souk_store *other = second_connection(f);
    exec_ok(f->db, "CREATE TABLE rc (x BIGINT)");
    exec_ok(f->db, "INSERT INTO rc VALUES (1)");
    assert_int_equal(count_rows(f->db, "rc"), 1); /* a prepared statement of the first session */
    int64_t pid = backend_pid(f->db);

    terminate(other, pid);
    assert_int_equal(count_rows(f->db, "rc"), 1); /* prepared again on a new session */
    assert_false(souk_store_lost(f->db));
    int64_t pid2 = backend_pid(f->db);
    assert_true(pid2 != pid);

    /* a write prepared on this session, sent on it once it is dead: not sent again (whether the
     * server had it is unknown in general); a write not yet prepared (above: the trial prepare
     * found the session dead) never reached the old session, and goes to the new one */
    exec_ok(f->db, "INSERT INTO rc VALUES (1)");
    terminate(other, pid2);
    assert_true(souk_store_exec(f->db, "INSERT INTO rc VALUES (1)", NULL) < 0);
    assert_true(souk_store_lost(f->db));
    usleep(250 * 1000);                                             /* past the reconnect's pause */
    assert_int_equal(souk_store_tx(f->db, tx_insert_one, NULL), 0); /* BEGIN on a new session */
    assert_false(souk_store_lost(f->db));
    assert_int_equal(count_rows(f->db, "rc"), 3);
    terminate(other, backend_pid(f->db));
    assert_int_equal(souk_store_tx(f->db, tx_insert_one, NULL), 0); /* BEGIN found it dead: sent again */
    assert_int_equal(count_rows(f->db, "rc"), 4);

    kill_ctx k = {other, backend_pid(f->db)};
    assert_true(souk_store_tx(f->db, tx_insert_kill_insert, &k) < 0);
    assert_int_equal(count_rows(f->db, "rc"), 4); /* nothing of it kept */
    assert_int_equal(count_rows(f->db, "rc WHERE x = 11"), 0);
    souk_store_close(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statement_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statement_cache_eviction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changes_idle_ping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_join, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_constraints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_mark, setup, teardown),
        cmocka_unit_test_setup_teardown(test_touch_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memos, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chain_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconnect, setup, teardown),
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof backends / sizeof *backends; i++) {
        current = &backends[i];
        if (current->create == pg_create && !getenv("SOUK_TEST_PG_DSN")) {
            printf("[  SKIPPED ] postgres: SOUK_TEST_PG_DSN is not set (tests/run.sh starts a server)\n");
            continue;
        }
        failed += _cmocka_run_group_tests(current->name, tests, sizeof tests / sizeof *tests, NULL, NULL);
    }
    return failed;
}
