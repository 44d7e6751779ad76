/* read.c — an order as clients see it, and the columns decisions need. */
#include "orders/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "store/page.h"
#include "store/row.h"
#include "core/banned.h"

const char *souk__order_ref(int64_t id, char *buf)
{
    return souk_id_format(SOUK_PREFIX_ORDER, id, buf);
}

souk_err souk__order_load(souk_store *db, int64_t id, souk__order *o)
{
    souk__order row = {.id = id};
    int r = souk_store_one(db,
                           "SELECT coalesce(user_id, 0), total, refunded, coalesce(reservation_id, 0), "
                           "coalesce(cart_id, 0), coalesce(coupon_id, 0), coalesce(paid_at, 0), state, "
                           "payment_status, currency, intent_id, email FROM orders WHERE id = $1",
                           SOUK_ARGS(SOUK_I64(id)),
                           SOUK_COLS(SOUK_COL_I64(&row.user_id), SOUK_COL_I64(&row.total), SOUK_COL_I64(&row.refunded),
                                     SOUK_COL_I64(&row.reservation_id), SOUK_COL_I64(&row.cart_id),
                                     SOUK_COL_I64(&row.coupon_id), SOUK_COL_I64(&row.paid_at), SOUK_COL_STR(row.state),
                                     SOUK_COL_STR(row.payment_status), SOUK_COL_STR(row.currency),
                                     SOUK_COL_STR(row.intent_id), SOUK_COL_STR(row.email)));
    if (r == SOUK_DB_ROW)
        *o = row;
    return souk__order_found(r);
}

static json_t *money(int64_t amount, const char *currency)
{
    return json_pack("{s:I,s:s}", "amount", (json_int_t)amount, "currency", currency);
}

/* ---- values as the renderers take them, from a row (an order paid by the
 * transaction at hand is written by paid_write.c, byte for byte alike) ---- */

typedef struct text {
    const char *s; /* NULL: SQL NULL */
    size_t n;
} text;

static text row_text(souk_stmt *st, int col)
{
    if (souk_stmt_is_null(st, col))
        return (text){NULL, 0};
    size_t n = 0;
    const char *s = souk_stmt_text(st, col, &n);
    return s ? (text){s, n} : (text){"", 0};
}

/* TEXT as a JSON string ("" for NULL; a row written by another tool that
 * is not UTF-8 reads as such, as store/row.h does) */
static json_t *text_json(text t)
{
    json_t *j = json_stringn(t.s ? t.s : "", t.s ? t.n : 0);
    return j ? j : json_string("(invalid UTF-8)");
}

static json_t *text_or_null(text t)
{
    return t.s ? text_json(t) : json_null();
}

/* an id with PREFIX, or null for 0 / NULL */
static json_t *ref_json(const char *prefix, int64_t id, bool present)
{
    char buf[SOUK_ID_TEXT_MAX];
    return present ? json_string(souk_id_format(prefix, id, buf)) : json_null();
}

static json_t *time_json(int64_t us, bool present)
{
    char buf[SOUK_RFC3339_LEN];
    return present ? json_string(souk_time_format(us, buf)) : json_null();
}

/* ---- the parts of an order: one query each, one renderer per row (CTX: the currency) ---- */

typedef struct line_values {
    int64_t variant, product, vendor, quantity, unit_amount, line_total, fulfilled, returned;
    bool has_vendor; /* NULL: the shop's own goods */
    text sku, product_title, variant_title;
    int64_t discount;
} line_values;

static json_t *line_json(const line_values *v, const char *cur)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:o,s:I,s:I}", "variant_id",
                     ref_json("var", v->variant, true), "product_id", ref_json("prod", v->product, true), "vendor_id",
                     ref_json("vend", v->vendor, v->has_vendor), "sku", text_json(v->sku), "product_title",
                     text_json(v->product_title), "variant_title", text_json(v->variant_title), "quantity",
                     (json_int_t)v->quantity, "unit_price", money(v->unit_amount, cur), "line_total",
                     money(v->line_total, cur), "discount", money(v->discount, cur), "fulfilled_quantity",
                     (json_int_t)v->fulfilled, "returned_quantity", (json_int_t)v->returned);
}

static json_t *line_row(souk_stmt *st, void *cur)
{
    line_values v = {souk_stmt_i64(st, 0),      souk_stmt_i64(st, 1), souk_stmt_i64(st, 2), souk_stmt_i64(st, 6),
                     souk_stmt_i64(st, 7),      souk_stmt_i64(st, 8), souk_stmt_i64(st, 9), souk_stmt_i64(st, 10),
                     !souk_stmt_is_null(st, 2), row_text(st, 3),      row_text(st, 4),      row_text(st, 5),
                     souk_stmt_i64(st, 11)};
    return line_json(&v, cur);
}

typedef struct sub_values {
    int64_t id, vendor, subtotal, commission_bp, commission;
    bool has_vendor;
    text state, carrier, tracking;
} sub_values;

static json_t *sub_json(const sub_values *v, const char *cur)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:o}", "id", ref_json(SOUK_PREFIX_SUB_ORDER, v->id, true),
                     "vendor_id", ref_json("vend", v->vendor, v->has_vendor), "state", text_json(v->state), "subtotal",
                     money(v->subtotal, cur), "commission_bp", (json_int_t)v->commission_bp, "commission",
                     money(v->commission, cur), "carrier", text_or_null(v->carrier), "tracking",
                     text_or_null(v->tracking));
}

static json_t *sub_row(souk_stmt *st, void *cur)
{
    sub_values v = {souk_stmt_i64(st, 0), souk_stmt_i64(st, 1), souk_stmt_i64(st, 3),
                    souk_stmt_i64(st, 4), souk_stmt_i64(st, 5), !souk_stmt_is_null(st, 1),
                    row_text(st, 2),      row_text(st, 6),      row_text(st, 7)};
    return sub_json(&v, cur);
}

typedef struct history_values {
    text from, to, note, actor;
    int64_t at, sub;
    bool has_at, has_sub; /* no sub-order: the order itself */
} history_values;

static json_t *history_json(const history_values *v)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "from", text_or_null(v->from), "to", text_json(v->to), "note",
                     text_json(v->note), "actor", text_json(v->actor), "at", time_json(v->at, v->has_at),
                     "sub_order_id", ref_json(SOUK_PREFIX_SUB_ORDER, v->sub, v->has_sub));
}

static json_t *history_row(souk_stmt *st, void *cur)
{
    (void)cur;
    history_values v = {row_text(st, 0),           row_text(st, 1),          row_text(st, 2),
                        row_text(st, 3),           souk_stmt_i64(st, 4),     souk_stmt_i64(st, 5),
                        !souk_stmt_is_null(st, 4), !souk_stmt_is_null(st, 5)};
    return history_json(&v);
}

static json_t *refund_row(souk_stmt *st, void *cur)
{
    const char *taken_in = souk_stmt_text(st, 4, NULL); /* a payment in another currency given back */
    return json_pack("{s:o,s:o,s:o,s:o}", "id", souk_row_id(st, 0, SOUK_PREFIX_REFUND), "amount",
                     money(souk_stmt_i64(st, 1), taken_in && *taken_in ? taken_in : cur), "reason",
                     souk_row_text(st, 2), "created_at", souk_row_time(st, 3));
}

static json_t *return_row(souk_stmt *st, void *cur)
{
    json_t *lines = json_loads(souk_stmt_text(st, 3, NULL), 0, NULL);
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", souk_row_id(st, 0, SOUK_PREFIX_RETURN), "state",
                     souk_row_text(st, 1), "reason", souk_row_text(st, 2), "lines", lines ? lines : json_array(),
                     "refund", souk_stmt_is_null(st, 4) ? json_null() : money(souk_stmt_i64(st, 4), cur), "created_at",
                     souk_row_time(st, 5), "updated_at", souk_row_time(st, 6));
}

static const struct {
    /* $1 the order; $2 (not in shop-only parts) the vendor whose part alone is shown (0 = all) */
    const char *name, *sql;
    json_t *(*row)(souk_stmt *st, void *cur);
    bool shop_only; /* not shown to a vendor */
} parts[] = {
    {"lines",
     "SELECT variant_id, product_id, vendor_id, sku, product_title, variant_title, quantity, unit_amount, "
     "line_total, fulfilled, returned, discount FROM order_lines WHERE order_id = $1 AND ($2 = 0 OR vendor_id = $2) "
     "ORDER BY line_no",
     line_row, false},
    {"sub_orders",
     "SELECT id, vendor_id, state, subtotal, commission_bp, commission, carrier, tracking "
     "FROM sub_orders WHERE order_id = $1 AND ($2 = 0 OR vendor_id = $2) ORDER BY id",
     sub_row, false},
    {"history",
     "SELECT from_state, to_state, note, actor, created_at, sub_order_id FROM order_history "
     "WHERE order_id = $1 AND ($2 = 0 OR sub_order_id IS NULL OR sub_order_id IN (SELECT id FROM sub_orders "
     "WHERE order_id = $1 AND vendor_id = $2)) ORDER BY id",
     history_row, false},
    /* money back and returns are the shop's business */
    {"refunds", "SELECT id, amount, reason, created_at, currency FROM refunds WHERE order_id = $1 ORDER BY id",
     refund_row, true},
    {"returns",
     "SELECT id, state, reason, lines, refund, created_at, updated_at FROM order_returns "
     "WHERE order_id = $1 ORDER BY id",
     return_row, true},
};

/* Adds the parts of order ID to O. SOUK_OK or INTERNAL. */
static souk_err add_parts(souk_store *db, json_t *o, int64_t id, int64_t vendor, char *cur)
{
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        json_t *arr;
        if (vendor && parts[i].shop_only) {
            arr = json_array();
        } else {
            souk_stmt *st = souk_store_query(db, parts[i].sql,
                                             parts[i].shop_only ? SOUK_ARGS(SOUK_I64(id))
                                                                : SOUK_ARGS(SOUK_I64(id), SOUK_I64(vendor)));
            arr = souk_store_rows(st, parts[i].row, cur);
        }
        if (!arr || json_object_set_new(o, parts[i].name, arr) < 0)
            return SOUK_E_INTERNAL;
    }
    return SOUK_OK;
}

/* ---- the order's own row ---- */

typedef struct head_values {
    int64_t id, user_id, subtotal, discount, shipping, tax, total, refunded, created_at, updated_at, paid_at;
    bool prices_include_tax, has_user, has_created, has_updated, has_paid; /* has_…: not NULL */
    const char *cur;
    text state, payment_status, email, shipping_method, coupon, address, gateway, intent_id, client_secret,
        intent_status, decline_code;
} head_values;

static json_t *head_json(const head_values *v)
{
    char idbuf[SOUK_ID_TEXT_MAX];
    json_t *address = json_loads(v->address.s ? v->address.s : "", 0, NULL);
    const char *cur = v->cur;
    return json_pack("{s:s,s:o,s:o,s:o,s:o,s:s,s:{s:o,s:o,s:o,s:o,s:o,s:o},s:b,s:o,s:o,s:o,"
                     "s:{s:o,s:o,s:o,s:o,s:o},s:o,s:o,s:o}",
                     "id", souk__order_ref(v->id, idbuf), "state", text_json(v->state), "payment_status",
                     text_json(v->payment_status), "email", text_json(v->email), "customer_id",
                     ref_json("usr", v->user_id, v->has_user), "currency", cur, "totals", "subtotal",
                     money(v->subtotal, cur), "discount", money(v->discount, cur), "shipping", money(v->shipping, cur),
                     "tax", money(v->tax, cur), "total", money(v->total, cur), "refunded", money(v->refunded, cur),
                     "prices_include_tax", v->prices_include_tax, "shipping_method", text_or_null(v->shipping_method),
                     "coupon", text_or_null(v->coupon), "shipping_address", address ? address : json_object(),
                     "payment", "gateway", text_json(v->gateway), "intent_id", text_or_null(v->intent_id),
                     "client_secret", text_or_null(v->client_secret), "status", text_json(v->intent_status),
                     "decline_code", text_or_null(v->decline_code), "created_at",
                     time_json(v->created_at, v->has_created), "updated_at", time_json(v->updated_at, v->has_updated),
                     "paid_at", time_json(v->paid_at, v->has_paid));
}

souk_err souk__order_json(souk_store *db, int64_t id, int64_t vendor, json_t **out)
{
    *out = NULL;
    char cur[4];
    souk_stmt *st = souk_store_query(
        db,
        "SELECT state, payment_status, email, user_id, currency, subtotal, discount, shipping, tax, total, "
        "refunded, prices_include_tax, shipping_method, coupon_code, shipping_address, gateway, intent_id, "
        "CASE state WHEN 'pending_payment' THEN client_secret END, intent_status, decline_code, created_at, "
        "updated_at, paid_at FROM orders WHERE id = $1",
        SOUK_ARGS(SOUK_I64(id)));
    int r =
        souk_stmt_next(st, SOUK_COLS(SOUK_COL_SKIP, SOUK_COL_SKIP, SOUK_COL_SKIP, SOUK_COL_SKIP, SOUK_COL_STR(cur)));
    if (r != SOUK_DB_ROW)
        return souk__order_found(r);
    head_values v = {.id = id,
                     .user_id = souk_stmt_i64(st, 3),
                     .subtotal = souk_stmt_i64(st, 5),
                     .discount = souk_stmt_i64(st, 6),
                     .shipping = souk_stmt_i64(st, 7),
                     .tax = souk_stmt_i64(st, 8),
                     .total = souk_stmt_i64(st, 9),
                     .refunded = souk_stmt_i64(st, 10),
                     .created_at = souk_stmt_i64(st, 20),
                     .updated_at = souk_stmt_i64(st, 21),
                     .paid_at = souk_stmt_i64(st, 22),
                     .prices_include_tax = souk_stmt_i64(st, 11) != 0,
                     .has_user = !souk_stmt_is_null(st, 3),
                     .has_created = !souk_stmt_is_null(st, 20),
                     .has_updated = !souk_stmt_is_null(st, 21),
                     .has_paid = !souk_stmt_is_null(st, 22),
                     .cur = cur,
                     .state = row_text(st, 0),
                     .payment_status = row_text(st, 1),
                     .email = row_text(st, 2),
                     .shipping_method = row_text(st, 12),
                     .coupon = row_text(st, 13),
                     .address = row_text(st, 14),
                     .gateway = row_text(st, 15),
                     .intent_id = row_text(st, 16),
                     .client_secret = row_text(st, 17),
                     .intent_status = row_text(st, 18),
                     .decline_code = row_text(st, 19)};
    json_t *o = head_json(&v);
    souk_stmt_done(st);
    if (!o)
        return SOUK_E_INTERNAL;
    /* a vendor sees their lines, their sub-order and its history */
    souk_err e = add_parts(db, o, id, vendor, cur);
    if (e) {
        json_decref(o);
        return e;
    }
    *out = o;
    return SOUK_OK;
}

souk_err souk__order_review_json(souk_store *db, int64_t id, json_t **out)
{
    *out = NULL;
    souk_stmt *st = souk_store_query(db,
                                     "SELECT review_reason, review_source, review_intent_id, review_amount, "
                                     "review_currency, review_refund_id, review_at FROM orders "
                                     "WHERE id = $1 AND review_reason IS NOT NULL",
                                     SOUK_ARGS(SOUK_I64(id)));
    int r = souk_stmt_next(st, NULL);
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_OK : souk_store_dberr(r);
    *out = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "reason", souk_row_text(st, 0), "source", souk_row_text(st, 1),
                     "intent_id", souk_row_text(st, 2), "reported_amount", souk_row_int_or_null(st, 3),
                     "reported_currency", souk_row_text_or_null(st, 4), "refund_id",
                     souk_row_id(st, 5, SOUK_PREFIX_REFUND), "at", souk_row_time(st, 6));
    souk_stmt_done(st);
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}

json_t *souk_orders_of_user_json(souk_store *db, int64_t user, int max)
{
    souk_stmt *st = souk_store_query(db, "SELECT id FROM orders WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
                                     SOUK_ARGS(SOUK_I64(user), SOUK_I64(max)));
    int64_t ids[1000];
    int n = souk_store_ids(st, ids, max < 1000 ? max : 1000);
    if (n < 0)
        return NULL;
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        json_t *j;
        if (souk__order_json(db, ids[i], 0, &j)) {
            json_decref(arr);
            return NULL;
        }
        json_array_append_new(arr, j);
    }
    return arr;
}
