/* test_i18n.c — language tags, Accept-Language parsing and the locale
 * lookup (src/i18n/locale.c), and the translation store's fallback field by
 * field (src/i18n/translations.c with the catalog's reads, on SQLite). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"

#include "catalog/catalog.h"
#include "core/id.h"
#include "i18n/i18n.h"
#include "store/store.h"

static souk_i18n_locales locales(const char *const *tags, size_t n)
{
    souk_i18n_locales l = {.n = n};
    for (size_t i = 0; i < n; i++)
        snprintf(l.tags[i], sizeof l.tags[i], "%s", tags[i]);
    return l;
}

static void test_tags(void **state)
{
    (void)state;
    char out[SOUK_I18N_TAG_MAX];
    static const char *const good[][2] = {
        {"en", "en"},         {"FR", "fr"},   {"pt-br", "pt-BR"},    {"zh-hant-tw", "zh-Hant-TW"},
        {"es-419", "es-419"}, {"gsw", "gsw"}, {"sr-LATN", "sr-Latn"}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(souk_i18n_tag_canon(good[i][0], strlen(good[i][0]), out), 0);
        assert_string_equal(out, good[i][1]);
    }
    static const char *const bad[] = {"",           "e",          "english",     "en-",  "-en",          "en--US",
                                      "en-US-CA",   "en_US",      "x-abc",       "en-1", "en-Latn-Latn", "12",
                                      "en-US-Latn", "de-CH-1996", "zh-Hant-TW-x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(souk_i18n_tag_canon(bad[i], strlen(bad[i]), out), -1);
    assert_int_equal(souk_i18n_tag_canon("en\0US", 5, out), -1); /* a NUL inside */
}

static void test_accept_parse(void **state)
{
    (void)state;
    souk_i18n_range r[SOUK_I18N_RANGES_MAX];
    const char *h = "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5";
    size_t n = souk_i18n_accept_parse(h, strlen(h), r, SOUK_I18N_RANGES_MAX);
    assert_int_equal(n, 5);
    assert_string_equal(r[0].tag, "fr-ch");
    assert_int_equal(r[0].q, 1000);
    assert_string_equal(r[1].tag, "fr");
    assert_int_equal(r[1].q, 900);
    assert_string_equal(r[4].tag, "*");
    assert_int_equal(r[4].q, 500);

    /* sorted by q, stable among equals; q=0 dropped; white space and case tolerated */
    h = "de;q=0.5 ,  en ; Q=0.500,fr;q=1, es;q=0, it";
    n = souk_i18n_accept_parse(h, strlen(h), r, SOUK_I18N_RANGES_MAX);
    assert_int_equal(n, 4);
    assert_string_equal(r[0].tag, "fr");
    assert_string_equal(r[1].tag, "it");
    assert_string_equal(r[2].tag, "de");
    assert_string_equal(r[3].tag, "en");

    /* malformed elements are skipped, the rest kept */
    static const char *const skipped[] = {"fr;q=1.5",       "fr;q=0.1234", "fr;q=", "fr;q",    "fr;level=1",
                                          "fr;q=0.5;q=0.4", "f1",          "-fr",   "fr-",     "toolongtag",
                                          "fr--ch",         "1fr",         ";q=1",  "fr;q=.5", "fr;q=1.001"};
    for (size_t i = 0; i < sizeof skipped / sizeof skipped[0]; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s, en;q=0.1", skipped[i]);
        n = souk_i18n_accept_parse(buf, strlen(buf), r, SOUK_I18N_RANGES_MAX);
        assert_int_equal(n, 1);
        assert_string_equal(r[0].tag, "en");
    }
    /* digits after the first subtag are fine; q with three decimals */
    h = "es-419;q=0.125";
    n = souk_i18n_accept_parse(h, strlen(h), r, SOUK_I18N_RANGES_MAX);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].q, 125);
    /* empty and NULL */
    assert_int_equal(souk_i18n_accept_parse("", 0, r, SOUK_I18N_RANGES_MAX), 0);
    assert_int_equal(souk_i18n_accept_parse(NULL, 0, r, SOUK_I18N_RANGES_MAX), 0);
    assert_int_equal(souk_i18n_accept_parse(" , ,,", 5, r, SOUK_I18N_RANGES_MAX), 0);
}

static void test_accept_bounded(void **state)
{
    (void)state;
    souk_i18n_range r[SOUK_I18N_RANGES_MAX];
    /* more ranges than the bound: only the first SOUK_I18N_RANGES_MAX count */
    char big[4096];
    size_t at = 0;
    for (int i = 0; i < 100; i++)
        at += (size_t)snprintf(big + at, sizeof big - at, "%sa%c%c", i ? "," : "", 'a' + i / 26, 'a' + i % 26);
    assert_int_equal(souk_i18n_accept_parse(big, at, r, SOUK_I18N_RANGES_MAX), SOUK_I18N_RANGES_MAX);
    assert_string_equal(r[0].tag, "aaa");
    /* the caller's max is honoured too */
    assert_int_equal(souk_i18n_accept_parse(big, at, r, 3), 3);
    /* only the first SOUK_I18N_HEADER_MAX bytes are read: a range after them is not seen */
    char *longh = malloc(SOUK_I18N_HEADER_MAX + 16);
    assert_non_null(longh);
    memset(longh, ' ', SOUK_I18N_HEADER_MAX);
    memcpy(longh + SOUK_I18N_HEADER_MAX, ",fr", 3);
    assert_int_equal(souk_i18n_accept_parse(longh, SOUK_I18N_HEADER_MAX + 3, r, SOUK_I18N_RANGES_MAX), 0);
    free(longh);
}

static void test_lookup(void **state)
{
    (void)state;
    static const char *const tags[] = {"en", "fr", "de-CH", "zh-Hant"};
    souk_i18n_locales l = locales(tags, 4);
#define NEG(h) souk_i18n_negotiate(&l, (h), strlen(h))
    assert_int_equal(NEG(""), 0);
    assert_int_equal(NEG("fr"), 1);
    assert_int_equal(NEG("FR-ca"), 1);      /* truncated to fr */
    assert_int_equal(NEG("de-CH-1996"), 2); /* truncated to de-CH */
    assert_int_equal(NEG("de"), 0);         /* lookup never widens: de finds no de-CH */
    assert_int_equal(NEG("zh-Hant-TW"), 3);
    assert_int_equal(NEG("zh-Hant-x-private"), 3); /* the singleton goes with its subtag */
    assert_int_equal(NEG("es, fr;q=0.1"), 1);
    assert_int_equal(NEG("fr;q=0.1, de-ch;q=0.2"), 2);
    assert_int_equal(NEG("*, fr;q=0.5"), 0); /* the wildcard first: the default */
    assert_int_equal(NEG("es, *;q=0.5, fr;q=0.1"), 0);
    assert_int_equal(NEG("fr;q=0"), 0);
    assert_int_equal(NEG("it, es"), 0);
    assert_int_equal(souk_i18n_negotiate(&l, NULL, 0), 0);
    assert_int_equal(souk_i18n_lookup_range(&l, "*", 1), -1);
    assert_int_equal(souk_i18n_lookup_range(&l, "fr-x-y", 6), 1);
#undef NEG
}

/* ---- the store: translations and the catalog's fallback ---- */

static souk_test_db t;
static souk_store *db;

static int setup(void **state)
{
    (void)state;
    if (souk_test_db_open(&t, "i18n") < 0)
        return -1;
    db = t.db;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    souk_test_db_close(&t);
    return 0;
}

static souk_err set_tx(souk_store *s, void *arg)
{
    const souk_i18n_field *f = arg;
    int64_t *id = (int64_t *)(uintptr_t)f[0].value;
    return souk_i18n_set_tx(s, SOUK_I18N_PRODUCT, *id, "fr", f + 1, 2, 1);
}

static souk_err locales_tx(souk_store *s, void *arg)
{
    return souk_i18n_locales_write_tx(s, arg, 1);
}

static void test_fallback_field_by_field(void **state)
{
    (void)state;
    static const char *const tags[] = {"en", "fr"};
    souk_i18n_locales l = locales(tags, 2);
    assert_int_equal(souk_store_run(db, locales_tx, &l, NULL), SOUK_OK);
    souk_i18n_locales back;
    assert_int_equal(souk_i18n_locales_read(db, &back), SOUK_OK);
    assert_int_equal(back.n, 2);
    assert_string_equal(back.tags[1], "fr");

    json_t *body = json_pack("{s:s,s:s,s:s,s:{s:s,s:s},s:[{s:s,s:[{s:I,s:s}]}]}", "title", "Linen shirt", "description",
                             "A shirt.", "status", "active", "attributes", "color", "Red", "material", "Linen",
                             "variants", "sku", "I18N-1", "prices", "amount", (json_int_t)100, "currency", "USD");
    souk_arena a;
    souk_arena_init(&a, 4096, 0);
    souk_problems pr;
    souk_problems_init(&pr);
    souk_product_in in;
    memset(&in, 0, sizeof in);
    assert_int_equal(souk_json_decode(&souk_catalog_product_create_spec, body, &in, "", &a, &pr), 0);
    int64_t id = 0;
    assert_int_equal(souk_catalog_product_create(db, &in, &a, &pr, &id), SOUK_OK);
    json_decref(body);

    /* decode a body: title and one attribute; the description is left alone */
    json_t *tb = json_pack("{s:s,s:{s:s}}", "title", "Chemise", "attributes", "color", "Rouge");
    souk_i18n_field fields[SOUK_I18N_FIELDS_MAX + 1];
    size_t n = 0;
    assert_int_equal(souk_i18n_fields_decode(SOUK_I18N_PRODUCT, tb, fields + 1, &n, &a, &pr), 0);
    json_decref(tb);
    assert_int_equal(n, 2);
    fields[0].value = (const char *)(uintptr_t)&id;
    assert_int_equal(souk_store_run(db, set_tx, fields, NULL), SOUK_OK);

    char idtext[SOUK_ID_TEXT_MAX];
    souk_id_format(SOUK_PREFIX_PRODUCT, id, idtext);
    souk_buf b;
    souk_buf_init(&b, 1u << 20);
    int64_t until;
    assert_int_equal(souk_catalog_product_write_locale(db, idtext, false, NULL, "fr", &b, &until), SOUK_OK);
    json_t *fr = json_loadb(b.data, b.len, 0, NULL);
    assert_non_null(fr);
    assert_string_equal(json_string_value(json_object_get(fr, "title")), "Chemise");
    assert_string_equal(json_string_value(json_object_get(fr, "description")), "A shirt.");
    json_t *attrs = json_object_get(fr, "attributes");
    assert_string_equal(json_string_value(json_object_get(attrs, "color")), "Rouge");
    assert_string_equal(json_string_value(json_object_get(attrs, "material")), "Linen");
    json_decref(fr);

    souk_buf_reset(&b);
    assert_int_equal(souk_catalog_product_write_locale(db, idtext, false, NULL, NULL, &b, &until), SOUK_OK);
    json_t *en = json_loadb(b.data, b.len, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(en, "title")), "Linen shirt");
    assert_string_equal(json_string_value(json_object_get(json_object_get(en, "attributes"), "color")), "Red");
    json_decref(en);
    souk_buf_release(&b);

    /* one text read by itself, with its fallback */
    assert_string_equal(souk_i18n_text(db, SOUK_I18N_PRODUCT, id, "title", "fr", "x", &a), "Chemise");
    assert_string_equal(souk_i18n_text(db, SOUK_I18N_PRODUCT, id, "description", "fr", "A shirt.", &a), "A shirt.");
    assert_string_equal(souk_i18n_text(db, SOUK_I18N_PRODUCT, id, "title", NULL, "Linen shirt", &a), "Linen shirt");

    /* the admin view of the translations */
    json_t *all = NULL;
    assert_int_equal(souk_i18n_translations_json(db, SOUK_I18N_PRODUCT, id, &all), SOUK_OK);
    assert_string_equal(json_string_value(json_object_get(json_object_get(all, "fr"), "title")), "Chemise");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_object_get(all, "fr"), "attributes"), "color")),
        "Rouge");
    json_decref(all);
    souk_arena_release(&a);
}

static void test_fields_decode_refusals(void **state)
{
    (void)state;
    souk_arena a;
    souk_arena_init(&a, 4096, 0);
    static const char *const bad_product[] = {"[]",
                                              "{\"name\":\"x\"}",
                                              "{\"title\":\"\"}",
                                              "{\"title\":5}",
                                              "{\"attributes\":[]}",
                                              "{\"attributes\":{\"Bad Name\":\"x\"}}",
                                              "{\"attributes\":{\"color\":5}}",
                                              "{\"description\":true}"};
    for (size_t i = 0; i < sizeof bad_product / sizeof bad_product[0]; i++) {
        json_t *j = json_loads(bad_product[i], JSON_DECODE_ANY, NULL);
        souk_problems pr;
        souk_problems_init(&pr);
        souk_i18n_field f[SOUK_I18N_FIELDS_MAX];
        size_t n;
        assert_int_equal(souk_i18n_fields_decode(SOUK_I18N_PRODUCT, j, f, &n, &a, &pr), -1);
        assert_true(pr.count > 0);
        json_decref(j);
    }
    json_t *j = json_loads("{\"title\":\"x\"}", 0, NULL);
    souk_problems pr;
    souk_problems_init(&pr);
    souk_i18n_field f[SOUK_I18N_FIELDS_MAX];
    size_t n;
    assert_int_equal(souk_i18n_fields_decode(SOUK_I18N_BRAND, j, f, &n, &a, &pr), -1);
    json_decref(j);
    j = json_loads("{\"name\":null}", 0, NULL);
    assert_int_equal(souk_i18n_fields_decode(SOUK_I18N_CATEGORY, j, f, &n, &a, &pr), 0);
    assert_int_equal(n, 1);
    assert_null(f[0].value);
    json_decref(j);
    souk_arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_accept_parse),
        cmocka_unit_test(test_accept_bounded),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_fields_decode_refusals),
        cmocka_unit_test_setup_teardown(test_fallback_field_by_field, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
