/*
 * api_read.c — who may see which order, GET /api/v1/orders and
 * GET /api/v1/orders/{id}.
 *
 * Visibility: holders of orders:read:any see every order whole; a customer
 * sees their own; a guest sees theirs with its X-Order-Token; a vendor sees
 * orders holding their goods, cut down to their lines and sub-order.
 * Anyone else gets 404, the same as for an order that does not exist.
 */
#include "orders/api.h"

#include <stdio.h>
#include <string.h>

#include "core/cursor.h"
#include "core/id.h"
#include "core/query.h"
#include "orders/internal.h"
#include "orders/place.h"
#include "store/page.h"
#include "core/banned.h"

#define LIST_MAX 100
#define LIST_DEFAULT 20

static int not_found(souk_res *res)
{
    return souk_res_error(res, SOUK_E_NOT_FOUND, "No such order.");
}

/* 1 when the guest's X-Order-Token opens order ID. */
static bool guest_token_opens(souk_req *req, int64_t id)
{
    const char *token = souk_req_header(req, "x-order-token");
    if (!token || strlen(token) < 4 || strlen(token) > 80 || strncmp(token, "ot_", 3) != 0)
        return false;
    char hex[65];
    souk__order_token_hash(token, hex);
    souk_stmt *st = souk_store_stmt(req->store, "SELECT 1 FROM orders WHERE id = $1 AND guest_token_hash = $2");
    if (!st)
        return false;
    souk_stmt_bind_i64(st, 1, id);
    souk_stmt_bind_text(st, 2, hex, 64);
    bool ok = souk_stmt_step(st) == SOUK_DB_ROW;
    if (ok)
        souk_stmt_done(st);
    return ok;
}

static bool vendor_has_lines(souk_req *req, int64_t id, int64_t vendor)
{
    souk_stmt *st = souk_store_stmt(req->store, "SELECT 1 FROM sub_orders WHERE order_id = $1 AND vendor_id = $2");
    if (!st)
        return false;
    souk_stmt_bind_i64(st, 1, id);
    souk_stmt_bind_i64(st, 2, vendor);
    bool ok = souk_stmt_step(st) == SOUK_DB_ROW;
    if (ok)
        souk_stmt_done(st);
    return ok;
}

int souk__order_access(souk_req *req, souk_res *res, int64_t id, int how, souk__order *o, int64_t *vendor_view)
{
    souk_err e = souk__order_load(req->store, id, o);
    if (e)
        return e == SOUK_E_NOT_FOUND ? not_found(res) : souk_res_error(res, e, NULL);
    *vendor_view = 0;
    /* the owner in person: an API key (even the owner's) is not the customer at checkout either */
    bool owner = req->principal.kind == SOUK_ACTOR_USER && o->user_id && o->user_id == req->principal.user_id;
    switch (how) {
    case SOUK__SEE:
        if (souk_req_can(req, "orders:read:any") || owner || (!o->user_id && guest_token_opens(req, id)))
            return 0;
        break;
    case SOUK__OWNER_OR_MANAGER:
        if (owner || souk_req_can(req, "orders:manage"))
            return 0;
        break;
    case SOUK__OWNER:
        if (owner)
            return 0;
        break;
    case SOUK__FULFIL:
        if (souk_req_can(req, "orders:manage"))
            return 0;
        break;
    }
    if ((how == SOUK__SEE || how == SOUK__FULFIL) && req->principal.vendor_id &&
        souk_req_can(req, "orders:fulfil:own") && vendor_has_lines(req, id, req->principal.vendor_id)) {
        *vendor_view = req->principal.vendor_id;
        return 0;
    }
    return not_found(res);
}

/* The payment's client secret (what confirms a pending payment) is for the
 * customer alone: staff and vendors see null. */
static void keep_secret_for_customer(souk_req *req, json_t *order)
{
    const char *customer = json_string_value(json_object_get(order, "customer_id"));
    char me[SOUK_ID_TEXT_MAX];
    bool is_customer = customer ? req->principal.kind == SOUK_ACTOR_USER &&
                                      strcmp(customer, souk_id_format("usr", req->principal.user_id, me)) == 0
                                : souk_req_header(req, "x-order-token") && !souk_req_can(req, "orders:read:any");
    if (!is_customer)
        json_object_set_new(json_object_get(order, "payment"), "client_secret", json_null());
}

int souk__order_answer(souk_req *req, souk_res *res, int64_t id, int64_t vendor_view, int status)
{
    json_t *j;
    souk_err e = souk__order_json(req->store, id, vendor_view, &j);
    if (e)
        return souk_res_error(res, e, NULL);
    keep_secret_for_customer(req, j);
    char ref[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "order", souk_arena_strdup(req->arena, souk__order_ref(id, ref)));
    return souk_res_json(res, status, j);
}

int souk_orders_api_get(souk_req *req, souk_res *res)
{
    int64_t id, vendor_view;
    souk__order o;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_ORDER, &id) || souk__order_access(req, res, id, SOUK__SEE, &o,
                                                                                    &vendor_view))
        return res->err;
    return souk__order_answer(req, res, id, vendor_view, 200);
}

/* ---- the list ---- */

static const char *const states[] = {"pending_payment", "paid", "partially_fulfilled", "fulfilled", "shipped",
                                     "delivered", "cancelled", "refunded", NULL};

typedef struct list_filter {
    const char *state, *q;
    int64_t user, vendor, exact_id, before;
    int limit;
} list_filter;

static int parse_filter(souk_req *req, souk_res *res, list_filter *f)
{
    memset(f, 0, sizeof *f);
    f->limit = LIST_DEFAULT;
    f->before = INT64_MAX;
    bool any = souk_req_can(req, "orders:read:any");
    souk_problems *pr = &res->problems;
    for (size_t i = 0; i < req->query.count; i++) {
        const char *k = req->query.items[i].key, *v = req->query.items[i].value;
        size_t vlen = req->query.items[i].value_len;
        for (size_t j = 0; j < i; j++)
            if (strcmp(req->query.items[j].key, k) == 0)
                souk_problems_add(pr, req->arena, k, "may be given once");
        int64_t n;
        if (strcmp(k, "state") == 0) {
            f->state = v;
            bool ok = false;
            for (int s = 0; states[s]; s++)
                ok |= strcmp(states[s], v) == 0;
            if (!ok)
                souk_problems_add(pr, req->arena, k, "must be an order state such as paid or shipped");
        } else if (strcmp(k, "q") == 0) {
            if (vlen < 1 || vlen > 100)
                souk_problems_add(pr, req->arena, k, "must be 1-100 characters");
            else if (souk_id_parse(SOUK_PREFIX_ORDER, v, vlen, &n) == 0)
                f->exact_id = n;
            else
                f->q = v;
        } else if (strcmp(k, "vendor") == 0) {
            if (!any)
                souk_problems_add(pr, req->arena, k, "only with the permission orders:read:any");
            else if (souk_id_parse("vend", v, vlen, &f->vendor) < 0)
                souk_problems_add(pr, req->arena, k, "must be a vendor id");
        } else if (strcmp(k, "limit") == 0) {
            if (souk_query_int(v, 1, LIST_MAX, &n) < 0)
                souk_problems_add(pr, req->arena, k, "must be an integer from 1 to %d", LIST_MAX);
            else
                f->limit = (int)n;
        } else if (strcmp(k, "cursor") == 0) {
            if (souk_cursor_decode("o1", v, vlen, &f->before) < 0)
                souk_problems_add(pr, req->arena, k, "is not a cursor from this list");
        } else {
            souk_problems_add(pr, req->arena, k, "is not a parameter of this list");
        }
    }
    if (pr->count)
        return souk_res_invalid(res);
    if (!any) { /* vendors see orders with their goods; everyone else their own */
        if (req->principal.vendor_id && souk_req_can(req, "orders:fulfil:own"))
            f->vendor = req->principal.vendor_id;
        else
            f->user = req->principal.kind == SOUK_ACTOR_USER ? req->principal.user_id : -1;
    }
    return 0;
}

/* "%", "_" and "\" matched literally in a LIKE pattern. */
static const char *like_pattern(souk_arena *a, const char *q)
{
    size_t n = strlen(q);
    char *out = souk_arena_alloc(a, 2 * n + 3), *p = out;
    if (!out)
        return "%";
    *p++ = '%';
    for (size_t i = 0; i < n; i++) {
        if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
            *p++ = '\\';
        *p++ = q[i];
    }
    *p++ = '%';
    *p = '\0';
    return out;
}

int souk_orders_api_list(souk_req *req, souk_res *res)
{
    list_filter f;
    if (parse_filter(req, res, &f))
        return res->err;
    souk_stmt *st = souk_store_stmt(
        req->store, "SELECT o.id FROM orders o WHERE ($1 = 0 OR o.user_id = $1) AND ($2 = 0 OR EXISTS (SELECT 1 "
                    "FROM sub_orders s WHERE s.order_id = o.id AND s.vendor_id = $2)) AND ($3 IS NULL OR o.state = $3) "
                    "AND ($4 IS NULL OR o.email LIKE $4 ESCAPE '\\') AND ($5 = 0 OR o.id = $5) AND o.id < $6 "
                    "ORDER BY o.id DESC LIMIT $7");
    if (!st)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_stmt_bind_i64(st, 1, f.user);
    souk_stmt_bind_i64(st, 2, f.vendor);
    if (f.state)
        souk_stmt_bind_text(st, 3, f.state, SIZE_MAX);
    else
        souk_stmt_bind_null(st, 3);
    if (f.q)
        souk_stmt_bind_text(st, 4, like_pattern(req->arena, f.q), SIZE_MAX);
    else
        souk_stmt_bind_null(st, 4);
    souk_stmt_bind_i64(st, 5, f.exact_id);
    souk_stmt_bind_i64(st, 6, f.before);
    souk_stmt_bind_i64(st, 7, f.limit + 1);
    int64_t ids[LIST_MAX + 1];
    int n = souk_store_ids(st, ids, f.limit + 1);
    if (n < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    bool more = n > f.limit;
    if (more)
        n = f.limit;
    json_t *data = json_array();
    bool vendor_view = !souk_req_can(req, "orders:read:any") && f.vendor;
    for (int i = 0; i < n; i++) {
        json_t *j;
        souk_err e = souk__order_json(req->store, ids[i], vendor_view ? f.vendor : 0, &j);
        if (e) {
            json_decref(data);
            return souk_res_error(res, e, NULL);
        }
        keep_secret_for_customer(req, j);
        json_array_append_new(data, j);
    }
    char cursor[SOUK_CURSOR_TEXT_MAX];
    return souk_res_json(res, 200, json_pack("{s:o,s:o}", "data", data, "next_cursor",
                                             more ? json_string(souk_cursor_encode("o1", ids[n - 1], cursor))
                                                  : json_null()));
}
