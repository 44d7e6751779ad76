/*
 * promo.h — automatic promotions and promotion codes, the cart's pricing
 * beyond its one legacy coupon (private to src/cart; the rules for shoppers
 * are in docs/promotions.md, the design in docs/internals/promotions.md).
 *
 * The engine (promo_engine.c) is pure: it takes a cart's lines and a set of
 * promotions and says, per promotion, whether it applied and how much, or
 * why not, and what every line's share of the discount is, to the minor
 * unit (largest remainder). The snapshot (promo_snapshot.c) holds the
 * promotions in memory, reloaded when their generation changes, so that
 * pricing a cart costs no query per promotion or line. Usage limits are
 * claimed when an order is placed and given back when it fails
 * (promo_claim.c).
 */
#ifndef SOUK_CART_PROMO_H
#define SOUK_CART_PROMO_H

#include <stdbool.h>
#include <stdint.h>

#define SOUK_PROMO_MAX 200       /* active promotions a shop may have at once */
#define SOUK_PROMO_MAX_SET 100   /* ids in one product set */
#define SOUK_PROMO_MAX_TIERS 5   /* tiers of a tiered promotion */
#define SOUK_PROMO_MAX_LINES 100 /* = SOUK_CART_MAX_LINES */
#define SOUK_PROMO_MAX_CATS 16   /* a line's category and its ancestors */

typedef enum {
    SOUK_PROMO_PERCENT,       /* VALUE basis points off the target set */
    SOUK_PROMO_FIXED,         /* VALUE minor units off the target set */
    SOUK_PROMO_BXGY,          /* buy BUY_QTY of BUY, get GET_QTY of TARGET at VALUE bp off (10000 = free) */
    SOUK_PROMO_TIERED,        /* the highest tier whose minimum the target set reaches: its bp off */
    SOUK_PROMO_FREE_SHIPPING, /* no shipping charge when the goods after discounts reach MIN_SUBTOTAL */
} souk_promo_kind;

typedef enum {
    SOUK_PROMO_SET_ALL,
    SOUK_PROMO_SET_PRODUCTS,
    SOUK_PROMO_SET_CATEGORIES, /* a category stands for its whole subtree */
    SOUK_PROMO_SET_BRANDS,
    SOUK_PROMO_SET_VENDORS,
} souk_promo_set_kind;

typedef struct souk_promo_set {
    souk_promo_set_kind kind;
    int n;
    int64_t ids[SOUK_PROMO_MAX_SET];
    /* CATEGORIES, when resolved (the snapshot does, once): IDS with every
     * descendant, ascending, NSUB of them, owned by the set's maker; NULL:
     * a line matches on IDS against its own categories (its ancestors). */
    int64_t *sub;
    int nsub;
} souk_promo_set;

typedef struct souk_promo {
    int64_t id;
    char name[128];
    souk_promo_kind kind;
    souk_promo_set target; /* the lines discounted (BXGY: the "get" set) */
    souk_promo_set buy;    /* BXGY: the lines that qualify */
    int64_t value;         /* bp (PERCENT, BXGY) or minor units (FIXED) */
    int64_t buy_qty, get_qty;
    int ntiers;
    int64_t tier_min[SOUK_PROMO_MAX_TIERS], tier_bp[SOUK_PROMO_MAX_TIERS]; /* ascending minimums */
    int64_t min_subtotal;       /* of the target set (FREE_SHIPPING: of the goods after discounts) */
    char currency[4];           /* FIXED and the minimums: "" = any currency */
    int64_t starts_at, ends_at; /* µs; 0 = open */
    bool exclusive;             /* applies alone: nothing else, or not at all */
    int priority;               /* higher first; ties by id */
    bool needs_code;            /* applies only while one of its codes is on the cart */
    bool flash;                 /* a flash sale: the catalog shows its price while it runs */
    bool used_up;               /* its global usage limit is reached */
    bool limited;               /* it has a global or per-customer usage limit (its uses are counted) */
    bool per_customer;          /* it has a per-customer usage limit */
    int64_t audience;           /* only for the members of this campaign audience (0: everyone) */
} souk_promo;

/* One cart line as the engine sees it. */
typedef struct souk_promo_line {
    int64_t product, brand, vendor;
    int ncats;
    int64_t cats[SOUK_PROMO_MAX_CATS]; /* its category, then the ancestors */
    int64_t unit, quantity;            /* minor units, ≥ 0 */
} souk_promo_line;

/* What the engine decided about one promotion. */
typedef struct souk_promo_outcome {
    int promo; /* index into the promotions given */
    bool applied;
    int64_t amount;     /* its discount (FREE_SHIPPING: 0; the shipping is waived) */
    const char *reason; /* when not applied: "not_started", "ended", "other_currency",
                         * "usage_limit_reached", "customer_limit_reached", "no_matching_items", "below_minimum",
                         * "not_enough_items", "not_combinable", "not_in_audience" */
} souk_promo_outcome;

typedef struct souk_promo_result {
    int64_t line_discount[SOUK_PROMO_MAX_LINES]; /* each ≤ the line's amount */
    int64_t discount;                            /* Σ line_discount */
    bool free_shipping;
    int n; /* outcomes, in the order considered (priority, then id) */
    souk_promo_outcome out[SOUK_PROMO_MAX];
} souk_promo_result;

/* Whether a promotion's code is on the cart. */
enum {
    SOUK_PROMO_CODE_NONE,
    SOUK_PROMO_CODE_ON,
    SOUK_PROMO_CODE_USED_UP, /* on, but its own limit is reached */
    SOUK_PROMO_SPENT,        /* its code on (or none needed), but this customer has had their share */
};
/* Or'ed into a CODE entry: the cart's customer is a member of the promotion's audience. */
#define SOUK_PROMO_MEMBER 0x10

/* Prices N lines (≤ SOUK_PROMO_MAX_LINES; Σ unit × quantity ≤ 4·10^14) in
 * CURRENCY at NOW (µs) under the NP promotions P (≤ SOUK_PROMO_MAX),
 * CODE[i] saying whether promotion i's code is on the cart (NULL: no
 * codes). Promotions are considered by priority (higher first), then id;
 * each takes its discount from what earlier ones left of its lines, so no
 * line goes below zero; an exclusive promotion applies only when nothing
 * else has, and stops every later one. Not mentioned at all: a promotion
 * that needs a code and has none on the cart, and an automatic one that
 * has ended or whose sets hold none of the lines. A promotion limited to an
 * audience applies only when CODE[i] has SOUK_PROMO_MEMBER; otherwise it is
 * not mentioned, or, when its code is on the cart, not applied with the
 * reason "not_in_audience". Fills *R. */
void souk_promo_evaluate(const souk_promo_line *lines, int n, const char *currency, int64_t now, const souk_promo *p,
                         int np, const uint8_t *code, souk_promo_result *r);

/* Splits TOTAL over the N WEIGHTS (each ≥ 0, Σ ≥ TOTAL ≥ 0) in proportion,
 * to the minor unit, by largest remainder (ties to the earlier line), into
 * OUT: Σ OUT = TOTAL and OUT[i] ≤ WEIGHTS[i]. */
void souk_promo_allocate(int64_t total, const int64_t *weights, int n, int64_t *out);

/* Whether line L belongs to set S (a resolved category set: one of L's
 * categories is in S->sub). */
bool souk_promo_in_set(const souk_promo_set *s, const souk_promo_line *l);

/* The promotion kind, set kind named S (the API's words), or -1. */
int souk_promo_kind_parse(const char *s);
int souk_promo_set_kind_parse(const char *s);
const char *souk_promo_kind_name(souk_promo_kind k);
const char *souk_promo_set_kind_name(souk_promo_set_kind k);

#endif
