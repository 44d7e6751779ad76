/*
 * catalog.h — products, variants, prices, categories, brands and vendors.
 *
 * The catalog owns its tables (vendors, brands, categories, products,
 * product_attributes, product_images, variants, variant_prices,
 * product_prices); other contexts use these functions and never name those
 * tables. Reads return jansson objects in the API's shape
 * (docs/api-shapes.md); writes take decoded input structs (see the
 * souk_catalog_*_spec tables, which the HTTP layer and the importers share).
 *
 * Return convention: a souk_err —
 *   SOUK_OK
 *   SOUK_E_VALIDATION   bad input; one problem per field in PR
 *   SOUK_E_CONFLICT     the current state forbids it (slug or SKU taken, a
 *                       category still in use); problems in PR
 *   SOUK_E_NOT_FOUND    the object (or the one it belongs to) does not exist
 *   SOUK_E_UNAVAILABLE  the database stayed busy: a transient failure, retry
 *                       later (503). Functions ending in _tx return it so that
 *                       the caller's transaction is run again.
 *   SOUK_E_INTERNAL     anything else (logged by the store)
 * Problem strings are copied into the arena A. Every write without _tx runs
 * in one transaction of its own (souk_store_run: retried while the database
 * reports a transient failure) and bumps the object's updated_at; it must not
 * be called inside another transaction.
 *
 * Read from elsewhere: the catalog reads the inventory's published read
 * model variant_availability (see inventory.h) for "available" in product
 * detail and the in_stock list filter — and no other inventory table. It
 * includes no inventory header.
 */
#ifndef SOUK_CATALOG_H
#define SOUK_CATALOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/query.h"
#include "fx/fx.h"
#include "store/store.h"

/* ---- limits (also in the OpenAPI document) ---- */
#define SOUK_CATALOG_NAME_MAX 200
#define SOUK_CATALOG_SLUG_MAX 100
#define SOUK_CATALOG_DESC_MAX 20000
#define SOUK_CATALOG_SKU_MAX 64
#define SOUK_CATALOG_ATTRS_MAX 50
#define SOUK_CATALOG_IMAGES_MAX 20
#define SOUK_CATALOG_VARIANTS_MAX 100
#define SOUK_CATALOG_OPTIONS_MAX 10
#define SOUK_CATALOG_LIST_MAX 100
#define SOUK_CATALOG_FILTER_ATTRS_MAX 8
#define SOUK_CATALOG_COMMISSION_MAX 10000 /* basis points: 100 % */

typedef enum { SOUK_STATUS_DRAFT, SOUK_STATUS_ACTIVE, SOUK_STATUS_ARCHIVED, SOUK_STATUS_ANY } souk_product_status;
typedef enum { SOUK_VARIANT_ACTIVE, SOUK_VARIANT_ARCHIVED } souk_variant_status;

/* ---- decoded inputs ---- */
typedef struct souk_price_in {
    int64_t amount;
    const char *currency;
    uint64_t present, nulls;
} souk_price_in;

typedef struct souk_image_in {
    const char *url, *alt;
    int64_t width, height;
    uint64_t present, nulls;
} souk_image_in;

/* field indexes; PRICES exists in the create spec only, STATUS in the update spec only */
enum { SOUK_VF_SKU, SOUK_VF_TITLE, SOUK_VF_OPTIONS, SOUK_VF_POSITION, SOUK_VF_PRICES = 4, SOUK_VF_STATUS = 4 };
typedef struct souk_variant_in {
    const char *sku, *title;
    souk_json_strmap options;
    souk_json_array prices; /* souk_price_in (create only) */
    int64_t position;
    int status; /* souk_variant_status */
    uint64_t present, nulls;
} souk_variant_in;

enum {
    SOUK_PF_TITLE,
    SOUK_PF_SLUG,
    SOUK_PF_DESCRIPTION,
    SOUK_PF_STATUS,
    SOUK_PF_BRAND,
    SOUK_PF_VENDOR,
    SOUK_PF_CATEGORY,
    SOUK_PF_ATTRIBUTES,
    SOUK_PF_IMAGES,
    SOUK_PF_VARIANTS
};
typedef struct souk_product_in {
    const char *title, *slug, *description;
    int status; /* souk_product_status */
    int64_t brand_id, vendor_id, category_id;
    souk_json_strmap attributes;
    souk_json_array images;   /* souk_image_in */
    souk_json_array variants; /* souk_variant_in */
    const char *external_ref; /* importers only; not in the JSON spec */
    uint64_t present, nulls;
} souk_product_in;

/* field indexes; PARENT and POSITION exist in the category specs only,
 * COMMISSION (same index as PARENT) in the vendor specs only */
enum { SOUK_TF_NAME, SOUK_TF_SLUG, SOUK_TF_PARENT, SOUK_TF_POSITION, SOUK_TF_COMMISSION = 2 };
/* categories, brands and vendors ("taxons") */
typedef struct souk_taxon_in {
    const char *name, *slug;
    int64_t parent_id, position; /* categories only */
    int64_t commission_bp;       /* vendors only: 0..SOUK_CATALOG_COMMISSION_MAX */
    uint64_t present, nulls;
} souk_taxon_in;

typedef enum { SOUK_TAXON_CATEGORY, SOUK_TAXON_BRAND, SOUK_TAXON_VENDOR } souk_taxon_kind;

typedef struct souk_amount_in {
    int64_t amount;
    uint64_t present, nulls;
} souk_amount_in;

/* JSON specs: create (required fields enforced) and update (all optional). */
extern const souk_json_spec souk_catalog_product_create_spec, souk_catalog_product_update_spec;
extern const souk_json_spec souk_catalog_variant_create_spec, souk_catalog_variant_update_spec;
extern const souk_json_spec souk_catalog_category_create_spec, souk_catalog_category_update_spec;
extern const souk_json_spec souk_catalog_taxon_create_spec, souk_catalog_taxon_update_spec;   /* brands */
extern const souk_json_spec souk_catalog_vendor_create_spec, souk_catalog_vendor_update_spec; /* + commission_bp */
extern const souk_json_spec souk_catalog_amount_spec;

/* The create (UPDATE false) or update spec that decodes a souk_taxon_in of
 * KIND: category, brand (souk_catalog_taxon_*) or vendor. */
const souk_json_spec *souk_catalog_taxon_spec(souk_taxon_kind kind, bool update);

/* ---- listing ---- */
typedef enum { SOUK_SORT_NEWEST, SOUK_SORT_PRICE_ASC, SOUK_SORT_PRICE_DESC, SOUK_SORT_NAME } souk_catalog_sort;

typedef struct souk_catalog_filter {
    const char *category, *brand, *vendor; /* id or slug, as given */
    bool has_price_min, has_price_max;
    int64_t price_min, price_max;
    char currency[4];
    struct {
        const char *name, *value;
    } attrs[SOUK_CATALOG_FILTER_ATTRS_MAX];
    size_t nattrs;
    bool has_in_stock, in_stock; /* in_stock=true|false: any active variant with available > 0 */
    souk_catalog_sort sort;
    int limit;
    souk_product_status status;
    bool has_cursor;
    int64_t cursor_id;
    int64_t cursor_key;      /* price sorts */
    const char *cursor_text; /* name sort */
    /* display conversion (fx.h): rows without a price in CURRENCY show their
     * store-currency price converted with it; NULL: none. Price filters and
     * sorts use explicit prices only. */
    const souk_fx_quote *fx;
    /* the locale the rows are shown in (i18n.h): titles and taxon names are
     * its translations where there are some, the objects' own fields
     * elsewhere; NULL: the default locale. Filters and the name sort use
     * the objects' own fields (the default locale's). */
    const char *locale;
} souk_catalog_filter;

/* Parses the product-list query parameters (see docs/api-shapes.md). Returns
 * 0, or -1 with one problem per bad parameter in PR. Does not touch the
 * database; unknown category/brand/vendor are reported by souk_catalog_list. */
int souk_catalog_filter_parse(souk_catalog_filter *f, const souk_query *q, const char *default_currency, souk_arena *a,
                              souk_problems *pr);

/* One page of products, {"data":[summary...],"next_cursor":string|null},
 * appended as JSON text to OUT (the fast path the API uses); strings of the
 * page live in A. VALIDATION ("category", "brand", "vendor": no such one)
 * when a taxon of F does not resolve; on any error OUT may hold a partial
 * page. */
souk_err souk_catalog_list_write(souk_store *db, const souk_catalog_filter *f, souk_arena *a, souk_problems *pr,
                                 souk_buf *out);

/* The same page as a jansson object (caller decrefs). */
souk_err souk_catalog_list(souk_store *db, const souk_catalog_filter *f, souk_arena *a, souk_problems *pr,
                           json_t **out);

/* ---- reads ---- */
/* Product by "prod_…" id or slug. ADMIN_VIEW shows drafts, archived products
 * and archived variants. NOT_FOUND when absent or hidden. */
souk_err souk_catalog_product_get(souk_store *db, const char *id_or_slug, bool admin_view, json_t **out);

/* Same, by numeric id. */
souk_err souk_catalog_product_get_id(souk_store *db, int64_t id, bool admin_view, json_t **out);

/* The same document as souk_catalog_product_get, appended as JSON text to
 * OUT (the fast path the API uses). In the public view (!ADMIN_VIEW) each
 * variant's "available" is a live marker (core/live.h), which the sender must
 * fill in (souk_res.live); the admin view writes the number. NOT_FOUND when
 * absent or hidden, INTERNAL when OUT ran out of room; on any error OUT may
 * hold a partial document. */
souk_err souk_catalog_product_write(souk_store *db, const char *id_or_slug, bool admin_view, souk_buf *out);

/* Same, with in *UNTIL the time (µs, wall clock) the document next changes
 * by itself — a flash sale on the product starting or ending, when each
 * price shows or drops its "sale" — or 0: a cached copy must not outlive it. */
souk_err souk_catalog_product_write_until(souk_store *db, const char *id_or_slug, bool admin_view, souk_buf *out,
                                          int64_t *until);

/* Same, with display conversion when FX is not NULL (fx.h): every variant
 * without an explicit price in FX->to gets one more price, its price in the
 * store currency (FX->from) converted, marked "converted" with the rate —
 * after its explicit prices. An explicit price in FX->to always wins. */
souk_err souk_catalog_product_write_fx(souk_store *db, const char *id_or_slug, bool admin_view, const souk_fx_quote *fx,
                                       souk_buf *out, int64_t *until);

/* When the next flash sale starts or ends after NOW (µs; 0: none), for the
 * answers that show sale prices (lists, search hits) to be cached no longer;
 * NOW itself when it cannot be read (then nothing is cached). */
/* souk_catalog_product_write_fx shown in LOCALE (NULL: the default): the
 * title, description, attribute values and the brand's and category's names
 * are that locale's translations (i18n_translations, i18n.h) where there are
 * some and the product's own fields elsewhere, field by field. */
souk_err souk_catalog_product_write_locale(souk_store *db, const char *id_or_slug, bool admin_view,
                                           const souk_fx_quote *fx, const char *locale, souk_buf *out, int64_t *until);

/* souk_catalog_product_get in LOCALE (NULL: the default), as
 * souk_catalog_product_write_locale shows it. */
souk_err souk_catalog_product_get_locale(souk_store *db, const char *id_or_slug, bool admin_view, const char *locale,
                                         json_t **out);

/* The category tree (souk_catalog_categories) and the brand or vendor list
 * (souk_catalog_taxons) with the names in LOCALE where translated (NULL: the
 * default; vendors' names are never translated). */
souk_err souk_catalog_categories_locale(souk_store *db, const char *locale, json_t **out);
souk_err souk_catalog_taxons_locale(souk_store *db, souk_taxon_kind kind, const char *locale, json_t **out);

int64_t souk_catalog_flash_next_edge(souk_store *db, int64_t now);

/* Same, by numeric id. */
souk_err souk_catalog_product_write_id(souk_store *db, int64_t id, bool admin_view, souk_buf *out);

/* The vendor of product ID (0 = none) into *VENDOR. SOUK_OK, NOT_FOUND or INTERNAL. */
souk_err souk_catalog_product_vendor(souk_store *db, int64_t id, int64_t *vendor);

/* The product of variant ID into *PRODUCT. SOUK_OK, NOT_FOUND, or a
 * database error (UNAVAILABLE / INTERNAL). Also a plain "does this variant
 * exist" for other contexts (inventory). */
souk_err souk_catalog_variant_product(souk_store *db, int64_t id, int64_t *product);

/* The first (lowest id) variant of product ID into *VARIANT: the only one of
 * an imported single-variant product. SOUK_OK, NOT_FOUND, or a database error. */
souk_err souk_catalog_product_first_variant(souk_store *db, int64_t id, int64_t *variant);

/* Up to MAX ids of active variants greater than AFTER, ascending, into IDS
 * (the caller's array of MAX); *COUNT gets how many (0: no more). Page
 * through them with AFTER = the last id of the previous page, starting at 0.
 * SOUK_OK or a database error. For bulk jobs of other contexts (the demo's
 * stock), which must not read the variants table themselves. */
souk_err souk_catalog_active_variants(souk_store *db, int64_t after, int64_t *ids, int max, int *count);

/* Variant by numeric id (admin shape). */
souk_err souk_catalog_variant_get(souk_store *db, int64_t id, json_t **out);

/* {"data":[category tree]} with active-product counts per subtree. */
souk_err souk_catalog_categories(souk_store *db, json_t **out);

/* One category (children []) by numeric id. */
souk_err souk_catalog_category_get(souk_store *db, int64_t id, json_t **out);

/* {"data":[brand|vendor...]} with active-product counts; vendors also carry
 * "commission_bp". */
souk_err souk_catalog_taxons(souk_store *db, souk_taxon_kind kind, json_t **out);

/* One brand or vendor by numeric id. */
souk_err souk_catalog_taxon_get(souk_store *db, souk_taxon_kind kind, int64_t id, json_t **out);

/* ---- writes ---- */
/* Creates a product with its images, attributes and variants (IN decoded
 * with souk_catalog_product_create_spec; IN->status as given, the HTTP layer
 * defaults it to draft). A missing slug is derived from the title and made
 * unique; a missing variant position is its index. *ID gets the new id on
 * SOUK_OK and is untouched otherwise. Errors: VALIDATION (a brand_id,
 * vendor_id or category_id that does not exist; a currency twice in one
 * variant's prices: "variants[i].prices[j].currency"), CONFLICT ("slug"
 * taken; "variants[i].sku" taken or repeated — all reported at once). Nothing
 * is written unless SOUK_OK. IN and A stay the caller's. */
souk_err souk_catalog_product_create(souk_store *db, const souk_product_in *in, souk_arena *a, souk_problems *pr,
                                     int64_t *id);

/* The same inside a write transaction the caller runs (batch importers):
 * returns UNAVAILABLE when the caller must retry its transaction, and on any
 * error the caller should roll back (what was written so far stays in its
 * transaction). */
souk_err souk_catalog_product_create_tx(souk_store *db, const souk_product_in *in, souk_arena *a, souk_problems *pr,
                                        int64_t *id);

/* Creates the product, or — when IN->external_ref (required) already
 * exists — updates its title and description and upserts the prices of its
 * single variant (matched by SKU). *ID gets the product's id, *CREATED which
 * of the two happened, *CHANGED (optional) whether anything was written.
 * Runs inside the caller's transaction; errors as for
 * souk_catalog_product_create_tx. */
souk_err souk_catalog_product_upsert_external_tx(souk_store *db, const souk_product_in *in, souk_arena *a,
                                                 souk_problems *pr, int64_t *id, bool *created, bool *changed);

/* Makes the product of IN->external_ref (required) look like IN, inside the
 * caller's transaction (bulk importers; sync.c): creates it when there is
 * none — unless IN->slug names a product without an external reference,
 * which is then adopted (it takes IN->external_ref); a slug taken otherwise
 * is derived from the title instead — or else writes only what differs:
 * title, description, status, brand_id and category_id (0 = none), the
 * attributes and the images (each list replaced when it differs), each
 * variant by SKU (inserted, updated, its prices upserted in the currencies
 * IN names) and archives the active variants IN no longer lists. vendor_id
 * is left as it is. *ID gets the product, *CREATED whether it was new,
 * *CHANGED whether anything was written, VARIANT_IDS (optional, room for
 * IN->variants.count) the variant id of each input variant. Errors as for
 * souk_catalog_product_create_tx, and CONFLICT "variants[i].sku" for a SKU
 * of another product or one listed twice (checked before anything is
 * written). */
souk_err souk_catalog_product_sync_external_tx(souk_store *db, const souk_product_in *in, souk_arena *a,
                                               souk_problems *pr, int64_t *id, bool *created, bool *changed,
                                               int64_t *variant_ids);

/* One product of a page for exporters: its id and external reference
 * ("" when it has none, or one longer than the buffer). */
typedef struct souk_catalog_product_ref {
    int64_t id;
    char external_ref[256];
} souk_catalog_product_ref;

/* Up to MAX products of any status with an id greater than AFTER, ascending,
 * into ROWS; *COUNT gets how many (0: no more). SOUK_OK or a database error. */
souk_err souk_catalog_products_page(souk_store *db, int64_t after, souk_catalog_product_ref *rows, int max, int *count);

/* Applies the fields present in IN (decoded with
 * souk_catalog_product_update_spec; a null brand_id/vendor_id/category_id
 * clears it) to product ID; attributes and images, when present, replace the
 * old ones. Errors: NOT_FOUND (no product ID), VALIDATION (a reference that
 * does not exist), CONFLICT ("slug" taken by another product). */
souk_err souk_catalog_product_update(souk_store *db, int64_t id, const souk_product_in *in, souk_arena *a,
                                     souk_problems *pr);

/* Sets product ID's status to archived (archiving again is fine).
 * NOT_FOUND when there is no product ID. */
souk_err souk_catalog_product_archive(souk_store *db, int64_t id);

/* Adds a variant to product PRODUCT_ID (IN decoded with
 * souk_catalog_variant_create_spec; without a position it goes last) and
 * recomputes the product's lowest prices. *ID gets the new variant id on
 * SOUK_OK. Errors: NOT_FOUND (no such product), VALIDATION (a currency twice
 * in its prices), CONFLICT ("sku" taken). */
souk_err souk_catalog_variant_create(souk_store *db, int64_t product_id, const souk_variant_in *in, souk_arena *a,
                                     souk_problems *pr, int64_t *id);

/* Applies the fields present in IN (decoded with
 * souk_catalog_variant_update_spec; status "archived" archives it) to
 * variant ID and recomputes its product's lowest prices. Errors: NOT_FOUND
 * (no variant ID), CONFLICT ("sku" taken by another variant). */
souk_err souk_catalog_variant_update(souk_store *db, int64_t id, const souk_variant_in *in, souk_arena *a,
                                     souk_problems *pr);

/* Sets (AMOUNT >= 0) or removes (AMOUNT < 0) the price of variant
 * VARIANT_ID in CURRENCY (3 letters, already validated) and recomputes its
 * product's lowest prices. NOT_FOUND when there is no such variant, or when
 * removing a price the variant does not have. No problems are reported. */
souk_err souk_catalog_price_set(souk_store *db, int64_t variant_id, const char *currency, int64_t amount);

/* Creates a category, brand or vendor (KIND); IN is decoded with
 * souk_catalog_taxon_spec(KIND, false). A missing slug is derived from the
 * name and made unique among that kind; a vendor's commission_bp defaults to
 * 0. *ID gets the new id on SOUK_OK. Errors: VALIDATION ("parent_id" that
 * does not exist; "commission_bp" outside 0..SOUK_CATALOG_COMMISSION_MAX),
 * CONFLICT ("slug" taken). */
souk_err souk_catalog_taxon_create(souk_store *db, souk_taxon_kind kind, const souk_taxon_in *in, souk_arena *a,
                                   souk_problems *pr, int64_t *id);

/* Applies the fields present in IN (decoded with
 * souk_catalog_taxon_spec(KIND, true)) to the taxon ID of KIND; a vendor's
 * commission changes only when present, a null parent_id makes a category a
 * root. Errors: NOT_FOUND (no such taxon), VALIDATION ("parent_id" that does
 * not exist or would make the category its own ancestor; "commission_bp"),
 * CONFLICT ("slug" taken). */
souk_err souk_catalog_taxon_update(souk_store *db, souk_taxon_kind kind, int64_t id, const souk_taxon_in *in,
                                   souk_arena *a, souk_problems *pr);

/* Deletes category ID. NOT_FOUND when there is none; CONFLICT while it has
 * sub-categories ("children") or products of any status ("products"). */
souk_err souk_catalog_category_delete(souk_store *db, int64_t id, souk_arena *a, souk_problems *pr);

/* ---- published for other contexts: cart and orders ---- */
/* Read-only views (migration 0020), the catalog's public contract for code
 * that must join its goods in one query on a hot path (the cart prices its
 * lines with them). Other contexts read these, never the tables behind them:
 *   catalog_offers(variant_id, product_id, sku, product_title, variant_title,
 *                  purchasable)  one row per variant; purchasable = 1 when the
 *                  variant and its product are both active, else 0
 *   catalog_offer_prices(variant_id, currency, amount)  the variant's price in
 *                  each currency it has one in, integer minor units
 * Columns may be added; these keep their names and meaning. */

/* The vendor of product PRODUCT (0 = the shop's own goods) and that vendor's
 * commission in basis points (0 for the shop's own), as they are now: what a
 * marketplace order splits by at checkout. SOUK_OK, NOT_FOUND (no such
 * product), or INTERNAL / UNAVAILABLE (retry the transaction). */
souk_err souk_catalog_product_terms(souk_store *db, int64_t product, int64_t *vendor, int64_t *commission_bp);

/* ---- helpers shared with importers ---- */
/* Writes a URL slug for TEXT into OUT (SOUK_CATALOG_SLUG_MAX + 1 bytes):
 * lower-case ASCII letters and digits separated by single hyphens. Returns
 * its length (0 when TEXT has no usable characters). */
size_t souk_catalog_slugify(const char *text, char *out);

/* Validators used by the specs; NULL when fine, else the message. */
const char *souk_catalog_check_slug(const char *s, size_t len);
const char *souk_catalog_check_sku(const char *s, size_t len);
const char *souk_catalog_check_attr_name(const char *s, size_t len);
const char *souk_catalog_check_currency(const char *s, size_t len);

/* A query-string parser (core/query_spec.h SOUK_QUERY_F_CUSTOM) for a
 * currency parameter: V (LEN bytes) checked as souk_catalog_check_currency
 * does, copied with its NUL into DST (char[4]). NULL, or the problem. */
const char *souk_catalog_query_currency(const char *v, size_t len, void *dst, souk_arena *a);

/* True when the query parameter KEY is an attribute filter "attr.NAME". */
bool souk_catalog_is_attr_param(const char *key);

/* Why item I of Q, an "attr.NAME" parameter, is no attribute filter, or
 * NULL when it is one: the parameter repeated, a NAME that is no attribute
 * name, or a value over 200 characters (or empty, unless ALLOW_EMPTY). The
 * product list and search read attribute filters alike. */
const char *souk_catalog_attr_param_problem(const souk_query *q, size_t i, bool allow_empty);

/* The store version (souk_store_touch) every catalog or stock write bumps:
 * what public, cacheable answers show has changed. */
#define SOUK_CONTENT "content"

/* The store version every write of a category (created, changed or
 * deleted) bumps as well: what the category tree's readers (the cart's
 * promotions, whose category sets stand for subtrees) must read again. */
#define SOUK_CATALOG_TREE "catalog_tree"

/* ---- lookups for other contexts (lookup.c) ---- */

/* SOUK_OK when vendor ID exists, SOUK_E_NOT_FOUND when not, or the mapped
 * database failure (SOUK_E_UNAVAILABLE / SOUK_E_INTERNAL). For identity,
 * which ties vendor accounts to a vendor. */
souk_err souk_catalog_vendor_exists(souk_store *db, int64_t id);

/* *EMPTY = true when the catalog has no product and no category (brands and
 * vendors do not count): what `souk demo` needs to start. SOUK_OK or the
 * mapped database failure. */
souk_err souk_catalog_is_empty(souk_store *db, bool *empty);

/* Resolves a category, brand or vendor (KIND) given as its typed id
 * ("brand_…") or its slug, as the product list's filters take them, into
 * *ID. SOUK_OK, SOUK_E_NOT_FOUND (no such one), or the mapped database
 * failure. For search, whose filters name taxa the same way. */
souk_err souk_catalog_taxon_resolve(souk_store *db, souk_taxon_kind kind, const char *id_or_slug, int64_t *id);

/* The summaries of the active products IDS[0..N) (N <= SOUK_CATALOG_LIST_MAX),
 * in that order, as a JSON array appended to OUT, each exactly as the product
 * list renders one (prices in CURRENCY, already validated), with
 * "score": SCORES[i] added when SCORES is not NULL. A product that is not
 * (or no longer) active is left out; *WRITTEN (optional) gets how many
 * were written. For search, which ranks ids and shows them as the list
 * does. SOUK_OK or the mapped database failure (OUT may then hold a
 * partial array). */
souk_err souk_catalog_summaries_write(souk_store *db, const int64_t *ids, size_t n, const double *scores,
                                      const char *currency, souk_arena *a, souk_buf *out, size_t *written);

/* The same, with the JSON members EXTRAS[i] (a fragment such as
 * "\"highlight\":{…}", already valid JSON; NULL or "" = none) added to
 * summary i after its score. EXTRAS may be NULL. For search's highlights. */
souk_err souk_catalog_summaries_write_extra(souk_store *db, const int64_t *ids, size_t n, const double *scores,
                                            const char *const *extras, const char *currency, souk_arena *a,
                                            souk_buf *out, size_t *written);

/* The same, with display conversion: a product without a price in CURRENCY
 * shows its store-currency price converted with FX (fx.h; marked
 * "converted"), when FX is not NULL. For search's ?currency=. */
souk_err souk_catalog_summaries_write_fx(souk_store *db, const int64_t *ids, size_t n, const double *scores,
                                         const char *const *extras, const char *currency, const souk_fx_quote *fx,
                                         souk_arena *a, souk_buf *out, size_t *written);

/* ---- product images (image_*.c; docs/images.md, docs/internals/images.md) ---- */

typedef enum souk_image_format {
    SOUK_IMAGE_NONE = 0,
    SOUK_IMAGE_JPEG,
    SOUK_IMAGE_PNG,
    SOUK_IMAGE_WEBP,
    SOUK_IMAGE_GIF,
} souk_image_format;

#define SOUK_IMAGE_HASH_HEX 32    /* a stored image's name: the BLAKE2b-128 of the uploaded bytes, in hex */
#define SOUK_IMAGE_WIDTHS_MAX 3   /* derived widths: 160, 480, 960 (never wider than the original) */
#define SOUK_IMAGE_SIDE_MAX 16384 /* the longest side accepted, in pixels */

/* The format BYTES[0..N) claim by their magic bytes, provided they also end
 * where that format ends (JPEG EOI, PNG IEND, RIFF size = file size, GIF
 * trailer), or SOUK_IMAGE_NONE with a sentence for the client in *WHY.
 * Pure: no allocation, no decoder. */
souk_image_format souk_catalog_image_sniff(const unsigned char *bytes, size_t n, const char **why);

/* "image/jpeg" … for F, NULL for NONE. */
const char *souk_catalog_image_mime(souk_image_format f);
/* "jpg", "png", "webp", "gif" for F, NULL for NONE. */
const char *souk_catalog_image_ext(souk_image_format f);
/* The format of an extension (exact, lower case), or NONE. */
souk_image_format souk_catalog_image_format_of_ext(const char *ext, size_t len);
/* The format of a Content-Type value (parameters ignored, case-insensitive), or NONE. */
souk_image_format souk_catalog_image_format_of_mime(const char *content_type);

/* The derived widths of an image WIDTH pixels wide, ascending, into OUT:
 * 160, 480, 960 below WIDTH, then WIDTH itself once (never upscaled).
 * Returns how many (0 for WIDTH <= 0). */
int souk_catalog_image_widths(int64_t width, int out[SOUK_IMAGE_WIDTHS_MAX]);

/* Parses a served file name "<hash>.<ext>" (the stripped original) or
 * "<hash>-<width>.<ext>" (a derived size). True with HASH, WIDTH (0 for the
 * original) and FMT filled; false for anything else (no '/', no "..", no
 * other characters can pass). */
bool souk_catalog_media_name_parse(const char *name, char hash[SOUK_IMAGE_HASH_HEX + 1], int *width,
                                   souk_image_format *fmt);

/* Image settings, read once from the environment: SOUK_MEDIA_DIR (default
 * <directory of the SQLite file>/media, or ./media for PostgreSQL),
 * SOUK_IMAGE_MAX_BYTES (default 10 MiB, 1 KiB..64 MiB), SOUK_IMAGE_MAX_PIXELS
 * (default 40,000,000, 1..268,435,456). DB_DSN is the configured database. */
typedef struct souk_image_settings {
    char media_dir[1024];
    size_t max_bytes;
    int64_t max_pixels;
} souk_image_settings;
const souk_image_settings *souk_catalog_image_settings(const char *db_dsn);

/* A checked, stripped image ready to store (souk_catalog_image_prepare). */
typedef struct souk_image_prepared {
    souk_image_format format;
    int width, height;
    char hash[SOUK_IMAGE_HASH_HEX + 1];
    bool derived; /* its sizes were written already (souk_catalog_image_derive): attach queues no job */
} souk_image_prepared;

/* Checks BYTES[0..N) as an image of format EXPECT (NONE = any accepted):
 * size within S->max_bytes, magic bytes and ending (souk_catalog_image_sniff),
 * the header decoded by libvips' loader for that format only (never a
 * delegate such as SVG, PDF or ImageMagick) and its dimensions within
 * SOUK_IMAGE_SIDE_MAX and S->max_pixels before any pixel is decoded; then
 * decodes it fully and writes it again in its own format without metadata
 * (EXIF, XMP, IPTC, GPS; an ICC profile is turned into sRGB pixels) as
 * S->media_dir/<hash>.<ext>, where hash is that of BYTES (already there:
 * left as it is). CPU-heavy: never on an event loop. Returns SOUK_OK with
 * OUT filled; SOUK_E_VALIDATION (a sentence in *WHY) for a refused file;
 * SOUK_E_PAYLOAD_TOO_LARGE for too many bytes or pixels; SOUK_E_INTERNAL
 * when the file cannot be written. */
souk_err souk_catalog_image_prepare(const souk_image_settings *s, const unsigned char *bytes, size_t n,
                                    souk_image_format expect, souk_image_prepared *out, const char **why);

/* Records the prepared image IMG as the last image of PRODUCT with ALT
 * (NULL = ""), and queues the job that derives its sizes unless they exist.
 * The same image twice on one product is one image (*CREATED false).
 * SOUK_OK with *IMAGE_ID; NOT_FOUND (no product); CONFLICT (the product
 * has SOUK_CATALOG_IMAGES_MAX images). */
souk_err souk_catalog_image_attach(souk_store *db, int64_t product, const souk_image_prepared *img, const char *alt,
                                   int64_t *image_id, bool *created);

/* Removes image IMAGE of PRODUCT (the files stay: other products may show
 * them, and cached pages may still name them). SOUK_OK or NOT_FOUND. */
souk_err souk_catalog_image_delete(souk_store *db, int64_t product, int64_t image);

/* Writes the derived sizes of the stored image HASH (format FMT, WIDTH
 * wide): each width of souk_catalog_image_widths in WebP and in FMT, as
 * <hash>-<w>.<ext>, skipping files already there. 0, or -1 with a reason in ERR. */
int souk_catalog_image_derive(const souk_image_settings *s, const char *hash, souk_image_format fmt, char *err,
                              size_t errlen);

/* A generated SIZE×SIZE (16..4096) PNG picture — a gradient and a disc
 * whose colours and place come from SEED — for the demo store, in a buffer
 * the caller frees with free(). 0, or -1. */
int souk_catalog_image_generate(unsigned seed, int size, void **png, size_t *len);

/* souk_catalog_image_attach inside the caller's open write transaction
 * (the demo's batches); returns the souk_err of the body. */
souk_err souk_catalog_image_attach_tx(souk_store *db, int64_t product, const souk_image_prepared *img, const char *alt,
                                      int64_t *image_id, bool *created);

/* Registers the job kind "catalog.image.derive" (payload {"hash"}), which
 * derives the sizes and marks the image derived (the product JSON then
 * shows its srcset). Call from souk_background_register. */
void souk_catalog_register_jobs(void);

/* Id prefixes in the API. */
#define SOUK_PREFIX_PRODUCT "prod"
#define SOUK_PREFIX_VARIANT "var"
#define SOUK_PREFIX_CATEGORY "cat"
#define SOUK_PREFIX_BRAND "brand"
#define SOUK_PREFIX_VENDOR "vend"
#define SOUK_PREFIX_IMAGE "img"

#endif
