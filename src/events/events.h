/*
 * events.h — the domain-event outbox and its in-process dispatcher.
 *
 * A state change writes its event (stock.changed, cart.updated, order.placed,
 * order.paid, ...) with souk_event_emit_tx inside the same write transaction,
 * so the event exists if and only if the change committed (the outbox
 * pattern). One dispatcher thread per process tails the events table by id
 * and hands each event to the subscribers whose type prefix matches, in id
 * order and at least once. Each subscriber's position is a durable cursor in
 * event_cursors, keyed by the subscriber's name, so a restart resumes where
 * the previous process stopped. Design: docs/internals/jobs.md.
 *
 * Storage: events and event_cursors of migration 0003. Times are µs since
 * the Unix epoch (core/time.h).
 */
#ifndef SOUK_EVENTS_H
#define SOUK_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define SOUK_EVENT_TYPE_MAX 64             /* bytes of a type: [a-z0-9_.-], starts with a letter */
#define SOUK_EVENT_AGGREGATE_MAX 128       /* bytes of an aggregate id */
#define SOUK_EVENT_PAYLOAD_MAX (64 * 1024) /* bytes of the serialized payload */
#define SOUK_EVENT_SUBSCRIBERS_MAX 32
#define SOUK_EVENT_SUBSCRIBER_MAX 64 /* bytes of a subscriber name: [A-Za-z0-9_.:@-] */
#define SOUK_EVENT_BATCH 100         /* events read per subscriber per pass */
#define SOUK_EVENT_POLL_MS 250       /* the dispatcher looks for new events at least this often */
#define SOUK_EVENT_LISTEN_MS 500     /* PostgreSQL: the listener's longest wait for a NOTIFY (bounds its stop) */

/* Writes an event inside the caller's open write transaction (souk_store_tx).
 * TYPE: 1..64 bytes of [a-z0-9_.-] starting with a letter ("order.placed").
 * AGGREGATE_ID: the typed id of the object it is about, ≤ 128 bytes (NULL = "").
 * PAYLOAD: a JSON object or NULL (= {}); always stolen (decref'd), also on
 * error. Serialized compactly it must be ≤ 64 KiB.
 * Returns 0, or a negative souk_db_status; invalid arguments are the caller's
 * bug: logged, nothing written, SOUK_DB_HARD (so souk_store_tx rolls back
 * instead of retrying). The dispatcher sees the event once the transaction
 * commits: within SOUK_EVENT_POLL_MS, or at once after souk_events_kick(). */
int souk_event_emit_tx(souk_store *db, const char *type, const char *aggregate_id, json_t *payload);

/* The same for a payload its emission point wrote as text, for the hot
 * ones (a purchase emits about nine events): PAYLOAD (LEN bytes) must be
 * what souk_event_emit_tx would store for it — a JSON object, compact,
 * ASCII only — e.g. printed with texts that souk_event_plain accepts.
 * Checked only for its size and braces; returns as souk_event_emit_tx. */
int souk_event_emit_text_tx(souk_store *db, const char *type, const char *aggregate_id, const char *payload,
                            size_t len);

/* True when S (not NULL) can go between the quotes of a JSON string as it
 * is, in the form souk_event_emit_tx stores: printable ASCII without '"'
 * or '\\'. Ids, states and reason codes are. */
bool souk_event_plain(const char *s);

/* A subscriber's callback, called on the dispatcher thread with the
 * dispatcher's own connection DB (outside any transaction: the handler may
 * run its own souk_store_tx on it). PAYLOAD is borrowed for the call.
 * Returns 0 = handled (the cursor moves past the event), -1 = failed, try
 * again later (the subscriber stops at this event and retries it with
 * backoff: 250 ms doubling up to 60 s; other subscribers are not held up).
 * Delivery is at least once: after a crash the events since the last saved
 * cursor are delivered again, so handlers must be idempotent (EVENT_ID is
 * a stable key for that). */
typedef int (*souk_event_handler)(souk_store *db, const char *type, const char *aggregate_id, const json_t *payload,
                                  int64_t event_id, void *ctx);

/* Subscribes FN(…, CTX) to events whose type starts with TYPE_PREFIX ("" or
 * NULL = all; "order." = order.placed, order.paid, ...). SUBSCRIBER names the
 * durable cursor (1..64 bytes of [A-Za-z0-9_.:@-]): two processes using one
 * name share one position (each event is handled by the first to get there,
 * sometimes by both); an in-memory read model that every node must feed
 * needs a per-node name (e.g. "search@host-a"). A subscriber without a
 * cursor row starts at the beginning of the retained events.
 * Call before souk_events_start. Returns 0, or -1 when the dispatcher runs,
 * the name is invalid or taken, FN is NULL, or the table is full. */
int souk_event_subscribe(const char *subscriber, const char *type_prefix, souk_event_handler fn, void *ctx);

/* Starts the dispatcher thread (a core/worker.h group of one) with its own
 * connection to DB_DSN; it makes a pass over the subscribers every
 * SOUK_EVENT_POLL_MS or when kicked. Where the database tells of other
 * connections' commits (PostgreSQL's LISTEN/NOTIFY, souk_store_wait_change)
 * a second thread listens and kicks it, so events written on another node
 * are dispatched at once. Returns 0, or -1 when it already runs or the
 * database cannot be opened. */
int souk_events_start(const char *db_dsn);

/* Stops the dispatcher: a handler in progress finishes, the cursors of what
 * was handled are saved, the thread is joined. No-op when not running. */
void souk_events_stop(void);

/* Wakes the dispatcher now (call after committing a transaction that emitted
 * events). Cheap, thread-safe, no-op when not running. */
void souk_events_kick(void);

/* ---- erasure (redact.c) ---- */

/* Inside the caller's write transaction: empties the string field FIELD of
 * the payload of every event of TYPE about AGGREGATE_ID (what a customer
 * wrote, when their data is erased). Events without it are left alone.
 * Returns 0, or a negative souk_db_status. */
int souk_event_redact_tx(souk_store *db, const char *type, const char *aggregate_id, const char *field);

/* Called inside the redacting transaction for every event souk_event_redact_tx
 * rewrote, with its id and new payload (JSON text), for contexts that keep a
 * copy of event payloads (the webhook delivery log) to rewrite theirs too.
 * Returns 0, or a negative souk_db_status (the erasure then fails whole). */
typedef int (*souk_event_redact_listener)(souk_store *db, int64_t event_id, const char *payload);

/* Adds FN to the redaction listeners (at most 8). Call at start, before
 * serving. Returns 0, or -1 when the table is full. */
int souk_event_on_redact(souk_event_redact_listener fn);

/* ---- internal, shared with the unit test ---- */

/* One pass of the dispatcher over every subscriber on DB at time NOW_US
 * (subscribers in backoff are skipped until their retry time). Returns the
 * number of handler calls that succeeded, or a negative souk_db_status. */
int souk__events_dispatch(souk_store *db, int64_t now_us);

/* Forgets every subscription and backoff (only while stopped). */
void souk__events_reset(void);

#endif
