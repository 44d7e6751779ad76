/*
 * postgres.c — the PostgreSQL adapter of the storage port (adapter.h), on
 * libpq.
 *
 * Design
 * - A statement is prepared on the server once per connection (a named
 *   statement "souk_N"), as the port's cache asks, at its first run: then
 *   the types of that run's values are known. Integers are declared
 *   bigint, text text ("$1 IS NULL OR state = $1" tells PostgreSQL no type
 *   otherwise) and blobs bytea; booleans and NULLs are left for PostgreSQL
 *   to infer from where the SQL uses them (a boolean may fill a flag column
 *   of either type). Preparing at once would not do:
 *   a failed prepare aborts the transaction it is in, and only the first
 *   run tells the types. Outside a transaction a trial prepare still
 *   catches bad SQL at once; inside one it surfaces at the first step.
 * - A failed statement aborts a PostgreSQL transaction; on SQLite it undoes
 *   only itself, and code above the port counts on that (a handler that
 *   answers 409 still records its audit entry). So a write inside a
 *   transaction runs in a savepoint of its own — SAVEPOINT, the statement
 *   and RELEASE pipelined in one round trip — rolled back to when it fails.
 *   Savepoint commands run as simple queries.
 * - Values travel as text, blobs as binary; results come back as text
 *   (booleans 't'/'f' read as 1/0, bytea decoded when read as a blob). A
 *   statement's result is fetched whole at its first step and walked row by
 *   row after that.
 * - Write transactions run SERIALIZABLE, which gives every transaction the
 *   outcome it would have alone, as SQLite's single writer does; a
 *   serialization failure or deadlock is SOUK_DB_SOFT and the port's runner
 *   retries it. Read transactions are REPEATABLE READ READ ONLY: one
 *   snapshot for every statement of a request. See ADR 0006.
 * - The change mark counts NOTIFY souk_commit messages from other backends:
 *   every write transaction sends one as it commits.
 * - One write transaction at a time per database, as on SQLite: BEGIN takes
 *   a session advisory lock (the writer lock) in the round trip before it,
 *   and COMMIT gives it back in the round trip of the commit. So writers on
 *   several nodes neither collide on the audit chain's head nor take outbox
 *   ids out of commit order. See ADR 0007.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/embed.h"
#include "core/metrics.h"
#include "core/time.h"
#include "store/adapter.h"
#include "core/banned.h"

/* type OIDs of the values we send (pg_type.dat) */
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25

typedef struct pg_value {
    const char *ptr; /* what libpq sends */
    int len;
    int format;        /* 0 text, 1 binary */
    unsigned int type; /* declared at prepare; 0: inferred */
    char num[24];      /* an integer's digits */
    char *owned;       /* a copy, when the caller asked for one or the text needed a terminator */
} pg_value;

typedef struct pg_stmt {
    souk_stmt base; /* first */
    char name[24];
    bool prepared; /* on the server (else at the first step, with the values' types) */
    bool ran;      /* executed since the last reset */
    bool control;  /* SAVEPOINT, RELEASE, ROLLBACK: run as a simple query */
    uint64_t gen;  /* the connection's generation it was prepared in (pg_conn.gen) */
    PGresult *res;
    int row;              /* the current row of res */
    struct pg_blob {      /* the current row's bytea columns, decoded when read */
        unsigned char *p; /* freed on the next step or reset */
        size_t len;
    } * blobs;
    int nblobs; /* slots in blobs: the result's column count */
    pg_value values[SOUK_STORE_MAX_PARAMS];
} pg_stmt;

typedef struct pg_conn {
    souk_store base; /* first */
    PGconn *pg;
    uint64_t next_name;
    int64_t changes;
    int64_t marks;    /* commits of others heard (pg_change_mark) */
    bool listening;   /* LISTEN souk_commit was sent */
    bool in_write;    /* in a write transaction (pg_begin) */
    bool writer_held; /* this session holds the writer lock (pg_begin) */
    uint64_t gen;     /* sessions: 0 for the first, +1 at every reconnect (reconnect) */
    int64_t retry_at; /* no reconnect attempt before this (monotonic µs) */
    bool unset;       /* a new session not yet given SESSION_SETUP */
    bool resetting;   /* inside reconnect() */
} pg_conn;

/* The writer lock (pg_begin): 'souk' in ASCII. Advisory locks are per
 * database, so two shops on one server never meet. */
#define WRITER_KEY "1936684395"

#define CONN(d) ((pg_conn *)(d))
#define STMT(s) ((pg_stmt *)(s))

/* Maps a failed result to an error class and records its message. A lost
 * session (the server went away, or is shutting down: class 57P0x, 08xxx)
 * marks the connection lost (souk_store_lost) until reconnect() mends it. */
static int classify(souk_store *db, const PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (PQstatus(CONN(db)->pg) != CONNECTION_OK || (state && (!strncmp(state, "57P0", 4) || !strncmp(state, "08", 2))))
        db->lost = true;
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(CONN(db)->pg);
    souk__store_set_err(db, "%s: %s", what, msg && *msg ? msg : "connection lost");
    size_t n = strlen(db->errmsg);
    while (n && (db->errmsg[n - 1] == '\n' || db->errmsg[n - 1] == ' '))
        db->errmsg[--n] = '\0';
    if (!state)
        return SOUK_DB_HARD;
    /* 40001 serialization failure, 40P01 deadlock, 55P03 lock not available */
    if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
        return SOUK_DB_SOFT;
    if (!strncmp(state, "23", 2)) /* integrity constraint violation */
        return SOUK_DB_CONSTRAINT;
    return SOUK_DB_HARD;
}

static int run_simple(souk_store *db, const char *sql);

/* What every session is set to: UTC timestamps, no notices on the log, and
 * lock waits bounded in time (a wait past 10 s is 55P03, SOUK_DB_SOFT: a
 * stuck holder of the writer lock or of a row cannot freeze every writer). */
#define SESSION_SETUP                                                                                                  \
    "SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; SET client_min_messages = warning; SET lock_timeout = '10s'"

/* A connection whose session was lost (the server restarted, or went away)
 * gets a new one, outside a transaction only — one half-run on the old
 * session must fail as a whole, and its retry (tx.c) begins on the new one —
 * and at most every RECONNECT_US, so that requests during an outage fail at
 * once. The new session has no prepared statements (a statement of an older
 * generation is prepared again) and heard nothing while away: every waiter
 * on changes is told something may have changed. */
#define RECONNECT_US 200000

/* Inside a transaction of the port (tx.c, group.c: from a BEGIN that worked to its end, whether
 * the database still knows of it or not): no new session until it ends. */
static bool in_port_tx(const souk_store *db)
{
    return db->tx_depth > 0 || db->read_tx;
}
static void reconnect(souk_store *db)
{
    pg_conn *c = CONN(db);
    if (in_port_tx(db) || c->resetting)
        return;
    if (PQstatus(c->pg) == CONNECTION_OK && !c->unset) {
        db->lost = false; /* a statement on it says soon enough if it is not */
        return;
    }
    int64_t now = souk_time_mono_us();
    if (now < c->retry_at)
        return;
    c->retry_at = now + RECONNECT_US;
    db->lost = true;
    if (PQstatus(c->pg) != CONNECTION_OK) {
        PQreset(c->pg);
        if (PQstatus(c->pg) != CONNECTION_OK)
            return;
        c->gen++;
        c->listening = false;
        c->in_write = false;
        c->writer_held = false;
        c->marks++;
        c->unset = true;
    }
    c->resetting = true; /* run_simple below: no recursion */
    bool set = run_simple(db, SESSION_SETUP) >= 0;
    c->resetting = false;
    if (set) {
        c->unset = false;
        db->lost = false;
    }
}

/* True when a statement outside a transaction failed because the session
 * had been lost before it (a connection idle through a server restart learns
 * it only at its next use): a new session at once (no wait for RECONNECT_US),
 * and the caller may send a statement that changes nothing once more. */
static bool found_dead(souk_store *db)
{
    pg_conn *c = CONN(db);
    if (PQstatus(c->pg) == CONNECTION_OK || in_port_tx(db))
        return false;
    c->retry_at = 0;
    reconnect(db);
    return PQstatus(c->pg) == CONNECTION_OK && !c->unset;
}

/* Runs SQL without parameters; DONE, ROW (it returned rows) or an error class. */
static int run_simple(souk_store *db, const char *sql)
{
    reconnect(db);
    PGresult *res = PQexec(CONN(db)->pg, sql);
    ExecStatusType s = PQresultStatus(res);
    int r = s == PGRES_COMMAND_OK || s == PGRES_EMPTY_QUERY ? SOUK_DB_DONE
            : s == PGRES_TUPLES_OK                          ? SOUK_DB_ROW
                                                            : classify(db, res, "exec");
    PQclear(res);
    return r;
}

static int pg_exec_script(souk_store *db, const char *sql)
{
    int r = run_simple(db, sql);
    if (r == SOUK_DB_HARD)
        souk_metrics_db_error();
    return r < 0 ? r : SOUK_DB_DONE;
}

static souk_store *pg_open(const char *target, bool create, char *err, size_t errlen)
{
    (void)create; /* a PostgreSQL database is created by its administrator */
    pg_conn *c = calloc(1, sizeof *c);
    size_t n = strlen(target) + sizeof "postgresql:";
    char *uri = malloc(n);
    if (!c || !uri) {
        free(c);
        free(uri);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(uri, n, "postgresql:%s", target);
    c->base.ops = &souk__store_postgres;
    c->pg = PQconnectdb(uri);
    free(uri);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        snprintf(err, errlen, "cannot connect to PostgreSQL: %s", PQerrorMessage(c->pg));
        n = strlen(err);
        while (n && err[n - 1] == '\n')
            err[--n] = '\0';
        PQfinish(c->pg);
        free(c);
        return NULL;
    }
    if (run_simple(&c->base, SESSION_SETUP) < 0) {
        snprintf(err, errlen, "cannot configure the PostgreSQL session: %s", c->base.errmsg);
        PQfinish(c->pg);
        free(c);
        return NULL;
    }
    return &c->base;
}

static void pg_close(souk_store *db)
{
    PQfinish(CONN(db)->pg);
    free(db);
}

/* The highest $N that SQL names outside quotes and comments, 0 for none,
 * -1 for a $N beyond SOUK_STORE_MAX_PARAMS. */
static int count_params(const char *sql)
{
    int max = 0;
    for (const char *p = sql; *p; p++) {
        if (*p == '\'' || *p == '"') {
            char q = *p;
            while (*++p && *p != q)
                ;
            if (!*p)
                break;
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
            if (!*p)
                break;
        } else if (*p == '$' && p[1] >= '1' && p[1] <= '9') {
            int k = 0;
            while (p[1] >= '0' && p[1] <= '9' && k <= SOUK_STORE_MAX_PARAMS)
                k = k * 10 + (*++p - '0');
            if (k > SOUK_STORE_MAX_PARAMS)
                return -1;
            if (k > max)
                max = k;
        }
    }
    return max;
}

/* Prepares ST on the server with TYPES (NULL: inferred). */
static int server_prepare(pg_stmt *s, const unsigned int *types)
{
    souk_store *db = s->base.db;
    PGresult *res = PQprepare(CONN(db)->pg, s->name, s->base.sql, s->base.nparams, types);
    int r = PQresultStatus(res) == PGRES_COMMAND_OK ? SOUK_DB_DONE : classify(db, res, "prepare");
    if (r == SOUK_DB_DONE) {
        s->prepared = true;
        s->gen = CONN(db)->gen;
    }
    PQclear(res);
    return r;
}

/* Transaction control: SAVEPOINT, RELEASE, ROLLBACK (TO). */
static bool is_control(const char *sql)
{
    static const char *const words[] = {"SAVEPOINT ", "RELEASE ", "ROLLBACK"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (!strncasecmp(sql, words[i], strlen(words[i])))
            return true;
    return false;
}

static souk_stmt *pg_prepare(souk_store *db, const char *sql)
{
    int n = count_params(sql);
    if (n < 0) {
        souk__store_set_err(db, "bad parameter (use $1 … $%d)", SOUK_STORE_MAX_PARAMS);
        return NULL;
    }
    pg_stmt *s = calloc(1, sizeof *s);
    if (!s) {
        souk__store_set_err(db, "out of memory");
        return NULL;
    }
    /* Outside a transaction, bad SQL is caught here, as SQLite's prepare
     * would: a trial prepare as the unnamed statement (a failure there
     * aborts nothing). Only what no value's type can mend counts: a syntax
     * error, an unknown table, column or parameter; "$1 + $2" fails the
     * trial (unknown + unknown) yet runs with its values' types. */
    reconnect(db);
    if (PQtransactionStatus(CONN(db)->pg) == PQTRANS_IDLE) {
        PGresult *res = PQprepare(CONN(db)->pg, "", sql, n, NULL);
        if (PQresultStatus(res) != PGRES_COMMAND_OK && found_dead(db)) { /* a prepare changes nothing: again */
            PQclear(res);
            res = PQprepare(CONN(db)->pg, "", sql, n, NULL);
        }
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        bool bad =
            PQresultStatus(res) != PGRES_COMMAND_OK && (!state || !strcmp(state, "42601") || !strcmp(state, "42P01") ||
                                                        !strcmp(state, "42703") || !strcmp(state, "42P02"));
        if (bad)
            classify(db, res, "prepare");
        PQclear(res);
        if (bad) {
            free(s);
            return NULL;
        }
    }
    s->base.nparams = n;
    snprintf(s->name, sizeof s->name, "souk_%llu", (unsigned long long)++CONN(db)->next_name);
    s->control = is_control(sql);
    return &s->base;
}

static void clear_row(pg_stmt *s)
{
    for (int i = 0; i < s->nblobs; i++)
        if (s->blobs[i].p) {
            PQfreemem(s->blobs[i].p);
            s->blobs[i].p = NULL;
        }
}

static void pg_reset(souk_stmt *st)
{
    pg_stmt *s = STMT(st);
    clear_row(s);
    free(s->blobs);
    s->blobs = NULL;
    s->nblobs = 0;
    PQclear(s->res);
    s->res = NULL;
    s->ran = false;
    s->row = 0;
    for (int i = 0; i < st->nparams; i++) {
        free(s->values[i].owned);
        s->values[i] = (pg_value){0};
    }
}

static void pg_finalize(souk_stmt *st)
{
    pg_stmt *s = STMT(st);
    pg_reset(st);
    if (s->prepared && s->gen == CONN(st->db)->gen && PQstatus(CONN(st->db)->pg) == CONNECTION_OK &&
        PQtransactionStatus(CONN(st->db)->pg) != PQTRANS_INERROR) {
        char sql[48];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", s->name);
        PQclear(PQexec(CONN(st->db)->pg, sql));
    }
    free(s);
}

static bool pg_busy(souk_stmt *st)
{
    pg_stmt *s = STMT(st);
    return s->ran && s->res && s->row < PQntuples(s->res);
}

static int pg_bind(souk_stmt *st, int idx, const souk_param *p, bool copy)
{
    if (idx < 1 || idx > st->nparams)
        return -1;
    pg_value *v = &STMT(st)->values[idx - 1];
    free(v->owned);
    *v = (pg_value){0};
    switch (p->type) {
    case SOUK_TYPE_NULL: return 0;
    case SOUK_TYPE_I64:
        v->len = snprintf(v->num, sizeof v->num, "%lld", (long long)p->i64);
        v->ptr = v->num;
        v->type = OID_INT8;
        return 0;
    case SOUK_TYPE_BOOL: /* "1"/"0": valid input for boolean and for integers */
        v->ptr = p->i64 ? "1" : "0";
        v->len = 1;
        return 0;
    case SOUK_TYPE_TEXT: {
        v->type = OID_TEXT; /* a NULL text too: "$1 IS NULL OR kind = $1" */
        if (!p->ptr)
            return 0;
        size_t n = p->len == SIZE_MAX ? strlen(p->ptr) : p->len;
        if (n > (size_t)0x7fffffff)
            return -1;
        if (copy || p->len != SIZE_MAX) { /* text goes NUL-terminated */
            if (!(v->owned = malloc(n + 1)))
                return -1;
            memcpy(v->owned, p->ptr, n);
            v->owned[n] = '\0';
        }
        v->ptr = v->owned ? v->owned : p->ptr;
        v->len = (int)n;
        return 0;
    }
    case SOUK_TYPE_BLOB:
        if (p->len > (size_t)0x7fffffff)
            return -1;
        if (copy && p->len) {
            if (!(v->owned = malloc(p->len)))
                return -1;
            memcpy(v->owned, p->ptr, p->len);
        }
        v->ptr = v->owned ? v->owned : p->ptr ? p->ptr : "";
        v->len = (int)p->len;
        v->format = 1;
        v->type = OID_BYTEA;
        return 0;
    default: return -1;
    }
}

static bool pg_stmt_readonly(souk_stmt *st);

/* A write inside a transaction runs in a savepoint of its own, so that when
 * it fails it undoes only itself and the transaction goes on, as on SQLite
 * (a PostgreSQL transaction is otherwise aborted by any failed statement:
 * a handler that answers 409 could not then record its audit entry). */
static bool guarded(pg_stmt *s)
{
    PGTransactionStatusType t = PQtransactionStatus(CONN(s->base.db)->pg);
    return t == PQTRANS_INTRANS && !pg_stmt_readonly(&s->base);
}

/* The next result of a pipeline, with the NULL that ends each query's
 * results read too. */
static PGresult *next_result(PGconn *pg)
{
    PGresult *res = PQgetResult(pg);
    if (res && PQresultStatus(res) != PGRES_PIPELINE_SYNC)
        while (PQgetResult(pg))
            ; /* the NULL after each query (nothing else: no single-row mode) */
    return res;
}

/* SAVEPOINT, the statement and RELEASE in one round trip (libpq's pipeline
 * mode); when the statement fails, a second round trip rolls back to the
 * savepoint. Returns the statement's result (NULL when the connection
 * failed). */
static PGresult *exec_guarded(pg_stmt *s, int n, const char *const *values, const int *lengths, const int *formats)
{
    PGconn *pg = CONN(s->base.db)->pg;
    if (!PQenterPipelineMode(pg))
        return NULL;
    bool sent = PQsendQueryParams(pg, "SAVEPOINT souk_stmt", 0, NULL, NULL, NULL, NULL, 0) &&
                PQsendQueryPrepared(pg, s->name, n, values, lengths, formats, 0) &&
                PQsendQueryParams(pg, "RELEASE SAVEPOINT souk_stmt", 0, NULL, NULL, NULL, NULL, 0) &&
                PQpipelineSync(pg);
    PGresult *results[4] = {0};
    int got = 0;
    if (sent)
        for (PGresult *res; got < 4 && (res = next_result(pg));) {
            results[got++] = res;
            if (PQresultStatus(res) == PGRES_PIPELINE_SYNC)
                break;
        }
    PQexitPipelineMode(pg);
    PGresult *mine = got > 1 ? results[1] : NULL;
    for (int i = 0; i < got; i++)
        if (results[i] != mine)
            PQclear(results[i]);
    ExecStatusType st = PQresultStatus(mine);
    if (mine && st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        PQclear(PQexec(pg, "ROLLBACK TO SAVEPOINT souk_stmt; RELEASE SAVEPOINT souk_stmt"));
    return mine;
}

/* Sends the statement with its values; keeps the result. */
static int run(pg_stmt *s)
{
    souk_store *db = s->base.db;
    int n = s->base.nparams;
    const char *values[SOUK_STORE_MAX_PARAMS];
    int lengths[SOUK_STORE_MAX_PARAMS], formats[SOUK_STORE_MAX_PARAMS];
    unsigned int types[SOUK_STORE_MAX_PARAMS];
    for (int i = 0; i < n; i++) {
        values[i] = s->values[i].ptr;
        lengths[i] = s->values[i].len;
        formats[i] = s->values[i].format;
        types[i] = s->values[i].type;
    }
    if (s->control && n == 0) {
        s->ran = true;
        return run_simple(db, s->base.sql);
    }
    reconnect(db);
    ExecStatusType done;
    bool autocommit;
    for (int again = 1;; again--) {
        if (s->prepared && s->gen != CONN(db)->gen)
            s->prepared = false; /* prepared on a session that was lost */
        if (!s->prepared) {
            int r = server_prepare(s, types);
            if (r < 0 && again && found_dead(db))
                continue;
            if (r < 0)
                return r;
        }
        autocommit = PQtransactionStatus(CONN(db)->pg) == PQTRANS_IDLE;
        if (guarded(s))
            s->res = exec_guarded(s, n, values, lengths, formats);
        else
            s->res = PQexecPrepared(CONN(db)->pg, s->name, n, values, lengths, formats, 0);
        done = PQresultStatus(s->res);
        /* a read found the session dead: once more on a new one (a write is
         * not sent twice: whether the first reached the server is unknown) */
        if (done == PGRES_COMMAND_OK || done == PGRES_TUPLES_OK || !again || !pg_stmt_readonly(&s->base) ||
            !found_dead(db))
            break;
        PQclear(s->res);
        s->res = NULL;
    }
    if (autocommit && (done == PGRES_COMMAND_OK || done == PGRES_TUPLES_OK) && !pg_stmt_readonly(&s->base))
        PQclear(PQexec(CONN(db)->pg, "NOTIFY souk_commit")); /* a write that committed on its own */
    s->ran = true;
    s->row = 0;
    switch (PQresultStatus(s->res)) {
    case PGRES_TUPLES_OK: return PQntuples(s->res) > 0 ? SOUK_DB_ROW : SOUK_DB_DONE;
    case PGRES_COMMAND_OK: {
        const char *t = PQcmdTuples(s->res);
        CONN(db)->changes = *t ? strtoll(t, NULL, 10) : 0;
        return SOUK_DB_DONE;
    }
    default: return classify(db, s->res, "step");
    }
}

static int pg_step(souk_stmt *st)
{
    pg_stmt *s = STMT(st);
    clear_row(s);
    if (!s->ran)
        return run(s);
    if (!s->res || ++s->row >= PQntuples(s->res))
        return SOUK_DB_DONE;
    return SOUK_DB_ROW;
}

static int pg_column_count(souk_stmt *st)
{
    pg_stmt *s = STMT(st);
    return pg_busy(st) ? PQnfields(s->res) : 0;
}

static bool pg_column_null(souk_stmt *st, int col)
{
    pg_stmt *s = STMT(st);
    return !pg_busy(st) || col >= PQnfields(s->res) || PQgetisnull(s->res, s->row, col);
}

static int64_t pg_column_i64(souk_stmt *st, int col)
{
    if (pg_column_null(st, col))
        return 0;
    const char *t = PQgetvalue(STMT(st)->res, STMT(st)->row, col);
    if (t[0] == 't' && !t[1])
        return 1;
    if (t[0] == 'f' && !t[1])
        return 0;
    return strtoll(t, NULL, 10); /* numeric sums ("12.00") read as their integer part */
}

static const char *pg_column_text(souk_stmt *st, int col, size_t *len)
{
    if (pg_column_null(st, col)) {
        if (len)
            *len = 0;
        return NULL;
    }
    pg_stmt *s = STMT(st);
    if (len)
        *len = (size_t)PQgetlength(s->res, s->row, col);
    return PQgetvalue(s->res, s->row, col);
}

static const void *pg_column_blob(souk_stmt *st, int col, size_t *len)
{
    pg_stmt *s = STMT(st);
    if (pg_column_null(st, col) || PQftype(s->res, col) != OID_BYTEA)
        return pg_column_text(st, col, len);
    if (!s->blobs) {
        int n = PQnfields(s->res);
        if (!(s->blobs = calloc((size_t)n, sizeof *s->blobs)))
            return NULL;
        s->nblobs = n;
    }
    struct pg_blob *b = &s->blobs[col];
    if (!b->p)
        b->p = PQunescapeBytea((const unsigned char *)PQgetvalue(s->res, s->row, col), &b->len);
    if (len)
        *len = b->p ? b->len : 0;
    return b->p;
}

static int64_t pg_changes(souk_store *db)
{
    return CONN(db)->changes;
}

/* Whether a word (case-insensitive, whole) occurs in SQL. */
static bool has_word(const char *sql, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = sql; (p = strcasestr(p, word)); p += n) {
        bool start = p == sql || !(p[-1] == '_' || ((p[-1] | 0x20) >= 'a' && (p[-1] | 0x20) <= 'z'));
        char e = p[n];
        bool end = !(e == '_' || ((e | 0x20) >= 'a' && (e | 0x20) <= 'z'));
        if (start && end)
            return true;
    }
    return false;
}

/* Read-only by its first word: SELECT, VALUES, SHOW, and WITH when no
 * part of it writes; transaction control writes nothing itself. */
static bool pg_stmt_readonly(souk_stmt *st)
{
    const char *p = st->sql;
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '(')
        p++;
    static const char *const reads[] = {"SELECT", "VALUES", "SHOW", "BEGIN", "COMMIT", "ROLLBACK", "END"};
    for (size_t i = 0; i < sizeof reads / sizeof *reads; i++)
        if (!strncasecmp(p, reads[i], strlen(reads[i])))
            return true;
    if (!strncasecmp(p, "WITH", 4))
        return !has_word(p, "INSERT") && !has_word(p, "UPDATE") && !has_word(p, "DELETE");
    return false;
}

static bool pg_in_tx(souk_store *db);

/* Runs the N parameterless queries SQL[] in one round trip (pipeline
 * mode), a sync after each query I with SYNC[I]: a failure skips only the
 * rest of its segment. R[I] is each query's class: SOUK_DB_DONE, SOUK_DB_ROW
 * (rows), an error class, or SOUK_DB_HARD when skipped or lost. */
static void run_pipeline(souk_store *db, const char *const *sql, const bool *sync, int n, int *r)
{
    PGconn *pg = CONN(db)->pg;
    int syncs = 0;
    for (int i = 0; i < n; i++) {
        r[i] = SOUK_DB_HARD;
        syncs += sync[i];
    }
    if (!PQenterPipelineMode(pg)) {
        souk__store_set_err(db, "pipeline: %s", PQerrorMessage(pg));
        if (PQstatus(pg) != CONNECTION_OK)
            db->lost = true;
        return;
    }
    bool sent = true;
    for (int i = 0; i < n && sent; i++)
        sent = PQsendQueryParams(pg, sql[i], 0, NULL, NULL, NULL, NULL, 0) && (!sync[i] || PQpipelineSync(pg));
    int q = 0;
    for (PGresult *res; sent && syncs > 0 && (res = next_result(pg)); PQclear(res)) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_PIPELINE_SYNC) {
            syncs--;
            continue;
        }
        if (q >= n)
            continue;
        if (st == PGRES_COMMAND_OK) {
            r[q] = SOUK_DB_DONE;
        } else if (st == PGRES_TUPLES_OK) {
            r[q] = SOUK_DB_ROW;
        } else if (st != PGRES_PIPELINE_ABORTED) {
            r[q] = classify(db, res, "exec");
        }
        q++;
    }
    PQexitPipelineMode(pg);
    if (PQstatus(pg) != CONNECTION_OK)
        db->lost = true;
}

/* Gives the writer lock back once no transaction is open (after COMMIT or
 * ROLLBACK); a connection that fails loses it with its session. All of this
 * session's advisory locks go: it takes no other, and a count left behind
 * would hold every other writer off for good. */
static void writer_release(souk_store *db)
{
    pg_conn *c = CONN(db);
    if (!c->writer_held || PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        return;
    PGresult *res = PQexec(c->pg, "SELECT pg_advisory_unlock_all()");
    if (PQresultStatus(res) == PGRES_TUPLES_OK || PQstatus(c->pg) != CONNECTION_OK)
        c->writer_held = false;
    PQclear(res);
}

static int begin_once(souk_store *db, bool write)
{
    pg_conn *c = CONN(db);
    reconnect(db);
    if (!write) {
        return run_simple(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    }
    /* the writer lock first, in a segment of its own (a session lock: it
     * outlives that segment's implicit transaction), then BEGIN; the
     * snapshot, taken at the transaction's first statement, comes after
     * the lock, all in one round trip */
    static const char *const sql[] = {"SELECT pg_advisory_lock(" WRITER_KEY ")", "BEGIN ISOLATION LEVEL SERIALIZABLE"};
    static const bool sync[] = {true, true};
    int r[2];
    run_pipeline(db, sql, sync, 2, r);
    if (r[0] == SOUK_DB_ROW)
        c->writer_held = true;
    if (r[0] == SOUK_DB_ROW && r[1] == SOUK_DB_DONE) {
        c->in_write = true;
        return SOUK_DB_DONE;
    }
    if (pg_in_tx(db)) /* begun without the lock (its wait timed out): not this way */
        PQclear(PQexec(c->pg, "ROLLBACK"));
    writer_release(db);
    c->in_write = false;
    return r[0] != SOUK_DB_ROW ? r[0] : r[1];
}

static int pg_commit(souk_store *db)
{
    pg_conn *c = CONN(db);
    int r;
    if (c->in_write) {
        /* a write transaction tells listeners it committed (PostgreSQL
         * delivers the notification at the commit, and not at all on a
         * rollback) and gives the writer lock back, in one round trip */
        static const char *const sql[] = {"NOTIFY souk_commit", "COMMIT", "SELECT pg_advisory_unlock_all()"};
        static const bool sync[] = {false, true, true};
        int rs[3];
        run_pipeline(db, sql, sync, 3, rs);
        if (rs[2] == SOUK_DB_ROW)
            c->writer_held = false;
        r = rs[0] < 0 ? rs[0] : rs[1];
    } else {
        r = run_simple(db, "COMMIT");
    }
    c->in_write = false;
    writer_release(db); /* when the pipeline's unlock did not run */
    return r;
}

static void pg_rollback(souk_store *db)
{
    CONN(db)->in_write = false;
    PQclear(PQexec(CONN(db)->pg, "ROLLBACK"));
    writer_release(db);
}

/* A session found dead at BEGIN (idle through a server restart) is made
 * again and the BEGIN sent once more: nothing of the transaction ran yet. */
static int pg_begin(souk_store *db, bool write)
{
    int r = begin_once(db, write);
    if (r < 0 && found_dead(db))
        r = begin_once(db, write);
    return r;
}

static bool pg_in_tx(souk_store *db)
{
    PGTransactionStatusType t = PQtransactionStatus(CONN(db)->pg);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

static int pg_table_exists(souk_store *db, const char *name)
{
    int r =
        souk_store_one(db, "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = $1",
                       SOUK_ARGS(SOUK_TEXT(name)), NULL);
    return r < 0 ? r : r == SOUK_DB_ROW;
}

/* Counts the commits of other connections (threads or processes) that
 * wrote: each write transaction NOTIFYs souk_commit as it commits (a write
 * outside a transaction right after it), and this connection, from its first
 * look on, LISTENs; notifications from its own backend are not counted.
 * Notifications arrive between transactions, which is when a poller looks. */
static int64_t pg_change_mark(souk_store *db)
{
    pg_conn *c = CONN(db);
    reconnect(db);
    if (!c->listening) {
        if (run_simple(db, "LISTEN souk_commit") < 0)
            return -1;
        c->listening = true;
    }
    /* an empty query: the server hands over what it holds for us with its answer */
    PGresult *res = PQexec(c->pg, "");
    bool ok = PQresultStatus(res) == PGRES_EMPTY_QUERY;
    PQclear(res);
    if (!ok)
        return -1;
    int self = PQbackendPID(c->pg);
    for (PGnotify *n; (n = PQnotifies(c->pg)); PQfreemem(n))
        if (n->be_pid != self)
            c->marks++;
    return c->marks;
}

/* souk_store_wait_change: the notifications already read count first;
 * else sleep on the connection's socket until the server sends some (or
 * the time is up), and count those from other backends. */
static int pg_wait_change(souk_store *db, int timeout_ms)
{
    pg_conn *c = CONN(db);
    int64_t before = c->marks;
    if (pg_change_mark(db) < 0) /* LISTENs the first time, and reads what is queued */
        return -1;
    if (c->marks != before || timeout_ms == 0)
        return c->marks != before;
    struct pollfd pfd = {.fd = PQsocket(c->pg), .events = POLLIN};
    if (pfd.fd < 0)
        return -1;
    int64_t deadline = souk_time_mono_us() + (int64_t)timeout_ms * 1000;
    int self = PQbackendPID(c->pg);
    while (c->marks == before) {
        int64_t left = (deadline - souk_time_mono_us()) / 1000;
        if (left <= 0)
            return 0;
        int n = poll(&pfd, 1, (int)left);
        if (n < 0 && errno != EINTR)
            return -1;
        if (n <= 0)
            continue;
        if (!PQconsumeInput(c->pg))
            return -1;
        for (PGnotify *m; (m = PQnotifies(c->pg)); PQfreemem(m))
            if (m->be_pid != self)
                c->marks++;
    }
    return 1;
}

/* Dead rows (erased values among them) are reclaimed by VACUUM; it does not
 * zero them on disk, which PostgreSQL leaves to the file system. */
static int pg_scrub(souk_store *db)
{
    if (pg_in_tx(db))
        return 1;
    return run_simple(db, "VACUUM") < 0 ? 1 : 0;
}

extern const souk_embedded_file souk_migrations_postgres[];
extern const size_t souk_migrations_postgres_count;

const souk_store_ops souk__store_postgres = {
    .name = "postgres",
    .migrations = souk_migrations_postgres,
    .migration_count = &souk_migrations_postgres_count,
    .open = pg_open,
    .close = pg_close,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .reset = pg_reset,
    .busy = pg_busy,
    .bind = pg_bind,
    .step = pg_step,
    .column_count = pg_column_count,
    .column_null = pg_column_null,
    .column_i64 = pg_column_i64,
    .column_text = pg_column_text,
    .column_blob = pg_column_blob,
    .changes = pg_changes,
    .stmt_readonly = pg_stmt_readonly,
    .exec_script = pg_exec_script,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .in_tx = pg_in_tx,
    .table_exists = pg_table_exists,
    .change_mark = pg_change_mark,
    .scrub = pg_scrub,
    .wait_change = pg_wait_change,
};
