/*
 * libFuzzer driver for the request bodies of subscriptions
 * (src/subscriptions/input.c), as the handlers call them after
 * souk_json_parse_object: the first byte picks the body — 0 the new
 * subscription, 1 a change, 2 an action, 3 the settings — the rest is the
 * JSON text.
 *
 * On success every value is in its documented range (an interval one of
 * day/week/month, counts 1..365, quantities 1..999 or 0 for "the order's",
 * an order id for the payment method, actions known, the discount 0..9000 bp, at most 5 retries of 1..720 h);
 * settings written back as JSON (souk__subs_settings_json) decode to the
 * same settings; the next renewal of a decoded interval from a time in
 * 1970..2100 is later than that time. On failure at least one problem names
 * a field.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"
#include "subscriptions/internal.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

static void check_interval(int unit, int64_t count, uint8_t seed)
{
    CHECK(unit >= 0 && unit <= 2);
    CHECK(count >= 1 && count <= SOUK__SUBS_INTERVAL_MAX);
    int64_t at = (int64_t)seed * INT64_C(16000000) * 1000000; /* 1970 .. ~2099 */
    int64_t next = souk__subs_add(at, souk__subs_units[unit], count);
    CHECK(next > at);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t which = data[0] % 4;
    char err[256];
    json_t *obj = souk_json_parse_object((const char *)data + 1, size - 1, err, sizeof err);
    if (!obj)
        return 0;
    souk_arena a;
    souk_arena_init(&a, 0, 1u << 20);
    souk_problems pr;
    souk_problems_init(&pr);
    int rc = -1;
    switch (which) {
    case 0: {
        souk__subs_create_in in;
        rc = souk__subs_decode_create(obj, &in, &a, &pr);
        if (rc == 0) {
            CHECK(in.order_id > 0 && in.variant_id > 0);
            CHECK(in.quantity >= 0 && in.quantity <= 999);
            check_interval(in.interval, in.interval_count, data[0]);
        }
        break;
    }
    case 1: {
        souk__subs_update_in in;
        rc = souk__subs_decode_update(obj, &in, &a, &pr);
        if (rc == 0) {
            CHECK(in.interval >= -1 && in.interval <= 2);
            CHECK(in.interval_count >= 0 && in.interval_count <= SOUK__SUBS_INTERVAL_MAX);
            CHECK(in.quantity >= 0 && in.quantity <= 999);
            CHECK(in.payment_order_id >= 0);
            CHECK(in.interval >= 0 || in.interval_count || in.quantity || in.payment_order_id);
            if (in.interval >= 0)
                check_interval(in.interval, in.interval_count ? in.interval_count : 1, data[0]);
        }
        break;
    }
    case 2: {
        int action = -1;
        rc = souk__subs_decode_action(obj, &action, &a, &pr);
        if (rc == 0)
            CHECK(action >= SOUK__SUBS_SKIP && action <= SOUK__SUBS_CANCEL);
        break;
    }
    default: {
        static souk__subs_settings s, again;
        rc = souk__subs_decode_settings(obj, &s, &a, &pr);
        if (rc == 0) {
            CHECK(s.discount_bp >= 0 && s.discount_bp <= SOUK__SUBS_DISCOUNT_MAX);
            CHECK(s.nretry <= SOUK__SUBS_RETRIES_MAX);
            for (size_t i = 0; i < s.nretry; i++)
                CHECK(s.retry_hours[i] >= 1 && s.retry_hours[i] <= SOUK__SUBS_RETRY_HOURS_MAX);
            json_t *j = souk__subs_settings_json(&s);
            CHECK(j);
            souk_problems_init(&pr);
            CHECK(souk__subs_decode_settings(j, &again, &a, &pr) == 0);
            json_decref(j);
            CHECK(memcmp(&s, &again, sizeof s) == 0);
        }
    }
    }
    json_decref(obj);
    CHECK(rc == 0 ? pr.count == 0 : pr.count > 0);
    souk_arena_release(&a);
    return 0;
}
