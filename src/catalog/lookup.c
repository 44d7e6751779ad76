/*
 * lookup.c — the small lookups the catalog's reads and writes share: typed
 * ids as JSON, taxon id prefixes, resolving a taxon given by id or slug, and
 * "does a row exist / is this text taken" checks.
 */
#include "catalog/internal.h"

#include <string.h>

#include "core/id.h"
#include "core/banned.h"

json_t *souk__catalog_id(const char *prefix, int64_t id)
{
    char buf[SOUK_ID_TEXT_MAX];
    return json_string(souk_id_format(prefix, id, buf));
}

const char *souk__catalog_taxon_prefix(souk_taxon_kind kind)
{
    return kind == SOUK_TAXON_CATEGORY ? SOUK_PREFIX_CATEGORY
           : kind == SOUK_TAXON_BRAND  ? SOUK_PREFIX_BRAND
                                       : SOUK_PREFIX_VENDOR;
}

int souk__catalog_exists(souk_store *db, const char *sql, const souk_param *args)
{
    int r = souk_store_one(db, sql, args, NULL);
    return r == SOUK_DB_ROW ? 1 : r;
}

int souk__catalog_taken(souk_store *db, const char *sql, const char *text, int64_t except)
{
    return souk__catalog_exists(db, sql, SOUK_ARGS(SOUK_TEXT(text), SOUK_I64(except)));
}

int souk__catalog_resolve(souk_store *db, souk_taxon_kind kind, const char *id_or_slug, int64_t *id)
{
    static const char *const by_id[] = {"SELECT id FROM categories WHERE id = $1",
                                        "SELECT id FROM brands WHERE id = $1", "SELECT id FROM vendors WHERE id = $1"};
    static const char *const by_slug[] = {"SELECT id FROM categories WHERE slug = $1",
                                          "SELECT id FROM brands WHERE slug = $1",
                                          "SELECT id FROM vendors WHERE slug = $1"};
    int64_t parsed;
    int r = souk_id_parse(souk__catalog_taxon_prefix(kind), id_or_slug, strlen(id_or_slug), &parsed) == 0
                ? souk_store_one(db, by_id[kind], SOUK_ARGS(SOUK_I64(parsed)), SOUK_COLS(SOUK_COL_I64(id)))
                : souk_store_one(db, by_slug[kind], SOUK_ARGS(SOUK_TEXT(id_or_slug)), SOUK_COLS(SOUK_COL_I64(id)));
    return r == SOUK_DB_ROW ? 1 : r;
}
