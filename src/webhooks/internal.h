/* internal.h — what the files of src/webhooks (and its unit test) share. */
#ifndef SOUK_WEBHOOKS_INTERNAL_H
#define SOUK_WEBHOOKS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "webhooks/webhooks.h"

#define SOUK_WEBHOOKS_SUBSCRIPTIONS_MAX 100 /* subscriptions a shop may have */
#define SOUK_WEBHOOKS_RETENTION_DAYS 30     /* finished deliveries are kept this long */

/* Enqueues the job of attempt ATTEMPT of DELIVERY, due at RUN_AT (0 = now),
 * inside the caller's transaction (dedupe key "whd:<delivery>:<attempt>").
 * Returns 0 or a negative souk_db_status. */
int souk__webhooks_enqueue_attempt_tx(souk_store *db, int64_t delivery, int64_t attempt, int64_t run_at);

/* Registers the job kind SOUK_WEBHOOKS_JOB (deliver.c). Returns 0 or -1. */
int souk__webhooks_register_job(void);

/* Registers the hourly job "webhooks.purge" (purge.c). Returns 0 or -1. */
int souk__webhooks_register_purge(void);

/* Deletes finished deliveries last changed before BEFORE_US, with their
 * attempts, in transactions of 1000. Returns how many, or a negative
 * souk_db_status. */
int64_t souk__webhooks_purge(souk_store *db, int64_t before_us);

/* One POST (send.c). */
typedef struct souk__webhooks_request {
    const char *url;
    const souk_webhooks_target *target; /* checked; its address is the only one connected to */
    const char *msg_id, *signature;
    int64_t timestamp; /* s */
    const char *body;
    size_t len;
    long timeout_ms;
} souk__webhooks_request;

typedef struct souk__webhooks_response {
    long code;                                 /* the HTTP status, 0 when there was none */
    int64_t duration_ms;                       /* from the start of the transfer to its end */
    char error[SOUK_WEBHOOKS_ERROR_MAX];       /* "" on a 2xx */
    char body[SOUK_WEBHOOKS_LOG_BODY_MAX + 1]; /* the start of the response body, NUL-terminated */
    size_t body_len;
    bool interrupted; /* the job workers are stopping: nothing counts */
} souk__webhooks_response;

/* POSTs REQ's body with the Standard Webhooks headers to the pinned address,
 * redirects not followed, no proxy, timeouts, at most
 * SOUK_WEBHOOKS_RESPONSE_MAX bytes of answer read. Blocking (a job worker).
 * Returns 0 when the receiver answered 2xx, else -1 with OUT->error set. */
int souk__webhooks_send(const souk__webhooks_request *req, souk__webhooks_response *out);

#endif
