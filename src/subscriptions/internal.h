/* internal.h — shared by src/subscriptions' files only (souk__subs_ prefix). */
#ifndef SOUK_SUBSCRIPTIONS_INTERNAL_H
#define SOUK_SUBSCRIPTIONS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "store/store.h"
#include "subscriptions/subscriptions.h"

#define SOUK__SUBS_RETRIES_MAX 5
#define SOUK__SUBS_RETRY_HOURS_MAX 720
#define SOUK__SUBS_DISCOUNT_MAX 9000
#define SOUK__SUBS_INTERVAL_MAX 365

typedef struct souk__subs_settings {
    int64_t discount_bp;
    int64_t retry_hours[SOUK__SUBS_RETRIES_MAX];
    size_t nretry;
} souk__subs_settings;

/* A subscription row. */
typedef struct souk__subs {
    int64_t id, user_id, first_order_id, variant_id, quantity, interval_count, period;
    int64_t attempt;     /* the number of the period's next attempt (only grows within a period) */
    int64_t failures;    /* failed attempts since the last paid renewal, skip or resume: dunning's count */
    int64_t anchor_at;   /* when the current interval began: the last paid renewal (or the skipped due time) */
    int64_t next_run_at; /* the due time of the renewal of PERIOD, or of its next dunning retry */
    int64_t created_at, updated_at;
    char interval_unit[8], state[12], pause_reason[32], gateway[16], token[256], currency[4], email[256];
    char shipping_method[64];
    char tax_region[16];      /* "" none */
    const char *address_json; /* arena */
} souk__subs;

/* ---- input.c: bodies decoded and checked (no I/O) ---- */

typedef struct souk__subs_create_in {
    int64_t order_id, variant_id, interval_count, quantity; /* quantity 0: the order's */
    int interval;                                           /* index into souk__subs_units */
} souk__subs_create_in;

typedef struct souk__subs_update_in {
    int interval;                     /* -1: unchanged */
    int64_t interval_count, quantity; /* 0: unchanged */
    int64_t payment_order_id;         /* ≠ 0: take the payment method this paid order saved */
} souk__subs_update_in;

enum { SOUK__SUBS_SKIP, SOUK__SUBS_PAUSE, SOUK__SUBS_RESUME, SOUK__SUBS_CANCEL };

extern const char *const souk__subs_units[];   /* "day", "week", "month", NULL */
extern const char *const souk__subs_actions[]; /* "skip", "pause", "resume", "cancel", NULL */

/* Each decodes BODY (a parsed JSON object) into OUT; 0, or -1 with the
 * problems in PR (texts in A). */
int souk__subs_decode_create(const json_t *body, souk__subs_create_in *out, souk_arena *a, souk_problems *pr);
int souk__subs_decode_update(const json_t *body, souk__subs_update_in *out, souk_arena *a, souk_problems *pr);
int souk__subs_decode_action(const json_t *body, int *action, souk_arena *a, souk_problems *pr);
int souk__subs_decode_settings(const json_t *body, souk__subs_settings *out, souk_arena *a, souk_problems *pr);

/* The retry_hours column (a JSON array) into S; false when it is not one. */
bool souk__subs_retry_parse(const char *text, souk__subs_settings *s);

/* ---- subs.c ---- */

/* AT plus COUNT UNITs ("day", "week", "month": calendar months in UTC, the
 * day of month clamped to the month's last), µs. */
int64_t souk__subs_add(int64_t at, const char *unit, int64_t count);

/* Reads subscription ID into S (texts in A). SOUK_OK, NOT_FOUND, or the database error. */
souk_err souk__subs_load(souk_store *db, int64_t id, souk__subs *s, souk_arena *a);

souk_err souk__subs_settings_read(souk_store *db, souk__subs_settings *s);
souk_err souk__subs_settings_write_tx(souk_store *db, const souk__subs_settings *s);
json_t *souk__subs_settings_json(const souk__subs_settings *s);

/* Subscription ID as JSON, with its renewals when RENEWALS; *E on NULL. */
json_t *souk__subs_json(souk_store *db, int64_t id, bool renewals, bool staff, souk_err *e);

/* The list: USER ≠ 0 only theirs, STATE (NULL: any); at most LIMIT, newest first. */
json_t *souk__subs_list_json(souk_store *db, int64_t user, const char *state, int limit, bool staff, souk_err *e);

/* Inside a write transaction: creates the subscription IN of USER. *ID gets
 * it. NOT_FOUND / INVALID_STATE / CONFLICT (see api.h), or the database error. */
souk_err souk__subs_create_tx(souk_store *db, int64_t user, const souk__subs_create_in *in, int64_t *id, souk_arena *a,
                              souk_problems *pr);

/* Inside a write transaction: applies IN to subscription ID (of USER when
 * ≠ 0). NOT_FOUND, INVALID_STATE (cancelled), VALIDATION (problem
 * "payment_order_id" in PR: not a paid order of the subscriber's that saved
 * its payment method through the shop's gateway), or the database error. */
souk_err souk__subs_update_tx(souk_store *db, int64_t id, int64_t user, const souk__subs_update_in *in, souk_arena *a,
                              souk_problems *pr);

/* Inside a write transaction: ACTION on subscription ID (of USER when ≠ 0),
 * WHO ("customer" / "admin") the pause reason. NOT_FOUND, INVALID_STATE
 * (problem "action" in PR), or the database error. */
souk_err souk__subs_action_tx(souk_store *db, int64_t id, int64_t user, int action, const char *who, souk_arena *a,
                              souk_problems *pr);

#endif
