/*
 * libFuzzer driver for the Shopify importer's row mapping (src/exchange/
 * shopify_map.c, html.c): CSV text in, catalog input out, without a
 * database.
 *
 * Input: byte 0 bit 0 set — the rest is data rows under Shopify's standard
 * header; clear — the rest is a whole file, header row first (a header
 * without Handle and Title must be refused). Rows are folded into products
 * by Handle as souk_exchange_shopify_import does, and every product the
 * mapping accepts is checked against what the catalog will accept:
 *   - title 1..200 characters, description at most 20000, valid UTF-8 (the
 *     independent validator of utf8_oracle.h) without control characters
 *     other than line breaks in the description;
 *   - at most 100 variants with distinct SKUs that souk_catalog_check_sku
 *     accepts, each with one price in 0..10^12, exactly the product's
 *     option count of non-empty values of at most 100 bytes;
 *   - at most 20 images with http(s) or absolute-path URLs, ordered by
 *     position;
 *   - a slug only when souk_catalog_check_slug accepts it;
 *   - the translation columns ("Title (fr)", "Body (HTML) (fr)"): canonical,
 *     distinct locales, and per product a title and a description for
 *     exactly the columns there are, within the catalog's limits;
 * and the description survives the export: text → HTML → text is the same
 * text (what makes import → export → import a no-op). The HTML converter is
 * also run on the raw input: its text is valid UTF-8 and a fixed point.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/csv.h"
#include "exchange/internal.h"
#include "utf8_oracle.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

static const char *const standard[] = {"Handle",
                                       "Title",
                                       "Body (HTML)",
                                       "Vendor",
                                       "Product Category",
                                       "Type",
                                       "Tags",
                                       "Published",
                                       "Option1 Name",
                                       "Option1 Value",
                                       "Option2 Name",
                                       "Option2 Value",
                                       "Option3 Name",
                                       "Option3 Value",
                                       "Variant SKU",
                                       "Variant Inventory Qty",
                                       "Variant Price",
                                       "Image Src",
                                       "Image Position",
                                       "Image Alt Text",
                                       "Status"};

static void no_report(void *ctx, uint64_t line, const char *handle, const char *field, const char *message)
{
    (void)line;
    CHECK(handle && field && message && *field && *message);
    ++*(int *)ctx;
}

/* text → HTML → text gives TEXT back */
static void check_round_trip(const char *text)
{
    souk_buf html, back;
    souk_buf_init(&html, 1 << 22);
    souk_buf_init(&back, 1 << 22);
    CHECK(souk__xc_text_to_html(text, &html) == 0);
    CHECK(souk__xc_html_to_text(html.data ? html.data : "", html.len, &back) == 0);
    CHECK(strcmp(back.data ? back.data : "", text) == 0);
    souk_buf_release(&html);
    souk_buf_release(&back);
}

static bool no_controls(const char *s, bool newlines)
{
    for (; *s; s++)
        if (((unsigned char)*s < 0x20 && !(newlines && *s == '\n')) || *s == 0x7f)
            return false;
    return true;
}

static const souk__xc_cols *header_cols; /* the file's, for the translation columns */

static void check_product(const souk__xc_product *p, souk_arena *a)
{
    /* translations: present exactly for the locales with that column, and within what i18n accepts */
    for (size_t k = 0; header_cols && k < header_cols->nlocales; k++) {
        CHECK((p->loc_title[k] != NULL) == (header_cols->locales[k].title >= 0));
        CHECK((p->loc_description[k] != NULL) == (header_cols->locales[k].body >= 0));
        if (p->loc_title[k]) {
            long c = utf8_chars(p->loc_title[k], strlen(p->loc_title[k]));
            CHECK(c >= 0 && c <= SOUK_CATALOG_NAME_MAX && no_controls(p->loc_title[k], false));
        }
        if (p->loc_description[k]) {
            long c = utf8_chars(p->loc_description[k], strlen(p->loc_description[k]));
            CHECK(c >= 0 && c <= SOUK_CATALOG_DESC_MAX && no_controls(p->loc_description[k], true));
            check_round_trip(p->loc_description[k]);
        }
    }
    souk_product_in in;
    CHECK(souk__xc_product_in(p, "USD", 0, 0, a, &in) == 0);
    long tc = utf8_chars(in.title, strlen(in.title));
    CHECK(tc >= 1 && tc <= SOUK_CATALOG_NAME_MAX && no_controls(in.title, false));
    long dc = utf8_chars(in.description, strlen(in.description));
    CHECK(dc >= 0 && dc <= SOUK_CATALOG_DESC_MAX && no_controls(in.description, true));
    check_round_trip(in.description);
    CHECK(!in.slug || !souk_catalog_check_slug(in.slug, strlen(in.slug)));
    CHECK(in.external_ref && strncmp(in.external_ref, "shopify:", 8) == 0);
    CHECK(in.status >= SOUK_STATUS_DRAFT && in.status <= SOUK_STATUS_ARCHIVED);
    CHECK(in.variants.count <= SOUK_CATALOG_VARIANTS_MAX && in.images.count <= SOUK_CATALOG_IMAGES_MAX);
    const souk_variant_in *v = in.variants.items;
    for (size_t i = 0; i < in.variants.count; i++) {
        CHECK(!souk_catalog_check_sku(v[i].sku, strlen(v[i].sku)));
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(v[i].sku, v[j].sku) != 0);
        CHECK(v[i].prices.count == 1);
        const souk_price_in *pr = v[i].prices.items;
        CHECK(pr->amount >= 0 && pr->amount <= INT64_C(1000000000000));
        CHECK(v[i].options.count == (size_t)p->nopts);
        for (size_t k = 0; k < v[i].options.count; k++) {
            size_t n = strlen(v[i].options.values[k]);
            CHECK(n >= 1 && utf8_chars(v[i].options.values[k], n) <= 100);
            size_t kn = strlen(v[i].options.keys[k]);
            CHECK(kn >= 1 && utf8_chars(v[i].options.keys[k], kn) <= 64);
        }
    }
    const souk_image_in *img = in.images.items;
    for (size_t i = 0; i < in.images.count; i++) {
        const char *u = img[i].url;
        CHECK(strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0 || (u[0] == '/' && u[1] != '/'));
        CHECK(strlen(u) <= 2048);
        if (i && p->images[i - 1].position && p->images[i].position)
            CHECK(p->images[i - 1].position <= p->images[i].position);
    }
    for (size_t i = 0; i < in.attributes.count; i++)
        CHECK(strlen(in.attributes.values[i]) > 0 &&
              utf8_chars(in.attributes.values[i], strlen(in.attributes.values[i])) <= 200);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 16)
        return 0;
    bool fixed = data[0] & 1;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    /* the HTML converter on raw bytes */
    souk_buf t;
    souk_buf_init(&t, 1 << 22);
    CHECK(souk__xc_html_to_text(text, len, &t) == 0);
    CHECK(utf8_chars(t.data ? t.data : "", t.len) >= 0 && no_controls(t.data ? t.data : "", true));
    check_round_trip(t.data ? t.data : "");
    souk_buf_release(&t);

    souk_csv *r = NULL;
    if (souk_csv_open_mem(&r, text, len, NULL) != SOUK_CSV_OK)
        return 0;
    souk_arena a;
    souk_arena_init(&a, 1 << 16, 0);
    souk__xc_cols cols;
    bool header = false;
    if (fixed) {
        CHECK(souk__xc_header(&cols, standard, sizeof standard / sizeof standard[0]) == NULL);
        header = true;
    }
    souk__xc_product *p = calloc(1, sizeof *p);
    bool open = false;
    int reports = 0, rc;
    while ((rc = souk_csv_next(r)) != SOUK_CSV_END) {
        if (rc < 0) {
            if (!souk_csv_is_recoverable(rc))
                break;
            continue;
        }
        const char *f[SOUK_CSV_DEFAULT_MAX_FIELDS];
        size_t n = souk_csv_field_count(r);
        for (size_t i = 0; i < n; i++)
            f[i] = souk_csv_field(r, i, NULL);
        souk__xc_fields row = {f, n};
        if (!header) {
            const char *why = souk__xc_header(&cols, f, n);
            if (why)
                break; /* refused: no Handle or Title */
            CHECK(cols.at[XC_HANDLE] >= 0 && cols.at[XC_TITLE] >= 0);
            CHECK(cols.nlocales <= XC_LOCALES_MAX);
            for (size_t k = 0; k < cols.nlocales; k++) { /* canonical, distinct, each with a column of its own */
                char again[SOUK_I18N_TAG_MAX];
                CHECK(souk_i18n_tag_canon(cols.locales[k].tag, strlen(cols.locales[k].tag), again) == 0);
                CHECK(strcmp(again, cols.locales[k].tag) == 0);
                CHECK(cols.locales[k].title >= 0 || cols.locales[k].body >= 0);
                CHECK(cols.locales[k].title != cols.locales[k].body);
                for (size_t j = 0; j < k; j++)
                    CHECK(strcmp(cols.locales[j].tag, cols.locales[k].tag) != 0);
            }
            header_cols = &cols;
            header = true;
            continue;
        }
        const char *h = souk__xc_get(&cols, &row, XC_HANDLE);
        while (*h == ' ')
            h++;
        size_t hl = strlen(h);
        while (hl && h[hl - 1] == ' ')
            hl--;
        int before = reports;
        if (open && strlen(p->handle) == hl && memcmp(p->handle, h, hl) == 0) {
            size_t nv = p->nvariants, ni = p->nimages;
            int problems = souk__xc_row(p, false, &cols, &row, souk_csv_line(r), "USD", &a, no_report, &reports);
            CHECK(problems == 0 || reports == before + 1);                    /* one report per refused row */
            CHECK(problems == 0 || (p->nvariants == nv && p->nimages == ni)); /* a refused row adds nothing */
            continue;
        }
        if (open) {
            souk__xc_finish(p);
            if (!p->bad)
                check_product(p, &a);
        }
        int problems = souk__xc_row(p, true, &cols, &row, souk_csv_line(r), "USD", &a, no_report, &reports);
        CHECK(problems == 0 || reports == before + 1);
        CHECK(problems == 0 || p->bad); /* a refused first row skips the product */
        open = true;
    }
    if (open) {
        souk__xc_finish(p);
        if (!p->bad)
            check_product(p, &a);
    }
    header_cols = NULL;
    free(p);
    souk_csv_free(r);
    souk_arena_release(&a);
    return 0;
}
