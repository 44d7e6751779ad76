/*
 * api.c — the HTTP handlers of fx: the stored rates and the display
 * currencies for admins (permission currencies:manage, audited), and the
 * public list of display currencies with the rates in effect. Rates travel
 * as decimal strings ("0.92"), never as JSON numbers, so that no float ever
 * holds one.
 */
#include "fx/api.h"

#include <string.h>

#include "core/id.h"
#include "core/json.h"
#include "core/query_spec.h"
#include "core/time.h"
#include "fx/fx.h"
#include "store/page.h"
#include "store/row.h"
#include "core/banned.h"

/* The content version the response cache watches (catalog.h's SOUK_CONTENT,
 * named here because the catalog includes fx.h, not the other way round). */
#define CONTENT_VERSION "content"

/* ---- inputs ---- */

typedef struct rate_in {
    const char *rate, *effective_at;
    souk_json_strlist display;
    uint64_t present, nulls;
} rate_in;

static const char *rate_check(const char *s, size_t len)
{
    souk_rate r;
    return souk_rate_parse(&r, s, len) == 0 ? NULL
                                            : "must be a positive decimal string such as \"0.92\": at most 10 "
                                              "significant digits and 12 after the point, below 10000000000";
}

static const char *time_check(const char *s, size_t len)
{
    int64_t t;
    return souk_time_parse(s, len, &t) == 0 ? NULL : "must be an RFC 3339 time";
}

static const char *currency_check(const char *s, size_t len)
{
    return len == 3 && souk_currency_valid(s) ? NULL : "must be an ISO 4217 currency code such as EUR";
}

static const souk_json_field rate_fields[] = {
    SOUK_JSON_F_STRING("rate", SOUK_JSON_REQUIRED, rate_in, rate, 1, 32, rate_check),
    SOUK_JSON_F_STRING("effective_at", 0, rate_in, effective_at, 1, 40, time_check),
};
static const souk_json_field settings_fields[] = {
    SOUK_JSON_F_STRLIST("display_currencies", SOUK_JSON_REQUIRED, rate_in, display, 0, SOUK_FX_DISPLAY_MAX, 3,
                        currency_check),
};
static const souk_json_spec rate_spec = SOUK_JSON_SPEC(rate_in, rate_fields),
                            settings_spec = SOUK_JSON_SPEC(rate_in, settings_fields);

typedef struct list_in {
    char currency[4];
    uint64_t present;
} list_in;

static const char *query_currency(const char *v, size_t len, void *dst, souk_arena *a)
{
    (void)a;
    if (len != 3 || currency_check(v, len))
        return "must be an ISO 4217 currency code such as EUR";
    memcpy(dst, v, 3);
    ((char *)dst)[3] = '\0';
    return NULL;
}

static const souk_query_field list_fields[] = {
    SOUK_QUERY_F_CUSTOM("currency", list_in, currency, query_currency),
};
static const souk_query_spec list_spec = SOUK_QUERY_SPEC(list_in, list_fields);

/* ---- rendering ---- */

static json_t *rate_text(int64_t units, int64_t scale)
{
    char buf[SOUK_RATE_TEXT_MAX];
    souk_rate r = {units, (int)scale};
    return souk_rate_format(&r, buf, sizeof buf) < 0 ? json_null() : json_string(buf);
}

typedef struct row_ctx {
    const char *base;
} row_ctx;

/* columns: id, currency, units, scale, effective_at, created_at, in_effect (0/1) */
static json_t *rate_row(souk_stmt *st, void *arg)
{
    const row_ctx *c = arg;
    return json_pack("{s:o,s:s,s:o,s:o,s:o,s:o,s:b}", "id", souk_row_id(st, 0, SOUK_PREFIX_FX_RATE), "base", c->base,
                     "currency", souk_row_text(st, 1), "rate", rate_text(souk_stmt_i64(st, 2), souk_stmt_i64(st, 3)),
                     "effective_at", souk_row_time(st, 4), "created_at", souk_row_time(st, 5), "in_effect",
                     souk_stmt_i64(st, 6) != 0);
}

/* the rows of base BASE (of CUR when not NULL), newest effective first; ID ≠ 0: that one only */
static json_t *rate_rows(souk_store *db, const char *base, const char *cur, int64_t id, int64_t now)
{
    row_ctx c = {base};
    return souk_store_rows(
        souk_store_query(db,
                         "SELECT r.id, r.currency, r.units, r.scale, r.effective_at, r.created_at, "
                         "CASE WHEN r.effective_at <= $4 AND NOT EXISTS (SELECT 1 FROM fx_rates n "
                         "WHERE n.base = r.base AND n.currency = r.currency AND n.effective_at > r.effective_at "
                         "AND n.effective_at <= $4) THEN 1 ELSE 0 END "
                         "FROM fx_rates r WHERE r.base = $1 AND ($2 = '' OR r.currency = $2) AND ($3 = 0 OR r.id = $3) "
                         "ORDER BY r.currency, r.effective_at DESC LIMIT $5",
                         SOUK_ARGS(SOUK_TEXTN(base, 3), SOUK_TEXT(cur ? cur : ""), SOUK_I64(id), SOUK_I64(now),
                                   SOUK_I64(SOUK_FX_LIST_MAX))),
        rate_row, &c);
}

/* ---- rates ---- */

int souk_fx_api_rates_list(souk_req *req, souk_res *res)
{
    list_in in = {0};
    if (souk_query_decode(&list_spec, &req->query, &in, req->arena, &res->problems) < 0)
        return souk_res_invalid(res);
    json_t *rows = rate_rows(req->store, req->config->currency, in.present ? in.currency : NULL, 0, souk_time_now_us());
    if (!rows)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    return souk_res_json(res, 200, json_pack("{s:s,s:o}", "base", req->config->currency, "data", rows));
}

int souk_fx_api_rate_put(souk_req *req, souk_res *res)
{
    const char *cur = req->params[0];
    if (!cur || currency_check(cur, strlen(cur))) {
        souk_problems_add(&res->problems, req->arena, "currency", "must be an ISO 4217 currency code such as EUR");
        return souk_res_invalid(res);
    }
    const char *base = req->config->currency;
    if (strcmp(cur, base) == 0) {
        souk_problems_add(&res->problems, req->arena, "currency", "is the store currency (%s): its rate is always 1",
                          base);
        return souk_res_invalid(res);
    }
    rate_in in;
    if (souk_req_decode(req, res, &rate_spec, &in))
        return res->err;
    souk_rate rate;
    souk_rate_parse(&rate, in.rate, strlen(in.rate)); /* checked by the spec */
    int64_t now = souk_time_now_us(), at = now;
    if (in.effective_at)
        souk_time_parse(in.effective_at, strlen(in.effective_at), &at);
    int64_t id = 0;
    int r = souk_store_one(req->store,
                           "INSERT INTO fx_rates (id, base, currency, units, scale, effective_at, created_at) "
                           "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (base, currency, effective_at) "
                           "DO UPDATE SET units = excluded.units, scale = excluded.scale, "
                           "created_at = excluded.created_at RETURNING id",
                           SOUK_ARGS(SOUK_I64(souk_id_next()), SOUK_TEXTN(base, 3), SOUK_TEXTN(cur, 3),
                                     SOUK_I64(rate.units), SOUK_I64(rate.scale), SOUK_I64(at), SOUK_I64(now)),
                           SOUK_COLS(SOUK_COL_I64(&id)));
    if (r == SOUK_DB_ROW) /* converted prices in cached answers go stale */
        r = souk_store_touch(req->store, CONTENT_VERSION);
    if (r < 0)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    char idbuf[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "fx_rate", souk_arena_strdup(req->arena, souk_id_format(SOUK_PREFIX_FX_RATE, id, idbuf)));
    json_t *rows = rate_rows(req->store, base, cur, id, now);
    if (json_array_size(rows) != 1) {
        json_decref(rows);
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    }
    json_t *one = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return souk_res_json(res, 200, one);
}

int souk_fx_api_rate_delete(souk_req *req, souk_res *res)
{
    int64_t id;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_FX_RATE, &id))
        return res->err;
    int64_t n = souk_store_update(req->store, "DELETE FROM fx_rates WHERE id = $1", SOUK_ARGS(SOUK_I64(id)));
    if (n > 0)
        n = souk_store_touch(req->store, CONTENT_VERSION);
    else if (n == 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such rate.");
    if (n < 0)
        return souk_res_error(res, souk_store_dberr((int)n), NULL);
    souk_res_audit(res, "fx_rate", req->params[0]);
    res->status = 204;
    return 0;
}

/* ---- settings ---- */

static json_t *display_list(souk_store *db)
{
    json_t *arr = json_array();
    souk_stmt *st =
        souk_store_query(db, "SELECT currency FROM fx_display_currencies ORDER BY position, currency", NULL);
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW)
        json_array_append_new(arr, souk_row_text(st, 0));
    if (r < 0) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

int souk_fx_api_settings_get(souk_req *req, souk_res *res)
{
    json_t *list = display_list(req->store);
    if (!list)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    return souk_res_json(res, 200, json_pack("{s:s,s:o}", "base", req->config->currency, "display_currencies", list));
}

int souk_fx_api_settings_put(souk_req *req, souk_res *res)
{
    rate_in in;
    if (souk_req_decode(req, res, &settings_spec, &in))
        return res->err;
    for (size_t i = 0; i < in.display.count; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(in.display.items[i], in.display.items[j]) == 0)
                souk_problems_add(&res->problems, req->arena, "display_currencies", "%s appears twice",
                                  in.display.items[i]);
    if (res->problems.count)
        return souk_res_invalid(res);
    int r = souk_store_exec(req->store, "DELETE FROM fx_display_currencies", NULL);
    for (size_t i = 0; r >= 0 && i < in.display.count; i++)
        r = souk_store_exec(req->store, "INSERT INTO fx_display_currencies (currency, position) VALUES ($1, $2)",
                            SOUK_ARGS(SOUK_TEXTN(in.display.items[i], 3), SOUK_I64((int64_t)i)));
    if (r >= 0)
        r = souk_store_touch(req->store, CONTENT_VERSION);
    if (r < 0)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    souk_res_audit(res, "fx_settings", "display_currencies");
    return souk_fx_api_settings_get(req, res);
}

/* ---- public ---- */

int souk_fx_api_public(souk_req *req, souk_res *res)
{
    const char *base = req->config->currency;
    int64_t now = souk_time_now_us(), until = 0;
    json_t *codes = display_list(req->store), *out = json_array();
    size_t i;
    json_t *code;
    json_array_foreach(codes, i, code)
    {
        const char *c = json_string_value(code);
        souk_fx_quote q;
        int r = souk_fx_display_quote(req->store, base, c, now, &q);
        if (r < 0) {
            json_decref(codes);
            json_decref(out);
            return souk_res_error(res, souk_store_dberr(r), NULL);
        }
        if (q.next_change && (!until || q.next_change < until))
            until = q.next_change;
        char rate[SOUK_RATE_TEXT_MAX], at[40];
        bool has = r == 1 && souk_rate_format(&q.rate, rate, sizeof rate) > 0;
        json_array_append_new(out, json_pack("{s:s,s:i,s:o,s:o}", "code", c, "minor_units", souk_currency_exponent(c),
                                             "rate", has ? json_string(rate) : json_null(), "effective_at",
                                             has ? json_string(souk_time_format(q.effective_at, at)) : json_null()));
    }
    json_decref(codes);
    res->cache_until_us = until; /* a rate set to start later must show when it starts */
    return souk_res_json(res, 200,
                         json_pack("{s:{s:s,s:i},s:o}", "base", "code", base, "minor_units",
                                   souk_currency_exponent(base), "display_currencies", out));
}
