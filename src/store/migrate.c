/*
 * migrate.c — the forward-only migration runner (store.h), the same for
 * every adapter; each adapter brings its own dialect's files.
 */
#include <stdlib.h>

#include <jansson.h>

#include "core/log.h"
#include "core/time.h"
#include "store/adapter.h"
#include "core/banned.h"

int souk_store_schema_version(souk_store *db)
{
    int exists = db->ops->table_exists(db, "schema_migrations");
    if (exists <= 0)
        return exists < 0 ? -1 : 0;
    int64_t v = 0;
    int r = souk_store_one(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", NULL,
                           SOUK_COLS(SOUK_COL_I64(&v)));
    return r == SOUK_DB_ROW ? (int)v : -1;
}

int souk_store_migrations_latest(const souk_store *db)
{
    int latest = 0;
    for (size_t i = 0; i < *db->ops->migration_count; i++) {
        int v = atoi(db->ops->migrations[i].name);
        if (v > latest)
            latest = v;
    }
    return latest;
}

typedef struct migration {
    const souk_embedded_file *file;
    int version;
} migration;

static int apply_migration(souk_store *db, void *arg)
{
    migration *m = arg;
    /* re-check inside the write lock: another process may have applied it */
    int r =
        souk_store_one(db, "SELECT 1 FROM schema_migrations WHERE version = $1", SOUK_ARGS(SOUK_I64(m->version)), NULL);
    if (r != SOUK_DB_DONE)
        return r < 0 ? r : 0;
    if ((r = db->ops->exec_script(db, (const char *)m->file->data)) < 0)
        return r;
    r = souk_store_exec(db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                        SOUK_ARGS(SOUK_I64(m->version), SOUK_TEXT(m->file->name), SOUK_I64(souk_time_now_us())));
    return r < 0 ? r : 1;
}

int souk_store_migrate(souk_store *db, int *applied)
{
    int n = 0;
    int r = db->ops->exec_script(db, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                                     "name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
    if (r < 0)
        return r;
    /* every migration not yet recorded is applied, in file order — also one
     * numbered below the highest applied (branches that landed out of order) */
    for (size_t i = 0; i < *db->ops->migration_count; i++) {
        const souk_embedded_file *f = &db->ops->migrations[i];
        migration m = {f, atoi(f->name)};
        r = souk_store_one(db, "SELECT 1 FROM schema_migrations WHERE version = $1", SOUK_ARGS(SOUK_I64(m.version)),
                           NULL);
        if (r < 0)
            return r;
        if (r == SOUK_DB_ROW)
            continue;
        r = souk_store_tx(db, apply_migration, &m);
        if (r < 0) {
            souk_log(SOUK_LOG_ERROR, NULL, NULL, json_pack("{s:s}", "migration", f->name), "migration failed: %s",
                     db->errmsg);
            return r;
        }
        if (r > 0) {
            n++;
            souk_log(SOUK_LOG_INFO, NULL, NULL, json_pack("{s:s}", "migration", f->name), "migration applied");
        }
    }
    if (applied)
        *applied = n;
    return 0;
}
