/*
 * backup.c — the SQLite adapter's online backup and integrity check
 * (adapter.h: backup, check; the port's side is src/store/backup.c).
 *
 * Design: the backup API copies pages from the source connection to a new
 * file a step at a time, taking the source's read lock only during a step,
 * so a serving process keeps writing meanwhile. Left alone it restarts
 * whenever another connection writes between steps — which, under a steady
 * stream of orders, could be forever. So the copy runs inside one read
 * transaction of the source connection: in WAL mode that pins a snapshot
 * (writers append to the WAL behind it), every step reads the same
 * snapshot, and the backup never restarts. The copy is the database as of
 * the moment the read transaction began.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/sqlite/internal.h"
#include "core/banned.h"

#define PAGES_PER_STEP 256 /* 1 MiB of 4 KiB pages: a step holds the source's lock a few ms */

static void pause_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

int souk__sqlite_backup(souk_store *db, const char *path, souk_store_progress progress, void *ctx)
{
    sqlite3 *src = souk__sqlite_handle(db);
    sqlite3 *dst = NULL;
    int rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        souk__store_set_err(db, "cannot create %s: %s", path, dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
        sqlite3_close(dst);
        return SOUK_DB_HARD;
    }
    /* the snapshot: a read transaction that has read something */
    char *msg = NULL;
    rc = sqlite3_exec(src, "BEGIN; SELECT count(*) FROM sqlite_master;", NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        souk__store_set_err(db, "cannot start the snapshot: %s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        sqlite3_exec(src, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(dst);
        return SOUK_DB_HARD;
    }
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b) {
        souk__store_set_err(db, "cannot start the backup: %s", sqlite3_errmsg(dst));
        sqlite3_exec(src, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(dst);
        return SOUK_DB_HARD;
    }
    int busy = 0;
    do {
        rc = sqlite3_backup_step(b, PAGES_PER_STEP);
        if (progress) {
            int total = sqlite3_backup_pagecount(b);
            progress(ctx, total - sqlite3_backup_remaining(b), total);
        }
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) { /* the destination is ours; this is brief */
            if (++busy > 5000)
                break;
            pause_ms(1);
        }
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
    int r = SOUK_DB_DONE;
    if (rc != SQLITE_DONE) {
        souk__store_set_err(db, "backup failed: %s", sqlite3_errstr(rc));
        r = SOUK_DB_HARD;
    }
    sqlite3_exec(src, "COMMIT", NULL, NULL, NULL); /* ends the read transaction */
    /* the copy keeps the source's WAL mode; closing it leaves one file */
    if (sqlite3_close(dst) != SQLITE_OK && r == SOUK_DB_DONE) {
        souk__store_set_err(db, "cannot close %s", path);
        r = SOUK_DB_HARD;
    }
    return r;
}

int souk__sqlite_check(souk_store *db, char *why, size_t whylen)
{
    sqlite3 *h = souk__sqlite_handle(db);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        souk__store_set_err(db, "integrity_check: %s", sqlite3_errmsg(h));
        snprintf(why, whylen, "%s", sqlite3_errmsg(h));
        return SOUK_DB_HARD;
    }
    rc = sqlite3_step(st);
    int r;
    if (rc == SQLITE_ROW) {
        const char *first = (const char *)sqlite3_column_text(st, 0);
        r = first && strcmp(first, "ok") == 0 ? 0 : 1;
        if (r)
            snprintf(why, whylen, "%s", first ? first : "(no answer)");
    } else {
        snprintf(why, whylen, "%s", sqlite3_errmsg(h));
        souk__store_set_err(db, "integrity_check: %s", sqlite3_errmsg(h));
        r = SOUK_DB_HARD;
    }
    sqlite3_finalize(st);
    return r;
}
