/*
 * internal.h — shared by the catalog's .c files only (souk__catalog_ prefix).
 *
 * Conventions inside the catalog: helpers that only talk to the database
 * return a souk_db_status (SOUK_DB_DONE / ROW, or a negative error class);
 * everything that decides an outcome returns a souk_err, mapped from a status
 * with souk_store_dberr (store.h). Transactions run with souk_store_run.
 */
#ifndef SOUK_CATALOG_INTERNAL_H
#define SOUK_CATALOG_INTERNAL_H

#include "catalog/catalog.h"
#include "core/jsonw.h"

/* SQL for "updated_at = NOW, but always later than before" (ETags and
 * caches rely on it moving): P is the parameter holding now, e.g. "$4".
 * Portable form of SQLite's two-argument max(P, updated_at + 1). */
#define SOUK__CATALOG_BUMP(p) "CASE WHEN " p " > updated_at + 1 THEN " p " ELSE updated_at + 1 END"

/* ---- JSON text (render.c; the pieces themselves: core/jsonw.h) ----
 * The list and the detail write their JSON straight into a souk_buf. */

/* {"id","slug","name"} of taxon ID of KIND, or null when ID is 0 or SLUG is
 * NULL (no such row). */
void souk__catalog_put_ref(souk_buf *b, souk_taxon_kind kind, int64_t id, const char *slug, size_t slug_len,
                           const char *name, size_t name_len, souk_jw_esc esc);

/* The image {"id","url","alt","width","height","position"[,"srcset"]} in
 * columns COL … COL+5 of ST's current row (id, url, alt, width, height,
 * position; width and height may be NULL) and, from MEDIA_COL (-1 = none),
 * product_media's hash, format and derived_at (NULLs for an image given as
 * a URL): srcset is left out until the derived sizes exist. */
void souk__catalog_put_image(souk_buf *b, souk_stmt *st, int col, int media_col, souk_jw_esc esc);

/* ---- stored image files (image_codec.c) ---- */

/* S->media_dir/<hash>.<ext> (WIDTH 0) or …/<hash>-<width>.<ext> into OUT. 0 or -1 (too long). */
int souk__catalog_media_path(const souk_image_settings *s, const char *hash, int width, souk_image_format f, char *out,
                             size_t len);
/* Reads the regular file PATH of at most MAX bytes into a malloc'd *BUF. 0 or -1. */
int souk__catalog_media_read(const char *path, size_t max, char **buf, size_t *len);

/* {"average": COUNT ? SUM/COUNT to two decimals : null, "count": COUNT}:
 * a product's approved reviews (the catalog_product_ratings view). */
void souk__catalog_put_rating(souk_buf *b, int64_t count, int64_t sum);

/* ---- the list's refs, remembered per connection (refs.c) ---- */

typedef struct souk__catalog_refs souk__catalog_refs;

/* The memo of rendered refs of DB (kept on the connection, souk_store_memo),
 * emptied first when the catalog's content version moved since it was
 * filled; a stand-in in A that remembers nothing when the connection has no
 * memo slot left. NULL when the version cannot be read (or memory ran out). */
souk__catalog_refs *souk__catalog_refs_open(souk_store *db, souk_arena *a);

/* Appends the ref {"id","slug","name"} of taxon ID of KIND (HTML_SAFE, as
 * the list writes it) to OUT, or null for ID 0 or no such taxon: from R, or
 * looked up in DB and remembered; with LOCALE (NULL: the default) its name
 * in that locale, falling back to its own (i18n.h). 0, or a negative
 * souk_db_status. */
int souk__catalog_refs_put(souk__catalog_refs *r, souk_store *db, souk_buf *out, souk_taxon_kind kind, int64_t id,
                           const char *locale);

/* ---- lookups (lookup.c) ---- */

/* json string of a typed id ("prod_…"); NULL when memory runs out. */
json_t *souk__catalog_id(const char *prefix, int64_t id);

/* API id prefix of a taxon kind. */
const char *souk__catalog_taxon_prefix(souk_taxon_kind kind);

/* Resolves a taxon given as typed id or slug into *ID. 1 found, 0 not, or a
 * negative souk_db_status. */
int souk__catalog_resolve(souk_store *db, souk_taxon_kind kind, const char *id_or_slug, int64_t *id);

/* 1 when SQL with ARGS returns a row, 0 when none, or a negative
 * souk_db_status. */
int souk__catalog_exists(souk_store *db, const char *sql, const souk_param *args);

/* 1 when SQL ($1 text, $2 id to exclude) finds TEXT used by a row other
 * than EXCEPT, 0 when not, or a negative souk_db_status. */
int souk__catalog_taken(souk_store *db, const char *sql, const char *text, int64_t except);

/* ---- slugs (slug.c) ---- */

/* Writes into OUT (OUTLEN ≥ SOUK_CATALOG_SLUG_MAX + 1) a slug derived from
 * BASE that SQL ($1 slug, $2 id to exclude = 0) does not find: "mug",
 * "mug-2", ... Returns 0 or a negative souk_db_status. */
int souk__catalog_derive_slug(souk_store *db, const char *sql, const char *base, char *out, size_t outlen);

/* ---- what every write shares (write.c) ---- */

/* Fills ARGS (room for 8 parameters, all END markers on entry) with the
 * INSERT parameters of child row I of ITEMS under PARENT. */
typedef void (*souk__catalog_row_args)(souk_param *args, int64_t parent, const void *items, size_t i);

/* Replaces the child rows of PARENT in one table: DELETE_SQL ($1 = PARENT),
 * then INSERT_SQL once for each of the N ITEMS with the parameters FILL
 * gives. Returns SOUK_DB_DONE or a negative souk_db_status. */
int souk__catalog_replace_rows(souk_store *db, const char *delete_sql, const char *insert_sql, int64_t parent,
                               const void *items, size_t n, souk__catalog_row_args fill);

/* Inside a write transaction: PRODUCT's attributes (M) and images (IMGS,
 * souk_image_in items) replace the ones it had (product_write.c). A
 * negative souk_db_status, or >= 0. */
int souk__catalog_replace_attributes(souk_store *db, int64_t product, const souk_json_strmap *m);
int souk__catalog_replace_images(souk_store *db, int64_t product, const souk_json_array *imgs);

/* Recomputes product_prices (the lowest active-variant price per currency,
 * with copies of the product's status and category_id) of PRODUCT.
 * SOUK_DB_DONE or a negative souk_db_status. */
int souk__catalog_refresh_prices(souk_store *db, int64_t product);

/* Copies PRODUCT's status and category_id into its product_prices rows (the
 * price sorts filter on them there; migration 0071): after every change of
 * either. SOUK_DB_DONE or a negative souk_db_status. */
int souk__catalog_follow_product(souk_store *db, int64_t product);

/* Moves PRODUCT's updated_at forward. SOUK_DB_DONE or a negative status. */
int souk__catalog_touch_product(souk_store *db, int64_t product);

/* price.changed into the outbox, inside the transaction that changed the
 * price of VARIANT (of PRODUCT) in CURRENCY (3 letters) to AMOUNT (minor
 * units; -1: removed): {"variant_id","product_id","currency","amount"|null}.
 * Wishlist alerts follow it (src/wishlist). 0 or a negative souk_db_status. */
int souk__catalog_emit_price(souk_store *db, int64_t variant, int64_t product, const char *currency, int64_t amount);

/* ---- variants and prices (variant_write.c, price_write.c) ---- */

/* Inserts variant V of PRODUCT at POSITION with its prices; *ID gets the
 * new id. SOUK_DB_DONE or a negative souk_db_status. */
int souk__catalog_insert_variant(souk_store *db, int64_t product, const souk_variant_in *v, int64_t position,
                                 int64_t *id);

/* The options M as stored: compact JSON with sorted keys (malloc'd; NULL
 * when memory runs out). */
char *souk__catalog_options_text(const souk_json_strmap *m);

/* Replaces the prices of VARIANT with PRICES (souk_price_in). SOUK_DB_DONE
 * or a negative souk_db_status. */
int souk__catalog_replace_prices(souk_store *db, int64_t variant, const souk_json_array *prices);

/* Adds a problem "<PATH>prices[i].currency: appears twice" for each currency
 * that PRICES lists more than once. */
void souk__catalog_check_price_list(const souk_json_array *prices, const char *path, souk_arena *a, souk_problems *pr);

/* ---- list cursor (filter.c) ---- */

/* Cursor for the row after which the next page starts; NULL when the arena
 * runs out. */
char *souk__catalog_cursor(souk_catalog_sort sort, int64_t id, int64_t key, const char *text, souk_arena *a);

/* ---- flash sales (flash.c) ---- */

/* The flash sale running on a product now, and when that next changes. */
typedef struct souk__catalog_flash_sale {
    bool running;
    int64_t rate_bp;   /* basis points off, while RUNNING */
    int64_t ends_at;   /* µs, while RUNNING */
    int64_t next_edge; /* µs: the next start or end of a sale on the product; 0 = none */
} souk__catalog_flash_sale;

/* The flash sales not yet ended at NOW (the cart's view cart_flash_sales),
 * with the category tree when one names categories. */
typedef struct souk__catalog_flash_set souk__catalog_flash_set;

/* Loads them into *OUT (in A). SOUK_OK or the database error / INTERNAL. */
souk_err souk__catalog_flash_load(souk_store *db, int64_t now, souk_arena *a, souk__catalog_flash_set **out);

/* The sale of F (NULL: none) on a product with those refs (0 = none), its
 * category standing for its ancestors too, into *OUT. */
void souk__catalog_flash_match(const souk__catalog_flash_set *f, int64_t product, int64_t brand, int64_t vendor,
                               int64_t category, souk__catalog_flash_sale *out);

/* What a unit priced AMOUNT costs under F (running): AMOUNT less RATE_BP,
 * rounded half up as the cart rounds. */
int64_t souk__catalog_sale_amount(const souk__catalog_flash_sale *f, int64_t amount);

/* Appends ,"sale":{"amount":…,"ends_at":…} for a price AMOUNT to B when F
 * runs (nothing otherwise). */
void souk__catalog_put_sale(souk_buf *b, const souk__catalog_flash_sale *f, int64_t amount);

/* The same for a converted price: the sale amount of BASE_AMOUNT (store
 * currency) converted with FX — the sale is taken off first, then the
 * result converted, once. */
void souk__catalog_put_sale_fx(souk_buf *b, const souk__catalog_flash_sale *f, int64_t base_amount,
                               const souk_fx_quote *fx);

#endif
