/*
 * cmd_backup.c — `souk backup FILE` and `souk restore FILE`: a SQLite
 * database copied while souk serves it, and put back while it does not
 * (store.h "backup and restore"). On PostgreSQL both print the pg_dump /
 * pg_restore procedure of docs/deploy.md instead.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/cli.h"
#include "core/time.h"
#include "core/banned.h"

static const char backup_usage[] =
    "usage: souk backup [--db DSN] FILE\n\n"
    "Copies the SQLite database to FILE while souk keeps serving it (SQLite's online backup API, in\n"
    "steps, from one snapshot: the copy holds every write committed before the backup began). The\n"
    "copy is written to FILE.tmp, fsynced and renamed, then checked (PRAGMA integrity_check) and its\n"
    "schema version printed. A progress bar goes to stderr. Back up the key file (DATABASE.key, or\n"
    "SOUK_KEY_FILE) once, separately: without it the signing keys in the copy cannot be opened.\n"
    "On PostgreSQL it prints the pg_dump procedure instead. --db defaults to SOUK_DB, then ./souk.db.\n";

static const char restore_usage[] =
    "usage: souk restore [--db DSN] FILE\n\n"
    "Replaces the SQLite database with the backup FILE. Refused while any 'souk serve' or 'souk\n"
    "worker' runs on the database (each holds a shared lock on DATABASE.lock; restore needs it\n"
    "alone), when FILE does not pass PRAGMA integrity_check, or when its schema version is newer\n"
    "than this souk's. The replaced database is kept as DATABASE.before-restore; a backup older\n"
    "than this souk is migrated forward. On PostgreSQL it prints the pg_restore procedure instead.\n";

/* What docs/deploy.md says, for a database on PostgreSQL. */
static void print_pg_procedure(const char *dsn, bool restore)
{
    fprintf(stderr,
            "souk: %s is a PostgreSQL database: 'souk %s' is for SQLite files. Use PostgreSQL's own tools\n"
            "(docs/deploy.md, \"Backup and restore\"):\n\n"
            "  backup (while souk serves; one consistent snapshot):\n"
            "    pg_dump -Fc --no-owner -d \"$SOUK_DB\" -f souk.dump\n\n"
            "  restore (souk stopped on every node; into a new, empty database):\n"
            "    createdb -T template0 souk_restored\n"
            "    pg_restore --no-owner --exit-on-error -d souk_restored souk.dump\n"
            "    then point SOUK_DB at it and start souk (it migrates forward if the dump is older)\n",
            dsn, restore ? "restore" : "backup");
}

typedef struct progress_ctx {
    int64_t started;
} progress_ctx;

static void on_progress(void *vctx, int64_t done, int64_t total)
{
    progress_ctx *p = vctx;
    char tail[64];
    double s = (double)(souk_time_mono_us() - p->started) / 1e6;
    snprintf(tail, sizeof tail, "%lld/%lld pages, %.1f s", (long long)done, (long long)total, s);
    souk_cli_progress(stderr, "backup", (uint64_t)done, (uint64_t)total, tail, 0);
}

/* Parses [--db DSN] FILE into CFG and *FILE. 0, or an exit code. */
static int parse(int argc, char **argv, const char *usage, const char *name, souk_config *cfg, const char **file)
{
    static const struct option long_opts[] = {
        {"db", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    if (souk_cli_config_getopt(cfg, false) < 0)
        return SOUK_EXIT_USAGE;
    int c;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        }
        if (c != 'd') {
            fprintf(stderr, "souk: see 'souk %s --help'\n", name);
            return SOUK_EXIT_USAGE;
        }
        if (souk_cli_set_db(cfg, optarg) < 0)
            return SOUK_EXIT_USAGE;
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "souk: %s needs exactly one FILE; see 'souk %s --help'\n", name, name);
        return SOUK_EXIT_USAGE;
    }
    *file = argv[optind];
    return 0;
}

int souk_cmd_backup(int argc, char **argv)
{
    souk_config cfg;
    const char *file;
    int p = parse(argc, argv, backup_usage, "backup", &cfg, &file);
    if (p != 0)
        return p < 0 ? SOUK_EXIT_OK : p;
    if (!souk_store_file(cfg.db_dsn)) {
        print_pg_procedure(cfg.db_dsn, false);
        return SOUK_EXIT_FAIL;
    }
    struct stat a, b; /* the rename at the end would put the copy over the live database */
    if (stat(file, &a) == 0 && stat(souk_store_file(cfg.db_dsn), &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino) {
        fprintf(stderr, "souk: %s is the database itself; back it up to another file\n", file);
        return SOUK_EXIT_USAGE;
    }
    souk_store *db;
    char err[1200];
    if (souk_store_open_existing(&db, cfg.db_dsn, err, sizeof err) < 0) {
        fprintf(stderr, "souk: %s\n", err);
        return SOUK_EXIT_FAIL;
    }
    progress_ctx pc = {souk_time_mono_us()};
    int version = 0;
    int r = souk_store_backup(db, file, on_progress, &pc, &version, err, sizeof err);
    souk_store_close(db);
    if (r < 0) {
        fprintf(stderr, "\nsouk: backup failed: %s\n", err);
        return SOUK_EXIT_FAIL;
    }
    char tail[64];
    snprintf(tail, sizeof tail, "%.1f s", (double)(souk_time_mono_us() - pc.started) / 1e6);
    souk_cli_progress(stderr, "backup", 1, 1, tail, 1);
    printf("backup written to %s: integrity ok, schema version %d\n", file, version);
    return SOUK_EXIT_OK;
}

int souk_cmd_restore(int argc, char **argv)
{
    souk_config cfg;
    const char *file;
    int p = parse(argc, argv, restore_usage, "restore", &cfg, &file);
    if (p != 0)
        return p < 0 ? SOUK_EXIT_OK : p;
    if (!souk_store_file(cfg.db_dsn)) {
        print_pg_procedure(cfg.db_dsn, true);
        return SOUK_EXIT_FAIL;
    }
    souk_store_restore_info info;
    char err[1600];
    if (souk_store_restore(cfg.db_dsn, file, &info, err, sizeof err) < 0) {
        fprintf(stderr, "souk: %s\n", err);
        return SOUK_EXIT_FAIL;
    }
    const char *path = souk_store_file(cfg.db_dsn);
    printf("restored %s from %s: backup schema version %d, now %d (%d migrations applied)\n", path, file,
           info.backup_version, info.version, info.migrated);
    if (info.kept_previous)
        printf("the replaced database is kept as %s.before-restore\n", path);
    /* the signing keys in the backup are sealed with the key-encryption key
     * of the database it was made from (docs/auth.md) */
    char keyfile[4200];
    struct stat st;
    const char *kek = getenv("SOUK_KEY_ENCRYPTION_KEY"), *kf = getenv("SOUK_KEY_FILE");
    if (!(kek && *kek) && !(kf && *kf) && souk_cli_default_key_file(cfg.db_dsn, keyfile, sizeof keyfile) &&
        stat(keyfile, &st) != 0)
        fprintf(stderr,
                "souk: note: there is no key file at %s: copy there the key file of the database the backup was "
                "made from (or set SOUK_KEY_FILE), or souk will refuse to open its signing keys\n",
                keyfile);
    return SOUK_EXIT_OK;
}
