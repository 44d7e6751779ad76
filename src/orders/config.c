/*
 * config.c — the orders module's configuration, set once at start-up: the
 * payment gateway and the reservation lifetime of new orders (orders.h).
 */
#include "orders/orders.h"

#include <stdbool.h>

#include "orders/internal.h"
#include "orders/place.h"
#include "core/banned.h"

static souk_payment_gateway gateway;
static bool configured;

void souk_orders_configure(const souk_payment_gateway *g, int64_t reservation_ttl_us)
{
    gateway = *g;
    configured = true;
    souk__place_set_ttl(reservation_ttl_us);
    souk__payment_metrics_init();
}

const souk_payment_gateway *souk_orders_gateway(void)
{
    if (!configured) {
        souk_payments_builtin_gateway(&gateway);
        configured = true;
    }
    return &gateway;
}
