/*
 * internal.h — what the SQLite adapter's files share (src/store/sqlite/).
 */
#ifndef SOUK_STORE_SQLITE_INTERNAL_H
#define SOUK_STORE_SQLITE_INTERNAL_H

#include <sqlite3.h>

#include "store/adapter.h"

/* The sqlite3 handle of the adapter's connection DB. */
sqlite3 *souk__sqlite_handle(souk_store *db);

/* The adapter's backup and check operations (backup.c; adapter.h). */
int souk__sqlite_backup(souk_store *db, const char *path, souk_store_progress progress, void *ctx);
int souk__sqlite_check(souk_store *db, char *why, size_t whylen);

#endif
