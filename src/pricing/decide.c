/*
 * decide.c — what admins decide about a suggestion and what follows:
 * approve (apply now, or schedule the pricing.apply job at apply_at),
 * reject, apply, roll back; each in one transaction with its audit entry
 * (audit.h: actions pricing.approved, pricing.rejected, pricing.applied,
 * pricing.apply_failed, pricing.rolled_back). Prices change only through
 * souk_catalog_price_set, the catalog's own write path (caches, search and
 * flash-sale prices follow it). Also the two job kinds.
 */
#include "pricing/pricing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/analytics.h"
#include "audit/audit.h"
#include "catalog/catalog.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "core/banned.h"

typedef struct sugg {
    int64_t id, variant, product, current, suggested, previous;
    char currency[4], status[16];
} sugg;

static int load(souk_store *db, int64_t id, sugg *s)
{
    memset(s, 0, sizeof *s);
    s->id = id;
    return souk_store_one(db,
                          "SELECT variant_id, product_id, currency, current_amount, suggested_amount, "
                          "COALESCE(previous_amount, -1), status FROM pricing_suggestions WHERE id = $1",
                          SOUK_ARGS(SOUK_I64(id)),
                          SOUK_COLS(SOUK_COL_I64(&s->variant), SOUK_COL_I64(&s->product), SOUK_COL_STR(s->currency),
                                    SOUK_COL_I64(&s->current), SOUK_COL_I64(&s->suggested), SOUK_COL_I64(&s->previous),
                                    SOUK_COL_STR(s->status)));
}

/* the variant's price now in the suggestion's currency; -1 when it has none (or is no longer active) */
static int price_now(souk_store *db, const sugg *s, int64_t *amount)
{
    *amount = -1;
    int r = souk_store_one(db, "SELECT amount FROM pricing_catalog_prices WHERE variant_id = $1 AND currency = $2",
                           SOUK_ARGS(SOUK_I64(s->variant), SOUK_TEXT(s->currency)), SOUK_COLS(SOUK_COL_I64(amount)));
    return r < 0 ? r : 0;
}

static int audit(souk_store *db, const souk_pricing_actor *who, const char *action, const sugg *s, json_t *details)
{
    char idt[SOUK_ID_TEXT_MAX], vt[SOUK_ID_TEXT_MAX];
    json_object_set_new(details, "variant", json_string(souk_id_format(SOUK_PREFIX_VARIANT, s->variant, vt)));
    json_object_set_new(details, "currency", json_string(s->currency));
    char *text = json_dumps(details, JSON_COMPACT);
    json_decref(details);
    if (!text)
        return -1;
    souk_audit_entry e = {.actor_type = who->type,
                          .actor_id = who->id,
                          .action = action,
                          .object_type = "price_suggestion",
                          .object_id = souk_id_format(SOUK_PREFIX_PRICE_SUGGESTION, s->id, idt),
                          .request_id = who->request_id,
                          .result = 0,
                          .details_json = text};
    int r = souk_audit_append_tx(db, &e);
    free(text);
    return r;
}

/* Applies loaded suggestion S (pending or approved) inside the open transaction. */
static souk_err apply(souk_store *db, const sugg *s, const souk_pricing_actor *who, bool scheduled)
{
    int64_t now_price, now = souk_time_now_us();
    int r = price_now(db, s, &now_price);
    if (r < 0)
        return souk_store_dberr(r);
    if (now_price != s->current) {
        if (!scheduled)
            return SOUK_E_CONFLICT;
        /* a scheduled one whose price moved meanwhile: recorded as failed, nothing changed */
        r = souk_store_exec(db,
                            "UPDATE pricing_suggestions SET status = 'failed', note = 'price_changed', applied_at = "
                            "$2 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(s->id), SOUK_I64(now)));
        if (r >= 0)
            r = audit(db, who, "pricing.apply_failed", s,
                      json_pack("{s:s,s:I,s:I}", "why", now_price < 0 ? "no_price" : "price_changed", "expected",
                                (json_int_t)s->current, "found", (json_int_t)now_price));
        return souk_store_dberr(r);
    }
    souk_err e = souk_catalog_price_set(db, s->variant, s->currency, s->suggested);
    if (e)
        return e;
    r = souk_store_exec(db,
                        "UPDATE pricing_suggestions SET status = 'applied', applied_at = $2, previous_amount = $3 "
                        "WHERE id = $1",
                        SOUK_ARGS(SOUK_I64(s->id), SOUK_I64(now), SOUK_I64(now_price)));
    if (r >= 0)
        r = audit(db, who, "pricing.applied", s,
                  json_pack("{s:I,s:I,s:b}", "from", (json_int_t)now_price, "to", (json_int_t)s->suggested, "scheduled",
                            scheduled));
    return souk_store_dberr(r);
}

typedef struct decide_ctx {
    int64_t id, apply_at;
    const char *note;
    const souk_pricing_actor *who;
    bool scheduled_job;
} decide_ctx;

static souk_err approve_body(souk_store *db, void *arg)
{
    decide_ctx *c = arg;
    sugg s;
    int r = load(db, c->id, &s);
    if (r < 0)
        return souk_store_dberr(r);
    if (r != SOUK_DB_ROW)
        return SOUK_E_NOT_FOUND;
    if (strcmp(s.status, "pending") != 0)
        return SOUK_E_CONFLICT;
    int64_t now = souk_time_now_us();
    bool later = c->apply_at > now;
    r = souk_store_exec(db,
                        "UPDATE pricing_suggestions SET status = 'approved', decided_at = $2, decided_by = $3, "
                        "note = $4, apply_at = $5 WHERE id = $1",
                        SOUK_ARGS(SOUK_I64(c->id), SOUK_I64(now),
                                  c->who->user_id ? SOUK_I64(c->who->user_id) : SOUK_NULL,
                                  c->note ? SOUK_TEXT(c->note) : SOUK_NULL, SOUK_I64(later ? c->apply_at : now)));
    if (r < 0)
        return souk_store_dberr(r);
    char at[40];
    r = audit(db, c->who, "pricing.approved", &s,
              json_pack("{s:I,s:I,s:s}", "from", (json_int_t)s.current, "to", (json_int_t)s.suggested, "apply_at",
                        souk_time_format(later ? c->apply_at : now, at)));
    if (r < 0)
        return souk_store_dberr(r);
    if (!later)
        return apply(db, &s, c->who, false);
    char key[64];
    snprintf(key, sizeof key, "%s:%lld", SOUK_PRICING_APPLY_JOB, (long long)c->id);
    r = souk_job_enqueue_tx(db, SOUK_PRICING_APPLY_JOB, json_pack("{s:I}", "id", (json_int_t)c->id), c->apply_at, key);
    return souk_store_dberr(r);
}

souk_err souk_pricing_approve(souk_store *db, int64_t id, int64_t apply_at, const char *note,
                              const souk_pricing_actor *who)
{
    decide_ctx c = {.id = id, .apply_at = apply_at, .note = note, .who = who};
    souk_err e = souk_store_run(db, approve_body, &c, NULL);
    if (e == SOUK_OK && apply_at > souk_time_now_us())
        souk_jobs_kick();
    return e;
}

static souk_err reject_body(souk_store *db, void *arg)
{
    decide_ctx *c = arg;
    sugg s;
    int r = load(db, c->id, &s);
    if (r < 0)
        return souk_store_dberr(r);
    if (r != SOUK_DB_ROW)
        return SOUK_E_NOT_FOUND;
    if (strcmp(s.status, "pending") != 0 && strcmp(s.status, "approved") != 0)
        return SOUK_E_CONFLICT;
    r = souk_store_exec(db,
                        "UPDATE pricing_suggestions SET status = 'rejected', decided_at = $2, decided_by = $3, "
                        "note = $4 WHERE id = $1",
                        SOUK_ARGS(SOUK_I64(c->id), SOUK_I64(souk_time_now_us()),
                                  c->who->user_id ? SOUK_I64(c->who->user_id) : SOUK_NULL,
                                  c->note ? SOUK_TEXT(c->note) : SOUK_NULL));
    if (r >= 0)
        r = audit(
            db, c->who, "pricing.rejected", &s,
            json_pack("{s:s,s:I,s:I}", "was", s.status, "from", (json_int_t)s.current, "to", (json_int_t)s.suggested));
    return souk_store_dberr(r);
}

souk_err souk_pricing_reject(souk_store *db, int64_t id, const char *note, const souk_pricing_actor *who)
{
    decide_ctx c = {.id = id, .note = note, .who = who};
    return souk_store_run(db, reject_body, &c, NULL);
}

static souk_err rollback_body(souk_store *db, void *arg)
{
    decide_ctx *c = arg;
    sugg s;
    int r = load(db, c->id, &s);
    if (r < 0)
        return souk_store_dberr(r);
    if (r != SOUK_DB_ROW)
        return SOUK_E_NOT_FOUND;
    if (strcmp(s.status, "applied") != 0 || s.previous < 0)
        return SOUK_E_CONFLICT;
    int64_t now_price;
    if ((r = price_now(db, &s, &now_price)) < 0)
        return souk_store_dberr(r);
    if (now_price != s.suggested)
        return SOUK_E_CONFLICT; /* changed since: rolling back would undo someone else's change */
    souk_err e = souk_catalog_price_set(db, s.variant, s.currency, s.previous);
    if (e)
        return e;
    r = souk_store_exec(db, "UPDATE pricing_suggestions SET status = 'rolled_back', rolled_back_at = $2 WHERE id = $1",
                        SOUK_ARGS(SOUK_I64(c->id), SOUK_I64(souk_time_now_us())));
    if (r >= 0)
        r = audit(db, c->who, "pricing.rolled_back", &s,
                  json_pack("{s:I,s:I}", "from", (json_int_t)s.suggested, "to", (json_int_t)s.previous));
    return souk_store_dberr(r);
}

souk_err souk_pricing_rollback(souk_store *db, int64_t id, const souk_pricing_actor *who)
{
    decide_ctx c = {.id = id, .who = who};
    return souk_store_run(db, rollback_body, &c, NULL);
}

/* ---- jobs ---- */

static souk_err apply_job_body(souk_store *db, void *arg)
{
    decide_ctx *c = arg;
    sugg s;
    int r = load(db, c->id, &s);
    if (r < 0)
        return souk_store_dberr(r);
    if (r != SOUK_DB_ROW || strcmp(s.status, "approved") != 0)
        return SOUK_OK; /* rejected meanwhile, or applied by an earlier run of this job: nothing to do */
    return apply(db, &s, c->who, true);
}

static int apply_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    int64_t id = json_integer_value(json_object_get(payload, "id"));
    if (id <= 0) {
        snprintf(err, errlen, "payload without a suggestion id");
        return -1;
    }
    souk_pricing_actor who = {.type = "system"};
    decide_ctx c = {.id = id, .who = &who, .scheduled_job = true};
    souk_err e = souk_store_run(db, apply_job_body, &c, NULL);
    if (e) {
        snprintf(err, errlen, "cannot apply suggestion %lld: %s", (long long)id, souk_err_code(e));
        return -1;
    }
    return 0;
}

static int recompute_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    bool force = json_is_true(json_object_get(payload, "force"));
    int64_t pred_at = 0, run_at = 0, run_pred = 0;
    int32_t last;
    if (souk_analytics_predict_state(db, &pred_at, &last) < 0 ||
        souk_store_one(db, "SELECT computed_at, prediction_at FROM pricing_runs WHERE id = 1", NULL,
                       SOUK_COLS(SOUK_COL_I64(&run_at), SOUK_COL_I64(&run_pred))) < 0) {
        snprintf(err, errlen, "cannot read the run state: %s", souk_store_errmsg(db));
        return -1;
    }
    int64_t now = souk_time_now_us();
    if (!force && run_at && pred_at <= run_pred && now - run_at < INT64_C(86400000000))
        return 0; /* nothing new since the last recompute */
    souk_pricing_run_stats st;
    int r = souk_pricing_recompute(db, &st);
    if (r < 0) {
        snprintf(err, errlen, "cannot recompute the price suggestions: %s", souk_store_errmsg(db));
        return -1;
    }
    souk_log(SOUK_LOG_INFO, NULL, NULL,
             json_pack("{s:I,s:I,s:I}", "variants", (json_int_t)st.variants, "suggestions", (json_int_t)st.suggestions,
                       "kept", (json_int_t)st.kept),
             "price suggestions recomputed");
    return 0;
}

void souk_pricing_register_jobs(void)
{
    souk_job_register(SOUK_PRICING_APPLY_JOB, apply_job, 5);
    souk_job_register(SOUK_PRICING_RECOMPUTE_JOB, recompute_job, 3);
    souk_job_schedule(SOUK_PRICING_RECOMPUTE_JOB, "50 * * * *");
}
