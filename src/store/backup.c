/*
 * backup.c — souk_store_backup, souk_store_restore and the serving lock
 * (store.h), the same for every adapter that keeps its database in one file.
 *
 * Design
 * - A backup is written beside its destination as PATH.tmp by the adapter
 *   (SQLite: the online backup API in one read snapshot), fsynced, renamed
 *   over PATH and the directory fsynced, so PATH is either the old file or
 *   a complete new one, never half of one. The renamed copy is then opened
 *   and checked like a restore would check it.
 * - Who serves a database: every `souk serve` and `souk worker` holds a
 *   shared flock on PATH.lock for as long as it runs (souk_store_hold; the
 *   kernel drops it when the process dies, even by SIGKILL, so a crash
 *   leaves no stale lock). A restore takes it exclusively without waiting:
 *   it fails at once while anyone serves, and a server started during the
 *   restore refuses to start. SQLite's own locks cannot tell: an idle
 *   server holds none of them between requests.
 * - A restore never works on the backup itself: it copies it next to the
 *   database first (PATH.restoring), checks the copy (opening a SQLite file
 *   may write to it), and only then swaps files by rename.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/adapter.h"
#include "core/banned.h"

#define PATH_MAX_LEN 4096

static int fsync_path(const char *path, bool dir)
{
    int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

static int fsync_dir_of(const char *path)
{
    char copy[PATH_MAX_LEN];
    if ((size_t)snprintf(copy, sizeof copy, "%s", path) >= sizeof copy)
        return -1;
    return fsync_path(dirname(copy), true);
}

/* Removes PATH and the -wal / -shm files SQLite may have left beside it. */
static void remove_db_files(const char *path)
{
    char side[2 * PATH_MAX_LEN];
    unlink(path);
    if ((size_t)snprintf(side, sizeof side, "%s-wal", path) < sizeof side)
        unlink(side);
    if ((size_t)snprintf(side, sizeof side, "%s-shm", path) < sizeof side)
        unlink(side);
}

/* Opens PATH (which must exist), checks its integrity and reads its schema
 * version into *VERSION. 0, or -1 with the reason in ERR. */
static int check_file(const char *path, int *version, int *latest, char *err, size_t errlen)
{
    souk_store *db;
    char why[512];
    if (souk_store_open_existing(&db, path, why, sizeof why) < 0) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    int r = db->ops->check ? db->ops->check(db, why, sizeof why) : 0;
    if (r != 0) {
        snprintf(err, errlen, "%s is not an intact database: %s", path, why);
        souk_store_close(db);
        return -1;
    }
    *version = souk_store_schema_version(db);
    if (latest)
        *latest = souk_store_migrations_latest(db);
    souk_store_close(db);
    if (*version < 0) {
        snprintf(err, errlen, "cannot read the schema version of %s", path);
        return -1;
    }
    return 0;
}

int souk_store_backup(souk_store *db, const char *path, souk_store_progress progress, void *ctx, int *version,
                      char *err, size_t errlen)
{
    if (!db->ops->backup) {
        snprintf(err, errlen,
                 "the %s adapter has no file backup: use pg_dump -Fc and pg_restore (see docs/deploy.md, "
                 "\"Backup and restore\")",
                 db->ops->name);
        return -1;
    }
    if (db->tx_depth || db->read_tx) {
        snprintf(err, errlen, "a backup cannot run inside a transaction");
        return -1;
    }
    char tmp[PATH_MAX_LEN];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        snprintf(err, errlen, "path too long");
        return -1;
    }
    remove_db_files(tmp); /* a previous attempt's leftovers */
    souk_store_idle(db);
    if (db->ops->backup(db, tmp, progress, ctx) < 0) {
        snprintf(err, errlen, "%s", db->errmsg);
        remove_db_files(tmp);
        return -1;
    }
    if (fsync_path(tmp, false) < 0 || rename(tmp, path) < 0 || fsync_dir_of(path) < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        remove_db_files(tmp);
        return -1;
    }
    char why[1024];
    if (check_file(path, version, NULL, why, sizeof why) < 0) {
        snprintf(err, errlen, "the backup was written but does not verify: %s", why);
        return -1;
    }
    return 0;
}

int souk_store_check(souk_store *db, char *why, size_t whylen)
{
    if (!db->ops->check) {
        snprintf(why, whylen, "the %s adapter has no integrity check", db->ops->name);
        return SOUK_DB_HARD;
    }
    return db->ops->check(db, why, whylen);
}

/* Opens and flocks DSN's lock file with OP (LOCK_SH / LOCK_EX), without
 * waiting. The descriptor (≥ 0), -1 with ERRNO EWOULDBLOCK when another
 * process holds it, or -1 on another failure. */
static int lock_file(const char *file, int op)
{
    char path[2 * PATH_MAX_LEN];
    if ((size_t)snprintf(path, sizeof path, "%s.lock", file) >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (flock(fd, op | LOCK_NB) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int souk_store_hold(const char *dsn, char *err, size_t errlen)
{
    const char *file = souk_store_file(dsn);
    if (!file)
        return 0;
    int fd = lock_file(file, LOCK_SH);
    if (fd < 0) {
        if (errno == EWOULDBLOCK)
            snprintf(err, errlen, "%s is being restored ('souk restore' holds %s.lock); start souk after it", file,
                     file);
        else
            snprintf(err, errlen, "cannot lock %s.lock: %s", file, strerror(errno));
        return -1;
    }
    return 0; /* FD stays open, and the lock held, until the process exits */
}

/* Copies SRC to DST (created, fsynced). 0, or -1 with ERR. */
static int copy_file(const char *src, const char *dst, char *err, size_t errlen)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        snprintf(err, errlen, "cannot read %s: %s", src, strerror(errno));
        return -1;
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
        snprintf(err, errlen, "cannot create %s: %s", dst, strerror(errno));
        close(in);
        return -1;
    }
    char buf[1 << 16];
    ssize_t n;
    int r = 0;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w <= 0) {
                r = -1;
                break;
            }
            off += w;
        }
        if (r < 0)
            break;
    }
    if (n < 0 || r < 0 || fsync(out) < 0) {
        snprintf(err, errlen, "cannot copy %s to %s: %s", src, dst, strerror(errno));
        r = -1;
    }
    close(in);
    close(out);
    return r;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* With the exclusive lock held: the swap itself. */
static int restore_locked(const char *file, const char *backup, souk_store_restore_info *info, char *err, size_t errlen)
{
    char staged[2 * PATH_MAX_LEN], before[2 * PATH_MAX_LEN], why[1024];
    snprintf(staged, sizeof staged, "%s.restoring", file);
    snprintf(before, sizeof before, "%s.before-restore", file);
    if (exists(before)) {
        snprintf(err, errlen, "%s exists from an earlier restore: move it away first", before);
        return -1;
    }
    remove_db_files(staged);
    if (copy_file(backup, staged, err, errlen) < 0) {
        remove_db_files(staged);
        return -1;
    }
    int latest = 0;
    if (check_file(staged, &info->backup_version, &latest, why, sizeof why) < 0) {
        snprintf(err, errlen, "refused: the backup %s does not verify (damaged, truncated or not a database): %s",
                 backup, why);
        remove_db_files(staged);
        return -1;
    }
    if (info->backup_version > latest) {
        snprintf(err, errlen,
                 "refused: the backup's schema version %d is newer than this souk's (%d): restore it with the "
                 "souk that made it",
                 info->backup_version, latest);
        remove_db_files(staged);
        return -1;
    }
    if (exists(file)) {
        /* opening and closing the current database folds its WAL back in,
         * so one file holds all of it before it is moved aside */
        souk_store *cur;
        if (souk_store_open_existing(&cur, file, why, sizeof why) == 0)
            souk_store_close(cur);
        char side[2 * PATH_MAX_LEN];
        snprintf(side, sizeof side, "%s-wal", file);
        if (exists(side)) {
            snprintf(err, errlen, "%s still has a write-ahead log (%s): is a process using it?", file, side);
            remove_db_files(staged);
            return -1;
        }
        if (rename(file, before) < 0) {
            snprintf(err, errlen, "cannot keep %s as %s: %s", file, before, strerror(errno));
            remove_db_files(staged);
            return -1;
        }
        snprintf(side, sizeof side, "%s-shm", file);
        unlink(side);
        info->kept_previous = true;
    }
    if (rename(staged, file) < 0 || fsync_dir_of(file) < 0) {
        snprintf(err, errlen, "cannot put the backup in place: %s", strerror(errno));
        if (info->kept_previous)
            rename(before, file);
        info->kept_previous = false;
        return -1;
    }
    souk_store *db;
    if (souk_store_open_existing(&db, file, why, sizeof why) < 0) {
        snprintf(err, errlen, "restored, but cannot open it: %s", why);
        return -1;
    }
    int r = souk_store_migrate(db, &info->migrated);
    info->version = souk_store_schema_version(db);
    if (r < 0)
        snprintf(err, errlen, "restored, but migrating it failed: %s", db->errmsg);
    souk_store_close(db);
    return r < 0 ? -1 : 0;
}

int souk_store_restore(const char *dsn, const char *backup, souk_store_restore_info *info, char *err, size_t errlen)
{
    *info = (souk_store_restore_info){0};
    const char *file = souk_store_file(dsn);
    if (!file) {
        snprintf(err, errlen,
                 "%s is not a SQLite file: restore a PostgreSQL database with pg_restore (see docs/deploy.md, "
                 "\"Backup and restore\")",
                 dsn);
        return -1;
    }
    if (!exists(backup)) {
        snprintf(err, errlen, "refused: no backup at %s", backup);
        return -1;
    }
    int fd = lock_file(file, LOCK_EX);
    if (fd < 0) {
        if (errno == EWOULDBLOCK)
            snprintf(err, errlen,
                     "refused: a souk process serves %s (it holds %s.lock); stop every 'souk serve' and "
                     "'souk worker' on it first",
                     file, file);
        else
            snprintf(err, errlen, "cannot lock %s.lock: %s", file, strerror(errno));
        return -1;
    }
    int r = restore_locked(file, backup, info, err, errlen);
    close(fd);
    return r;
}
