/* promo_engine.c — see promo.h: which promotions apply to a cart, and each
 * line's share of the discount. Pure arithmetic, no I/O. */
#include "cart/promo.h"

#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

__extension__ typedef __int128 wide; /* products of two amounts ≤ 4·10^14 */

static int64_t bp_of(int64_t x, int64_t bp)
{
    return (int64_t)(((wide)x * bp + 5000) / 10000);
}

void souk_promo_allocate(int64_t total, const int64_t *weights, int n, int64_t *out)
{
    int64_t sum = 0;
    for (int i = 0; i < n; i++)
        sum += weights[i];
    if (total <= 0 || sum <= 0) {
        for (int i = 0; i < n; i++)
            out[i] = 0;
        return;
    }
    int64_t given = 0;
    int64_t rem[SOUK_PROMO_MAX_LINES];
    for (int i = 0; i < n; i++) {
        wide x = (wide)total * weights[i];
        out[i] = (int64_t)(x / sum);
        rem[i] = (int64_t)(x % sum);
        given += out[i];
    }
    /* the units left go to the largest remainders (a remainder > 0 means
     * out[i] < weights[i], so the line has room for one more) */
    for (int64_t left = total - given; left > 0; left--) {
        int best = -1;
        for (int i = 0; i < n; i++)
            if (rem[i] > 0 && (best < 0 || rem[i] > rem[best]))
                best = i;
        if (best < 0)
            break; /* cannot happen: Σ rem = left × sum */
        out[best]++;
        rem[best] = 0;
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

bool souk_promo_in_set(const souk_promo_set *s, const souk_promo_line *l)
{
    if (s->kind == SOUK_PROMO_SET_CATEGORIES && s->sub) {
        for (int c = 0; c < l->ncats; c++)
            if (s->nsub && bsearch(&l->cats[c], s->sub, (size_t)s->nsub, sizeof *s->sub, cmp_i64))
                return true;
        return false;
    }
    for (int i = 0; i < s->n; i++) {
        int64_t id = s->ids[i];
        switch (s->kind) {
        case SOUK_PROMO_SET_ALL: return true;
        case SOUK_PROMO_SET_PRODUCTS:
            if (l->product == id)
                return true;
            break;
        case SOUK_PROMO_SET_BRANDS:
            if (l->brand == id)
                return true;
            break;
        case SOUK_PROMO_SET_VENDORS:
            if (l->vendor == id)
                return true;
            break;
        case SOUK_PROMO_SET_CATEGORIES:
            for (int c = 0; c < l->ncats; c++)
                if (l->cats[c] == id)
                    return true;
            break;
        }
    }
    return s->kind == SOUK_PROMO_SET_ALL;
}

typedef struct state {
    const souk_promo_line *lines;
    int n;
    int64_t left[SOUK_PROMO_MAX_LINES]; /* what each line still costs after the promotions so far */
} state;

/* The eligible lines' amounts left, as weights; their sum. */
static int64_t eligible(const state *s, const souk_promo_set *set, int64_t *w)
{
    int64_t sum = 0;
    for (int i = 0; i < s->n; i++) {
        w[i] = souk_promo_in_set(set, &s->lines[i]) ? s->left[i] : 0;
        sum += w[i];
    }
    return sum;
}

/* The units of a buy-X-get-Y deal: with k complete groups, the k × GET
 * cheapest units of the target set are discounted by VALUE bp. */
static const char *bxgy(const state *s, const souk_promo *p, int64_t *d)
{
    int64_t buy_units = 0, get_units = 0;
    bool same = p->buy.kind == p->target.kind && p->buy.n == p->target.n &&
                memcmp(p->buy.ids, p->target.ids, (size_t)p->buy.n * sizeof p->buy.ids[0]) == 0;
    for (int i = 0; i < s->n; i++) {
        if (souk_promo_in_set(&p->buy, &s->lines[i]))
            buy_units += s->lines[i].quantity;
        if (souk_promo_in_set(&p->target, &s->lines[i]))
            get_units += s->lines[i].quantity;
    }
    if (buy_units == 0 && get_units == 0)
        return "no_matching_items";
    if (p->buy_qty <= 0 || p->get_qty <= 0)
        return "not_enough_items";
    int64_t free_units =
        same ? buy_units / (p->buy_qty + p->get_qty) * p->get_qty : buy_units / p->buy_qty * p->get_qty;
    if (free_units > get_units)
        free_units = get_units;
    if (free_units == 0)
        return "not_enough_items";
    /* cheapest first: pick lines of the target set by unit price ascending */
    bool used[SOUK_PROMO_MAX_LINES] = {0};
    while (free_units > 0) {
        int best = -1;
        for (int i = 0; i < s->n; i++)
            if (!used[i] && s->lines[i].quantity > 0 && souk_promo_in_set(&p->target, &s->lines[i]) &&
                (best < 0 || s->lines[i].unit < s->lines[best].unit))
                best = i;
        if (best < 0)
            break;
        used[best] = true;
        int64_t q = s->lines[best].quantity < free_units ? s->lines[best].quantity : free_units;
        int64_t off = bp_of(s->lines[best].unit, p->value) * q;
        d[best] = off < s->left[best] ? off : s->left[best];
        free_units -= q;
    }
    return NULL;
}

/* Promotion P's discount per line into D (zeroed by the caller), or why it does not apply. */
static const char *discount(const state *s, const souk_promo *p, int64_t *d)
{
    int64_t w[SOUK_PROMO_MAX_LINES];
    if (p->kind == SOUK_PROMO_BXGY)
        return bxgy(s, p, d);
    int64_t base = eligible(s, &p->target, w);
    if (base == 0)
        return "no_matching_items";
    if (base < p->min_subtotal)
        return "below_minimum";
    int64_t total = 0;
    switch (p->kind) {
    case SOUK_PROMO_PERCENT: total = bp_of(base, p->value); break;
    case SOUK_PROMO_FIXED: total = p->value < base ? p->value : base; break;
    case SOUK_PROMO_TIERED: {
        int t = -1;
        for (int i = 0; i < p->ntiers; i++)
            if (base >= p->tier_min[i])
                t = i;
        if (t < 0)
            return "below_minimum";
        total = bp_of(base, p->tier_bp[t]);
        break;
    }
    default: return "no_matching_items";
    }
    if (total > base)
        total = base;
    souk_promo_allocate(total, w, s->n, d);
    return NULL;
}

/* Whether some line of S is in Q's target or buy set (an automatic
 * promotion about none of the cart's goods is not mentioned). */
static bool relevant(const state *s, const souk_promo *q)
{
    for (int i = 0; i < s->n; i++)
        if (souk_promo_in_set(&q->target, &s->lines[i]) ||
            (q->kind == SOUK_PROMO_BXGY && souk_promo_in_set(&q->buy, &s->lines[i])))
            return true;
    return false;
}

/* Indices of the NP promotions by priority (higher first), then id. */
static void order(const souk_promo *p, int np, int *idx)
{
    for (int i = 0; i < np; i++) {
        int at = i;
        while (at > 0 && (p[idx[at - 1]].priority < p[i].priority ||
                          (p[idx[at - 1]].priority == p[i].priority && p[idx[at - 1]].id > p[i].id))) {
            idx[at] = idx[at - 1];
            at--;
        }
        idx[at] = i;
    }
}

void souk_promo_evaluate(const souk_promo_line *lines, int n, const char *currency, int64_t now, const souk_promo *p,
                         int np, const uint8_t *code, souk_promo_result *r)
{
    memset(r, 0, sizeof *r);
    if (n > SOUK_PROMO_MAX_LINES)
        n = SOUK_PROMO_MAX_LINES;
    if (np > SOUK_PROMO_MAX)
        np = SOUK_PROMO_MAX;
    state s = {.lines = lines, .n = n};
    for (int i = 0; i < n; i++)
        s.left[i] = lines[i].unit * lines[i].quantity;
    int idx[SOUK_PROMO_MAX];
    order(p, np, idx);
    bool any = false, closed = false; /* something applied; an exclusive one did */
    for (int k = 0; k < np; k++) {
        const souk_promo *q = &p[idx[k]];
        uint8_t c = code ? code[idx[k]] : SOUK_PROMO_CODE_NONE;
        bool outside = q->audience && !(c & SOUK_PROMO_MEMBER);
        c &= (uint8_t)~SOUK_PROMO_MEMBER;
        if (outside && !(q->needs_code && c != SOUK_PROMO_CODE_NONE))
            continue; /* not for this customer (or a guest): not mentioned */
        if (q->needs_code && c == SOUK_PROMO_CODE_NONE)
            continue;
        if (!q->needs_code && q->ends_at && now >= q->ends_at)
            continue;
        if (!q->needs_code && !relevant(&s, q))
            continue;
        souk_promo_outcome *o = &r->out[r->n++];
        o->promo = idx[k];
        int64_t d[SOUK_PROMO_MAX_LINES] = {0};
        const char *why = outside                                                ? "not_in_audience"
                          : q->starts_at && now < q->starts_at                   ? "not_started"
                          : q->ends_at && now >= q->ends_at                      ? "ended"
                          : q->currency[0] && strcmp(q->currency, currency) != 0 ? "other_currency"
                          : q->used_up || c == SOUK_PROMO_CODE_USED_UP           ? "usage_limit_reached"
                          : c == SOUK_PROMO_SPENT                                ? "customer_limit_reached"
                                                                                 : NULL;
        if (!why && q->kind == SOUK_PROMO_FREE_SHIPPING) {
            int64_t goods = 0, w[SOUK_PROMO_MAX_LINES];
            int64_t in_set = eligible(&s, &q->target, w);
            for (int i = 0; i < n; i++)
                goods += s.left[i];
            why = in_set == 0 ? "no_matching_items" : goods < q->min_subtotal ? "below_minimum" : NULL;
        } else if (!why) {
            why = discount(&s, q, d);
        }
        if (!why && (closed || (q->exclusive && any)))
            why = "not_combinable";
        if (why) {
            o->reason = why;
            continue;
        }
        o->applied = true;
        any = true;
        closed = closed || q->exclusive;
        if (q->kind == SOUK_PROMO_FREE_SHIPPING)
            r->free_shipping = true;
        for (int i = 0; i < n; i++) {
            s.left[i] -= d[i];
            r->line_discount[i] += d[i];
            o->amount += d[i];
        }
        r->discount += o->amount;
    }
}

static const char *const KINDS[] = {"percent", "fixed", "buy_x_get_y", "tiered", "free_shipping"};
static const char *const SETS[] = {"all", "products", "categories", "brands", "vendors"};

static int parse(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

int souk_promo_kind_parse(const char *s)
{
    return parse(KINDS, 5, s);
}

int souk_promo_set_kind_parse(const char *s)
{
    return parse(SETS, 5, s);
}

const char *souk_promo_kind_name(souk_promo_kind k)
{
    return (unsigned)k < 5 ? KINDS[k] : "percent";
}

const char *souk_promo_set_kind_name(souk_promo_set_kind k)
{
    return (unsigned)k < 5 ? SETS[k] : "all";
}
