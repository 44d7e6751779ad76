/*
 * shopify_import.c — souk_exchange_shopify_import: one pass over the CSV.
 * Rows are folded into products by Handle (shopify_map.c); finished
 * products collect in a batch, and each batch is written in one write
 * transaction: Vendor and Type resolved to brand and category first (their
 * own small transactions, outside the batch, cached by name), then
 * souk_catalog_product_sync_external_tx per product and the stock of each
 * variant with a Variant Inventory Qty. Problems of a batch are held until
 * it commits, so a batch the store runs again reports them once.
 */
#include "exchange/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "inventory/inventory.h"
#include "core/banned.h"

#define DEFAULT_BATCH 500
#define TAXA_MAX 4096
#define HELD_MAX 2000

typedef struct taxon {
    int kind;
    char *name;
    int64_t id;
} taxon;

typedef struct held {
    uint64_t line;
    char *handle, *field, *message;
} held;

typedef struct importer {
    souk_store *db;
    const souk_exchange_import_opts *o;
    souk_exchange_stats *s;
    souk__xc_product *batch;
    size_t n, cap;
    int64_t *brands, *categories; /* per batch slot */
    souk_arena rows;              /* strings of the products in the batch */
    souk_arena tx;                /* one attempt of a batch */
    taxon taxa[TAXA_MAX];
    size_t ntaxa;
    int64_t warehouse; /* 0 until needed */
    held held[HELD_MAX];
    size_t nheld, dropped; /* problems of the batch beyond HELD_MAX */
    uint64_t b_created, b_updated, b_unchanged, b_failed, b_variants;
    /* the handles seen, to refuse a product whose rows are not together */
    char **seen;
    uint64_t *seen_line;
    size_t nseen, seen_cap;
    const souk__xc_cols *cols; /* the header's, for the translation columns */
    char err[256];
} importer;

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* the line HANDLE was first seen on (0: never); remembers it at LINE. -1: out of memory */
static int64_t seen_before(importer *im, const char *handle, uint64_t line)
{
    if ((im->nseen + 1) * 2 > im->seen_cap) {
        size_t cap = im->seen_cap ? im->seen_cap * 2 : 4096;
        char **s = calloc(cap, sizeof *s);
        uint64_t *l = calloc(cap, sizeof *l);
        if (!s || !l) {
            free(s);
            free(l);
            return -1;
        }
        for (size_t i = 0; i < im->seen_cap; i++)
            if (im->seen[i]) {
                size_t j = hash(im->seen[i]) & (cap - 1);
                while (s[j])
                    j = (j + 1) & (cap - 1);
                s[j] = im->seen[i];
                l[j] = im->seen_line[i];
            }
        free(im->seen);
        free(im->seen_line);
        im->seen = s;
        im->seen_line = l;
        im->seen_cap = cap;
    }
    size_t j = hash(handle) & (im->seen_cap - 1);
    while (im->seen[j] && strcmp(im->seen[j], handle) != 0)
        j = (j + 1) & (im->seen_cap - 1);
    if (im->seen[j])
        return (int64_t)im->seen_line[j];
    if (!(im->seen[j] = strdup(handle)))
        return -1;
    im->seen_line[j] = line;
    im->nseen++;
    return 0;
}

static void report(importer *im, uint64_t line, const char *handle, const char *field, const char *msg)
{
    if (im->o->report)
        im->o->report(im->o->report_ctx, line, handle, field, msg);
}

/* a problem of the batch being written, reported once it commits */
static void hold(importer *im, uint64_t line, const char *handle, const char *field, const char *msg)
{
    if (im->nheld >= HELD_MAX) {
        im->dropped++;
        return;
    }
    held *h = &im->held[im->nheld++];
    h->line = line;
    h->handle = souk_arena_strdup(&im->tx, handle);
    h->field = souk_arena_strdup(&im->tx, field);
    h->message = souk_arena_strdup(&im->tx, msg);
}

/* the brand or category named NAME: found by its slug, else created. 0 for
 * no name, or when it cannot be had (reported at LINE). -1: database failure. */
static int64_t taxon_id(importer *im, souk_taxon_kind kind, const char *name, uint64_t line, const char *handle)
{
    if (!*name)
        return 0;
    for (size_t i = 0; i < im->ntaxa; i++)
        if (im->taxa[i].kind == (int)kind && strcmp(im->taxa[i].name, name) == 0)
            return im->taxa[i].id;
    char slug[SOUK_CATALOG_SLUG_MAX + 1];
    if (!souk_catalog_slugify(name, slug))
        memcpy(slug, "item", 5);
    int64_t id = 0;
    souk_err e = souk_catalog_taxon_resolve(im->db, kind, slug, &id);
    if (e == SOUK_E_NOT_FOUND) {
        souk_taxon_in in = {.name = name};
        souk_problems pr;
        souk_problems_init(&pr);
        souk_arena a;
        souk_arena_init(&a, 1024, 0);
        e = souk_catalog_taxon_create(im->db, kind, &in, &a, &pr, &id);
        if (e == SOUK_E_CONFLICT) /* made by someone else meanwhile */
            e = souk_catalog_taxon_resolve(im->db, kind, slug, &id);
        if (e && e != SOUK_E_INTERNAL && e != SOUK_E_UNAVAILABLE) {
            char msg[300];
            snprintf(msg, sizeof msg, "cannot be created as a %s: %s %s",
                     kind == SOUK_TAXON_BRAND ? "brand" : "category", pr.count ? pr.items[0].field : souk_err_code(e),
                     pr.count ? pr.items[0].message : "");
            report(im, line, handle, kind == SOUK_TAXON_BRAND ? "Vendor" : "Type", msg);
            id = 0;
            e = SOUK_OK;
        }
        souk_arena_release(&a);
    }
    if (e) {
        snprintf(im->err, sizeof im->err, "cannot read or write %s: %s",
                 kind == SOUK_TAXON_BRAND ? "brands" : "categories", souk_store_errmsg(im->db));
        return -1;
    }
    if (im->ntaxa < TAXA_MAX) {
        char *copy = strdup(name);
        if (copy)
            im->taxa[im->ntaxa++] = (taxon){(int)kind, copy, id};
    }
    return id;
}

/* the warehouse stock goes to: "main", else the first by code, else a new "main" */
static int find_warehouse(importer *im)
{
    json_t *list = NULL;
    souk_err e = souk_inventory_warehouses(im->db, &list);
    if (e) {
        snprintf(im->err, sizeof im->err, "cannot read the warehouses: %s", souk_store_errmsg(im->db));
        return -1;
    }
    const json_t *data = json_object_get(list, "data"), *w;
    size_t i;
    const char *pick = NULL;
    json_array_foreach(data, i, w)
    {
        const char *code = json_string_value(json_object_get(w, "code"));
        if (!pick || (code && strcmp(code, "main") == 0))
            pick = json_string_value(json_object_get(w, "id"));
        if (code && strcmp(code, "main") == 0)
            break;
    }
    int64_t id = 0;
    if (pick && souk_id_parse(SOUK_PREFIX_WAREHOUSE, pick, strlen(pick), &id) == 0) {
        json_decref(list);
        im->warehouse = id;
        return 0;
    }
    json_decref(list);
    souk_warehouse_in in = {.code = "main", .name = "Main warehouse"};
    souk_problems pr;
    souk_problems_init(&pr);
    souk_arena a;
    souk_arena_init(&a, 1024, 0);
    e = souk_inventory_warehouse_create(im->db, &in, &a, &pr, &im->warehouse);
    souk_arena_release(&a);
    if (e) {
        snprintf(im->err, sizeof im->err, "cannot create warehouse \"main\": %s", souk_err_code(e));
        return -1;
    }
    return 0;
}

/* The translation columns of P (product ID) in the caller's transaction:
 * a cell with text sets the translation, an empty one removes it (so that an
 * exported file imports back to the same state). */
static souk_err translations_tx(souk_store *db, importer *im, const souk__xc_product *p, int64_t id)
{
    for (size_t k = 0; im->cols && k < im->cols->nlocales; k++) {
        souk_i18n_field f[2];
        size_t n = 0;
        if (p->loc_title[k])
            f[n++] = (souk_i18n_field){"title", *p->loc_title[k] ? p->loc_title[k] : NULL};
        if (p->loc_description[k])
            f[n++] = (souk_i18n_field){"description", *p->loc_description[k] ? p->loc_description[k] : NULL};
        souk_err e = n ? souk_i18n_set_tx(db, SOUK_I18N_PRODUCT, id, im->cols->locales[k].tag, f, n, souk_time_now_us())
                       : SOUK_OK;
        if (e)
            return e;
    }
    return SOUK_OK;
}

static int batch_tx(souk_store *db, void *arg)
{
    importer *im = arg;
    souk_arena_reset(&im->tx);
    im->nheld = im->dropped = 0;
    im->b_created = im->b_updated = im->b_unchanged = im->b_failed = im->b_variants = 0;
    for (size_t i = 0; i < im->n; i++) {
        const souk__xc_product *p = &im->batch[i];
        souk_product_in in;
        souk_problems pr;
        souk_problems_init(&pr);
        if (souk__xc_product_in(p, im->o->currency, im->brands[i], im->categories[i], &im->tx, &in) < 0)
            return souk_store_err_status(SOUK_E_INTERNAL);
        int64_t id, vids[SOUK_CATALOG_VARIANTS_MAX];
        bool created = false, changed = false;
        souk_err e = souk_catalog_product_sync_external_tx(db, &in, &im->tx, &pr, &id, &created, &changed, vids);
        if (e == SOUK_E_INTERNAL || e == SOUK_E_UNAVAILABLE)
            return souk_store_err_status(e);
        if (e) {
            char msg[300];
            snprintf(msg, sizeof msg, "product not imported: %s %s", pr.count ? pr.items[0].field : souk_err_code(e),
                     pr.count ? pr.items[0].message : "");
            hold(im, p->line, p->handle, "Handle", msg);
            im->b_failed++;
            continue;
        }
        if ((e = translations_tx(db, im, p, id)))
            return souk_store_err_status(e);
        for (size_t k = 0; k < p->nvariants; k++) {
            if (p->variants[k].qty < 0)
                continue;
            souk_problems_init(&pr);
            souk_stock_level lv;
            e = souk_inventory_level(db, vids[k], im->warehouse, &lv);
            if (e == SOUK_OK && lv.on_hand == p->variants[k].qty)
                continue;
            if (e && e != SOUK_E_NOT_FOUND)
                return souk_store_err_status(e);
            e = souk_inventory_stock_set_tx(db, vids[k], im->warehouse, p->variants[k].qty, -1, "import", "system",
                                            &im->tx, &pr);
            if (e == SOUK_E_INTERNAL || e == SOUK_E_UNAVAILABLE)
                return souk_store_err_status(e);
            if (e) {
                char msg[300];
                snprintf(msg, sizeof msg, "stock not set: %s", pr.count ? pr.items[0].message : souk_err_code(e));
                hold(im, p->variants[k].line, p->handle, "Variant Inventory Qty", msg);
            } else
                changed = true;
        }
        im->b_variants += p->nvariants;
        if (created)
            im->b_created++;
        else if (changed)
            im->b_updated++;
        else
            im->b_unchanged++;
    }
    return 0;
}

/* writes the batch; 0 or -1 (ERR set) */
static int flush(importer *im, souk_csv *r, bool final)
{
    bool stock = false;
    for (size_t i = 0; i < im->n; i++) {
        const souk__xc_product *p = &im->batch[i];
        if ((im->brands[i] = taxon_id(im, SOUK_TAXON_BRAND, p->vendor, p->line, p->handle)) < 0 ||
            (im->categories[i] = taxon_id(im, SOUK_TAXON_CATEGORY, p->category, p->line, p->handle)) < 0)
            return -1;
        for (size_t k = 0; k < p->nvariants; k++)
            stock |= p->variants[k].qty >= 0;
    }
    if (stock && !im->warehouse && find_warehouse(im) < 0)
        return -1;
    if (im->n && souk_store_tx(im->db, batch_tx, im) < 0) {
        snprintf(im->err, sizeof im->err, "import failed: %s", souk_store_errmsg(im->db));
        return -1;
    }
    if (im->n) {
        for (size_t i = 0; i < im->nheld; i++)
            report(im, im->held[i].line, im->held[i].handle, im->held[i].field, im->held[i].message);
        if (im->dropped) {
            char msg[120];
            snprintf(msg, sizeof msg, "%zu more problems of this batch were not kept; use a smaller --batch",
                     im->dropped);
            report(im, 0, "", "batch", msg);
        }
        im->s->created += im->b_created;
        im->s->updated += im->b_updated;
        im->s->unchanged += im->b_unchanged;
        im->s->failed += im->b_failed;
        im->s->variants += im->b_variants;
    }
    im->n = 0;
    souk_arena_reset(&im->rows);
    if (im->o->progress &&
        !im->o->progress(im->o->progress_ctx, im->s, souk_csv_bytes_read(r), souk_csv_total_bytes(r), final)) {
        snprintf(im->err, sizeof im->err, "stopped by its caller");
        return -1;
    }
    return 0;
}

static int run(importer *im, souk_csv *r)
{
    const char **fields = malloc(SOUK_CSV_DEFAULT_MAX_FIELDS * sizeof *fields);
    if (!fields) {
        snprintf(im->err, sizeof im->err, "out of memory");
        return -1;
    }
    souk__xc_cols cols;
    bool header = false;
    souk__xc_product *cur = NULL; /* the product being read: im->batch[im->n] */
    int rc, result = -1;
    while ((rc = souk_csv_next(r)) != SOUK_CSV_END) {
        uint64_t line = souk_csv_line(r);
        if (rc < 0) {
            if (header)
                im->s->rows++, im->s->error_rows++;
            report(im, line, "", "row", souk_csv_error(r));
            if (!souk_csv_is_recoverable(rc)) {
                snprintf(im->err, sizeof im->err, "cannot read the file: %s", souk_csv_strerror(rc));
                goto out;
            }
            continue;
        }
        size_t nf = souk_csv_field_count(r);
        if (nf > SOUK_CSV_DEFAULT_MAX_FIELDS)
            nf = SOUK_CSV_DEFAULT_MAX_FIELDS;
        for (size_t i = 0; i < nf; i++)
            fields[i] = souk_csv_field(r, i, NULL);
        souk__xc_fields row = {fields, nf};
        if (!header) {
            const char *why = souk__xc_header(&cols, fields, nf);
            if (why) {
                snprintf(im->err, sizeof im->err, "%s", why);
                goto out;
            }
            souk_i18n_locales enabled;
            if (cols.nlocales && souk_i18n_locales_read(im->db, &enabled) != SOUK_OK) {
                snprintf(im->err, sizeof im->err, "cannot read the store's locales");
                goto out;
            }
            for (size_t k = 0; k < cols.nlocales; k++) { /* translations only into the other enabled locales */
                size_t e = 1;
                while (e < enabled.n && strcmp(enabled.tags[e], cols.locales[k].tag) != 0)
                    e++;
                if (e >= enabled.n) {
                    snprintf(im->err, sizeof im->err,
                             "the header has translation columns for %s, which is not one of the store's locales "
                             "other than the default %s (docs/languages.md)",
                             cols.locales[k].tag, enabled.tags[0]);
                    goto out;
                }
            }
            im->cols = &cols;
            header = true;
            continue;
        }
        im->s->rows++;
        const char *h = souk__xc_get(&cols, &row, XC_HANDLE);
        while (*h == ' ')
            h++;
        size_t hl = strlen(h);
        while (hl && h[hl - 1] == ' ')
            hl--;
        if (cur && strlen(cur->handle) == hl && memcmp(cur->handle, h, hl) == 0) {
            if (souk__xc_row(cur, false, &cols, &row, line, im->o->currency, &im->rows, im->o->report,
                             im->o->report_ctx))
                im->s->error_rows++;
            continue;
        }
        if (cur) { /* the previous product is complete */
            souk__xc_finish(cur);
            if (!cur->bad)
                im->n++;
            cur = NULL;
            if (im->n == im->cap && flush(im, r, false) < 0)
                goto out;
        }
        souk__xc_product *p = &im->batch[im->n];
        if (souk__xc_row(p, true, &cols, &row, line, im->o->currency, &im->rows, im->o->report, im->o->report_ctx))
            im->s->error_rows++;
        if (!*p->handle)
            continue; /* reported; the next row starts afresh */
        int64_t first = seen_before(im, p->handle, line);
        if (first < 0) {
            snprintf(im->err, sizeof im->err, "out of memory");
            goto out;
        }
        if (first > 0) {
            char msg[200];
            snprintf(msg, sizeof msg, "the rows of this product must follow each other; it started at line %llu",
                     (unsigned long long)first);
            if (!p->bad) /* else its first problem was reported */
                im->s->error_rows++, report(im, line, p->handle, "Handle", msg);
            p->bad = true;
        }
        im->s->products += !p->bad;
        cur = p;
    }
    if (!header) {
        snprintf(im->err, sizeof im->err, "the file is empty: a Shopify product CSV starts with its header row");
        goto out;
    }
    if (cur) {
        souk__xc_finish(cur);
        if (!cur->bad)
            im->n++;
    }
    result = flush(im, r, true);
out:
    free(fields);
    return result;
}

int souk_exchange_shopify_import(souk_store *db, souk_csv *r, const souk_exchange_import_opts *o,
                                 souk_exchange_stats *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    importer *im = calloc(1, sizeof *im);
    size_t cap = o->batch ? o->batch : DEFAULT_BATCH;
    if (!im || !(im->batch = calloc(cap + 1, sizeof *im->batch)) || !(im->brands = calloc(cap, sizeof(int64_t))) ||
        !(im->categories = calloc(cap, sizeof(int64_t)))) {
        snprintf(err, errlen, "out of memory");
        if (im) {
            free(im->batch);
            free(im->brands);
        }
        free(im);
        return -1;
    }
    im->db = db;
    im->o = o;
    im->s = s;
    im->cap = cap;
    souk_arena_init(&im->rows, 1 << 20, 0);
    souk_arena_init(&im->tx, 1 << 20, 0);
    int rc = run(im, r);
    if (rc < 0)
        snprintf(err, errlen, "%s", im->err);
    souk_arena_release(&im->rows);
    souk_arena_release(&im->tx);
    for (size_t i = 0; i < im->ntaxa; i++)
        free(im->taxa[i].name);
    for (size_t i = 0; i < im->seen_cap; i++)
        free(im->seen[i]);
    free(im->seen);
    free(im->seen_line);
    free(im->batch);
    free(im->brands);
    free(im->categories);
    free(im);
    return rc;
}
