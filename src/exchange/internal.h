/*
 * internal.h — shared by the exchange's .c files (souk__xc_ prefix) and its
 * fuzz driver: the Shopify row mapping (shopify_map.c), which is pure (no
 * database), and the description's HTML ⇄ text (html.c).
 */
#ifndef SOUK_EXCHANGE_INTERNAL_H
#define SOUK_EXCHANGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "core/arena.h"
#include "core/buf.h"
#include "exchange/exchange.h"
#include "i18n/i18n.h"

/* The columns the importer reads (any order; others are ignored). */
enum {
    XC_HANDLE,
    XC_TITLE,
    XC_BODY,
    XC_VENDOR,
    XC_PRODUCT_CATEGORY,
    XC_TYPE,
    XC_TAGS,
    XC_PUBLISHED,
    XC_OPT1_NAME,
    XC_OPT1_VALUE,
    XC_OPT2_NAME,
    XC_OPT2_VALUE,
    XC_OPT3_NAME,
    XC_OPT3_VALUE,
    XC_SKU,
    XC_QTY,
    XC_PRICE,
    XC_IMAGE_SRC,
    XC_IMAGE_POSITION,
    XC_IMAGE_ALT,
    XC_STATUS,
    XC_NCOLS
};

#define XC_LOCALES_MAX SOUK_I18N_LOCALES_MAX

/* Where each column is in the file (-1: absent), and the translation
 * columns "Title (fr)" and "Body (HTML) (fr)" of each locale the header
 * names (docs/languages.md), in the order first seen. */
typedef struct souk__xc_cols {
    int at[XC_NCOLS];
    size_t nlocales;
    struct {
        char tag[SOUK_I18N_TAG_MAX];
        int title, body; /* -1: absent */
    } locales[XC_LOCALES_MAX];
} souk__xc_cols;

/* Reads the header FIELDS[0..N): every known column found (names compared
 * without case and surrounding spaces; "Type" also as "Product Type").
 * Returns NULL, or why the file cannot be imported (Handle or Title
 * missing, a column twice, a translation column whose "(tag)" is no
 * language tag, more than XC_LOCALES_MAX locales). */
const char *souk__xc_header(souk__xc_cols *c, const char *const *fields, size_t n);

typedef struct souk__xc_variant {
    const char *sku, *title;
    const char *values[3]; /* per option; NULL when the product has fewer */
    int64_t price;         /* minor units */
    int64_t qty;           /* -1: not given */
    uint64_t line;
} souk__xc_variant;

typedef struct souk__xc_image {
    const char *url, *alt;
    int64_t position; /* as given, 0 = none */
    uint64_t line;
} souk__xc_image;

/* One product as its rows describe it; strings in the arena given to
 * souk__xc_row. */
typedef struct souk__xc_product {
    const char *handle, *title, *description, *vendor, *category, *tags;
    /* per locale of the header's translation columns (souk__xc_cols.locales):
     * the title and the description as text; "" = none, NULL = no column */
    const char *loc_title[XC_LOCALES_MAX], *loc_description[XC_LOCALES_MAX];
    int status; /* souk_product_status */
    const char *opt_names[3];
    int nopts;
    souk__xc_variant variants[SOUK_CATALOG_VARIANTS_MAX];
    size_t nvariants;
    souk__xc_image images[SOUK_CATALOG_IMAGES_MAX];
    size_t nimages;
    uint64_t line; /* of the first row */
    uint64_t rows; /* rows that belong to it, bad ones included */
    bool bad;      /* the first row was refused: the product is skipped */
} souk__xc_product;

/* Field I of a row as the mapping reads it. */
typedef struct souk__xc_fields {
    const char *const *f;
    size_t n;
} souk__xc_fields;

/* Field COL of R through C ("" when the column is absent or the row short). */
const char *souk__xc_get(const souk__xc_cols *c, const souk__xc_fields *r, int col);

/* Folds one data row (on LINE) into P: the product's first row when FIRST
 * (P is cleared and filled: product fields, option names, and its variant
 * and image, if any), else a further variant and/or image row of the same
 * Handle. Problems go to REPORT (row by row: a refused row is reported once
 * with its first problem's field); returns the number of problems (0: the
 * row was used). A refused first row marks P bad (the product is skipped). CURRENCY prices the
 * Variant Price. Strings are copied into A. */
int souk__xc_row(souk__xc_product *p, bool first, const souk__xc_cols *c, const souk__xc_fields *r, uint64_t line,
                 const char *currency, souk_arena *a, souk_exchange_report_fn report, void *ctx);

/* Finishes P: images ordered by position (stable). */
void souk__xc_finish(souk__xc_product *p);

/* The catalog input for P (not bad): external_ref "shopify:<handle>", slug
 * the handle when it is a valid slug, variants with their price in
 * CURRENCY, images, the tags as attribute "tags". BRAND and CATEGORY are
 * the ids the caller resolved (0 = none). Arrays in A. 0, or -1 when A ran
 * out. */
int souk__xc_product_in(const souk__xc_product *p, const char *currency, int64_t brand, int64_t category, souk_arena *a,
                        souk_product_in *out);

/* The SKU the importer gives a variant without one: HANDLE and the option
 * VALUES joined by '-', characters a SKU may not have turned into '-',
 * shortened with a hash suffix when longer than SOUK_CATALOG_SKU_MAX. OUT
 * has SOUK_CATALOG_SKU_MAX + 1 bytes. */
void souk__xc_default_sku(const char *handle, const char *const *values, int nvalues, char *out);

/* ---- the description (html.c) ---- */

/* The text a Body (HTML) becomes (the catalog stores and shows plain text):
 * tags dropped (script/style with their content), block ends (p, div, br,
 * li, h1–h6, tr, blockquote, pre) as line breaks, entities decoded (named:
 * amp lt gt quot apos nbsp; numeric), each line's white space collapsed and
 * trimmed, empty lines dropped. Invalid UTF-8 bytes become U+FFFD. Appends
 * to OUT; -1 when OUT is full. */
int souk__xc_html_to_text(const char *html, size_t len, souk_buf *out);

/* The Body (HTML) the exporter writes for TEXT: each line as <p>…</p> with
 * & < > escaped, so that souk__xc_html_to_text gives back TEXT for any TEXT
 * it produced. Appends to OUT; -1 when OUT is full. */
int souk__xc_text_to_html(const char *text, souk_buf *out);

#endif
