/*
 * price_write.c — variant prices: the list a new variant comes with, and
 * setting or removing one price (PUT/DELETE /variants/{id}/prices/{cur}).
 * Every change recomputes the product's product_prices in the same
 * transaction (write.c).
 */
#include "catalog/internal.h"

#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "events/events.h"
#include "core/banned.h"

int souk__catalog_emit_price(souk_store *db, int64_t variant, int64_t product, const char *currency, int64_t amount)
{
    char vid[SOUK_ID_TEXT_MAX], pid[SOUK_ID_TEXT_MAX], cur[4] = "";
    memcpy(cur, currency, 3);
    souk_id_format(SOUK_PREFIX_VARIANT, variant, vid);
    souk_id_format(SOUK_PREFIX_PRODUCT, product, pid);
    return souk_event_emit_tx(db, "price.changed", vid,
                              json_pack("{s:s,s:s,s:s,s:o}", "variant_id", vid, "product_id", pid, "currency", cur,
                                        "amount", amount >= 0 ? json_integer(amount) : json_null()));
}

static void price_args(souk_param *args, int64_t variant, const void *items, size_t i)
{
    const souk_price_in *p = (const souk_price_in *)items + i;
    args[0] = SOUK_I64(variant);
    args[1] = SOUK_TEXTN(p->currency, 3);
    args[2] = SOUK_I64(p->amount);
}

int souk__catalog_replace_prices(souk_store *db, int64_t variant, const souk_json_array *prices)
{
    return souk__catalog_replace_rows(db, "DELETE FROM variant_prices WHERE variant_id = $1",
                                      "INSERT INTO variant_prices (variant_id, currency, amount) VALUES ($1, $2, $3)",
                                      variant, prices->items, prices->count, price_args);
}

void souk__catalog_check_price_list(const souk_json_array *prices, const char *path, souk_arena *a, souk_problems *pr)
{
    const souk_price_in *p = prices->items;
    for (size_t i = 0; i < prices->count; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(p[i].currency, p[j].currency) == 0) {
                char *f = souk_arena_printf(a, "%sprices[%zu].currency", path, i);
                souk_problems_add(pr, a, f ? f : "prices", "appears twice");
            }
}

typedef struct price_ctx {
    int64_t variant, amount;
    const char *currency;
} price_ctx;

static souk_err price_body(souk_store *db, void *arg)
{
    const price_ctx *c = arg;
    int64_t product;
    souk_err e = souk_catalog_variant_product(db, c->variant, &product);
    if (e)
        return e;
    int64_t n =
        c->amount >= 0
            ? souk_store_update(db,
                                "INSERT INTO variant_prices (variant_id, currency, amount) VALUES ($1, $2, $3) "
                                "ON CONFLICT (variant_id, currency) DO UPDATE SET amount = excluded.amount",
                                SOUK_ARGS(SOUK_I64(c->variant), SOUK_TEXTN(c->currency, 3), SOUK_I64(c->amount)))
            : souk_store_update(db, "DELETE FROM variant_prices WHERE variant_id = $1 AND currency = $2",
                                SOUK_ARGS(SOUK_I64(c->variant), SOUK_TEXTN(c->currency, 3)));
    if (n < 0)
        return souk_store_dberr((int)n);
    if (c->amount < 0 && n == 0)
        return SOUK_E_NOT_FOUND; /* no price in that currency */
    int r = souk_store_exec(db, "UPDATE variants SET updated_at = " SOUK__CATALOG_BUMP("$2") " WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(c->variant), SOUK_I64(souk_time_now_us())));
    if (r >= 0)
        r = souk__catalog_refresh_prices(db, product);
    if (r >= 0)
        r = souk__catalog_touch_product(db, product);
    if (r >= 0)
        r = souk_store_touch(db, SOUK_CONTENT);
    if (r >= 0)
        r = souk__catalog_emit_price(db, c->variant, product, c->currency, c->amount);
    return souk_store_dberr(r);
}

souk_err souk_catalog_price_set(souk_store *db, int64_t variant_id, const char *currency, int64_t amount)
{
    price_ctx c = {variant_id, amount, currency};
    return souk_store_run(db, price_body, &c, NULL);
}
