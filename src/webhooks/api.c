/*
 * api.c — the admin routes of outgoing webhooks: subscriptions (create,
 * list, read, update, delete, rotate the secret) and the delivery log (list,
 * detail with attempts, replay). Writes run in their own transactions
 * (souk_store_run); create and update are blocking routes because checking a
 * URL resolves its host.
 */
#include "webhooks/api.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/cursor.h"
#include "core/id.h"
#include "core/json.h"
#include "core/query_spec.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "store/page.h"
#include "store/row.h"
#include "webhooks/internal.h"
#include "core/banned.h"

#define DEFAULT_LIMIT 50
#define LIST_MAX 200

/* ---- rendering ---- */

#define SUB_COLS                                                                                                       \
    "id, url, description, event_types, enabled, disabled_reason, disabled_at, failing_since, failed_deliveries, "     \
    "previous_expires_at, created_at, updated_at"

static json_t *types_json(const char *list)
{
    json_t *arr = json_array();
    const char *p = list ? list : "";
    while (arr && *p) {
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n)
            json_array_append_new(arr, json_stringn(p, n));
        p += n;
        while (*p == ' ')
            p++;
    }
    return arr;
}

static json_t *sub_row(souk_stmt *st, void *ctx)
{
    (void)ctx;
    int64_t now = souk_time_now_us();
    bool rotating = !souk_stmt_is_null(st, 9) && souk_stmt_i64(st, 9) > now;
    return json_pack("{s:o,s:o,s:o,s:o,s:b,s:o,s:o,s:o,s:I,s:o,s:o,s:o}", "id", souk_row_id(st, 0, SOUK_PREFIX_WEBHOOK),
                     "url", souk_row_text(st, 1), "description", souk_row_text(st, 2), "event_types",
                     types_json(souk_stmt_text(st, 3, NULL)), "enabled", souk_stmt_i64(st, 4) != 0, "disabled_reason",
                     souk_row_text_or_null(st, 5), "disabled_at", souk_row_time(st, 6), "failing_since",
                     souk_row_time(st, 7), "failed_deliveries", (json_int_t)souk_stmt_i64(st, 8),
                     "previous_secret_expires_at", rotating ? souk_row_time(st, 9) : json_null(), "created_at",
                     souk_row_time(st, 10), "updated_at", souk_row_time(st, 11));
}

/* Subscription ID (0 = all) as an array. */
static json_t *sub_rows(souk_store *db, int64_t id)
{
    souk_stmt *st = souk_store_query(db,
                                     "SELECT " SUB_COLS " FROM webhooks_subscriptions WHERE ($1 = 0 OR id = $1) "
                                     "ORDER BY id",
                                     SOUK_ARGS(SOUK_I64(id)));
    return souk_store_rows(st, sub_row, NULL);
}

/* Answers STATUS with subscription ID (plus EXTRA's members, stolen). */
static int send_sub(souk_req *req, souk_res *res, int64_t id, int status, json_t *extra)
{
    json_t *arr = sub_rows(req->store, id);
    if (!arr) {
        json_decref(extra);
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    }
    if (json_array_size(arr) != 1) {
        json_decref(arr);
        json_decref(extra);
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such webhook subscription.");
    }
    json_t *one = json_incref(json_array_get(arr, 0));
    json_decref(arr);
    if (extra)
        json_object_update(one, extra);
    json_decref(extra);
    return souk_res_json(res, status, one);
}

#define DELIVERY_COLS                                                                                                  \
    "id, subscription_id, event_id, event_type, status, attempts, next_attempt_at, last_response_code, "               \
    "last_error, last_duration_ms, created_at, updated_at"

static json_t *delivery_row(souk_stmt *st)
{
    return json_pack(
        "{s:o,s:o,s:I,s:o,s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:o}", "id", souk_row_id(st, 0, SOUK_PREFIX_WEBHOOK_DELIVERY),
        "subscription_id", souk_row_id(st, 1, SOUK_PREFIX_WEBHOOK), "event_id", (json_int_t)souk_stmt_i64(st, 2),
        "event_type", souk_row_text(st, 3), "status", souk_row_text(st, 4), "attempts",
        (json_int_t)souk_stmt_i64(st, 5), "next_attempt_at", souk_row_time(st, 6), "last_response_code",
        souk_row_int_or_null(st, 7), "last_error", souk_row_text_or_null(st, 8), "last_duration_ms",
        souk_row_int_or_null(st, 9), "created_at", souk_row_time(st, 10), "updated_at", souk_row_time(st, 11));
}

static json_t *attempt_row(souk_stmt *st, void *ctx)
{
    (void)ctx;
    return json_pack("{s:I,s:o,s:o,s:I,s:o,s:o}", "attempt", (json_int_t)souk_stmt_i64(st, 0), "at",
                     souk_row_time(st, 1), "response_code", souk_row_int_or_null(st, 2), "duration_ms",
                     (json_int_t)souk_stmt_i64(st, 3), "error", souk_row_text_or_null(st, 4), "response_body",
                     souk_row_text_or_null(st, 5));
}

/* The delivery ID with its body and attempts, or NULL (*FOUND false when there is none). */
static json_t *delivery_detail(souk_store *db, int64_t id, bool *found)
{
    *found = false;
    souk_stmt *st = souk_store_query(db, "SELECT " DELIVERY_COLS ", body FROM webhooks_deliveries WHERE id = $1",
                                     SOUK_ARGS(SOUK_I64(id)));
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW) {
        souk_stmt_done(st);
        return NULL;
    }
    *found = true;
    json_t *d = delivery_row(st);
    size_t bl;
    const char *body = souk_stmt_text(st, 12, &bl);
    json_t *parsed = body ? json_loadb(body, bl, 0, NULL) : NULL;
    souk_stmt_done(st);
    if (!d) {
        json_decref(parsed);
        return NULL;
    }
    json_object_set_new(d, "payload", parsed ? parsed : json_null());
    json_t *attempts = souk_store_rows(souk_store_query(db,
                                                        "SELECT attempt, at, response_code, duration_ms, error, "
                                                        "response_body FROM webhooks_attempts WHERE delivery_id = $1 "
                                                        "ORDER BY attempt",
                                                        SOUK_ARGS(SOUK_I64(id))),
                                       attempt_row, NULL);
    if (!attempts) {
        json_decref(d);
        return NULL;
    }
    json_object_set_new(d, "attempts_log", attempts);
    return d;
}

/* ---- input ---- */

typedef struct sub_in {
    const char *url, *description;
    souk_json_strlist event_types;
    bool enabled;
    int64_t grace_seconds;
    uint64_t present, nulls;
} sub_in;

static const char *type_check(const char *s, size_t len)
{
    (void)len;
    return souk_webhooks_event_type_known(s) ? NULL
                                             : "is not an event type webhooks send (see GET /api/v1/openapi.json, "
                                               "WebhookEventType)";
}

enum { F_URL, F_TYPES, F_DESCRIPTION, F_ENABLED };
#define SUB_FIELDS(req)                                                                                                \
    SOUK_JSON_F_STRING("url", req, sub_in, url, 1, SOUK_WEBHOOKS_URL_MAX, NULL),                                       \
        SOUK_JSON_F_STRLIST("event_types", req, sub_in, event_types, 1, SOUK_WEBHOOKS_TYPES_MAX, TYPE_NAME_MAX,        \
                            type_check),                                                                               \
        SOUK_JSON_F_STRING("description", 0, sub_in, description, 0, SOUK_WEBHOOKS_DESCRIPTION_MAX, NULL),             \
        SOUK_JSON_F_BOOL("enabled", 0, sub_in, enabled)
#define TYPE_NAME_MAX 64
static const souk_json_field create_fields[] = {SUB_FIELDS(SOUK_JSON_REQUIRED)};
static const souk_json_field update_fields[] = {SUB_FIELDS(0)};
static const souk_json_field rotate_fields[] = {
    SOUK_JSON_F_INT("grace_seconds", 0, sub_in, grace_seconds, 0, SOUK_WEBHOOKS_GRACE_MAX_S),
};
static const souk_json_spec create_spec = SOUK_JSON_SPEC(sub_in, create_fields),
                            update_spec = SOUK_JSON_SPEC(sub_in, update_fields),
                            rotate_spec = SOUK_JSON_SPEC(sub_in, rotate_fields);

/* The event types as stored: sorted, without repeats, space-separated (arena). */
static const char *types_text(souk_req *req, const souk_json_strlist *l)
{
    size_t total = 1;
    for (size_t i = 0; i < l->count; i++)
        total += strlen(l->items[i]) + 1;
    char *out = souk_arena_alloc(req->arena, total);
    if (!out)
        return NULL;
    out[0] = 0;
    size_t n = 0;
    for (size_t k = 0; souk_webhooks_event_types[k]; k++) /* the documented order */
        for (size_t i = 0; i < l->count; i++)
            if (strcmp(l->items[i], souk_webhooks_event_types[k]) == 0) {
                n += (size_t)snprintf(out + n, total - n, "%s%s", n ? " " : "", souk_webhooks_event_types[k]);
                break;
            }
    return out;
}

/* 0 when URL may be a target; else a 422 on RES naming the field. */
static int check_url(souk_req *req, souk_res *res, const char *url)
{
    souk_webhooks_target t;
    char why[300];
    if (souk_webhooks_target_check(url, &souk_webhooks_config_get()->allow, true, &t, why, sizeof why) == 0)
        return 0;
    souk_problems_add(&res->problems, req->arena, "url", "%s", why);
    return souk_res_invalid(res);
}

/* ---- subscriptions ---- */

int souk_webhooks_api_list(souk_req *req, souk_res *res)
{
    json_t *arr = sub_rows(req->store, 0);
    return arr ? souk_res_json(res, 200, json_pack("{s:o}", "data", arr)) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

int souk_webhooks_api_get(souk_req *req, souk_res *res)
{
    int64_t id;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_WEBHOOK, &id))
        return res->err;
    return send_sub(req, res, id, 200, NULL);
}

typedef struct write_ctx {
    souk_req *req;
    const souk_json_spec *spec;
    sub_in *in;
    int64_t id;
    const char *types;
    char secret[SOUK_WEBHOOKS_SECRET_MAX];
    int64_t grace_until;
} write_ctx;

static souk_err set_types(souk_store *db, int64_t id, const souk_json_strlist *l)
{
    int r = souk_store_exec(db, "DELETE FROM webhooks_subscription_types WHERE subscription_id = $1",
                            SOUK_ARGS(SOUK_I64(id)));
    for (size_t i = 0; r >= 0 && i < l->count; i++)
        r = souk_store_exec(db,
                            "INSERT INTO webhooks_subscription_types (event_type, subscription_id) VALUES ($1, $2) "
                            "ON CONFLICT (event_type, subscription_id) DO NOTHING",
                            SOUK_ARGS(SOUK_TEXT(l->items[i]), SOUK_I64(id)));
    return souk_store_dberr(r);
}

static souk_err create_body(souk_store *db, void *arg)
{
    write_ctx *c = arg;
    int64_t count = 0;
    int r = souk_store_one(db, "SELECT count(*) FROM webhooks_subscriptions", NULL, SOUK_COLS(SOUK_COL_I64(&count)));
    if (r < 0)
        return souk_store_dberr(r);
    if (count >= SOUK_WEBHOOKS_SUBSCRIPTIONS_MAX)
        return SOUK_E_CONFLICT;
    int64_t now = souk_time_now_us();
    bool enabled = !souk_json_present(c->spec, c->in, F_ENABLED) || c->in->enabled;
    r = souk_store_exec(db,
                        "INSERT INTO webhooks_subscriptions (id, url, description, event_types, enabled, secret, "
                        "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                        SOUK_ARGS(SOUK_I64(c->id), SOUK_TEXT(c->in->url),
                                  SOUK_TEXT(c->in->description ? c->in->description : ""), SOUK_TEXT(c->types),
                                  SOUK_I64(enabled ? 1 : 0), SOUK_TEXT(c->secret), SOUK_I64(now)));
    if (r < 0)
        return souk_store_dberr(r);
    return set_types(db, c->id, &c->in->event_types);
}

int souk_webhooks_api_create(souk_req *req, souk_res *res)
{
    sub_in in;
    if (souk_req_decode(req, res, &create_spec, &in) || check_url(req, res, in.url))
        return res->err;
    write_ctx c = {.req = req, .spec = &create_spec, .in = &in, .id = souk_id_next()};
    if (!(c.types = types_text(req, &in.event_types)))
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_webhooks_secret_new(c.secret);
    souk_err e = souk_store_run(req->store, create_body, &c, NULL);
    if (e == SOUK_E_CONFLICT)
        return souk_res_error(res, e, "A shop has at most 100 webhook subscriptions.");
    if (e)
        return souk_res_error(res, e, NULL);
    char sid[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "webhook_subscription",
                   souk_arena_strdup(req->arena, souk_id_format(SOUK_PREFIX_WEBHOOK, c.id, sid)));
    int rc = send_sub(req, res, c.id, 201, json_pack("{s:s}", "secret", c.secret));
    sodium_memzero(c.secret, sizeof c.secret);
    return rc;
}

static souk_err update_body(souk_store *db, void *arg)
{
    write_ctx *c = arg;
    const souk_json_spec *spec = c->spec;
    bool enable = souk_json_present(spec, c->in, F_ENABLED) && c->in->enabled;
    int64_t n = souk_store_update(
        db,
        "UPDATE webhooks_subscriptions SET url = COALESCE($2, url), description = COALESCE($3, description), "
        "event_types = COALESCE($4, event_types), enabled = CASE WHEN $5 THEN $6 ELSE enabled END, "
        "failing_since = CASE WHEN $7 THEN NULL ELSE failing_since END, "
        "failed_deliveries = CASE WHEN $7 THEN 0 ELSE failed_deliveries END, "
        "disabled_reason = CASE WHEN $7 THEN NULL WHEN $5 AND $6 = 0 THEN 'disabled by an admin' "
        "ELSE disabled_reason END, "
        "disabled_at = CASE WHEN $7 THEN NULL WHEN $5 AND $6 = 0 AND enabled = 1 THEN $8 ELSE disabled_at END, "
        "updated_at = $8 WHERE id = $1",
        SOUK_ARGS(SOUK_I64(c->id), SOUK_TEXT(c->in->url), SOUK_TEXT(c->in->description), SOUK_TEXT(c->types),
                  SOUK_BOOL(souk_json_present(spec, c->in, F_ENABLED)), SOUK_I64(c->in->enabled ? 1 : 0),
                  SOUK_BOOL(enable), SOUK_I64(souk_time_now_us())));
    if (n < 0)
        return souk_store_dberr((int)n);
    if (n == 0)
        return SOUK_E_NOT_FOUND;
    return c->types ? set_types(db, c->id, &c->in->event_types) : SOUK_OK;
}

int souk_webhooks_api_update(souk_req *req, souk_res *res)
{
    sub_in in;
    write_ctx c = {.req = req, .spec = &update_spec, .in = &in};
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_WEBHOOK, &c.id) || souk_req_decode(req, res, &update_spec, &in))
        return res->err;
    if (in.url && check_url(req, res, in.url))
        return res->err;
    if (in.event_types.count && !(c.types = types_text(req, &in.event_types)))
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_err e = souk_store_run(req->store, update_body, &c, NULL);
    if (e)
        return souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "No such webhook subscription." : NULL);
    souk_res_audit(res, "webhook_subscription", req->params[0]);
    return send_sub(req, res, c.id, 200, NULL);
}

static souk_err delete_body(souk_store *db, void *arg)
{
    write_ctx *c = arg;
    int r = souk_store_exec(db,
                            "DELETE FROM webhooks_attempts WHERE delivery_id IN "
                            "(SELECT id FROM webhooks_deliveries WHERE subscription_id = $1)",
                            SOUK_ARGS(SOUK_I64(c->id)));
    if (r >= 0)
        r = souk_store_exec(db, "DELETE FROM webhooks_deliveries WHERE subscription_id = $1",
                            SOUK_ARGS(SOUK_I64(c->id)));
    if (r >= 0)
        r = souk_store_exec(db, "DELETE FROM webhooks_subscription_types WHERE subscription_id = $1",
                            SOUK_ARGS(SOUK_I64(c->id)));
    if (r < 0)
        return souk_store_dberr(r);
    int64_t n = souk_store_update(db, "DELETE FROM webhooks_subscriptions WHERE id = $1", SOUK_ARGS(SOUK_I64(c->id)));
    return n < 0 ? souk_store_dberr((int)n) : n == 0 ? SOUK_E_NOT_FOUND : SOUK_OK;
}

int souk_webhooks_api_delete(souk_req *req, souk_res *res)
{
    write_ctx c = {.req = req};
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_WEBHOOK, &c.id))
        return res->err;
    souk_err e = souk_store_run(req->store, delete_body, &c, NULL);
    if (e)
        return souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "No such webhook subscription." : NULL);
    souk_res_audit(res, "webhook_subscription", req->params[0]);
    res->status = 204;
    return 0;
}

static souk_err rotate_body(souk_store *db, void *arg)
{
    write_ctx *c = arg;
    int64_t n = souk_store_update(
        db,
        "UPDATE webhooks_subscriptions SET previous_secret = secret, secret = $2, "
        "previous_expires_at = $3, updated_at = $4 WHERE id = $1",
        SOUK_ARGS(SOUK_I64(c->id), SOUK_TEXT(c->secret), SOUK_I64(c->grace_until), SOUK_I64(souk_time_now_us())));
    return n < 0 ? souk_store_dberr((int)n) : n == 0 ? SOUK_E_NOT_FOUND : SOUK_OK;
}

int souk_webhooks_api_rotate(souk_req *req, souk_res *res)
{
    sub_in in = {0};
    write_ctx c = {.req = req, .in = &in};
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_WEBHOOK, &c.id))
        return res->err;
    if (req->body_len && souk_req_decode(req, res, &rotate_spec, &in))
        return res->err;
    int64_t grace =
        req->body_len && souk_json_present(&rotate_spec, &in, 0) ? in.grace_seconds : SOUK_WEBHOOKS_GRACE_DEFAULT_S;
    c.grace_until = souk_time_now_us() + grace * 1000000;
    souk_webhooks_secret_new(c.secret);
    souk_err e = souk_store_run(req->store, rotate_body, &c, NULL);
    if (e) {
        sodium_memzero(c.secret, sizeof c.secret);
        return souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "No such webhook subscription." : NULL);
    }
    souk_res_audit(res, "webhook_subscription", req->params[0]);
    char when[SOUK_RFC3339_LEN];
    int rc =
        souk_res_json(res, 200,
                      json_pack("{s:s,s:s,s:o}", "id", req->params[0], "secret", c.secret, "previous_secret_expires_at",
                                grace ? json_string(souk_time_format(c.grace_until, when)) : json_null()));
    sodium_memzero(c.secret, sizeof c.secret);
    return rc;
}

/* ---- deliveries ---- */

static const char *const status_names[] = {"pending", "succeeded", "failed", NULL};

typedef struct delivery_filter {
    int status;
    int64_t limit, cursor;
    uint64_t present;
} delivery_filter;

static const souk_query_field delivery_fields[] = {
    SOUK_QUERY_F_ENUM("status", delivery_filter, status, status_names,
                      .message = "must be one of pending, succeeded, failed"),
    SOUK_QUERY_F_INT("limit", delivery_filter, limit, 1, LIST_MAX),
    SOUK_QUERY_F_CURSOR("cursor", delivery_filter, cursor, "wd1"),
};
static const souk_query_spec delivery_spec = SOUK_QUERY_SPEC(delivery_filter, delivery_fields);

int souk_webhooks_api_deliveries(souk_req *req, souk_res *res)
{
    int64_t id;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_WEBHOOK, &id))
        return res->err;
    delivery_filter f = {.status = -1, .limit = DEFAULT_LIMIT};
    if (souk_query_decode(&delivery_spec, &req->query, &f, req->arena, &res->problems) < 0)
        return souk_res_invalid(res);
    int r =
        souk_store_one(req->store, "SELECT 1 FROM webhooks_subscriptions WHERE id = $1", SOUK_ARGS(SOUK_I64(id)), NULL);
    if (r < 0)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    if (r == SOUK_DB_DONE)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such webhook subscription.");
    souk_stmt *st = souk_store_query(req->store,
                                     "SELECT " DELIVERY_COLS " FROM webhooks_deliveries WHERE subscription_id = $1 "
                                     "AND ($2 IS NULL OR status = $2) AND id < $3 ORDER BY id DESC LIMIT $4",
                                     SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(f.status >= 0 ? status_names[f.status] : NULL),
                                               SOUK_I64(f.cursor ? f.cursor : INT64_MAX), SOUK_I64(f.limit + 1)));
    int64_t last;
    bool more;
    json_t *data = souk_store_page(st, (int)f.limit, delivery_row, &last, &more, &r);
    if (!data)
        return souk_res_error(res, r ? souk_store_dberr(r) : SOUK_E_INTERNAL, NULL);
    char cursor[SOUK_CURSOR_TEXT_MAX];
    return souk_res_json(res, 200,
                         json_pack("{s:o,s:o}", "data", data, "next_cursor",
                                   more ? json_string(souk_cursor_encode("wd1", last, cursor)) : json_null()));
}

int souk_webhooks_api_delivery(souk_req *req, souk_res *res)
{
    int64_t id;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_WEBHOOK_DELIVERY, &id))
        return res->err;
    bool found;
    json_t *d = delivery_detail(req->store, id, &found);
    if (!d)
        return souk_res_error(res, found ? SOUK_E_INTERNAL : SOUK_E_NOT_FOUND,
                              found ? NULL : "No such webhook delivery.");
    return souk_res_json(res, 200, d);
}

typedef struct replay_ctx {
    int64_t id;
    const char *conflict;
} replay_ctx;

static souk_err replay_body(souk_store *db, void *arg)
{
    replay_ctx *c = arg;
    char status[16] = "";
    int64_t attempts = 0;
    bool enabled = false;
    int r = souk_store_one(db,
                           "SELECT d.status, d.attempts, s.enabled FROM webhooks_deliveries d "
                           "JOIN webhooks_subscriptions s ON s.id = d.subscription_id WHERE d.id = $1",
                           SOUK_ARGS(SOUK_I64(c->id)),
                           SOUK_COLS((souk_col){.type = SOUK_TYPE_TEXT, .out = status, .cap = sizeof status},
                                     SOUK_COL_I64(&attempts), SOUK_COL_BOOL(&enabled)));
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_DONE)
        return SOUK_E_NOT_FOUND;
    if (strcmp(status, "pending") == 0) {
        c->conflict = "The delivery is still pending; it will be attempted again on its own.";
        return SOUK_E_CONFLICT;
    }
    if (!enabled) {
        c->conflict = "The delivery's subscription is disabled; enable it first.";
        return SOUK_E_CONFLICT;
    }
    int64_t now = souk_time_now_us();
    r = souk_store_exec(db,
                        "UPDATE webhooks_deliveries SET status = 'pending', next_attempt_at = $2, updated_at = $2 "
                        "WHERE id = $1",
                        SOUK_ARGS(SOUK_I64(c->id), SOUK_I64(now)));
    if (r >= 0)
        r = souk__webhooks_enqueue_attempt_tx(db, c->id, attempts + 1, 0);
    return souk_store_dberr(r);
}

int souk_webhooks_api_replay(souk_req *req, souk_res *res)
{
    replay_ctx c = {0};
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_WEBHOOK_DELIVERY, &c.id))
        return res->err;
    souk_err e = souk_store_run(req->store, replay_body, &c, NULL);
    if (e == SOUK_E_NOT_FOUND)
        return souk_res_error(res, e, "No such webhook delivery.");
    if (e)
        return souk_res_error(res, e, e == SOUK_E_CONFLICT ? c.conflict : NULL);
    souk_jobs_kick();
    souk_res_audit(res, "webhook_delivery", req->params[0]);
    bool found;
    json_t *d = delivery_detail(req->store, c.id, &found);
    return d ? souk_res_json(res, 202, d) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}
