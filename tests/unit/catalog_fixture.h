/*
 * catalog_fixture.h — shared by the catalog unit tests: a migrated database
 * in a temporary file, an arena and a problem list, and expect_field().
 * Included by one test file each (static functions).
 */
#ifndef SOUK_TEST_CATALOG_FIXTURE_H
#define SOUK_TEST_CATALOG_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "core/id.h"
#include "core/log.h"

typedef struct fixture {
    char path[64];
    souk_store *db;
    souk_arena a;
    souk_problems pr;
} fixture;

static int setup(void **state)
{
    static fixture f;
    souk_log_set_level(SOUK_LOG_WARN);
    snprintf(f.path, sizeof f.path, "/tmp/souk-test-catalog-XXXXXX");
    int fd = mkstemp(f.path);
    if (fd < 0)
        return -1;
    close(fd);
    char err[256];
    if (souk_store_open(&f.db, f.path, err, sizeof err) != 0 || souk_store_migrate(f.db, NULL) != 0)
        return -1;
    souk_arena_init(&f.a, 16384, 0);
    souk_problems_init(&f.pr);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    souk_store_close(f->db);
    souk_arena_release(&f->a);
    char p[96];
    unlink(f->path);
    snprintf(p, sizeof p, "%s-wal", f->path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", f->path);
    unlink(p);
    return 0;
}

static void expect_field(const souk_problems *pr, const char *field)
{
    for (size_t i = 0; i < pr->count; i++)
        if (strcmp(pr->items[i].field, field) == 0)
            return;
    for (size_t i = 0; i < pr->count; i++)
        print_message("  problem: %s: %s\n", pr->items[i].field, pr->items[i].message);
    fail_msg("no problem for field \"%s\"", field);
}
#endif
