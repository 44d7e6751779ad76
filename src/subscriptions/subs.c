/*
 * subs.c — subscription rows, their schedule, the customer's and admins'
 * actions, and their JSON. A renewal is due at next_run_at; the interval
 * counts from anchor_at (the last paid renewal, the first order's payment,
 * or the due time a skip passed over). See docs/internals/subscriptions.md.
 */
#include "subscriptions/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/id.h"
#include "core/time.h"
#include "cart/cart.h"
#include "orders/orders.h"
#include "core/banned.h"

#define DAY_US (INT64_C(86400) * 1000000)

int64_t souk__subs_add(int64_t at, const char *unit, int64_t count)
{
    if (strcmp(unit, "day") == 0)
        return at + count * DAY_US;
    if (strcmp(unit, "week") == 0)
        return at + count * 7 * DAY_US;
    time_t t = (time_t)(at / 1000000);
    int64_t rest = at % 1000000;
    struct tm tm;
    gmtime_r(&t, &tm);
    int64_t months = (int64_t)tm.tm_mon + count;
    int year = tm.tm_year + (int)(months / 12), mon = (int)(months % 12);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int last =
        days[mon] + (mon == 1 && ((year + 1900) % 4 == 0 && ((year + 1900) % 100 != 0 || (year + 1900) % 400 == 0)));
    tm.tm_year = year;
    tm.tm_mon = mon;
    if (tm.tm_mday > last)
        tm.tm_mday = last;
    return (int64_t)timegm(&tm) * 1000000 + rest;
}

#define SUB_COLS                                                                                                               \
    "id, user_id, first_order_id, variant_id, quantity, interval_unit, interval_count, state, "                                \
    "COALESCE(pause_reason, ''), period, attempt, failures, anchor_at, next_run_at, gateway, payment_token, currency, email, " \
    "shipping_address, COALESCE(shipping_method, ''), COALESCE(tax_region, ''), created_at, updated_at"

static const souk_col *sub_cols(souk__subs *s, souk_arena *a, souk_col *c)
{
    souk_col cols[] = {SOUK_COL_I64(&s->id),
                       SOUK_COL_I64(&s->user_id),
                       SOUK_COL_I64(&s->first_order_id),
                       SOUK_COL_I64(&s->variant_id),
                       SOUK_COL_I64(&s->quantity),
                       SOUK_COL_STR(s->interval_unit),
                       SOUK_COL_I64(&s->interval_count),
                       SOUK_COL_STR(s->state),
                       SOUK_COL_STR(s->pause_reason),
                       SOUK_COL_I64(&s->period),
                       SOUK_COL_I64(&s->attempt),
                       SOUK_COL_I64(&s->failures),
                       SOUK_COL_I64(&s->anchor_at),
                       SOUK_COL_I64(&s->next_run_at),
                       SOUK_COL_STR(s->gateway),
                       SOUK_COL_STR(s->token),
                       SOUK_COL_STR(s->currency),
                       SOUK_COL_STR(s->email),
                       SOUK_COL_ARENA(&s->address_json, a),
                       SOUK_COL_STR(s->shipping_method),
                       SOUK_COL_STR(s->tax_region),
                       SOUK_COL_I64(&s->created_at),
                       SOUK_COL_I64(&s->updated_at),
                       {.type = SOUK_TYPE_END}};
    memcpy(c, cols, sizeof cols);
    return c;
}

souk_err souk__subs_load(souk_store *db, int64_t id, souk__subs *s, souk_arena *a)
{
    memset(s, 0, sizeof *s);
    souk_col c[24];
    int r = souk_store_one(db, "SELECT " SUB_COLS " FROM subscriptions WHERE id = $1", SOUK_ARGS(SOUK_I64(id)),
                           sub_cols(s, a, c));
    return r == SOUK_DB_ROW ? SOUK_OK : r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
}

/* ---- settings ---- */

souk_err souk__subs_settings_read(souk_store *db, souk__subs_settings *s)
{
    char retry[256] = "";
    memset(s, 0, sizeof *s);
    int r = souk_store_one(db, "SELECT discount_bp, retry_hours FROM subscription_settings WHERE id = 1", NULL,
                           SOUK_COLS(SOUK_COL_I64(&s->discount_bp), SOUK_COL_STR(retry)));
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_INTERNAL : souk_store_dberr(r);
    if (!souk__subs_retry_parse(retry, s))
        s->nretry = 0;
    return SOUK_OK;
}

static json_t *retry_json(const souk__subs_settings *s)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < s->nretry; i++)
        json_array_append_new(arr, json_integer(s->retry_hours[i]));
    return arr;
}

souk_err souk__subs_settings_write_tx(souk_store *db, const souk__subs_settings *s)
{
    json_t *arr = retry_json(s);
    char *text = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    if (!text)
        return SOUK_E_INTERNAL;
    int r = souk_store_exec(db,
                            "UPDATE subscription_settings SET discount_bp = $1, retry_hours = $2, updated_at = $3 "
                            "WHERE id = 1",
                            SOUK_ARGS(SOUK_I64(s->discount_bp), SOUK_TEXT(text), SOUK_I64(souk_time_now_us())));
    free(text);
    return souk_store_dberr(r);
}

json_t *souk__subs_settings_json(const souk__subs_settings *s)
{
    return json_pack("{s:I,s:o}", "discount_bp", (json_int_t)s->discount_bp, "retry_hours", retry_json(s));
}

/* ---- JSON ---- */

static json_t *time_json(int64_t us)
{
    char buf[40];
    return us ? json_string(souk_time_format(us, buf)) : json_null();
}

static json_t *row_json(const souk__subs *s, bool staff)
{
    char id[SOUK_ID_TEXT_MAX], v[SOUK_ID_TEXT_MAX], o[SOUK_ID_TEXT_MAX], u[SOUK_ID_TEXT_MAX];
    bool active = strcmp(s->state, "active") == 0;
    json_t *j = json_pack("{s:s,s:s,s:o,s:s,s:I,s:s,s:I,s:I,s:I,s:o,s:s,s:s,s:{s:s},s:o,s:o}", "id",
                          souk_id_format(SOUK_PREFIX_SUBSCRIPTION, s->id, id), "state", s->state, "pause_reason",
                          s->pause_reason[0] ? json_string(s->pause_reason) : json_null(), "variant_id",
                          souk_id_format("var", s->variant_id, v), "quantity", (json_int_t)s->quantity, "interval",
                          s->interval_unit, "interval_count", (json_int_t)s->interval_count, "period",
                          (json_int_t)s->period, "failed_attempts", (json_int_t)s->failures, "next_renewal_at",
                          active ? time_json(s->next_run_at) : json_null(), "currency", s->currency, "first_order_id",
                          souk_id_format(SOUK_PREFIX_ORDER, s->first_order_id, o), "payment_method", "gateway",
                          s->gateway, "created_at", time_json(s->created_at), "updated_at", time_json(s->updated_at));
    if (j && staff)
        json_object_set_new(j, "user_id", json_string(souk_id_format("usr", s->user_id, u)));
    return j;
}

static json_t *renewals_json(souk_store *db, int64_t id, souk_err *e)
{
    souk_stmt *st =
        souk_store_query(db,
                         "SELECT period, attempt, COALESCE(order_id, 0), state, COALESCE(decline_code, ''), "
                         "created_at FROM subscription_renewals WHERE subscription_id = $1 "
                         "ORDER BY period DESC, attempt DESC LIMIT 100",
                         SOUK_ARGS(SOUK_I64(id)));
    json_t *arr = json_array();
    int64_t period, attempt, order, at;
    char state[16], code[64];
    int r;
    while (arr && (r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&period), SOUK_COL_I64(&attempt), SOUK_COL_I64(&order),
                                                    SOUK_COL_STR(state), SOUK_COL_STR(code), SOUK_COL_I64(&at)))) ==
                      SOUK_DB_ROW) {
        char o[SOUK_ID_TEXT_MAX];
        json_array_append_new(
            arr, json_pack("{s:I,s:I,s:o,s:s,s:o,s:o}", "period", (json_int_t)period, "attempt", (json_int_t)attempt,
                           "order_id", order ? json_string(souk_id_format(SOUK_PREFIX_ORDER, order, o)) : json_null(),
                           "state", state, "decline_code", code[0] ? json_string(code) : json_null(), "created_at",
                           time_json(at)));
    }
    if (!arr || r != SOUK_DB_DONE) {
        souk_stmt_done(st);
        json_decref(arr);
        *e = arr ? souk_store_dberr(r) : SOUK_E_INTERNAL;
        return NULL;
    }
    return arr;
}

json_t *souk__subs_json(souk_store *db, int64_t id, bool renewals, bool staff, souk_err *e)
{
    souk_arena a;
    souk_arena_init(&a, 4096, 1 << 20);
    souk__subs s;
    *e = souk__subs_load(db, id, &s, &a);
    json_t *j = *e ? NULL : row_json(&s, staff);
    souk_arena_release(&a);
    if (!*e && !j)
        *e = SOUK_E_INTERNAL;
    if (j && renewals) {
        json_t *r = renewals_json(db, id, e);
        if (!r) {
            json_decref(j);
            return NULL;
        }
        json_object_set_new(j, "renewals", r);
    }
    return j;
}

json_t *souk__subs_list_json(souk_store *db, int64_t user, const char *state, int limit, bool staff, souk_err *e)
{
    souk_arena a;
    souk_arena_init(&a, 4096, 1 << 20);
    souk__subs s;
    souk_col c[24];
    souk_stmt *st = souk_store_query(db,
                                     "SELECT " SUB_COLS " FROM subscriptions WHERE ($1 = 0 OR user_id = $1) "
                                     "AND ($2 = '' OR state = $2) ORDER BY id DESC LIMIT $3",
                                     SOUK_ARGS(SOUK_I64(user), SOUK_TEXT(state ? state : ""), SOUK_I64(limit)));
    json_t *arr = json_array();
    int r;
    while (arr && (r = souk_stmt_next(st, sub_cols(&s, &a, c))) == SOUK_DB_ROW)
        json_array_append_new(arr, row_json(&s, staff));
    souk_arena_release(&a);
    if (!arr || r != SOUK_DB_DONE) {
        souk_stmt_done(st);
        json_decref(arr);
        *e = arr ? souk_store_dberr(r) : SOUK_E_INTERNAL;
        return NULL;
    }
    *e = SOUK_OK;
    return json_pack("{s:o}", "data", arr);
}

/* ---- writes ---- */

souk_err souk__subs_create_tx(souk_store *db, int64_t user, const souk__subs_create_in *in, int64_t *id, souk_arena *a,
                              souk_problems *pr)
{
    souk_orders_subscribable o;
    souk_err e = souk_orders_subscribable_read(db, in->order_id, user, in->variant_id, &o, a);
    if (e == SOUK_E_INVALID_STATE)
        souk_problems_add(pr, a, "order_id", "is not paid");
    if (e)
        return e;
    if (!o.token[0]) {
        souk_problems_add(pr, a, "order_id",
                          "its checkout saved no payment method: check out with save_payment_method: true");
        return SOUK_E_INVALID_STATE;
    }
    if (strcmp(o.gateway, souk_orders_gateway()->name) != 0) {
        souk_problems_add(pr, a, "order_id", "was paid through another payment gateway than the shop's now");
        return SOUK_E_INVALID_STATE;
    }
    /* the renewals are taxed as the first order was: its cart's region (while the cart lives) */
    char region[16] = "";
    if (o.cart_id && (e = souk_cart_region(db, o.cart_id, region, sizeof region)) && e != SOUK_E_NOT_FOUND)
        return e;
    int64_t now = souk_time_now_us(), sid = souk_id_next();
    const char *unit = souk__subs_units[in->interval];
    int64_t anchor = o.paid_at;
    int64_t due = souk__subs_add(anchor, unit, in->interval_count);
    int r = souk_store_exec(
        db,
        "INSERT INTO subscriptions (id, user_id, first_order_id, variant_id, quantity, interval_unit, interval_count, "
        "state, period, attempt, anchor_at, next_run_at, gateway, payment_token, currency, email, shipping_address, "
        "shipping_method, tax_region, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', 1, 0, $8, "
        "$9, $10, $11, $12, $13, $14, $15, $17, $16, $16) ON CONFLICT (first_order_id, variant_id) DO NOTHING",
        SOUK_ARGS(SOUK_I64(sid), SOUK_I64(user), SOUK_I64(in->order_id), SOUK_I64(in->variant_id),
                  SOUK_I64(in->quantity ? in->quantity : o.quantity), SOUK_TEXT(unit), SOUK_I64(in->interval_count),
                  SOUK_I64(anchor), SOUK_I64(due), SOUK_TEXT(o.gateway), SOUK_TEXT(o.token), SOUK_TEXT(o.currency),
                  SOUK_TEXT(o.email), SOUK_TEXT(o.address_json),
                  SOUK_TEXT(o.shipping_method[0] ? o.shipping_method : NULL), SOUK_I64(now),
                  SOUK_TEXT(region[0] ? region : NULL)));
    if (r < 0)
        return souk_store_dberr(r);
    int64_t have = 0;
    r = souk_store_one(db, "SELECT id FROM subscriptions WHERE first_order_id = $1 AND variant_id = $2",
                       SOUK_ARGS(SOUK_I64(in->order_id), SOUK_I64(in->variant_id)), SOUK_COLS(SOUK_COL_I64(&have)));
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_INTERNAL : souk_store_dberr(r);
    if (have != sid) {
        souk_problems_add(pr, a, "order_id", "already started a subscription to this variant");
        return SOUK_E_CONFLICT;
    }
    *id = sid;
    return SOUK_OK;
}

/* Loads subscription ID for a change by USER (≠ 0: must be theirs). */
static souk_err load_for(souk_store *db, int64_t id, int64_t user, souk__subs *s, souk_arena *a)
{
    souk_err e = souk__subs_load(db, id, s, a);
    if (!e && user && s->user_id != user)
        return SOUK_E_NOT_FOUND;
    return e;
}

static souk_err save_schedule(souk_store *db, const souk__subs *s)
{
    return souk_store_dberr(souk_store_exec(
        db,
        "UPDATE subscriptions SET state = $2, pause_reason = $3, period = $4, attempt = $5, failures = $12, anchor_at = $6, "
        "next_run_at = $7, interval_unit = $8, interval_count = $9, quantity = $10, updated_at = $11 WHERE id = $1",
        SOUK_ARGS(SOUK_I64(s->id), SOUK_TEXT(s->state), SOUK_TEXT(s->pause_reason[0] ? s->pause_reason : NULL),
                  SOUK_I64(s->period), SOUK_I64(s->attempt), SOUK_I64(s->anchor_at), SOUK_I64(s->next_run_at),
                  SOUK_TEXT(s->interval_unit), SOUK_I64(s->interval_count), SOUK_I64(s->quantity),
                  SOUK_I64(souk_time_now_us()), SOUK_I64(s->failures))));
}

/* The payment method order ORDER of the subscriber of S saved, into S's row. */
static souk_err take_method(souk_store *db, const souk__subs *s, int64_t order, souk_arena *a, souk_problems *pr)
{
    souk_orders_subscribable o;
    souk_err e = souk_orders_subscribable_read(db, order, s->user_id, 0, &o, a);
    if (e == SOUK_E_NOT_FOUND || e == SOUK_E_INVALID_STATE || (!e && !o.token[0]) ||
        (!e && strcmp(o.gateway, souk_orders_gateway()->name) != 0)) {
        souk_problems_add(pr, a, "payment_order_id",
                          "must be a paid order of the subscriber's whose checkout saved its payment method "
                          "(save_payment_method) through the shop's payment gateway");
        return SOUK_E_VALIDATION;
    }
    if (e)
        return e;
    return souk_store_dberr(souk_store_exec(
        db, "UPDATE subscriptions SET gateway = $2, payment_token = $3, updated_at = $4 WHERE id = $1",
        SOUK_ARGS(SOUK_I64(s->id), SOUK_TEXT(o.gateway), SOUK_TEXT(o.token), SOUK_I64(souk_time_now_us()))));
}

souk_err souk__subs_update_tx(souk_store *db, int64_t id, int64_t user, const souk__subs_update_in *in, souk_arena *a,
                              souk_problems *pr)
{
    souk__subs s;
    souk_err e = load_for(db, id, user, &s, a);
    if (e)
        return e;
    if (strcmp(s.state, "cancelled") == 0)
        return SOUK_E_INVALID_STATE;
    if (in->payment_order_id && (e = take_method(db, &s, in->payment_order_id, a, pr)))
        return e;
    if (in->interval >= 0)
        snprintf(s.interval_unit, sizeof s.interval_unit, "%s", souk__subs_units[in->interval]);
    if (in->interval_count)
        s.interval_count = in->interval_count;
    if (in->quantity)
        s.quantity = in->quantity;
    if ((in->interval >= 0 || in->interval_count) && s.failures == 0) /* not while dunning retries */
        s.next_run_at = souk__subs_add(s.anchor_at, s.interval_unit, s.interval_count);
    return save_schedule(db, &s);
}

souk_err souk__subs_action_tx(souk_store *db, int64_t id, int64_t user, int action, const char *who, souk_arena *a,
                              souk_problems *pr)
{
    souk__subs s;
    souk_err e = load_for(db, id, user, &s, a);
    if (e)
        return e;
    int64_t now = souk_time_now_us();
    bool active = strcmp(s.state, "active") == 0, paused = strcmp(s.state, "paused") == 0;
    const char *refuse = NULL;
    switch (action) {
    case SOUK__SUBS_SKIP: {
        if (!active && !paused) {
            refuse = "a cancelled subscription has nothing to skip";
            break;
        }
        /* the period due now is passed over: the next interval counts from its due time */
        int64_t due = souk__subs_add(s.anchor_at, s.interval_unit, s.interval_count);
        int r = souk_store_exec(db,
                                "INSERT INTO subscription_renewals (id, subscription_id, period, attempt, state, "
                                "created_at, updated_at) VALUES ($1, $2, $3, $4, 'skipped', $5, $5) "
                                "ON CONFLICT (subscription_id, period, attempt) DO NOTHING",
                                SOUK_ARGS(SOUK_I64(souk_id_next()), SOUK_I64(s.id), SOUK_I64(s.period),
                                          SOUK_I64(s.attempt), SOUK_I64(now)));
        if (r < 0)
            return souk_store_dberr(r);
        s.anchor_at = due;
        s.period++;
        s.attempt = 0; /* a period never renewed before: no rows yet */
        s.failures = 0;
        s.next_run_at = souk__subs_add(due, s.interval_unit, s.interval_count);
        break;
    }
    case SOUK__SUBS_PAUSE:
        if (!active) {
            refuse = "only an active subscription can be paused";
            break;
        }
        snprintf(s.state, sizeof s.state, "paused");
        snprintf(s.pause_reason, sizeof s.pause_reason, "%s", who);
        break;
    case SOUK__SUBS_RESUME:
        if (!paused) {
            refuse = "only a paused subscription can be resumed";
            break;
        }
        snprintf(s.state, sizeof s.state, "active");
        s.pause_reason[0] = '\0';
        s.failures = 0; /* a fresh dunning budget; ATTEMPT goes on, its rows are kept */
        s.next_run_at = souk__subs_add(s.anchor_at, s.interval_unit, s.interval_count);
        if (s.next_run_at < now)
            s.next_run_at = now; /* overdue: renewed at the next run */
        break;
    case SOUK__SUBS_CANCEL:
        if (strcmp(s.state, "cancelled") == 0) {
            refuse = "the subscription is cancelled already";
            break;
        }
        snprintf(s.state, sizeof s.state, "cancelled");
        s.pause_reason[0] = '\0';
        break;
    default: refuse = "unknown action";
    }
    if (refuse) {
        souk_problems_add(pr, a, "action", "%s", refuse);
        return SOUK_E_INVALID_STATE;
    }
    return save_schedule(db, &s);
}

/* ---- privacy ---- */

json_t *souk_subs_export_json(souk_store *db, int64_t user)
{
    souk_err e;
    json_t *j = souk__subs_list_json(db, user, NULL, 1000, false, &e);
    json_t *data = j ? json_incref(json_object_get(j, "data")) : NULL;
    json_decref(j);
    return data;
}

int souk_subs_erase_tx(souk_store *db, int64_t user, const char *email)
{
    (void)email;
    return souk_store_exec(db,
                           "UPDATE subscriptions SET state = 'cancelled', pause_reason = NULL, email = '', "
                           "shipping_address = '{}', payment_token = '', updated_at = $2 WHERE user_id = $1",
                           SOUK_ARGS(SOUK_I64(user), SOUK_I64(souk_time_now_us())));
}
