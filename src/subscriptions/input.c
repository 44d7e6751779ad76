/*
 * input.c — the request bodies of subscriptions decoded and checked by
 * declarative specs (core/json.h), without I/O, so that the fuzz driver
 * (tests/fuzz/fuzz_subscriptions.c) calls exactly what the handlers call.
 */
#include "subscriptions/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "core/banned.h"

const char *const souk__subs_units[] = {"day", "week", "month", NULL};
const char *const souk__subs_actions[] = {"skip", "pause", "resume", "cancel", NULL};

typedef struct create_body {
    int64_t order_id, variant_id, interval_count, quantity;
    int interval;
    uint64_t present, nulls;
} create_body;

static const souk_json_field create_fields[] = {
    SOUK_JSON_F_ID("order_id", SOUK_JSON_REQUIRED, create_body, order_id, "ord"),
    SOUK_JSON_F_ID("variant_id", SOUK_JSON_REQUIRED, create_body, variant_id, "var"),
    SOUK_JSON_F_ENUM("interval", SOUK_JSON_REQUIRED, create_body, interval, souk__subs_units),
    SOUK_JSON_F_INT("interval_count", 0, create_body, interval_count, 1, SOUK__SUBS_INTERVAL_MAX),
    SOUK_JSON_F_INT("quantity", 0, create_body, quantity, 1, 999),
};
static const souk_json_spec create_spec = SOUK_JSON_SPEC(create_body, create_fields);

int souk__subs_decode_create(const json_t *body, souk__subs_create_in *out, souk_arena *a, souk_problems *pr)
{
    create_body b;
    memset(out, 0, sizeof *out);
    if (souk_json_decode(&create_spec, body, &b, "", a, pr) < 0)
        return -1;
    out->order_id = b.order_id;
    out->variant_id = b.variant_id;
    out->interval = b.interval;
    out->interval_count = souk_json_present(&create_spec, &b, 3) ? b.interval_count : 1;
    out->quantity = souk_json_present(&create_spec, &b, 4) ? b.quantity : 0;
    return 0;
}

typedef struct update_body {
    int64_t interval_count, quantity, payment_order_id;
    int interval;
    uint64_t present, nulls;
} update_body;

static const souk_json_field update_fields[] = {
    SOUK_JSON_F_ENUM("interval", 0, update_body, interval, souk__subs_units),
    SOUK_JSON_F_INT("interval_count", 0, update_body, interval_count, 1, SOUK__SUBS_INTERVAL_MAX),
    SOUK_JSON_F_INT("quantity", 0, update_body, quantity, 1, 999),
    SOUK_JSON_F_ID("payment_order_id", 0, update_body, payment_order_id, "ord"),
};
static const souk_json_spec update_spec = SOUK_JSON_SPEC(update_body, update_fields);

int souk__subs_decode_update(const json_t *body, souk__subs_update_in *out, souk_arena *a, souk_problems *pr)
{
    update_body b;
    memset(out, 0, sizeof *out);
    out->interval = -1;
    if (souk_json_decode(&update_spec, body, &b, "", a, pr) < 0)
        return -1;
    if (!b.present) {
        souk_problems_add(pr, a, "", "give at least one of interval, interval_count, quantity, payment_order_id");
        return -1;
    }
    if (souk_json_present(&update_spec, &b, 0))
        out->interval = b.interval;
    if (souk_json_present(&update_spec, &b, 1))
        out->interval_count = b.interval_count;
    if (souk_json_present(&update_spec, &b, 2))
        out->quantity = b.quantity;
    if (souk_json_present(&update_spec, &b, 3))
        out->payment_order_id = b.payment_order_id;
    return 0;
}

typedef struct action_body {
    int action;
    uint64_t present, nulls;
} action_body;

static const souk_json_field action_fields[] = {
    SOUK_JSON_F_ENUM("action", SOUK_JSON_REQUIRED, action_body, action, souk__subs_actions),
};
static const souk_json_spec action_spec = SOUK_JSON_SPEC(action_body, action_fields);

int souk__subs_decode_action(const json_t *body, int *action, souk_arena *a, souk_problems *pr)
{
    action_body b;
    if (souk_json_decode(&action_spec, body, &b, "", a, pr) < 0)
        return -1;
    *action = b.action;
    return 0;
}

typedef struct settings_body {
    int64_t discount_bp;
    uint64_t present, nulls;
} settings_body;

static const souk_json_field settings_fields[] = {
    SOUK_JSON_F_INT("discount_bp", SOUK_JSON_REQUIRED, settings_body, discount_bp, 0, SOUK__SUBS_DISCOUNT_MAX),
};
static const souk_json_spec settings_spec = SOUK_JSON_SPEC(settings_body, settings_fields);

/* retry_hours: 0..SOUK__SUBS_RETRIES_MAX integers, each 1..SOUK__SUBS_RETRY_HOURS_MAX */
static bool retry_list(const json_t *arr, souk__subs_settings *s)
{
    if (!json_is_array(arr) || json_array_size(arr) > SOUK__SUBS_RETRIES_MAX)
        return false;
    s->nretry = 0;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *v = json_array_get(arr, i);
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > SOUK__SUBS_RETRY_HOURS_MAX)
            return false;
        s->retry_hours[s->nretry++] = json_integer_value(v);
    }
    return true;
}

int souk__subs_decode_settings(const json_t *body, souk__subs_settings *out, souk_arena *a, souk_problems *pr)
{
    memset(out, 0, sizeof *out);
    json_t *copy = json_deep_copy(body);
    if (!copy)
        return souk_problems_add(pr, a, "", "cannot be read");
    json_t *retry = json_incref(json_object_get(copy, "retry_hours"));
    json_object_del(copy, "retry_hours");
    settings_body b;
    int bad = souk_json_decode(&settings_spec, copy, &b, "", a, pr);
    json_decref(copy);
    if (!retry)
        bad = souk_problems_add(pr, a, "retry_hours", "is required");
    else if (!retry_list(retry, out))
        bad = souk_problems_add(pr, a, "retry_hours", "must be an array of at most %d whole numbers of hours, 1 to %d",
                                SOUK__SUBS_RETRIES_MAX, SOUK__SUBS_RETRY_HOURS_MAX);
    json_decref(retry);
    if (bad < 0)
        return -1;
    out->discount_bp = b.discount_bp;
    return 0;
}

bool souk__subs_retry_parse(const char *text, souk__subs_settings *s)
{
    json_t *j = json_loads(text, 0, NULL);
    bool ok = j && retry_list(j, s);
    json_decref(j);
    return ok;
}
