/*
 * subscriptions.h — subscriptions to a variant: QUANTITY every N days, weeks
 * or months, renewed by jobs that place an order through the checkout's own
 * placement (orders.h: souk_orders_place_renewal_tx), priced anew, stock
 * reserved, and charged off-session with the payment method the first
 * checkout saved (souk_orders_charge_saved); dunning on a declined renewal
 * (retries on the settings' schedule, an e-mail each time, then paused).
 * Design: docs/internals/subscriptions.md; user guide: docs/subscriptions.md.
 * Tables: migration 0170 (subscription_settings, subscriptions,
 * subscription_renewals).
 *
 * Files: input.c (request bodies decoded and checked, no I/O: fuzzed by
 * tests/fuzz/fuzz_subscriptions.c), subs.c (the rows, their schedule, the
 * actions, JSON), renew.c (the jobs), api.c (the handlers, api.h).
 */
#ifndef SOUK_SUBSCRIPTIONS_H
#define SOUK_SUBSCRIPTIONS_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

#define SOUK_PREFIX_SUBSCRIPTION "sub"

#define SOUK_SUBS_DUE_JOB "subscriptions.due"     /* every minute: the due subscriptions' renewals enqueued */
#define SOUK_SUBS_RENEW_JOB "subscriptions.renew" /* one renewal attempt {subscription_id, period, attempt} */

/* Registers the job kinds (subscriptions.due, every minute, and
 * subscriptions.renew) with the queue. Call from souk_background_register. */
void souk_subs_register_jobs(void);

/* The subscriptions of account USER as JSON (the GDPR export); NULL on a
 * database error. */
json_t *souk_subs_export_json(souk_store *db, int64_t user);

/* Inside the erasure's write transaction: USER's subscriptions are
 * cancelled and lose their e-mail, shipping address and saved payment
 * method (EMAIL unused: they are found by account). Returns 0 or a negative souk_db_status. */
int souk_subs_erase_tx(souk_store *db, int64_t user, const char *email);

#endif
