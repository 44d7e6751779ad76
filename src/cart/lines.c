/*
 * lines.c — what is in a cart: a line added, set or removed (checked against
 * the catalog's catalog_offers view and the cart's caps), and a guest cart's
 * lines merged into the customer's cart at sign-in.
 */
#include "cart/cart.h"

#include "cart/internal.h"
#include "core/time.h"
#include "core/banned.h"

typedef struct line_ctx {
    int64_t cart, variant, quantity;
    bool set;
    souk_arena *a;
    souk_problems *pr;
    json_t *json; /* the cart as this transaction leaves it */
} line_ctx;

static souk_err refuse(const line_ctx *c, const char *field, const char *why)
{
    souk_problems_add(c->pr, c->a, field, "%s", why);
    return SOUK_E_VALIDATION;
}

static int64_t line_count(souk_store *db, int64_t cart, int *r)
{
    int64_t n = 0;
    *r = souk_store_one(db, "SELECT count(*) FROM cart_lines WHERE cart_id = $1", SOUK_ARGS(SOUK_I64(cart)),
                        SOUK_COLS(SOUK_COL_I64(&n)));
    if (*r == SOUK_DB_DONE)
        *r = SOUK_DB_HARD; /* count(*) always has a row */
    return n;
}

/* Writes WANT units of the line of C (0 deletes it) when HAVE are there now. */
static souk_err write_line(souk_store *db, const line_ctx *c, int64_t have, int64_t want)
{
    int r;
    if (want == 0) {
        if (!have && c->set)
            return SOUK_E_NOT_FOUND; /* removing a line that is not there */
        r = souk_store_exec(db, "DELETE FROM cart_lines WHERE cart_id = $1 AND variant_id = $2",
                            SOUK_ARGS(SOUK_I64(c->cart), SOUK_I64(c->variant)));
    } else if (have) {
        r = souk_store_exec(db, "UPDATE cart_lines SET quantity = $3 WHERE cart_id = $1 AND variant_id = $2",
                            SOUK_ARGS(SOUK_I64(c->cart), SOUK_I64(c->variant), SOUK_I64(want)));
    } else {
        if (c->set)
            return SOUK_E_NOT_FOUND; /* PATCH of a line that is not there */
        int64_t lines = line_count(db, c->cart, &r);
        if (r < 0)
            return souk_store_dberr(r);
        if (lines >= SOUK_CART_MAX_LINES) {
            souk_problems_add(c->pr, c->a, "variant_id", "a cart holds at most %d lines", SOUK_CART_MAX_LINES);
            return SOUK_E_VALIDATION;
        }
        r = souk_store_exec(db, "INSERT INTO cart_lines (cart_id, variant_id, quantity, added_at) "
                                "VALUES ($1, $2, $3, $4)",
                            SOUK_ARGS(SOUK_I64(c->cart), SOUK_I64(c->variant), SOUK_I64(want),
                                      SOUK_I64(souk_time_now_us())));
    }
    return souk_store_dberr(r);
}

static souk_err line_body(souk_store *db, void *arg)
{
    line_ctx *c = arg;
    bool for_sale = false;
    int r = souk_store_one(db, "SELECT purchasable = 1 FROM catalog_offers WHERE variant_id = $1",
                           SOUK_ARGS(SOUK_I64(c->variant)), SOUK_COLS(SOUK_COL_BOOL(&for_sale)));
    if (r < 0)
        return souk_store_dberr(r);
    if (!for_sale && !(c->set && c->quantity == 0)) /* an unbuyable line may still be removed */
        return refuse(c, "variant_id", "is not a variant that is for sale");
    int64_t have = 0;
    r = souk_store_one(db, "SELECT quantity FROM cart_lines WHERE cart_id = $1 AND variant_id = $2",
                       SOUK_ARGS(SOUK_I64(c->cart), SOUK_I64(c->variant)), SOUK_COLS(SOUK_COL_I64(&have)));
    if (r < 0)
        return souk_store_dberr(r);
    int64_t want = c->set ? c->quantity : have + c->quantity;
    if (want > SOUK_CART_MAX_QUANTITY) {
        souk_problems_add(c->pr, c->a, "quantity", "at most %d of one variant per cart", SOUK_CART_MAX_QUANTITY);
        return SOUK_E_VALIDATION;
    }
    souk_err e = write_line(db, c, have, want);
    if (!e)
        e = souk__cart_touch(db, c->cart, "lines");
    if (e)
        return e;
    /* rendered here, once: a larger cart must still have totals souk can
     * compute, and the caller answers with this JSON */
    json_decref(c->json);
    c->json = NULL;
    e = souk_cart_json(db, c->cart, &c->json);
    if (e == SOUK_E_VALIDATION && want > have)
        return refuse(c, "quantity", "the cart would exceed " SOUK_CART_MAX_TOTAL_TEXT " minor units in all");
    return e == SOUK_E_VALIDATION ? SOUK_OK : e; /* a smaller cart still over the cap: no JSON */
}

souk_err souk_cart_put_line(souk_store *db, int64_t cart, int64_t variant, int64_t quantity, bool set, souk_arena *a,
                            souk_problems *pr, json_t **out)
{
    line_ctx c = {cart, variant, quantity, set, a, pr, NULL};
    souk_err e = souk_store_run(db, line_body, &c, pr);
    if (e) {
        json_decref(c.json);
        c.json = NULL;
    }
    *out = c.json;
    return e;
}

/* ---- merging ---- */

typedef struct merge_ctx {
    int64_t user, from, into;
    souk_arena *a;
    souk_problems *pr;
    json_t *json; /* the merged cart as this transaction leaves it */
} merge_ctx;

/* The cart of C's user into C->into, created in the guest cart's currency when there is none. */
static souk_err target(souk_store *db, merge_ctx *c)
{
    souk_err e = souk_cart_find(db, c->user, NULL, &c->into);
    if (e != SOUK_E_NOT_FOUND)
        return e;
    char currency[4], none[64];
    int r = souk_store_one(db, "SELECT currency FROM carts WHERE id = $1", SOUK_ARGS(SOUK_I64(c->from)),
                           SOUK_COLS(SOUK_COL_STR(currency)));
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r); /* merged meanwhile */
    return souk_cart_create(db, c->user, currency, none, &c->into);
}

static souk_err merge_body(souk_store *db, void *arg)
{
    merge_ctx *c = arg;
    souk_err e = target(db, c);
    if (e)
        return e;
    int r = souk_store_exec(db, "INSERT INTO cart_lines (cart_id, variant_id, quantity, added_at) "
                                "SELECT $2, variant_id, quantity, added_at FROM cart_lines WHERE cart_id = $1 "
                                "ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = CASE WHEN "
                                "cart_lines.quantity + excluded.quantity > $3 THEN $3 "
                                "ELSE cart_lines.quantity + excluded.quantity END",
                            SOUK_ARGS(SOUK_I64(c->from), SOUK_I64(c->into), SOUK_I64(SOUK_CART_MAX_QUANTITY)));
    int64_t lines = r < 0 ? 0 : line_count(db, c->into, &r);
    if (r < 0)
        return souk_store_dberr(r);
    if (lines > SOUK_CART_MAX_LINES) {
        souk_problems_add(c->pr, c->a, "cart_token", "together the carts would hold %lld lines; a cart holds at most %d",
                          (long long)lines, SOUK_CART_MAX_LINES);
        return SOUK_E_VALIDATION;
    }
    r = souk_store_exec(db, "DELETE FROM carts WHERE id = $1 AND user_id IS NULL", SOUK_ARGS(SOUK_I64(c->from)));
    if (r < 0)
        return souk_store_dberr(r);
    if ((e = souk__cart_touch(db, c->into, "merged")))
        return e;
    /* the merged cart must still have totals souk can compute: a refusal
     * here rolls the whole merge back, the guest cart's deletion included */
    json_decref(c->json);
    c->json = NULL;
    e = souk_cart_json(db, c->into, &c->json);
    if (e == SOUK_E_VALIDATION)
        souk_problems_add(c->pr, c->a, "cart_token", "together the carts would exceed " SOUK_CART_MAX_TOTAL_TEXT
                                                     " minor units; lower a quantity first");
    return e;
}

souk_err souk_cart_merge(souk_store *db, int64_t user, int64_t from, souk_arena *a, souk_problems *pr, int64_t *id,
                         json_t **out)
{
    merge_ctx c = {user, from, 0, a, pr, NULL};
    souk_err e = souk_store_run(db, merge_body, &c, pr);
    if (e) {
        json_decref(c.json);
        c.json = NULL;
    } else {
        *id = c.into;
    }
    *out = c.json;
    return e;
}
