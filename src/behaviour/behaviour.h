/*
 * behaviour.h — behaviour events: what shoppers do (page and product views,
 * searches and their clicks, cart changes, recommendation impressions and
 * clicks) and what they bought, kept append-only for the recommenders, the
 * search popularity signal and analytics.
 *
 * Browsers and servers send batches of up to SOUK_BEHAVIOUR_BATCH_MAX events
 * (POST /api/v1/events, docs/events.md). A batch is decoded field by field
 * (souk_behaviour_batch_decode): a bad event is reported by its index and
 * the good ones are kept. Each event carries the client's own event id; the
 * same id from the same sender is kept once. Purchases and refunds are never
 * taken from clients: the outbox subscriber registered by
 * souk_behaviour_register records them from order.paid and order.refunded.
 *
 * Storage (migration 0090): behaviour_visitors (anonymous id → integer, with
 * the account it was linked to) and behaviour_events (integers, plus the
 * query and list texts and small properties where an event has them).
 * Design: docs/internals/behaviour.md.
 */
#ifndef SOUK_BEHAVIOUR_H
#define SOUK_BEHAVIOUR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "store/store.h"

#define SOUK_BEHAVIOUR_BATCH_MAX 500                       /* events per batch */
#define SOUK_BEHAVIOUR_BODY_MAX (512 * 1024)               /* bytes of a batch body */
#define SOUK_BEHAVIOUR_ID_MAX 64                           /* bytes of a client event id or an anonymous id */
#define SOUK_BEHAVIOUR_ANON_MIN 8                          /* bytes of an anonymous id, at least */
#define SOUK_BEHAVIOUR_QUERY_MAX 200                       /* characters of a search query */
#define SOUK_BEHAVIOUR_LIST_MAX 64                         /* characters of a list name ("home", "similar") */
#define SOUK_BEHAVIOUR_PROPS_MAX 16                        /* entries of the properties object */
#define SOUK_BEHAVIOUR_PROP_VALUE_MAX 200                  /* characters of one property value */
#define SOUK_BEHAVIOUR_FUTURE_US (5 * 60 * 1000000LL)      /* clock skew allowed */
#define SOUK_BEHAVIOUR_PAST_US (7 * 24 * 3600 * 1000000LL) /* oldest event taken */
#define SOUK_BEHAVIOUR_EXPORT_MAX 10000                    /* events in a GDPR export, newest first */

/* The stored codes of the event types; never renumber (they are in rows). */
typedef enum souk_behaviour_type {
    SOUK_BEHAVIOUR_PAGE_VIEW = 1,
    SOUK_BEHAVIOUR_PRODUCT_VIEW = 2,
    SOUK_BEHAVIOUR_SEARCH = 3,
    SOUK_BEHAVIOUR_SEARCH_CLICK = 4,
    SOUK_BEHAVIOUR_ADD_TO_CART = 5,
    SOUK_BEHAVIOUR_REMOVE_FROM_CART = 6,
    SOUK_BEHAVIOUR_CHECKOUT_STARTED = 7,
    SOUK_BEHAVIOUR_REC_IMPRESSION = 8,
    SOUK_BEHAVIOUR_REC_CLICK = 9,
    SOUK_BEHAVIOUR_CLIENT_TYPES = 9, /* codes 1..9 may come from clients */
    SOUK_BEHAVIOUR_PURCHASE = 20,    /* recorded by the server from order.paid */
    SOUK_BEHAVIOUR_REFUND = 21,      /* recorded by the server from order.refunded */
} souk_behaviour_type;

/* "product_view" for SOUK_BEHAVIOUR_PRODUCT_VIEW …; NULL for an unknown code. */
const char *souk_behaviour_type_name(int type);

/* One event as decoded (texts in the decoding arena). 0 / NULL = absent. */
typedef struct souk_behaviour_event {
    int type;
    int64_t at;            /* µs; the time received when the client gave none */
    const char *client_id; /* the client's event id */
    const char *anonymous_id;
    int64_t user_id; /* the signed-in caller's account (never from the body) */
    int64_t product_id, variant_id, order_id;
    int64_t quantity, position, model_version;
    const char *list, *query;
    const char *properties; /* compact JSON object text, or NULL */
} souk_behaviour_event;

/* One problem of a rejected event: its index in the batch, the field (a
 * JSON path such as "events[3].type") and what is wrong. An event may have
 * several; at most SOUK_BEHAVIOUR_PROBLEMS_MAX per event are kept. */
typedef struct souk_behaviour_reject {
    size_t index;
    const char *field, *message;
} souk_behaviour_reject;

#define SOUK_BEHAVIOUR_PROBLEMS_MAX 4

typedef struct souk_behaviour_batch {
    souk_behaviour_event *events; /* the valid ones, in batch order */
    size_t count;
    size_t *index;                  /* index[i]: events[i]'s place in the batch */
    souk_behaviour_reject *rejects; /* in batch order */
    size_t nrejects, rejected;      /* problems, and events rejected */
    size_t total;                   /* events in the batch, valid or not */
} souk_behaviour_batch;

/* Decodes BODY (LEN bytes): {"events": [ {…}, … ]} with 1..BATCH_MAX events,
 * each {id, type, time?, anonymous_id?, product_id?, variant_id?, quantity?,
 * query?, list?, model_version?, position?, properties?} as docs/events.md
 * describes. USER (0 = anonymous caller) is set on every event; an event
 * needs an anonymous_id or a USER. NOW_US bounds the times. Everything goes
 * into arena A. Returns SOUK_OK with OUT filled (possibly every event
 * rejected), or SOUK_E_BAD_REQUEST / SOUK_E_VALIDATION with a message in
 * *WHY (static text, or in A) and field problems in PR when the batch as a
 * whole is unusable (not JSON, no events array, too many events). Pure: no
 * database, safe on any thread (the fuzz driver calls it). */
souk_err souk_behaviour_batch_decode(const char *body, size_t len, int64_t user, int64_t now_us, souk_arena *a,
                                     souk_behaviour_batch *out, const char **why, souk_problems *pr);

/* The outcome of souk_behaviour_ingest. */
typedef struct souk_behaviour_result {
    size_t accepted;   /* new events stored */
    size_t duplicates; /* events whose id was stored before: ignored */
} souk_behaviour_result;

/* Checks BATCH's products and variants against the catalog (an unknown one
 * rejects its event, added to BATCH's rejects; a variant's product is filled
 * in or must match), then stores the valid events in one write transaction
 * on DB: visitors are created for new anonymous ids, an anonymous id sent by
 * a signed-in caller is linked to the account (its earlier anonymous events
 * with it), duplicates are skipped. Returns SOUK_OK with RESULT, or the
 * souk_err of the database failure (nothing stored). */
souk_err souk_behaviour_ingest(souk_store *db, souk_behaviour_batch *batch, souk_arena *a,
                               souk_behaviour_result *result);

/* Called once per event newly stored by souk_behaviour_ingest (never for
 * duplicates or rejects), after its transaction committed, on the thread
 * that ingested it: other contexts' in-memory counters (search analytics
 * counts search_click events). Must not block. */
typedef void (*souk_behaviour_listener)(const souk_behaviour_event *ev);

/* Sets the listener (NULL = none). Call at start, before serving. */
void souk_behaviour_listen(souk_behaviour_listener fn);

/* Stores EV (a server-side event: type and at set, client_id a stable key
 * such as "order:123:1", order_id or user_id set: the sender its id is
 * unique for) inside the caller's write transaction. Duplicates are skipped. Returns 1 stored, 0 duplicate, or a negative souk_db_status. */
int souk_behaviour_record_tx(souk_store *db, const souk_behaviour_event *ev);

/* Subscribes the recorder of purchases and refunds to the outbox (order.paid
 * → one purchase event per order line, with the customer; order.refunded →
 * one refund event). Call from souk_background_register. */
void souk_behaviour_register(void);

/* ---- personal data (GDPR) ---- */

/* The account's events, newest first, at most SOUK_BEHAVIOUR_EXPORT_MAX, as
 * a new JSON array; NULL on a database error. */
json_t *souk_behaviour_export_json(souk_store *db, int64_t user);

/* Inside the erasure's write transaction: unlinks USER's events and visitors
 * from the account (user ids cleared; the visitors' anonymous ids replaced so
 * the browser's id finds them no more). The events stay for the aggregate
 * numbers. Returns 0 or a negative souk_db_status. */
int souk_behaviour_erase_tx(souk_store *db, int64_t user, const char *email);

#endif
