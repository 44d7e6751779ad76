/* internal.h — shared by the cart module's .c files only (souk__cart_ prefix). */
#ifndef SOUK_CART_INTERNAL_H
#define SOUK_CART_INTERNAL_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cart/promo.h"
#include "cart/totals.h"
#include "core/arena.h"
#include "core/err.h"
#include "store/store.h"

/* ---- a cart as read (render.c) ---- */

/* The cart's own row: its settings, and the rules that price it now. */
typedef struct souk__cart_head {
    char currency[4], region[16], ship_code[64], coupon_code[64]; /* "" = none */
    int64_t updated, expires;                                     /* µs */
    souk_cart_pricing p;
    int64_t code_promotion; /* the promotion whose code is on the cart (0: none) */
    bool code_used_up;      /* that code's own usage limit is reached */
    int64_t user;           /* the cart's customer (0: a guest) */
    int nspent;             /* promotions this customer has had their share of (per-customer limit) */
    int64_t spent[16];
    int naud; /* audiences of active promotions the customer is a member of */
    int64_t aud[16];
} souk__cart_head;

/* One line, priced in the cart's currency. Texts live in the arena the
 * cart was read into (lengths kept: a row written by another tool may hold
 * any bytes). */
typedef struct souk__cart_line {
    int64_t variant, product, quantity, added_at;
    int64_t brand, vendor, category; /* 0: none (catalog_promo_products) */
    int64_t unit;                    /* minor units, when PRICED */
    bool priced;                     /* the variant has a price in the cart's currency */
    bool for_sale;                   /* the variant and its product are active */
    bool quoted_now;                 /* its quoted price (cart_lines.quoted_*) is its price now */
    int64_t quoted_amount;
    const char *sku, *product_title, *variant_title;
    size_t sku_len, product_title_len, variant_title_len;
} souk__cart_line;

/* A cart: its head and its lines in the order they were added (added_at,
 * then variant), as souk_cart_json shows them. */
typedef struct souk__cart_view {
    int64_t id;
    souk__cart_head h;
    souk__cart_line *lines; /* in the arena */
    int n, cap;
} souk__cart_view;

/* Reads cart ID (head and lines) into V, texts and the line array in A.
 * SOUK_OK, NOT_FOUND, INTERNAL (memory) or the database error. */
souk_err souk__cart_read(souk_store *db, int64_t id, souk_arena *a, souk__cart_view *v);

/* Appends a zeroed line to V (the array grows in A); NULL when memory ran
 * out. The caller fills it and keeps the order souk__cart_read gives. */
souk__cart_line *souk__cart_line_add(souk__cart_view *v, souk_arena *a);

/* V as JSON (the Cart object of docs/cart.md; caller decrefs *OUT), with
 * the totals of cart/totals.h: souk__cart_price, then
 * souk__cart_render_priced. VALIDATION (nothing in *OUT) when the
 * subtotal passes SOUK_CART_MAX_TOTAL_TEXT minor units; INTERNAL (memory). */
souk_err souk__cart_render(const souk__cart_view *v, json_t **out);

/* A cart's prices: its totals, what the promotions did (under the snapshot
 * SNAP it holds a reference to) and each line's share of the discount (by
 * V's line index). Pricing is arithmetic, rendering is JSON work: a write
 * transaction prices (its checks need the totals) and the caller renders
 * after the commit, off the one thread that runs every write. */
typedef struct souk__cart_priced {
    souk_cart_totals t;
    struct souk__promo_snap *snap;
    souk_promo_result promo;
    int64_t by_line[SOUK_PROMO_MAX_LINES]; /* = SOUK_CART_MAX_LINES */
} souk__cart_priced;

/* Prices V into *PC (a snapshot reference the caller gives back with
 * souk__cart_priced_release, also after an error: then it is NULL).
 * VALIDATION when the subtotal passes SOUK_CART_MAX_TOTAL_TEXT. */
souk_err souk__cart_price(const souk__cart_view *v, souk__cart_priced *pc);
void souk__cart_priced_release(souk__cart_priced *pc);

/* V priced as PC, as JSON (as souk__cart_render); WHY_NOT false leaves
 * promotions.not_applied empty (for the checkout, which reads only what
 * applied). INTERNAL (memory). */
souk_err souk__cart_render_priced(const souk__cart_view *v, const souk__cart_priced *pc, bool why_not, json_t **out);

/* Emits cart.updated {cart_id, reason} about CART in the caller's
 * transaction. SOUK_OK or the database error. */
souk_err souk__cart_updated(souk_store *db, int64_t cart, const char *reason);

/* Inside the caller's write transaction, after a change of CART: its 7-day
 * life starts again, each line's quoted price becomes its price now (what
 * the change's answer shows), and cart.updated {cart_id, reason} is
 * emitted. SOUK_OK or the database error (UNAVAILABLE: retry the
 * transaction). */
souk_err souk__cart_touch(souk_store *db, int64_t cart, const char *reason);

/* Inside the caller's write transaction: each line of CART is quoted at
 * its price now (cart_lines.quoted_*: the cart's currency and the price in
 * it, or NULL), what the answer of a change shows. SOUK_OK or the database
 * error. */
souk_err souk__cart_quote_lines(souk_store *db, int64_t cart);

/* Why coupon CODE cannot go on (or stay on) CART now — "no such coupon",
 * "this coupon is not active", "… not valid now", "… has been used up",
 * "… is for another currency" — or NULL when it can; *E gets a database
 * error (then NULL is returned). */
const char *souk__cart_coupon_refusal(souk_store *db, int64_t cart, const char *code, souk_err *e);

/* ---- promotions (promo_snapshot.c, promo_apply.c, promo_claim.c) ---- */

/* The promotions in memory: N of them, by priority then id, category sets
 * resolved to their whole subtrees. Shared and never changed once
 * published. */
typedef struct souk__promo_snap {
    int64_t gen, cat_key;
    int n;
    atomic_int refs;
    bool per_customer; /* one of them has a per-customer limit (else no customer's uses are read) */
    bool audiences;    /* one of them is limited to an audience (else no membership is read) */
    souk_promo *p;
    json_t **id_json, **name_json; /* per promotion: its id and name as JSON strings, shared read-only */
} souk__promo_snap;

/* The category tree, read through DB for one snapshot (promo_tree.c). */
typedef struct souk__promo_tree souk__promo_tree;
souk_err souk__promo_tree_load(souk_store *db, souk__promo_tree **out);
void souk__promo_tree_free(souk__promo_tree *t);

/* Resolves category set S against tree T (NULL: no categories): S->sub gets
 * S's categories and all their descendants, ascending (malloc'd; the
 * caller frees it); other sets get none. -1 when memory ran out. */
int souk__promo_tree_resolve(const souk__promo_tree *t, souk_promo_set *s);

/* Makes the process's snapshot the one of generation GEN and category tree
 * CAT_KEY, loading it through DB (inside the caller's transaction) unless it
 * is already. SOUK_OK or the database error / INTERNAL (memory). */
souk_err souk__promo_snap_refresh(souk_store *db, int64_t gen, int64_t cat_key);

/* The current snapshot with a reference the caller gives back with
 * souk__promo_snap_release, or NULL (none loaded yet: no promotions). */
souk__promo_snap *souk__promo_snap_acquire(void);
void souk__promo_snap_release(souk__promo_snap *s);

/* Prices V's buyable lines (the first N of V's lines that are for sale and
 * priced, as LINES lists their indices) under the promotions of S (NULL:
 * none) into *R. */
void souk__promo_price(const souk__promo_snap *s, const souk__cart_view *v, const int *lines, int n,
                       souk_promo_result *r);

/* The promotions part of the cart's JSON ({applied: [...], not_applied:
 * [...]}) for R under S (not_applied left empty unless WHY_NOT); NULL when
 * memory ran out. Each entry's id and name are S's shared strings. */
json_t *souk__promo_json(const souk__promo_snap *s, const souk_promo_result *r, const char *currency, bool why_not);

/* The usage key of a customer: "u:<USER>", or for a guest "e:<EMAIL in lower case>". */
void souk__promo_customer_key(int64_t user, const char *email, char *out, size_t cap);

/* Fills H's spent list: the promotions whose per-customer limit CUSTOMER
 * (a souk__promo_customer_key) has reached; no query when no promotion of
 * the snapshot has a per-customer limit (the claim at checkout still
 * enforces a limit a newer snapshot brings). SOUK_OK or the database error. */
souk_err souk__promo_spent(souk_store *db, const char *customer, souk__cart_head *h);

/* Fills H's audience list: the audiences of active promotions that account
 * USER is a member of (the campaigns' stored member sets, through the view
 * cart_audience_members); none for a guest (USER 0), and no query when no
 * promotion of the snapshot is limited to an audience. SOUK_OK or the
 * database error. */
souk_err souk__promo_audiences(souk_store *db, int64_t user, souk__cart_head *h);

/* Bumps promotion_state's generation inside the caller's transaction (every
 * write that changes what the snapshot holds). SOUK_OK or the database error. */
souk_err souk__promo_bump_tx(souk_store *db);

/* The JSON spec check of a currency code: NULL for a known ISO 4217 code,
 * else the message. */
const char *souk__cart_check_currency(const char *s, size_t len);

#endif
