/*
 * read.c — product and variant reads in the API's JSON shape: product
 * detail (refs, attributes, images, variants with prices and availability),
 * one variant, and the small id lookups other contexts use. The list lives in
 * list.c, categories/brands/vendors in taxon_read.c.
 */
#include "catalog/internal.h"

#include <string.h>

#include "core/id.h"
#include "core/live.h"
#include "core/time.h"
#include "store/page.h"
#include "core/banned.h"

/* ---- variants ---------------------------------------------------------- */

/* A JSON string at S[*I] as stored options hold them: no control bytes and
 * no \u escapes (so that equal keys are equal bytes). Moves *I past it. */
static bool plain_string(const char *s, size_t len, size_t *i)
{
    size_t k = *i;
    if (k >= len || s[k++] != '"')
        return false;
    while (k < len && s[k] != '"') {
        unsigned char c = (unsigned char)s[k];
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (k + 1 >= len || !strchr("\"\\/bfnrt", s[k + 1]) || !s[k + 1])
                return false;
            k++;
        }
        k++;
    }
    if (k >= len)
        return false;
    *i = k + 1;
    return true;
}

/* True when TEXT is a compact JSON object of string values with distinct
 * keys, in the form the catalog stores options (variant_write.c): then it is
 * exactly what parsing and dumping it would write, and is copied as it is. */
static bool options_plain(const char *s, size_t len)
{
    enum { KEYS_MAX = 16 };
    size_t key_at[KEYS_MAX], key_len[KEYS_MAX], n = 0, i = 1;
    if (len < 2 || s[0] != '{' || s[len - 1] != '}' || !souk_jw_utf8_valid((const unsigned char *)s, len))
        return false;
    if (len == 2)
        return true;
    for (;;) {
        size_t k = i;
        if (n == KEYS_MAX || !plain_string(s, len, &i) || memchr(s + k, '\\', i - k))
            return false;
        for (size_t j = 0; j < n; j++)
            if (key_len[j] == i - k && memcmp(s + key_at[j], s + k, i - k) == 0)
                return false;
        key_at[n] = k, key_len[n++] = i - k;
        if (i >= len || s[i++] != ':' || !plain_string(s, len, &i) || i >= len)
            return false;
        if (s[i] == '}')
            return i + 1 == len;
        if (s[i++] != ',')
            return false;
    }
}

static int dump_to_buf(const char *data, size_t size, void *b)
{
    return souk_buf_add(b, data, size);
}

/* A variant's options (stored JSON text; NULL = none) as a JSON object: an
 * object, or {} when the text is not one. */
static void put_options(souk_buf *b, const char *text, size_t len)
{
    if (text && options_plain(text, len)) {
        souk_buf_add(b, text, len);
        return;
    }
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(o) || json_dump_callback(o, dump_to_buf, b, JSON_COMPACT) != 0)
        SOUK_JW_LIT(b, "{}");
    json_decref(o);
}

/* one query for the variants and their prices: a row per price (or one
 * with NULL currency for a variant without prices), in variant order */
#define VARIANT_SQL                                                                                                    \
    "SELECT v.id, v.sku, v.title, v.options, v.status, v.position, v.created_at, v.updated_at, "                       \
    "coalesce(va.available, 0), vp.currency, vp.amount FROM variants v "                                               \
    "LEFT JOIN variant_availability va ON va.variant_id = v.id "                                                       \
    "LEFT JOIN variant_prices vp ON vp.variant_id = v.id "

/* what a variant shows after its prices, kept while its price rows pass */
typedef struct variant_tail {
    int64_t id, position, available, created, updated;
    bool archived;
} variant_tail;

static void put_variant_tail(souk_buf *b, const variant_tail *t, bool admin_view)
{
    SOUK_JW_LIT(b, "],\"status\":");
    if (t->archived)
        SOUK_JW_LIT(b, "\"archived\"");
    else
        SOUK_JW_LIT(b, "\"active\"");
    SOUK_JW_LIT(b, ",\"position\":");
    souk_jw_int(b, t->position);
    /* in the public view "available" is a live value (core/live.h, kind
     * 'a'), filled in when the answer is sent, so that a sale leaves the
     * cached detail alone */
    SOUK_JW_LIT(b, ",\"available\":");
    if (admin_view)
        souk_jw_int(b, t->available);
    else
        souk_live_marker_write(b, 'a', t->id);
    SOUK_JW_LIT(b, ",\"created_at\":");
    souk_jw_time(b, t->created);
    SOUK_JW_LIT(b, ",\"updated_at\":");
    souk_jw_time(b, t->updated);
    souk_buf_addc(b, '}');
}

/* What a variant's prices tell a display conversion, kept while they pass. */
typedef struct converting {
    const souk_fx_quote *fx; /* NULL: no conversion */
    bool explicit, has_base; /* a price in fx->to; one in fx->from (BASE) */
    int64_t base;
} converting;

/* After a variant's explicit prices (FIRST: there were none): its
 * store-currency price converted into C->fx->to, when it has no explicit
 * price there. */
static void put_converted(souk_buf *b, const converting *c, const souk__catalog_flash_sale *flash, bool first)
{
    int64_t amount;
    if (!c->fx || c->explicit || !c->has_base || souk_fx_quote_apply(c->fx, c->base, &amount) < 0)
        return;
    if (!first)
        souk_buf_addc(b, ',');
    SOUK_JW_LIT(b, "{\"amount\":");
    souk_jw_int(b, amount);
    SOUK_JW_LIT(b, ",\"currency\":");
    souk_jw_text(b, c->fx->to, 3, SOUK_JW_AS_JANSSON);
    souk__catalog_put_sale_fx(b, flash, c->base, c->fx);
    souk_fx_put_converted(b, c->fx, c->base);
    souk_buf_addc(b, '}');
}

/* The variants of ST (a VARIANT_SQL query), comma-separated, each with its
 * prices and "available": the total over all warehouses from the
 * inventory's published read model variant_availability (inventory.h) at
 * the time of the read — a snapshot, not a promise (only a reservation holds
 * stock). *N gets how many. SOUK_DB_DONE or a negative souk_db_status. */
static int put_variants(souk_buf *b, souk_stmt *st, bool admin_view, const souk__catalog_flash_sale *flash,
                        const souk_fx_quote *fx, int *n)
{
    variant_tail t = {0};
    int r, count = 0;
    bool first_price = true;
    converting cv = {fx, false, false, 0};
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        int64_t id = souk_stmt_i64(st, 0);
        if (!count || id != t.id) {
            if (count) {
                put_converted(b, &cv, flash, first_price);
                put_variant_tail(b, &t, admin_view);
                souk_buf_addc(b, ',');
            }
            count++;
            size_t sku_len = 0, title_len = 0, opt_len = 0;
            const char *sku = souk_stmt_text(st, 1, &sku_len), *title = souk_stmt_text(st, 2, &title_len),
                       *opts = souk_stmt_text(st, 3, &opt_len), *status = souk_stmt_text(st, 4, NULL);
            t = (variant_tail){.id = id,
                               .position = souk_stmt_i64(st, 5),
                               .available = souk_stmt_i64(st, 8),
                               .created = souk_stmt_i64(st, 6),
                               .updated = souk_stmt_i64(st, 7),
                               .archived = status && strcmp(status, "archived") == 0};
            SOUK_JW_LIT(b, "{\"id\":");
            souk_jw_id(b, SOUK_PREFIX_VARIANT, id);
            SOUK_JW_LIT(b, ",\"sku\":");
            souk_jw_text(b, sku, sku_len, SOUK_JW_AS_JANSSON);
            SOUK_JW_LIT(b, ",\"title\":");
            souk_jw_text(b, title, title_len, SOUK_JW_AS_JANSSON);
            SOUK_JW_LIT(b, ",\"options\":");
            put_options(b, opts, opt_len);
            SOUK_JW_LIT(b, ",\"prices\":[");
            first_price = true;
            cv.explicit = cv.has_base = false;
        }
        if (souk_stmt_is_null(st, 9))
            continue; /* no prices */
        size_t cur_len = 0;
        const char *cur = souk_stmt_text(st, 9, &cur_len);
        if (fx && cur && cur_len == 3 && memcmp(cur, fx->to, 3) == 0)
            cv.explicit = true; /* an explicit price in the asked currency wins */
        if (fx && cur && cur_len == 3 && memcmp(cur, fx->from, 3) == 0) {
            cv.has_base = true;
            cv.base = souk_stmt_i64(st, 10);
        }
        if (!first_price)
            souk_buf_addc(b, ',');
        SOUK_JW_LIT(b, "{\"amount\":");
        souk_jw_int(b, souk_stmt_i64(st, 10));
        SOUK_JW_LIT(b, ",\"currency\":");
        souk_jw_text(b, cur, cur_len, SOUK_JW_AS_JANSSON);
        souk__catalog_put_sale(b, flash, souk_stmt_i64(st, 10)); /* while a flash sale runs */
        souk_buf_addc(b, '}');
        first_price = false;
    }
    if (count) {
        put_converted(b, &cv, flash, first_price);
        put_variant_tail(b, &t, admin_view);
    }
    *n = count;
    return r;
}

/* ---- the product --------------------------------------------------------- */

static int put_images(souk_buf *b, souk_store *db, int64_t product)
{
    souk_stmt *st = souk_store_query(db,
                                     "SELECT i.id, i.url, i.alt, i.width, i.height, i.position, m.hash, m.format, "
                                     "m.derived_at FROM product_images i LEFT JOIN product_media m ON m.hash = "
                                     "i.media_hash WHERE i.product_id = $1 ORDER BY i.position, i.id LIMIT $2",
                                     SOUK_ARGS(SOUK_I64(product), SOUK_I64(SOUK_CATALOG_IMAGES_MAX)));
    int r, n = 0;
    souk_buf_addc(b, '[');
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        if (n++)
            souk_buf_addc(b, ',');
        souk__catalog_put_image(b, st, 0, 6, SOUK_JW_AS_JANSSON);
    }
    souk_buf_addc(b, ']');
    return r;
}

static int put_attributes(souk_buf *b, souk_store *db, int64_t product, const char *locale)
{
    souk_stmt *st =
        locale ? souk_store_query(db,
                                  "SELECT a.name, COALESCE(t.value, a.value) FROM product_attributes a "
                                  "LEFT JOIN i18n_translations t ON t.kind = 'product' AND t.object_id = a.product_id "
                                  "AND t.field = 'attr:' || a.name AND t.locale = $2 WHERE a.product_id = $1 "
                                  "ORDER BY a.name",
                                  SOUK_ARGS(SOUK_I64(product), SOUK_TEXT(locale)))
               : souk_store_query(db,
                                  "SELECT name, value FROM product_attributes WHERE product_id = $1 "
                                  "ORDER BY name",
                                  SOUK_ARGS(SOUK_I64(product)));
    int r, n = 0;
    souk_buf_addc(b, '{');
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        size_t value_len = 0;
        const char *name = souk_stmt_text(st, 0, NULL), *value = souk_stmt_text(st, 1, &value_len);
        size_t name_len = name ? strlen(name) : 0;
        if (!souk_jw_utf8_valid((const unsigned char *)(name ? name : ""), name_len))
            continue; /* not a key JSON can carry: left out, as jansson leaves it out */
        if (n++)
            souk_buf_addc(b, ',');
        souk_jw_text(b, name, name_len, SOUK_JW_AS_JANSSON);
        souk_buf_addc(b, ':');
        souk_jw_text(b, value, value_len, SOUK_JW_AS_JANSSON);
    }
    souk_buf_addc(b, '}');
    return r;
}

/* the product with its brand, vendor and category refs (joined: one query) */
#define PRODUCT_SQL                                                                                                    \
    "SELECT p.id, p.slug, p.title, p.description, p.status, p.created_at, p.updated_at, "                              \
    "p.brand_id, b.slug, b.name, p.vendor_id, vd.slug, vd.name, p.category_id, c.slug, c.name, "                       \
    "COALESCE(rt.rating_count, 0), COALESCE(rt.rating_sum, 0) "                                                        \
    "FROM products p LEFT JOIN brands b ON b.id = p.brand_id LEFT JOIN vendors vd ON vd.id = p.vendor_id "             \
    "LEFT JOIN categories c ON c.id = p.category_id LEFT JOIN catalog_product_ratings rt ON rt.product_id = p.id "

/* the same in another locale ($2): each text its translation, else its own (i18n.h) */
#define TR_JOIN(alias, kind, obj, field)                                                                               \
    "LEFT JOIN i18n_translations " alias " ON " alias ".kind = '" kind "' AND " alias ".object_id = " obj              \
    " AND " alias ".field = '" field "' AND " alias ".locale = $2 "
#define PRODUCT_SQL_L                                                                                                       \
    "SELECT p.id, p.slug, COALESCE(tt.value, p.title), COALESCE(td.value, p.description), p.status, p.created_at, "         \
    "p.updated_at, p.brand_id, b.slug, COALESCE(tb.value, b.name), p.vendor_id, vd.slug, vd.name, p.category_id, "          \
    "c.slug, COALESCE(tc.value, c.name), COALESCE(rt.rating_count, 0), COALESCE(rt.rating_sum, 0) "                         \
    "FROM products p LEFT JOIN brands b ON b.id = p.brand_id LEFT JOIN vendors vd ON vd.id = p.vendor_id "                  \
    "LEFT JOIN categories c ON c.id = p.category_id LEFT JOIN catalog_product_ratings rt ON rt.product_id = p.id " TR_JOIN( \
        "tt", "product", "p.id", "title") TR_JOIN("td", "product", "p.id", "description")                                   \
        TR_JOIN("tb", "brand", "p.brand_id", "name") TR_JOIN("tc", "category", "p.category_id", "name")

/* The ref in columns COL (id), COL+1 (slug), COL+2 (name) of ST. */
static void put_ref_cols(souk_buf *b, souk_stmt *st, int col, souk_taxon_kind kind)
{
    size_t slug_len = 0, name_len = 0;
    const char *slug = souk_stmt_is_null(st, col + 1) ? NULL : souk_stmt_text(st, col + 1, &slug_len);
    const char *name = souk_stmt_text(st, col + 2, &name_len);
    souk__catalog_put_ref(b, kind, souk_stmt_i64(st, col), slug, slug_len, name, name_len, SOUK_JW_AS_JANSSON);
}

/* The product in the first row of ST (a PRODUCT_SQL query), with what hangs
 * off it, into OUT. NOT_FOUND when there is no row or the product is hidden. */
static souk_err product_write(souk_store *db, souk_stmt *st, bool admin_view, const souk_fx_quote *fx,
                              const char *locale, souk_buf *out, int64_t *until)
{
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
    size_t len[4] = {0};
    const char *text[4];
    for (int i = 0; i < 4; i++)
        text[i] = souk_stmt_text(st, 1 + i, &len[i]); /* slug, title, description, status */
    if (!admin_view && (!text[3] || strcmp(text[3], "active") != 0)) {
        souk_stmt_done(st);
        return SOUK_E_NOT_FOUND;
    }
    int64_t id = souk_stmt_i64(st, 0), created = souk_stmt_i64(st, 5), updated = souk_stmt_i64(st, 6);
    int64_t brand = souk_stmt_i64(st, 7), vendor = souk_stmt_i64(st, 10), category = souk_stmt_i64(st, 13);
    static const char *const keys[4] = {",\"slug\":", ",\"title\":", ",\"description\":", ",\"status\":"};
    SOUK_JW_LIT(out, "{\"id\":");
    souk_jw_id(out, SOUK_PREFIX_PRODUCT, id);
    for (int i = 0; i < 4; i++) {
        souk_buf_adds(out, keys[i]);
        souk_jw_text(out, text[i], len[i], SOUK_JW_AS_JANSSON);
    }
    SOUK_JW_LIT(out, ",\"brand\":");
    put_ref_cols(out, st, 7, SOUK_TAXON_BRAND);
    SOUK_JW_LIT(out, ",\"vendor\":");
    put_ref_cols(out, st, 10, SOUK_TAXON_VENDOR);
    SOUK_JW_LIT(out, ",\"category\":");
    put_ref_cols(out, st, 13, SOUK_TAXON_CATEGORY);
    SOUK_JW_LIT(out, ",\"rating\":");
    souk__catalog_put_rating(out, souk_stmt_i64(st, 16), souk_stmt_i64(st, 17));
    souk_stmt_done(st);
    SOUK_JW_LIT(out, ",\"attributes\":");
    if ((r = put_attributes(out, db, id, locale)) < 0)
        return souk_store_dberr(r);
    SOUK_JW_LIT(out, ",\"images\":");
    if ((r = put_images(out, db, id)) < 0)
        return souk_store_dberr(r);
    souk__catalog_flash_sale flash;
    souk_arena fa;
    souk_arena_init(&fa, 1024, 0);
    souk__catalog_flash_set *sales = NULL;
    souk_err fe = souk__catalog_flash_load(db, souk_time_now_us(), &fa, &sales);
    souk__catalog_flash_match(sales, id, brand, vendor, category, &flash);
    souk_arena_release(&fa);
    if (fe)
        return fe;
    if (until)
        *until = flash.next_edge;
    SOUK_JW_LIT(out, ",\"variants\":[");
    int n;
    r = put_variants(out,
                     souk_store_query(db,
                                      admin_view ? VARIANT_SQL "WHERE v.product_id = $1 "
                                                               "ORDER BY v.position, v.id, vp.currency"
                                                 : VARIANT_SQL "WHERE v.product_id = $1 AND v.status = 'active' "
                                                               "ORDER BY v.position, v.id, vp.currency",
                                      SOUK_ARGS(SOUK_I64(id))),
                     admin_view, &flash, fx, &n);
    if (r < 0)
        return souk_store_dberr(r);
    SOUK_JW_LIT(out, "],\"created_at\":");
    souk_jw_time(out, created);
    SOUK_JW_LIT(out, ",\"updated_at\":");
    souk_jw_time(out, updated);
    souk_buf_addc(out, '}');
    return souk_buf_failed(out) ? SOUK_E_INTERNAL : SOUK_OK;
}

souk_err souk_catalog_product_write_id(souk_store *db, int64_t id, bool admin_view, souk_buf *out)
{
    return product_write(db, souk_store_query(db, PRODUCT_SQL "WHERE p.id = $1", SOUK_ARGS(SOUK_I64(id))), admin_view,
                         NULL, NULL, out, NULL);
}

souk_err souk_catalog_product_write_until(souk_store *db, const char *id_or_slug, bool admin_view, souk_buf *out,
                                          int64_t *until)
{
    return souk_catalog_product_write_fx(db, id_or_slug, admin_view, NULL, out, until);
}

souk_err souk_catalog_product_write_fx(souk_store *db, const char *id_or_slug, bool admin_view, const souk_fx_quote *fx,
                                       souk_buf *out, int64_t *until)
{
    return souk_catalog_product_write_locale(db, id_or_slug, admin_view, fx, NULL, out, until);
}

souk_err souk_catalog_product_write_locale(souk_store *db, const char *id_or_slug, bool admin_view,
                                           const souk_fx_quote *fx, const char *locale, souk_buf *out, int64_t *until)
{
    int64_t id;
    *until = 0;
    bool by_id = souk_id_parse(SOUK_PREFIX_PRODUCT, id_or_slug, strlen(id_or_slug), &id) == 0;
    if (!by_id && souk_catalog_check_slug(id_or_slug, strlen(id_or_slug)))
        return SOUK_E_NOT_FOUND;
    souk_param key = by_id ? SOUK_I64(id) : SOUK_TEXT(id_or_slug);
    souk_stmt *st;
    if (locale)
        st = souk_store_query(db, by_id ? PRODUCT_SQL_L "WHERE p.id = $1" : PRODUCT_SQL_L "WHERE p.slug = $1",
                              SOUK_ARGS(key, SOUK_TEXT(locale)));
    else
        st = souk_store_query(db, by_id ? PRODUCT_SQL "WHERE p.id = $1" : PRODUCT_SQL "WHERE p.slug = $1",
                              SOUK_ARGS(key));
    return product_write(db, st, admin_view, fx, locale, out, until);
}

souk_err souk_catalog_product_write(souk_store *db, const char *id_or_slug, bool admin_view, souk_buf *out)
{
    int64_t until;
    return souk_catalog_product_write_until(db, id_or_slug, admin_view, out, &until);
}

/* the document B holds as a jansson value into *OUT (E passed through) */
static souk_err parsed(souk_err e, souk_buf *b, json_t **out)
{
    if (!e && !(*out = json_loadb(b->data, b->len, 0, NULL)))
        e = SOUK_E_INTERNAL;
    souk_buf_release(b);
    return e;
}

#define DOC_MAX (16u << 20)

souk_err souk_catalog_product_get_id(souk_store *db, int64_t id, bool admin_view, json_t **out)
{
    souk_buf b;
    souk_buf_init(&b, DOC_MAX);
    return parsed(souk_catalog_product_write_id(db, id, admin_view, &b), &b, out);
}

souk_err souk_catalog_product_get_locale(souk_store *db, const char *id_or_slug, bool admin_view, const char *locale,
                                         json_t **out)
{
    souk_buf b;
    souk_buf_init(&b, DOC_MAX);
    int64_t until;
    return parsed(souk_catalog_product_write_locale(db, id_or_slug, admin_view, NULL, locale, &b, &until), &b, out);
}

souk_err souk_catalog_product_get(souk_store *db, const char *id_or_slug, bool admin_view, json_t **out)
{
    souk_buf b;
    souk_buf_init(&b, DOC_MAX);
    return parsed(souk_catalog_product_write(db, id_or_slug, admin_view, &b), &b, out);
}

/* column 0 of SQL ($1 = ID) into *OUT: SOUK_OK, NOT_FOUND, or a database error */
static souk_err one_id(souk_store *db, const char *sql, int64_t id, int64_t *out)
{
    int r = souk_store_one(db, sql, SOUK_ARGS(SOUK_I64(id)), SOUK_COLS(SOUK_COL_I64(out)));
    return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
}

souk_err souk_catalog_product_vendor(souk_store *db, int64_t id, int64_t *vendor)
{
    return one_id(db, "SELECT coalesce(vendor_id, 0) FROM products WHERE id = $1", id, vendor);
}

souk_err souk_catalog_variant_product(souk_store *db, int64_t id, int64_t *product)
{
    return one_id(db, "SELECT product_id FROM variants WHERE id = $1", id, product);
}

souk_err souk_catalog_product_first_variant(souk_store *db, int64_t id, int64_t *variant)
{
    return one_id(db, "SELECT id FROM variants WHERE product_id = $1 ORDER BY id LIMIT 1", id, variant);
}

souk_err souk_catalog_active_variants(souk_store *db, int64_t after, int64_t *ids, int max, int *count)
{
    int n = souk_store_ids(souk_store_query(db,
                                            "SELECT id FROM variants WHERE status = 'active' AND id > $1 "
                                            "ORDER BY id LIMIT $2",
                                            SOUK_ARGS(SOUK_I64(after), SOUK_I64(max))),
                           ids, max);
    *count = n < 0 ? 0 : n;
    return souk_store_dberr(n);
}

souk_err souk_catalog_variant_get(souk_store *db, int64_t id, json_t **out)
{
    souk_buf b;
    souk_buf_init(&b, DOC_MAX);
    int n = 0;
    int r = put_variants(
        &b, souk_store_query(db, VARIANT_SQL "WHERE v.id = $1 ORDER BY vp.currency", SOUK_ARGS(SOUK_I64(id))), true,
        NULL, NULL, &n);
    souk_err e = r < 0                 ? souk_store_dberr(r)
                 : n == 0              ? SOUK_E_NOT_FOUND
                 : souk_buf_failed(&b) ? SOUK_E_INTERNAL
                                       : SOUK_OK;
    return parsed(e, &b, out);
}
