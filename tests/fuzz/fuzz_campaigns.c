/*
 * libFuzzer driver for the two parsers of outside input in src/campaigns:
 * the unsubscribe token of campaign mail (souk_campaigns_token_verify, from
 * a link's ?t= or a POST body) and an audience's definition
 * (souk_campaigns_def_parse, from the admin API's JSON).
 *
 * Byte 0 even: the rest is a token (at most 200 bytes, NUL-terminated here).
 * Under a fixed key:
 *   - verification is deterministic and, when it succeeds, canonical:
 *     signing the campaign and user it names gives exactly the input back;
 *   - under another key the same text never verifies;
 *   - a token signed for ids derived from the input verifies to them, and
 *     with its last character changed does not.
 * Byte 0 odd: byte 1 picks the kind (rfm, kmeans, churn, filter, or an
 * unknown one), the rest is JSON. The parse:
 *   - refuses an unknown kind, a non-object and every key not of the kind;
 *   - on success holds the documented bounds (days 1..3660, a non-empty
 *     segment set of the ten, 2 <= k <= 10 and 1 <= cluster <= k, horizon
 *     7..365 and a band, a filter with a bound and no minimum above its
 *     maximum), and round-trips: the definition as JSON parses to the same.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "campaigns/campaigns.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

static void token(const uint8_t *data, size_t size)
{
    static const unsigned char key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                          17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    unsigned char other[32];
    memcpy(other, key, sizeof other);
    other[31] ^= 0x01;
    if (size > 200)
        return;
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    int64_t c = 0, u = 0, c2 = 0, u2 = 0;
    int ok = souk_campaigns_token_verify(key, s, &c, &u);
    CHECK(ok == souk_campaigns_token_verify(key, s, &c2, &u2));
    if (ok) {
        CHECK(c == c2 && u == u2 && c > 0 && u > 0);
        char again[SOUK_CAMPAIGNS_UNSUB_MAX];
        souk_campaigns_token_sign(key, c, u, again);
        CHECK(strcmp(again, s) == 0);
        CHECK(!souk_campaigns_token_verify(other, s, &c2, &u2));
    }
    int64_t seed = 1;
    for (size_t i = 0; i < size && i < 7; i++)
        seed = seed * 251 + data[i];
    char t[SOUK_CAMPAIGNS_UNSUB_MAX];
    souk_campaigns_token_sign(key, seed, seed + 7, t);
    CHECK(souk_campaigns_token_verify(key, t, &c, &u) && c == seed && u == seed + 7);
    size_t n = strlen(t);
    t[n - 1] = t[n - 1] == 'A' ? 'B' : 'A';
    CHECK(!souk_campaigns_token_verify(key, t, &c, &u));
    free(s);
}

static bool same(const souk_campaigns_def *a, const souk_campaigns_def *b)
{
    return a->kind == b->kind && a->days == b->days && strcmp(a->currency, b->currency) == 0 &&
           a->segments == b->segments && a->k == b->k && a->cluster == b->cluster && a->horizon == b->horizon &&
           a->min_p == b->min_p && a->max_p == b->max_p && a->min_orders == b->min_orders &&
           a->max_orders == b->max_orders && a->min_revenue == b->min_revenue && a->max_revenue == b->max_revenue &&
           a->min_recency == b->min_recency && a->max_recency == b->max_recency;
}

static void definition(const uint8_t *data, size_t size)
{
    static const char *const kinds[] = {"rfm", "kmeans", "churn", "filter", "segments"};
    if (size < 1)
        return;
    const char *kind = kinds[data[0] % 5];
    json_t *o = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
    souk_campaigns_def d;
    const char *field = NULL;
    const char *why = souk_campaigns_def_parse(kind, o, &d, &field);
    if (data[0] % 5 == 4 || !json_is_object(o))
        CHECK(why != NULL);
    if (why) {
        CHECK(field != NULL);
        json_decref(o);
        return;
    }
    CHECK(d.days >= 1 && d.days <= SOUK_CAMPAIGNS_DAYS_MAX);
    CHECK(strcmp(souk_campaigns_kind_name(d.kind), kind) == 0);
    if (d.kind == SOUK_CAMPAIGNS_RFM)
        CHECK(d.segments != 0 && d.segments < (1u << 10));
    if (d.kind == SOUK_CAMPAIGNS_KMEANS)
        CHECK(d.k >= 2 && d.k <= 10 && d.cluster >= 1 && d.cluster <= d.k);
    if (d.kind == SOUK_CAMPAIGNS_CHURN)
        CHECK(d.horizon >= 7 && d.horizon <= 365 && d.min_p < d.max_p);
    if (d.kind == SOUK_CAMPAIGNS_FILTER) {
        CHECK(d.min_orders >= 0 || d.max_orders >= 0 || d.min_revenue >= 0 || d.max_revenue >= 0 ||
              d.min_recency >= 0 || d.max_recency >= 0);
        CHECK(d.max_orders < 0 || d.min_orders <= d.max_orders);
        CHECK(d.max_revenue < 0 || d.min_revenue <= d.max_revenue);
    }
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val) CHECK(strlen(key) > 0);
    json_t *back = souk_campaigns_def_json(&d);
    CHECK(back);
    souk_campaigns_def d2;
    CHECK(souk_campaigns_def_parse(kind, back, &d2, &field) == NULL);
    CHECK(same(&d, &d2));
    json_decref(back);
    json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] % 2 == 0)
        token(data + 1, size - 1);
    else
        definition(data + 1, size - 1);
    return 0;
}
