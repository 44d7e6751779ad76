/*
 * enqueue.c — writing a job inside the caller's transaction, so a job exists
 * only if the change that asked for it committed. A dedupe key is unique
 * among queued and running jobs (the partial unique index jobs_dedupe);
 * the lookup before the insert uses the index's own terms.
 */
#include "jobs/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "core/json.h"
#include "core/trace.h"
#include "core/banned.h"

int souk_job_enqueue_tx(souk_store *db, const char *kind, json_t *payload, int64_t run_at_us, const char *dedupe_key)
{
    const char *why = NULL;
    char *text = NULL;
    if (!payload)
        payload = json_object();
    if (!payload)
        why = "out of memory";
    else if (!souk__jobs_kind_ok(kind))
        why = "bad kind";
    else if (dedupe_key && (!*dedupe_key || strlen(dedupe_key) > SOUK_JOB_DEDUPE_MAX))
        why = "bad dedupe key";
    else if (run_at_us < 0)
        why = "negative run_at";
    else
        why = souk_json_payload_text(payload, SOUK_JOB_PAYLOAD_MAX, &text);
    json_decref(payload);
    if (why) {
        souk_log_error("jobs: %s not queued: %s", souk__jobs_kind_ok(kind) ? kind : "job", why);
        free(text);
        return SOUK_DB_HARD;
    }
    int r;
    if (dedupe_key) {
        r = souk_store_one(db,
                           "SELECT 1 FROM jobs WHERE dedupe_key = $1 AND dedupe_key IS NOT NULL AND "
                           "state IN ('queued', 'running')",
                           SOUK_ARGS(SOUK_TEXT(dedupe_key)), NULL);
        if (r != SOUK_DB_DONE) {
            free(text);
            return r == SOUK_DB_ROW ? 1 : r;
        }
    }
    souk__job_kind k = {.max_attempts = SOUK_JOB_DEFAULT_MAX_ATTEMPTS};
    souk__jobs_kind_get(kind, &k);
    int64_t now = souk_time_now_us();
    /* the trace of the request or job queueing it, for its run to continue */
    char trace_id[SOUK_TRACE_ID_HEX + 1];
    const souk_trace *trace = souk_trace_current();
    if (trace)
        souk_trace_hex(trace, trace_id, NULL);
    r = souk_store_exec(db,
                        "INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, dedupe_key, "
                        "created_at, updated_at, trace_id) VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $7, $7, $8)",
                        SOUK_ARGS(SOUK_I64(souk_id_next()), SOUK_TEXT(kind), SOUK_TEXT(text), SOUK_I64(k.max_attempts),
                                  SOUK_I64(run_at_us ? run_at_us : now), SOUK_TEXT(dedupe_key), SOUK_I64(now),
                                  SOUK_TEXT(trace ? trace_id : NULL)));
    free(text);
    return r < 0 ? r : 0;
}
