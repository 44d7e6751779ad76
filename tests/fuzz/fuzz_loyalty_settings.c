/*
 * libFuzzer driver for the loyalty settings body: souk_loyalty_settings_decode
 * (src/loyalty/settings_in.c), as PUT /api/v1/admin/loyalty/settings calls it
 * after souk_json_parse_object.
 *
 * On success every value is in its documented range, currencies are valid
 * ISO 4217 codes and categories positive ids, each listed once, and the
 * settings written back as JSON (souk_loyalty_settings_json) decode to the
 * same settings. On failure at least one problem names a field. With the
 * programme's first currency the earning rule (souk_loyalty_points_for) stays
 * within [0, SOUK_LOYALTY_POINTS_MAX] for the largest line souk accepts.
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
#include "core/money.h"
#include "loyalty/loyalty.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

static void check_valid(const souk_loyalty_settings *s)
{
    CHECK(s->max_redeem_bp >= 0 && s->max_redeem_bp <= 10000);
    CHECK(s->return_window_days >= 0 && s->return_window_days <= 365);
    CHECK(s->expiry_days >= 0 && s->expiry_days <= 3650);
    CHECK(s->ncurrencies <= SOUK_LOYALTY_CURRENCIES_MAX && s->ncategories <= SOUK_LOYALTY_CATEGORIES_MAX);
    for (size_t i = 0; i < s->ncurrencies; i++) {
        const souk_loyalty_currency *c = &s->currencies[i];
        CHECK(strlen(c->currency) == 3 && souk_currency_valid(c->currency));
        CHECK(c->earn_per_unit >= 0 && c->earn_per_unit <= 1000);
        CHECK(c->point_value >= 1 && c->point_value <= 1000000);
        for (size_t k = 0; k < i; k++)
            CHECK(strcmp(s->currencies[k].currency, c->currency) != 0);
    }
    for (size_t i = 0; i < s->ncategories; i++) {
        CHECK(s->categories[i].category_id > 0);
        CHECK(s->categories[i].rate_bp >= 0 && s->categories[i].rate_bp <= 100000);
        for (size_t k = 0; k < i; k++)
            CHECK(s->categories[k].category_id != s->categories[i].category_id);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    json_t *obj = souk_json_parse_object((const char *)data, size, err, sizeof err);
    if (!obj)
        return 0;
    souk_arena a;
    souk_arena_init(&a, 0, 1u << 20);
    souk_problems pr;
    souk_problems_init(&pr);
    static souk_loyalty_settings s, again;
    int rc = souk_loyalty_settings_decode(obj, &s, &a, &pr);
    json_decref(obj);
    if (rc < 0) {
        CHECK(pr.count > 0);
        souk_arena_release(&a);
        return 0;
    }
    CHECK(pr.count == 0);
    check_valid(&s);
    /* written back, it reads the same */
    json_t *j = souk_loyalty_settings_json(&s);
    CHECK(j);
    souk_problems_init(&pr);
    CHECK(souk_loyalty_settings_decode(j, &again, &a, &pr) == 0);
    json_decref(j);
    CHECK(memcmp(&s, &again, sizeof s) == 0);
    if (s.ncurrencies) {
        souk_loyalty_line big = {1, INT64_C(400000000000000)};
        int64_t cat = s.ncategories ? s.categories[0].category_id : 0;
        int64_t p = souk_loyalty_points_for(&s, s.currencies[0].currency, &big, &cat, 1);
        CHECK(p >= 0 && p <= SOUK_LOYALTY_POINTS_MAX);
    }
    souk_arena_release(&a);
    return 0;
}
