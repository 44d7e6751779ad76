/*
 * render.c — the cart as the shopper sees it (souk_cart_json): its settings
 * and coupon as they hold now, its lines priced now from the catalog's
 * published views (catalog_offers, catalog_offer_prices: see catalog.h), and
 * the totals of cart/totals.h. Two queries, whatever the number of lines:
 * this is on the purchase path (every cart change and every checkout).
 *
 * Reading (souk__cart_read) and rendering (souk__cart_render) are apart, so
 * that a change reads the cart once, changes what it read as it changes the
 * rows, and answers with that: a line change costs no second read of the
 * cart it has just read (lines.c), a new cart none at all (cart.c).
 */
#include "cart/cart.h"

#include <string.h>

#include "cart/internal.h"
#include "cart/totals.h"
#include "catalog/catalog.h"
#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

/* The cart's own row with its tax rate, shipping method and coupon. */
static souk_err read_head(souk_store *db, int64_t id, souk__cart_head *h)
{
    bool has_shipping = false, coupon_ok = false, percent = false;
    int64_t ship_amount = 0, free_above = -1, coupon_value = 0, coupon_min = 0, gen = 0, cat_key = 0;
    char code[64] = "";
    memset(h, 0, sizeof *h);
    int r = souk_store_one(
        db,
        "SELECT c.currency, coalesce(c.region, ''), c.updated_at, c.expires_at, coalesce(t.rate_bp, 0), "
        "t.prices_include_tax = 1, s.id IS NOT NULL AND s.currency = c.currency, coalesce(s.code, ''), "
        "coalesce(s.amount, 0), coalesce(s.free_above, -1), coalesce(k.code, ''), k.kind = 'percent', "
        "coalesce(k.value, 0), coalesce(k.min_subtotal, 0), "
        "k.active = 1 AND coalesce(k.starts_at, 0) <= $2 AND coalesce(k.expires_at, 9223372036854775807) > $2 "
        "AND (k.usage_limit IS NULL OR k.used_count < k.usage_limit) AND (k.kind = 'percent' OR k.currency = c.currency), "
        "coalesce(pc.code, ''), coalesce(pc.promotion_id, 0), "
        "pc.usage_limit IS NOT NULL AND pc.used_count >= pc.usage_limit, "
        "(SELECT generation FROM promotion_state WHERE id = 1), "
        "coalesce((SELECT CAST(value AS BIGINT) FROM meta WHERE key = $3), 0), coalesce(c.user_id, 0) "
        "FROM carts c "
        "LEFT JOIN tax_rates t ON t.region = c.region "
        "LEFT JOIN shipping_methods s ON s.id = c.shipping_method_id AND s.active = 1 "
        "LEFT JOIN coupons k ON k.id = c.coupon_id "
        "LEFT JOIN promotion_codes pc ON pc.id = c.promo_code_id WHERE c.id = $1",
        SOUK_ARGS(SOUK_I64(id), SOUK_I64(souk_time_now_us()), SOUK_TEXT(SOUK_CATALOG_TREE)),
        SOUK_COLS(SOUK_COL_STR(h->currency), SOUK_COL_STR(h->region), SOUK_COL_I64(&h->updated),
                  SOUK_COL_I64(&h->expires), SOUK_COL_I64(&h->p.tax_rate_bp), SOUK_COL_BOOL(&h->p.prices_include_tax),
                  SOUK_COL_BOOL(&has_shipping), SOUK_COL_STR(h->ship_code), SOUK_COL_I64(&ship_amount),
                  SOUK_COL_I64(&free_above), SOUK_COL_STR(h->coupon_code), SOUK_COL_BOOL(&percent),
                  SOUK_COL_I64(&coupon_value), SOUK_COL_I64(&coupon_min), SOUK_COL_BOOL(&coupon_ok), SOUK_COL_STR(code),
                  SOUK_COL_I64(&h->code_promotion), SOUK_COL_BOOL(&h->code_used_up), SOUK_COL_I64(&gen),
                  SOUK_COL_I64(&cat_key), SOUK_COL_I64(&h->user)));
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
    h->p.free_shipping_above = -1;
    if (has_shipping) { /* a method in another currency than the cart's does not apply */
        h->p.has_shipping = true;
        h->p.shipping_amount = ship_amount;
        h->p.free_shipping_above = free_above;
    } else {
        h->ship_code[0] = '\0';
    }
    /* the coupon's rules hold at every read, not only when it was applied:
     * deactivated, expired, used up or in another currency → no discount */
    if (h->coupon_code[0] && coupon_ok) {
        h->p.coupon = percent ? SOUK_COUPON_PERCENT : SOUK_COUPON_FIXED;
        h->p.coupon_value = coupon_value;
        h->p.coupon_min_subtotal = coupon_min;
    }
    if (!h->coupon_code[0] && code[0]) /* a promotion's code (promotions.md): shown as the cart's coupon */
        memcpy(h->coupon_code, code, sizeof code);
    /* the promotions as they are now, loaded once per change of theirs or of
     * the category tree (not of the rest of the catalog) */
    return souk__promo_snap_refresh(db, gen, cat_key);
}

/* A copy of text column COL of ST in A, its length in *LEN ("" for NULL). */
static const char *text_copy(souk_stmt *st, int col, souk_arena *a, size_t *len)
{
    size_t n = 0;
    const char *s = souk_stmt_text(st, col, &n);
    *len = s ? n : 0;
    return souk_arena_strndup(a, s ? s : "", *len);
}

/* Room for one more line in V (grown in A). */
static souk__cart_line *line_slot(souk__cart_view *v, souk_arena *a)
{
    if (v->n == v->cap) {
        int cap = v->cap ? 2 * v->cap : 8;
        souk__cart_line *bigger = souk_arena_alloc(a, (size_t)cap * sizeof *bigger);
        if (!bigger)
            return NULL;
        if (v->n)
            memcpy(bigger, v->lines, (size_t)v->n * sizeof *bigger);
        v->lines = bigger;
        v->cap = cap;
    }
    return &v->lines[v->n];
}

souk__cart_line *souk__cart_line_add(souk__cart_view *v, souk_arena *a)
{
    souk__cart_line *l = line_slot(v, a);
    if (l) {
        memset(l, 0, sizeof *l);
        v->n++;
    }
    return l;
}

/* The lines of cart V->id priced in its currency, in the order they were added. */
static souk_err read_lines(souk_store *db, souk__cart_view *v, souk_arena *a)
{
    souk_stmt *st = souk_store_query(db,
                                     "SELECT l.variant_id, o.product_id, o.sku, o.product_title, o.variant_title, "
                                     "l.quantity, pr.amount, o.purchasable = 1, l.added_at, l.quoted_currency, "
                                     "l.quoted_amount, coalesce(pp.brand_id, 0), coalesce(pp.vendor_id, 0), "
                                     "coalesce(pp.category_id, 0) FROM cart_lines l "
                                     "JOIN catalog_offers o ON o.variant_id = l.variant_id "
                                     "LEFT JOIN catalog_promo_products pp ON pp.product_id = o.product_id "
                                     "LEFT JOIN catalog_offer_prices pr ON pr.variant_id = l.variant_id "
                                     "AND pr.currency = $2 WHERE l.cart_id = $1 ORDER BY l.added_at, l.variant_id",
                                     SOUK_ARGS(SOUK_I64(v->id), SOUK_TEXT(v->h.currency)));
    int r;
    for (;;) {
        souk__cart_line one = {0};
        bool no_price = false, no_quote = false, no_quote_currency = false;
        char quoted_currency[4] = "";
        r = souk_stmt_next(st,
                           SOUK_COLS(SOUK_COL_I64(&one.variant), SOUK_COL_I64(&one.product), SOUK_COL_SKIP,
                                     SOUK_COL_SKIP, SOUK_COL_SKIP, SOUK_COL_I64(&one.quantity),
                                     SOUK_COL_NULLABLE(SOUK_COL_I64(&one.unit), &no_price),
                                     SOUK_COL_BOOL(&one.for_sale), SOUK_COL_I64(&one.added_at),
                                     SOUK_COL_NULLABLE(SOUK_COL_STR(quoted_currency), &no_quote_currency),
                                     SOUK_COL_NULLABLE(SOUK_COL_I64(&one.quoted_amount), &no_quote),
                                     SOUK_COL_I64(&one.brand), SOUK_COL_I64(&one.vendor), SOUK_COL_I64(&one.category)));
        if (r != SOUK_DB_ROW)
            break;
        one.priced = !no_price;
        /* quoted as souk__cart_touch writes it: the cart's currency, the price or NULL */
        one.quoted_now = !no_quote_currency && strcmp(quoted_currency, v->h.currency) == 0 &&
                         (one.priced ? !no_quote && one.quoted_amount == one.unit : no_quote);
        one.sku = text_copy(st, 2, a, &one.sku_len);
        one.product_title = text_copy(st, 3, a, &one.product_title_len);
        one.variant_title = text_copy(st, 4, a, &one.variant_title_len);
        souk__cart_line *l = line_slot(v, a);
        if (!l || !one.sku || !one.product_title || !one.variant_title) {
            souk_stmt_done(st);
            return SOUK_E_INTERNAL;
        }
        *l = one;
        v->n++;
    }
    return souk_store_dberr(r);
}

souk_err souk__cart_read(souk_store *db, int64_t id, souk_arena *a, souk__cart_view *v)
{
    memset(v, 0, sizeof *v);
    v->id = id;
    souk_err e = read_head(db, id, &v->h);
    if (!e && v->h.user) { /* a customer's cart: the promotions they have had their share of */
        char customer[32];
        souk__promo_customer_key(v->h.user, NULL, customer, sizeof customer);
        e = souk__promo_spent(db, customer, &v->h);
        if (!e) /* and the campaign audiences they are in */
            e = souk__promo_audiences(db, v->h.user, &v->h);
    }
    return e ? e : read_lines(db, v, a);
}

/* ---- rendering ---- */

static json_t *money(int64_t amount, const char *currency)
{
    json_t *m = json_object();
    if (m && (json_object_set_new(m, "amount", json_integer((json_int_t)amount)) < 0 ||
              json_object_set_new(m, "currency", json_string(currency)) < 0)) {
        json_decref(m);
        return NULL;
    }
    return m;
}

static json_t *text_json(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    return j ? j : json_string("(invalid UTF-8)"); /* a row written by another tool */
}

static json_t *text_or_null(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

static json_t *id_json(const char *prefix, int64_t id)
{
    char buf[SOUK_ID_TEXT_MAX];
    return json_string(souk_id_format(prefix, id, buf));
}

/* Sets the N (KEY, VALUE) pairs into O in order, stealing every value;
 * -1 when one is NULL or memory ran out (all values are released). */
static int set_all(json_t *o, size_t n, const char *const keys[], json_t *const values[])
{
    int rc = o ? 0 : -1;
    for (size_t i = 0; i < n; i++) {
        if (!values[i])
            rc = -1;
        if (rc == 0)
            rc = json_object_set_new(o, keys[i], values[i]); /* steals it, also when it fails */
        else
            json_decref(values[i]);
    }
    return rc;
}

static json_t *line_json(const souk__cart_line *l, const char *currency, int64_t discount)
{
    bool buyable = l->for_sale && l->priced;
    const char *problem = !l->for_sale ? "no longer for sale"
                          : !l->priced ? "has no price in the cart's currency"
                                       : NULL;
    static const char *const keys[] = {"variant_id",    "product_id",  "sku",        "product_title",
                                       "variant_title", "quantity",    "unit_price", "line_total",
                                       "discount",      "purchasable", "problem"};
    json_t *const values[] = {id_json("var", l->variant),
                              id_json("prod", l->product),
                              text_json(l->sku, l->sku_len),
                              text_json(l->product_title, l->product_title_len),
                              text_json(l->variant_title, l->variant_title_len),
                              json_integer((json_int_t)l->quantity),
                              l->priced ? money(l->unit, currency) : json_null(),
                              buyable ? money(l->unit * l->quantity, currency) : json_null(),
                              buyable ? money(discount, currency) : json_null(),
                              json_boolean(buyable),
                              problem ? json_string(problem) : json_null()};
    json_t *o = json_object();
    if (set_all(o, sizeof keys / sizeof keys[0], keys, values) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

souk_err souk__cart_price(const souk__cart_view *v, souk__cart_priced *pc)
{
    pc->snap = NULL;
    souk_cart_line_price priced[SOUK_CART_MAX_LINES];
    int n = 0, idx[SOUK_CART_MAX_LINES];
    for (int i = 0; i < v->n; i++)
        if (v->lines[i].for_sale && v->lines[i].priced && n < SOUK_CART_MAX_LINES) {
            idx[n] = i;
            priced[n++] = (souk_cart_line_price){v->lines[i].unit, v->lines[i].quantity};
        }
    souk_cart_totals *t = &pc->t;
    souk_cart_pricing p = v->h.p;
    if (souk_cart_compute(priced, n, &p, t) < 0)
        return SOUK_E_VALIDATION; /* beyond the largest amount souk computes */
    /* the promotions, on a cart souk can price at all; the coupon after them */
    souk__promo_snap *snap = souk__promo_snap_acquire();
    souk_promo_result *pr = &pc->promo;
    souk__promo_price(snap, v, idx, n, pr);
    p.promo_discount = pr->discount;
    p.promo_free_shipping = pr->free_shipping;
    souk_cart_compute(priced, n, &p, t);
    for (int k = 0; snap && v->h.code_promotion && k < pr->n; k++) /* a promotion's code "applies" with it */
        if (snap->p[pr->out[k].promo].id == v->h.code_promotion && pr->out[k].applied)
            t->coupon_applied = true;
    /* each line's share: its promotions', then the coupon's by largest remainder */
    int64_t share[SOUK_CART_MAX_LINES], left[SOUK_CART_MAX_LINES];
    for (int i = 0; i < v->n && i < SOUK_CART_MAX_LINES; i++)
        pc->by_line[i] = 0;
    for (int k = 0; k < n; k++)
        left[k] = priced[k].unit_amount * priced[k].quantity - pr->line_discount[k];
    souk_promo_allocate(t->discount - pr->discount, left, n, share);
    for (int k = 0; k < n; k++)
        pc->by_line[idx[k]] = pr->line_discount[k] + share[k];
    pc->snap = snap;
    return SOUK_OK;
}

void souk__cart_priced_release(souk__cart_priced *pc)
{
    souk__promo_snap_release(pc->snap);
    pc->snap = NULL;
}

souk_err souk__cart_render(const souk__cart_view *v, json_t **out)
{
    *out = NULL;
    souk__cart_priced pc;
    souk_err e = souk__cart_price(v, &pc);
    if (e)
        return e;
    e = souk__cart_render_priced(v, &pc, true, out);
    souk__cart_priced_release(&pc);
    return e;
}

souk_err souk__cart_render_priced(const souk__cart_view *v, const souk__cart_priced *pc, bool why_not, json_t **out)
{
    *out = NULL;
    const souk_cart_totals t = pc->t;
    const int64_t *by_line = pc->by_line;
    const char *cur = v->h.currency;
    json_t *promotions = souk__promo_json(pc->snap, &pc->promo, cur, why_not);
    json_t *lines = json_array();
    for (int i = 0; lines && i < v->n; i++)
        if (json_array_append_new(lines, line_json(&v->lines[i], cur, by_line[i])) < 0) {
            json_decref(lines);
            lines = NULL;
        }
    static const char *const total_keys[] = {"subtotal", "discount",           "shipping",      "tax",
                                             "total",    "prices_include_tax", "coupon_applied"};
    json_t *const total_values[] = {money(t.subtotal, cur),        money(t.discount, cur),
                                    money(t.shipping, cur),        money(t.tax, cur),
                                    money(t.total, cur),           json_boolean(v->h.p.prices_include_tax),
                                    json_boolean(t.coupon_applied)};
    json_t *totals = json_object();
    if (set_all(totals, sizeof total_keys / sizeof total_keys[0], total_keys, total_values) < 0) {
        json_decref(totals);
        totals = NULL;
    }
    char up[SOUK_RFC3339_LEN], ex[SOUK_RFC3339_LEN];
    static const char *const keys[] = {"id",    "currency", "region",     "shipping_method", "coupon",
                                       "lines", "totals",   "promotions", "updated_at",      "expires_at"};
    json_t *const values[] = {id_json("cart", v->id),
                              json_string(cur),
                              text_or_null(v->h.region),
                              text_or_null(v->h.ship_code),
                              text_or_null(v->h.coupon_code),
                              lines,
                              totals,
                              promotions,
                              json_string(souk_time_format(v->h.updated, up)),
                              json_string(souk_time_format(v->h.expires, ex))};
    json_t *o = json_object();
    if (set_all(o, sizeof keys / sizeof keys[0], keys, values) < 0) {
        json_decref(o);
        return SOUK_E_INTERNAL;
    }
    *out = o;
    return SOUK_OK;
}

souk_err souk_cart_json_redeem(souk_store *db, int64_t id, int64_t user, const char *email, int64_t points_discount,
                               json_t **out)
{
    *out = NULL;
    souk_arena a;
    souk_arena_init(&a, 4096, 0);
    souk__cart_view v;
    souk_err e = souk__cart_read(db, id, &a, &v);
    if (!e && !v.h.user && (user || email)) { /* a guest known at checkout by their e-mail */
        char customer[300];
        souk__promo_customer_key(user, email, customer, sizeof customer);
        e = souk__promo_spent(db, customer, &v.h);
        if (!e) /* a guest by e-mail alone is in no audience */
            e = souk__promo_audiences(db, user, &v.h);
    }
    v.h.p.points_discount = points_discount;
    souk__cart_priced pc = {0};
    if (!e)
        e = souk__cart_price(&v, &pc);
    if (!e) /* inside the checkout's write transaction, which reads only what applied */
        e = souk__cart_render_priced(&v, &pc, false, out);
    souk__cart_priced_release(&pc);
    souk_arena_release(&a);
    return e;
}

souk_err souk_cart_json_as(souk_store *db, int64_t id, int64_t user, const char *email, json_t **out)
{
    return souk_cart_json_redeem(db, id, user, email, 0, out);
}

souk_err souk_cart_json(souk_store *db, int64_t id, json_t **out)
{
    souk_arena a;
    souk_arena_init(&a, 4096, 0);
    souk__cart_view v;
    souk_err e = souk__cart_read(db, id, &a, &v);
    if (!e)
        e = souk__cart_render(&v, out);
    souk_arena_release(&a);
    return e;
}
