/* test_loyalty_property.c — random sequences of paid orders, redemptions (paid or declined),
 * releases, refunds and returns, admin adjustments, the clock moving and expiry runs, applied
 * to the ledger (src/loyalty) and to a model written here from the rules of docs/loyalty.md.
 * After every step: the balances equal the model's, equal the sums of the ledger's columns,
 * and are never negative; expiry leaves exactly min(available, credits not yet expired);
 * once-only entries stay once-only when replayed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "loyalty/loyalty.h"

#define DAY INT64_C(86400000000)
#define USER 42
#define MAX_ORDERS 64
#define MAX_LOTS 256

static uint64_t rng;
static int64_t rnd(int64_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n > 0 ? (int64_t)(rng % (uint64_t)n) : 0;
}

typedef struct morder {
    int64_t id, goods, total, returned, other, earned, taken, pending, available_at; /* total: goods + shipping + tax */
    int64_t redeemed;
    bool released, unredeemed;
} morder;

typedef struct model {
    int64_t available, pending, debt;
    int64_t lot_amount[MAX_LOTS], lot_expires[MAX_LOTS]; /* credits; expires 0 = never */
    int nlots;
    morder orders[MAX_ORDERS];
    int norders;
    int64_t window, expiry, now;
} model;

/* ---- the rules, as the model applies them ---- */

/* Points that become available pay a debt first. */
static void pay_debt(model *m)
{
    int64_t pay = m->debt < m->available ? m->debt : m->available;
    m->available -= pay;
    m->debt -= pay;
}

static void credit(model *m, int64_t points, int64_t expires)
{
    m->available += points;
    assert_true(m->nlots < MAX_LOTS);
    m->lot_amount[m->nlots] = points;
    m->lot_expires[m->nlots++] = expires;
    pay_debt(m);
}

/* An order's redemption given back (cancelled, or its goods all refunded): once; not a lot. */
static void model_unredeem(model *m, morder *o)
{
    if (o->unredeemed)
        return;
    o->unredeemed = true;
    m->available += o->redeemed;
    pay_debt(m);
}

static void model_release_due(model *m)
{
    for (int i = 0; i < m->norders; i++) {
        morder *o = &m->orders[i];
        if (o->earned <= 0 || o->released || o->available_at > m->now)
            continue;
        o->released = true;
        m->pending -= o->pending;
        int64_t rem = o->pending;
        o->pending = 0;
        credit(m, rem, m->expiry ? o->available_at + m->expiry : 0);
    }
}

/* A refund of AMOUNT: for returned lines (their value, goods) or not (it
 * pays the order's shipping and tax back first, then goods). */
static void model_refund(model *m, morder *o, int64_t amount, bool for_return)
{
    *(for_return ? &o->returned : &o->other) += amount;
    if (o->earned <= 0)
        return;
    int64_t beside = o->total - o->goods; /* shipping and tax */
    int64_t goods = o->returned + (o->other > beside ? o->other - beside : 0);
    if (goods > o->goods)
        goods = o->goods;
    int64_t keep = (int64_t)((__int128)o->earned * (o->goods - goods) / o->goods);
    int64_t take = o->earned - keep - o->taken;
    if (take <= 0)
        return;
    o->taken += take;
    int64_t from_pending = take < o->pending ? take : o->pending;
    o->pending -= from_pending;
    m->pending -= from_pending;
    int64_t rest = take - from_pending, from_available = rest < m->available ? rest : m->available;
    m->available -= from_available;
    m->debt += rest - from_available;
}

static void model_expire(model *m)
{
    int64_t unexpired = 0;
    for (int i = 0; i < m->nlots; i++)
        if (!m->lot_expires[i] || m->lot_expires[i] > m->now)
            unexpired += m->lot_amount[i];
    if (m->available > unexpired)
        m->available = unexpired;
}

/* ---- the same steps on the database ---- */

typedef enum { OP_EARN, OP_REDEEM, OP_UNREDEEM, OP_RELEASE, OP_CLAWBACK, OP_ADJUST, OP_EXPIRE, OP_SETTINGS } op_kind;

typedef struct op {
    op_kind kind;
    int64_t order, points, amount, total, returned, other, since, now;
    char dedupe[32];
    const souk_loyalty_settings *settings;
    souk_arena *a;
    souk_problems *pr;
    int n;
} op;

static souk_err run_body(souk_store *db, void *arg)
{
    op *x = arg;
    int64_t ignored = 0;
    switch (x->kind) {
    case OP_EARN: {
        souk_loyalty_line l = {1, x->amount};
        return souk_loyalty_earn_tx(db, USER, x->order, "USD", &l, 1, x->now);
    }
    case OP_REDEEM: return souk_loyalty_redeem_tx(db, USER, x->order, x->points, x->points, "USD", x->now, x->a, x->pr);
    case OP_UNREDEEM: return souk_loyalty_unredeem_tx(db, x->order, "declined", "test", x->now);
    case OP_RELEASE: return souk_loyalty_release_due_tx(db, 0, x->now, 500, &x->n);
    case OP_CLAWBACK:
        return souk_loyalty_clawback_tx(db, x->order, x->returned, x->other, x->total, x->dedupe, "test", x->now);
    case OP_ADJUST: return souk_loyalty_adjust_tx(db, USER, x->points, "test", "test", x->now, &ignored, x->a, x->pr);
    case OP_EXPIRE: { /* in small batches, as the job pages (here in one transaction) */
        souk_loyalty_cursor at = {0};
        x->n = 0;
        while (!at.done) {
            int n = 0;
            souk_err e = souk_loyalty_expire_due_tx(db, x->since, x->now, 3, &at, &n);
            if (e)
                return e;
            assert_true(n <= 3); /* a batch visits at most MAX */
            x->n += n;
        }
        return SOUK_OK;
    }
    case OP_SETTINGS: return souk_loyalty_settings_write_tx(db, x->settings, x->now);
    }
    return SOUK_E_INTERNAL;
}

static souk_err run(souk_store *db, op *x)
{
    souk_arena a;
    souk_arena_init(&a, 1024, 0);
    souk_problems pr;
    souk_problems_init(&pr);
    x->a = &a;
    x->pr = &pr;
    souk_err e = souk_store_run(db, run_body, x, &pr);
    souk_arena_release(&a);
    return e;
}

/* The database agrees with the model, with the ledger's sums, and nothing is negative. */
static void check(souk_store *db, const model *m, const char *step)
{
    souk_loyalty_balance b;
    assert_int_equal(souk_loyalty_balance_read(db, USER, &b), SOUK_OK);
    int64_t points = 0, pending = 0, debt = 0;
    assert_int_equal(souk_store_one(db,
                                    "SELECT coalesce(sum(points), 0), coalesce(sum(pending), 0), "
                                    "coalesce(sum(debt), 0) FROM loyalty_ledger WHERE user_id = $1",
                                    SOUK_ARGS(SOUK_I64(USER)),
                                    SOUK_COLS(SOUK_COL_I64(&points), SOUK_COL_I64(&pending), SOUK_COL_I64(&debt))),
                     SOUK_DB_ROW);
    if (b.available != m->available || b.pending != m->pending || b.debt != m->debt || points != b.available ||
        pending != b.pending || debt != b.debt)
        fail_msg("after %s: db %lld/%lld/%lld, ledger %lld/%lld/%lld, model %lld/%lld/%lld", step,
                 (long long)b.available, (long long)b.pending, (long long)b.debt, (long long)points, (long long)pending,
                 (long long)debt, (long long)m->available, (long long)m->pending, (long long)m->debt);
    assert_true(b.available >= 0 && b.pending >= 0 && b.debt >= 0);
}

static void one_sequence(uint64_t seed, int steps)
{
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "loyalty"), 0);
    rng = seed * 0x9E3779B97F4A7C15ull + 1;
    static model m;
    memset(&m, 0, sizeof m);
    m.now = INT64_C(1767225600000000); /* 2026-01-01 */
    souk_loyalty_settings s = {.max_redeem_bp = 10000, .return_window_days = rnd(4) * 7, .expiry_days = rnd(3) * 30};
    s.currencies[0] = (souk_loyalty_currency){"USD", 1 + rnd(3), 1};
    s.ncurrencies = 1;
    m.window = s.return_window_days * DAY;
    m.expiry = s.expiry_days * DAY;
    op x = {.kind = OP_SETTINGS, .settings = &s, .now = m.now};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    int64_t next_order = 1000;
    char step[64];
    for (int i = 0; i < steps; i++) {
        int64_t r = rnd(100);
        memset(&x, 0, sizeof x);
        x.now = m.now;
        if (r < 25 && m.norders < MAX_ORDERS) { /* a paid order, maybe with points, or a declined one */
            morder *o = &m.orders[m.norders];
            *o = (morder){.id = next_order++, .goods = 100 + rnd(50000)};
            o->total = o->goods + (rnd(2) ? rnd(3000) : 0); /* shipping and tax, or none */
            int64_t spend = m.available && rnd(2) ? 1 + rnd(m.available) : 0;
            if (spend) {
                x = (op){.kind = OP_REDEEM, .order = o->id, .points = spend, .now = m.now};
                assert_int_equal(run(t.db, &x), SOUK_OK);
                m.available -= spend;
                /* the same points again on another order: refused when they are gone */
                if (spend > m.available) {
                    x = (op){.kind = OP_REDEEM, .order = next_order++, .points = spend, .now = m.now};
                    assert_int_equal(run(t.db, &x), SOUK_E_VALIDATION);
                }
                if (rnd(4) == 0) { /* declined: the points come back, once */
                    for (int k = 0; k < 2; k++) {
                        x = (op){.kind = OP_UNREDEEM, .order = o->id, .now = m.now};
                        assert_int_equal(run(t.db, &x), SOUK_OK);
                    }
                    m.available += spend;
                    pay_debt(&m);
                    snprintf(step, sizeof step, "declined %d", i);
                    check(t.db, &m, step);
                    continue;
                }
            }
            for (int k = 0; k < 2; k++) { /* paid; a second report of it earns nothing more */
                x = (op){.kind = OP_EARN, .order = o->id, .amount = o->goods, .now = m.now};
                assert_int_equal(run(t.db, &x), SOUK_OK);
            }
            o->redeemed = spend;
            o->earned = o->goods * s.currencies[0].earn_per_unit / 100;
            o->pending = o->earned;
            o->available_at = m.now + m.window;
            m.pending += o->earned;
            m.norders++;
            snprintf(step, sizeof step, "order %d", i);
        } else if (r < 30 && m.norders) { /* a paid order cancelled later: its points come back, once */
            morder *o = &m.orders[rnd(m.norders)];
            for (int k = 0; k < 2; k++) {
                x = (op){.kind = OP_UNREDEEM, .order = o->id, .now = m.now};
                assert_int_equal(run(t.db, &x), SOUK_OK);
            }
            model_unredeem(&m, o);
            snprintf(step, sizeof step, "give back %d", i);
        } else if (r < 45 && m.norders) { /* a refund or a return of part of an order */
            morder *o = &m.orders[rnd(m.norders)];
            int64_t left = o->total - o->returned - o->other;
            if (!left)
                continue;
            /* a return gives back at most the goods not returned yet; a
             * refund of the shipping alone, of part, or of all that is left */
            bool for_return = rnd(2) && o->goods > o->returned;
            int64_t most = for_return && o->goods - o->returned < left ? o->goods - o->returned : left;
            int64_t shipping = o->total - o->goods;
            int64_t amount = rnd(3) == 0                              ? most
                             : !for_return && shipping && rnd(3) == 0 ? (shipping < most ? shipping : most)
                                                                      : 1 + rnd(most);
            model_refund(&m, o, amount, for_return);
            x = (op){.kind = OP_CLAWBACK,
                     .order = o->id,
                     .total = o->total,
                     .returned = o->returned,
                     .other = o->other,
                     .now = m.now};
            snprintf(x.dedupe, sizeof x.dedupe, "rfd%d", i);
            assert_int_equal(run(t.db, &x), SOUK_OK);
            assert_int_equal(run(t.db, &x), SOUK_OK); /* the same refund again: once */
            snprintf(step, sizeof step, "refund %d", i);
        } else if (r < 60) {
            int64_t points = rnd(3) ? 1 + rnd(500) : -(1 + rnd(m.available + 50));
            x = (op){.kind = OP_ADJUST, .points = points, .now = m.now};
            souk_err e = run(t.db, &x);
            if (points < 0 && -points > m.available) {
                assert_int_equal(e, SOUK_E_VALIDATION); /* never below zero, and nothing written */
            } else {
                assert_int_equal(e, SOUK_OK);
                if (points > 0)
                    credit(&m, points, m.expiry ? m.now + m.expiry : 0);
                else
                    m.available += points;
            }
            snprintf(step, sizeof step, "adjust %d", i);
        } else if (r < 80) { /* time passes; the jobs run */
            m.now += rnd(3) == 0 ? rnd(DAY) : rnd(40) * DAY / 2;
            x = (op){.kind = OP_RELEASE, .now = m.now};
            assert_int_equal(run(t.db, &x), SOUK_OK);
            model_release_due(&m);
            check(t.db, &m, "release");
            x = (op){.kind = OP_RELEASE, .now = m.now};
            assert_int_equal(run(t.db, &x), SOUK_OK);
            assert_int_equal(x.n, 0); /* nothing is released twice */
            snprintf(step, sizeof step, "release %d", i);
        } else {
            x = (op){.kind = OP_EXPIRE, .now = m.now};
            assert_int_equal(run(t.db, &x), SOUK_OK);
            model_expire(&m);
            check(t.db, &m, "expire");
            x = (op){.kind = OP_EXPIRE, .now = m.now};
            assert_int_equal(run(t.db, &x), SOUK_OK);
            check(t.db, &m, "expire again"); /* a second run at the same time expires nothing */
            snprintf(step, sizeof step, "expire %d", i);
        }
        check(t.db, &m, step);
    }
    /* the ledger is append-only */
    assert_true(souk_store_update_tx(t.db, "UPDATE loyalty_ledger SET points = 0", NULL) < 0);
    assert_true(souk_store_update_tx(t.db, "DELETE FROM loyalty_ledger", NULL) < 0);
    check(t.db, &m, "tamper");
    souk_test_db_close(&t);
}

static void test_random_sequences(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 40; seed++)
        one_sequence(seed, 60);
}

/* Expiry on a known story: what is spent counts against the soonest-expiring points. */
static void test_expiry_exact(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "loyalty"), 0);
    int64_t t0 = INT64_C(1767225600000000);
    souk_loyalty_settings s = {.max_redeem_bp = 10000, .return_window_days = 0, .expiry_days = 10};
    s.currencies[0] = (souk_loyalty_currency){"USD", 1, 1};
    s.ncurrencies = 1;
    op x = {.kind = OP_SETTINGS, .settings = &s, .now = t0};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    x = (op){.kind = OP_ADJUST, .points = 100, .now = t0}; /* expires t0 + 10 d */
    assert_int_equal(run(t.db, &x), SOUK_OK);
    x = (op){.kind = OP_ADJUST, .points = 50, .now = t0 + 5 * DAY}; /* expires t0 + 15 d */
    assert_int_equal(run(t.db, &x), SOUK_OK);
    x = (op){.kind = OP_REDEEM, .order = 7, .points = 30, .now = t0 + 6 * DAY};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    souk_loyalty_balance b;
    /* one µs before the first expiry nothing goes; at it, the 70 left of the first credit */
    x = (op){.kind = OP_EXPIRE, .now = t0 + 10 * DAY - 1};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    assert_int_equal(souk_loyalty_balance_read(t.db, USER, &b), SOUK_OK);
    assert_int_equal(b.available, 120);
    x = (op){.kind = OP_EXPIRE, .now = t0 + 10 * DAY};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    assert_int_equal(souk_loyalty_balance_read(t.db, USER, &b), SOUK_OK);
    assert_int_equal(b.available, 50);
    /* the declined order's 30 come back; they belonged to the expired credit, so they go at the next run */
    x = (op){.kind = OP_UNREDEEM, .order = 7, .now = t0 + 11 * DAY};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    x = (op){.kind = OP_EXPIRE, .now = t0 + 11 * DAY};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    assert_int_equal(souk_loyalty_balance_read(t.db, USER, &b), SOUK_OK);
    assert_int_equal(b.available, 50);
    x = (op){.kind = OP_EXPIRE, .now = t0 + 15 * DAY};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    assert_int_equal(souk_loyalty_balance_read(t.db, USER, &b), SOUK_OK);
    assert_int_equal(b.available, 0);
    souk_test_db_close(&t);
}

/* The reviewer's example: goods 100.00, shipping 10.00, tax 8.00 (total 118.00), 100 points
 * earned. Refunding the shipping alone takes nothing; returning every line takes all 100. */
static void test_clawback_on_goods(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "loyalty"), 0);
    int64_t t0 = INT64_C(1767225600000000);
    souk_loyalty_settings s = {.max_redeem_bp = 10000, .return_window_days = 30, .expiry_days = 0};
    s.currencies[0] = (souk_loyalty_currency){"USD", 1, 1};
    s.ncurrencies = 1;
    op x = {.kind = OP_SETTINGS, .settings = &s, .now = t0};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    x = (op){.kind = OP_EARN, .order = 9, .amount = 10000, .now = t0};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    souk_loyalty_balance b;
    assert_int_equal(souk_loyalty_balance_read(t.db, USER, &b), SOUK_OK);
    assert_int_equal(b.pending, 100);
    x = (op){.kind = OP_CLAWBACK, .order = 9, .other = 1000, .total = 11800, .dedupe = "ship", .now = t0};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    assert_int_equal(souk_loyalty_balance_read(t.db, USER, &b), SOUK_OK);
    assert_int_equal(b.pending, 100); /* the shipping is no goods */
    x = (op){
        .kind = OP_CLAWBACK, .order = 9, .returned = 10000, .other = 1000, .total = 11800, .dedupe = "ret", .now = t0};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    assert_int_equal(souk_loyalty_balance_read(t.db, USER, &b), SOUK_OK);
    assert_int_equal(b.pending, 0); /* every line back: nothing kept */
    souk_test_db_close(&t);
}

/* Points given back pay a debt first: a customer in debt cannot spend them. */
static void test_give_back_pays_debt(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "loyalty"), 0);
    int64_t t0 = INT64_C(1767225600000000);
    souk_loyalty_settings s = {.max_redeem_bp = 10000, .return_window_days = 0, .expiry_days = 0};
    s.currencies[0] = (souk_loyalty_currency){"USD", 1, 1};
    s.ncurrencies = 1;
    op x = {.kind = OP_SETTINGS, .settings = &s, .now = t0};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    x = (op){.kind = OP_EARN, .order = 1, .amount = 10000, .now = t0}; /* 100 points */
    assert_int_equal(run(t.db, &x), SOUK_OK);
    x = (op){.kind = OP_RELEASE, .now = t0};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    x = (op){.kind = OP_REDEEM, .order = 2, .points = 100, .now = t0}; /* all spent on order 2 */
    assert_int_equal(run(t.db, &x), SOUK_OK);
    x = (op){.kind = OP_CLAWBACK, .order = 1, .returned = 10000, .total = 10000, .dedupe = "r1", .now = t0};
    assert_int_equal(run(t.db, &x), SOUK_OK); /* order 1 returned: 100 of debt */
    souk_loyalty_balance b;
    assert_int_equal(souk_loyalty_balance_read(t.db, USER, &b), SOUK_OK);
    assert_true(b.available == 0 && b.debt == 100);
    x = (op){.kind = OP_UNREDEEM, .order = 2, .now = t0}; /* order 2 cancelled: its 100 back */
    assert_int_equal(run(t.db, &x), SOUK_OK);
    assert_int_equal(souk_loyalty_balance_read(t.db, USER, &b), SOUK_OK);
    assert_int_equal(b.available, 0);
    assert_int_equal(b.debt, 0);
    souk_test_db_close(&t);
}

/* The maintenance job's work is bounded by what fell due in its window: a customer whose
 * credit expired (and was spent) long ago is not visited again; releases read the window. */
static void test_maintenance_window(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "loyalty"), 0);
    int64_t t0 = INT64_C(1767225600000000);
    souk_loyalty_settings s = {.max_redeem_bp = 10000, .return_window_days = 5, .expiry_days = 10};
    s.currencies[0] = (souk_loyalty_currency){"USD", 1, 1};
    s.ncurrencies = 1;
    op x = {.kind = OP_SETTINGS, .settings = &s, .now = t0};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    x = (op){.kind = OP_ADJUST, .points = 100, .now = t0}; /* expires t0 + 10 d */
    assert_int_equal(run(t.db, &x), SOUK_OK);
    x = (op){.kind = OP_REDEEM, .order = 5, .points = 100, .now = t0}; /* spent */
    assert_int_equal(run(t.db, &x), SOUK_OK);
    x = (op){.kind = OP_EARN, .order = 6, .amount = 5000, .now = t0}; /* its window ends at t0 + 5 d */
    assert_int_equal(run(t.db, &x), SOUK_OK);
    int64_t late = t0 + 40 * DAY, week = 7 * DAY;
    /* a month after: the expired, spent credit and the window's end are outside the last week */
    x = (op){.kind = OP_EXPIRE, .since = late - week, .now = late};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    assert_int_equal(x.n, 0);
    x = (op){.kind = OP_EXPIRE, .since = 0, .now = late};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    assert_int_equal(x.n, 1); /* the whole history: it is a candidate */
    int n = -1;
    assert_int_equal(souk_loyalty_release_due_tx(t.db, late - week, late, 500, &n), SOUK_OK);
    assert_int_equal(n, 0);
    assert_int_equal(souk_loyalty_release_due_tx(t.db, t0 + 4 * DAY, t0 + 6 * DAY, 500, &n), SOUK_OK);
    assert_int_equal(n, 1);
    souk_loyalty_balance b;
    assert_int_equal(souk_loyalty_balance_read(t.db, USER, &b), SOUK_OK);
    assert_true(b.available == 50 && b.pending == 0);
    /* the index the release reads */
    char plan[512] = "";
    souk_stmt *st = souk_store_query(t.db,
                                     "EXPLAIN QUERY PLAN SELECT order_id FROM loyalty_ledger WHERE kind = 'earn' "
                                     "AND available_at <= $1 AND available_at > $2 ORDER BY available_at, order_id",
                                     SOUK_ARGS(SOUK_I64(late), SOUK_I64(late - week)));
    int r;
    char detail[256];
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_SKIP, SOUK_COL_SKIP, SOUK_COL_SKIP, SOUK_COL_STR(detail)))) ==
           SOUK_DB_ROW)
        strncat(plan, detail, sizeof plan - strlen(plan) - 1);
    assert_int_equal(r, SOUK_DB_DONE);
    assert_non_null(strstr(plan, "loyalty_ledger_earn_due"));
    souk_test_db_close(&t);
}

/* Points that expired before the hourly job ran cannot be priced: the quote and the most
 * points allowed count them as gone. (The credit below expired on 2026-01-11, before now.) */
static void test_quote_without_expired(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "loyalty"), 0);
    int64_t t0 = INT64_C(1767225600000000);
    souk_loyalty_settings s = {.max_redeem_bp = 10000, .return_window_days = 0, .expiry_days = 10};
    s.currencies[0] = (souk_loyalty_currency){"USD", 1, 1};
    s.ncurrencies = 1;
    op x = {.kind = OP_SETTINGS, .settings = &s, .now = t0};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    x = (op){.kind = OP_ADJUST, .points = 100, .now = t0};
    assert_int_equal(run(t.db, &x), SOUK_OK);
    souk_loyalty_balance b;
    assert_int_equal(souk_loyalty_balance_read(t.db, USER, &b), SOUK_OK);
    assert_int_equal(b.available, 100); /* no job has run */
    souk_arena a;
    souk_arena_init(&a, 1024, 0);
    souk_problems pr;
    souk_problems_init(&pr);
    int64_t amount = -1, max = -1;
    assert_int_equal(souk_loyalty_quote(t.db, USER, "USD", 100000, 1, &amount, &a, &pr), SOUK_E_VALIDATION);
    assert_int_equal(amount, 0);
    assert_int_equal(souk_loyalty_max_points(t.db, USER, "USD", 100000, &max), SOUK_OK);
    assert_int_equal(max, 0);
    souk_arena_release(&a);
    souk_test_db_close(&t);
}

/* The earning rule: per currency unit, floored; a category's rate; an unknown currency earns nothing. */
static void test_points_for(void **state)
{
    (void)state;
    souk_loyalty_settings s = {0};
    s.currencies[0] = (souk_loyalty_currency){"USD", 2, 1};
    s.currencies[1] = (souk_loyalty_currency){"JPY", 1, 1};
    s.ncurrencies = 2;
    s.categories[0] = (souk_loyalty_category_rate){9, 5000};
    s.ncategories = 1;
    souk_loyalty_line l[2] = {{1, 1999}, {2, 1001}};
    int64_t cats[2] = {0, 9};
    assert_int_equal(souk_loyalty_points_for(&s, "USD", l, NULL, 2), 60);   /* 30.00 × 2 */
    assert_int_equal(souk_loyalty_points_for(&s, "USD", l, cats, 2), 49);   /* 19.99 × 2 + 10.01 × 1 = 49.99 */
    assert_int_equal(souk_loyalty_points_for(&s, "JPY", l, NULL, 2), 3000); /* no minor unit */
    assert_int_equal(souk_loyalty_points_for(&s, "EUR", l, NULL, 2), 0);
    souk_loyalty_line big = {1, INT64_C(400000000000000)};
    int64_t rich = 9;
    s.categories[0].rate_bp = 100000;
    assert_int_equal(souk_loyalty_points_for(&s, "USD", &big, &rich, 1), SOUK_LOYALTY_POINTS_MAX); /* no overflow */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_points_for),         cmocka_unit_test(test_expiry_exact),
        cmocka_unit_test(test_clawback_on_goods),  cmocka_unit_test(test_give_back_pays_debt),
        cmocka_unit_test(test_maintenance_window), cmocka_unit_test(test_quote_without_expired),
        cmocka_unit_test(test_random_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
