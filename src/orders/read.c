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
    int r = souk_store_one(db, "SELECT coalesce(user_id, 0), total, refunded, coalesce(reservation_id, 0), "
                               "coalesce(cart_id, 0), coalesce(coupon_id, 0), state, payment_status, currency, "
                               "intent_id, email FROM orders WHERE id = $1",
                           SOUK_ARGS(SOUK_I64(id)),
                           SOUK_COLS(SOUK_COL_I64(&row.user_id), SOUK_COL_I64(&row.total), SOUK_COL_I64(&row.refunded),
                                     SOUK_COL_I64(&row.reservation_id), SOUK_COL_I64(&row.cart_id),
                                     SOUK_COL_I64(&row.coupon_id), SOUK_COL_STR(row.state),
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

/* ---- the parts of an order: one query each, one renderer per row (CTX: the currency) ---- */

static json_t *line_row(souk_stmt *st, void *cur)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:I,s:I}", "variant_id", souk_row_id(st, 0, "var"),
                     "product_id", souk_row_id(st, 1, "prod"), "vendor_id", souk_row_id(st, 2, "vend"), "sku",
                     souk_row_text(st, 3), "product_title", souk_row_text(st, 4), "variant_title",
                     souk_row_text(st, 5), "quantity", (json_int_t)souk_stmt_i64(st, 6), "unit_price",
                     money(souk_stmt_i64(st, 7), cur), "line_total", money(souk_stmt_i64(st, 8), cur),
                     "fulfilled_quantity", (json_int_t)souk_stmt_i64(st, 9), "returned_quantity",
                     (json_int_t)souk_stmt_i64(st, 10));
}

static json_t *sub_row(souk_stmt *st, void *cur)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:o}", "id", souk_row_id(st, 0, SOUK_PREFIX_SUB_ORDER), "vendor_id",
                     souk_row_id(st, 1, "vend"), "state", souk_row_text(st, 2), "subtotal",
                     money(souk_stmt_i64(st, 3), cur), "commission_bp", (json_int_t)souk_stmt_i64(st, 4),
                     "commission", money(souk_stmt_i64(st, 5), cur), "carrier", souk_row_text_or_null(st, 6),
                     "tracking", souk_row_text_or_null(st, 7));
}

static json_t *history_row(souk_stmt *st, void *cur)
{
    (void)cur;
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "from", souk_row_text_or_null(st, 0), "to", souk_row_text(st, 1),
                     "note", souk_row_text(st, 2), "actor", souk_row_text(st, 3), "at",
                     souk_row_time(st, 4), "sub_order_id", souk_row_id(st, 5, SOUK_PREFIX_SUB_ORDER));
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
                     souk_row_text(st, 1), "reason", souk_row_text(st, 2), "lines",
                     lines ? lines : json_array(), "refund",
                     souk_stmt_is_null(st, 4) ? json_null() : money(souk_stmt_i64(st, 4), cur), "created_at",
                     souk_row_time(st, 5), "updated_at", souk_row_time(st, 6));
}

static const struct {
    /* $1 the order; $2 (not in shop-only parts) the vendor whose part alone is shown (0 = all) */
    const char *name, *sql;
    json_t *(*row)(souk_stmt *st, void *cur);
    bool shop_only;         /* not shown to a vendor */
} parts[] = {
    {"lines", "SELECT variant_id, product_id, vendor_id, sku, product_title, variant_title, quantity, unit_amount, "
              "line_total, fulfilled, returned FROM order_lines WHERE order_id = $1 AND ($2 = 0 OR vendor_id = $2) "
              "ORDER BY line_no", line_row, false},
    {"sub_orders", "SELECT id, vendor_id, state, subtotal, commission_bp, commission, carrier, tracking "
                   "FROM sub_orders WHERE order_id = $1 AND ($2 = 0 OR vendor_id = $2) ORDER BY id", sub_row, false},
    {"history", "SELECT from_state, to_state, note, actor, created_at, sub_order_id FROM order_history "
                "WHERE order_id = $1 AND ($2 = 0 OR sub_order_id IS NULL OR sub_order_id IN (SELECT id FROM sub_orders "
                "WHERE order_id = $1 AND vendor_id = $2)) ORDER BY id", history_row, false},
    /* money back and returns are the shop's business */
    {"refunds", "SELECT id, amount, reason, created_at, currency FROM refunds WHERE order_id = $1 ORDER BY id",
     refund_row, true},
    {"returns", "SELECT id, state, reason, lines, refund, created_at, updated_at FROM order_returns "
                "WHERE order_id = $1 ORDER BY id", return_row, true},
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

souk_err souk__order_json(souk_store *db, int64_t id, int64_t vendor, json_t **out)
{
    *out = NULL;
    char cur[4], idbuf[SOUK_ID_TEXT_MAX];
    souk_stmt *st = souk_store_query(
        db, "SELECT state, payment_status, email, user_id, currency, subtotal, discount, shipping, tax, total, "
            "refunded, prices_include_tax, shipping_method, coupon_code, shipping_address, gateway, intent_id, "
            "CASE state WHEN 'pending_payment' THEN client_secret END, intent_status, decline_code, created_at, "
            "updated_at, paid_at FROM orders WHERE id = $1",
        SOUK_ARGS(SOUK_I64(id)));
    int r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_SKIP, SOUK_COL_SKIP, SOUK_COL_SKIP, SOUK_COL_SKIP,
                                         SOUK_COL_STR(cur)));
    if (r != SOUK_DB_ROW)
        return souk__order_found(r);
    const char *address_text = souk_stmt_text(st, 14, NULL);
    json_t *address = json_loads(address_text ? address_text : "", 0, NULL);
    json_t *o = json_pack(
        "{s:s,s:o,s:o,s:o,s:o,s:s,s:{s:o,s:o,s:o,s:o,s:o,s:o},s:b,s:o,s:o,s:o,"
        "s:{s:o,s:o,s:o,s:o,s:o},s:o,s:o,s:o}",
        "id", souk__order_ref(id, idbuf), "state", souk_row_text(st, 0), "payment_status",
        souk_row_text(st, 1), "email", souk_row_text(st, 2), "customer_id", souk_row_id(st, 3, "usr"),
        "currency", cur, "totals", "subtotal", money(souk_stmt_i64(st, 5), cur), "discount",
        money(souk_stmt_i64(st, 6), cur), "shipping", money(souk_stmt_i64(st, 7), cur), "tax",
        money(souk_stmt_i64(st, 8), cur), "total", money(souk_stmt_i64(st, 9), cur), "refunded",
        money(souk_stmt_i64(st, 10), cur), "prices_include_tax", souk_stmt_i64(st, 11) != 0, "shipping_method",
        souk_row_text_or_null(st, 12), "coupon", souk_row_text_or_null(st, 13), "shipping_address",
        address ? address : json_object(),
        "payment", "gateway", souk_row_text(st, 15), "intent_id", souk_row_text_or_null(st, 16), "client_secret",
        souk_row_text_or_null(st, 17), "status", souk_row_text(st, 18), "decline_code", souk_row_text_or_null(st, 19),
        "created_at", souk_row_time(st, 20), "updated_at", souk_row_time(st, 21), "paid_at", souk_row_time(st, 22));
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
    souk_stmt *st = souk_store_query(db, "SELECT review_reason, review_source, review_intent_id, review_amount, "
                                         "review_currency, review_refund_id, review_at FROM orders "
                                         "WHERE id = $1 AND review_reason IS NOT NULL",
                                     SOUK_ARGS(SOUK_I64(id)));
    int r = souk_stmt_next(st, NULL);
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_OK : souk_store_dberr(r);
    *out = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "reason", souk_row_text(st, 0), "source", souk_row_text(st, 1),
                     "intent_id", souk_row_text(st, 2), "reported_amount",
                     souk_row_int_or_null(st, 3), "reported_currency",
                     souk_row_text_or_null(st, 4), "refund_id", souk_row_id(st, 5, SOUK_PREFIX_REFUND), "at",
                     souk_row_time(st, 6));
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
