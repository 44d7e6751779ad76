/*
 * write.c — what the catalog's writes share: replacing a parent's child rows
 * (attributes, images, prices), and a product's bookkeeping after a change of
 * its variants or prices (the derived product_prices, updated_at).
 *
 * The writes themselves: product_write.c (products), variant_write.c
 * (variants), price_write.c (prices), taxonomy.c (categories, brands,
 * vendors). Each public write runs one souk_store_run transaction; checks
 * that need the database (references exist, slug and SKU free) run inside
 * its write lock, so the answer cannot go stale before the insert, and
 * UNIQUE constraints remain the backstop (CONSTRAINT → CONFLICT).
 */
#include "catalog/internal.h"

#include "core/time.h"
#include "core/banned.h"

int souk__catalog_replace_rows(souk_store *db, const char *delete_sql, const char *insert_sql, int64_t parent,
                               const void *items, size_t n, souk__catalog_row_args fill)
{
    int r = souk_store_exec(db, delete_sql, SOUK_ARGS(SOUK_I64(parent)));
    for (size_t i = 0; r >= 0 && i < n; i++) {
        souk_param args[9] = {{0}};
        fill(args, parent, items, i);
        r = souk_store_exec(db, insert_sql, args);
    }
    return r;
}

int souk__catalog_refresh_prices(souk_store *db, int64_t product)
{
    int r = souk_store_exec(db, "DELETE FROM product_prices WHERE product_id = $1", SOUK_ARGS(SOUK_I64(product)));
    if (r < 0)
        return r;
    return souk_store_exec(db,
                           "INSERT INTO product_prices (product_id, currency, min_amount, status, category_id) "
                           "SELECT v.product_id, vp.currency, min(vp.amount), p.status, p.category_id FROM variants v "
                           "JOIN variant_prices vp ON vp.variant_id = v.id JOIN products p ON p.id = v.product_id "
                           "WHERE v.product_id = $1 AND v.status = 'active' "
                           "GROUP BY v.product_id, vp.currency, p.status, p.category_id",
                           SOUK_ARGS(SOUK_I64(product)));
}

int souk__catalog_follow_product(souk_store *db, int64_t product)
{
    return souk_store_exec(db,
                           "UPDATE product_prices SET status = (SELECT status FROM products WHERE id = $1), "
                           "category_id = (SELECT category_id FROM products WHERE id = $1) WHERE product_id = $1",
                           SOUK_ARGS(SOUK_I64(product)));
}

int souk__catalog_touch_product(souk_store *db, int64_t product)
{
    return souk_store_exec(db, "UPDATE products SET updated_at = " SOUK__CATALOG_BUMP("$2") " WHERE id = $1",
                           SOUK_ARGS(SOUK_I64(product), SOUK_I64(souk_time_now_us())));
}
