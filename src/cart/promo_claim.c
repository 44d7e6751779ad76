/*
 * promo_claim.c — usage limits, claimed when an order is placed (inside the
 * checkout's transaction) and given back when that order fails (cancelled
 * before or after payment). Every claim is a conditional update of one row
 * (the promotion's count, the code's count, the customer's count), so
 * concurrent checkouts cannot pass a limit: of 200 carts racing for a
 * one-use code, the first to commit counts it, the others find nothing to
 * update and are refused (or, on PostgreSQL, are serialised behind the row
 * lock and then find the limit reached). See docs/internals/promotions.md.
 */
#include "cart/cart.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cart/internal.h"
#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

void souk__promo_customer_key(int64_t user, const char *email, char *out, size_t cap)
{
    if (user) {
        snprintf(out, cap, "u:%lld", (long long)user);
        return;
    }
    size_t i = 0;
    out[i++] = 'e', out[i++] = ':';
    for (const char *p = email ? email : ""; *p && i + 1 < cap; p++)
        out[i++] = (char)tolower((unsigned char)*p);
    out[i] = '\0';
}

/* One more use of promotion ID, unless its global limit is reached (then
 * *OK = false); *PER_CUSTOMER gets its per-customer limit (0: none), read
 * by the same statement. The generation moves when this use reaches the
 * limit. */
static souk_err claim_global(souk_store *db, int64_t id, bool *ok, int64_t *per_customer)
{
    bool full = false, no_limit = true;
    *per_customer = 0;
    int r = souk_store_one(db,
                           "UPDATE promotions SET used_count = used_count + 1 WHERE id = $1 AND "
                           "(usage_limit IS NULL OR used_count < usage_limit) "
                           "RETURNING usage_limit IS NOT NULL AND used_count >= usage_limit, per_customer_limit",
                           SOUK_ARGS(SOUK_I64(id)),
                           SOUK_COLS(SOUK_COL_BOOL(&full), SOUK_COL_NULLABLE(SOUK_COL_I64(per_customer), &no_limit)));
    *ok = r == SOUK_DB_ROW;
    if (r < 0)
        return souk_store_dberr(r);
    if (no_limit)
        *per_customer = 0;
    return *ok && full ? souk__promo_bump_tx(db) : SOUK_OK;
}

/* One more use of promotion ID by CUSTOMER under its per-customer LIMIT
 * (> 0), unless they have had it (then *OK = false). */
static souk_err claim_customer(souk_store *db, int64_t id, const char *customer, int64_t limit, bool *ok)
{
    int64_t used = 0;
    int r =
        souk_store_one(db,
                       "INSERT INTO promotion_customer_uses (promotion_id, customer, used) VALUES ($1, $2, 1) "
                       "ON CONFLICT (promotion_id, customer) DO UPDATE SET used = promotion_customer_uses.used + 1 "
                       "WHERE promotion_customer_uses.used < $3 RETURNING used",
                       SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(customer), SOUK_I64(limit)), SOUK_COLS(SOUK_COL_I64(&used)));
    *ok = r == SOUK_DB_ROW && used <= limit;
    return r < 0 ? souk_store_dberr(r) : SOUK_OK;
}

static souk_err claim_code(souk_store *db, int64_t code, bool *ok)
{
    int r = souk_store_one(db,
                           "UPDATE promotion_codes SET used_count = used_count + 1 WHERE id = $1 AND "
                           "(usage_limit IS NULL OR used_count < usage_limit) RETURNING id",
                           SOUK_ARGS(SOUK_I64(code)), NULL);
    *ok = r == SOUK_DB_ROW;
    /* the cart shows a used-up code from its row, not the snapshot: no bump */
    return r < 0 ? souk_store_dberr(r) : SOUK_OK;
}

/* What one order claims: the cart's code, the customer, when. */
typedef struct claim {
    int64_t order, code, code_promotion, now;
    char customer[300];
} claim;

/* Whether promotion ID has a usage limit, as snapshot S says (not in S: it
 * changed since the cart was priced; count it to be safe). */
static bool limited(const souk__promo_snap *s, int64_t id)
{
    for (int i = 0; s && i < s->n; i++)
        if (s->p[i].id == id)
            return s->p[i].limited;
    return true;
}

/* Claims promotion ID (applied entry ONE of the cart JSON, AMOUNT off) for C. */
static souk_err claim_one(souk_store *db, const claim *c, const json_t *one, int64_t id, int64_t amount, souk_arena *a,
                          souk_problems *pr)
{
    bool ok = true, with_code = id == c->code_promotion && c->code;
    const char *why = NULL;
    int64_t per_customer = 0;
    souk_err e = claim_global(db, id, &ok, &per_customer);
    if (!e && !ok)
        why = "usage_limit_reached";
    if (!e && ok && per_customer > 0 && (e = claim_customer(db, id, c->customer, per_customer, &ok)) == SOUK_OK && !ok)
        why = "customer_limit_reached";
    if (!e && ok && with_code && (e = claim_code(db, c->code, &ok)) == SOUK_OK && !ok)
        why = "usage_limit_reached";
    if (e)
        return e;
    if (why) { /* the caller's transaction rolls back what was claimed */
        const char *name = json_string_value(json_object_get(one, "name"));
        souk_problems_add(pr, a, "promotions", "%s: %s; read the cart again", name ? name : "a promotion", why);
        return SOUK_E_VALIDATION;
    }
    return souk_store_dberr(souk_store_exec(db,
                                            "INSERT INTO promotion_redemptions (id, order_id, promotion_id, code_id, "
                                            "customer, amount, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                                            SOUK_ARGS(SOUK_I64(souk_id_next()), SOUK_I64(c->order), SOUK_I64(id),
                                                      SOUK_REF(with_code ? c->code : 0), SOUK_TEXT(c->customer),
                                                      SOUK_I64(amount), SOUK_I64(c->now))));
}

souk_err souk_cart_promo_claim_tx(souk_store *db, int64_t cart, const json_t *cart_json, int64_t order, int64_t user,
                                  const char *email, souk_arena *a, souk_problems *pr)
{
    const json_t *applied = json_object_get(json_object_get(cart_json, "promotions"), "applied");
    if (json_array_size(applied) == 0)
        return SOUK_OK;
    claim c = {.order = order, .now = souk_time_now_us()};
    int r =
        souk_store_one(db,
                       "SELECT coalesce(pc.id, 0), coalesce(pc.promotion_id, 0) FROM carts c "
                       "LEFT JOIN promotion_codes pc ON pc.id = c.promo_code_id WHERE c.id = $1",
                       SOUK_ARGS(SOUK_I64(cart)), SOUK_COLS(SOUK_COL_I64(&c.code), SOUK_COL_I64(&c.code_promotion)));
    if (r < 0)
        return souk_store_dberr(r);
    souk__promo_customer_key(user, email, c.customer, sizeof c.customer);
    souk__promo_snap *snap = souk__promo_snap_acquire();
    souk_err e = SOUK_OK;
    for (size_t i = 0; !e && i < json_array_size(applied); i++) {
        const json_t *one = json_array_get(applied, i);
        const char *ref = json_string_value(json_object_get(one, "id"));
        int64_t id = 0, amount = json_integer_value(json_object_get(json_object_get(one, "amount"), "amount"));
        if (!ref || souk_id_parse("promo", ref, strlen(ref), &id) < 0)
            e = SOUK_E_INTERNAL;
        else if ((id == c.code_promotion && c.code) || limited(snap, id)) /* else nothing to count */
            e = claim_one(db, &c, one, id, amount, a, pr);
    }
    souk__promo_snap_release(snap);
    return e;
}

souk_err souk_cart_promo_release_tx(souk_store *db, int64_t order)
{
    souk_stmt *st = souk_store_query(db,
                                     "UPDATE promotion_redemptions SET released = 1 WHERE order_id = $1 AND "
                                     "released = 0 RETURNING promotion_id, coalesce(code_id, 0), customer",
                                     SOUK_ARGS(SOUK_I64(order)));
    struct {
        int64_t promo, code;
        char customer[300];
    } back[SOUK_PROMO_MAX];
    int n = 0, r;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&back[n].promo), SOUK_COL_I64(&back[n].code),
                                             SOUK_COL_STR(back[n].customer)))) == SOUK_DB_ROW)
        if (n + 1 < SOUK_PROMO_MAX)
            n++;
    if (r < 0)
        return souk_store_dberr(r);
    bool bump = false;
    for (int i = 0; i < n; i++) {
        bool was_full = false;
        r = souk_store_one(db,
                           "UPDATE promotions SET used_count = used_count - 1 WHERE id = $1 AND used_count > 0 "
                           "RETURNING usage_limit IS NOT NULL AND used_count + 1 >= usage_limit",
                           SOUK_ARGS(SOUK_I64(back[i].promo)), SOUK_COLS(SOUK_COL_BOOL(&was_full)));
        if (r >= 0)
            r = souk_store_exec(db,
                                "UPDATE promotion_customer_uses SET used = used - 1 WHERE promotion_id = $1 AND "
                                "customer = $2 AND used > 0",
                                SOUK_ARGS(SOUK_I64(back[i].promo), SOUK_TEXT(back[i].customer)));
        if (r >= 0 && back[i].code)
            r = souk_store_exec(db,
                                "UPDATE promotion_codes SET used_count = used_count - 1 WHERE id = $1 AND "
                                "used_count > 0",
                                SOUK_ARGS(SOUK_I64(back[i].code)));
        if (r < 0)
            return souk_store_dberr(r);
        bump = bump || was_full;
    }
    return bump ? souk__promo_bump_tx(db) : SOUK_OK;
}

souk_err souk__promo_spent(souk_store *db, const char *customer, souk__cart_head *h)
{
    h->nspent = 0;
    souk__promo_snap *snap = souk__promo_snap_acquire();
    bool any = snap && snap->per_customer;
    souk__promo_snap_release(snap);
    if (!any)
        return SOUK_OK;
    souk_stmt *st = souk_store_query(db,
                                     "SELECT u.promotion_id FROM promotion_customer_uses u JOIN promotions p ON "
                                     "p.id = u.promotion_id WHERE u.customer = $1 AND p.active = 1 AND "
                                     "p.per_customer_limit IS NOT NULL AND u.used >= p.per_customer_limit LIMIT 16",
                                     SOUK_ARGS(SOUK_TEXT(customer)));
    int r;
    int64_t id;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&id)))) == SOUK_DB_ROW)
        if (h->nspent < (int)(sizeof h->spent / sizeof h->spent[0]))
            h->spent[h->nspent++] = id;
    return souk_store_dberr(r);
}

souk_err souk__promo_audiences(souk_store *db, int64_t user, souk__cart_head *h)
{
    h->naud = 0;
    souk__promo_snap *snap = user ? souk__promo_snap_acquire() : NULL;
    bool any = snap && snap->audiences;
    souk__promo_snap_release(snap);
    if (!any)
        return SOUK_OK;
    souk_stmt *st = souk_store_query(db,
                                     "SELECT m.audience_id FROM cart_audience_members m WHERE m.user_id = $1 AND "
                                     "m.audience_id IN (SELECT p.audience_id FROM promotions p WHERE p.active = 1 "
                                     "AND p.audience_id IS NOT NULL) ORDER BY m.audience_id LIMIT 16",
                                     SOUK_ARGS(SOUK_I64(user)));
    int r;
    int64_t id;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&id)))) == SOUK_DB_ROW)
        if (h->naud < (int)(sizeof h->aud / sizeof h->aud[0]))
            h->aud[h->naud++] = id;
    return souk_store_dberr(r);
}

souk_err souk__promo_bump_tx(souk_store *db)
{
    return souk_store_dberr(
        souk_store_exec(db, "UPDATE promotion_state SET generation = generation + 1 WHERE id = 1", NULL));
}
