/*
 * refs.c — the {"id","slug","name"} of brands, vendors and categories as the
 * product list shows them, remembered per connection (souk_store_memo).
 *
 * Every summary of a list carries three refs, and looking them up cost three
 * primary-key seeks per row, about a sixth of an uncached page, for a few
 * dozen taxa that change rarely. The memo holds each ref rendered once and is
 * emptied whenever the catalog's content version (SOUK_CONTENT, bumped in the
 * transaction of every catalog write, taxonomy included, by any process) is
 * not the one it was filled at: the version is read in the same snapshot as
 * the page, so a page never shows a ref older than its rows. It is bounded
 * (REFS_MAX refs, REFS_TEXT bytes); when full it starts over. A ref in
 * another locale than the default (its name translated, i18n.h) is a slot of
 * its own, keyed by the locale's number among the few the memo has seen
 * (LOCALES_MAX; past that it starts over too).
 */
#include "catalog/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

#define REFS_MAX 1024          /* refs remembered, a power of two */
#define REFS_TEXT (256u << 10) /* bytes of their JSON */
#define LOCALES_MAX 16         /* non-default locales told apart */
#define LOCALE_LEN 16

typedef struct ref_slot {
    int64_t id;        /* 0 = empty */
    uint32_t off, len; /* the JSON in text */
    uint8_t kind;
    uint8_t locale; /* 0: the default; else 1 + its index in locales */
} ref_slot;

struct souk__catalog_refs {
    int64_t version; /* the content version the memo holds */
    int n;
    int nlocales;
    char locales[LOCALES_MAX][LOCALE_LEN];
    bool keep; /* false: a stand-in that remembers nothing (no memo slot was free) */
    souk_buf text;
    ref_slot slots[]; /* 2 * REFS_MAX when keep: open addressing, at most half full */
};

static const char memo_key = 0; /* this memo's key on a connection */

static void refs_free(void *p)
{
    souk__catalog_refs *r = p;
    souk_buf_release(&r->text);
    free(r);
}

static void refs_clear(souk__catalog_refs *r, int64_t version)
{
    r->version = version;
    r->n = 0;
    r->nlocales = 0;
    memset(r->slots, 0, sizeof r->slots[0] * 2 * REFS_MAX);
    souk_buf_reset(&r->text);
}

souk__catalog_refs *souk__catalog_refs_open(souk_store *db, souk_arena *a)
{
    int64_t version = souk_store_version(db, SOUK_CONTENT);
    if (version < 0)
        return NULL;
    souk__catalog_refs *r = souk_store_memo(db, &memo_key);
    if (r) {
        if (r->version != version)
            refs_clear(r, version);
        return r;
    }
    r = malloc(sizeof *r + sizeof r->slots[0] * 2 * REFS_MAX);
    if (r) {
        r->keep = true;
        souk_buf_init(&r->text, REFS_TEXT);
        refs_clear(r, version);
        if (souk_store_memo_set(db, &memo_key, r, refs_free) == 0)
            return r;
        refs_free(r);
    }
    r = souk_arena_alloc(a, sizeof *r); /* no memo: look every ref up */
    if (r)
        *r = (souk__catalog_refs){.version = version, .keep = false};
    return r;
}

static size_t slot_of(souk_taxon_kind kind, int64_t id, int locale)
{
    uint64_t h = ((uint64_t)id ^ ((uint64_t)kind << 61) ^ ((uint64_t)locale << 53)) * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 40) & (2 * REFS_MAX - 1);
}

static const char *const ref_sql[3] = {
    [SOUK_TAXON_CATEGORY] = "SELECT slug, name FROM categories WHERE id = $1",
    [SOUK_TAXON_BRAND] = "SELECT slug, name FROM brands WHERE id = $1",
    [SOUK_TAXON_VENDOR] = "SELECT slug, name FROM vendors WHERE id = $1",
};
/* in another locale: the name's translation when there is one (vendors' names are not translated) */
static const char *const ref_sql_l[2] = {
    [SOUK_TAXON_CATEGORY] = "SELECT c.slug, COALESCE(t.value, c.name) FROM categories c LEFT JOIN i18n_translations t "
                            "ON t.kind = 'category' AND t.object_id = c.id AND t.field = 'name' AND t.locale = $2 "
                            "WHERE c.id = $1",
    [SOUK_TAXON_BRAND] = "SELECT b.slug, COALESCE(t.value, b.name) FROM brands b LEFT JOIN i18n_translations t "
                         "ON t.kind = 'brand' AND t.object_id = b.id AND t.field = 'name' AND t.locale = $2 "
                         "WHERE b.id = $1",
};

/* The memo's number for LOCALE (0: NULL, the default), added when new; -1
 * when the memo has no room for another. */
static int locale_number(souk__catalog_refs *r, const char *locale)
{
    if (!locale)
        return 0;
    for (int i = 0; i < r->nlocales; i++)
        if (strcmp(r->locales[i], locale) == 0)
            return i + 1;
    if (r->nlocales == LOCALES_MAX || strlen(locale) >= LOCALE_LEN)
        return -1;
    memcpy(r->locales[r->nlocales], locale, strlen(locale) + 1);
    return ++r->nlocales;
}

int souk__catalog_refs_put(souk__catalog_refs *r, souk_store *db, souk_buf *out, souk_taxon_kind kind, int64_t id,
                           const char *locale)
{
    if (!id) {
        SOUK_JW_LIT(out, "null");
        return 0;
    }
    int loc = r->keep ? locale_number(r, locale) : 0;
    if (loc < 0) { /* a locale too many: start over */
        refs_clear(r, r->version);
        loc = locale_number(r, locale);
    }
    size_t i = slot_of(kind, id, loc);
    for (; r->keep && r->slots[i].id; i = (i + 1) & (2 * REFS_MAX - 1))
        if (r->slots[i].id == id && r->slots[i].kind == kind && r->slots[i].locale == loc) {
            souk_buf_add(out, r->text.data + r->slots[i].off, r->slots[i].len);
            return 0;
        }
    souk_stmt *st = locale && kind != SOUK_TAXON_VENDOR
                        ? souk_store_query(db, ref_sql_l[kind], SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(locale)))
                        : souk_store_query(db, ref_sql[kind], SOUK_ARGS(SOUK_I64(id)));
    int rc = souk_stmt_step(st);
    if (rc != SOUK_DB_ROW) {
        SOUK_JW_LIT(out, "null"); /* no such taxon (not remembered: rare, and it may appear) */
        return rc < 0 ? rc : 0;
    }
    size_t slug_len = 0, name_len = 0;
    const char *slug = souk_stmt_text(st, 0, &slug_len), *name = souk_stmt_text(st, 1, &name_len);
    size_t start = out->len;
    souk__catalog_put_ref(out, kind, id, slug ? slug : "", slug_len, name, name_len, SOUK_JW_HTML_SAFE);
    souk_stmt_done(st);
    if (!r->keep || souk_buf_failed(out))
        return 0; /* (a failed buffer is the caller's to see) */
    size_t len = out->len - start;
    if (r->n >= REFS_MAX || r->text.len + len > REFS_TEXT) {
        refs_clear(r, r->version); /* full: start over */
        loc = locale_number(r, locale);
        i = slot_of(kind, id, loc);
    }
    size_t off = r->text.len;
    if (souk_buf_add(&r->text, out->data + start, len) < 0) {
        refs_clear(r, r->version);
        return 0;
    }
    r->slots[i] =
        (ref_slot){.id = id, .off = (uint32_t)off, .len = (uint32_t)len, .kind = (uint8_t)kind, .locale = (uint8_t)loc};
    r->n++;
    return 0;
}
