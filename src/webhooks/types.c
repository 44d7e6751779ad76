/* types.c — the event types a webhook subscription may name. */
#include "webhooks/webhooks.h"

#include <string.h>

#include "core/banned.h"

const char *const souk_webhooks_event_types[] = {
    "order.placed",
    "order.paid",
    "order.cancelled",
    "order.partially_fulfilled",
    "order.fulfilled",
    "order.shipped",
    "order.delivered",
    "order.refunded",
    "order.return_requested",
    "order.return_received",
    "stock.changed",
    "inventory.low_stock",
    NULL,
};

bool souk_webhooks_event_type_known(const char *type)
{
    for (size_t i = 0; type && souk_webhooks_event_types[i]; i++)
        if (strcmp(souk_webhooks_event_types[i], type) == 0)
            return true;
    return false;
}
