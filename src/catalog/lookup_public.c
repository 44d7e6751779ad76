/* lookup_public.c — small questions other contexts ask about the catalog's tables
 * (see "lookups for other contexts" in catalog.h), so that they never name
 * those tables themselves. */
#include "catalog/internal.h"

#include "core/banned.h"

souk_err souk_catalog_vendor_exists(souk_store *db, int64_t id)
{
    int r = souk_store_one(db, "SELECT 1 FROM vendors WHERE id = $1", SOUK_ARGS(SOUK_I64(id)), NULL);
    return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
}

souk_err souk_catalog_is_empty(souk_store *db, bool *empty)
{
    bool any = false;
    int r = souk_store_one(db, "SELECT EXISTS (SELECT 1 FROM products) OR EXISTS (SELECT 1 FROM categories)", NULL,
                           SOUK_COLS(SOUK_COL_BOOL(&any)));
    if (r != SOUK_DB_ROW)
        return r < 0 ? souk_store_dberr(r) : SOUK_E_INTERNAL;
    *empty = !any;
    return SOUK_OK;
}

souk_err souk_catalog_taxon_resolve(souk_store *db, souk_taxon_kind kind, const char *id_or_slug, int64_t *id)
{
    int r = souk__catalog_resolve(db, kind, id_or_slug, id);
    return r == 1 ? SOUK_OK : r == 0 ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
}
