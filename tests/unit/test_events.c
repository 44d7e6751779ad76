/*
 * Unit tests for src/events: the outbox writer (inside the caller's
 * transaction, bounded), the dispatcher's order and at-least-once delivery,
 * cursors that survive a restart, and a failing handler that is retried with
 * backoff without holding up other subscribers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/time.h"
#include "events/events.h"

#include "fixture.h"

static int setup(void **state)
{
    static souk_test_db f;
    if (souk_test_db_open(&f, "events") < 0)
        return -1;
    souk__events_reset();
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    souk_test_db *f = *state;
    souk_events_stop();
    souk__events_reset();
    souk_test_db_close(f);
    return 0;
}

static int64_t count(souk_store *db, const char *sql)
{
    int64_t n = 0;
    assert_int_equal(souk_store_one(db, sql, NULL, SOUK_COLS(SOUK_COL_I64(&n))), SOUK_DB_ROW);
    return n;
}

typedef struct emit_ctx {
    const char *type;
    int n;
    int fail; /* roll back after emitting */
} emit_ctx;

static int emit_fn(souk_store *db, void *vctx)
{
    emit_ctx *cx = vctx;
    for (int i = 0; i < cx->n; i++) {
        int r = souk_event_emit_tx(db, cx->type, "ord_1", json_pack("{s:i}", "i", i));
        if (r < 0)
            return r;
    }
    return cx->fail ? SOUK_DB_HARD : 0;
}

static void emit(souk_store *db, const char *type, int n)
{
    emit_ctx cx = {type, n, 0};
    assert_int_equal(souk_store_tx(db, emit_fn, &cx), 0);
}

/* ---- recording subscriber -------------------------------------------------- */

#define MAXREC 1000

typedef struct recorder {
    pthread_mutex_t mu;
    int64_t ids[MAXREC];
    char types[MAXREC][32];
    int n;
    int64_t fail_id; /* fail on this event id (0 = never) */
    int fail_times;  /* ... this many times (-1 = forever) */
    int calls;
} recorder;

static void rec_init(recorder *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
}

static int rec_handler(souk_store *db, const char *type, const char *aggregate_id, const json_t *payload,
                       int64_t event_id, void *ctx)
{
    (void)db;
    recorder *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->calls++;
    int rc = 0;
    if (event_id == r->fail_id && r->fail_times != 0) {
        if (r->fail_times > 0)
            r->fail_times--;
        rc = -1;
    } else if (r->n < MAXREC) {
        assert_string_equal(aggregate_id, "ord_1");
        assert_true(json_is_object(payload));
        r->ids[r->n] = event_id;
        snprintf(r->types[r->n], sizeof r->types[0], "%s", type);
        r->n++;
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

static int rec_count(recorder *r)
{
    pthread_mutex_lock(&r->mu);
    int n = r->n;
    pthread_mutex_unlock(&r->mu);
    return n;
}

static int64_t cursor_of(souk_store *db, const char *name)
{
    int64_t v = -1;
    souk_store_one(db, "SELECT last_event_id FROM event_cursors WHERE subscriber = $1", SOUK_ARGS(SOUK_TEXT(name)),
                   SOUK_COLS(SOUK_COL_I64(&v)));
    return v;
}

/* ---- tests ----------------------------------------------------------------- */

static void test_emit_in_rolled_back_tx_leaves_no_event(void **state)
{
    souk_test_db *f = *state;
    emit_ctx cx = {"order.placed", 3, 1};
    assert_int_equal(souk_store_tx(f->db, emit_fn, &cx), SOUK_DB_HARD);
    assert_int_equal(count(f->db, "SELECT count(*) FROM events"), 0);
    emit(f->db, "order.placed", 2);
    assert_int_equal(count(f->db, "SELECT count(*) FROM events"), 2);
    assert_int_equal(count(f->db, "SELECT count(*) FROM events WHERE payload = '{\"i\":1}' AND type = 'order.placed'"),
                     1);
}

static int emit_bad_fn(souk_store *db, void *vctx)
{
    int which = *(int *)vctx;
    char big[SOUK_EVENT_PAYLOAD_MAX + 10];
    switch (which) {
    case 0: return souk_event_emit_tx(db, "", "x", NULL);
    case 1: return souk_event_emit_tx(db, "Order.Placed", "x", NULL);
    case 2: {
        char t[SOUK_EVENT_TYPE_MAX + 2];
        memset(t, 'a', sizeof t - 1);
        t[sizeof t - 1] = '\0';
        return souk_event_emit_tx(db, t, "x", NULL);
    }
    case 3: return souk_event_emit_tx(db, "order.placed", "x", json_array());
    case 4:
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        return souk_event_emit_tx(db, "order.placed", "x", json_pack("{s:s}", "b", big));
    default: {
        char t[SOUK_EVENT_TYPE_MAX + 1];
        memset(t, 'a', sizeof t - 1);
        t[sizeof t - 1] = '\0';
        return souk_event_emit_tx(db, t, NULL, NULL); /* exactly 64 bytes, no payload: fine */
    }
    }
}

static void test_emit_is_bounded(void **state)
{
    souk_test_db *f = *state;
    for (int i = 0; i < 5; i++)
        assert_int_equal(souk_store_tx(f->db, emit_bad_fn, &i), SOUK_DB_HARD);
    assert_int_equal(count(f->db, "SELECT count(*) FROM events"), 0);
    int ok = 5;
    assert_int_equal(souk_store_tx(f->db, emit_bad_fn, &ok), 0);
    assert_int_equal(count(f->db, "SELECT count(*) FROM events WHERE payload = '{}' AND aggregate_id = ''"), 1);
}

static void test_order_and_prefix(void **state)
{
    souk_test_db *f = *state;
    static recorder orders, all;
    rec_init(&orders);
    rec_init(&all);
    assert_int_equal(souk_event_subscribe("orders", "order.", rec_handler, &orders), 0);
    assert_int_equal(souk_event_subscribe("all", NULL, rec_handler, &all), 0);
    assert_int_equal(souk_event_subscribe("all", NULL, rec_handler, &all), -1); /* taken */
    assert_int_equal(souk_event_subscribe("bad name", NULL, rec_handler, &all), -1);
    for (int i = 0; i < 50; i++) {
        emit(f->db, "order.placed", 2);
        emit(f->db, "stock.changed", 3);
        emit(f->db, "order.paid", 1);
    }
    /* 300 events: more than one batch; one pass handles up to 10 batches */
    int n = souk__events_dispatch(f->db, souk_time_now_us());
    assert_int_equal(n, 150 + 300);
    assert_int_equal(orders.n, 150);
    assert_int_equal(all.n, 300);
    for (int i = 1; i < all.n; i++)
        assert_true(all.ids[i] == all.ids[i - 1] + 1);
    for (int i = 1; i < orders.n; i++)
        assert_true(orders.ids[i] > orders.ids[i - 1]);
    for (int i = 0; i < orders.n; i++)
        assert_int_equal(strncmp(orders.types[i], "order.", 6), 0);
    assert_string_equal(orders.types[2], "order.paid");
    /* both cursors at the end (orders also past the stock events it skipped) */
    assert_int_equal(cursor_of(f->db, "orders"), all.ids[299]);
    assert_int_equal(cursor_of(f->db, "all"), all.ids[299]);
    /* nothing new: nothing delivered again */
    assert_int_equal(souk__events_dispatch(f->db, souk_time_now_us()), 0);
    emit(f->db, "order.placed", 1);
    assert_int_equal(souk__events_dispatch(f->db, souk_time_now_us()), 2);
    assert_int_equal(orders.n, 151);
}

static void test_failing_handler_retried_with_backoff(void **state)
{
    souk_test_db *f = *state;
    static recorder flaky, other;
    rec_init(&flaky);
    rec_init(&other);
    assert_int_equal(souk_event_subscribe("flaky", "", rec_handler, &flaky), 0);
    assert_int_equal(souk_event_subscribe("other", "", rec_handler, &other), 0);
    emit(f->db, "cart.updated", 5);
    int64_t third = count(f->db, "SELECT min(id) + 2 FROM events");
    flaky.fail_id = third;
    flaky.fail_times = 2;
    int64_t t0 = souk_time_now_us();
    souk__events_dispatch(f->db, t0);
    assert_int_equal(flaky.n, 2); /* stopped at the third event */
    assert_int_equal(other.n, 5); /* not held up */
    assert_int_equal(cursor_of(f->db, "flaky"), third - 1);
    souk__events_dispatch(f->db, t0 + 100000); /* within the 250 ms backoff: not called */
    assert_int_equal(flaky.calls, 3);
    souk__events_dispatch(f->db, t0 + 300000); /* second failure: backoff 500 ms */
    assert_int_equal(flaky.calls, 4);
    assert_int_equal(flaky.n, 2);
    souk__events_dispatch(f->db, t0 + 700000);
    assert_int_equal(flaky.calls, 4);
    souk__events_dispatch(f->db, t0 + 900000);
    assert_int_equal(flaky.n, 5); /* third, fourth, fifth in order */
    for (int i = 0; i < 5; i++)
        assert_int_equal(flaky.ids[i], other.ids[i]);
    assert_int_equal(cursor_of(f->db, "flaky"), other.ids[4]);
}

static void wait_for(recorder *r, int n)
{
    for (int i = 0; i < 500 && rec_count(r) < n; i++)
        usleep(10000);
    assert_int_equal(rec_count(r), n);
}

static void test_cursor_survives_restart(void **state)
{
    souk_test_db *f = *state;
    static recorder r;
    rec_init(&r);
    assert_int_equal(souk_event_subscribe("durable", "order.", rec_handler, &r), 0);
    assert_int_equal(souk_events_start(f->dsn), 0);
    assert_int_equal(souk_events_start(f->dsn), -1); /* already running */
    assert_int_equal(souk_event_subscribe("late", "", rec_handler, &r), -1);
    emit(f->db, "order.placed", 3);
    souk_events_kick();
    wait_for(&r, 3);
    /* the fourth event fails for good: it is not acknowledged */
    int64_t fourth = r.ids[2] + 1;
    pthread_mutex_lock(&r.mu);
    r.fail_id = fourth;
    r.fail_times = -1;
    pthread_mutex_unlock(&r.mu);
    emit(f->db, "order.placed", 2);
    souk_events_kick();
    for (int i = 0; i < 200; i++) {
        pthread_mutex_lock(&r.mu);
        int calls = r.calls;
        pthread_mutex_unlock(&r.mu);
        if (calls >= 4)
            break;
        usleep(10000);
    }
    souk_events_stop();
    assert_int_equal(r.n, 3);
    assert_int_equal(cursor_of(f->db, "durable"), fourth - 1);

    /* a new process (same subscription): acknowledged events are not redelivered */
    int64_t first = r.ids[0];
    rec_init(&r);
    assert_int_equal(souk_events_start(f->dsn), 0);
    souk_events_kick();
    wait_for(&r, 2);
    souk_events_stop();
    assert_int_equal(r.ids[0], fourth);
    assert_int_equal(r.ids[1], fourth + 1);
    assert_true(r.ids[0] > first);
    assert_int_equal(cursor_of(f->db, "durable"), fourth + 1);
}

static void test_polling_without_kick(void **state)
{
    souk_test_db *f = *state;
    static recorder r;
    rec_init(&r);
    assert_int_equal(souk_event_subscribe("poller", "", rec_handler, &r), 0);
    assert_int_equal(souk_events_start(f->dsn), 0);
    usleep(50000);
    emit(f->db, "order.placed", 1); /* no kick: the 250 ms poll finds it */
    wait_for(&r, 1);
    souk_events_stop();
    souk_events_stop(); /* idempotent */
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_emit_in_rolled_back_tx_leaves_no_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emit_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order_and_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failing_handler_retried_with_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursor_survives_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_polling_without_kick, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
