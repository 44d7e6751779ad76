/*
 * Unit tests for src/exchange's pure parts: the Body (HTML) → text converter
 * and its inverse (html.c), the header and row mapping of the Shopify CSV
 * (shopify_map.c), the default SKU, and the CSV field writer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "exchange/internal.h"

static char *to_text(const char *html)
{
    static char out[4096];
    souk_buf b;
    souk_buf_init(&b, 1 << 20);
    assert_int_equal(souk__xc_html_to_text(html, strlen(html), &b), 0);
    snprintf(out, sizeof out, "%s", b.data ? b.data : "");
    souk_buf_release(&b);
    return out;
}

static void test_html_to_text(void **state)
{
    (void)state;
    assert_string_equal(to_text("<p>Soft &amp; <b>warm</b>.</p><ul><li>wool</li><li>silk</li></ul>"),
                        "Soft & warm.\nwool\nsilk");
    assert_string_equal(to_text("a<script>alert('<p>x</p>')</script>b<style>p{}</style>c"), "abc");
    assert_string_equal(to_text("  many \n\t spaces&nbsp;here  "), "many spaces here");
    assert_string_equal(to_text("&#8211; &#x263A; &lt;tag&gt; &quot;q&quot; &apos;a&apos; &bogus; &#0;"),
                        "\u2013 \u263a <tag> \"q\" 'a' &bogus; \ufffd");
    assert_string_equal(to_text("1 < 2 and no closing"), "1 < 2 and no closing");
    assert_string_equal(to_text("<p></p><br><br/><p>after</p>"), "after");
    assert_string_equal(to_text("bad \xff byte"), "bad \xef\xbf\xbd byte");
}

static void test_text_round_trip(void **state)
{
    (void)state;
    const char *texts[] = {"", "one line", "a & b < c > d", "two\nlines", "Holds 350 ml.\nDishwasher safe \u2013 ok"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        souk_buf h;
        souk_buf_init(&h, 1 << 20);
        assert_int_equal(souk__xc_text_to_html(texts[i], &h), 0);
        assert_string_equal(to_text(h.data ? h.data : ""), texts[i]);
        souk_buf_release(&h);
    }
    souk_buf h;
    souk_buf_init(&h, 1 << 20);
    souk__xc_text_to_html("a & b\nc", &h);
    assert_string_equal(h.data, "<p>a &amp; b</p><p>c</p>");
    souk_buf_release(&h);
}

static void test_header(void **state)
{
    (void)state;
    souk__xc_cols c;
    const char *ok[] = {"Handle", " title ", "VARIANT PRICE", "Product Type", "Whatever"};
    assert_null(souk__xc_header(&c, ok, 5));
    assert_int_equal(c.at[XC_HANDLE], 0);
    assert_int_equal(c.at[XC_TITLE], 1);
    assert_int_equal(c.at[XC_PRICE], 2);
    assert_int_equal(c.at[XC_TYPE], 3);
    assert_int_equal(c.at[XC_SKU], -1);
    const char *no_title[] = {"Handle", "Vendor"};
    assert_non_null(souk__xc_header(&c, no_title, 2));
    const char *twice[] = {"Handle", "Title", "Type", "Product Type"};
    assert_non_null(souk__xc_header(&c, twice, 4));
}

typedef struct seen {
    int n;
    uint64_t line;
    char field[64];
} seen;

static void record(void *ctx, uint64_t line, const char *handle, const char *field, const char *message)
{
    seen *s = ctx;
    (void)handle;
    (void)message;
    s->n++;
    s->line = line;
    snprintf(s->field, sizeof s->field, "%s", field);
}

static void test_rows(void **state)
{
    (void)state;
    const char *head[] = {"Handle",        "Title",     "Option1 Name", "Option1 Value", "Variant SKU",
                          "Variant Price", "Image Src", "Status",       "Tags",          "Variant Inventory Qty"};
    souk__xc_cols c;
    assert_null(souk__xc_header(&c, head, 10));
    souk_arena a;
    souk_arena_init(&a, 4096, 0);
    static souk__xc_product p;
    seen s = {0};
    const char *r1[] = {"mug", "Mug", "Size", "S", "", "4.50", "https://x.test/a.jpg", "Draft", " a, ,b ", "3"};
    souk__xc_fields f1 = {r1, 10};
    assert_int_equal(souk__xc_row(&p, true, &c, &f1, 2, "USD", &a, record, &s), 0);
    const char *r2[] = {"mug", "", "", "L", "MUG-L", "5", "", "", "", ""};
    souk__xc_fields f2 = {r2, 10};
    assert_int_equal(souk__xc_row(&p, false, &c, &f2, 3, "USD", &a, record, &s), 0);
    const char *r3[] = {"mug", "", "", "L", "MUG-L2", "5", "", "", "", ""}; /* same option values */
    souk__xc_fields f3 = {r3, 10};
    assert_int_equal(souk__xc_row(&p, false, &c, &f3, 4, "USD", &a, record, &s), 1);
    assert_int_equal(s.line, 4);
    const char *r4[] = {"mug", "", "", "XL", "MUG XL", "5", "ftp://x", "", "", "-1"}; /* three problems, one report */
    souk__xc_fields f4 = {r4, 10};
    assert_true(souk__xc_row(&p, false, &c, &f4, 5, "USD", &a, record, &s) >= 2);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.field, "Variant SKU");
    souk__xc_finish(&p);
    assert_false(p.bad);
    assert_int_equal(p.nvariants, 2);
    assert_string_equal(p.variants[0].sku, "mug-S");
    assert_int_equal(p.variants[0].price, 450);
    assert_int_equal(p.variants[0].qty, 3);
    assert_int_equal(p.variants[1].qty, -1);
    assert_string_equal(p.tags, "a, b");
    souk_product_in in;
    assert_int_equal(souk__xc_product_in(&p, "USD", 7, 0, &a, &in), 0);
    assert_string_equal(in.external_ref, "shopify:mug");
    assert_string_equal(in.slug, "mug");
    assert_int_equal(in.status, SOUK_STATUS_DRAFT);
    assert_int_equal(in.brand_id, 7);
    assert_int_equal(in.variants.count, 2);
    assert_int_equal(in.images.count, 1);
    assert_string_equal(((souk_variant_in *)in.variants.items)[1].title, "L");

    const char *bad[] = {"hat", "", "", "", "", "1", "", "", "", ""}; /* no Title: the product is skipped */
    souk__xc_fields fb = {bad, 10};
    assert_int_equal(souk__xc_row(&p, true, &c, &fb, 9, "USD", &a, record, &s), 1);
    assert_true(p.bad);
    assert_string_equal(s.field, "Title");
    souk_arena_release(&a);
}

static void test_default_sku(void **state)
{
    (void)state;
    char out[SOUK_CATALOG_SKU_MAX + 1];
    const char *v[] = {"$10", "Extra Large"};
    souk__xc_default_sku("gift-card", v, 2, out);
    assert_string_equal(out, "gift-card-10-Extra-Large");
    assert_null(souk_catalog_check_sku(out, strlen(out)));
    char longh[300];
    memset(longh, 'h', sizeof longh - 1);
    longh[sizeof longh - 1] = '\0';
    char a[SOUK_CATALOG_SKU_MAX + 1], b[SOUK_CATALOG_SKU_MAX + 1];
    const char *va[] = {"A"}, *vb[] = {"B"};
    souk__xc_default_sku(longh, va, 1, a);
    souk__xc_default_sku(longh, vb, 1, b);
    assert_int_equal(strlen(a), SOUK_CATALOG_SKU_MAX);
    assert_string_not_equal(a, b);
    assert_null(souk_catalog_check_sku(a, strlen(a)));
    souk__xc_default_sku("日本", NULL, 0, out);
    assert_null(souk_catalog_check_sku(out, strlen(out)));
}

static void test_csv_field(void **state)
{
    (void)state;
    souk_buf b;
    souk_buf_init(&b, 1024);
    souk_exchange_csv_field(&b, "plain", 5);
    souk_buf_addc(&b, '|');
    souk_exchange_csv_field(&b, "a,\"b\"\nc", 7);
    souk_buf_addc(&b, '|');
    souk_exchange_csv_field(&b, " padded", 7);
    assert_string_equal(b.data, "plain|\"a,\"\"b\"\"\nc\"|\" padded\"");
    souk_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html_to_text), cmocka_unit_test(test_text_round_trip), cmocka_unit_test(test_header),
        cmocka_unit_test(test_rows),         cmocka_unit_test(test_default_sku),     cmocka_unit_test(test_csv_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
