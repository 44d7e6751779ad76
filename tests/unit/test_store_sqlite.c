/*
 * What only the SQLite adapter does (src/store/sqlite/sqlite.c): the forms
 * of its DSN, the parameter syntaxes it refuses, its connection settings and
 * scrubbing the write-ahead log; a read replica refused. The port's contract, which every adapter
 * meets, is tested in test_store_contract.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    snprintf(f.path, sizeof f.path, "/tmp/souk-test-sqlite-XXXXXX");
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

static void test_dsn_forms(void **state)
{
    fixture *f = *state;
    assert_int_equal(souk_store_exec(f->db, "CREATE TABLE here (x BIGINT)", NULL), SOUK_DB_DONE);
    /* a plain path, sqlite:PATH, sqlite://PATH and sqlite:///ABS all name the same file */
    char dsn[128], err[256];
    const char *forms[] = {"%s", "sqlite:%s", "sqlite://%s"};
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        snprintf(dsn, sizeof dsn, forms[i], f->path); /* f->path is absolute: sqlite:///tmp/… */
        souk_store *db = NULL;
        assert_int_equal(souk_store_open(&db, dsn, err, sizeof err), 0);
        assert_string_equal(souk_store_backend(db), "sqlite");
        assert_int_equal(souk_store_one(db, "SELECT 1 FROM sqlite_master WHERE name = 'here'", NULL, NULL),
                         SOUK_DB_ROW);
        souk_store_close(db);
    }
    /* a path holding a colon after a slash is still a path */
    souk_store *db = (souk_store *)0x1;
    assert_int_equal(souk_store_open(&db, "/nonexistent-dir-souk/a:b/y.db", err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
    assert_int_equal(souk_store_open(&db, "sqlite:", err, sizeof err), -1);
    /* opening an existing database never creates one */
    assert_int_equal(souk_store_open_existing(&db, "/tmp/souk-no-such-db-file.db", err, sizeof err), -1);
    assert_int_equal(access("/tmp/souk-no-such-db-file.db", F_OK), -1);
    souk_store *same = NULL;
    assert_int_equal(souk_store_open_existing(&same, f->path, err, sizeof err), 0);
    assert_int_equal(souk_store_table_exists(same, "here"), 1);
    assert_int_equal(souk_store_table_exists(same, "nowhere"), 0);
    souk_store_close(same);
    /* postgres:// selects the PostgreSQL adapter: a server that is not there is named as such */
    assert_int_equal(souk_store_open(&db, "postgres://127.0.0.1:1/shop?connect_timeout=2", err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot connect to PostgreSQL"));
    assert_ptr_equal(db, (souk_store *)0x1);
}

static void test_parameter_syntax(void **state)
{
    fixture *f = *state;
    /* SQLite's own parameter forms are refused: SQL must read the same on PostgreSQL */
    assert_null(souk_store_query(f->db, "SELECT ?", NULL));
    assert_null(souk_store_query(f->db, "SELECT :name", NULL));
    assert_null(souk_store_query(f->db, "SELECT @name", NULL));
    /* a gap in the numbering leaves a parameter no argument can fill */
    assert_null(souk_store_query(f->db, "SELECT $1 + $3", SOUK_ARGS(SOUK_I64(1), SOUK_I64(2), SOUK_I64(3))));
    assert_int_equal(souk_store_ping(f->db), 0);
}

static void test_settings(void **state)
{
    fixture *f = *state;
    char mode[16] = "";
    int64_t fk = 0;
    assert_int_equal(souk_store_one(f->db, "PRAGMA journal_mode", NULL, SOUK_COLS(SOUK_COL_STR(mode))), SOUK_DB_ROW);
    assert_string_equal(mode, "wal");
    assert_int_equal(souk_store_one(f->db, "PRAGMA foreign_keys", NULL, SOUK_COLS(SOUK_COL_I64(&fk))), SOUK_DB_ROW);
    assert_int_equal(fk, 1);
}

static void test_scrub_truncates_the_log(void **state)
{
    fixture *f = *state;
    assert_int_equal(souk_store_exec(f->db, "CREATE TABLE s (t TEXT)", NULL), SOUK_DB_DONE);
    assert_int_equal(souk_store_exec(f->db, "INSERT INTO s VALUES ($1)", SOUK_ARGS(SOUK_TEXT("secret@example.com"))),
                     SOUK_DB_DONE);
    assert_int_equal(souk_store_exec(f->db, "DELETE FROM s", NULL), SOUK_DB_DONE);
    char wal[96];
    struct stat sb;
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    assert_int_equal(stat(wal, &sb), 0);
    assert_true(sb.st_size > 0);
    assert_int_equal(souk_store_scrub(f->db), 0);
    assert_int_equal(stat(wal, &sb), 0);
    assert_int_equal(sb.st_size, 0);
}

/* SOUK_DB_REPLICA is PostgreSQL's: refused with a SQLite primary or replica (and the primary
 * itself); none configured, every pick answers the primary. */
static void test_replica_refused(void **state)
{
    fixture *f = *state;
    char err[512];
    assert_int_equal(souk_store_replica_configure(f->path, "postgresql://souk@127.0.0.1:1/shop", 1000, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "needs a PostgreSQL primary"));
    assert_non_null(strstr(err, "SQLite database has no streaming replica"));
    assert_int_equal(souk_store_replica_configure("postgresql://a@h/shop", f->path, 1000, err, sizeof err), -1);
    assert_non_null(strstr(err, "postgresql://"));
    assert_int_equal(
        souk_store_replica_configure("postgresql://a@h/shop", "postgresql://a@h/shop", 1000, err, sizeof err), -1);
    assert_non_null(strstr(err, "the primary itself"));
    assert_false(souk_store_replica_enabled());
    assert_int_equal(souk_store_replica_configure(f->path, "", 1000, err, sizeof err), 0);
    assert_false(souk_store_replica_enabled());
    souk_store *slot = NULL;
    int64_t lag = -1;
    assert_ptr_equal(souk_store_replica_pick(f->db, &slot, "test", &lag), f->db);
    assert_null(slot);
    assert_int_equal(lag, 0);
    assert_ptr_equal(souk_store_replica_here(f->db, "test", true), f->db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dsn_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parameter_syntax, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scrub_truncates_the_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replica_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
