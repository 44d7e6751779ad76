/*
 * shopify_export.c — the catalog as Shopify product CSV. Products are read
 * a page of ids at a time (souk_catalog_products_page) and each through the
 * catalog's admin document (souk_catalog_product_get_id), so the export
 * names no catalog table. One product becomes max(1, variants, images)
 * rows: the first carries the product's fields, row i its i-th active
 * variant and i-th image — the layout the importer reads back. After
 * Shopify's columns, "Title (tag)" and "Body (HTML) (tag)" for every
 * enabled locale but the default: the product's translations (i18n.h),
 * empty where there is none.
 */
#include "exchange/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/money.h"
#include "inventory/inventory.h"
#include "core/banned.h"

#define PAGE 200

static const char *const header[] = {"Handle",
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
                                     "Variant Grams",
                                     "Variant Inventory Tracker",
                                     "Variant Inventory Qty",
                                     "Variant Inventory Policy",
                                     "Variant Fulfillment Service",
                                     "Variant Price",
                                     "Variant Compare At Price",
                                     "Variant Requires Shipping",
                                     "Variant Taxable",
                                     "Image Src",
                                     "Image Position",
                                     "Image Alt Text",
                                     "Gift Card",
                                     "SEO Title",
                                     "SEO Description",
                                     "Status"};
enum { NCOL = sizeof header / sizeof header[0] };
enum {
    C_HANDLE,
    C_TITLE,
    C_BODY,
    C_VENDOR,
    C_PCAT,
    C_TYPE,
    C_TAGS,
    C_PUBLISHED,
    C_O1N,
    C_O1V,
    C_O2N,
    C_O2V,
    C_O3N,
    C_O3V,
    C_SKU,
    C_GRAMS,
    C_TRACKER,
    C_QTY,
    C_POLICY,
    C_SERVICE,
    C_PRICE,
    C_COMPARE,
    C_SHIPPING,
    C_TAXABLE,
    C_IMG,
    C_IMGPOS,
    C_IMGALT,
    C_GIFT,
    C_SEOT,
    C_SEOD,
    C_STATUS
};

int souk_exchange_csv_field(souk_buf *b, const char *s, size_t len)
{
    bool quote = len && (s[0] == ' ' || s[len - 1] == ' ');
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote)
        return souk_buf_add(b, s, len);
    souk_buf_addc(b, '"');
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            souk_buf_addc(b, '"');
        souk_buf_addc(b, s[i]);
    }
    return souk_buf_addc(b, '"');
}

/* one CSV row of the N cells V (NULL = empty) */
static void put_row(souk_buf *b, const char *const *v, int n)
{
    for (int i = 0; i < n; i++) {
        if (i)
            souk_buf_addc(b, ',');
        if (v[i])
            souk_exchange_csv_field(b, v[i], strlen(v[i]));
    }
    souk_buf_add(b, "\r\n", 2);
}

typedef struct exporter {
    souk_store *db;
    const char *currency;
    int64_t warehouse;         /* 0: none */
    souk_i18n_locales locales; /* the translation columns: locales[1..n) */
    souk_buf out;
    souk_arena a;
} exporter;

/* the price of variant V in the export's currency, formatted into A (NULL: none) */
static const char *price_of(exporter *x, const json_t *v)
{
    const json_t *p;
    size_t i;
    json_array_foreach(json_object_get(v, "prices"), i, p)
    {
        const char *cur = json_string_value(json_object_get(p, "currency"));
        if (!cur || strcmp(cur, x->currency) != 0)
            continue;
        souk_money m = {json_integer_value(json_object_get(p, "amount")), ""};
        snprintf(m.currency, sizeof m.currency, "%s", x->currency);
        char buf[40];
        if (souk_money_format(&m, buf, sizeof buf) < 0)
            return NULL;
        return souk_arena_strdup(&x->a, buf);
    }
    return NULL;
}

static const char *qty_of(exporter *x, const json_t *v)
{
    const char *id = json_string_value(json_object_get(v, "id"));
    int64_t vid;
    souk_stock_level lv;
    if (!x->warehouse || !id || souk_id_parse(SOUK_PREFIX_VARIANT, id, strlen(id), &vid) < 0 ||
        souk_inventory_level(x->db, vid, x->warehouse, &lv) != SOUK_OK)
        return NULL;
    return souk_arena_printf(&x->a, "%lld", (long long)lv.on_hand);
}

static void put_product(exporter *x, const json_t *prod, const char *external_ref)
{
    const char *handle =
        strncmp(external_ref, "shopify:", 8) == 0 ? external_ref + 8 : json_string_value(json_object_get(prod, "slug"));
    /* the option names: those of the active variants, in order, at most 3 */
    const char *opts[3] = {NULL, NULL, NULL};
    int nopts = 0;
    const json_t *variants = json_object_get(prod, "variants"), *v;
    const json_t *active[SOUK_CATALOG_VARIANTS_MAX];
    size_t nactive = 0, i;
    json_array_foreach(variants, i, v)
    {
        const char *st = json_string_value(json_object_get(v, "status"));
        if (st && strcmp(st, "active") != 0)
            continue;
        if (nactive < SOUK_CATALOG_VARIANTS_MAX)
            active[nactive++] = v;
        const char *key;
        const json_t *val;
        json_object_foreach((json_t *)json_object_get(v, "options"), key, val)
        {
            bool have = false;
            for (int k = 0; k < nopts; k++)
                have |= strcmp(opts[k], key) == 0;
            if (!have && nopts < 3)
                opts[nopts++] = key;
        }
    }
    /* the options' order is lost in the stored object (sorted keys); the
     * importer's variant title ("S / Black") keeps it: follow it when it fits */
    if (nactive && nopts > 1) {
        const char *title = json_string_value(json_object_get(active[0], "title"));
        const json_t *o = json_object_get(active[0], "options");
        const char *ordered[3] = {NULL, NULL, NULL};
        int n = 0;
        for (const char *s = title ? title : ""; *s && n < 3;) {
            const char *e = strstr(s, " / ");
            size_t len = e ? (size_t)(e - s) : strlen(s);
            const char *match = NULL;
            for (int k = 0; k < nopts && !match; k++) {
                const char *val = json_string_value(json_object_get(o, opts[k]));
                bool used = false;
                for (int j = 0; j < n; j++)
                    used |= ordered[j] == opts[k];
                if (!used && val && strlen(val) == len && memcmp(val, s, len) == 0)
                    match = opts[k];
            }
            if (!match)
                break;
            ordered[n++] = match;
            s = e ? e + 3 : s + len;
            if (!e)
                break;
        }
        if (n == nopts)
            memcpy(opts, ordered, sizeof ordered);
    }
    const json_t *images = json_object_get(prod, "images");
    size_t nimages = json_array_size(images);
    size_t rows = nactive > nimages ? nactive : nimages;
    if (rows == 0)
        rows = 1;
    const char *status = json_string_value(json_object_get(prod, "status"));
    json_t *tr = NULL;
    int64_t pid = 0;
    const char *ptext = json_string_value(json_object_get(prod, "id"));
    if (x->locales.n > 1 && ptext && souk_id_parse(SOUK_PREFIX_PRODUCT, ptext, strlen(ptext), &pid) == 0)
        souk_i18n_translations_json(x->db, SOUK_I18N_PRODUCT, pid, &tr);
    for (size_t r = 0; r < rows; r++) {
        const char *cell[NCOL + 2 * SOUK_I18N_LOCALES_MAX] = {0};
        for (size_t k = 1; r == 0 && k < x->locales.n; k++) {
            const json_t *one = json_object_get(tr, x->locales.tags[k]);
            cell[NCOL + 2 * (k - 1)] = json_string_value(json_object_get(one, "title"));
            const char *d = json_string_value(json_object_get(one, "description"));
            souk_buf html;
            souk_buf_init(&html, SOUK_CATALOG_DESC_MAX * 8);
            if (d && souk__xc_text_to_html(d, &html) == 0 && html.data)
                cell[NCOL + 2 * (k - 1) + 1] = souk_arena_strdup(&x->a, html.data);
            souk_buf_release(&html);
        }
        cell[C_HANDLE] = handle;
        if (r == 0) {
            cell[C_TITLE] = json_string_value(json_object_get(prod, "title"));
            souk_buf html;
            souk_buf_init(&html, SOUK_CATALOG_DESC_MAX * 8);
            const char *desc = json_string_value(json_object_get(prod, "description"));
            if (souk__xc_text_to_html(desc ? desc : "", &html) == 0 && html.data)
                cell[C_BODY] = souk_arena_strdup(&x->a, html.data);
            souk_buf_release(&html);
            cell[C_VENDOR] = json_string_value(json_object_get(json_object_get(prod, "brand"), "name"));
            cell[C_TYPE] = json_string_value(json_object_get(json_object_get(prod, "category"), "name"));
            cell[C_TAGS] = json_string_value(json_object_get(json_object_get(prod, "attributes"), "tags"));
            cell[C_PUBLISHED] = status && strcmp(status, "active") == 0 ? "TRUE" : "FALSE";
            cell[C_STATUS] = status;
            cell[C_GIFT] = "FALSE";
            if (nopts == 0)
                cell[C_O1N] = "Title";
            for (int k = 0; k < nopts; k++)
                cell[C_O1N + 2 * k] = opts[k];
        }
        if (r < nactive) {
            v = active[r];
            const json_t *o = json_object_get(v, "options");
            if (nopts == 0 && r == 0)
                cell[C_O1V] = "Default Title";
            for (int k = 0; k < nopts; k++)
                cell[C_O1V + 2 * k] = json_string_value(json_object_get(o, opts[k]));
            cell[C_SKU] = json_string_value(json_object_get(v, "sku"));
            cell[C_QTY] = qty_of(x, v);
            cell[C_TRACKER] = cell[C_QTY] ? "shopify" : NULL;
            cell[C_POLICY] = "deny";
            cell[C_SERVICE] = "manual";
            cell[C_PRICE] = price_of(x, v);
            cell[C_SHIPPING] = "TRUE";
            cell[C_TAXABLE] = "TRUE";
        }
        if (r < nimages) {
            const json_t *img = json_array_get(images, r);
            cell[C_IMG] = json_string_value(json_object_get(img, "url"));
            cell[C_IMGPOS] = souk_arena_printf(&x->a, "%zu", r + 1);
            const char *alt = json_string_value(json_object_get(img, "alt"));
            cell[C_IMGALT] = alt && *alt ? alt : NULL;
        }
        put_row(&x->out, cell, NCOL + 2 * (int)(x->locales.n - 1));
    }
    json_decref(tr);
}

static int find_warehouse(souk_store *db, int64_t *id)
{
    *id = 0;
    json_t *list = NULL;
    if (souk_inventory_warehouses(db, &list) != SOUK_OK)
        return -1;
    const json_t *w;
    size_t i;
    const char *pick = NULL;
    json_array_foreach(json_object_get(list, "data"), i, w)
    {
        const char *code = json_string_value(json_object_get(w, "code"));
        if (!pick || (code && strcmp(code, "main") == 0))
            pick = json_string_value(json_object_get(w, "id"));
        if (code && strcmp(code, "main") == 0)
            break;
    }
    if (pick)
        souk_id_parse(SOUK_PREFIX_WAREHOUSE, pick, strlen(pick), id);
    json_decref(list);
    return 0;
}

int souk_exchange_shopify_export(souk_store *db, const char *currency, souk_exchange_write_fn w, void *ctx,
                                 uint64_t *products, char *err, size_t errlen)
{
    exporter x = {.db = db, .currency = currency};
    uint64_t count = 0;
    int rc = -1;
    souk_buf_init(&x.out, (size_t)64 * 1024 * 1024);
    souk_arena_init(&x.a, 1 << 16, 0);
    souk_catalog_product_ref *page = malloc(PAGE * sizeof *page);
    if (!page || find_warehouse(db, &x.warehouse) < 0) {
        snprintf(err, errlen, "%s", page ? "cannot read the warehouses" : "out of memory");
        goto out;
    }
    if (souk_i18n_locales_read(db, &x.locales) != SOUK_OK) {
        snprintf(err, errlen, "cannot read the store's locales");
        goto out;
    }
    for (int i = 0; i < NCOL; i++) {
        if (i)
            souk_buf_addc(&x.out, ',');
        souk_exchange_csv_field(&x.out, header[i], strlen(header[i]));
    }
    for (size_t k = 1; k < x.locales.n; k++) {
        char col[48];
        int len = snprintf(col, sizeof col, ",Title (%s),Body (HTML) (%s)", x.locales.tags[k], x.locales.tags[k]);
        souk_buf_add(&x.out, col, (size_t)len);
    }
    souk_buf_add(&x.out, "\r\n", 2);
    int64_t after = 0;
    for (;;) {
        int n = 0;
        if (souk_catalog_products_page(db, after, page, PAGE, &n) != SOUK_OK) {
            snprintf(err, errlen, "cannot read the products: %s", souk_store_errmsg(db));
            goto out;
        }
        if (n == 0)
            break;
        for (int i = 0; i < n; i++) {
            json_t *prod = NULL;
            souk_err e = souk_catalog_product_get_id(db, page[i].id, true, &prod);
            if (e == SOUK_E_NOT_FOUND)
                continue;
            if (e) {
                snprintf(err, errlen, "cannot read product %lld: %s", (long long)page[i].id, souk_err_code(e));
                goto out;
            }
            put_product(&x, prod, page[i].external_ref);
            json_decref(prod);
            souk_arena_reset(&x.a);
            count++;
            if (souk_buf_failed(&x.out)) {
                snprintf(err, errlen, "out of memory");
                goto out;
            }
            if (x.out.len > 1 << 20) {
                if (w(ctx, x.out.data, x.out.len) < 0) {
                    snprintf(err, errlen, "cannot write the output");
                    goto out;
                }
                souk_buf_reset(&x.out);
            }
        }
        after = page[n - 1].id;
    }
    if (x.out.len && w(ctx, x.out.data, x.out.len) < 0) {
        snprintf(err, errlen, "cannot write the output");
        goto out;
    }
    if (products)
        *products = count;
    rc = 0;
out:
    free(page);
    souk_buf_release(&x.out);
    souk_arena_release(&x.a);
    return rc;
}
