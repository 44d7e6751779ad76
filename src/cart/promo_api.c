/*
 * promo_api.c — promotions for admins (permission pricing:manage):
 * GET/POST /api/v1/admin/promotions, GET/PATCH/DELETE …/{id}, and
 * GET/POST …/{id}/codes (one named code, or a batch of unique random
 * ones). Every write bumps promotion_state's generation in its own
 * transaction, so the next cart priced anywhere reloads the snapshot; the
 * server's audit entry names the promotion. Shapes: docs/promotions.md.
 */
#include "cart/api.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cart/internal.h"
#include "catalog/catalog.h"
#include "core/id.h"
#include "core/money.h"
#include "core/time.h"
#include "store/page.h"
#include "store/row.h"
#include "core/banned.h"

#define PROMO_PREFIX "promo"
#define BATCH_MAX 10000
#define USES_MAX INT64_C(1000000000)

/* ---- reading ---- */

static json_t *set_json(const char *kind, const char *ids_text)
{
    int k = souk_promo_set_kind_parse(kind);
    static const char *const prefix[] = {"", "prod", "cat", "brand", "vend"};
    json_t *ids = json_array(), *in = json_loads(ids_text ? ids_text : "[]", 0, NULL);
    for (size_t i = 0; ids && k > 0 && i < json_array_size(in); i++) {
        char buf[SOUK_ID_TEXT_MAX];
        json_array_append_new(ids,
                              json_string(souk_id_format(prefix[k], json_integer_value(json_array_get(in, i)), buf)));
    }
    json_decref(in);
    return json_pack("{s:s,s:o}", "kind", k < 0 ? "all" : kind, "ids", ids);
}

static json_t *time_or_null(souk_stmt *st, int col)
{
    return souk_stmt_is_null(st, col) ? json_null() : souk_row_time(st, col);
}

static json_t *promo_row(souk_stmt *st, void *ctx)
{
    (void)ctx;
    json_t *tiers = json_loads(souk_stmt_text(st, 10, NULL), 0, NULL);
    return json_pack(
        "{s:o,s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:o,s:I,s:o,s:o,s:o,s:b,s:I,s:b,s:b,s:b,s:o,s:o,s:I,s:o,s:o,s:o}", "id",
        souk_row_id(st, 0, PROMO_PREFIX), "name", souk_row_text(st, 1), "kind", souk_row_text(st, 2), "target",
        set_json(souk_stmt_text(st, 3, NULL), souk_stmt_text(st, 4, NULL)), "buy",
        set_json(souk_stmt_text(st, 5, NULL), souk_stmt_text(st, 6, NULL)), "value", (json_int_t)souk_stmt_i64(st, 7),
        "buy_quantity", (json_int_t)souk_stmt_i64(st, 8), "get_quantity", (json_int_t)souk_stmt_i64(st, 9), "tiers",
        tiers ? tiers : json_array(), "min_subtotal", (json_int_t)souk_stmt_i64(st, 11), "currency",
        souk_row_text_or_null(st, 12), "starts_at", time_or_null(st, 13), "ends_at", time_or_null(st, 14), "exclusive",
        souk_stmt_i64(st, 15) != 0, "priority", (json_int_t)souk_stmt_i64(st, 16), "requires_code",
        souk_stmt_i64(st, 17) != 0, "flash_sale", souk_stmt_i64(st, 18) != 0, "active", souk_stmt_i64(st, 19) != 0,
        "usage_limit", souk_row_int_or_null(st, 20), "per_customer_limit", souk_row_int_or_null(st, 21), "used_count",
        (json_int_t)souk_stmt_i64(st, 22), "created_at", souk_row_time(st, 23), "updated_at", souk_row_time(st, 24),
        "audience_id", souk_stmt_is_null(st, 25) ? json_null() : souk_row_id(st, 25, "aud"));
}

/* Promotions (ONLY_ID ≠ 0: that one), by priority then id. */
static json_t *promo_rows(souk_store *db, int64_t only_id)
{
    souk_stmt *st = souk_store_query(
        db,
        "SELECT id, name, kind, target_kind, target_ids, buy_kind, buy_ids, value, buy_qty, get_qty, tiers, "
        "min_subtotal, currency, starts_at, ends_at, exclusive, priority, needs_code, flash, active, usage_limit, "
        "per_customer_limit, used_count, created_at, updated_at, audience_id FROM promotions WHERE $1 = 0 OR id = $1 "
        "ORDER BY priority DESC, id LIMIT 1000",
        SOUK_ARGS(SOUK_I64(only_id)));
    return souk_store_rows(st, promo_row, NULL);
}

static int send_one(souk_res *res, json_t *arr, int status)
{
    if (!arr)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (json_array_size(arr) != 1) {
        json_decref(arr);
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such promotion.");
    }
    json_t *one = json_incref(json_array_get(arr, 0));
    json_decref(arr);
    return souk_res_json(res, status, one);
}

int souk_cart_api_promo_list(souk_req *req, souk_res *res)
{
    json_t *arr = promo_rows(req->store, 0);
    return arr ? souk_res_json(res, 200, json_pack("{s:o}", "data", arr)) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

static int id_param(souk_req *req, souk_res *res, int64_t *id)
{
    if (souk_id_parse(PROMO_PREFIX, req->params[0], strlen(req->params[0]), id) < 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such promotion.");
    return 0;
}

int souk_cart_api_promo_get(souk_req *req, souk_res *res)
{
    int64_t id;
    if (id_param(req, res, &id))
        return res->err;
    return send_one(res, promo_rows(req->store, id), 200);
}

/* ---- validation: one object, whole (a create, or a row merged with a patch) ---- */

typedef struct promo_in {
    const char *name, *kind, *target_kind, *buy_kind, *currency;
    char target_ids[SOUK_PROMO_MAX_SET * 21 + 3], buy_ids[SOUK_PROMO_MAX_SET * 21 + 3], tiers[512];
    int64_t value, buy_qty, get_qty, min_subtotal, starts_at, ends_at, priority, usage_limit, per_customer_limit;
    int64_t audience; /* 0: everyone */
    bool has_starts, has_ends, has_usage_limit, has_per_customer, exclusive, needs_code, flash, active;
} promo_in;

static void problem(souk_req *req, souk_res *res, const char *field, const char *msg)
{
    souk_problems_add(&res->problems, req->arena, field, "%s", msg);
}

/* Integer FIELD of O into *OUT (DEF when absent) within [LO, HI]. */
static void int_field(souk_req *req, souk_res *res, const json_t *o, const char *field, int64_t def, int64_t lo,
                      int64_t hi, int64_t *out)
{
    const json_t *v = json_object_get(o, field);
    *out = def;
    if (!v)
        return;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        souk_problems_add(&res->problems, req->arena, field, "must be an integer from %lld to %lld", (long long)lo,
                          (long long)hi);
        return;
    }
    *out = json_integer_value(v);
}

static void limit_field(souk_req *req, souk_res *res, const json_t *o, const char *field, int64_t *out, bool *has)
{
    const json_t *v = json_object_get(o, field);
    *has = v && !json_is_null(v);
    if (*has)
        int_field(req, res, o, field, 0, 1, USES_MAX, out);
}

static bool bool_field(souk_req *req, souk_res *res, const json_t *o, const char *field, bool def)
{
    const json_t *v = json_object_get(o, field);
    if (v && !json_is_boolean(v))
        problem(req, res, field, "must be true or false");
    return v ? json_is_true(v) : def;
}

static void time_field(souk_req *req, souk_res *res, const json_t *o, const char *field, int64_t *out, bool *has)
{
    const json_t *v = json_object_get(o, field);
    *has = v && !json_is_null(v);
    if (*has && (!json_is_string(v) || souk_time_parse(json_string_value(v), json_string_length(v), out) < 0))
        problem(req, res, field, "must be an RFC 3339 time or null");
}

/* Set FIELD of O ({kind, ids}) into *KIND and the JSON text IDS. */
static void set_field(souk_req *req, souk_res *res, const json_t *o, const char *field, const char **kind, char *ids,
                      size_t cap)
{
    static const char *const prefix[] = {"", "prod", "cat", "brand", "vend"};
    const json_t *v = json_object_get(o, field);
    *kind = "all";
    snprintf(ids, cap, "[]");
    if (!v || json_is_null(v))
        return;
    const json_t *k = json_object_get(v, "kind"), *list = json_object_get(v, "ids");
    int kk = json_is_object(v) ? souk_promo_set_kind_parse(json_string_value(k)) : -1;
    char f[40];
    snprintf(f, sizeof f, "%s.kind", field);
    if (kk < 0) {
        problem(req, res, f, "must be all, products, categories, brands or vendors");
        return;
    }
    *kind = souk_promo_set_kind_name((souk_promo_set_kind)kk);
    snprintf(f, sizeof f, "%s.ids", field);
    size_t n = json_array_size(list);
    if (kk == SOUK_PROMO_SET_ALL ? n != 0 : (!json_is_array(list) || n < 1 || n > SOUK_PROMO_MAX_SET)) {
        problem(req, res, f, kk == SOUK_PROMO_SET_ALL ? "must be empty for all" : "must list 1-100 ids");
        return;
    }
    size_t at = (size_t)snprintf(ids, cap, "[");
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(list, i));
        int64_t id = 0;
        if (!s || souk_id_parse(prefix[kk], s, strlen(s), &id) < 0) {
            souk_problems_add(&res->problems, req->arena, f, "item %zu must be a %s_… id", i, prefix[kk]);
            return;
        }
        at += (size_t)snprintf(ids + at, cap - at, "%s%lld", i ? "," : "", (long long)id);
    }
    snprintf(ids + at, cap - at, "]");
}

static void tiers_field(souk_req *req, souk_res *res, const json_t *o, char *out, size_t cap)
{
    const json_t *v = json_object_get(o, "tiers");
    snprintf(out, cap, "[]");
    if (!v || json_is_null(v))
        return;
    size_t n = json_array_size(v);
    if (!json_is_array(v) || n > SOUK_PROMO_MAX_TIERS) {
        problem(req, res, "tiers", "must list at most 5 tiers");
        return;
    }
    size_t at = (size_t)snprintf(out, cap, "[");
    int64_t last = -1;
    for (size_t i = 0; i < n; i++) {
        const json_t *t = json_array_get(v, i), *mn = json_object_get(t, "min"), *bp = json_object_get(t, "rate_bp");
        if (!json_is_integer(mn) || !json_is_integer(bp) || json_integer_value(mn) <= last ||
            json_integer_value(mn) > SOUK_MONEY_MAX || json_integer_value(bp) < 1 || json_integer_value(bp) > 10000) {
            souk_problems_add(&res->problems, req->arena, "tiers",
                              "tier %zu must be {min, rate_bp}: minimums ascending, rate_bp 1-10000", i);
            return;
        }
        last = json_integer_value(mn);
        at += (size_t)snprintf(out + at, cap - at, "%s{\"min\":%lld,\"rate_bp\":%lld}", i ? "," : "", (long long)last,
                               (long long)json_integer_value(bp));
    }
    snprintf(out + at, cap - at, "]");
}

/* O checked whole into IN; problems on RES. */
static void check(souk_req *req, souk_res *res, const json_t *o, promo_in *in)
{
    memset(in, 0, sizeof *in);
    const json_t *name = json_object_get(o, "name"), *kind = json_object_get(o, "kind"),
                 *cur = json_object_get(o, "currency");
    in->name = json_string_value(name);
    if (!in->name || json_string_length(name) < 1 || json_string_length(name) > 100)
        problem(req, res, "name", "is required, 1-100 characters");
    int k = souk_promo_kind_parse(json_string_value(kind));
    if (k < 0)
        problem(req, res, "kind", "must be percent, fixed, buy_x_get_y, tiered or free_shipping");
    in->kind = k < 0 ? "percent" : souk_promo_kind_name((souk_promo_kind)k);
    if (cur && !json_is_null(cur)) {
        in->currency = json_string_value(cur);
        const char *why =
            in->currency ? souk__cart_check_currency(in->currency, strlen(in->currency)) : "must be an ISO 4217 code";
        if (why)
            problem(req, res, "currency", why);
    }
    int64_t max = k == SOUK_PROMO_FIXED ? SOUK_MONEY_MAX : 10000;
    int_field(req, res, o, "value", k == SOUK_PROMO_BXGY ? 10000 : 0, 0, max, &in->value);
    if ((k == SOUK_PROMO_PERCENT || k == SOUK_PROMO_FIXED) && in->value == 0 && json_object_get(o, "value") == NULL)
        problem(req, res, "value", k == SOUK_PROMO_FIXED ? "is required (minor units)" : "is required (basis points)");
    if (k == SOUK_PROMO_FIXED && !in->currency)
        problem(req, res, "currency", "fixed promotions need a currency");
    set_field(req, res, o, "target", &in->target_kind, in->target_ids, sizeof in->target_ids);
    set_field(req, res, o, "buy", &in->buy_kind, in->buy_ids, sizeof in->buy_ids);
    int_field(req, res, o, "buy_quantity", k == SOUK_PROMO_BXGY ? 1 : 0, 0, 100, &in->buy_qty);
    int_field(req, res, o, "get_quantity", k == SOUK_PROMO_BXGY ? 1 : 0, 0, 100, &in->get_qty);
    if (k == SOUK_PROMO_BXGY && (in->buy_qty < 1 || in->get_qty < 1))
        problem(req, res, "buy_quantity", "buy_x_get_y needs buy_quantity and get_quantity of 1 or more");
    tiers_field(req, res, o, in->tiers, sizeof in->tiers);
    if (k == SOUK_PROMO_TIERED && strcmp(in->tiers, "[]") == 0)
        problem(req, res, "tiers", "tiered promotions need 1-5 tiers");
    int_field(req, res, o, "min_subtotal", 0, 0, SOUK_MONEY_MAX, &in->min_subtotal);
    time_field(req, res, o, "starts_at", &in->starts_at, &in->has_starts);
    time_field(req, res, o, "ends_at", &in->ends_at, &in->has_ends);
    if (in->has_starts && in->has_ends && in->ends_at <= in->starts_at)
        problem(req, res, "ends_at", "must be after starts_at");
    int_field(req, res, o, "priority", 0, -1000, 1000, &in->priority);
    limit_field(req, res, o, "usage_limit", &in->usage_limit, &in->has_usage_limit);
    limit_field(req, res, o, "per_customer_limit", &in->per_customer_limit, &in->has_per_customer);
    in->exclusive = bool_field(req, res, o, "exclusive", false);
    in->needs_code = bool_field(req, res, o, "requires_code", false);
    in->flash = bool_field(req, res, o, "flash_sale", false);
    in->active = bool_field(req, res, o, "active", true);
    if (in->flash && !(in->has_starts && in->has_ends))
        problem(req, res, "flash_sale", "a flash sale needs starts_at and ends_at");
    if (in->flash && k != SOUK_PROMO_PERCENT) /* a price per unit the catalog can show */
        problem(req, res, "flash_sale", "a flash sale is a percent promotion");
    if (in->flash && in->needs_code)
        problem(req, res, "flash_sale", "a flash sale applies without a code");
    const json_t *aud = json_object_get(o, "audience_id");
    if (aud && !json_is_null(aud)) {
        const char *s = json_string_value(aud);
        if (!s || souk_id_parse("aud", s, strlen(s), &in->audience) < 0)
            problem(req, res, "audience_id", "must be an aud_… id or null");
        else if (souk_store_one(req->store, "SELECT 1 FROM cart_audiences WHERE audience_id = $1",
                                SOUK_ARGS(SOUK_I64(in->audience)), NULL) != SOUK_DB_ROW)
            problem(req, res, "audience_id", "names no audience");
        if (in->flash && in->audience) /* the catalog shows a flash price to everyone */
            problem(req, res, "audience_id", "a flash sale is for everyone");
    }
    static const char *const known[] = {
        "name",        "kind",          "value",        "currency",    "target",
        "buy",         "buy_quantity",  "get_quantity", "tiers",       "min_subtotal",
        "starts_at",   "ends_at",       "priority",     "usage_limit", "per_customer_limit",
        "exclusive",   "requires_code", "flash_sale",   "active",      "id",
        "audience_id", "used_count",    "created_at",   "updated_at"};
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)o, key, val)
    {
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0] && !ok; i++)
            ok = strcmp(known[i], key) == 0;
        if (!ok)
            souk_problems_add(&res->problems, req->arena, key, "is not a field of a promotion");
    }
}

/* ---- writing ---- */

typedef struct write_ctx {
    const promo_in *in;
    int64_t id;
    bool create;
} write_ctx;

#define OPT(has, v) ((has) ? SOUK_I64(v) : SOUK_NULL)

static souk_err write_body(souk_store *db, void *arg)
{
    const write_ctx *c = arg;
    const promo_in *in = c->in;
    int64_t now = souk_time_now_us();
    int r;
    if (c->create)
        r = souk_store_exec(
            db,
            "INSERT INTO promotions (id, name, kind, target_kind, target_ids, buy_kind, buy_ids, value, buy_qty, "
            "get_qty, tiers, min_subtotal, currency, starts_at, ends_at, exclusive, priority, needs_code, flash, "
            "active, usage_limit, per_customer_limit, created_at, updated_at, audience_id) VALUES ($1, $2, $3, $4, $5, $6, "
            "$7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $23, $24)",
            SOUK_ARGS(SOUK_I64(c->id), SOUK_TEXT(in->name), SOUK_TEXT(in->kind), SOUK_TEXT(in->target_kind),
                      SOUK_TEXT(in->target_ids), SOUK_TEXT(in->buy_kind), SOUK_TEXT(in->buy_ids), SOUK_I64(in->value),
                      SOUK_I64(in->buy_qty), SOUK_I64(in->get_qty), SOUK_TEXT(in->tiers), SOUK_I64(in->min_subtotal),
                      SOUK_TEXT(in->currency), OPT(in->has_starts, in->starts_at), OPT(in->has_ends, in->ends_at),
                      SOUK_I64(in->exclusive), SOUK_I64(in->priority), SOUK_I64(in->needs_code), SOUK_I64(in->flash),
                      SOUK_I64(in->active), OPT(in->has_usage_limit, in->usage_limit),
                      OPT(in->has_per_customer, in->per_customer_limit), SOUK_I64(now), SOUK_REF(in->audience)));
    else
        r = souk_store_exec(
            db,
            "UPDATE promotions SET name = $2, kind = $3, target_kind = $4, target_ids = $5, buy_kind = $6, "
            "buy_ids = $7, value = $8, buy_qty = $9, get_qty = $10, tiers = $11, min_subtotal = $12, currency = $13, "
            "starts_at = $14, ends_at = $15, exclusive = $16, priority = $17, needs_code = $18, flash = $19, "
            "active = $20, usage_limit = $21, per_customer_limit = $22, updated_at = $23, audience_id = $24 WHERE id = $1",
            SOUK_ARGS(SOUK_I64(c->id), SOUK_TEXT(in->name), SOUK_TEXT(in->kind), SOUK_TEXT(in->target_kind),
                      SOUK_TEXT(in->target_ids), SOUK_TEXT(in->buy_kind), SOUK_TEXT(in->buy_ids), SOUK_I64(in->value),
                      SOUK_I64(in->buy_qty), SOUK_I64(in->get_qty), SOUK_TEXT(in->tiers), SOUK_I64(in->min_subtotal),
                      SOUK_TEXT(in->currency), OPT(in->has_starts, in->starts_at), OPT(in->has_ends, in->ends_at),
                      SOUK_I64(in->exclusive), SOUK_I64(in->priority), SOUK_I64(in->needs_code), SOUK_I64(in->flash),
                      SOUK_I64(in->active), OPT(in->has_usage_limit, in->usage_limit),
                      OPT(in->has_per_customer, in->per_customer_limit), SOUK_I64(now), SOUK_REF(in->audience)));
    if (r < 0)
        return souk_store_dberr(r);
    souk_err e = souk__promo_bump_tx(db);
    if (!e && in->flash) /* the catalog shows the sale price: its cached answers go */
        e = souk_store_dberr(souk_store_touch(db, SOUK_CONTENT));
    return e;
}

static int finish_write(souk_req *req, souk_res *res, const promo_in *in, int64_t id, bool create)
{
    if (res->problems.count)
        return souk_res_invalid(res);
    write_ctx c = {in, id, create};
    souk_err e = souk_store_run(req->store, write_body, &c, &res->problems);
    if (e)
        return souk_res_error(res, e, NULL);
    char buf[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "promotion", souk_arena_strdup(req->arena, souk_id_format(PROMO_PREFIX, id, buf)));
    return send_one(res, promo_rows(req->store, id), create ? 201 : 200);
}

int souk_cart_api_promo_create(souk_req *req, souk_res *res)
{
    json_t *o = souk_req_json(req, res);
    if (!o)
        return res->err;
    promo_in in;
    check(req, res, o, &in);
    int rc = finish_write(req, res, &in, souk_id_next(), true);
    json_decref(o);
    return rc;
}

int souk_cart_api_promo_update(souk_req *req, souk_res *res)
{
    int64_t id;
    if (id_param(req, res, &id))
        return res->err;
    json_t *patch = souk_req_json(req, res);
    if (!patch)
        return res->err;
    json_t *rows = promo_rows(req->store, id);
    json_t *merged = json_array_size(rows) == 1 ? json_deep_copy(json_array_get(rows, 0)) : NULL;
    json_decref(rows);
    if (!merged) {
        json_decref(patch);
        return souk_res_error(res, rows ? SOUK_E_NOT_FOUND : SOUK_E_INTERNAL, "No such promotion.");
    }
    json_object_update(merged, patch); /* the patch's keys win, null included */
    promo_in in;
    check(req, res, merged, &in);
    int rc = finish_write(req, res, &in, id, false);
    json_decref(patch);
    json_decref(merged);
    return rc;
}

static souk_err delete_body(souk_store *db, void *arg)
{
    int64_t id = *(const int64_t *)arg;
    /* used ones stay (orders name them), switched off; others go with their codes */
    int r = souk_store_one(db,
                           "SELECT 1 FROM promotions WHERE id = $1 AND (used_count > 0 OR EXISTS "
                           "(SELECT 1 FROM promotion_redemptions WHERE promotion_id = $1))",
                           SOUK_ARGS(SOUK_I64(id)), NULL);
    if (r == SOUK_DB_ROW)
        r = souk_store_exec(db, "UPDATE promotions SET active = 0, updated_at = $2 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(id), SOUK_I64(souk_time_now_us())));
    else if (r == SOUK_DB_DONE) {
        r = souk_store_exec(db,
                            "UPDATE carts SET promo_code_id = NULL WHERE promo_code_id IN "
                            "(SELECT id FROM promotion_codes WHERE promotion_id = $1)",
                            SOUK_ARGS(SOUK_I64(id)));
        if (r >= 0)
            r = souk_store_exec(db, "DELETE FROM promotion_codes WHERE promotion_id = $1", SOUK_ARGS(SOUK_I64(id)));
        if (r >= 0)
            r = souk_store_exec(db, "DELETE FROM promotion_customer_uses WHERE promotion_id = $1",
                                SOUK_ARGS(SOUK_I64(id)));
        if (r >= 0)
            r = souk_store_exec(db, "DELETE FROM promotions WHERE id = $1", SOUK_ARGS(SOUK_I64(id)));
    }
    souk_err e = souk_store_dberr(r);
    if (!e)
        e = souk__promo_bump_tx(db);
    if (!e)
        e = souk_store_dberr(souk_store_touch(db, SOUK_CONTENT));
    return e;
}

int souk_cart_api_promo_delete(souk_req *req, souk_res *res)
{
    int64_t id;
    if (id_param(req, res, &id))
        return res->err;
    json_t *rows = promo_rows(req->store, id);
    size_t n = json_array_size(rows);
    json_decref(rows);
    if (n != 1)
        return souk_res_error(res, rows ? SOUK_E_NOT_FOUND : SOUK_E_INTERNAL, "No such promotion.");
    souk_err e = souk_store_run(req->store, delete_body, &id, &res->problems);
    if (e)
        return souk_res_error(res, e, NULL);
    souk_res_audit(res, "promotion", req->params[0]);
    res->status = 204;
    return 0;
}

/* ---- codes ---- */

static json_t *code_row(souk_stmt *st, void *ctx)
{
    (void)ctx;
    return json_pack("{s:o,s:o,s:o,s:I,s:o}", "code", souk_row_text(st, 0), "batch_id",
                     souk_stmt_is_null(st, 1) ? json_null() : souk_row_id(st, 1, "pcb"), "usage_limit",
                     souk_row_int_or_null(st, 2), "used_count", (json_int_t)souk_stmt_i64(st, 3), "created_at",
                     souk_row_time(st, 4));
}

int souk_cart_api_promo_codes(souk_req *req, souk_res *res)
{
    int64_t id;
    if (id_param(req, res, &id))
        return res->err;
    json_t *rows = promo_rows(req->store, id);
    size_t n = json_array_size(rows);
    json_decref(rows);
    if (n != 1)
        return souk_res_error(res, rows ? SOUK_E_NOT_FOUND : SOUK_E_INTERNAL, "No such promotion.");
    souk_stmt *st = souk_store_query(req->store,
                                     "SELECT code, batch_id, usage_limit, used_count, created_at FROM "
                                     "promotion_codes WHERE promotion_id = $1 ORDER BY id LIMIT $2",
                                     SOUK_ARGS(SOUK_I64(id), SOUK_I64(BATCH_MAX)));
    json_t *arr = souk_store_rows(st, code_row, NULL);
    return arr ? souk_res_json(res, 200, json_pack("{s:o}", "data", arr)) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

typedef struct codes_ctx {
    int64_t promo, batch, count, limit;
    bool has_limit;
    const char *code, *prefix;
    json_t *out;
    bool taken;
} codes_ctx;

/* A random code: PREFIX then 10 characters of Crockford's base 32 (50 bits). */
static void random_code(const char *prefix, char *out, size_t cap)
{
    static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    unsigned char r[10];
    randombytes_buf(r, sizeof r);
    size_t at = (size_t)snprintf(out, cap, "%s", prefix ? prefix : "");
    for (size_t i = 0; i < sizeof r && at + 1 < cap; i++)
        out[at++] = alphabet[r[i] & 31];
    out[at] = '\0';
}

static souk_err codes_body(souk_store *db, void *arg)
{
    codes_ctx *c = arg;
    json_decref(c->out);
    c->out = json_array();
    if (!c->out)
        return SOUK_E_INTERNAL;
    int64_t now = souk_time_now_us();
    for (int64_t i = 0; i < c->count; i++) {
        char code[64];
        int r = SOUK_DB_DONE;
        for (int attempt = 0; attempt < 8; attempt++) { /* a clash in 2^50 is rare; retry it */
            if (c->code)
                snprintf(code, sizeof code, "%s", c->code);
            else
                random_code(c->prefix, code, sizeof code);
            r = souk_store_one(db,
                               "INSERT INTO promotion_codes (id, promotion_id, code, batch_id, usage_limit, "
                               "created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING "
                               "RETURNING id",
                               SOUK_ARGS(SOUK_I64(souk_id_next()), SOUK_I64(c->promo), SOUK_TEXT(code),
                                         SOUK_REF(c->batch), c->has_limit ? SOUK_I64(c->limit) : SOUK_NULL,
                                         SOUK_I64(now)),
                               NULL);
            if (r != SOUK_DB_DONE || c->code)
                break;
        }
        if (r == SOUK_DB_DONE && c->code) {
            c->taken = true;
            return SOUK_E_CONFLICT;
        }
        if (r != SOUK_DB_ROW)
            return r == SOUK_DB_DONE ? SOUK_E_CONFLICT : souk_store_dberr(r);
        json_array_append_new(c->out, json_string(code));
    }
    return souk__promo_bump_tx(db);
}

static const char *code_chars(const char *s, size_t lo, size_t hi)
{
    size_t n = strlen(s);
    if (n < lo || n > hi)
        return "has the wrong length";
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return "use only letters, digits, '-' and '_'";
    return NULL;
}

int souk_cart_api_promo_codes_create(souk_req *req, souk_res *res)
{
    int64_t id;
    if (id_param(req, res, &id))
        return res->err;
    bool needs_code = false;
    int r = souk_store_one(req->store, "SELECT needs_code = 1 FROM promotions WHERE id = $1", SOUK_ARGS(SOUK_I64(id)),
                           SOUK_COLS(SOUK_COL_BOOL(&needs_code)));
    if (r != SOUK_DB_ROW)
        return souk_res_error(res, r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r), "No such promotion.");
    json_t *o = souk_req_json(req, res);
    if (!o)
        return res->err;
    codes_ctx c = {.promo = id, .count = 1};
    char code[40] = "", prefix[24] = "";
    const json_t *jc = json_object_get(o, "code"), *jp = json_object_get(o, "prefix");
    if (!needs_code)
        problem(req, res, "code", "the promotion applies without a code: set requires_code first");
    if (jc && jp)
        problem(req, res, "prefix", "give either code or count and prefix");
    if (jc) {
        const char *why = json_is_string(jc) ? code_chars(json_string_value(jc), 2, 32) : "must be a string";
        if (why)
            problem(req, res, "code", why);
        else
            snprintf(code, sizeof code, "%s", json_string_value(jc));
        c.code = code;
    } else {
        int_field(req, res, o, "count", 1, 1, BATCH_MAX, &c.count);
        if (jp) {
            const char *why = json_is_string(jp) ? code_chars(json_string_value(jp), 0, 20) : "must be a string";
            if (why)
                problem(req, res, "prefix", why);
            else
                snprintf(prefix, sizeof prefix, "%s", json_string_value(jp));
        }
        c.prefix = prefix;
        c.batch = souk_id_next();
    }
    limit_field(req, res, o, "usage_limit", &c.limit, &c.has_limit);
    const char *key;
    const json_t *val;
    json_object_foreach(o, key, val)
    {
        if (strcmp(key, "code") && strcmp(key, "count") && strcmp(key, "prefix") && strcmp(key, "usage_limit"))
            souk_problems_add(&res->problems, req->arena, key,
                              "is not a field here (code, count, prefix, usage_limit)");
    }
    json_decref(o);
    if (res->problems.count)
        return souk_res_invalid(res);
    for (char *p = code; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    for (char *p = prefix; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    souk_err e = souk_store_run(req->store, codes_body, &c, &res->problems);
    if (e) {
        json_decref(c.out);
        if (c.taken)
            problem(req, res, "code", "is already used");
        return souk_res_error(res, e, NULL);
    }
    souk_res_audit(res, "promotion", req->params[0]);
    char batch[SOUK_ID_TEXT_MAX];
    return souk_res_json(res, 201,
                         json_pack("{s:o,s:o}", "batch_id",
                                   c.batch ? json_string(souk_id_format("pcb", c.batch, batch)) : json_null(), "codes",
                                   c.out));
}
