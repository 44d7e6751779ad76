/*
 * api.c — the HTTP handlers of campaigns: decode and bound the input, call
 * audience.c, send.c, token.c and results.c. Writes run in the request's
 * write transaction (the group committer's) and are audited by the server.
 */
#include "campaigns/api.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "campaigns/internal.h"
#include "core/id.h"
#include "core/json.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "store/page.h"
#include "store/row.h"
#include "core/banned.h"

/* ---- audiences ---- */

static json_t *audience_row(souk_stmt *st, void *ctx)
{
    (void)ctx;
    json_t *def = json_loads(souk_stmt_text(st, 3, NULL), 0, NULL);
    return json_pack("{s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:o,s:o}", "id", souk_row_id(st, 0, SOUK_PREFIX_AUDIENCE), "name",
                     souk_row_text(st, 1), "kind", souk_row_text(st, 2), "definition", def ? def : json_object(),
                     "members", (json_int_t)souk_stmt_i64(st, 4), "refreshed_at",
                     souk_stmt_is_null(st, 5) ? json_null() : souk_row_time(st, 5), "refresh_error",
                     souk_row_text_or_null(st, 6), "created_at", souk_row_time(st, 7), "updated_at",
                     souk_row_time(st, 8));
}

static json_t *audience_rows(souk_store *db, int64_t only)
{
    souk_stmt *st = souk_store_query(db,
                                     "SELECT id, name, kind, definition, members, refreshed_at, refresh_error, "
                                     "created_at, updated_at FROM campaign_audiences WHERE $1 = 0 OR id = $1 "
                                     "ORDER BY id LIMIT $2",
                                     SOUK_ARGS(SOUK_I64(only), SOUK_I64(SOUK_CAMPAIGNS_AUDIENCES_MAX)));
    return souk_store_rows(st, audience_row, NULL);
}

static int send_one(souk_res *res, json_t *arr, int status, const char *missing)
{
    if (!arr)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (json_array_size(arr) != 1) {
        json_decref(arr);
        return souk_res_error(res, SOUK_E_NOT_FOUND, missing);
    }
    json_t *one = json_incref(json_array_get(arr, 0));
    json_decref(arr);
    return souk_res_json(res, status, one);
}

int souk_campaigns_api_audience_list(souk_req *req, souk_res *res)
{
    json_t *a = audience_rows(req->store, 0);
    return a ? souk_res_json(res, 200, json_pack("{s:o}", "data", a)) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

int souk_campaigns_api_audience_get(souk_req *req, souk_res *res)
{
    int64_t id;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_AUDIENCE, &id))
        return res->err;
    return send_one(res, audience_rows(req->store, id), 200, "No such audience.");
}

static void audit(souk_req *req, souk_res *res, const char *type, const char *prefix, int64_t id)
{
    char buf[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, type, souk_arena_strdup(req->arena, souk_id_format(prefix, id, buf)));
}

int souk_campaigns_api_audience_create(souk_req *req, souk_res *res)
{
    json_t *o = souk_req_json(req, res);
    if (!o)
        return res->err;
    const char *key;
    const json_t *val;
    json_object_foreach(o, key, val)
    {
        if (strcmp(key, "name") != 0 && strcmp(key, "kind") != 0 && strcmp(key, "definition") != 0)
            souk_problems_add(&res->problems, req->arena, key, "is not a field of an audience");
    }
    const json_t *name = json_object_get(o, "name");
    if (!json_is_string(name) || json_string_length(name) < 1 || json_string_length(name) > 100)
        souk_problems_add(&res->problems, req->arena, "name", "is required, 1-100 characters");
    souk_campaigns_def d;
    const char *field = NULL;
    const char *why = souk_campaigns_def_parse(json_string_value(json_object_get(o, "kind")),
                                               json_object_get(o, "definition"), &d, &field);
    if (why)
        souk_problems_add(&res->problems, req->arena,
                          strcmp(field, "kind") == 0 || strcmp(field, "definition") == 0
                              ? field
                              : souk_arena_printf(req->arena, "definition.%s", field),
                          "%s", why);
    if (res->problems.count) {
        json_decref(o);
        return souk_res_invalid(res);
    }
    int64_t count = 0;
    int r =
        souk_store_one(req->store, "SELECT COUNT(*) FROM campaign_audiences", NULL, SOUK_COLS(SOUK_COL_I64(&count)));
    if (r >= 0 && count >= SOUK_CAMPAIGNS_AUDIENCES_MAX) {
        json_decref(o);
        return souk_res_error(res, SOUK_E_CONFLICT, "The shop has 100 audiences already.");
    }
    json_t *dj = souk_campaigns_def_json(&d);
    char *text = dj ? json_dumps(dj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(dj);
    int64_t id = souk_id_next(), now = souk_time_now_us();
    if (r >= 0 && text)
        r = souk_store_exec(req->store,
                            "INSERT INTO campaign_audiences (id, name, kind, definition, created_at, updated_at) "
                            "VALUES ($1, $2, $3, $4, $5, $5)",
                            SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(json_string_value(name)),
                                      SOUK_TEXT(souk_campaigns_kind_name(d.kind)), SOUK_TEXT(text), SOUK_I64(now)));
    free(text);
    json_decref(o);
    if (r >= 0)
        r = souk_campaigns_refresh_enqueue_tx(req->store, id);
    if (r < 0)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    souk_jobs_kick();
    audit(req, res, "campaign_audience", SOUK_PREFIX_AUDIENCE, id);
    return send_one(res, audience_rows(req->store, id), 201, "No such audience.");
}

int souk_campaigns_api_audience_refresh(souk_req *req, souk_res *res)
{
    int64_t id;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_AUDIENCE, &id))
        return res->err;
    int r = souk_store_one(req->store, "SELECT 1 FROM campaign_audiences WHERE id = $1", SOUK_ARGS(SOUK_I64(id)), NULL);
    if (r == SOUK_DB_DONE)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such audience.");
    if (r >= 0)
        r = souk_campaigns_refresh_enqueue_tx(req->store, id);
    if (r < 0)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    souk_jobs_kick();
    audit(req, res, "campaign_audience", SOUK_PREFIX_AUDIENCE, id);
    return souk_res_json(res, 202, json_pack("{s:b}", "queued", 1));
}

/* ---- campaigns ---- */

static json_t *opt_time(souk_stmt *st, int col)
{
    return souk_stmt_is_null(st, col) ? json_null() : souk_row_time(st, col);
}

static json_t *campaign_row(souk_stmt *st, void *ctx)
{
    (void)ctx;
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:o,s:o,s:o}", "id",
                     souk_row_id(st, 0, SOUK_PREFIX_CAMPAIGN), "name", souk_row_text(st, 1), "template",
                     souk_row_text(st, 2), "audience_id", souk_row_id(st, 3, SOUK_PREFIX_AUDIENCE), "promotion_id",
                     souk_stmt_is_null(st, 4) ? json_null() : souk_row_id(st, 4, "promo"), "code",
                     souk_row_text_or_null(st, 5), "subject", souk_row_text(st, 6), "intro", souk_row_text(st, 7),
                     "attribution_days", (json_int_t)souk_stmt_i64(st, 8), "status", souk_row_text(st, 9),
                     "send_started_at", opt_time(st, 10), "sent_at", opt_time(st, 11), "created_at",
                     souk_row_time(st, 12), "updated_at", souk_row_time(st, 13));
}

static json_t *campaign_rows(souk_store *db, int64_t only)
{
    souk_stmt *st = souk_store_query(db,
                                     "SELECT id, name, template, audience_id, promotion_id, code, subject, intro, "
                                     "attribution_days, status, send_started_at, sent_at, created_at, updated_at "
                                     "FROM campaigns WHERE $1 = 0 OR id = $1 ORDER BY id DESC LIMIT 500",
                                     SOUK_ARGS(SOUK_I64(only)));
    return souk_store_rows(st, campaign_row, NULL);
}

int souk_campaigns_api_list(souk_req *req, souk_res *res)
{
    json_t *a = campaign_rows(req->store, 0);
    return a ? souk_res_json(res, 200, json_pack("{s:o}", "data", a)) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

/* The campaign ID with its results, answered with STATUS. */
static int answer_campaign(souk_req *req, souk_res *res, int64_t id, int status)
{
    json_t *a = campaign_rows(req->store, id);
    if (!a)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (json_array_size(a) != 1) {
        json_decref(a);
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such campaign.");
    }
    json_t *one = json_incref(json_array_get(a, 0));
    json_decref(a);
    json_t *results = NULL;
    souk_err e = souk_campaigns_results_json(req->store, id, &results);
    if (e) {
        json_decref(one);
        return souk_res_error(res, e, NULL);
    }
    json_object_set_new(one, "results", results);
    return souk_res_json(res, status, one);
}

int souk_campaigns_api_get(souk_req *req, souk_res *res)
{
    int64_t id;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_CAMPAIGN, &id))
        return res->err;
    return answer_campaign(req, res, id, 200);
}

static const char *const templates[] = {"win_back", "vip", NULL};

typedef struct camp_in {
    const char *name, *code, *subject, *intro;
    int template_;
    int64_t audience, promotion, days;
    uint64_t present, nulls;
} camp_in;

static const souk_json_field camp_fields[] = {
    SOUK_JSON_F_STRING("name", SOUK_JSON_REQUIRED, camp_in, name, 1, 100, NULL),
    SOUK_JSON_F_ENUM("template", SOUK_JSON_REQUIRED, camp_in, template_, templates),
    SOUK_JSON_F_ID("audience_id", SOUK_JSON_REQUIRED, camp_in, audience, SOUK_PREFIX_AUDIENCE),
    SOUK_JSON_F_ID("promotion_id", SOUK_JSON_NULLABLE, camp_in, promotion, "promo"),
    SOUK_JSON_F_STRING("code", SOUK_JSON_NULLABLE, camp_in, code, 1, 64, NULL),
    SOUK_JSON_F_STRING("subject", 0, camp_in, subject, 1, 200, NULL),
    SOUK_JSON_F_STRING("intro", 0, camp_in, intro, 1, 2000, NULL),
    SOUK_JSON_F_INT("attribution_days", 0, camp_in, days, 1, 90),
};
static const souk_json_spec camp_spec = SOUK_JSON_SPEC(camp_in, camp_fields);

/* The words of each template unless the campaign gives its own. */
static const char *const default_subject[] = {"We miss you", "Thank you for being one of our best customers"};
static const char *const default_intro[] = {
    "It has been a while since your last order. A lot is new in the shop, and we would love to see you again.",
    "You are one of our best customers. As a thank-you, here is something just for you.",
};

int souk_campaigns_api_create(souk_req *req, souk_res *res)
{
    camp_in in;
    memset(&in, 0, sizeof in);
    if (souk_req_decode(req, res, &camp_spec, &in))
        return res->err;
    if (!in.days) /* absent (the spec's minimum is 1) */
        in.days = 14;
    if (in.code && !in.promotion) {
        souk_problems_add(&res->problems, req->arena, "code", "needs promotion_id: the code is one of its codes");
        return souk_res_invalid(res);
    }
    for (const char *p = in.subject; p && *p; p++)
        if (*p == '\r' || *p == '\n') {
            souk_problems_add(&res->problems, req->arena, "subject", "must be one line");
            return souk_res_invalid(res);
        }
    int r = souk_store_one(req->store, "SELECT 1 FROM campaign_audiences WHERE id = $1",
                           SOUK_ARGS(SOUK_I64(in.audience)), NULL);
    if (r == SOUK_DB_DONE)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such audience.");
    if (r >= 0 && in.promotion &&
        (r = souk_store_one(req->store, "SELECT 1 FROM campaign_promotions WHERE promotion_id = $1",
                            SOUK_ARGS(SOUK_I64(in.promotion)), NULL)) == SOUK_DB_DONE)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such promotion.");
    char code[65] = "";
    if (in.code) {
        size_t n = strlen(in.code);
        for (size_t i = 0; i < n && i < 64; i++)
            code[i] = (char)toupper((unsigned char)in.code[i]); /* codes are stored in upper case */
        code[n < 64 ? n : 64] = 0;
        if (r >= 0 && (r = souk_store_one(
                           req->store, "SELECT 1 FROM campaign_promotion_codes WHERE promotion_id = $1 AND code = $2",
                           SOUK_ARGS(SOUK_I64(in.promotion), SOUK_TEXT(code)), NULL)) == SOUK_DB_DONE)
            return souk_res_error(res, SOUK_E_NOT_FOUND, "The promotion has no such code.");
    }
    int64_t id = souk_id_next(), now = souk_time_now_us();
    if (r >= 0)
        r = souk_store_exec(req->store,
                            "INSERT INTO campaigns (id, name, template, audience_id, promotion_id, code, subject, "
                            "intro, attribution_days, created_at, updated_at) "
                            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
                            SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(in.name), SOUK_TEXT(templates[in.template_]),
                                      SOUK_I64(in.audience), SOUK_REF(in.promotion), SOUK_TEXT(in.code ? code : NULL),
                                      SOUK_TEXT(in.subject ? in.subject : default_subject[in.template_]),
                                      SOUK_TEXT(in.intro ? in.intro : default_intro[in.template_]), SOUK_I64(in.days),
                                      SOUK_I64(now)));
    if (r < 0)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    audit(req, res, "campaign", SOUK_PREFIX_CAMPAIGN, id);
    return answer_campaign(req, res, id, 201);
}

int souk_campaigns_api_send(souk_req *req, souk_res *res)
{
    int64_t id;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_CAMPAIGN, &id))
        return res->err;
    char status[16] = "";
    bool never = false;
    int64_t refreshed = 0;
    int r = souk_store_one(req->store,
                           "SELECT c.status, a.refreshed_at FROM campaigns c JOIN campaign_audiences a "
                           "ON a.id = c.audience_id WHERE c.id = $1",
                           SOUK_ARGS(SOUK_I64(id)),
                           SOUK_COLS(SOUK_COL_STR(status), SOUK_COL_NULLABLE(SOUK_COL_I64(&refreshed), &never)));
    if (r < 0)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    if (r == SOUK_DB_DONE)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such campaign.");
    if (strcmp(status, "draft") != 0)
        return souk_res_error(res, SOUK_E_CONFLICT, "The campaign was sent already.");
    if (never)
        return souk_res_error(res, SOUK_E_CONFLICT,
                              "The campaign's audience has not been computed yet; try again after its refresh.");
    int64_t now = souk_time_now_us();
    r = souk_store_exec(req->store,
                        "UPDATE campaigns SET status = 'sending', send_started_at = $2, updated_at = $2 "
                        "WHERE id = $1 AND status = 'draft'",
                        SOUK_ARGS(SOUK_I64(id), SOUK_I64(now)));
    char key[64];
    snprintf(key, sizeof key, "%s:%lld", SOUK_CAMPAIGNS_SEND_JOB, (long long)id);
    if (r >= 0)
        r = souk_job_enqueue_tx(req->store, SOUK_CAMPAIGNS_SEND_JOB, json_pack("{s:I}", "campaign", (json_int_t)id), 0,
                                key);
    if (r < 0)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    souk_jobs_kick();
    audit(req, res, "campaign", SOUK_PREFIX_CAMPAIGN, id);
    return answer_campaign(req, res, id, 202);
}

/* ---- unsubscribe ---- */

typedef struct unsub_in {
    const char *token;
    uint64_t present, nulls;
} unsub_in;

static const souk_json_field unsub_fields[] = {
    SOUK_JSON_F_STRING("token", SOUK_JSON_REQUIRED, unsub_in, token, 1, SOUK_CAMPAIGNS_UNSUB_MAX - 1, NULL),
};
static const souk_json_spec unsub_spec = SOUK_JSON_SPEC(unsub_in, unsub_fields);

int souk_campaigns_api_unsubscribe(souk_req *req, souk_res *res)
{
    unsub_in in;
    memset(&in, 0, sizeof in);
    if (souk_req_decode(req, res, &unsub_spec, &in))
        return res->err;
    int64_t user = 0;
    souk_err e = souk_campaigns_unsubscribe_tx(req->store, in.token, &user);
    if (e)
        return souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "This unsubscribe link is not valid." : NULL);
    char uid[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "campaign_optout", souk_arena_strdup(req->arena, souk_id_format("usr", user, uid)));
    res->audit_subject_user = user;
    return souk_res_json(res, 200, json_pack("{s:b}", "unsubscribed", 1));
}
