/*
 * replica.c — the optional read replica (SOUK_DB_REPLICA).
 *
 * A process names at most one replica of its PostgreSQL primary. Code that
 * runs a long read which need not see its caller's own writes (the
 * analytics read model's builds, report queries that read the database
 * directly) asks souk_store_replica_pick for a connection: it gets its own
 * replica connection when the replica answers, is a standby and is close
 * enough behind, and the primary otherwise — logged and counted, never an
 * error. Writes never go there: every replica connection is marked
 * souk_store_forbid_writes (and a standby refuses them anyway).
 *
 * How far behind: the primary's current WAL position is read first; a
 * replica that has replayed at least that far has every transaction
 * committed before the question, so it lags 0. Otherwise its lag is the age
 * of the last transaction it replayed (pg_last_xact_replay_timestamp), and
 * past SOUK_DB_REPLICA_MAX_LAG_MS the primary serves. (The age alone would
 * call an idle, caught-up replica late; the position alone cannot give a
 * time bound.)
 *
 * PostgreSQL only: a SQLite file has no replica that streams commits, and
 * a copy of the file would answer from the past without saying how far;
 * souk_store_replica_configure refuses a SQLite primary or replica.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/time.h"
#include "store/store.h"
#include "core/banned.h"

#define REOPEN_US (INT64_C(5) * 1000000) /* after a failed connect, the next try waits this long */

static struct {
    char dsn[1024];
    int max_lag_ms;
    bool on;
    _Atomic int64_t failed_at; /* when a connect last failed (µs), 0 = never */
} R;

static bool is_postgres_dsn(const char *dsn)
{
    return strncmp(dsn, "postgres://", 11) == 0 || strncmp(dsn, "postgresql://", 13) == 0;
}

int souk_store_replica_configure(const char *primary_dsn, const char *replica_dsn, int max_lag_ms, char *err,
                                 size_t errlen)
{
    R.on = false;
    if (!replica_dsn || !*replica_dsn)
        return 0;
    if (!primary_dsn || !is_postgres_dsn(primary_dsn)) {
        snprintf(err, errlen,
                 "SOUK_DB_REPLICA needs a PostgreSQL primary (SOUK_DB=postgresql://…): a SQLite database has no "
                 "streaming replica to read from (see docs/deploy.md); unset SOUK_DB_REPLICA");
        return -1;
    }
    if (!is_postgres_dsn(replica_dsn)) {
        snprintf(err, errlen, "SOUK_DB_REPLICA must be a postgresql://… DSN of a streaming replica of SOUK_DB");
        return -1;
    }
    if (strlen(replica_dsn) >= sizeof R.dsn) {
        snprintf(err, errlen, "SOUK_DB_REPLICA must be at most %zu bytes", sizeof R.dsn - 1);
        return -1;
    }
    if (strcmp(replica_dsn, primary_dsn) == 0) {
        snprintf(err, errlen, "SOUK_DB_REPLICA names the primary itself (SOUK_DB); unset it or name the replica");
        return -1;
    }
    snprintf(R.dsn, sizeof R.dsn, "%s", replica_dsn);
    R.max_lag_ms = max_lag_ms < 0 ? 0 : max_lag_ms;
    R.on = true;
    return 0;
}

bool souk_store_replica_enabled(void)
{
    return R.on;
}

static int series(const char *name, const char *purpose, const char *reason, souk_metric_type type, const char *help)
{
    char labels[160];
    if (reason)
        snprintf(labels, sizeof labels, "purpose=\"%s\",reason=\"%s\"", purpose, reason);
    else
        snprintf(labels, sizeof labels, "purpose=\"%s\"", purpose);
    return souk_metrics_series(name, labels, type, help);
}

static souk_store *fallback(souk_store *primary, const char *purpose, const char *reason, const char *detail)
{
    souk_log_warn("db replica: %s reads the primary instead (%s%s%s)", purpose, reason, detail ? ": " : "",
                  detail ? detail : "");
    souk_metrics_series_add(series("souk_db_replica_fallbacks_total", purpose, reason, SOUK_METRIC_COUNTER,
                                   "Reads meant for the read replica (SOUK_DB_REPLICA) that went to the primary, "
                                   "by purpose and reason (unreachable, lag, behind, not_standby, failed)"),
                            1);
    return primary;
}

void souk_store_replica_failed(const char *purpose, const char *detail)
{
    fallback(NULL, purpose, "failed", detail);
}

/* souk_store_replica_pick; CURRENT: only a replica that has replayed all the primary had written */
static souk_store *pick(souk_store *primary, souk_store **slot, const char *purpose, bool current, int64_t *lag_ms)
{
    if (lag_ms)
        *lag_ms = 0;
    if (!R.on)
        return primary;
    if (!*slot) {
        int64_t now = souk_time_mono_us(), failed = atomic_load(&R.failed_at);
        if (failed && now - failed < REOPEN_US)
            return fallback(primary, purpose, "unreachable", "a connect failed less than 5 s ago");
        char err[256];
        if (souk_store_open_existing(slot, R.dsn, err, sizeof err) != 0) {
            *slot = NULL;
            atomic_store(&R.failed_at, now ? now : 1);
            return fallback(primary, purpose, "unreachable", err);
        }
        atomic_store(&R.failed_at, 0);
        souk_store_forbid_writes(*slot);
    }
    char lsn[64] = "";
    if (souk_store_one(primary, "SELECT CAST(pg_current_wal_lsn() AS TEXT)", NULL, SOUK_COLS(SOUK_COL_STR(lsn))) !=
        SOUK_DB_ROW)
        return primary; /* the primary's own trouble: its reader sees it */
    bool standby = false, caught_up = false;
    int64_t lag = -1;
    int r = souk_store_one(*slot,
                           "SELECT pg_is_in_recovery(), "
                           "coalesce(pg_last_wal_replay_lsn() >= CAST($1 AS pg_lsn), false), "
                           "CAST(coalesce(EXTRACT(EPOCH FROM (clock_timestamp() - "
                           "pg_last_xact_replay_timestamp())) * 1000, -1) AS BIGINT)",
                           SOUK_ARGS(SOUK_TEXT(lsn)),
                           SOUK_COLS(SOUK_COL_BOOL(&standby), SOUK_COL_BOOL(&caught_up), SOUK_COL_I64(&lag)));
    if (r != SOUK_DB_ROW)
        return fallback(primary, purpose, "unreachable", souk_store_errmsg(*slot));
    if (!standby)
        return fallback(primary, purpose, "not_standby", "it is not in recovery (promoted, or not a replica)");
    if (caught_up)
        lag = 0;
    else if (current)
        return fallback(primary, purpose, "behind", "it has not replayed all the primary has written yet");
    if (lag < 0 || lag > R.max_lag_ms) {
        char why[96];
        snprintf(why, sizeof why, "%lld ms behind, more than SOUK_DB_REPLICA_MAX_LAG_MS=%d", (long long)lag,
                 R.max_lag_ms);
        return fallback(primary, purpose, "lag", lag < 0 ? "it has replayed no transaction yet" : why);
    }
    souk_metrics_series_set(souk_metrics_series("souk_db_replica_lag_seconds", "", SOUK_METRIC_GAUGE,
                                                "How far the read replica was behind the primary at its last use "
                                                "(0: it had replayed all the primary had written)"),
                            lag);
    souk_metrics_series_add(series("souk_db_replica_reads_total", purpose, NULL, SOUK_METRIC_COUNTER,
                                   "Reads served by the read replica (SOUK_DB_REPLICA), by purpose"),
                            1);
    if (lag_ms)
        *lag_ms = lag;
    return *slot;
}

souk_store *souk_store_replica_pick(souk_store *primary, souk_store **slot, const char *purpose, int64_t *lag_ms)
{
    return pick(primary, slot, purpose, false, lag_ms);
}

/* Each thread's replica connection, closed when the thread ends. */
static pthread_key_t here_key;
static pthread_once_t here_once = PTHREAD_ONCE_INIT;
static bool here_ok;

static void here_close(void *db)
{
    souk_store_close(db);
}

static void here_init(void)
{
    here_ok = pthread_key_create(&here_key, here_close) == 0;
    if (!here_ok)
        souk_log_error("db replica: no thread key: reports read the primary");
}

souk_store *souk_store_replica_here(souk_store *primary, const char *purpose, bool current)
{
    if (!R.on)
        return primary;
    pthread_once(&here_once, here_init);
    if (!here_ok)
        return primary;
    souk_store *mine = pthread_getspecific(here_key);
    souk_store *db = pick(primary, &mine, purpose, current, NULL);
    if (mine != pthread_getspecific(here_key) && pthread_setspecific(here_key, mine) != 0) {
        souk_store_close(mine); /* cannot keep it: this read goes to the primary */
        return primary;
    }
    return db;
}
