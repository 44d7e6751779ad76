/*
 * group.c — group commit (store.h "group commit").
 *
 * Design: one committer thread per group, with its own connection, runs the
 * write transactions of every connection joined to the group. It takes
 * whatever is queued (up to GROUP_ITEMS_MAX items), opens one database
 * transaction, runs each item in a savepoint of its own — a failing item
 * rolls back to its savepoint and leaves the others alone — and commits
 * once. Only then are the submitters woken (souk_store_tx on a joined
 * connection returns) or the work items' done callbacks called, so nothing
 * is acknowledged before it is durable: a crash in the middle of a group
 * loses only what nobody was told about. With SQLite this turns many small
 * commits, each writing the same hot pages (the last page of the events,
 * audit and job tables, index pages) into the write-ahead log, into one
 * commit that writes each page once, and nobody waits for the write lock:
 * the committer is the process's only writer.
 *
 * If the commit fails, or the database ends the transaction itself (I/O
 * error, full disk), every item of the group that had succeeded is told
 * SOUK_DB_SOFT (a submitted transaction is then run again by souk_store_tx,
 * in a later group) and work items get a negative status.
 *
 * Checkpoints: SQLite copies its write-ahead log into the database, with
 * two fsyncs, in the thread whose commit takes the log past
 * wal_autocheckpoint pages — here the committer, which would stop running
 * groups meanwhile. Where the adapter can (defer_checkpoints), the
 * committer only hears the log's size after each commit and wakes a
 * checkpointer thread with a connection of its own, which copies what it
 * can without waiting for anyone (a passive checkpoint, as SQLite's own);
 * the committer goes on committing into the log meanwhile. The log starts
 * over only when a writer begins with all of it copied, which never
 * happens while the committer keeps writing behind the checkpointer (the
 * log grew to three times the mark): so once the checkpointer is done,
 * the committer copies the little written since itself, between two
 * groups, and its next group starts the log over.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/time.h"
#include "core/trace.h"
#include "store/adapter.h"
#include "core/banned.h"

#define GROUP_ITEMS_MAX 128   /* items in one database transaction */
#define GROUP_QUEUE_MAX 8192  /* queued items; beyond, submit refuses (503) */
#define GROUP_TX_ATTEMPTS 9   /* runs of one submitted transaction, as souk_store_tx */
#define BEGIN_ATTEMPTS 20     /* the busy handler waits up to 5 s each */
#define CHECKPOINT_PAGES 8000 /* as the connections' wal_autocheckpoint (sqlite.c says why) */

typedef enum item_kind { ITEM_TX, ITEM_WORK } item_kind;

typedef struct item {
    struct item *next;
    item_kind kind;
    int (*fn)(souk_store *db, void *ctx);    /* ITEM_TX */
    bool flat;                               /* ITEM_TX: no savepoint (souk_store_tx_join) */
    void (*work)(souk_store *db, void *ctx); /* ITEM_WORK */
    void (*done)(void *ctx, int status);     /* ITEM_WORK */
    void *ctx;
    int result;
    int64_t queued_at;   /* monotonic µs, when pushed */
    bool finished;       /* ITEM_TX: the submitter may go on */
    bool traced;         /* ITEM_TX: the submitter works for TRACE (core/trace.h) */
    souk_trace trace;    /*   which the committer takes on while it runs FN */
    pthread_cond_t cond; /* ITEM_TX */
} item;

struct souk_store_group {
    souk_store *db; /* the committer's connection */
    char dsn[1024];
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    item *head, *tail;
    int queued;
    int max_queued;      /* souk_store_group_limits */
    int64_t max_wait_us; /*   0: no bound */
    bool stop, started;
    int64_t mark;                                   /* the committer connection's change mark when last looked */
    _Atomic uint64_t external;                      /* commits seen from outside the group */
    int m_groups, m_items, m_failed, m_checkpoints; /* metric series */
    int m_refused_full, m_refused_wait;
    struct {            /* the checkpointer (see above) */
        souk_store *db; /* its connection; NULL: the committer checkpoints itself */
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        atomic_bool due;      /* a checkpoint is under way: from the log passing CHECKPOINT_PAGES */
        atomic_bool done;     /*   to the committer's catching up (see above) */
        bool requested, stop; /* under lock: the checkpointer's work */
    } ckpt;
};

static __thread souk_store_group *on_committer; /* set on a committer thread */
static souk_store_group *process_group;         /* souk_store_group_set_default */

static void push(souk_store_group *g, item *it)
{
    it->next = NULL;
    it->queued_at = souk_time_mono_us();
    if (g->tail)
        g->tail->next = it;
    else
        g->head = it;
    g->tail = it;
    g->queued++;
    pthread_cond_signal(&g->wake);
}

static void run_item(souk_store_group *g, item *it)
{
    souk_store *db = g->db;
    if (it->kind == ITEM_TX) {
        /* what FN logs, and the events and jobs it writes, belong to the
         * submitter's request or job */
        souk_trace_set_current(it->traced ? &it->trace : NULL);
        it->result = it->flat ? it->fn(db, it->ctx) : souk__store_savepoint_tx(db, it->fn, it->ctx);
        souk_trace_set_current(NULL);
    } else {
        it->work(db, it->ctx);
        souk_store_idle(db);
        it->result = 0;
    }
}

/* Tells the items of a group the outcome: COMMITTED, or the group failed
 * with STATUS (successful transactions are then told SOUK_DB_SOFT). */
static void settle(souk_store_group *g, item *first, int n, bool committed, int status)
{
    item *it = first;
    for (int i = 0; i < n; i++) {
        item *next = it->next;
        if (it->kind == ITEM_WORK) {
            it->done(it->ctx, committed ? 0 : status < 0 ? status : SOUK_DB_SOFT);
            free(it);
        } else {
            if (!committed && it->result >= 0)
                it->result = SOUK_DB_SOFT;
            pthread_mutex_lock(&g->lock);
            it->finished = true;
            pthread_cond_signal(&it->cond);
            pthread_mutex_unlock(&g->lock);
        }
        it = next;
    }
}

static int begin_group(souk_store *db)
{
    int r = SOUK_DB_SOFT;
    for (int attempt = 0; attempt < BEGIN_ATTEMPTS && r == SOUK_DB_SOFT; attempt++)
        r = db->ops->begin(db, true);
    return r;
}

/* Runs the N items from FIRST in one database transaction. */
static void run_group(souk_store_group *g, item *first, int n)
{
    souk_store *db = g->db;
    int r = begin_group(db);
    if (r != SOUK_DB_DONE) {
        souk_log(SOUK_LOG_ERROR, NULL, NULL, NULL, "group commit: cannot begin: %s", db->errmsg);
        int k = 0;
        for (item *it = first; it && k < n; it = it->next, k++) /* nothing ran */
            it->result = r;
        souk_metrics_series_add(g->m_failed, 1);
        settle(g, first, n, false, r);
        return;
    }
    db->tx_depth = 1;
    item *it = first;
    int done = 0;
    bool alive = true;
    for (; done < n; done++, it = it->next) {
        run_item(g, it);
        if (!db->ops->in_tx(db)) { /* the database rolled the whole group back */
            alive = false;
            done++;
            break;
        }
    }
    int c = alive ? db->ops->commit(db) : SOUK_DB_HARD;
    db->tx_depth = 0;
    if (c == SOUK_DB_DONE) {
        souk__store_run_hooks(db);
        souk_metrics_series_add(g->m_groups, 1);
        souk_metrics_series_add(g->m_items, done);
        settle(g, first, done, true, 0);
    } else {
        souk_log(SOUK_LOG_ERROR, NULL, NULL, NULL, "group commit: the group of %d failed: %s", done, db->errmsg);
        souk_store_idle(db);
        if (db->ops->in_tx(db))
            db->ops->rollback(db);
        souk__store_drop_hooks(db, 0);
        souk_metrics_series_add(g->m_failed, 1);
        settle(g, first, done, false, c);
    }
    if (done < n) /* the rest, in a fresh transaction */
        run_group(g, it, n - done);
}

/* Another connection committed since the last look when the committer's
 * connection's change mark moved (its own commits do not move it). */
static void look_outside(souk_store_group *g)
{
    int64_t m = g->db->ops->change_mark(g->db);
    if (m >= 0 && m != g->mark) {
        if (g->mark >= 0)
            atomic_fetch_add(&g->external, 1);
        g->mark = m;
    }
}

/* After each of the committer's commits, on its thread: wakes the
 * checkpointer when the log has grown past CHECKPOINT_PAGES. */
static void log_size(void *ctx, int64_t pages)
{
    souk_store_group *g = ctx;
    if (pages < CHECKPOINT_PAGES || atomic_exchange(&g->ckpt.due, true))
        return;
    pthread_mutex_lock(&g->ckpt.lock);
    g->ckpt.requested = true;
    pthread_cond_signal(&g->ckpt.wake);
    pthread_mutex_unlock(&g->ckpt.lock);
}

static void *checkpointer_main(void *arg)
{
    souk_store_group *g = arg;
    pthread_setname_np(pthread_self(), "souk-checkpoint");
    for (;;) {
        pthread_mutex_lock(&g->ckpt.lock);
        while (!g->ckpt.requested && !g->ckpt.stop)
            pthread_cond_wait(&g->ckpt.wake, &g->ckpt.lock);
        bool stop = g->ckpt.stop;
        g->ckpt.requested = false;
        pthread_mutex_unlock(&g->ckpt.lock);
        if (stop)
            break;
        bool ok = g->ckpt.db->ops->checkpoint(g->ckpt.db) == 0;
        atomic_store(&g->ckpt.done, true);
        if (ok) /* counted once the committer may catch up */
            souk_metrics_series_add(g->m_checkpoints, 1);
    }
    return NULL;
}

/* Between groups, on the committer: after the checkpointer's copy, the
 * rest of the log, so that the next group starts it over. */
static void checkpoint_catch_up(souk_store_group *g)
{
    if (!g->ckpt.db || !atomic_exchange(&g->ckpt.done, false))
        return;
    g->db->ops->checkpoint(g->db);
    atomic_store(&g->ckpt.due, false); /* a log past the mark from now on asks again */
}

/* Starts the checkpointer of G when its adapter lets the committer leave
 * checkpoints to it; without one the committer checkpoints as before. */
static void checkpointer_start(souk_store_group *g, const char *dsn)
{
    char err[256];
    const souk_store_ops *ops = g->db->ops;
    if (!ops->defer_checkpoints || !ops->checkpoint || souk_store_open(&g->ckpt.db, dsn, err, sizeof err) < 0)
        return;
    pthread_mutex_init(&g->ckpt.lock, NULL);
    pthread_cond_init(&g->ckpt.wake, NULL);
    if (pthread_create(&g->ckpt.thread, NULL, checkpointer_main, g) != 0) {
        souk_log(SOUK_LOG_WARN, NULL, NULL, NULL, "group commit: no checkpointer thread; the committer checkpoints");
        pthread_cond_destroy(&g->ckpt.wake);
        pthread_mutex_destroy(&g->ckpt.lock);
        souk_store_close(g->ckpt.db);
        g->ckpt.db = NULL;
        return;
    }
    ops->defer_checkpoints(g->db, log_size, g);
}

static void checkpointer_stop(souk_store_group *g)
{
    if (!g->ckpt.db)
        return;
    pthread_mutex_lock(&g->ckpt.lock);
    g->ckpt.stop = true;
    pthread_cond_signal(&g->ckpt.wake);
    pthread_mutex_unlock(&g->ckpt.lock);
    pthread_join(g->ckpt.thread, NULL);
    souk_store_close(g->ckpt.db);
    pthread_cond_destroy(&g->ckpt.wake);
    pthread_mutex_destroy(&g->ckpt.lock);
}

static void *committer_main(void *arg)
{
    souk_store_group *g = arg;
    on_committer = g;
    pthread_setname_np(pthread_self(), "souk-commit");
    g->mark = g->db->ops->change_mark(g->db);
    for (;;) {
        pthread_mutex_lock(&g->lock);
        while (!g->head && !g->stop) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += 500 * 1000 * 1000;
            if (until.tv_nsec >= 1000000000) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000;
            }
            if (pthread_cond_timedwait(&g->wake, &g->lock, &until) != 0 && !g->head) {
                pthread_mutex_unlock(&g->lock);
                look_outside(g);
                pthread_mutex_lock(&g->lock);
            }
        }
        if (!g->head) {
            pthread_mutex_unlock(&g->lock);
            break;
        }
        item *first = g->head;
        int n = 1;
        item *last = first;
        while (n < GROUP_ITEMS_MAX && last->next) {
            last = last->next;
            n++;
        }
        g->head = last->next;
        if (!g->head)
            g->tail = NULL;
        g->queued -= n;
        last->next = NULL;
        pthread_mutex_unlock(&g->lock);
        look_outside(g);
        checkpoint_catch_up(g);
        run_group(g, first, n);
    }
    return NULL;
}

uint64_t souk_store_group_external(const souk_store_group *g)
{
    return g ? atomic_load(&((souk_store_group *)g)->external) : 0;
}

int souk_store_group_start(souk_store_group **out, const char *dsn, char *err, size_t errlen)
{
    souk_store_group *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (souk_store_open(&g->db, dsn, err, errlen) < 0) {
        free(g);
        return -1;
    }
    snprintf(g->dsn, sizeof g->dsn, "%s", dsn);
    g->db->committer = true;
    g->db->group = g;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, NULL);
    g->m_groups = souk_metrics_series("souk_store_group_commits_total", "", SOUK_METRIC_COUNTER,
                                      "Database commits made by group commit (each holds one or more write "
                                      "transactions).");
    g->m_items = souk_metrics_series("souk_store_group_items_total", "", SOUK_METRIC_COUNTER,
                                     "Write transactions and write requests committed by group commit.");
    g->m_failed = souk_metrics_series("souk_store_group_failures_total", "", SOUK_METRIC_COUNTER,
                                      "Groups that could not begin or commit (their items were told to retry).");
    g->m_checkpoints = souk_metrics_series("souk_store_checkpoints_total", "", SOUK_METRIC_COUNTER,
                                           "Checkpoints of the write-ahead log made beside the group committer.");
    const char *refused = "Write requests refused before they queued (load shed: answered 503 with Retry-After).";
    g->m_refused_full =
        souk_metrics_series("souk_store_group_refused_total", "reason=\"queue_full\"", SOUK_METRIC_COUNTER, refused);
    g->m_refused_wait =
        souk_metrics_series("souk_store_group_refused_total", "reason=\"queue_wait\"", SOUK_METRIC_COUNTER, refused);
    g->max_queued = GROUP_QUEUE_MAX;
    checkpointer_start(g, dsn); /* before the committer commits anything */
    if (pthread_create(&g->thread, NULL, committer_main, g) != 0) {
        snprintf(err, errlen, "cannot start the committer thread");
        checkpointer_stop(g);
        souk_store_close(g->db);
        free(g);
        return -1;
    }
    g->started = true;
    *out = g;
    return 0;
}

void souk_store_group_stop(souk_store_group *g)
{
    if (!g)
        return;
    if (process_group == g)
        process_group = NULL;
    pthread_mutex_lock(&g->lock);
    g->stop = true;
    pthread_cond_broadcast(&g->wake);
    pthread_mutex_unlock(&g->lock);
    if (g->started)
        pthread_join(g->thread, NULL);
    checkpointer_stop(g);
    souk_store_close(g->db);
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

void souk_store_group_join(souk_store *db, souk_store_group *g)
{
    if (!db->committer)
        db->group = g;
}

void souk_store_group_set_default(souk_store_group *g)
{
    process_group = g;
}

void souk__store_group_adopt(souk_store *db, const char *dsn)
{
    if (process_group && strcmp(process_group->dsn, dsn) == 0)
        souk_store_group_join(db, process_group);
}

souk_store_group *souk_store_group_of(const souk_store *db)
{
    return db->group;
}

int souk__store_group_tx(souk_store *db, int (*fn)(souk_store *db, void *ctx), void *ctx, bool flat)
{
    souk_store_group *g = db->group;
    if (on_committer == g) /* from inside an item: it is already in the group's transaction */
        return flat ? fn(g->db, ctx) : souk__store_savepoint_tx(g->db, fn, ctx);
    int r = SOUK_DB_HARD;
    for (int attempt = 0; attempt < GROUP_TX_ATTEMPTS; attempt++) {
        item it = {.kind = ITEM_TX, .fn = fn, .flat = flat, .ctx = ctx};
        const souk_trace *trace = souk_trace_current();
        if (trace) {
            it.traced = true;
            it.trace = *trace;
        }
        pthread_cond_init(&it.cond, NULL);
        pthread_mutex_lock(&g->lock);
        if (g->stop) {
            pthread_mutex_unlock(&g->lock);
            pthread_cond_destroy(&it.cond);
            souk__store_set_err(db, "the committer has stopped");
            return SOUK_DB_SOFT;
        }
        push(g, &it);
        while (!it.finished)
            pthread_cond_wait(&it.cond, &g->lock);
        pthread_mutex_unlock(&g->lock);
        pthread_cond_destroy(&it.cond);
        r = it.result;
        if (r != SOUK_DB_SOFT)
            break;
        struct timespec ts = {0, (long)(1000000L << (attempt < 6 ? attempt : 6))}; /* 1..64 ms */
        nanosleep(&ts, NULL);
    }
    if (r < 0)
        memcpy(db->errmsg, g->db->errmsg, sizeof db->errmsg);
    return r;
}

typedef struct later {
    int (*fn)(souk_store *db, void *arg);
    unsigned char arg[256];
} later;

static void later_work(souk_store *db, void *arg)
{
    later *l = arg;
    souk__store_savepoint_tx(db, l->fn, l->arg);
}

static void later_done(void *arg, int status)
{
    (void)status;
    free(arg);
}

int souk_store_tx_later(souk_store *db, int (*fn)(souk_store *db, void *arg), const void *arg, size_t len)
{
    if (len > sizeof((later *)0)->arg)
        return -1;
    souk_store_group *g = db->group;
    if (!g && db->no_writes)
        return -1; /* an event loop without a group: it must not wait for the lock */
    if (!g || on_committer == g) {
        unsigned char copy[sizeof((later *)0)->arg];
        memcpy(copy, arg, len);
        return souk_store_tx(on_committer == g && g ? g->db : db, fn, copy) < 0 ? -1 : 0;
    }
    later *l = malloc(sizeof *l);
    if (!l)
        return -1;
    l->fn = fn;
    memcpy(l->arg, arg, len);
    if (souk_store_group_submit(g, later_work, later_done, l) < 0) {
        free(l);
        return -1;
    }
    return 0;
}

int souk_store_group_submit(souk_store_group *g, void (*work)(souk_store *db, void *ctx),
                            void (*done)(void *ctx, int status), void *ctx)
{
    item *it = calloc(1, sizeof *it);
    if (!it)
        return -1;
    it->kind = ITEM_WORK;
    it->work = work;
    it->done = done;
    it->ctx = ctx;
    pthread_mutex_lock(&g->lock);
    bool full = g->queued >= g->max_queued,
         late = !full && g->max_wait_us && g->head && souk_time_mono_us() - g->head->queued_at >= g->max_wait_us;
    if (g->stop || full || late) {
        pthread_mutex_unlock(&g->lock);
        free(it);
        if (full || late)
            souk_metrics_series_add(full ? g->m_refused_full : g->m_refused_wait, 1);
        return -1;
    }
    push(g, it);
    pthread_mutex_unlock(&g->lock);
    return 0;
}

void souk_store_group_limits(souk_store_group *g, int max_queued, int max_wait_ms)
{
    pthread_mutex_lock(&g->lock);
    g->max_queued = max_queued > 0 ? max_queued : GROUP_QUEUE_MAX;
    g->max_wait_us = max_wait_ms > 0 ? (int64_t)max_wait_ms * 1000 : 0;
    pthread_mutex_unlock(&g->lock);
}
