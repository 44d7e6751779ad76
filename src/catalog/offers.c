/*
 * offers.c — what the catalog tells other contexts about the goods it
 * sells, beside the catalog_offers views (see catalog.h): the vendor terms
 * a marketplace order splits by.
 */
#include "catalog/catalog.h"

#include "core/banned.h"

souk_err souk_catalog_product_terms(souk_store *db, int64_t product, int64_t *vendor, int64_t *commission_bp)
{
    int r = souk_store_one(db,
                           "SELECT coalesce(p.vendor_id, 0), coalesce(v.commission_bp, 0) FROM products p "
                           "LEFT JOIN vendors v ON v.id = p.vendor_id WHERE p.id = $1",
                           SOUK_ARGS(SOUK_I64(product)), SOUK_COLS(SOUK_COL_I64(vendor), SOUK_COL_I64(commission_bp)));
    return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
}
