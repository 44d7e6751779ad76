/*
 * purchases.c — purchases and refunds, recorded by the server: an outbox
 * subscriber turns order.paid into one purchase event per order line (with
 * the customer, at the time of payment) and order.refunded into one refund
 * event. Delivery is at least once; each event's client id is derived from
 * the order (and line, or refund), so a second delivery stores nothing.
 */
#include "behaviour/behaviour.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "events/events.h"
#include "orders/orders.h"
#include "core/banned.h"

typedef struct order_event {
    int64_t order;
    const char *type, *refund_id, *currency;
    int64_t amount;
} order_event;

static int record_paid(souk_store *db, int64_t order)
{
    souk_stmt *st = souk_store_query(db,
                                     "SELECT line_no, user_id, product_id, variant_id, quantity, paid_at "
                                     "FROM behaviour_order_lines WHERE order_id = $1 ORDER BY line_no",
                                     SOUK_ARGS(SOUK_I64(order)));
    int64_t line, user, product, variant, quantity, paid_at;
    int r;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&line), SOUK_COL_I64(&user), SOUK_COL_I64(&product),
                                             SOUK_COL_I64(&variant), SOUK_COL_I64(&quantity),
                                             SOUK_COL_I64(&paid_at)))) == SOUK_DB_ROW) {
        char id[64];
        snprintf(id, sizeof id, "order:%lld:%lld", (long long)order, (long long)line);
        souk_behaviour_event ev = {.type = SOUK_BEHAVIOUR_PURCHASE,
                                   .at = paid_at ? paid_at : souk_time_now_us(),
                                   .client_id = id,
                                   .user_id = user,
                                   .product_id = product,
                                   .variant_id = variant,
                                   .order_id = order,
                                   .quantity = quantity};
        int w = souk_behaviour_record_tx(db, &ev);
        if (w < 0) {
            souk_stmt_done(st);
            return w;
        }
    }
    return r == SOUK_DB_DONE ? 0 : r;
}

static int record_refund(souk_store *db, const order_event *oe)
{
    int64_t user = 0;
    int r = souk_store_one(db, "SELECT user_id FROM behaviour_order_lines WHERE order_id = $1 LIMIT 1",
                           SOUK_ARGS(SOUK_I64(oe->order)), SOUK_COLS(SOUK_COL_I64(&user)));
    if (r < 0)
        return r;
    char id[SOUK_BEHAVIOUR_ID_MAX + 1], props[160];
    snprintf(id, sizeof id, "refund:%lld:%.40s", (long long)oe->order, oe->refund_id ? oe->refund_id : "");
    const char *cur = oe->currency && strlen(oe->currency) == 3 && souk_event_plain(oe->currency) ? oe->currency : "";
    snprintf(props, sizeof props, "{\"amount\":\"%lld\",\"currency\":\"%s\"}", (long long)oe->amount, cur);
    souk_behaviour_event ev = {.type = SOUK_BEHAVIOUR_REFUND,
                               .at = souk_time_now_us(),
                               .client_id = id,
                               .user_id = user,
                               .order_id = oe->order,
                               .properties = props};
    r = souk_behaviour_record_tx(db, &ev);
    return r < 0 ? r : 0;
}

static int record_tx(souk_store *db, void *arg)
{
    const order_event *oe = arg;
    return strcmp(oe->type, "order.paid") == 0 ? record_paid(db, oe->order) : record_refund(db, oe);
}

static int on_order_event(souk_store *db, const char *type, const char *aggregate_id, const json_t *payload,
                          int64_t event_id, void *ctx)
{
    (void)event_id;
    (void)ctx;
    if (strcmp(type, "order.paid") != 0 && strcmp(type, "order.refunded") != 0)
        return 0;
    order_event oe = {.type = type};
    if (!aggregate_id || souk_id_parse(SOUK_PREFIX_ORDER, aggregate_id, strlen(aggregate_id), &oe.order) < 0)
        return 0; /* not an order we can name: nothing to record */
    oe.refund_id = json_string_value(json_object_get(payload, "refund_id"));
    oe.currency = json_string_value(json_object_get(payload, "currency"));
    oe.amount = json_integer_value(json_object_get(payload, "amount"));
    return souk_store_tx(db, record_tx, &oe) < 0 ? -1 : 0;
}

void souk_behaviour_register(void)
{
    souk_event_subscribe("behaviour", "order.", on_order_event, NULL);
}
