/*
 * Unit tests for src/store/group.c and the nested transactions and
 * after-commit hooks of src/store/tx.c: group commit keeps each
 * transaction's own result, a failing one rolls back alone, nothing is
 * answered before the commit, and a write outside a transaction on a
 * joined connection is reported as our bug.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/metrics.h"
#include "store/store.h"
#include "fixture.h"

typedef struct fx {
    souk_test_db t;
    souk_store_group *g;
} fx;

static int setup(void **state)
{
    static fx f;
    char err[256];
    if (souk_test_db_open_empty(&f.t, "group") < 0 ||
        souk_store_exec(f.t.db, "CREATE TABLE g (id BIGINT PRIMARY KEY, v TEXT NOT NULL)", NULL) != SOUK_DB_DONE ||
        souk_store_group_start(&f.g, f.t.dsn, err, sizeof err) < 0)
        return -1;
    souk_store_group_join(f.t.db, f.g);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    souk_store_group_stop(f->g);
    souk_test_db_close(&f->t);
    return 0;
}

static int64_t count(souk_store *db, const char *where)
{
    char sql[128];
    int64_t n = -1;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM g WHERE %s", where);
    assert_int_equal(souk_store_one(db, sql, NULL, SOUK_COLS(SOUK_COL_I64(&n))), SOUK_DB_ROW);
    return n;
}

static int64_t series(const char *name)
{
    return souk_metrics_series_get(souk_metrics_series(name, "", SOUK_METRIC_COUNTER, ""));
}

typedef struct ins {
    int64_t id;
    const char *v;
    int ret; /* what the body answers after its insert */
} ins;

static int insert_tx(souk_store *db, void *arg)
{
    ins *in = arg;
    int r = souk_store_exec(db, "INSERT INTO g (id, v) VALUES ($1, $2)", SOUK_ARGS(SOUK_I64(in->id), SOUK_TEXT(in->v)));
    return r < 0 ? r : in->ret;
}

/* ---- many writers at once ---- */

typedef struct writer {
    fx *f;
    int index;
    int failures;
} writer;

#define WRITERS 8
#define PER_WRITER 150

static void *writer_main(void *arg)
{
    writer *w = arg;
    souk_store *db = souk_test_db_connect(&w->f->t);
    souk_store_group_join(db, w->f->g);
    for (int i = 0; i < PER_WRITER; i++) {
        ins in = {(int64_t)w->index * 1000 + i + 1, "w", 0};
        if (souk_store_tx(db, insert_tx, &in) != 0)
            w->failures++;
    }
    souk_store_close(db);
    return NULL;
}

static void test_concurrent_writers_share_commits(void **state)
{
    fx *f = *state;
    int64_t commits = series("souk_store_group_commits_total"), items = series("souk_store_group_items_total");
    pthread_t th[WRITERS];
    writer w[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (writer){f, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    assert_int_equal(count(f->t.db, "v = 'w'"), WRITERS * PER_WRITER);
    int64_t c = series("souk_store_group_commits_total") - commits, n = series("souk_store_group_items_total") - items;
    assert_int_equal(n, WRITERS * PER_WRITER);
    assert_true(c >= 1 && c <= n);
    printf("# %lld transactions in %lld commits\n", (long long)n, (long long)c);
}

/* ---- one group, decided together ---- */

typedef struct gate {
    pthread_mutex_t m;
    pthread_cond_t c;
    bool open, entered;
    int done_status;
    bool done_called;
} gate;

static void hold_work(souk_store *db, void *arg)
{
    gate *g = arg;
    ins in = {1, "held", 0};
    insert_tx(db, &in); /* a work item writes without a transaction of its own */
    pthread_mutex_lock(&g->m);
    g->entered = true;
    pthread_cond_broadcast(&g->c);
    while (!g->open)
        pthread_cond_wait(&g->c, &g->m);
    pthread_mutex_unlock(&g->m);
}

static void hold_done(void *arg, int status)
{
    gate *g = arg;
    pthread_mutex_lock(&g->m);
    g->done_called = true;
    g->done_status = status;
    pthread_cond_broadcast(&g->c);
    pthread_mutex_unlock(&g->m);
}

typedef struct submitter {
    fx *f;
    ins in;
    int result;
    atomic_bool finished;
} submitter;

static void *submit_main(void *arg)
{
    submitter *s = arg;
    souk_store *db = souk_test_db_connect(&s->f->t);
    souk_store_group_join(db, s->f->g);
    s->result = souk_store_tx(db, insert_tx, &s->in);
    atomic_store(&s->finished, true);
    souk_store_close(db);
    return NULL;
}

static void test_a_failing_transaction_rolls_back_alone(void **state)
{
    fx *f = *state;
    gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false, 1, false};
    assert_int_equal(souk_store_group_submit(f->g, hold_work, hold_done, &g), 0);
    pthread_mutex_lock(&g.m);
    while (!g.entered)
        pthread_cond_wait(&g.c, &g.m);
    pthread_mutex_unlock(&g.m);
    /* while the committer is held, three transactions queue up: one breaks a constraint */
    submitter s[4] = {{f, {10, "ok", 0}},
                      {f, {1, "duplicate of the held row", 0}},
                      {f, {11, "ok", 7}},
                      {f, {12, "refused by its body", -5}}};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, submit_main, &s[i]), 0);
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    for (int i = 0; i < 4; i++) /* nothing is answered before the group commits */
        assert_false(atomic_load(&s[i].finished));
    assert_int_equal(count(f->t.db, "1 = 1"), 0); /* nor visible to others */
    pthread_mutex_lock(&g.m);
    g.open = true;
    pthread_cond_broadcast(&g.c);
    pthread_mutex_unlock(&g.m);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_true(g.done_called);
    assert_int_equal(g.done_status, 0);
    assert_int_equal(s[0].result, 0);
    assert_int_equal(s[1].result, SOUK_DB_CONSTRAINT);
    assert_int_equal(s[2].result, 7);
    assert_int_equal(s[3].result, -5);
    assert_int_equal(count(f->t.db, "id IN (1, 10, 11)"), 3);
    assert_int_equal(count(f->t.db, "id = 12"), 0);
}

/* ---- nested transactions and after-commit hooks ---- */

static atomic_int hook_calls;

static void hook(void *arg)
{
    atomic_fetch_add(&hook_calls, *(int *)arg);
}

typedef struct nested {
    int inner_ret;
    int inner_result;
} nested;

static int inner_tx(souk_store *db, void *arg)
{
    nested *n = arg;
    int ten = 10;
    souk_store_after_commit(db, hook, &ten, sizeof ten);
    ins in = {21, "inner", n->inner_ret};
    return insert_tx(db, &in);
}

static int outer_tx(souk_store *db, void *arg)
{
    nested *n = arg;
    int one = 1;
    souk_store_after_commit(db, hook, &one, sizeof one);
    ins in = {20, "outer", 0};
    int r = insert_tx(db, &in);
    if (r < 0)
        return r;
    n->inner_result = souk_store_tx(db, inner_tx, n); /* a savepoint of this transaction */
    return 0;
}

static int delete_all_tx(souk_store *db, void *arg)
{
    (void)arg;
    return souk_store_exec(db, "DELETE FROM g", NULL);
}

static void test_nested_transactions_and_hooks(void **state)
{
    fx *f = *state;
    /* the inner one fails: it alone rolls back, with its hook */
    atomic_store(&hook_calls, 0);
    nested n = {-9, 0};
    assert_int_equal(souk_store_tx(f->t.db, outer_tx, &n), 0);
    assert_int_equal(n.inner_result, -9);
    assert_int_equal(count(f->t.db, "id = 20"), 1);
    assert_int_equal(count(f->t.db, "id = 21"), 0);
    assert_int_equal(atomic_load(&hook_calls), 1);
    /* both succeed: both hooks run after the commit */
    assert_int_equal(souk_store_tx(f->t.db, delete_all_tx, NULL), SOUK_DB_DONE);
    atomic_store(&hook_calls, 0);
    n = (nested){0, 0};
    assert_int_equal(souk_store_tx(f->t.db, outer_tx, &n), 0);
    assert_int_equal(count(f->t.db, "id IN (20, 21)"), 2);
    assert_int_equal(atomic_load(&hook_calls), 11);
}

/* the same without a group: nesting and hooks are the port's, not the group's */
static void test_nested_without_a_group(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open_empty(&t, "nested"), 0);
    assert_int_equal(souk_store_exec(t.db, "CREATE TABLE g (id BIGINT PRIMARY KEY, v TEXT NOT NULL)", NULL),
                     SOUK_DB_DONE);
    atomic_store(&hook_calls, 0);
    nested n = {-9, 0};
    assert_int_equal(souk_store_tx(t.db, outer_tx, &n), 0);
    assert_int_equal(n.inner_result, -9);
    assert_int_equal(count(t.db, "1 = 1"), 1);
    assert_int_equal(atomic_load(&hook_calls), 1);
    /* outside a transaction a hook runs at once */
    int five = 5;
    assert_int_equal(souk_store_after_commit(t.db, hook, &five, sizeof five), 0);
    assert_int_equal(atomic_load(&hook_calls), 6);
    souk_test_db_close(&t);
}

/* a write that fails whole or not at all joins the group's transaction as it is */
static void test_joined_writes(void **state)
{
    fx *f = *state;
    ins a = {40, "joined", 0}, dup = {40, "again", 0}, b = {41, "joined", 7};
    assert_int_equal(souk_store_tx_join(f->t.db, insert_tx, &a), 0);
    assert_int_equal(souk_store_tx_join(f->t.db, insert_tx, &dup), SOUK_DB_CONSTRAINT);
    assert_int_equal(souk_store_tx_join(f->t.db, insert_tx, &b), 7);
    assert_int_equal(count(f->t.db, "v = 'joined'"), 2);
    assert_int_equal(count(f->t.db, "v = 'again'"), 0);
}

/* ---- the log is checkpointed beside the committer, and starts over ---- */

static int big_tx(souk_store *db, void *arg)
{
    const char *text = arg;
    int r = souk_store_exec(db, "INSERT INTO g (id, v) VALUES ((SELECT coalesce(max(id), 0) + 1 FROM g), $1)",
                            SOUK_ARGS(SOUK_TEXT(text)));
    return r < 0 ? r : 0;
}

/* frames in the write-ahead log now, asked on a connection of its own */
static int64_t log_frames(const char *dsn)
{
    souk_store *db = NULL;
    char err[256];
    int64_t busy = -1, log = -1, done = -1;
    assert_int_equal(souk_store_open(&db, dsn, err, sizeof err), 0);
    assert_int_equal(souk_store_one(db, "PRAGMA wal_checkpoint(PASSIVE)", NULL,
                                    SOUK_COLS(SOUK_COL_I64(&busy), SOUK_COL_I64(&log), SOUK_COL_I64(&done))),
                     SOUK_DB_ROW);
    souk_store_close(db);
    return log;
}

static void test_checkpoints_beside_the_committer(void **state)
{
    fx *f = *state;
    int64_t before = series("souk_store_checkpoints_total");
    size_t n = 64 * 1024;
    char *text = malloc(n + 1);
    assert_non_null(text);
    memset(text, 'x', n);
    text[n] = '\0';
    /* about 40 MiB through the log: past the mark (8000 pages of 4 KiB) */
    for (int i = 0; i < 640; i++)
        assert_int_equal(souk_store_tx(f->t.db, big_tx, text), 0);
    for (int i = 0; i < 500 && series("souk_store_checkpoints_total") == before; i++)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    assert_true(series("souk_store_checkpoints_total") > before);
    /* the committer catches up before its next group, which starts the log over */
    assert_int_equal(souk_store_tx(f->t.db, big_tx, "after"), 0);
    assert_int_equal(souk_store_tx(f->t.db, big_tx, "after"), 0);
    assert_true(log_frames(f->t.dsn) < 8000);
    assert_int_equal(count(f->t.db, "1 = 1"), 642);
    free(text);
}

/* ---- our bugs are reported ---- */

static void test_writes_outside_a_transaction_are_reported(void **state)
{
    fx *f = *state;
    const char *was = getenv("SOUK_BUG_ABORT");
    char *saved = was ? strdup(was) : NULL;
    unsetenv("SOUK_BUG_ABORT"); /* count, do not abort */
    int64_t bugs = series("souk_bugs_total");
    /* a read is fine; a write outside a transaction on a grouped connection is not */
    assert_int_equal(count(f->t.db, "1 = 1"), 0);
    assert_int_equal(series("souk_bugs_total"), bugs);
    assert_int_equal(souk_store_exec(f->t.db, "INSERT INTO g (id, v) VALUES (30, 'stray')", NULL), SOUK_DB_DONE);
    assert_int_equal(series("souk_bugs_total"), bugs + 1);
    /* an event loop's connection may not write at all */
    souk_store *loop = souk_test_db_connect(&f->t);
    souk_store_forbid_writes(loop);
    assert_int_equal(souk_store_read_begin(loop), 0);
    assert_int_equal(count(loop, "1 = 1"), 1);
    souk_store_read_end(loop);
    assert_int_equal(series("souk_bugs_total"), bugs + 1);
    ins in = {31, "from a loop", 0};
    souk_store_tx(loop, insert_tx, &in);
    assert_true(series("souk_bugs_total") >= bugs + 2);
    souk_store_close(loop);
    if (saved) {
        setenv("SOUK_BUG_ABORT", saved, 1);
        free(saved);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_concurrent_writers_share_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_failing_transaction_rolls_back_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested_transactions_and_hooks, setup, teardown),
        cmocka_unit_test(test_nested_without_a_group),
        cmocka_unit_test_setup_teardown(test_joined_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoints_beside_the_committer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writes_outside_a_transaction_are_reported, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
