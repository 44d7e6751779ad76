/* read.c — an order as clients see it, and the columns decisions need. */
#include "orders/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "store/page.h"
#include "core/banned.h"

const char *souk__order_ref(int64_t id, char *buf)
{
    return souk_id_format(SOUK_PREFIX_ORDER, id, buf);
}

static void copy_col(souk_stmt *st, int col, char *dst, size_t size)
{
    const char *s = souk_stmt_is_null(st, col) ? "" : souk_stmt_text(st, col, NULL);
    snprintf(dst, size, "%s", s ? s : "");
}

souk_err souk__order_load(souk_store *db, int64_t id, souk__order *o)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT coalesce(user_id, 0), total, refunded, coalesce(reservation_id, 0), "
                                        "coalesce(cart_id, 0), coalesce(coupon_id, 0), state, payment_status, "
                                        "currency, intent_id, email FROM orders WHERE id = $1");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, id);
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
    memset(o, 0, sizeof *o);
    o->id = id;
    o->user_id = souk_stmt_i64(st, 0);
    o->total = souk_stmt_i64(st, 1);
    o->refunded = souk_stmt_i64(st, 2);
    o->reservation_id = souk_stmt_i64(st, 3);
    o->cart_id = souk_stmt_i64(st, 4);
    o->coupon_id = souk_stmt_i64(st, 5);
    copy_col(st, 6, o->state, sizeof o->state);
    copy_col(st, 7, o->payment_status, sizeof o->payment_status);
    copy_col(st, 8, o->currency, sizeof o->currency);
    copy_col(st, 9, o->intent_id, sizeof o->intent_id);
    copy_col(st, 10, o->email, sizeof o->email);
    souk_stmt_done(st);
    return SOUK_OK;
}

static json_t *money(int64_t amount, const char *currency)
{
    return json_pack("{s:I,s:s}", "amount", (json_int_t)amount, "currency", currency);
}

static json_t *id_or_null(souk_stmt *st, int col, const char *prefix)
{
    char buf[SOUK_ID_TEXT_MAX];
    return souk_stmt_is_null(st, col) ? json_null() : json_string(souk_id_format(prefix, souk_stmt_i64(st, col), buf));
}

static json_t *text_or_null(souk_stmt *st, int col)
{
    return souk_stmt_is_null(st, col) ? json_null() : json_string(souk_stmt_text(st, col, NULL));
}

static json_t *time_or_null(souk_stmt *st, int col)
{
    char buf[SOUK_RFC3339_LEN];
    return souk_stmt_is_null(st, col) ? json_null() : json_string(souk_time_format(souk_stmt_i64(st, col), buf));
}

/* ---- the parts of an order: one query each, one renderer per row (CTX: the currency) ---- */

static json_t *line_row(souk_stmt *st, void *cur)
{
    return json_pack("{s:o,s:o,s:o,s:s,s:s,s:s,s:I,s:o,s:o,s:I,s:I}", "variant_id", id_or_null(st, 0, "var"),
                     "product_id", id_or_null(st, 1, "prod"), "vendor_id", id_or_null(st, 2, "vend"), "sku",
                     souk_stmt_text(st, 3, NULL), "product_title", souk_stmt_text(st, 4, NULL), "variant_title",
                     souk_stmt_text(st, 5, NULL), "quantity", (json_int_t)souk_stmt_i64(st, 6), "unit_price",
                     money(souk_stmt_i64(st, 7), cur), "line_total", money(souk_stmt_i64(st, 8), cur),
                     "fulfilled_quantity", (json_int_t)souk_stmt_i64(st, 9), "returned_quantity",
                     (json_int_t)souk_stmt_i64(st, 10));
}

static json_t *sub_row(souk_stmt *st, void *cur)
{
    return json_pack("{s:o,s:o,s:s,s:o,s:I,s:o,s:o,s:o}", "id", id_or_null(st, 0, SOUK_PREFIX_SUB_ORDER), "vendor_id",
                     id_or_null(st, 1, "vend"), "state", souk_stmt_text(st, 2, NULL), "subtotal",
                     money(souk_stmt_i64(st, 3), cur), "commission_bp", (json_int_t)souk_stmt_i64(st, 4),
                     "commission", money(souk_stmt_i64(st, 5), cur), "carrier", text_or_null(st, 6), "tracking",
                     text_or_null(st, 7));
}

static json_t *history_row(souk_stmt *st, void *cur)
{
    (void)cur;
    return json_pack("{s:o,s:s,s:s,s:s,s:o,s:o}", "from", text_or_null(st, 0), "to", souk_stmt_text(st, 1, NULL),
                     "note", souk_stmt_text(st, 2, NULL), "actor", souk_stmt_text(st, 3, NULL), "at",
                     time_or_null(st, 4), "sub_order_id", id_or_null(st, 5, SOUK_PREFIX_SUB_ORDER));
}

static json_t *refund_row(souk_stmt *st, void *cur)
{
    return json_pack("{s:o,s:o,s:s,s:o}", "id", id_or_null(st, 0, SOUK_PREFIX_REFUND), "amount",
                     money(souk_stmt_i64(st, 1), cur), "reason", souk_stmt_text(st, 2, NULL), "created_at",
                     time_or_null(st, 3));
}

static json_t *return_row(souk_stmt *st, void *cur)
{
    json_t *lines = json_loads(souk_stmt_text(st, 3, NULL), 0, NULL);
    return json_pack("{s:o,s:s,s:s,s:o,s:o,s:o,s:o}", "id", id_or_null(st, 0, SOUK_PREFIX_RETURN), "state",
                     souk_stmt_text(st, 1, NULL), "reason", souk_stmt_text(st, 2, NULL), "lines",
                     lines ? lines : json_array(), "refund",
                     souk_stmt_is_null(st, 4) ? json_null() : money(souk_stmt_i64(st, 4), cur), "created_at",
                     time_or_null(st, 5), "updated_at", time_or_null(st, 6));
}

static const struct {
    const char *name, *sql; /* $1 the order, $2 the vendor whose part alone is shown (0 = all) */
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
    {"refunds", "SELECT id, amount, reason, created_at FROM refunds WHERE order_id = $1 AND $2 = 0 ORDER BY id",
     refund_row, true},
    {"returns", "SELECT id, state, reason, lines, refund, created_at, updated_at FROM order_returns "
                "WHERE order_id = $1 AND $2 = 0 ORDER BY id", return_row, true},
};

/* Adds the parts of order ID to O. SOUK_OK or INTERNAL. */
static souk_err add_parts(souk_store *db, json_t *o, int64_t id, int64_t vendor, char *cur)
{
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        json_t *arr;
        if (vendor && parts[i].shop_only) {
            arr = json_array();
        } else {
            souk_stmt *st = souk_store_stmt(db, parts[i].sql);
            if (!st)
                return SOUK_E_INTERNAL;
            souk_stmt_bind_i64(st, 1, id);
            souk_stmt_bind_i64(st, 2, vendor);
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
    souk_stmt *st = souk_store_stmt(
        db, "SELECT state, payment_status, email, user_id, currency, subtotal, discount, shipping, tax, total, "
            "refunded, prices_include_tax, shipping_method, coupon_code, shipping_address, gateway, intent_id, "
            "CASE state WHEN 'pending_payment' THEN client_secret END, intent_status, decline_code, created_at, "
            "updated_at, paid_at FROM orders WHERE id = $1");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, id);
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
    char cur[4], idbuf[SOUK_ID_TEXT_MAX];
    copy_col(st, 4, cur, sizeof cur);
    json_t *address = json_loads(souk_stmt_text(st, 14, NULL), 0, NULL);
    json_t *o = json_pack(
        "{s:s,s:s,s:s,s:s,s:o,s:s,s:{s:o,s:o,s:o,s:o,s:o,s:o},s:b,s:o,s:o,s:o,"
        "s:{s:s,s:o,s:o,s:s,s:o},s:o,s:o,s:o}",
        "id", souk__order_ref(id, idbuf), "state", souk_stmt_text(st, 0, NULL), "payment_status",
        souk_stmt_text(st, 1, NULL), "email", souk_stmt_text(st, 2, NULL), "customer_id", id_or_null(st, 3, "usr"),
        "currency", cur, "totals", "subtotal", money(souk_stmt_i64(st, 5), cur), "discount",
        money(souk_stmt_i64(st, 6), cur), "shipping", money(souk_stmt_i64(st, 7), cur), "tax",
        money(souk_stmt_i64(st, 8), cur), "total", money(souk_stmt_i64(st, 9), cur), "refunded",
        money(souk_stmt_i64(st, 10), cur), "prices_include_tax", souk_stmt_i64(st, 11) != 0, "shipping_method",
        text_or_null(st, 12), "coupon", text_or_null(st, 13), "shipping_address", address ? address : json_object(),
        "payment", "gateway", souk_stmt_text(st, 15, NULL), "intent_id", text_or_null(st, 16), "client_secret",
        text_or_null(st, 17), "status", souk_stmt_text(st, 18, NULL), "decline_code", text_or_null(st, 19),
        "created_at", time_or_null(st, 20), "updated_at", time_or_null(st, 21), "paid_at", time_or_null(st, 22));
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

json_t *souk_orders_of_user_json(souk_store *db, int64_t user, int max)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT id FROM orders WHERE user_id = $1 ORDER BY id DESC LIMIT $2");
    if (!st)
        return NULL;
    souk_stmt_bind_i64(st, 1, user);
    souk_stmt_bind_i64(st, 2, max);
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
