/*
 * libFuzzer driver for the behaviour event batch decoder
 * (souk_behaviour_batch_decode, src/behaviour/batch.c).
 *
 * Input: byte 0 picks the caller (bit 0: signed in) and the arena limit (bits
 * 1-3: small limits make allocations fail); the rest is the request body.
 * The driver checks, independently of the decoder's tables:
 *   - the status is one of OK, MALFORMED_JSON, VALIDATION, PAYLOAD_TOO_LARGE,
 *     INTERNAL (arena exhausted), and only OK fills the batch;
 *   - every event is either kept or rejected: count + rejected == total,
 *     total ≤ 500; index[] rises strictly and stays below total; rejects
 *     are in batch order with a field that names their index;
 *   - every kept event has a client type (1..9), an id of 1..64 bytes of
 *     [A-Za-z0-9_.:-], an anonymous id (8..64 of [A-Za-z0-9_-]) unless the
 *     caller is signed in, a product or variant when its type needs one, a
 *     query when a search needs one, a time within the documented window,
 *     a quantity only on cart events, properties that are a JSON object;
 *   - decoding is deterministic (a second run gives the same counts).
 * The arena is released every run (LeakSanitizer).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "behaviour/behaviour.h"
#include "core/arena.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

static const int64_t NOW = 1764600000000000LL; /* a fixed clock: runs repeat */

static bool chars_ok(const char *s, size_t min, size_t max, const char *extra)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                  (extra && c && strchr(extra, c));
        if (!ok)
            return false;
    }
    return true;
}

static void check_event(const souk_behaviour_event *e, int64_t user)
{
    CHECK(e->type >= 1 && e->type <= SOUK_BEHAVIOUR_CLIENT_TYPES);
    CHECK(e->client_id && chars_ok(e->client_id, 1, SOUK_BEHAVIOUR_ID_MAX, ".:"));
    CHECK(e->user_id == user);
    if (e->anonymous_id)
        CHECK(chars_ok(e->anonymous_id, SOUK_BEHAVIOUR_ANON_MIN, SOUK_BEHAVIOUR_ID_MAX, NULL));
    else
        CHECK(user != 0);
    bool product = e->type == SOUK_BEHAVIOUR_PRODUCT_VIEW || e->type == SOUK_BEHAVIOUR_SEARCH_CLICK ||
                   e->type == SOUK_BEHAVIOUR_ADD_TO_CART || e->type == SOUK_BEHAVIOUR_REMOVE_FROM_CART ||
                   e->type == SOUK_BEHAVIOUR_REC_IMPRESSION || e->type == SOUK_BEHAVIOUR_REC_CLICK;
    if (product)
        CHECK(e->product_id || e->variant_id);
    if (e->type == SOUK_BEHAVIOUR_SEARCH || e->type == SOUK_BEHAVIOUR_SEARCH_CLICK)
        CHECK(e->query && *e->query);
    bool cart = e->type == SOUK_BEHAVIOUR_ADD_TO_CART || e->type == SOUK_BEHAVIOUR_REMOVE_FROM_CART;
    CHECK(cart ? (e->quantity >= 1 && e->quantity <= 999) : e->quantity == 0);
    CHECK(e->at <= NOW + SOUK_BEHAVIOUR_FUTURE_US && e->at >= NOW - SOUK_BEHAVIOUR_PAST_US);
    CHECK(e->position >= 0 && e->position <= 10000);
    if (e->query)
        for (const char *p = e->query; *p; p++)
            CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
    if (e->properties) {
        json_error_t err;
        json_t *o = json_loads(e->properties, 0, &err);
        CHECK(o && json_is_object(o) && json_object_size(o) <= SOUK_BEHAVIOUR_PROPS_MAX);
        json_decref(o);
    }
}

static souk_err run(const uint8_t *data, size_t size, souk_arena *a, souk_behaviour_batch *b, int64_t *user)
{
    *user = (data[0] & 1) ? 42 : 0;
    size_t limit = (data[0] >> 1) & 7 ? ((size_t)((data[0] >> 1) & 7) << 12) : (64u << 20);
    souk_arena_init(a, 0, limit);
    const char *why;
    souk_problems pr;
    souk_problems_init(&pr);
    souk_err e = souk_behaviour_batch_decode((const char *)data + 1, size - 1, *user, NOW, a, b, &why, &pr);
    CHECK(e == SOUK_OK || e == SOUK_E_MALFORMED_JSON || e == SOUK_E_VALIDATION || e == SOUK_E_PAYLOAD_TOO_LARGE ||
          e == SOUK_E_INTERNAL);
    if (e == SOUK_E_MALFORMED_JSON || e == SOUK_E_PAYLOAD_TOO_LARGE)
        CHECK(why != NULL || limit < (64u << 20));
    return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    souk_arena a, a2;
    souk_behaviour_batch b, b2;
    int64_t user;
    souk_err e = run(data, size, &a, &b, &user);
    if (e == SOUK_OK) {
        CHECK(b.total >= 1 && b.total <= SOUK_BEHAVIOUR_BATCH_MAX);
        CHECK(b.count + b.rejected == b.total);
        for (size_t i = 0; i < b.count; i++) {
            CHECK(b.index[i] < b.total);
            if (i)
                CHECK(b.index[i] > b.index[i - 1]);
            check_event(&b.events[i], user);
        }
        for (size_t i = 0; i < b.nrejects; i++) {
            CHECK(b.rejects[i].index < b.total);
            if (i)
                CHECK(b.rejects[i].index >= b.rejects[i - 1].index);
            char prefix[32];
            snprintf(prefix, sizeof prefix, "events[%zu]", b.rejects[i].index);
            CHECK(b.rejects[i].field && strncmp(b.rejects[i].field, prefix, strlen(prefix)) == 0);
            CHECK(b.rejects[i].message && *b.rejects[i].message);
        }
        souk_err e2 = run(data, size, &a2, &b2, &user);
        CHECK(e2 == e && b2.count == b.count && b2.rejected == b.rejected && b2.nrejects == b.nrejects);
        souk_arena_release(&a2);
    } else {
        CHECK(b.count == 0);
    }
    souk_arena_release(&a);
    return 0;
}
