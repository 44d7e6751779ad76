/*
 * claim.c — taking the next job for a worker, and running the kinds that
 * live inside the claim's transaction.
 *
 * Claiming is one short write transaction: a running job whose lease
 * (locked_until) has passed is taken first — its worker died or hung —
 * then the oldest due queued job. The claim sets state = running,
 * attempts + 1, locked_by = the worker's token and locked_until = now +
 * the lease (souk_job_lease_us: 5 min unless SOUK_JOB_LEASE_S). Counting the attempt at claim time means a job that kills its
 * worker every time still ends up dead instead of being reclaimed forever.
 */
#include "jobs/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bug.h"
#include "core/log.h"
#include "core/time.h"
#include "core/trace.h"
#include "core/banned.h"

#define RECLAIM_DEAD_MAX 20 /* lease-expired jobs sent to dead within one claim */

/* ---- the per-dialect statement ------------------------------------------
 * The candidate query of a claim is the one place where the job queue's
 * SQL differs between databases; everything else in src/jobs is one text
 * for both. On SQLite souk_store_tx begins with BEGIN IMMEDIATE and so
 * holds the write lock: claimers are serialised, and a plain
 * SELECT … LIMIT 1 can never hand one row to two workers. PostgreSQL runs
 * claimers concurrently: there the query ends in
 * `FOR UPDATE SKIP LOCKED`, so each claimer locks its row and skips the
 * rows others hold instead of waiting on them (SERIALIZABLE alone keeps a
 * row from being claimed twice — the second claimer's UPDATE fails as a
 * serialization failure and is retried, which test_store_contract's
 * test_claim_once shows — but then claimers that picked one row all retry
 * but one; SKIP LOCKED sends each to the next row at once). Both forms read
 * the columns id, kind, payload, attempts, max_attempts, trace_id. */
typedef enum { CLAIM_EXPIRED, CLAIM_DUE } claim_which;
static const char *claim_candidate_sql(souk_store *db, claim_which which)
{
    bool pg = strcmp(souk_store_backend(db), "postgres") == 0;
    if (which == CLAIM_EXPIRED)
        return pg ? "SELECT id, kind, payload, attempts, max_attempts, trace_id FROM jobs "
                    "WHERE state = 'running' AND locked_until < $1 ORDER BY locked_until, id LIMIT 1 "
                    "FOR UPDATE SKIP LOCKED"
                  : "SELECT id, kind, payload, attempts, max_attempts, trace_id FROM jobs "
                    "WHERE state = 'running' AND locked_until < $1 ORDER BY locked_until, id LIMIT 1";
    return pg ? "SELECT id, kind, payload, attempts, max_attempts, trace_id FROM jobs "
                "WHERE state = 'queued' AND run_at <= $1 ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
              : "SELECT id, kind, payload, attempts, max_attempts, trace_id FROM jobs "
                "WHERE state = 'queued' AND run_at <= $1 ORDER BY run_at, id LIMIT 1";
}
/* ---- claiming ------------------------------------------------------------ */

void souk__job_release(souk__job *j)
{
    free(j->kind);
    free(j->payload);
    j->kind = j->payload = NULL;
}

typedef struct claim_ctx {
    int64_t now;
    const char *token;
    souk__job *job;
    int ndead;
    char dead_kinds[RECLAIM_DEAD_MAX][SOUK_JOB_KIND_MAX + 1];
    /* a kind registered with souk_job_register_tx ran inside the claim: */
    int rc;
    const char *outcome;
    char err[SOUK_JOB_ERROR_MAX + 1];
} claim_ctx;

/* Reads the candidate WHICH at NOW into J. SOUK_DB_ROW, SOUK_DB_DONE or an error. */
static int read_candidate(souk_store *db, claim_which which, int64_t now, souk__job *j)
{
    int r = souk_store_one(db, claim_candidate_sql(db, which), SOUK_ARGS(SOUK_I64(now)),
                           SOUK_COLS(SOUK_COL_I64(&j->id), SOUK_COL_DUP(&j->kind), SOUK_COL_DUP(&j->payload),
                                     SOUK_COL_I64(&j->attempts), SOUK_COL_I64(&j->max_attempts),
                                     SOUK_COL_STR(j->trace_id)));
    if (r < 0)
        souk__job_release(j); /* a column that failed to copy may have left the others */
    return r;
}

/* A reclaimed job J with no attempts left goes to dead, its kind told. */
static int bury(souk_store *db, claim_ctx *cx, const souk__job *j)
{
    char msg[160];
    snprintf(msg, sizeof msg, "lease expired: the worker running attempt %lld did not finish (crashed?)",
             (long long)j->attempts);
    int r = souk_store_exec(db,
                            "UPDATE jobs SET state = 'dead', last_error = $2, locked_by = NULL, "
                            "locked_until = NULL, updated_at = $3, finished_at = $3 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(j->id), SOUK_TEXT(msg), SOUK_I64(cx->now)));
    if (r < 0)
        return r;
    souk_job_outcome o = {
        .job_id = j->id, .state = "dead", .attempts = j->attempts, .run_at = cx->now, .at = cx->now, .error = msg};
    return souk__job_tell(db, j->kind, j->payload, &o);
}

/* Inside the claim's transaction, with the job just marked running: runs
 * FN under a savepoint and records the outcome, so a success commits with
 * its effects and a failure leaves none of them. Returns 2, or a negative
 * souk_db_status. */
static int run_in_claim(souk_store *db, claim_ctx *cx, souk_job_tx_fn fn)
{
    souk__job *j = cx->job;
    cx->err[0] = '\0';
    int r = souk_store_exec(db, "SAVEPOINT souk_job", NULL);
    if (r < 0)
        return r;
    souk_trace trace; /* the trace that queued it, continued; else one of its own */
    souk_trace_resume(&trace, j->trace_id);
    souk_trace_set_current(&trace);
    json_t *payload = json_loads(j->payload, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(payload)) {
        snprintf(cx->err, sizeof cx->err, "payload is not a JSON object");
        cx->rc = -1;
    } else {
        cx->rc = fn(db, payload, cx->err, sizeof cx->err) == 0 ? 0 : -1;
        cx->err[sizeof cx->err - 1] = '\0';
    }
    json_decref(payload);
    souk_trace_set_current(NULL);
    if (cx->rc != 0 && (r = souk_store_exec(db, "ROLLBACK TO SAVEPOINT souk_job", NULL)) < 0)
        return r;
    if ((r = souk_store_exec(db, "RELEASE SAVEPOINT souk_job", NULL)) < 0)
        return r;
    if ((r = souk__job_finish_tx(db, j, cx->rc, cx->err, souk_time_now_us(), &cx->outcome)) < 0)
        return r;
    if (r == 1) { /* the claim was written in this very transaction */
        SOUK_BUG("jobs: job %lld lost the claim it holds", (long long)j->id);
        return SOUK_DB_HARD;
    }
    return 2;
}

static int claim_fn(souk_store *db, void *vctx)
{
    claim_ctx *cx = vctx;
    souk__job *j = cx->job;
    souk__job_release(j);
    cx->ndead = 0;
    for (;;) {
        bool reclaim = true;
        int r = read_candidate(db, CLAIM_EXPIRED, cx->now, j);
        if (r == SOUK_DB_DONE) {
            reclaim = false;
            r = read_candidate(db, CLAIM_DUE, cx->now, j);
        }
        if (r != SOUK_DB_ROW)
            return r; /* DONE (0): nothing due, or an error */
        if (reclaim && j->attempts >= j->max_attempts) {
            if (cx->ndead == RECLAIM_DEAD_MAX) { /* enough for one transaction; the next claim goes on */
                souk__job_release(j);
                return 0;
            }
            if ((r = bury(db, cx, j)) < 0)
                return r;
            snprintf(cx->dead_kinds[cx->ndead++], sizeof cx->dead_kinds[0], "%s", j->kind);
            souk__job_release(j);
            continue;
        }
        if (reclaim)
            souk_log_warn("jobs: job %lld (%s) reclaimed: its lease expired", (long long)j->id, j->kind);
        j->attempts++;
        snprintf(j->token, sizeof j->token, "%s", cx->token);
        r = souk_store_exec(db,
                            "UPDATE jobs SET state = 'running', attempts = $2, locked_by = $3, locked_until = $4, "
                            "updated_at = $5 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(j->id), SOUK_I64(j->attempts), SOUK_TEXT(cx->token),
                                      SOUK_I64(cx->now + souk_job_lease_us()), SOUK_I64(cx->now)));
        if (r < 0)
            return r;
        souk__job_kind k;
        return souk__jobs_kind_get(j->kind, &k) && k.tx_fn ? run_in_claim(db, cx, k.tx_fn) : 1;
    }
}

int souk__job_claim(souk_store *db, int64_t now, const char *token, souk__job *j)
{
    memset(j, 0, sizeof *j);
    /* a plain read first, so an idle poll never takes the write lock */
    int r = souk_store_one(db,
                           "SELECT 1 FROM jobs WHERE (state = 'queued' AND run_at <= $1) OR "
                           "(state = 'running' AND locked_until < $1) LIMIT 1",
                           SOUK_ARGS(SOUK_I64(now)), NULL);
    if (r != SOUK_DB_ROW)
        return r;
    claim_ctx cx = {.now = now, .token = token, .job = j};
    r = souk_store_tx(db, claim_fn, &cx);
    if (r >= 0)
        for (int i = 0; i < cx.ndead; i++)
            souk__jobs_count_outcome(cx.dead_kinds[i], "dead");
    if (r == 2) {
        souk__jobs_count_outcome(j->kind, cx.outcome);
        if (cx.rc != 0)
            souk_log_warn("jobs: job %lld (%s) attempt %lld/%lld failed%s: %s", (long long)j->id, j->kind,
                          (long long)j->attempts, (long long)j->max_attempts,
                          strcmp(cx.outcome, "dead") == 0 ? ", now dead" : "", cx.err[0] ? cx.err : "-");
    }
    if (r != 1)
        souk__job_release(j);
    return r;
}
