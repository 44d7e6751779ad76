/*
 * redact.c — personal data taken out of events already written (GDPR
 * erasure): the payload is decoded and encoded again here, in C, so that
 * the SQL stays the same on every database (no json1 functions).
 */
#include "events/events.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/banned.h"

#define REDACT_BATCH 64
#define LISTENERS_MAX 8

static souk_event_redact_listener listeners[LISTENERS_MAX];
static int nlisteners;

int souk_event_on_redact(souk_event_redact_listener fn)
{
    if (nlisteners == LISTENERS_MAX)
        return -1;
    listeners[nlisteners++] = fn;
    return 0;
}

typedef struct redaction {
    int64_t id;
    char *payload; /* malloc'd: the new text, or NULL when unchanged */
} redaction;

/* The payload TEXT with string field FIELD emptied into *OUT (malloc'd;
 * NULL when FIELD is absent or empty already, or TEXT is no JSON object).
 * 0, or -1 when memory ran out. */
static int emptied(const char *text, const char *field, char **out)
{
    json_t *j = json_loads(text, 0, NULL);
    const char *v = json_string_value(json_object_get(j, field));
    bool redact = v && *v; /* V dies with the value it belongs to, replaced next */
    *out = NULL;
    if (redact && json_object_set_new(j, field, json_string("")) == 0)
        *out = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII); /* as souk_event_emit_tx writes them */
    int r = redact && !*out ? -1 : 0;
    json_decref(j);
    return r;
}

int souk_event_redact_tx(souk_store *db, const char *type, const char *aggregate_id, const char *field)
{
    int64_t after = 0;
    int r;
    for (;;) { /* in batches by id, so no statement stays open while rows are rewritten */
        redaction batch[REDACT_BATCH];
        int n = 0;
        int64_t id;
        char *text = NULL;
        souk_stmt *st = souk_store_query(
            db,
            "SELECT id, payload FROM events WHERE type = $1 AND aggregate_id = $2 "
            "AND id > $3 ORDER BY id LIMIT $4",
            SOUK_ARGS(SOUK_TEXT(type), SOUK_TEXT(aggregate_id), SOUK_I64(after), SOUK_I64(REDACT_BATCH)));
        while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&id), SOUK_COL_DUP(&text)))) == SOUK_DB_ROW) {
            batch[n].id = id;
            int bad = emptied(text, field, &batch[n++].payload);
            free(text);
            text = NULL;
            if (bad) {
                souk_log_error("events: out of memory redacting event %lld", (long long)id);
                souk_stmt_done(st);
                r = SOUK_DB_HARD;
                break;
            }
            if (n == REDACT_BATCH) {
                souk_stmt_done(st);
                r = SOUK_DB_DONE;
                break;
            }
        }
        for (int i = 0; i < n; i++) {
            if (r >= 0 && batch[i].payload)
                r = souk_store_exec(db, "UPDATE events SET payload = $2 WHERE id = $1",
                                    SOUK_ARGS(SOUK_I64(batch[i].id), SOUK_TEXT(batch[i].payload)));
            for (int l = 0; l < nlisteners && r >= 0 && batch[i].payload; l++) /* copies held elsewhere */
                r = listeners[l](db, batch[i].id, batch[i].payload);
            free(batch[i].payload);
        }
        if (r < 0 || n < REDACT_BATCH)
            return r < 0 ? r : 0;
        after = batch[n - 1].id;
    }
}
