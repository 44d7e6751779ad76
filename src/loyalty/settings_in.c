/*
 * settings_in.c — the settings body (PUT /api/v1/admin/loyalty/settings)
 * decoded and checked: the scalars by a declarative spec, the two lists
 * member by member. No I/O: the fuzz driver (tests/fuzz/fuzz_loyalty_settings.c)
 * calls it as the handler does.
 */
#include "loyalty/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/json.h"
#include "core/money.h"
#include "core/banned.h"

typedef struct settings_in {
    int64_t max_redeem_bp, return_window_days, expiry_days;
    uint64_t present, nulls;
} settings_in;

static const souk_json_field settings_fields[] = {
    SOUK_JSON_F_INT("max_redeem_bp", SOUK_JSON_REQUIRED, settings_in, max_redeem_bp, 0, 10000),
    SOUK_JSON_F_INT("return_window_days", SOUK_JSON_REQUIRED, settings_in, return_window_days, 0, 365),
    SOUK_JSON_F_INT("expiry_days", SOUK_JSON_REQUIRED, settings_in, expiry_days, 0, 3650),
};
static const souk_json_spec settings_spec = SOUK_JSON_SPEC(settings_in, settings_fields);

/* An integer member NAME of O in LO..HI into *OUT, else a problem FIELD. */
static bool int_member(const json_t *o, const char *field, const char *name, int64_t lo, int64_t hi, int64_t *out,
                       souk_arena *a, souk_problems *pr)
{
    const json_t *v = json_object_get(o, name);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        souk_problems_add(pr, a, field, "%s must be an integer from %lld to %lld", name, (long long)lo, (long long)hi);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

/* Only the members named in KEYS (NULL-terminated) in O; else a problem FIELD. */
static bool only_members(const json_t *o, const char *field, const char *const keys[], souk_arena *a, souk_problems *pr)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)o, k, v)
    {
        bool known = false;
        for (size_t i = 0; keys[i] && !known; i++)
            known = strcmp(keys[i], k) == 0;
        if (!known) {
            souk_problems_add(pr, a, field, "has an unknown member");
            return false;
        }
    }
    return true;
}

static void decode_currencies(const json_t *arr, souk_loyalty_settings *s, souk_arena *a, souk_problems *pr)
{
    static const char *const keys[] = {"currency", "earn_per_unit", "point_value", NULL};
    if (!json_is_array(arr) || json_array_size(arr) > SOUK_LOYALTY_CURRENCIES_MAX) {
        souk_problems_add(pr, a, "currencies", "must be an array of at most %d currencies",
                          SOUK_LOYALTY_CURRENCIES_MAX);
        return;
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *c = json_array_get(arr, i);
        char field[48];
        snprintf(field, sizeof field, "currencies[%zu]", i);
        const char *code = json_string_value(json_object_get(c, "currency"));
        souk_loyalty_currency *out = &s->currencies[s->ncurrencies];
        if (!json_is_object(c)) {
            souk_problems_add(pr, a, field, "must be an object");
            continue;
        }
        if (!only_members(c, field, keys, a, pr))
            continue;
        if (!code || strlen(code) != 3 || !souk_currency_valid(code)) {
            souk_problems_add(pr, a, field, "currency must be an ISO 4217 code such as USD");
            continue;
        }
        if (souk__loyalty_currency(s, code)) {
            souk_problems_add(pr, a, field, "%s is listed twice", code);
            continue;
        }
        if (!int_member(c, field, "earn_per_unit", 0, 1000, &out->earn_per_unit, a, pr) ||
            !int_member(c, field, "point_value", 1, 1000000, &out->point_value, a, pr))
            continue;
        memcpy(out->currency, code, 4);
        s->ncurrencies++;
    }
}

static void decode_categories(const json_t *arr, souk_loyalty_settings *s, souk_arena *a, souk_problems *pr)
{
    static const char *const keys[] = {"category_id", "rate_bp", NULL};
    if (!json_is_array(arr) || json_array_size(arr) > SOUK_LOYALTY_CATEGORIES_MAX) {
        souk_problems_add(pr, a, "categories", "must be an array of at most %d categories",
                          SOUK_LOYALTY_CATEGORIES_MAX);
        return;
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *c = json_array_get(arr, i);
        char field[48];
        snprintf(field, sizeof field, "categories[%zu]", i);
        const char *id = json_string_value(json_object_get(c, "category_id"));
        souk_loyalty_category_rate *out = &s->categories[s->ncategories];
        if (!json_is_object(c)) {
            souk_problems_add(pr, a, field, "must be an object");
            continue;
        }
        if (!only_members(c, field, keys, a, pr))
            continue;
        if (!id || souk_id_parse("cat", id, strlen(id), &out->category_id) != 0) {
            souk_problems_add(pr, a, field, "category_id must be a category id (cat_…)");
            continue;
        }
        bool twice = false;
        for (size_t k = 0; k < s->ncategories; k++)
            twice |= s->categories[k].category_id == out->category_id;
        if (twice) {
            souk_problems_add(pr, a, field, "the category is listed twice");
            continue;
        }
        if (int_member(c, field, "rate_bp", 0, 100000, &out->rate_bp, a, pr))
            s->ncategories++;
    }
}

int souk_loyalty_settings_decode(const json_t *body, souk_loyalty_settings *s, souk_arena *a, souk_problems *pr)
{
    memset(s, 0, sizeof *s);
    size_t before = pr->count;
    /* the two lists member by member, the scalars by the spec (on a copy without the lists) */
    json_t *scalars = json_is_object(body) ? json_copy((json_t *)body) : NULL;
    if (!scalars) {
        souk_problems_add(pr, a, "body", "must be an object");
        return -1;
    }
    json_object_del(scalars, "currencies");
    json_object_del(scalars, "categories");
    settings_in in;
    int rc = souk_json_decode(&settings_spec, scalars, &in, "", a, pr);
    json_decref(scalars);
    const json_t *currencies = json_object_get(body, "currencies"), *categories = json_object_get(body, "categories");
    if (!currencies)
        souk_problems_add(pr, a, "currencies", "is required (an empty list runs no programme)");
    else
        decode_currencies(currencies, s, a, pr);
    if (categories)
        decode_categories(categories, s, a, pr);
    if (rc < 0 || pr->count > before)
        return -1;
    s->max_redeem_bp = in.max_redeem_bp;
    s->return_window_days = in.return_window_days;
    s->expiry_days = in.expiry_days;
    return 0;
}
