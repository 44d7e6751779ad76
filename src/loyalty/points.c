/*
 * points.c — what orders do to points: redemption at checkout and its
 * reversal, earning when paid, release when the return window ends, and the
 * clawback of refunds. Each runs in the caller's write transaction; the
 * once-only ones carry a dedupe key (docs/internals/loyalty.md).
 */
#include "loyalty/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/json.h"
#include "core/money.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "store/page.h"
#include "core/banned.h"

#define RELEASE_JOB "loyalty.release"
#define MAINTENANCE_JOB "loyalty.maintenance"

souk_err souk_loyalty_quote(souk_store *db, int64_t user, const char *currency, int64_t goods, int64_t points,
                            int64_t *amount, souk_arena *a, souk_problems *pr)
{
    *amount = 0;
    souk_loyalty_settings s;
    souk_err e = souk_loyalty_settings_read(db, &s);
    if (e)
        return e;
    const souk_loyalty_currency *c = souk__loyalty_currency(&s, currency);
    if (!c) {
        souk_problems_add(pr, a, "loyalty_points", "points cannot be redeemed in %s", currency ? currency : "");
        return SOUK_E_VALIDATION;
    }
    souk_loyalty_balance b;
    int64_t due; /* expired, even if the hourly job has not taken them yet */
    if ((e = souk__loyalty_balance_due(db, user, souk_time_now_us(), &b, &due)))
        return e;
    b.available -= due;
    if (points > b.available) {
        souk_problems_add(pr, a, "loyalty_points", "only %lld points are available", (long long)b.available);
        return SOUK_E_VALIDATION;
    }
    int64_t cap = goods > 0 ? goods * s.max_redeem_bp / 10000 : 0; /* goods ≤ 4·10^14: no overflow */
    int64_t value = points * c->point_value;                       /* ≤ 10^9 × 10^6 */
    if (value > cap) {
        souk_problems_add(pr, a, "loyalty_points", "at most %lld points can be used on this order",
                          (long long)(cap / c->point_value));
        return SOUK_E_VALIDATION;
    }
    *amount = value;
    return SOUK_OK;
}

souk_err souk_loyalty_max_points(souk_store *db, int64_t user, const char *currency, int64_t goods, int64_t *max)
{
    *max = 0;
    souk_loyalty_settings s;
    souk_loyalty_balance b;
    int64_t due;
    souk_err e = souk_loyalty_settings_read(db, &s);
    const souk_loyalty_currency *c = e ? NULL : souk__loyalty_currency(&s, currency);
    if (e || !c || (e = souk__loyalty_balance_due(db, user, souk_time_now_us(), &b, &due)))
        return e;
    b.available -= due;
    int64_t cap = goods > 0 ? goods * s.max_redeem_bp / 10000 / c->point_value : 0;
    *max = b.available < cap ? b.available : cap;
    return SOUK_OK;
}

souk_err souk_loyalty_redeem_tx(souk_store *db, int64_t user, int64_t order, int64_t points, int64_t amount,
                                const char *currency, int64_t now, souk_arena *a, souk_problems *pr)
{
    char dedupe[48], actor[SOUK_ID_TEXT_MAX];
    snprintf(dedupe, sizeof dedupe, "redeem:%lld", (long long)order);
    souk_id_format("usr", user, actor);
    souk__loyalty_entry x = {.user = user,
                             .kind = "redeem",
                             .points = -points,
                             .order = order,
                             .amount = amount,
                             .currency = currency,
                             .reason = "redeemed at checkout",
                             .actor = actor,
                             .dedupe = dedupe,
                             .now = now};
    souk_err e = souk__loyalty_post(db, &x, NULL);
    if (e == SOUK_E_INVALID_STATE) { /* spent meanwhile: the guard held */
        souk_problems_add(pr, a, "loyalty_points", "these points have just been spent; read the balance again");
        return SOUK_E_VALIDATION;
    }
    return e;
}

souk_err souk_loyalty_unredeem_tx(souk_store *db, int64_t order, const char *reason, const char *actor, int64_t now)
{
    char dedupe[48], currency[4] = "";
    int64_t user = 0, points = 0, amount = 0;
    snprintf(dedupe, sizeof dedupe, "redeem:%lld", (long long)order);
    int r = souk_store_one(
        db,
        "SELECT user_id, points, coalesce(amount, 0), coalesce(currency, '') FROM loyalty_ledger "
        "WHERE dedupe = $1",
        SOUK_ARGS(SOUK_TEXT(dedupe)),
        SOUK_COLS(SOUK_COL_I64(&user), SOUK_COL_I64(&points), SOUK_COL_I64(&amount), SOUK_COL_STR(currency)));
    if (r == SOUK_DB_DONE)
        return SOUK_OK; /* it redeemed nothing */
    if (r != SOUK_DB_ROW)
        return souk_store_dberr(r);
    snprintf(dedupe, sizeof dedupe, "unredeem:%lld", (long long)order);
    souk__loyalty_entry x = {.user = user,
                             .kind = "redeem_reversal",
                             .points = -points,
                             .order = order,
                             .amount = amount,
                             .currency = currency[0] ? currency : NULL,
                             .reason = reason,
                             .actor = actor,
                             .dedupe = dedupe,
                             .now = now};
    souk_err e = souk__loyalty_post(db, &x, NULL);
    if (e)
        return e == SOUK_E_CONFLICT ? SOUK_OK : e;
    /* not a lot (the points go back to the credits they came from), but
     * they pay a debt first like any points that become available */
    return souk__loyalty_pay_debt(db, user, order, now);
}

souk_err souk_loyalty_runs_in(souk_store *db, const char *currency, bool *runs)
{
    int64_t rate = 0;
    int r = souk_store_one(db, "SELECT earn_per_unit FROM loyalty_currencies WHERE currency = $1",
                           SOUK_ARGS(SOUK_TEXT(currency)), SOUK_COLS(SOUK_COL_I64(&rate)));
    *runs = r == SOUK_DB_ROW && rate > 0;
    return r == SOUK_DB_ROW || r == SOUK_DB_DONE ? SOUK_OK : souk_store_dberr(r);
}

souk_err souk_loyalty_earn_tx(souk_store *db, int64_t user, int64_t order, const char *currency,
                              const souk_loyalty_line *lines, size_t n, int64_t now)
{
    if (!user)
        return SOUK_OK;
    souk_loyalty_settings s;
    souk_err e = souk_loyalty_settings_read(db, &s);
    if (e || !souk__loyalty_currency(&s, currency))
        return e;
    int64_t category[SOUK_LOYALTY_LINES_MAX], paid = 0;
    if (n > SOUK_LOYALTY_LINES_MAX)
        n = SOUK_LOYALTY_LINES_MAX;
    for (size_t i = 0; i < n; i++) {
        category[i] = 0;
        paid += lines[i].paid;
        if (!s.ncategories)
            continue;
        /* the rate of the product's category or, failing that, of its nearest ancestor with one
           (a category's rate covers its subtree; depth bounded as the catalog bounds it) */
        int r =
            souk_store_one(db,
                           "WITH RECURSIVE up(id, depth) AS ("
                           " SELECT category_id, 0 FROM catalog_promo_products"
                           " WHERE product_id = $1 AND category_id IS NOT NULL"
                           " UNION ALL"
                           " SELECT c.parent_id, up.depth + 1 FROM catalog_promo_categories c JOIN up ON c.id = up.id"
                           " WHERE c.parent_id IS NOT NULL AND up.depth < 64) "
                           "SELECT up.id FROM up JOIN loyalty_category_rates r ON r.category_id = up.id "
                           "ORDER BY up.depth LIMIT 1",
                           SOUK_ARGS(SOUK_I64(lines[i].product_id)), SOUK_COLS(SOUK_COL_I64(&category[i])));
        if (r < 0)
            return souk_store_dberr(r);
    }
    int64_t points = souk_loyalty_points_for(&s, currency, lines, category, n);
    if (points <= 0)
        return SOUK_OK;
    char dedupe[48];
    snprintf(dedupe, sizeof dedupe, "earn:%lld", (long long)order);
    int64_t at = now + s.return_window_days * SOUK__LOYALTY_DAY_US;
    souk__loyalty_entry x = {.user = user,
                             .kind = "earn",
                             .pending = points,
                             .order = order,
                             .amount = paid,
                             .currency = currency,
                             .reason = "order paid",
                             .actor = "system",
                             .dedupe = dedupe,
                             .available_at = at,
                             .now = now};
    e = souk__loyalty_post(db, &x, NULL);
    if (e == SOUK_E_CONFLICT)
        return SOUK_OK;
    if (e)
        return e;
    char key[64];
    snprintf(key, sizeof key, RELEASE_JOB ":%lld", (long long)order);
    int r = souk_job_enqueue_tx(db, RELEASE_JOB, json_pack("{s:I}", "order", (json_int_t)order), at, key);
    return r < 0 ? souk_store_dberr(r) : SOUK_OK;
}

/* What the ledger says of ORDER's earning. */
typedef struct order_points {
    int64_t user, earned, goods, taken, pending, available_at; /* goods: what the earn entry was earned on */
    bool released;
} order_points;

static souk_err order_points_read(souk_store *db, int64_t order, order_points *p)
{
    memset(p, 0, sizeof *p);
    int r = souk_store_one(db,
                           "SELECT coalesce(max(user_id), 0), "
                           "coalesce(sum(CASE WHEN kind = 'earn' THEN pending ELSE 0 END), 0), "
                           "coalesce(sum(CASE WHEN kind = 'earn' THEN amount ELSE 0 END), 0), "
                           "coalesce(sum(CASE WHEN kind = 'clawback' THEN debt - points - pending ELSE 0 END), 0), "
                           "coalesce(sum(pending), 0), coalesce(max(available_at), 0), "
                           "coalesce(sum(CASE WHEN kind = 'release' THEN 1 ELSE 0 END), 0) "
                           "FROM loyalty_ledger WHERE order_id = $1",
                           SOUK_ARGS(SOUK_I64(order)),
                           SOUK_COLS(SOUK_COL_I64(&p->user), SOUK_COL_I64(&p->earned), SOUK_COL_I64(&p->goods),
                                     SOUK_COL_I64(&p->taken), SOUK_COL_I64(&p->pending), SOUK_COL_I64(&p->available_at),
                                     SOUK_COL_BOOL(&p->released)));
    return r == SOUK_DB_ROW ? SOUK_OK : r == SOUK_DB_DONE ? SOUK_E_INTERNAL : souk_store_dberr(r);
}

souk_err souk_loyalty_clawback_tx(souk_store *db, int64_t order, int64_t returned, int64_t other, int64_t total,
                                  const char *dedupe, const char *actor, int64_t now)
{
    order_points p;
    souk_err e = order_points_read(db, order, &p);
    if (e || p.earned <= 0 || p.goods <= 0)
        return e;
    /* the goods refunded: the returns' value, and of the other refunds what
     * passes the order's shipping and tax (total − goods) */
    int64_t rest_of_order = total > p.goods ? total - p.goods : 0;
    int64_t goods = returned + (other > rest_of_order ? other - rest_of_order : 0);
    if (goods > p.goods)
        goods = p.goods;
    int64_t keep = (int64_t)(((souk_wide)p.earned * (p.goods - goods)) / p.goods);
    int64_t take = p.earned - keep - p.taken;
    if (take <= 0)
        return SOUK_OK;
    souk_loyalty_balance b;
    if ((e = souk_loyalty_balance_read(db, p.user, &b)))
        return e;
    int64_t from_pending = take < p.pending ? take : p.pending, rest = take - from_pending;
    int64_t from_available = rest < b.available ? rest : b.available;
    char key[96];
    snprintf(key, sizeof key, "claw:%s", dedupe);
    souk__loyalty_entry x = {.user = p.user,
                             .kind = "clawback",
                             .points = -from_available,
                             .pending = -from_pending,
                             .debt = rest - from_available, /* what the balance does not hold */
                             .order = order,
                             .reason = "order refunded",
                             .actor = actor,
                             .dedupe = key,
                             .now = now};
    e = souk__loyalty_post(db, &x, NULL);
    return e == SOUK_E_CONFLICT ? SOUK_OK : e;
}

souk_err souk_loyalty_release_tx(souk_store *db, int64_t order, int64_t now)
{
    order_points p;
    souk_err e = order_points_read(db, order, &p);
    if (e || !p.user || p.released)
        return e;
    souk_loyalty_settings s;
    if ((e = souk_loyalty_settings_read(db, &s)))
        return e;
    char dedupe[48];
    snprintf(dedupe, sizeof dedupe, "release:%lld", (long long)order);
    int64_t at = p.available_at ? p.available_at : now; /* the lot's life starts when the window ended */
    souk__loyalty_entry x = {.user = p.user,
                             .kind = "release",
                             .pending = -p.pending,
                             .order = order,
                             .reason = "return window ended",
                             .actor = "system",
                             .dedupe = dedupe,
                             .expires_at = souk__loyalty_expiry(&s, at),
                             .now = now};
    e = souk__loyalty_credit(db, &x, p.pending, NULL);
    return e == SOUK_E_CONFLICT ? SOUK_OK : e;
}

souk_err souk_loyalty_release_due_tx(souk_store *db, int64_t since, int64_t now, int max, int *n)
{
    *n = 0;
    int64_t orders[SOUK_LOYALTY_BATCH_MAX];
    max = max < 1 ? 1 : max > SOUK_LOYALTY_BATCH_MAX ? SOUK_LOYALTY_BATCH_MAX : max;
    /* the earnings whose window ended in (SINCE, NOW], through the partial
     * index loyalty_ledger_earn_due (0151): not every earning ever made */
    souk_stmt *st = souk_store_query(db,
                                     "SELECT e.order_id FROM loyalty_ledger e WHERE e.kind = 'earn' "
                                     "AND e.available_at <= $1 AND e.available_at > $2 AND NOT EXISTS (SELECT 1 "
                                     "FROM loyalty_ledger r WHERE r.order_id = e.order_id AND r.kind = 'release') "
                                     "ORDER BY e.available_at, e.order_id LIMIT $3",
                                     SOUK_ARGS(SOUK_I64(now), SOUK_I64(since), SOUK_I64(max)));
    int k = souk_store_ids(st, orders, max);
    if (k < 0)
        return souk_store_dberr(k);
    for (int i = 0; i < k; i++) {
        souk_err e = souk_loyalty_release_tx(db, orders[i], now);
        if (e)
            return e;
    }
    *n = k;
    return SOUK_OK;
}

/* ---- the job kinds ---- */

static int release_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    int64_t order = json_integer_value(json_object_get(payload, "order"));
    souk_err e = order ? souk_loyalty_release_tx(db, order, souk_time_now_us()) : SOUK_OK;
    if (e) {
        snprintf(err, errlen, "release: %s", souk_store_errmsg(db));
        return -1;
    }
    return 0;
}

/* The hourly safety net, one short write transaction per batch so that
 * the write lock is never held for long: releases whose job was lost, then
 * expiry, over what fell due in the last LOOKBACK (docs/internals/loyalty.md). */
#define MAINTENANCE_BATCH 200
#define MAINTENANCE_LOOKBACK_US (INT64_C(3) * SOUK__LOYALTY_DAY_US)

typedef struct maintenance {
    int64_t since, now;
    souk_loyalty_cursor at, next; /* next: the batch's, kept once it commits */
    int n;
} maintenance;

static souk_err release_batch(souk_store *db, void *arg)
{
    maintenance *m = arg;
    return souk_loyalty_release_due_tx(db, m->since, m->now, MAINTENANCE_BATCH, &m->n);
}

static souk_err expire_batch(souk_store *db, void *arg)
{
    maintenance *m = arg;
    m->next = m->at; /* a retried attempt starts where the last commit left */
    return souk_loyalty_expire_due_tx(db, m->since, m->now, MAINTENANCE_BATCH, &m->next, &m->n);
}

static int maintenance_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    (void)payload;
    maintenance m = {.now = souk_time_now_us()};
    m.since = m.now - MAINTENANCE_LOOKBACK_US;
    souk_err e;
    do /* each batch's releases drop out of the next one's query */
        e = souk_store_run(db, release_batch, &m, NULL);
    while (!e && m.n == MAINTENANCE_BATCH && souk_job_keep_alive(db) >= 0);
    while (!e) {
        if ((e = souk_store_run(db, expire_batch, &m, NULL)))
            break;
        m.at = m.next;
        if (m.at.done || souk_job_keep_alive(db) < 0)
            break;
    }
    if (e) {
        snprintf(err, errlen, "maintenance: %s", souk_store_errmsg(db));
        return -1;
    }
    return 0;
}

void souk_loyalty_register_jobs(void)
{
    souk_job_register_tx(RELEASE_JOB, release_job, 10);
    souk_job_register(MAINTENANCE_JOB, maintenance_job, 5);
    souk_job_schedule(MAINTENANCE_JOB, "23 * * * *");
}
