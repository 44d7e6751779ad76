/*
 * results.c — what a campaign brought, computed when asked from the
 * recipient rows and the views the cart and orders publish: redemptions
 * (paid orders that used the campaign's promotion since the send started)
 * and the recipients' paid orders and revenue (total less refunds) within
 * the attribution window after their own mail. Opens are not tracked.
 */
#include "campaigns/internal.h"

#include <string.h>

#include "core/banned.h"

/* Rows (currency, count, amount) of ST as [{currency, count, amount}] into *OUT; 0 or an error class. */
static int per_currency(souk_stmt *st, const char *count_key, const char *amount_key, json_t **out)
{
    json_t *a = json_array();
    int r;
    while (a && (r = souk_stmt_next(st, NULL)) == SOUK_DB_ROW) {
        const char *cur = souk_stmt_text(st, 0, NULL);
        json_array_append_new(a, json_pack("{s:s,s:I,s:I}", "currency", cur ? cur : "", count_key,
                                           (json_int_t)souk_stmt_i64(st, 1), amount_key,
                                           (json_int_t)souk_stmt_i64(st, 2)));
    }
    if (!a)
        return SOUK_DB_HARD;
    if (r < 0) {
        json_decref(a);
        return r;
    }
    *out = a;
    return 0;
}

souk_err souk_campaigns_results_json(souk_store *db, int64_t campaign, json_t **out)
{
    *out = NULL;
    int64_t sent = 0, skipped = 0, unsub = 0, promotion = 0, started = 0, days = 14, buyers = 0;
    bool no_promo = false;
    int r = souk_store_one(
        db,
        "SELECT sent_count, skipped_count, unsubscribed, promotion_id, COALESCE(send_started_at, 0), "
        "attribution_days FROM campaigns WHERE id = $1",
        SOUK_ARGS(SOUK_I64(campaign)),
        SOUK_COLS(SOUK_COL_I64(&sent), SOUK_COL_I64(&skipped), SOUK_COL_I64(&unsub),
                  SOUK_COL_NULLABLE(SOUK_COL_I64(&promotion), &no_promo), SOUK_COL_I64(&started), SOUK_COL_I64(&days)));
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_DONE)
        return SOUK_E_NOT_FOUND;
    json_t *red = NULL, *orders = NULL;
    souk_stmt *st = souk_store_query(
        db,
        "SELECT o.currency, COUNT(*), COALESCE(SUM(rd.amount), 0) FROM campaign_redemptions rd "
        "JOIN campaign_orders o ON o.order_id = rd.order_id WHERE rd.promotion_id = $1 AND rd.created_at >= $2 "
        "AND $2 > 0 GROUP BY o.currency ORDER BY o.currency",
        SOUK_ARGS(SOUK_I64(no_promo ? 0 : promotion), SOUK_I64(started)));
    if ((r = per_currency(st, "count", "discount", &red)) < 0)
        return souk_store_dberr(r);
    const int64_t window = days * INT64_C(86400000000);
    st = souk_store_query(
        db,
        "SELECT o.currency, COUNT(*), COALESCE(SUM(o.total - o.refunded), 0) FROM campaign_recipients rc "
        "JOIN campaign_orders o ON o.user_id = rc.user_id AND o.paid_at >= rc.sent_at "
        "AND o.paid_at < rc.sent_at + $2 WHERE rc.campaign_id = $1 GROUP BY o.currency "
        "ORDER BY o.currency",
        SOUK_ARGS(SOUK_I64(campaign), SOUK_I64(window)));
    if ((r = per_currency(st, "orders", "revenue", &orders)) < 0) {
        json_decref(red);
        return souk_store_dberr(r);
    }
    r = souk_store_one(db,
                       "SELECT COUNT(DISTINCT rc.user_id) FROM campaign_recipients rc JOIN campaign_orders o "
                       "ON o.user_id = rc.user_id AND o.paid_at >= rc.sent_at AND o.paid_at < rc.sent_at + $2 "
                       "WHERE rc.campaign_id = $1",
                       SOUK_ARGS(SOUK_I64(campaign), SOUK_I64(window)), SOUK_COLS(SOUK_COL_I64(&buyers)));
    if (r < 0) {
        json_decref(red);
        json_decref(orders);
        return souk_store_dberr(r);
    }
    int64_t nred = 0;
    size_t i;
    const json_t *x;
    json_array_foreach(red, i, x) nred += json_integer_value(json_object_get(x, "count"));
    *out =
        json_pack("{s:I,s:I,s:I,s:I,s:o,s:I,s:o,s:i}", "recipients", (json_int_t)sent, "skipped", (json_int_t)skipped,
                  "unsubscribed", (json_int_t)unsub, "redemptions", (json_int_t)nred, "redemptions_by_currency", red,
                  "buyers", (json_int_t)buyers, "orders", orders, "attribution_days", (int)days);
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}
