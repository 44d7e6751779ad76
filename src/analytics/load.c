/*
 * load.c — filling the facts from the views the owning contexts publish
 * (migration 0096), whole at start and one order at a time afterwards, and
 * the settings of the reports.
 */
#include "analytics/analytics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/internal.h"
#include "core/grow.h"
#include "core/time.h"
#include "core/banned.h"

#define ID_EPOCH_MS INT64_C(1577836800000) /* core/id.h: ids count ms from 2020-01-01 */
#define ID_SEQ_BITS 20
#define EVENT_LAG_MS 2000  /* events younger than this are left for the next poll */
#define EVENT_BATCH 200000 /* events read per poll */
#define CATCH_UP_US                                                                                                    \
    (INT64_C(60) * 1000000) /* a build from a replica re-reads this much (plus its lag) from the primary */

typedef struct order_row {
    int64_t id, user, paid_at;
    char currency[8];
    int64_t channel;
} order_row;

static int64_t count_of(souk_store *db, const char *sql)
{
    int64_t n = 0;
    return souk_store_one(db, sql, NULL, SOUK_COLS(SOUK_COL_I64(&n))) < 0 ? 0 : n;
}

/* Adds O with lines L (N) when it is new; write_mu held. */
static int add(souk_analytics_facts *f, const order_row *o, const souk_analytics_line_in *l, size_t n)
{
    souk_analytics_order_in in = {.order_id = o->id,
                                  .user_id = o->user,
                                  .paid_at = o->paid_at,
                                  .currency = o->currency,
                                  .channel = o->channel == 1   ? SOUK_ANALYTICS_CHANNEL_IMPORT
                                             : o->channel == 2 ? SOUK_ANALYTICS_CHANNEL_STOREFRONT
                                                               : SOUK_ANALYTICS_CHANNEL_API,
                                  .lines = l,
                                  .nlines = n};
    return souk_analytics_add_order(f, &in) < 0 ? -1 : 0;
}

static int load_orders(souk_store *db, souk_analytics_facts *f, souk_analytics_progress progress, void *ctx)
{
    uint64_t total = (uint64_t)count_of(db, "SELECT COUNT(*) FROM analytics_order_lines");
    order_row *orders = NULL;
    size_t norders = 0, cap = 0;
    souk_stmt *st = souk_store_query(
        db, "SELECT order_id, user_id, paid_at, currency, channel FROM analytics_orders ORDER BY order_id", NULL);
    order_row o;
    int r;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&o.id), SOUK_COL_I64(&o.user), SOUK_COL_I64(&o.paid_at),
                                             SOUK_COL_STR(o.currency), SOUK_COL_I64(&o.channel)))) == SOUK_DB_ROW) {
        if (souk_grow(&orders, &cap, norders + 1, sizeof *orders) < 0) {
            souk_stmt_done(st);
            free(orders);
            return -1;
        }
        orders[norders++] = o;
    }
    if (r < 0) {
        free(orders);
        return r;
    }
    souk_analytics_line_in *lines = NULL;
    size_t nlines = 0, lcap = 0, next = 0;
    int64_t cur = 0;
    uint64_t done = 0, shown = 0;
    st = souk_store_query(db,
                          "SELECT l.order_id, l.product_id, p.category_id, l.vendor_id, l.quantity, l.line_total "
                          "FROM analytics_order_lines l LEFT JOIN analytics_products p ON p.product_id = l.product_id "
                          "ORDER BY l.order_id, l.line_no",
                          NULL);
    int64_t oid;
    souk_analytics_line_in l;
    int rc = 0;
    pthread_mutex_lock(&f->write_mu);
    for (;;) {
        r = souk_stmt_next(st,
                           SOUK_COLS(SOUK_COL_I64(&oid), SOUK_COL_I64(&l.product_id), SOUK_COL_I64(&l.category_id),
                                     SOUK_COL_I64(&l.vendor_id), SOUK_COL_I64(&l.quantity), SOUK_COL_I64(&l.amount)));
        if (r < 0) {
            rc = r;
            break;
        }
        bool end = r != SOUK_DB_ROW;
        if ((end || oid != cur) && nlines) { /* the lines of CUR are complete */
            while (next < norders && orders[next].id < cur)
                if (add(f, &orders[next++], NULL, 0) < 0)
                    goto oom;
            if (next < norders && orders[next].id == cur && add(f, &orders[next++], lines, nlines) < 0)
                goto oom;
            done += nlines;
            nlines = 0;
            if (progress && done - shown >= 65536) {
                progress(ctx, "order lines", done, total);
                shown = done;
            }
        }
        if (end)
            break;
        cur = oid;
        if (souk_grow(&lines, &lcap, nlines + 1, sizeof *lines) < 0)
            goto oom;
        lines[nlines++] = l;
    }
    while (rc == 0 && next < norders) /* orders without lines */
        if (add(f, &orders[next++], NULL, 0) < 0)
            goto oom;
    pthread_mutex_unlock(&f->write_mu);
    if (progress)
        progress(ctx, "order lines", done, total);
    free(lines);
    free(orders);
    return rc;
oom:
    pthread_mutex_unlock(&f->write_mu);
    souk_stmt_done(st);
    free(lines);
    free(orders);
    return -1;
}

static int load_refunds(souk_store *db, souk_analytics_facts *f, const char *sql, const souk_param *args)
{
    souk_stmt *st = souk_store_query(db, sql, args);
    int64_t id, order, amount, at;
    int r;
    pthread_mutex_lock(&f->write_mu);
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&id), SOUK_COL_I64(&order), SOUK_COL_I64(&amount),
                                             SOUK_COL_I64(&at)))) == SOUK_DB_ROW)
        if (souk_analytics_add_refund(f, id, order, at, amount) < 0) {
            souk_stmt_done(st);
            r = -1;
            break;
        }
    pthread_mutex_unlock(&f->write_mu);
    return r < 0 ? r : 0;
}

/* The highest event id read now when the database is BEHIND_MS behind. */
static int64_t event_bound(int64_t behind_ms)
{
    return (souk_time_now_us() / 1000 - ID_EPOCH_MS - EVENT_LAG_MS - behind_ms) << ID_SEQ_BITS;
}

static int load_events_until(souk_store *db, souk_analytics_facts *f, int64_t bound)
{
    int added = 0, r;
    pthread_mutex_lock(&f->write_mu);
    for (;;) {
        souk_stmt *st = souk_store_query(db,
                                         "SELECT event_id, visitor_key, type, at FROM analytics_events "
                                         "WHERE event_id > $1 AND event_id <= $2 ORDER BY event_id LIMIT $3",
                                         SOUK_ARGS(SOUK_I64(f->last_event_id), SOUK_I64(bound), SOUK_I64(EVENT_BATCH)));
        int64_t id, key, type, at;
        int n = 0;
        while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&id), SOUK_COL_I64(&key), SOUK_COL_I64(&type),
                                                 SOUK_COL_I64(&at)))) == SOUK_DB_ROW) {
            n++;
            f->last_event_id = id;
            int a = souk_analytics_add_event(f, key, (int)type, at);
            if (a < 0) {
                souk_stmt_done(st);
                r = -1;
                break;
            }
            added += a;
        }
        if (r < 0 || n < EVENT_BATCH)
            break;
    }
    if (added)
        souk__analytics_events_published(f);
    pthread_mutex_unlock(&f->write_mu);
    return r < 0 ? r : added;
}

int souk_analytics_load_events(souk_store *db, souk_analytics_facts *f)
{
    return load_events_until(db, f, event_bound(0));
}

int souk_analytics_load(souk_store *db, souk_analytics_facts *f, souk_analytics_progress progress, void *ctx)
{
    return souk_analytics_load_behind(db, f, 0, progress, ctx);
}

int souk_analytics_load_behind(souk_store *db, souk_analytics_facts *f, int64_t behind_ms,
                               souk_analytics_progress progress, void *ctx)
{
    if (behind_ms < 0)
        behind_ms = 0;
    int r = load_orders(db, f, progress, ctx);
    if (r == 0)
        r = load_refunds(db, f, "SELECT refund_id, order_id, amount, created_at FROM analytics_refunds", NULL);
    if (progress)
        progress(ctx, "refunds", 1, 1);
    if (r == 0) {
        uint64_t total = (uint64_t)count_of(db, "SELECT COUNT(*) FROM analytics_events");
        uint64_t done = 0;
        int n;
        while ((n = load_events_until(db, f, event_bound(behind_ms))) > 0) {
            done += (uint64_t)n;
            if (progress)
                progress(ctx, "events", done, total);
        }
        if (n < 0)
            r = n;
        if (progress)
            progress(ctx, "events", done, done);
    }
    return r;
}

int souk_analytics_load_order(souk_store *db, souk_analytics_facts *f, int64_t order_id)
{
    order_row o;
    int r = souk_store_one(db,
                           "SELECT order_id, user_id, paid_at, currency, channel FROM analytics_orders "
                           "WHERE order_id = $1",
                           SOUK_ARGS(SOUK_I64(order_id)),
                           SOUK_COLS(SOUK_COL_I64(&o.id), SOUK_COL_I64(&o.user), SOUK_COL_I64(&o.paid_at),
                                     SOUK_COL_STR(o.currency), SOUK_COL_I64(&o.channel)));
    if (r < 0)
        return r;
    if (r == SOUK_DB_ROW) {
        souk_analytics_line_in *ls = NULL, l;
        size_t n = 0, cap = 0;
        souk_stmt *st =
            souk_store_query(db,
                             "SELECT l.product_id, p.category_id, l.vendor_id, l.quantity, l.line_total "
                             "FROM analytics_order_lines l LEFT JOIN analytics_products p ON p.product_id = "
                             "l.product_id WHERE l.order_id = $1 ORDER BY l.line_no",
                             SOUK_ARGS(SOUK_I64(order_id)));
        while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&l.product_id), SOUK_COL_I64(&l.category_id),
                                                 SOUK_COL_I64(&l.vendor_id), SOUK_COL_I64(&l.quantity),
                                                 SOUK_COL_I64(&l.amount)))) == SOUK_DB_ROW) {
            if (souk_grow(&ls, &cap, n + 1, sizeof *ls) < 0) {
                souk_stmt_done(st);
                free(ls);
                return -1;
            }
            ls[n++] = l;
        }
        if (r < 0) {
            free(ls);
            return r;
        }
        pthread_mutex_lock(&f->write_mu);
        r = add(f, &o, ls, n);
        pthread_mutex_unlock(&f->write_mu);
        free(ls);
        if (r < 0)
            return -1;
    }
    return load_refunds(db, f,
                        "SELECT refund_id, order_id, amount, created_at FROM analytics_refunds WHERE order_id = $1",
                        SOUK_ARGS(SOUK_I64(order_id)));
}

int souk_analytics_load_since(souk_store *db, souk_analytics_facts *f, int64_t since_us)
{
    int64_t id_bound = (since_us / 1000 - ID_EPOCH_MS) << ID_SEQ_BITS;
    if (id_bound < 0)
        id_bound = 0;
    int64_t *ids = NULL, id;
    size_t n = 0, cap = 0;
    souk_stmt *st = souk_store_query(db,
                                     "SELECT order_id FROM analytics_orders WHERE paid_at >= $1 OR order_id >= $2 "
                                     "UNION SELECT order_id FROM analytics_refunds WHERE created_at >= $1 OR "
                                     "refund_id >= $2",
                                     SOUK_ARGS(SOUK_I64(since_us), SOUK_I64(id_bound)));
    int r;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&id)))) == SOUK_DB_ROW) {
        if (souk_grow(&ids, &cap, n + 1, sizeof *ids) < 0) {
            souk_stmt_done(st);
            free(ids);
            return -1;
        }
        ids[n++] = id;
    }
    for (size_t i = 0; r == 0 && i < n; i++)
        r = souk_analytics_load_order(db, f, ids[i]);
    free(ids);
    return r < 0 ? r : (int)(n > INT32_MAX ? INT32_MAX : n);
}

int souk_analytics_load_replica(souk_store *db, souk_store **replica, const char *purpose, souk_analytics_facts *f,
                                souk_analytics_progress progress, void *ctx, bool *from_replica)
{
    int64_t started = souk_time_now_us(), lag = 0;
    souk_store *src = souk_store_replica_pick(db, replica, purpose, &lag);
    *from_replica = src != db;
    int r = souk_analytics_load_behind(src, f, lag, progress, ctx);
    if (r < 0 && src != db) {
        /* the replica went away part-way: the primary goes on. What F got is whole orders and
         * events up to an id (a load adds an order once all its lines are read), and a load
         * skips what F holds already */
        souk_store_replica_failed(purpose, souk_store_errmsg(src));
        *from_replica = false;
        return souk_analytics_load(db, f, progress, ctx);
    }
    if (r < 0 || src == db)
        return r;
    /* what the replica had not replayed: orders paid, created or refunded in the lag and a minute before */
    r = souk_analytics_load_since(db, f, started - lag * 1000 - CATCH_UP_US);
    return r < 0 ? r : 0;
}

int souk_analytics_setting_timezone(souk_store *db, char *buf)
{
    char v[SOUK_ANALYTICS_TZ_NAME_MAX] = "UTC";
    int r = souk_store_one(db, "SELECT value FROM analytics_settings WHERE key = 'timezone'", NULL,
                           SOUK_COLS(SOUK_COL_STR(v)));
    snprintf(buf, SOUK_ANALYTICS_TZ_NAME_MAX, "%s", v);
    return r < 0 ? r : 0;
}

static int set_tz_tx(souk_store *db, void *ctx)
{
    return souk_store_exec(db,
                           "INSERT INTO analytics_settings (key, value, updated_at) VALUES ('timezone', $1, $2) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                           SOUK_ARGS(SOUK_TEXT((const char *)ctx), SOUK_I64(souk_time_now_us())));
}

int souk_analytics_set_timezone(souk_store *db, const char *name)
{
    souk_analytics_tz tz;
    if (souk_analytics_tz_load(&tz, name) < 0)
        return -1;
    souk_analytics_tz_release(&tz);
    int r = souk_store_tx(db, set_tz_tx, (void *)name);
    return r < 0 ? r : 0;
}
