/*
 * erase.c — a customer's personal data taken out of their orders (GDPR
 * erasure, DELETE /api/v1/users/me): the orders stay for the books.
 */
#include "orders/internal.h"

#include "core/id.h"
#include "core/time.h"
#include "events/events.h"
#include "store/page.h"
#include "core/banned.h"

#define PAGE 256

/* What the customer wrote when cancelling also went into the order.cancelled
 * events of their orders (aggregate ids are "ord_…" text: a page of orders
 * at a time). */
static int redact_cancellations(souk_store *db, int64_t user, const char *actor)
{
    int64_t ids[PAGE], after = 0;
    int n, r = 0;
    do {
        souk_stmt *st = souk_store_query(db,
                                         "SELECT DISTINCT h.order_id FROM order_history h JOIN orders o "
                                         "ON o.id = h.order_id WHERE o.user_id = $1 AND h.actor = $2 "
                                         "AND h.to_state = 'cancelled' AND h.order_id > $3 ORDER BY h.order_id",
                                         SOUK_ARGS(SOUK_I64(user), SOUK_TEXT(actor), SOUK_I64(after)));
        if ((n = souk_store_ids(st, ids, PAGE)) < 0)
            return n;
        for (int i = 0; i < n && r >= 0; i++) {
            char ref[SOUK_ID_TEXT_MAX];
            r = souk_event_redact_tx(db, "order.cancelled", souk__order_ref(ids[i], ref), "reason");
        }
        after = n ? ids[n - 1] : after;
    } while (n == PAGE && r >= 0);
    return r;
}

int souk_orders_erase_tx(souk_store *db, int64_t user)
{
    char actor[SOUK_ID_TEXT_MAX];
    souk_id_format("usr", user, actor);
    int r = souk_store_exec(db,
                            "DELETE FROM idempotency_keys WHERE order_id IN (SELECT id FROM orders "
                            "WHERE user_id = $1)",
                            SOUK_ARGS(SOUK_I64(user)));
    if (r >= 0)
        r = souk_store_exec(db,
                            "UPDATE orders SET email = '', shipping_address = '{}', card_fp = NULL, address_fp = NULL, "
                            "bill_country = NULL, updated_at = $2 "
                            "WHERE user_id = $1",
                            SOUK_ARGS(SOUK_I64(user), SOUK_I64(souk_time_now_us())));
    if (r >= 0)
        r = souk_store_exec(db,
                            "UPDATE order_returns SET reason = '' WHERE order_id IN (SELECT id FROM orders "
                            "WHERE user_id = $1)",
                            SOUK_ARGS(SOUK_I64(user)));
    if (r >= 0) /* what the customer wrote when cancelling */
        r = souk_store_exec(db,
                            "UPDATE order_history SET note = '' WHERE order_id IN (SELECT id FROM orders "
                            "WHERE user_id = $1) AND actor = $2",
                            SOUK_ARGS(SOUK_I64(user), SOUK_TEXT(actor)));
    if (r >= 0) /* saved payment methods (subscriptions' renewals) */
        r = souk_store_exec(db, "DELETE FROM order_saved_methods WHERE user_id = $1", SOUK_ARGS(SOUK_I64(user)));
    if (r >= 0)
        r = redact_cancellations(db, user, actor);
    return r < 0 ? r : 0;
}
