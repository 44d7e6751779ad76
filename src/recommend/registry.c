/*
 * registry.c — the model versions, their activations and the A/B tests:
 * reading them as JSON, activating, rolling back, starting and stopping a
 * test, and its results from the behaviour events.
 */
#include "recommend/service.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "behaviour/behaviour.h"
#include "core/time.h"
#include "core/banned.h"

static json_t *time_or_null(souk_stmt *st, int col)
{
    if (souk_stmt_is_null(st, col))
        return json_null();
    char buf[SOUK_RFC3339_LEN];
    return json_string(souk_time_format(souk_stmt_i64(st, col), buf));
}

static json_t *int_or_null(souk_stmt *st, int col)
{
    return souk_stmt_is_null(st, col) ? json_null() : json_integer(souk_stmt_i64(st, col));
}

static json_t *parsed_or_null(souk_stmt *st, int col)
{
    size_t len;
    const char *s = souk_stmt_text(st, col, &len);
    json_t *j = s ? json_loadb(s, len, 0, NULL) : NULL;
    return j ? j : json_null();
}

int64_t souk_rec_active_version(souk_store *db)
{
    int64_t v = 0;
    int rc = souk_store_one(db, "SELECT version FROM rec_activations ORDER BY id DESC LIMIT 1", NULL,
                            SOUK_COLS(SOUK_COL_I64(&v)));
    return rc < 0 ? rc : v;
}

#define MODEL_COLS                                                                                                     \
    "version, status, params, data_from, data_to, interactions, users, items, duration_ms, "                           \
    "CAST(loss * 1000000 AS INTEGER), error, created_at, finished_at"

/* One row of MODEL_COLS as JSON (+ metrics when WITH_METRICS, column 13). */
static json_t *model_row(souk_stmt *st, int64_t active, bool with_metrics)
{
    size_t slen = 0, elen = 0; /* one length per text: json_pack's arguments are read in any order */
    const char *status = souk_stmt_text(st, 1, &slen);
    const char *error = souk_stmt_text(st, 10, &elen);
    json_t *j = json_pack(
        "{s:I,s:s#,s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "version", (json_int_t)souk_stmt_i64(st, 0),
        "status", status ? status : "", status ? slen : 0, "active", souk_stmt_i64(st, 0) == active, "params",
        parsed_or_null(st, 2), "data_from", time_or_null(st, 3), "data_to", time_or_null(st, 4), "interactions",
        int_or_null(st, 5), "users", int_or_null(st, 6), "items", int_or_null(st, 7), "duration_ms", int_or_null(st, 8),
        "loss", souk_stmt_is_null(st, 9) ? json_null() : json_real((double)souk_stmt_i64(st, 9) / 1e6), "error",
        error ? json_stringn(error, elen) : json_null(), "created_at", time_or_null(st, 11), "finished_at",
        time_or_null(st, 12));
    if (j && with_metrics)
        json_object_set_new(j, "metrics", parsed_or_null(st, 13));
    return j;
}

json_t *souk_rec_models_json(souk_store *db, size_t limit)
{
    int64_t active = souk_rec_active_version(db);
    if (active < 0)
        return NULL;
    json_t *data = json_array();
    souk_stmt *st = souk_store_query(db, "SELECT " MODEL_COLS " FROM rec_models ORDER BY version DESC LIMIT $1",
                                     SOUK_ARGS(SOUK_I64((int64_t)limit)));
    int rc;
    while (data && (rc = souk_stmt_step(st)) == SOUK_DB_ROW)
        json_array_append_new(data, model_row(st, active, false));
    if (!data || rc != SOUK_DB_DONE) {
        souk_stmt_done(st);
        json_decref(data);
        return NULL;
    }
    return json_pack("{s:o,s:o}", "data", data, "active_version", active ? json_integer(active) : json_null());
}

souk_err souk_rec_model_json(souk_store *db, int64_t version, json_t **out)
{
    *out = NULL;
    int64_t active = souk_rec_active_version(db);
    if (active < 0)
        return souk_store_dberr((int)active);
    souk_stmt *st = souk_store_query(db, "SELECT " MODEL_COLS ", metrics FROM rec_models WHERE version = $1",
                                     SOUK_ARGS(SOUK_I64(version)));
    int rc = souk_stmt_step(st);
    if (rc == SOUK_DB_ROW)
        *out = model_row(st, active, true);
    souk_stmt_done(st);
    if (rc == SOUK_DB_DONE)
        return SOUK_E_NOT_FOUND;
    if (rc != SOUK_DB_ROW)
        return souk_store_dberr(rc);
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}

/* The status of VERSION into STATUS; SOUK_E_NOT_FOUND when there is none. */
static souk_err status_of(souk_store *db, int64_t version, char status[16])
{
    int rc = souk_store_one(db, "SELECT status FROM rec_models WHERE version = $1", SOUK_ARGS(SOUK_I64(version)),
                            SOUK_COLS((souk_col){.type = SOUK_TYPE_TEXT, .out = status, .cap = 16}));
    if (rc == SOUK_DB_DONE)
        return SOUK_E_NOT_FOUND;
    return rc < 0 ? souk_store_dberr(rc) : SOUK_OK;
}

souk_err souk_rec_activate_tx(souk_store *db, int64_t version, const char *actor, const char *note)
{
    char status[16];
    souk_err e = status_of(db, version, status);
    if (e)
        return e;
    if (strcmp(status, "ready") != 0)
        return SOUK_E_INVALID_STATE;
    int64_t id = 0;
    int rc =
        souk_store_one(db, "SELECT COALESCE(MAX(id), 0) + 1 FROM rec_activations", NULL, SOUK_COLS(SOUK_COL_I64(&id)));
    if (rc < 0)
        return souk_store_dberr(rc);
    return souk_store_dberr(souk_store_exec(
        db, "INSERT INTO rec_activations (id, version, actor, note, created_at) VALUES ($1, $2, $3, $4, $5)",
        SOUK_ARGS(SOUK_I64(id), SOUK_I64(version), SOUK_TEXT(actor ? actor : "system"), SOUK_TEXT(note ? note : ""),
                  SOUK_I64(souk_time_now_us()))));
}

souk_err souk_rec_rollback_tx(souk_store *db, const char *actor, int64_t *version)
{
    int64_t current = souk_rec_active_version(db), previous = 0;
    if (current < 0)
        return souk_store_dberr((int)current);
    if (!current)
        return SOUK_E_INVALID_STATE;
    int rc = souk_store_one(db,
                            "SELECT a.version FROM rec_activations a JOIN rec_models m ON m.version = a.version "
                            "WHERE a.version <> $1 AND m.status = 'ready' ORDER BY a.id DESC LIMIT 1",
                            SOUK_ARGS(SOUK_I64(current)), SOUK_COLS(SOUK_COL_I64(&previous)));
    if (rc < 0)
        return souk_store_dberr(rc);
    if (rc == SOUK_DB_DONE)
        return SOUK_E_INVALID_STATE;
    *version = previous;
    char note[64];
    snprintf(note, sizeof note, "rolled back from version %lld", (long long)current);
    return souk_rec_activate_tx(db, previous, actor, note);
}

/* ---- A/B tests ---- */

int64_t souk_rec_ab_pick(const char *subject, int64_t version_a, int64_t version_b, int percent_b)
{
    /* FNV-1a: stable across versions and nodes (a shopper keeps their side) */
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = subject ? subject : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return (int)(h % 100) < percent_b ? version_b : version_a;
}

souk_err souk_rec_ab_start_tx(souk_store *db, const char *name, int64_t version_a, int64_t version_b, int percent_b,
                              int64_t *id)
{
    char status[16];
    souk_err e;
    if ((e = status_of(db, version_a, status)))
        return e;
    if (strcmp(status, "ready") != 0)
        return SOUK_E_INVALID_STATE;
    if ((e = status_of(db, version_b, status)))
        return e;
    if (strcmp(status, "ready") != 0)
        return SOUK_E_INVALID_STATE;
    int64_t running = 0;
    int rc = souk_store_one(db, "SELECT id FROM rec_ab_tests WHERE status = 'running'", NULL,
                            SOUK_COLS(SOUK_COL_I64(&running)));
    if (rc < 0)
        return souk_store_dberr(rc);
    if (rc == SOUK_DB_ROW)
        return SOUK_E_CONFLICT;
    if ((rc = souk_store_one(db, "SELECT COALESCE(MAX(id), 0) + 1 FROM rec_ab_tests", NULL,
                             SOUK_COLS(SOUK_COL_I64(id)))) < 0)
        return souk_store_dberr(rc);
    return souk_store_dberr(
        souk_store_exec(db,
                        "INSERT INTO rec_ab_tests (id, name, version_a, version_b, percent_b, "
                        "status, started_at) VALUES ($1, $2, $3, $4, $5, 'running', $6)",
                        SOUK_ARGS(SOUK_I64(*id), SOUK_TEXT(name), SOUK_I64(version_a), SOUK_I64(version_b),
                                  SOUK_I64(percent_b), SOUK_I64(souk_time_now_us()))));
}

souk_err souk_rec_ab_stop_tx(souk_store *db, int64_t id)
{
    int64_t n = souk_store_update(db,
                                  "UPDATE rec_ab_tests SET status = 'stopped', stopped_at = $2 "
                                  "WHERE id = $1 AND status = 'running'",
                                  SOUK_ARGS(SOUK_I64(id), SOUK_I64(souk_time_now_us())));
    if (n < 0)
        return souk_store_dberr((int)n);
    if (n == 1)
        return SOUK_OK;
    int rc = souk_store_one(db, "SELECT id FROM rec_ab_tests WHERE id = $1", SOUK_ARGS(SOUK_I64(id)), NULL);
    return rc == SOUK_DB_ROW ? SOUK_E_INVALID_STATE : rc == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(rc);
}

#define AB_COLS "id, name, version_a, version_b, percent_b, status, started_at, stopped_at"

static json_t *ab_row(souk_stmt *st)
{
    size_t nl, sl;
    const char *name = souk_stmt_text(st, 1, &nl), *status = souk_stmt_text(st, 5, &sl);
    return json_pack("{s:I,s:s#,s:I,s:I,s:I,s:s#,s:o,s:o}", "id", (json_int_t)souk_stmt_i64(st, 0), "name",
                     name ? name : "", name ? nl : 0, "version_a", (json_int_t)souk_stmt_i64(st, 2), "version_b",
                     (json_int_t)souk_stmt_i64(st, 3), "percent_b", (json_int_t)souk_stmt_i64(st, 4), "status",
                     status ? status : "", status ? sl : 0, "started_at", time_or_null(st, 6), "stopped_at",
                     time_or_null(st, 7));
}

json_t *souk_rec_ab_list_json(souk_store *db)
{
    json_t *data = json_array();
    souk_stmt *st = souk_store_query(db, "SELECT " AB_COLS " FROM rec_ab_tests ORDER BY id DESC LIMIT 100", NULL);
    int rc;
    while (data && (rc = souk_stmt_step(st)) == SOUK_DB_ROW)
        json_array_append_new(data, ab_row(st));
    if (!data || rc != SOUK_DB_DONE) {
        souk_stmt_done(st);
        json_decref(data);
        return NULL;
    }
    return json_pack("{s:o}", "data", data);
}

/* Counts of one version over [FROM, TO]. */
typedef struct arm {
    int64_t impressions, clicks, carts, purchases;
} arm;

static int count_arm(souk_store *db, int64_t version, int64_t from, int64_t to, arm *a)
{
    memset(a, 0, sizeof *a);
    souk_stmt *st = souk_store_query(db,
                                     "SELECT type, count(*) FROM recommend_interactions WHERE model_version = $1 "
                                     "AND at >= $2 AND at <= $3 GROUP BY type",
                                     SOUK_ARGS(SOUK_I64(version), SOUK_I64(from), SOUK_I64(to)));
    int64_t type, n;
    int rc;
    while ((rc = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&type), SOUK_COL_I64(&n)))) == SOUK_DB_ROW) {
        if (type == SOUK_BEHAVIOUR_REC_IMPRESSION)
            a->impressions = n;
        else if (type == SOUK_BEHAVIOUR_REC_CLICK)
            a->clicks = n;
        else if (type == SOUK_BEHAVIOUR_ADD_TO_CART)
            a->carts = n;
    }
    if (rc != SOUK_DB_DONE)
        return rc;
    /* a purchase counts for the version whose recommendation the shopper clicked before it */
    return souk_store_one(db,
                          "SELECT count(*) FROM recommend_interactions p WHERE p.type = $4 AND p.at >= $2 AND "
                          "p.at <= $3 AND EXISTS (SELECT 1 FROM recommend_interactions c WHERE c.user_key = "
                          "p.user_key AND c.type = $5 AND c.model_version = $1 AND c.at >= $2 AND c.at <= p.at)",
                          SOUK_ARGS(SOUK_I64(version), SOUK_I64(from), SOUK_I64(to), SOUK_I64(SOUK_BEHAVIOUR_PURCHASE),
                                    SOUK_I64(SOUK_BEHAVIOUR_REC_CLICK)),
                          SOUK_COLS(SOUK_COL_I64(&a->purchases)));
}

static json_t *arm_json(int64_t version, const arm *a)
{
    double ctr = a->impressions ? (double)a->clicks / (double)a->impressions : 0;
    double conversion = a->clicks ? (double)a->purchases / (double)a->clicks : 0;
    return json_pack("{s:I,s:I,s:I,s:f,s:I,s:I,s:f}", "version", (json_int_t)version, "impressions",
                     (json_int_t)a->impressions, "clicks", (json_int_t)a->clicks, "ctr", ctr, "add_to_cart",
                     (json_int_t)a->carts, "purchases", (json_int_t)a->purchases, "conversion", conversion);
}

souk_err souk_rec_ab_json(souk_store *db, int64_t id, json_t **out)
{
    *out = NULL;
    souk_stmt *st = souk_store_query(db, "SELECT " AB_COLS " FROM rec_ab_tests WHERE id = $1", SOUK_ARGS(SOUK_I64(id)));
    int rc = souk_stmt_step(st);
    if (rc != SOUK_DB_ROW) {
        souk_stmt_done(st);
        return rc == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(rc);
    }
    json_t *j = ab_row(st);
    int64_t va = souk_stmt_i64(st, 2), vb = souk_stmt_i64(st, 3), from = souk_stmt_i64(st, 6);
    int64_t to = souk_stmt_is_null(st, 7) ? souk_time_now_us() : souk_stmt_i64(st, 7);
    souk_stmt_done(st);
    arm a, b;
    if ((rc = count_arm(db, va, from, to, &a)) < 0 || (rc = count_arm(db, vb, from, to, &b)) < 0) {
        json_decref(j);
        return souk_store_dberr(rc);
    }
    /* two-proportion z-test of the CTRs; p two-sided from the normal tail */
    json_t *sig = json_null();
    if (a.impressions && b.impressions) {
        double p1 = (double)a.clicks / (double)a.impressions, p2 = (double)b.clicks / (double)b.impressions;
        double pool = (double)(a.clicks + b.clicks) / (double)(a.impressions + b.impressions);
        double se = sqrt(pool * (1 - pool) * (1.0 / (double)a.impressions + 1.0 / (double)b.impressions));
        if (se > 0) {
            double z = (p2 - p1) / se;
            sig = json_pack("{s:f,s:f,s:b}", "z", z, "p_value", erfc(fabs(z) / sqrt(2.0)), "significant_at_95",
                            erfc(fabs(z) / sqrt(2.0)) < 0.05);
        }
    }
    json_object_set_new(
        j, "results", json_pack("{s:o,s:o,s:o}", "a", arm_json(va, &a), "b", arm_json(vb, &b), "ctr_difference", sig));
    *out = j;
    return SOUK_OK;
}
