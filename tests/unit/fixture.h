/*
 * fixture.h — what the unit tests share: a fresh, migrated database in a
 * temporary file, removed with its WAL files afterwards. Header-only
 * (static functions); include it once per test file, after cmocka.h.
 *
 *   souk_test_db t;
 *   assert_int_equal(souk_test_db_open(&t, "orders"), 0);   // migrated
 *   ... t.db ...
 *   souk_test_db_close(&t);
 */
#ifndef SOUK_TEST_FIXTURE_H
#define SOUK_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "store/store.h"

typedef struct souk_test_db {
    char path[80];
    char dsn[96];
    souk_store *db;
} souk_test_db;

/* Removes the database file PATH and its -wal and -shm companions. */
static inline void souk_test_db_remove(const char *path)
{
    char p[100];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

/* Creates an empty database named after WHAT in /tmp without migrating it;
 * 0 or -1 (reason on stderr). Logs below WARN are silenced. */
static inline int souk_test_db_open_empty(souk_test_db *t, const char *what)
{
    memset(t, 0, sizeof *t);
    souk_log_set_level(SOUK_LOG_WARN);
    snprintf(t->path, sizeof t->path, "/tmp/souk-test-%.20s-XXXXXX", what);
    int fd = mkstemp(t->path);
    if (fd < 0)
        return -1;
    close(fd);
    snprintf(t->dsn, sizeof t->dsn, "sqlite:%s", t->path);
    char err[256];
    if (souk_store_open(&t->db, t->dsn, err, sizeof err) != 0) {
        fprintf(stderr, "open %s: %s\n", t->dsn, err);
        return -1;
    }
    return 0;
}

/* The same, migrated to the current schema. */
static inline int souk_test_db_open(souk_test_db *t, const char *what)
{
    if (souk_test_db_open_empty(t, what) < 0)
        return -1;
    if (souk_store_migrate(t->db, NULL) != 0) {
        fprintf(stderr, "migrate %s: %s\n", t->dsn, souk_store_errmsg(t->db));
        return -1;
    }
    return 0;
}

/* Another connection to the same database (for concurrency tests); NULL on failure. */
static inline souk_store *souk_test_db_connect(const souk_test_db *t)
{
    souk_store *db = NULL;
    char err[256];
    return souk_store_open(&db, t->dsn, err, sizeof err) == 0 ? db : NULL;
}

/* Closes and removes the database. */
static inline void souk_test_db_close(souk_test_db *t)
{
    souk_store_close(t->db);
    t->db = NULL;
    souk_test_db_remove(t->path);
}

#endif
