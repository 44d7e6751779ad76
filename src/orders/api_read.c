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
#include "core/query_spec.h"
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
    return souk_store_one(req->store, "SELECT 1 FROM orders WHERE id = $1 AND guest_token_hash = $2",
                          SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(hex)), NULL) == SOUK_DB_ROW;
}

static bool vendor_has_lines(souk_req *req, int64_t id, int64_t vendor)
{
    return souk_store_one(req->store, "SELECT 1 FROM sub_orders WHERE order_id = $1 AND vendor_id = $2",
                          SOUK_ARGS(SOUK_I64(id), SOUK_I64(vendor)), NULL) == SOUK_DB_ROW;
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

/* Staff (orders:read:any) see whether order ID waits for their review: a
 * payment that did not match its total; and its fraud-risk score with its
 * reasons and hold ("fraud"). Others never see these fields. */
static souk_err add_review_for_staff(souk_req *req, int64_t id, json_t *order)
{
    json_t *review = NULL;
    souk_err e = souk_req_can(req, "orders:read:any") ? souk__order_review_json(req->store, id, &review) : SOUK_OK;
    if (review)
        json_object_set_new(order, "review", review);
    json_t *fraud = NULL;
    if (!e && souk_req_can(req, "orders:read:any"))
        e = souk__order_fraud_json(req->store, id, &fraud);
    if (fraud)
        json_object_set_new(order, "fraud", fraud);
    return e;
}

int souk__order_answer(souk_req *req, souk_res *res, int64_t id, int64_t vendor_view, int status)
{
    json_t *j;
    souk_err e = souk__order_json(req->store, id, vendor_view, &j);
    if (!e && (e = add_review_for_staff(req, id, j)))
        json_decref(j);
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
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_ORDER, &id) ||
        souk__order_access(req, res, id, SOUK__SEE, &o, &vendor_view))
        return res->err;
    return souk__order_answer(req, res, id, vendor_view, 200);
}

/* ---- the list ---- */

static const char *const states[] = {"pending_payment", "paid",     "partially_fulfilled",
                                     "fulfilled",       "shipped",  "delivered",
                                     "cancelled",       "refunded", NULL};

/* The query parameters as given. */
typedef struct list_in {
    int state;                         /* index into states */
    const char *q, *vendor, *customer; /* vendor, customer: checked after the decode (permission first) */
    int64_t limit, before;
    uint64_t present;
} list_in;

enum { L_STATE, L_Q, L_VENDOR, L_CUSTOMER, L_LIMIT, L_CURSOR };
static const souk_query_field list_fields[] = {
    [L_STATE] =
        SOUK_QUERY_F_ENUM("state", list_in, state, states, .message = "must be an order state such as paid or shipped"),
    [L_Q] = SOUK_QUERY_F_TEXT("q", list_in, q, 1, 100, .message = "must be 1-100 characters"),
    [L_VENDOR] = SOUK_QUERY_F_TEXT("vendor", list_in, vendor, 0, INT64_MAX),
    [L_CUSTOMER] = SOUK_QUERY_F_TEXT("customer", list_in, customer, 0, INT64_MAX),
    [L_LIMIT] = SOUK_QUERY_F_INT("limit", list_in, limit, 1, LIST_MAX),
    [L_CURSOR] = SOUK_QUERY_F_CURSOR("cursor", list_in, before, "o1", .message = "is not a cursor from this list"),
};
static const souk_query_spec list_spec = SOUK_QUERY_SPEC(list_in, list_fields);

/* What the list shows. */
typedef struct list_filter {
    const char *state, *q;
    int64_t user, vendor, exact_id, before;
    int limit;
} list_filter;

/* The list's own words for the two problems souk_query_decode words alike for every list. */
static void own_words(souk_problems *pr)
{
    for (size_t i = 0; i < pr->count; i++)
        if (strcmp(pr->items[i].message, "unknown parameter") == 0)
            pr->items[i].message = "is not a parameter of this list";
        else if (strcmp(pr->items[i].message, "must not be repeated") == 0)
            pr->items[i].message = "may be given once";
}

static int parse_filter(souk_req *req, souk_res *res, list_filter *f)
{
    list_in in = {.limit = LIST_DEFAULT, .before = INT64_MAX};
    bool any = souk_req_can(req, "orders:read:any");
    souk_problems *pr = &res->problems;
    souk_query_decode(&list_spec, &req->query, &in, req->arena, pr);
    own_words(pr);
    memset(f, 0, sizeof *f);
    f->limit = (int)in.limit;
    f->before = in.before;
    if (souk_query_present(&list_spec, &in, L_STATE))
        f->state = states[in.state];
    if (in.q && souk_id_parse(SOUK_PREFIX_ORDER, in.q, strlen(in.q), &f->exact_id) < 0)
        f->q = in.q; /* an order id finds that order; anything else searches e-mail addresses */
    if (in.vendor && !any)
        souk_problems_add(pr, req->arena, "vendor", "only with the permission orders:read:any");
    else if (in.vendor && souk_id_parse("vend", in.vendor, strlen(in.vendor), &f->vendor) < 0)
        souk_problems_add(pr, req->arena, "vendor", "must be a vendor id");
    if (in.customer && !any)
        souk_problems_add(pr, req->arena, "customer", "only with the permission orders:read:any");
    else if (in.customer && souk_id_parse("usr", in.customer, strlen(in.customer), &f->user) < 0)
        souk_problems_add(pr, req->arena, "customer", "must be a user id");
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

/* The SQL of a list query as its clauses are appended, with its parameters. */
typedef struct list_query {
    souk_buf sql;
    souk_param args[8];
    int n;
} list_query;

/* Appends BEFORE, the next parameter (P), then AFTER. */
static void clause(list_query *lq, const char *before, souk_param p, const char *after)
{
    lq->args[lq->n++] = p;
    souk_buf_printf(&lq->sql, "%s$%d%s", before, lq->n, after);
}

/* Up to LIMIT + 1 ids of the orders F shows, newest first, into IDS. */
static int list_ids(souk_req *req, const list_filter *f, int64_t *ids)
{
    list_query lq = {.n = 0};
    souk_buf_init(&lq.sql, 1024);
    souk_buf_printf(&lq.sql, "SELECT o.id FROM orders o WHERE o.id < $1");
    lq.args[lq.n++] = SOUK_I64(f->before);
    if (f->user)
        clause(&lq, " AND o.user_id = ", SOUK_I64(f->user), "");
    if (f->vendor)
        clause(&lq, " AND EXISTS (SELECT 1 FROM sub_orders s WHERE s.order_id = o.id AND s.vendor_id = ",
               SOUK_I64(f->vendor), ")");
    if (f->state)
        clause(&lq, " AND o.state = ", SOUK_TEXT(f->state), "");
    if (f->q) /* case-insensitive, on every database */
        clause(&lq, " AND lower(o.email) LIKE lower(", SOUK_TEXT(like_pattern(req->arena, f->q)), ") ESCAPE '\\'");
    if (f->exact_id)
        clause(&lq, " AND o.id = ", SOUK_I64(f->exact_id), "");
    clause(&lq, " ORDER BY o.id DESC LIMIT ", SOUK_I64(f->limit + 1), "");
    lq.args[lq.n] = (souk_param){.type = SOUK_TYPE_END};
    int n = lq.sql.data ? souk_store_ids(souk_store_query(req->store, lq.sql.data, lq.args), ids, f->limit + 1)
                        : SOUK_DB_HARD;
    souk_buf_release(&lq.sql);
    return n;
}

int souk_orders_api_list(souk_req *req, souk_res *res)
{
    list_filter f;
    if (parse_filter(req, res, &f))
        return res->err;
    int64_t ids[LIST_MAX + 1];
    int n = list_ids(req, &f, ids);
    if (n < 0)
        return souk_res_error(res, souk_store_dberr(n), NULL);
    bool more = n > f.limit;
    if (more)
        n = f.limit;
    json_t *data = json_array();
    bool vendor_view = !souk_req_can(req, "orders:read:any") && f.vendor;
    for (int i = 0; i < n; i++) {
        json_t *j;
        souk_err e = souk__order_json(req->store, ids[i], vendor_view ? f.vendor : 0, &j);
        if (!e && (e = add_review_for_staff(req, ids[i], j)))
            json_decref(j);
        if (e) {
            json_decref(data);
            return souk_res_error(res, e, NULL);
        }
        keep_secret_for_customer(req, j);
        json_array_append_new(data, j);
    }
    char cursor[SOUK_CURSOR_TEXT_MAX];
    return souk_res_json(res, 200,
                         json_pack("{s:o,s:o}", "data", data, "next_cursor",
                                   more ? json_string(souk_cursor_encode("o1", ids[n - 1], cursor)) : json_null()));
}
