/*
 * lines.c — what is in a cart: a line added, set or removed (checked against
 * the catalog's catalog_offers view and the cart's caps), and a guest cart's
 * lines merged into the customer's cart at sign-in.
 */
#include "cart/cart.h"

#include <string.h>

#include "cart/internal.h"
#include "core/time.h"
#include "core/banned.h"

typedef struct line_ctx {
    int64_t cart, variant, quantity;
    bool set;
    souk_arena *a;
    souk_problems *pr;
    json_t *json; /* the cart as this transaction leaves it */
    /* what the transaction read, changed and priced (rendered after the commit) */
    souk__cart_view view;
    souk__cart_priced priced;
    bool has_price;
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

/* The catalog's offer of C's variant, priced in the cart's currency, as a
 * new line L (quantity and added_at left to the caller); L->for_sale is
 * false for a variant that is not there. */
static souk_err read_offer(souk_store *db, const line_ctx *c, const souk__cart_view *v, souk__cart_line *l)
{
    bool no_price = false;
    souk_stmt *st =
        souk_store_query(db,
                         "SELECT o.product_id, o.sku, o.product_title, o.variant_title, "
                         "o.purchasable = 1, pr.amount, coalesce(pp.brand_id, 0), "
                         "coalesce(pp.vendor_id, 0), coalesce(pp.category_id, 0) FROM catalog_offers o "
                         "LEFT JOIN catalog_offer_prices pr ON pr.variant_id = o.variant_id AND pr.currency = $2 "
                         "LEFT JOIN catalog_promo_products pp ON pp.product_id = o.product_id "
                         "WHERE o.variant_id = $1",
                         SOUK_ARGS(SOUK_I64(c->variant), SOUK_TEXT(v->h.currency)));
    memset(l, 0, sizeof *l);
    l->variant = c->variant;
    int r =
        souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&l->product), SOUK_COL_SKIP, SOUK_COL_SKIP, SOUK_COL_SKIP,
                                     SOUK_COL_BOOL(&l->for_sale), SOUK_COL_NULLABLE(SOUK_COL_I64(&l->unit), &no_price),
                                     SOUK_COL_I64(&l->brand), SOUK_COL_I64(&l->vendor), SOUK_COL_I64(&l->category)));
    if (r != SOUK_DB_ROW)
        return souk_store_dberr(r); /* no such variant: not for sale */
    l->priced = !no_price;
    size_t n[3];
    const char *t[3];
    for (int i = 0; i < 3; i++) {
        t[i] = souk_stmt_text(st, 1 + i, &n[i]);
        n[i] = t[i] ? n[i] : 0;
    }
    l->sku = souk_arena_strndup(c->a, t[0] ? t[0] : "", n[0]);
    l->product_title = souk_arena_strndup(c->a, t[1] ? t[1] : "", n[1]);
    l->variant_title = souk_arena_strndup(c->a, t[2] ? t[2] : "", n[2]);
    l->sku_len = n[0], l->product_title_len = n[1], l->variant_title_len = n[2];
    souk_stmt_done(st);
    return l->sku && l->product_title && l->variant_title ? SOUK_OK : SOUK_E_INTERNAL;
}

/* The line of V for VARIANT, or -1. */
static int find_line(const souk__cart_view *v, int64_t variant)
{
    for (int i = 0; i < v->n; i++)
        if (v->lines[i].variant == variant)
            return i;
    return -1;
}

/* Puts the new line L into V where souk__cart_read would list it (by
 * added_at, then variant). */
static souk_err insert_line(souk__cart_view *v, souk_arena *a, const souk__cart_line *l)
{
    if (!souk__cart_line_add(v, a))
        return SOUK_E_INTERNAL;
    int at = v->n - 1;
    while (at > 0 && (v->lines[at - 1].added_at > l->added_at ||
                      (v->lines[at - 1].added_at == l->added_at && v->lines[at - 1].variant > l->variant))) {
        v->lines[at] = v->lines[at - 1];
        at--;
    }
    v->lines[at] = *l;
    return SOUK_OK;
}

/* The quoted price of a line written now: the cart's currency and the price, or NULL. */
#define QUOTE_ARGS(v, l) SOUK_TEXT((v)->h.currency), (l)->priced ? SOUK_I64((l)->unit) : SOUK_NULL

/* Writes WANT units of the line of C (0 deletes it) into the database and
 * into V, where it is line AT (-1: not there yet; NEW_LINE is then its
 * offer). Every line it writes is quoted at its price now. */
static souk_err write_line(souk_store *db, const line_ctx *c, souk__cart_view *v, int at, souk__cart_line *new_line,
                           int64_t want, int64_t now)
{
    int r;
    if (want == 0) {
        r = souk_store_exec(db, "DELETE FROM cart_lines WHERE cart_id = $1 AND variant_id = $2",
                            SOUK_ARGS(SOUK_I64(c->cart), SOUK_I64(c->variant)));
        if (at >= 0) {
            memmove(&v->lines[at], &v->lines[at + 1], (size_t)(v->n - at - 1) * sizeof v->lines[0]);
            v->n--;
        }
    } else if (at >= 0) {
        souk__cart_line *l = &v->lines[at];
        r = souk_store_exec(db,
                            "UPDATE cart_lines SET quantity = $3, quoted_currency = $4, quoted_amount = $5 "
                            "WHERE cart_id = $1 AND variant_id = $2",
                            SOUK_ARGS(SOUK_I64(c->cart), SOUK_I64(c->variant), SOUK_I64(want), QUOTE_ARGS(v, l)));
        l->quantity = want;
        l->quoted_now = true;
    } else {
        r = souk_store_exec(
            db,
            "INSERT INTO cart_lines (cart_id, variant_id, quantity, added_at, quoted_currency, "
            "quoted_amount) VALUES ($1, $2, $3, $4, $5, $6)",
            SOUK_ARGS(SOUK_I64(c->cart), SOUK_I64(c->variant), SOUK_I64(want), SOUK_I64(now), QUOTE_ARGS(v, new_line)));
        new_line->quantity = want;
        new_line->added_at = now;
        new_line->quoted_now = true;
        if (r >= 0)
            return insert_line(v, c->a, new_line);
    }
    return souk_store_dberr(r);
}

/* The cart's row after a change at NOW: its 7-day life starts again, each
 * line is quoted at its price now (the lines whose quote is not that
 * already: usually none but the one written), and cart.updated. */
static souk_err touch(souk_store *db, int64_t cart, souk__cart_view *v, int64_t now)
{
    int r = souk_store_exec(db, "UPDATE carts SET updated_at = $2, expires_at = $3 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(cart), SOUK_I64(now), SOUK_I64(now + SOUK_CART_TTL_US)));
    if (r < 0)
        return souk_store_dberr(r);
    v->h.updated = now;
    v->h.expires = now + SOUK_CART_TTL_US;
    for (int i = 0; i < v->n; i++)
        if (!v->lines[i].quoted_now) {
            souk_err e = souk__cart_quote_lines(db, cart);
            if (e)
                return e;
            break;
        }
    return souk__cart_updated(db, cart, "lines");
}

/* Reads the cart once, checks the change against what it read, writes it,
 * and renders the answer from what it read and changed. */
static souk_err line_body(souk_store *db, void *arg)
{
    line_ctx *c = arg;
    souk__cart_priced_release(&c->priced); /* a transaction run again */
    c->has_price = false;
    souk__cart_view v;
    souk_err e = souk__cart_read(db, c->cart, c->a, &v);
    if (e)
        return e;
    int at = find_line(&v, c->variant);
    souk__cart_line offer = {0};
    if (at < 0 && (e = read_offer(db, c, &v, &offer)))
        return e;
    bool for_sale = at >= 0 ? v.lines[at].for_sale : offer.for_sale;
    if (!for_sale && !(c->set && c->quantity == 0)) /* an unbuyable line may still be removed */
        return refuse(c, "variant_id", "is not a variant that is for sale");
    int64_t have = at >= 0 ? v.lines[at].quantity : 0;
    int64_t want = c->set ? c->quantity : have + c->quantity;
    if (want > SOUK_CART_MAX_QUANTITY) {
        souk_problems_add(c->pr, c->a, "quantity", "at most %d of one variant per cart", SOUK_CART_MAX_QUANTITY);
        return SOUK_E_VALIDATION;
    }
    if (!have && c->set)
        return SOUK_E_NOT_FOUND; /* PATCH or removal of a line that is not there */
    if (!have && want > 0 && v.n >= SOUK_CART_MAX_LINES) {
        souk_problems_add(c->pr, c->a, "variant_id", "a cart holds at most %d lines", SOUK_CART_MAX_LINES);
        return SOUK_E_VALIDATION;
    }
    int64_t now = souk_time_now_us();
    if ((e = write_line(db, c, &v, at, &offer, want, now)) || (e = touch(db, c->cart, &v, now)))
        return e;
    /* a larger cart must still have totals souk can compute (the refusal
     * rolls the change back); the caller answers with these prices, as
     * JSON rendered after the commit (the one thread that runs every write
     * transaction does the arithmetic only, not the JSON) */
    e = souk__cart_price(&v, &c->priced);
    if (e == SOUK_E_VALIDATION && want > have)
        return refuse(c, "quantity", "the cart would exceed " SOUK_CART_MAX_TOTAL_TEXT " minor units in all");
    c->view = v;
    c->has_price = e == SOUK_OK;
    return e == SOUK_E_VALIDATION ? SOUK_OK : e; /* a smaller cart still over the cap: no JSON */
}

souk_err souk_cart_put_line(souk_store *db, int64_t cart, int64_t variant, int64_t quantity, bool set, souk_arena *a,
                            souk_problems *pr, json_t **out)
{
    line_ctx c = {.cart = cart, .variant = variant, .quantity = quantity, .set = set, .a = a, .pr = pr};
    souk_err e = souk_store_run(db, line_body, &c, pr);
    if (!e && c.has_price)
        e = souk__cart_render_priced(&c.view, &c.priced, true, &c.json);
    souk__cart_priced_release(&c.priced);
    *out = e ? NULL : c.json;
    if (e)
        json_decref(c.json);
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
    return souk_cart_create(db, c->user, currency, none, &c->into, NULL);
}

static souk_err merge_body(souk_store *db, void *arg)
{
    merge_ctx *c = arg;
    souk_err e = target(db, c);
    if (e)
        return e;
    int r = souk_store_exec(db,
                            "INSERT INTO cart_lines (cart_id, variant_id, quantity, added_at) "
                            "SELECT $2, variant_id, quantity, added_at FROM cart_lines WHERE cart_id = $1 "
                            "ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = CASE WHEN "
                            "cart_lines.quantity + excluded.quantity > $3 THEN $3 "
                            "ELSE cart_lines.quantity + excluded.quantity END",
                            SOUK_ARGS(SOUK_I64(c->from), SOUK_I64(c->into), SOUK_I64(SOUK_CART_MAX_QUANTITY)));
    int64_t lines = r < 0 ? 0 : line_count(db, c->into, &r);
    if (r < 0)
        return souk_store_dberr(r);
    if (lines > SOUK_CART_MAX_LINES) {
        souk_problems_add(c->pr, c->a, "cart_token",
                          "together the carts would hold %lld lines; a cart holds at most %d", (long long)lines,
                          SOUK_CART_MAX_LINES);
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
        souk_problems_add(c->pr, c->a, "cart_token",
                          "together the carts would exceed " SOUK_CART_MAX_TOTAL_TEXT
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
