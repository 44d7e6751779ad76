/*
 * flash.c — the flash sales running on a product, for its detail: the cart
 * context publishes its percent flash sales as the view cart_flash_sales
 * (migration 0097; sets of products, categories with their subtrees, brands
 * or vendors as JSON arrays of ids), and the catalog shows the price a unit
 * costs while the sale runs. The answer also says when it next changes (a
 * sale starting or ending), so that a cached detail never outlives a window
 * edge (see souk_res.cache_until_us).
 */
#include "catalog/internal.h"

#include <jansson.h>
#include <string.h>

#include "core/banned.h"

#define ANCESTORS_MAX 16

/* Whether the JSON array text IDS holds ID. */
static bool lists(const char *ids, int64_t id)
{
    json_t *a = ids ? json_loads(ids, 0, NULL) : NULL;
    bool found = false;
    for (size_t i = 0; !found && i < json_array_size(a); i++)
        found = json_integer_value(json_array_get(a, i)) == id;
    json_decref(a);
    return found;
}

souk_err souk__catalog_flash(souk_store *db, int64_t product, int64_t now, souk__catalog_flash_sale *out)
{
    memset(out, 0, sizeof *out);
    int64_t brand = 0, vendor = 0, cat[ANCESTORS_MAX] = {0};
    int ncat = 0;
    int r = souk_store_one(db,
                           "SELECT coalesce(brand_id, 0), coalesce(vendor_id, 0), coalesce(category_id, 0) "
                           "FROM products WHERE id = $1",
                           SOUK_ARGS(SOUK_I64(product)),
                           SOUK_COLS(SOUK_COL_I64(&brand), SOUK_COL_I64(&vendor), SOUK_COL_I64(&cat[0])));
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_OK : souk_store_dberr(r);
    ncat = cat[0] ? 1 : 0;
    while (ncat > 0 && ncat < ANCESTORS_MAX) { /* the category's ancestors: a sale on one covers its subtree */
        int64_t parent = 0;
        r = souk_store_one(db, "SELECT coalesce(parent_id, 0) FROM categories WHERE id = $1",
                           SOUK_ARGS(SOUK_I64(cat[ncat - 1])), SOUK_COLS(SOUK_COL_I64(&parent)));
        if (r < 0)
            return souk_store_dberr(r);
        if (r != SOUK_DB_ROW || parent == 0)
            break;
        cat[ncat++] = parent;
    }
    souk_stmt *st = souk_store_query(db,
                                     "SELECT id, value, target_kind, target_ids, starts_at, ends_at "
                                     "FROM cart_flash_sales WHERE ends_at > $1 ORDER BY priority DESC, id",
                                     SOUK_ARGS(SOUK_I64(now)));
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        const char *kind = souk_stmt_text(st, 2, NULL), *ids = souk_stmt_text(st, 3, NULL);
        bool match = kind && strcmp(kind, "all") == 0;
        if (kind && strcmp(kind, "products") == 0)
            match = lists(ids, product);
        else if (kind && strcmp(kind, "brands") == 0)
            match = brand && lists(ids, brand);
        else if (kind && strcmp(kind, "vendors") == 0)
            match = vendor && lists(ids, vendor);
        else if (kind && strcmp(kind, "categories") == 0)
            for (int i = 0; i < ncat && !match; i++)
                match = lists(ids, cat[i]);
        if (!match)
            continue;
        int64_t starts = souk_stmt_i64(st, 4), ends = souk_stmt_i64(st, 5);
        int64_t edge = now < starts ? starts : ends;
        if (!out->next_edge || edge < out->next_edge)
            out->next_edge = edge;
        if (now >= starts && !out->running) { /* the first by priority, as the cart takes it */
            out->running = true;
            out->rate_bp = souk_stmt_i64(st, 1);
            out->ends_at = ends;
        }
    }
    return souk_store_dberr(r);
}

int64_t souk__catalog_sale_amount(const souk__catalog_flash_sale *f, int64_t amount)
{
    return amount - (amount * f->rate_bp + 5000) / 10000; /* as the cart rounds: half up */
}
