/*
 * synthetic.c — a labelled synthetic order stream for measuring the score:
 * customers with homes, cards and habits placing orders over 60 days, with
 * fraud patterns planted among them and legitimate look-alikes too, then
 * replayed in time order to compute what each checkout would know.
 */
#include "fraud/fraud.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

#define DAY 86400.0
#define SPAN (60 * DAY)
#define RING 16 /* recent events kept per card, e-mail and address (more than a day's worth here) */

static const char *const kind_names[SOUK_FRAUD_KINDS] = {"normal", "card_testing", "stolen_card", "new_account",
                                                         "reshipper"};

const char *souk_fraud_kind_name(souk_fraud_kind k)
{
    return (unsigned)k < SOUK_FRAUD_KINDS ? kind_names[k] : "?";
}

typedef struct rng {
    uint64_t s;
} rng;

static double unif(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(rng *r)
{
    return sqrt(-2 * log(unif(r))) * cos(6.283185307179586 * unif(r));
}

static size_t pick(rng *r, size_t n)
{
    size_t i = (size_t)(unif(r) * (double)n);
    return i < n ? i : n - 1;
}

static const char *const countries[] = {"GB", "GB", "GB", "GB", "FR", "DE", "US", "NL"};

typedef struct customer {
    uint32_t email, card, card2, address;
    double created; /* seconds; may be before the span (negative) */
    double mean;    /* typical order, minor units */
    const char *home;
} customer;

/* one event of the stream: an order (declined = false) or a declined attempt */
typedef struct event {
    double t;
    int64_t customer; /* -1: a guest */
    uint32_t email, card, address;
    int64_t amount;
    const char *ship, *bill;
    double created; /* the account's creation; guests: unused */
    souk_fraud_kind kind;
    bool declined;
} event;

typedef struct ring_t {
    double t[RING];
    uint32_t v[RING]; /* e-mails' rings: the card used */
    unsigned n;
} ring_t;

static void push(ring_t *g, double t, uint32_t v)
{
    g->t[g->n % RING] = t;
    g->v[g->n % RING] = v;
    g->n++;
}

static int within(const ring_t *g, double t)
{
    int c = 0;
    for (unsigned i = 0; i < RING && i < g->n; i++)
        c += g->t[i] > t - DAY && g->t[i] <= t;
    return c;
}

static int distinct(const ring_t *g, double t, uint32_t card)
{
    uint32_t seen[RING + 1];
    int k = 0;
    seen[k++] = card;
    for (unsigned i = 0; i < RING && i < g->n; i++) {
        if (!(g->t[i] > t - DAY && g->t[i] <= t))
            continue;
        bool dup = false;
        for (int j = 0; j < k; j++)
            dup |= seen[j] == g->v[i];
        if (!dup)
            seen[k++] = g->v[i];
    }
    return k;
}

static int by_time(const void *a, const void *b)
{
    const event *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

typedef struct gen {
    rng r;
    event *ev;
    size_t n, cap;
    uint32_t next_key; /* fresh e-mails, cards and addresses */
} gen;

static event *emit(gen *g)
{
    if (g->n == g->cap) {
        size_t nc = g->cap ? 2 * g->cap : 4096;
        event *e = realloc(g->ev, nc * sizeof *e);
        if (!e)
            return NULL;
        g->ev = e;
        g->cap = nc;
    }
    event *e = &g->ev[g->n++];
    memset(e, 0, sizeof *e);
    return e;
}

int souk_fraud_synthetic(uint64_t seed, size_t n, double fraud_share, souk_fraud_case **out)
{
    *out = NULL;
    if (n == 0 || n > 10000000 || !(fraud_share >= 0 && fraud_share <= 0.5))
        return -1;
    gen g = {.r = {seed}};
    size_t ncust = n / 6 + 10;
    customer *cu = malloc(ncust * sizeof *cu);
    if (!cu)
        return -1;
    for (size_t i = 0; i < ncust; i++) {
        cu[i] = (customer){.email = g.next_key++,
                           .card = g.next_key++,
                           .card2 = g.next_key++,
                           .address = g.next_key++,
                           .created = unif(&g.r) < 0.15 ? unif(&g.r) * SPAN : -unif(&g.r) * 365 * DAY,
                           .mean = exp(log(3500) + 0.6 * normal(&g.r)),
                           .home = countries[pick(&g.r, sizeof countries / sizeof countries[0])]};
        if (i > 0 && unif(&g.r) < 0.1) /* households: two accounts at one address */
            cu[i].address = cu[i - 1].address;
    }
    size_t nfraud = (size_t)((double)n * fraud_share), orders = 0;
    /* legitimate orders, with look-alikes */
    while (orders < n - nfraud) {
        customer *c = &cu[pick(&g.r, ncust)];
        bool guest = unif(&g.r) < 0.2;
        event *e = emit(&g);
        if (!e)
            goto oom;
        double t0 = guest ? 0 : (c->created > 0 ? c->created : 0);
        e->t = t0 + unif(&g.r) * (SPAN - t0);
        e->customer = guest ? -1 : (int64_t)(c - cu);
        e->email = guest ? g.next_key++ : c->email;
        e->card = guest ? g.next_key++ : (unif(&g.r) < 0.8 ? c->card : c->card2);
        e->address = guest ? g.next_key++ : c->address;
        e->created = c->created;
        double amount = c->mean * exp(0.5 * normal(&g.r));
        if (unif(&g.r) < 0.03)
            amount *= 6; /* a big day: legitimate */
        e->amount = (int64_t)amount + 100;
        e->bill = guest ? countries[pick(&g.r, 8)] : c->home;
        e->ship = unif(&g.r) < 0.05 ? countries[pick(&g.r, 8)] : e->bill; /* travellers, gifts abroad */
        e->kind = SOUK_FRAUD_NORMAL;
        if (unif(&g.r) < 0.04) { /* a typo first: one declined attempt */
            event *d = emit(&g);
            if (!d)
                goto oom;
            *d = g.ev[g.n - 2];
            d->t -= 60;
            d->declined = true;
        }
        orders++;
    }
    /* fraud, pattern by pattern */
    while (orders < n) {
        int kind = 1 + (int)pick(&g.r, 4);
        double t = unif(&g.r) * (SPAN - DAY);
        if (kind == SOUK_FRAUD_CARD_TESTING) {
            uint32_t card = g.next_key++, email = g.next_key++, address = g.next_key++;
            int declines = 2 + (int)pick(&g.r, 5), k = 2 + (int)pick(&g.r, 4);
            const char *bill = countries[pick(&g.r, 8)], *ship = countries[pick(&g.r, 8)];
            for (int i = 0; i < declines; i++) {
                event *d = emit(&g);
                if (!d)
                    goto oom;
                *d = (event){.t = t + i * 120,
                             .customer = -1,
                             .email = email,
                             .card = card,
                             .address = address,
                             .amount = 1500,
                             .ship = ship,
                             .bill = bill,
                             .declined = true,
                             .kind = kind};
            }
            for (int i = 0; i < k && orders < n; i++, orders++) {
                event *e = emit(&g);
                if (!e)
                    goto oom;
                *e = (event){.t = t + declines * 120 + i * 1800 * unif(&g.r),
                             .customer = -1,
                             .email = email,
                             .card = card,
                             .address = address,
                             .amount = 800 + (int64_t)(4000 * unif(&g.r)),
                             .ship = ship,
                             .bill = bill,
                             .kind = kind};
            }
        } else if (kind == SOUK_FRAUD_STOLEN_CARD) {
            customer *c = &cu[pick(&g.r, ncust)];
            event *e = emit(&g);
            if (!e)
                goto oom;
            *e = (event){.t = t,
                         .customer = (int64_t)(c - cu),
                         .email = c->email,
                         .card = g.next_key++,
                         .address = unif(&g.r) < 0.6 ? g.next_key++ : c->address,
                         .amount = (int64_t)(c->mean * (5 + 15 * unif(&g.r))),
                         .bill = c->home,
                         .ship = unif(&g.r) < 0.7 ? countries[pick(&g.r, 8)] : c->home,
                         .created = c->created,
                         .kind = kind};
            if (c->created > t)
                e->created = t - 30 * DAY;
            orders++;
        } else if (kind == SOUK_FRAUD_NEW_ACCOUNT) {
            event *e = emit(&g);
            if (!e)
                goto oom;
            const char *bill = countries[pick(&g.r, 8)];
            *e = (event){.t = t,
                         .customer = (int64_t)ncust + (int64_t)orders,
                         .email = g.next_key++,
                         .card = g.next_key++,
                         .address = g.next_key++,
                         .amount = (int64_t)(25000 + 60000 * unif(&g.r)),
                         .bill = bill,
                         .ship = unif(&g.r) < 0.5 ? countries[pick(&g.r, 8)] : bill,
                         .created = t - DAY * unif(&g.r) * 0.5,
                         .kind = kind};
            orders++;
        } else {
            uint32_t drop = g.next_key++;
            int k = 3 + (int)pick(&g.r, 5);
            for (int i = 0; i < k && orders < n; i++, orders++) {
                event *e = emit(&g);
                if (!e)
                    goto oom;
                const char *bill = countries[pick(&g.r, 8)];
                *e = (event){.t = t + i * DAY / 8 * unif(&g.r),
                             .customer = -1,
                             .email = g.next_key++,
                             .card = g.next_key++,
                             .address = drop,
                             .amount = 3000 + (int64_t)(9000 * unif(&g.r)),
                             .bill = bill,
                             .ship = "GB",
                             .kind = kind};
            }
        }
    }
    qsort(g.ev, g.n, sizeof *g.ev, by_time);
    /* the store's high value: the 95th percentile of the orders' totals */
    int64_t *am = malloc(g.n * sizeof *am);
    souk_fraud_case *cs = calloc(n, sizeof *cs);
    ring_t *rings = calloc((size_t)g.next_key * 3, sizeof *rings); /* per key: orders, declines, e-mails */
    size_t nk = 0;
    int *hist_n = calloc(ncust + n, sizeof *hist_n);
    uint32_t(*cards)[4] = calloc(ncust + n, sizeof *cards); /* the cards each account paid with (up to 4) */
    int64_t *hist_sum = calloc(ncust + n, sizeof *hist_sum);
    if (!am || !cs || !rings || !hist_n || !hist_sum || !cards) {
        free(cards);
        free(am);
        free(cs);
        free(rings);
        free(hist_n);
        free(hist_sum);
        goto oom;
    }
    for (size_t i = 0; i < g.n; i++)
        if (!g.ev[i].declined)
            am[nk++] = g.ev[i].amount;
    qsort(am, nk, sizeof *am, cmp_i64);
    int64_t high = nk ? am[(size_t)(0.95 * (double)(nk - 1))] : 0;
    free(am);
    ring_t *ord = rings, *dec = rings + g.next_key, *adr = rings + 2 * (size_t)g.next_key;
    size_t k = 0;
    for (size_t i = 0; i < g.n; i++) {
        const event *e = &g.ev[i];
        if (e->declined) {
            push(&dec[e->card], e->t, e->card);
            if (e->email != e->card)
                push(&dec[e->email], e->t, e->card);
            continue;
        }
        if (k == n)
            break;
        souk_fraud_case *c = &cs[k++];
        c->kind = e->kind;
        souk_fraud_signals *s = &c->s;
        s->card_orders_24h = within(&ord[e->card], e->t);
        s->email_orders_24h = within(&ord[e->email], e->t);
        s->address_orders_24h = within(&ord[e->address], e->t);
        s->cards_per_email_24h = distinct(&ord[e->email], e->t, e->card);
        s->emails_per_address_24h = distinct(&adr[e->address], e->t, e->email);
        int dc = within(&dec[e->card], e->t), de = within(&dec[e->email], e->t);
        s->declines_24h = dc > de ? dc : de; /* of the card or of the e-mail: mostly the same attempts */
        s->amount = e->amount;
        s->high_value = high;
        s->account_age_days = e->customer < 0 ? -1 : (e->t - e->created) / DAY;
        if (e->customer >= 0) {
            uint32_t *used = cards[e->customer];
            bool known = false;
            for (int j = 0; j < 4; j++)
                known |= used[j] == e->card + 1;
            s->card_new_to_account = !known;
            for (int j = 0; j < 4 && !known; j++)
                if (!used[j]) {
                    used[j] = e->card + 1;
                    break;
                }
            s->customer_orders = hist_n[e->customer];
            s->customer_mean = hist_n[e->customer] ? hist_sum[e->customer] / hist_n[e->customer] : 0;
            hist_n[e->customer]++;
            hist_sum[e->customer] += e->amount;
        }
        memcpy(s->ship_country, e->ship, 3);
        memcpy(s->bill_country, e->bill, 3);
        push(&ord[e->card], e->t, e->card);
        push(&ord[e->email], e->t, e->card);
        push(&ord[e->address], e->t, e->card);
        push(&adr[e->address], e->t, e->email);
    }
    free(rings);
    free(cards);
    free(hist_n);
    free(hist_sum);
    free(g.ev);
    free(cu);
    *out = cs;
    return 0;
oom:
    free(g.ev);
    free(cu);
    return -1;
}
