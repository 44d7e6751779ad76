/*
 * orders_export.c — every order line as one CSV row, from the view
 * orders_export_lines that the orders context publishes (migration 0116),
 * read in pages by (order id, line number) so no read holds a snapshot for
 * the whole export. Amounts are decimal in the order's currency; times are
 * UTC ISO 8601.
 */
#include "exchange/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/money.h"
#include "core/time.h"
#include "orders/orders.h"
#include "core/banned.h"

#define PAGE 1000

static const char *const header =
    "Order ID,Created At,Paid At,Email,State,Payment Status,Currency,Subtotal,Discount,Shipping,Tax,Total,Refunded,"
    "Shipping Method,Coupon Code,Line,SKU,Product Title,Variant Title,Quantity,Unit Price,Line Total,Fulfilled,"
    "Returned\r\n";

static void put_text(souk_buf *b, souk_stmt *st, int col)
{
    size_t len = 0;
    const char *s = souk_stmt_text(st, col, &len);
    souk_buf_addc(b, ',');
    if (s)
        souk_exchange_csv_field(b, s, len);
}

static void put_amount(souk_buf *b, int64_t amount, const char *currency)
{
    souk_money m = {amount, ""};
    snprintf(m.currency, sizeof m.currency, "%s", currency);
    char buf[40];
    souk_buf_addc(b, ',');
    if (souk_money_format(&m, buf, sizeof buf) >= 0)
        souk_buf_adds(b, buf);
}

static void put_time(souk_buf *b, souk_stmt *st, int col)
{
    souk_buf_addc(b, ',');
    if (souk_stmt_is_null(st, col))
        return;
    char buf[40];
    souk_buf_adds(b, souk_time_format(souk_stmt_i64(st, col), buf));
}

int souk_exchange_orders_export(souk_store *db, souk_exchange_write_fn w, void *ctx, uint64_t *rows, char *err,
                                size_t errlen)
{
    souk_buf b;
    souk_buf_init(&b, (size_t)16 * 1024 * 1024);
    souk_buf_adds(&b, header);
    int64_t after_order = 0, after_line = -1;
    uint64_t count = 0;
    int rc = -1;
    for (;;) {
        souk_stmt *st = souk_store_query(
            db,
            "SELECT order_id, created_at, paid_at, email, state, payment_status, currency, subtotal, discount, "
            "shipping, tax, total, refunded, shipping_method, coupon_code, line_no, sku, product_title, "
            "variant_title, quantity, unit_amount, line_total, fulfilled, returned FROM orders_export_lines "
            "WHERE order_id > $1 OR (order_id = $1 AND line_no > $2) ORDER BY order_id, line_no LIMIT $3",
            SOUK_ARGS(SOUK_I64(after_order), SOUK_I64(after_line), SOUK_I64(PAGE)));
        int r, n = 0;
        while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
            char id[40], cur[4];
            after_order = souk_stmt_i64(st, 0);
            after_line = souk_stmt_i64(st, 15);
            souk_buf_adds(&b, souk_id_format(SOUK_PREFIX_ORDER, after_order, id));
            put_time(&b, st, 1);
            put_time(&b, st, 2);
            for (int c = 3; c <= 5; c++)
                put_text(&b, st, c);
            const char *cs = souk_stmt_text(st, 6, NULL);
            snprintf(cur, sizeof cur, "%s", cs ? cs : "");
            souk_buf_addc(&b, ',');
            souk_buf_adds(&b, cur);
            for (int c = 7; c <= 12; c++)
                put_amount(&b, souk_stmt_i64(st, c), cur);
            put_text(&b, st, 13);
            put_text(&b, st, 14);
            souk_buf_printf(&b, ",%lld", (long long)after_line);
            for (int c = 16; c <= 18; c++)
                put_text(&b, st, c);
            souk_buf_printf(&b, ",%lld", (long long)souk_stmt_i64(st, 19));
            put_amount(&b, souk_stmt_i64(st, 20), cur);
            put_amount(&b, souk_stmt_i64(st, 21), cur);
            souk_buf_printf(&b, ",%lld,%lld\r\n", (long long)souk_stmt_i64(st, 22), (long long)souk_stmt_i64(st, 23));
            n++;
            count++;
        }
        souk_stmt_done(st);
        if (r < 0) {
            snprintf(err, errlen, "cannot read the orders: %s", souk_store_errmsg(db));
            goto out;
        }
        if (souk_buf_failed(&b)) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        if (b.len > 1 << 20 || n < PAGE) {
            if (b.len && w(ctx, b.data, b.len) < 0) {
                snprintf(err, errlen, "cannot write the output");
                goto out;
            }
            souk_buf_reset(&b);
        }
        if (n < PAGE)
            break;
    }
    if (rows)
        *rows = count;
    rc = 0;
out:
    souk_buf_release(&b);
    return rc;
}
