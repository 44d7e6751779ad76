/*
 * import.c — orders of the past, as an importer brings them: written as
 * delivered and paid at their date, in one call per order inside the
 * importer's transaction, found again by their external reference.
 */
#include "orders/orders.h"

#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "orders/internal.h"
#include "core/banned.h"

static souk_err check(const souk_order_import *o, int64_t *total)
{
    if (!o->external_ref || !*o->external_ref || !o->email || !*o->email || !o->currency || strlen(o->currency) != 3 ||
        o->nlines < 1 || o->nlines > SOUK_ORDERS_IMPORT_LINES_MAX)
        return SOUK_E_VALIDATION;
    *total = 0;
    for (size_t i = 0; i < o->nlines; i++) {
        const souk_order_import_line *l = &o->lines[i];
        if (l->quantity <= 0 || l->quantity > 1000000 || l->unit_amount < 0 || l->unit_amount > SOUK_ORDERS_TOTAL_MAX ||
            !l->product_id || !l->variant_id || !l->sku || !l->title)
            return SOUK_E_VALIDATION;
        *total += l->quantity * l->unit_amount;
        if (*total > SOUK_ORDERS_TOTAL_MAX)
            return SOUK_E_VALIDATION;
    }
    return SOUK_OK;
}

souk_err souk_orders_import_tx(souk_store *db, const souk_order_import *o, int64_t *id, bool *created)
{
    *created = false;
    int64_t total;
    souk_err e = check(o, &total);
    if (e)
        return e;
    int r = souk_store_one(db, "SELECT id FROM orders WHERE external_ref = $1", SOUK_ARGS(SOUK_TEXT(o->external_ref)),
                           SOUK_COLS(SOUK_COL_I64(id)));
    if (r != SOUK_DB_DONE)
        return r == SOUK_DB_ROW ? SOUK_OK : souk_store_dberr(r);
    json_t *addr = json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", "", "line1", "", "city", "", "postal_code", "", "country",
                             o->country ? o->country : "");
    char *addr_text = addr ? json_dumps(addr, JSON_COMPACT) : NULL;
    json_decref(addr);
    if (!addr_text)
        return SOUK_E_INTERNAL;
    int64_t at = o->placed_at, sub = souk_id_next();
    *id = souk_id_next();
    r = souk_store_exec(db,
                        "INSERT INTO orders (id, user_id, email, state, payment_status, currency, subtotal, discount, "
                        "shipping, tax, total, shipping_address, gateway, intent_status, payment_due_at, created_at, "
                        "updated_at, paid_at, external_ref) VALUES ($1, $2, $3, 'delivered', 'succeeded', $4, $5, 0, "
                        "0, 0, $5, $6, 'import', 'succeeded', $7, $7, $7, $7, $8)",
                        SOUK_ARGS(SOUK_I64(*id), SOUK_REF(o->user_id), SOUK_TEXT(o->email), SOUK_TEXT(o->currency),
                                  SOUK_I64(total), SOUK_TEXT(addr_text), SOUK_I64(at), SOUK_TEXT(o->external_ref)));
    free(addr_text);
    if (r < 0)
        return souk_store_dberr(r);
    r = souk_store_exec(db,
                        "INSERT INTO sub_orders (id, order_id, vendor_id, state, subtotal, commission_bp, commission, "
                        "created_at, updated_at) VALUES ($1, $2, NULL, 'delivered', $3, 0, 0, $4, $4)",
                        SOUK_ARGS(SOUK_I64(sub), SOUK_I64(*id), SOUK_I64(total), SOUK_I64(at)));
    for (size_t i = 0; r >= 0 && i < o->nlines; i++) {
        const souk_order_import_line *l = &o->lines[i];
        r = souk_store_exec(db,
                            "INSERT INTO order_lines (order_id, line_no, sub_order_id, variant_id, product_id, "
                            "vendor_id, sku, product_title, variant_title, quantity, unit_amount, line_total, "
                            "fulfilled) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, '', $8, $9, $10, $8)",
                            SOUK_ARGS(SOUK_I64(*id), SOUK_I64((int64_t)i + 1), SOUK_I64(sub), SOUK_I64(l->variant_id),
                                      SOUK_I64(l->product_id), SOUK_TEXT(l->sku), SOUK_TEXT(l->title),
                                      SOUK_I64(l->quantity), SOUK_I64(l->unit_amount),
                                      SOUK_I64(l->quantity * l->unit_amount)));
    }
    if (r < 0)
        return souk_store_dberr(r);
    if ((e = souk__order_history_at_tx(db, *id, 0, "paid", "delivered", "imported", "import", at)) ||
        (e = souk__order_event_tx(db, "paid", *id, "delivered", NULL)))
        return e;
    *created = true;
    return SOUK_OK;
}
