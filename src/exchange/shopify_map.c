/*
 * shopify_map.c — Shopify product CSV rows to catalog input, without the
 * database (the fuzz driver runs it as it is).
 *
 * Shopify's layout: every row carries a Handle; a product's first row holds
 * its fields (Title, Body (HTML), Vendor, Type, Tags, Status, the option
 * names) and usually its first variant and image; the rows after it with
 * the same Handle are further variants (option values, SKU, price, stock)
 * and/or further images (Image Src, Position, Alt Text). See
 * docs/import-export.md for what each column becomes.
 */
#include "exchange/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "core/banned.h"

#define QTY_MAX INT64_C(1000000000)

static const struct {
    int col;
    const char *name;
} names[] = {
    {XC_HANDLE, "handle"},
    {XC_TITLE, "title"},
    {XC_BODY, "body (html)"},
    {XC_VENDOR, "vendor"},
    {XC_PRODUCT_CATEGORY, "product category"},
    {XC_TYPE, "type"},
    {XC_TYPE, "product type"},
    {XC_TAGS, "tags"},
    {XC_PUBLISHED, "published"},
    {XC_OPT1_NAME, "option1 name"},
    {XC_OPT1_VALUE, "option1 value"},
    {XC_OPT2_NAME, "option2 name"},
    {XC_OPT2_VALUE, "option2 value"},
    {XC_OPT3_NAME, "option3 name"},
    {XC_OPT3_VALUE, "option3 value"},
    {XC_SKU, "variant sku"},
    {XC_QTY, "variant inventory qty"},
    {XC_PRICE, "variant price"},
    {XC_IMAGE_SRC, "image src"},
    {XC_IMAGE_POSITION, "image position"},
    {XC_IMAGE_ALT, "image alt text"},
    {XC_STATUS, "status"},
};

/* S without surrounding ASCII spaces equals lower-case NAME, ignoring case */
static bool same_name(const char *s, const char *name)
{
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        n--;
    if (n != strlen(name))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != name[i])
            return false;
    }
    return true;
}

/* A translation column "Title (tag)" or "Body (HTML) (tag)" (case and
 * surrounding spaces aside): 1 with *BODY and the canonical TAG, 0 when S is
 * no such column, -1 when its "(tag)" is no language tag. */
static int locale_column(const char *s, bool *body, char tag[SOUK_I18N_TAG_MAX])
{
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        n--;
    if (n < 4 || s[n - 1] != ')')
        return 0;
    size_t open = n - 1;
    while (open > 0 && s[open] != '(')
        open--;
    if (open < 2 || s[open - 1] != ' ')
        return 0;
    char head[16];
    size_t hl = open - 1;
    if (hl >= sizeof head)
        return 0;
    memcpy(head, s, hl);
    head[hl] = '\0';
    if (same_name(head, "title"))
        *body = false;
    else if (same_name(head, "body (html)"))
        *body = true;
    else
        return 0;
    return souk_i18n_tag_canon(s + open + 1, n - open - 2, tag) == 0 ? 1 : -1;
}

const char *souk__xc_header(souk__xc_cols *c, const char *const *fields, size_t n)
{
    for (int i = 0; i < XC_NCOLS; i++)
        c->at[i] = -1;
    c->nlocales = 0;
    for (size_t i = 0; i < n && i < 10000; i++) {
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
            if (same_name(fields[i], names[k].name)) {
                if (c->at[names[k].col] >= 0)
                    return "a column appears twice in the header";
                c->at[names[k].col] = (int)i;
            }
        bool body = false;
        char tag[SOUK_I18N_TAG_MAX];
        int lc = locale_column(fields[i], &body, tag);
        if (lc < 0)
            return "a translation column is \"Title (tag)\" or \"Body (HTML) (tag)\" with a language tag, e.g. fr";
        if (lc == 0)
            continue;
        size_t k = 0;
        while (k < c->nlocales && strcmp(c->locales[k].tag, tag) != 0)
            k++;
        if (k == c->nlocales) {
            if (k == XC_LOCALES_MAX)
                return "the header has translation columns of too many locales";
            memcpy(c->locales[k].tag, tag, sizeof tag);
            c->locales[k].title = c->locales[k].body = -1;
            c->nlocales++;
        }
        int *at = body ? &c->locales[k].body : &c->locales[k].title;
        if (*at >= 0)
            return "a column appears twice in the header";
        *at = (int)i;
    }
    if (c->at[XC_HANDLE] < 0 || c->at[XC_TITLE] < 0)
        return "not a Shopify product CSV: the header must have the columns Handle and Title";
    return NULL;
}

const char *souk__xc_get(const souk__xc_cols *c, const souk__xc_fields *r, int col)
{
    int at = c->at[col];
    return at >= 0 && (size_t)at < r->n && r->f[at] ? r->f[at] : "";
}

/* a copy of S without surrounding white space, in A ("" when A runs out) */
static const char *trimmed(souk_arena *a, const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    char *out = souk_arena_alloc(a, n + 1);
    if (!out)
        return "";
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

/* characters (UTF-8 lead bytes) of S */
static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static bool ieq(const char *a, const char *b)
{
    return same_name(a, b);
}

typedef struct row_ctx {
    souk_exchange_report_fn report;
    void *ctx;
    uint64_t line;
    const char *handle;
    int problems;
} row_ctx;

static void problem(row_ctx *rc, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(row_ctx *rc, const char *field, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (rc->problems++ == 0 && rc->report)
        rc->report(rc->ctx, rc->line, rc->handle, field, msg);
}

/* a text column of at most MAX characters, without control characters */
static const char *text_col(row_ctx *rc, souk_arena *a, const souk__xc_cols *c, const souk__xc_fields *r, int col,
                            const char *field, size_t max)
{
    const char *s = trimmed(a, souk__xc_get(c, r, col));
    if (chars(s) > max)
        problem(rc, field, "is longer than %zu characters", max);
    else if (has_control(s))
        problem(rc, field, "contains a control character");
    return s;
}

static bool url_ok(const char *s)
{
    size_t len = strlen(s);
    if (len > 2048 || has_control(s) || strchr(s, ' '))
        return false;
    return (len > 8 && memcmp(s, "https://", 8) == 0) || (len > 7 && memcmp(s, "http://", 7) == 0) ||
           (len > 1 && s[0] == '/' && s[1] != '/');
}

static void variant_row(souk__xc_product *p, row_ctx *rc, const souk__xc_cols *c, const souk__xc_fields *r,
                        const char *currency, souk_arena *a)
{
    souk__xc_variant v = {.qty = -1, .line = rc->line};
    static const int value_cols[3] = {XC_OPT1_VALUE, XC_OPT2_VALUE, XC_OPT3_VALUE};
    static const char *const value_fields[3] = {"Option1 Value", "Option2 Value", "Option3 Value"};
    for (int k = 0; k < 3; k++) {
        const char *val = text_col(rc, a, c, r, value_cols[k], value_fields[k], 100);
        if (k < p->nopts) {
            if (!*val)
                problem(rc, value_fields[k], "is empty but the product has option %s", p->opt_names[k]);
            v.values[k] = val;
        } else if (*val && !(k == 0 && p->nopts == 0 && ieq(val, "default title")))
            problem(rc, value_fields[k], "has a value but the product's first row names no Option%d Name", k + 1);
    }
    const char *sku = trimmed(a, souk__xc_get(c, r, XC_SKU));
    if (*sku) {
        const char *why = souk_catalog_check_sku(sku, strlen(sku));
        if (why)
            problem(rc, "Variant SKU", "%s", why);
        v.sku = sku;
    } else {
        char *gen = souk_arena_alloc(a, SOUK_CATALOG_SKU_MAX + 1);
        if (gen)
            souk__xc_default_sku(p->handle, v.values, p->nopts, gen);
        v.sku = gen ? gen : "";
    }
    const char *price = trimmed(a, souk__xc_get(c, r, XC_PRICE));
    souk_money m;
    if (!*price)
        problem(rc, "Variant Price", "is required");
    else if (souk_money_parse(&m, price, strlen(price), currency) < 0 || m.amount < 0)
        problem(rc, "Variant Price", "is not an amount in %s", currency);
    else
        v.price = m.amount;
    const char *qty = trimmed(a, souk__xc_get(c, r, XC_QTY));
    if (*qty) {
        char *end;
        long long q = strtoll(qty, &end, 10);
        if (*end || q < 0 || q > QTY_MAX)
            problem(rc, "Variant Inventory Qty", "must be a whole number from 0 to %lld", (long long)QTY_MAX);
        else
            v.qty = q;
    }
    if (rc->problems)
        return;
    size_t tn = 0;
    char title[3 * 104] = "";
    for (int k = 0; k < p->nopts; k++)
        tn += (size_t)snprintf(title + tn, sizeof title - tn, "%s%s", k ? " / " : "", v.values[k]);
    v.title = souk_arena_strdup(a, title);
    for (size_t i = 0; i < p->nvariants; i++) {
        if (strcmp(p->variants[i].sku, v.sku) == 0)
            return problem(rc, "Variant SKU", "%s is used by an earlier row of this product (line %llu)", v.sku,
                           (unsigned long long)p->variants[i].line);
        bool same = p->nopts > 0;
        for (int k = 0; k < p->nopts; k++)
            same &= strcmp(p->variants[i].values[k], v.values[k]) == 0;
        if (same)
            return problem(rc, "Option1 Value", "these option values are those of line %llu",
                           (unsigned long long)p->variants[i].line);
    }
    if (p->nvariants >= SOUK_CATALOG_VARIANTS_MAX)
        return problem(rc, "Handle", "a product has at most %d variants", SOUK_CATALOG_VARIANTS_MAX);
    p->variants[p->nvariants++] = v;
}

static void image_row(souk__xc_product *p, row_ctx *rc, const souk__xc_cols *c, const souk__xc_fields *r, souk_arena *a)
{
    const char *src = trimmed(a, souk__xc_get(c, r, XC_IMAGE_SRC));
    const char *alt = text_col(rc, a, c, r, XC_IMAGE_ALT, "Image Alt Text", 500);
    const char *pos = trimmed(a, souk__xc_get(c, r, XC_IMAGE_POSITION));
    int64_t position = 0;
    if (!url_ok(src))
        problem(rc, "Image Src", "must be an http(s) URL or an absolute path of at most 2048 bytes");
    if (*pos) {
        char *end;
        long long v = strtoll(pos, &end, 10);
        if (*end || v < 1 || v > 1000)
            problem(rc, "Image Position", "must be a whole number from 1 to 1000");
        position = v;
    }
    if (rc->problems)
        return;
    for (size_t i = 0; i < p->nimages; i++)
        if (strcmp(p->images[i].url, src) == 0)
            return; /* the same image named again (e.g. as a variant's) */
    if (p->nimages >= SOUK_CATALOG_IMAGES_MAX)
        return problem(rc, "Image Src", "a product has at most %d images", SOUK_CATALOG_IMAGES_MAX);
    p->images[p->nimages++] = (souk__xc_image){src, alt, position, rc->line};
}

/* the product fields of a first row */
static void product_fields(souk__xc_product *p, row_ctx *rc, const souk__xc_cols *c, const souk__xc_fields *r,
                           souk_arena *a)
{
    p->title = text_col(rc, a, c, r, XC_TITLE, "Title", SOUK_CATALOG_NAME_MAX);
    if (!*p->title)
        problem(rc, "Title", "is required on a product's first row");
    const char *body = souk__xc_get(c, r, XC_BODY);
    souk_buf text;
    souk_buf_init(&text, SOUK_CATALOG_DESC_MAX * 4);
    if (souk__xc_html_to_text(body, strlen(body), &text) < 0 ||
        chars(text.data ? text.data : "") > SOUK_CATALOG_DESC_MAX)
        problem(rc, "Body (HTML)", "is longer than %d characters as text", SOUK_CATALOG_DESC_MAX);
    p->description = souk_arena_strdup(a, text.data ? text.data : "");
    souk_buf_release(&text);
    for (size_t k = 0; k < c->nlocales; k++) { /* the translations, checked as the fields they translate */
        char field[40];
        snprintf(field, sizeof field, "Title (%s)", c->locales[k].tag);
        p->loc_title[k] = NULL;
        p->loc_description[k] = NULL;
        if (c->locales[k].title >= 0) {
            const char *t = trimmed(
                a, (size_t)c->locales[k].title < r->n && r->f[c->locales[k].title] ? r->f[c->locales[k].title] : "");
            if (chars(t) > SOUK_CATALOG_NAME_MAX)
                problem(rc, souk_arena_strdup(a, field), "is longer than %d characters", SOUK_CATALOG_NAME_MAX);
            else if (has_control(t))
                problem(rc, souk_arena_strdup(a, field), "contains a control character");
            p->loc_title[k] = t;
        }
        if (c->locales[k].body >= 0) {
            snprintf(field, sizeof field, "Body (HTML) (%s)", c->locales[k].tag);
            const char *html =
                (size_t)c->locales[k].body < r->n && r->f[c->locales[k].body] ? r->f[c->locales[k].body] : "";
            souk_buf_init(&text, SOUK_CATALOG_DESC_MAX * 4);
            if (souk__xc_html_to_text(html, strlen(html), &text) < 0 ||
                chars(text.data ? text.data : "") > SOUK_CATALOG_DESC_MAX)
                problem(rc, souk_arena_strdup(a, field), "is longer than %d characters as text", SOUK_CATALOG_DESC_MAX);
            p->loc_description[k] = souk_arena_strdup(a, text.data ? text.data : "");
            souk_buf_release(&text);
        }
    }
    p->vendor = text_col(rc, a, c, r, XC_VENDOR, "Vendor", SOUK_CATALOG_NAME_MAX);
    const char *type = text_col(rc, a, c, r, XC_TYPE, "Type", SOUK_CATALOG_NAME_MAX);
    if (!*type) { /* Shopify's taxonomy path "A > B > C": its last part */
        const char *path = trimmed(a, souk__xc_get(c, r, XC_PRODUCT_CATEGORY));
        const char *last = strrchr(path, '>');
        type = trimmed(a, last ? last + 1 : path);
        if (chars(type) > SOUK_CATALOG_NAME_MAX || has_control(type))
            type = "";
    }
    p->category = type;
    /* tags: trimmed, empty ones dropped, joined by ", " */
    const char *tags = souk__xc_get(c, r, XC_TAGS);
    souk_buf t;
    souk_buf_init(&t, 4096);
    for (const char *s = tags; *s;) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        while (n && (*s == ' ' || *s == '\t'))
            s++, n--;
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (n) {
            if (t.len)
                souk_buf_add(&t, ", ", 2);
            souk_buf_add(&t, s, n);
        }
        s = e ? e + 1 : s + n;
        if (!e)
            break;
    }
    if (t.failed || chars(t.data ? t.data : "") > 200)
        problem(rc, "Tags", "are longer than 200 characters together");
    else if (has_control(t.data ? t.data : ""))
        problem(rc, "Tags", "contain a control character");
    p->tags = souk_arena_strdup(a, t.data ? t.data : "");
    souk_buf_release(&t);
    const char *status = trimmed(a, souk__xc_get(c, r, XC_STATUS));
    const char *published = trimmed(a, souk__xc_get(c, r, XC_PUBLISHED));
    if (*status) {
        if (ieq(status, "active"))
            p->status = SOUK_STATUS_ACTIVE;
        else if (ieq(status, "draft"))
            p->status = SOUK_STATUS_DRAFT;
        else if (ieq(status, "archived"))
            p->status = SOUK_STATUS_ARCHIVED;
        else
            problem(rc, "Status", "must be active, draft or archived");
    } else if (!*published || ieq(published, "true"))
        p->status = SOUK_STATUS_ACTIVE;
    else if (ieq(published, "false"))
        p->status = SOUK_STATUS_DRAFT;
    else
        problem(rc, "Published", "must be TRUE or FALSE");
    static const int name_cols[3] = {XC_OPT1_NAME, XC_OPT2_NAME, XC_OPT3_NAME};
    static const char *const name_fields[3] = {"Option1 Name", "Option2 Name", "Option3 Name"};
    for (int k = 0; k < 3; k++) {
        const char *name = text_col(rc, a, c, r, name_cols[k], name_fields[k], 64);
        if (!*name)
            break; /* names after a missing one are not read */
        if (k == 0 && ieq(name, "title") && ieq(souk__xc_get(c, r, XC_OPT1_VALUE), "default title"))
            break; /* Shopify's single variant without options */
        for (int j = 0; j < k; j++)
            if (strcmp(p->opt_names[j], name) == 0)
                problem(rc, name_fields[k], "repeats Option%d Name", j + 1);
        p->opt_names[k] = name;
        p->nopts = k + 1;
    }
}

/* a row that describes a variant: any variant column filled */
static bool is_variant_row(const souk__xc_cols *c, const souk__xc_fields *r)
{
    static const int cols[] = {XC_OPT1_VALUE, XC_OPT2_VALUE, XC_OPT3_VALUE, XC_SKU, XC_PRICE, XC_QTY};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
        const char *s = souk__xc_get(c, r, cols[i]);
        while (*s == ' ')
            s++;
        if (*s)
            return true;
    }
    return false;
}

int souk__xc_row(souk__xc_product *p, bool first, const souk__xc_cols *c, const souk__xc_fields *r, uint64_t line,
                 const char *currency, souk_arena *a, souk_exchange_report_fn report, void *ctx)
{
    const char *handle = trimmed(a, souk__xc_get(c, r, XC_HANDLE));
    row_ctx rc = {report, ctx, line, handle, 0};
    if (first) {
        memset(p, 0, sizeof *p);
        p->handle = handle;
        p->line = line;
        p->rows = 1;
        if (!*handle || chars(handle) > SOUK_CATALOG_NAME_MAX || has_control(handle)) {
            problem(&rc, "Handle",
                    *handle ? "must be at most 200 characters without control characters" : "is required");
            p->bad = true;
            return rc.problems;
        }
        product_fields(p, &rc, c, r, a);
        if (rc.problems) {
            p->bad = true;
            return rc.problems;
        }
    } else
        p->rows++;
    if (p->bad)
        return 0; /* the product's first row was reported already */
    bool variant = is_variant_row(c, r), image = *trimmed(a, souk__xc_get(c, r, XC_IMAGE_SRC)) != '\0';
    size_t nv = p->nvariants, ni = p->nimages;
    if (variant)
        variant_row(p, &rc, c, r, currency, a);
    if (image && !rc.problems)
        image_row(p, &rc, c, r, a);
    if (rc.problems) { /* the row is refused as a whole; a refused first row, its product */
        p->nvariants = nv;
        p->nimages = ni;
        p->bad |= first;
    }
    return rc.problems;
}

void souk__xc_finish(souk__xc_product *p)
{
    /* insertion sort by position (0 = after the positioned ones, in file order) */
    for (size_t i = 1; i < p->nimages; i++) {
        souk__xc_image x = p->images[i];
        int64_t kx = x.position ? x.position : INT64_MAX;
        size_t j = i;
        while (j > 0 && (p->images[j - 1].position ? p->images[j - 1].position : INT64_MAX) > kx) {
            p->images[j] = p->images[j - 1];
            j--;
        }
        p->images[j] = x;
    }
}

void souk__xc_default_sku(const char *handle, const char *const *values, int nvalues, char *out)
{
    char full[1024];
    size_t n = 0;
    uint64_t h = 1469598103934665603ULL;
    for (int k = -1; k < nvalues; k++) {
        const char *s = k < 0 ? handle : values[k];
        if (k >= 0 && n < sizeof full - 1)
            full[n++] = '-';
        for (; s && *s; s++) {
            h = (h ^ (unsigned char)*s) * 1099511628211ULL;
            char ch = *s;
            bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                      ch == '_' || ch == '-';
            if (n < sizeof full - 1 && (ok || (n && full[n - 1] != '-')))
                full[n++] = ok ? ch : '-';
        }
        h = (h ^ 0xff) * 1099511628211ULL;
    }
    if (n == 0)
        full[n++] = 'x';
    full[n] = '\0';
    if (n <= SOUK_CATALOG_SKU_MAX) {
        memcpy(out, full, n + 1);
        return;
    }
    snprintf(out, SOUK_CATALOG_SKU_MAX + 1, "%.*s-%016llx", SOUK_CATALOG_SKU_MAX - 17, full, (unsigned long long)h);
}

int souk__xc_product_in(const souk__xc_product *p, const char *currency, int64_t brand, int64_t category, souk_arena *a,
                        souk_product_in *out)
{
    memset(out, 0, sizeof *out);
    out->title = p->title;
    out->description = p->description;
    out->status = p->status;
    out->brand_id = brand;
    out->category_id = category;
    out->external_ref = souk_arena_printf(a, "shopify:%s", p->handle);
    out->slug = souk_catalog_check_slug(p->handle, strlen(p->handle)) ? NULL : p->handle;
    if (!out->external_ref)
        return -1;
    if (*p->tags) {
        const char **k = souk_arena_alloc(a, sizeof *k), **v = souk_arena_alloc(a, sizeof *v);
        if (!k || !v)
            return -1;
        k[0] = "tags";
        v[0] = p->tags;
        out->attributes = (souk_json_strmap){k, v, 1};
    }
    if (p->nimages) {
        souk_image_in *img = souk_arena_calloc(a, p->nimages * sizeof *img);
        if (!img)
            return -1;
        for (size_t i = 0; i < p->nimages; i++) {
            img[i].url = p->images[i].url;
            img[i].alt = p->images[i].alt;
        }
        out->images = (souk_json_array){img, p->nimages};
    }
    if (p->nvariants) {
        souk_variant_in *v = souk_arena_calloc(a, p->nvariants * sizeof *v);
        souk_price_in *pr = souk_arena_calloc(a, p->nvariants * sizeof *pr);
        if (!v || !pr)
            return -1;
        for (size_t i = 0; i < p->nvariants; i++) {
            const souk__xc_variant *x = &p->variants[i];
            v[i].sku = x->sku;
            v[i].title = x->title;
            v[i].position = (int64_t)i;
            v[i].status = SOUK_VARIANT_ACTIVE;
            if (p->nopts) {
                const char **keys = souk_arena_alloc(a, (size_t)p->nopts * sizeof *keys);
                const char **vals = souk_arena_alloc(a, (size_t)p->nopts * sizeof *vals);
                if (!keys || !vals)
                    return -1;
                for (int k = 0; k < p->nopts; k++) {
                    keys[k] = p->opt_names[k];
                    vals[k] = x->values[k];
                }
                v[i].options = (souk_json_strmap){keys, vals, (size_t)p->nopts};
            }
            pr[i] = (souk_price_in){x->price, currency, 0, 0};
            v[i].prices = (souk_json_array){&pr[i], 1};
        }
        out->variants = (souk_json_array){v, p->nvariants};
    }
    return 0;
}
