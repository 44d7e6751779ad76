/*
 * Unit tests for the dynamic-pricing jobs on a real (SQLite) database:
 * pricing.recompute is scheduled hourly at :50 and, run by the job queue,
 * recomputes once, then skips until new predictions are stored or it is
 * forced; pricing.apply applies a scheduled approval once and does nothing
 * for a rejected one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "core/time.h"
#include "audit/audit.h"
#include "jobs/internal.h"
#include "pricing/pricing.h"

#include "fixture.h"

static int setup(void **state)
{
    static souk_test_db f;
    if (souk_test_db_open(&f, "pricing") < 0)
        return -1;
    souk__jobs_reset();
    souk_pricing_register_jobs();
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    souk_test_db *f = *state;
    souk__jobs_reset();
    souk_test_db_close(f);
    return 0;
}

static int64_t q64(souk_store *db, const char *sql)
{
    int64_t n = -1;
    int r = souk_store_one(db, sql, NULL, SOUK_COLS(SOUK_COL_I64(&n)));
    if (r != SOUK_DB_ROW)
        fail_msg("%s -> %d", sql, r);
    return n;
}

static void exec(souk_store *db, const char *sql)
{
    if (souk_store_update_tx(db, sql, NULL) < 0)
        fail_msg("%s: %s", sql, souk_store_errmsg(db));
}

/* one active product with one variant priced 1000 USD and 50 units in stock: no demand */
static void plant(souk_store *db)
{
    exec(db, "INSERT INTO products (id, slug, title, status, created_at, updated_at) VALUES (10, 'lamp', 'Lamp', "
             "'active', 1, 1)");
    exec(db, "INSERT INTO variants (id, product_id, sku, created_at, updated_at) VALUES (11, 10, 'LAMP-1', 1, 1)");
    exec(db, "INSERT INTO variant_prices (variant_id, currency, amount) VALUES (11, 'USD', 1000)");
    exec(db, "INSERT INTO warehouses (id, code, name, created_at, updated_at) VALUES (12, 'main', 'Main', 1, 1)");
    exec(db, "INSERT INTO stock_levels (variant_id, warehouse_id, on_hand, updated_at) VALUES (11, 12, 50, 1)");
}

static int enqueue_force(souk_store *db, void *arg)
{
    (void)arg;
    int r = souk_job_enqueue_tx(db, SOUK_PRICING_RECOMPUTE_JOB, json_pack("{s:b}", "force", 1), 0, NULL);
    return r < 0 ? r : 0;
}

static void recompute_is_scheduled_and_skips_when_nothing_is_new(void **state)
{
    souk_test_db *f = *state;
    plant(f->db);
    int64_t t0 = souk_time_now_us();
    assert_int_equal(souk__jobs_sync_schedules(f->db, t0), 0);
    int64_t due = q64(f->db, "SELECT next_run_at FROM job_schedules WHERE kind = 'pricing.recompute'");
    assert_true(due > t0 && due <= t0 + INT64_C(3600000000));
    assert_int_equal((due / 1000000 / 60) % 60, 50); /* at :50 */
    assert_int_equal(souk__jobs_schedule_tick(f->db, due), 1);
    assert_int_equal(souk__jobs_run_one(f->db, due, "w"), 1);
    assert_int_equal(q64(f->db, "SELECT COUNT(*) FROM jobs WHERE kind = 'pricing.recompute' AND state = 'done'"), 1);
    assert_int_equal(q64(f->db, "SELECT variants FROM pricing_runs WHERE id = 1"), 1);
    assert_int_equal(q64(f->db, "SELECT COUNT(*) FROM pricing_suggestions WHERE status = 'pending'"), 1);
    assert_int_equal(q64(f->db, "SELECT suggested_amount FROM pricing_suggestions WHERE status = 'pending'"), 900);
    int64_t first = q64(f->db, "SELECT id FROM pricing_suggestions WHERE status = 'pending'");
    /* the next hour: no new predictions, under a day: skipped, the suggestion stays */
    int64_t due2 = due + INT64_C(3600000000);
    assert_int_equal(souk__jobs_schedule_tick(f->db, due2), 1);
    assert_int_equal(souk__jobs_run_one(f->db, due2, "w"), 1);
    assert_int_equal(q64(f->db, "SELECT id FROM pricing_suggestions WHERE status = 'pending'"), first);
    /* new predictions stored: recomputed, the old one superseded */
    exec(f->db, "INSERT INTO analytics_prediction_runs (id, computed_at, last_day, currency, series, duration_ms) "
                "VALUES (1, 9000000000000000, 20000, 'USD', 0, 1)");
    int64_t due3 = due2 + INT64_C(3600000000);
    assert_int_equal(souk__jobs_schedule_tick(f->db, due3), 1);
    assert_int_equal(souk__jobs_run_one(f->db, due3, "w"), 1);
    int64_t second = q64(f->db, "SELECT id FROM pricing_suggestions WHERE status = 'pending'");
    assert_true(second != first);
    assert_int_equal(q64(f->db, "SELECT COUNT(*) FROM pricing_suggestions WHERE status = 'superseded'"), 1);
    assert_int_equal(q64(f->db, "SELECT prediction_at FROM pricing_runs WHERE id = 1"), INT64_C(9000000000000000));
    /* forced: always */
    assert_true(souk_store_tx(f->db, enqueue_force, NULL) >= 0);
    assert_int_equal(souk__jobs_run_one(f->db, due3, "w"), 1);
    assert_true(q64(f->db, "SELECT id FROM pricing_suggestions WHERE status = 'pending'") != second);
    assert_int_equal(q64(f->db, "SELECT COUNT(*) FROM jobs WHERE kind = 'pricing.recompute' AND state <> 'done'"), 0);
}

static void apply_job_applies_once_and_never_a_rejected_one(void **state)
{
    souk_test_db *f = *state;
    plant(f->db);
    souk_pricing_run_stats st;
    assert_int_equal(souk_pricing_recompute(f->db, &st), 0);
    assert_int_equal(st.suggestions, 1);
    int64_t id = q64(f->db, "SELECT id FROM pricing_suggestions WHERE status = 'pending'");
    souk_pricing_actor who = {.type = "user", .id = 5, .user_id = 5};
    int64_t at = souk_time_now_us() + INT64_C(3600000000);
    assert_int_equal(souk_pricing_approve(f->db, id, at, "later", &who), SOUK_OK);
    assert_int_equal(souk_pricing_approve(f->db, id, 0, NULL, &who), SOUK_E_CONFLICT); /* no longer pending */
    assert_int_equal(q64(f->db, "SELECT COUNT(*) FROM jobs WHERE kind = 'pricing.apply' AND state = 'queued'"), 1);
    assert_int_equal(q64(f->db, "SELECT run_at FROM jobs WHERE kind = 'pricing.apply'"), at);
    assert_int_equal(souk__jobs_run_one(f->db, at - 1, "w"), 0); /* not before its time */
    assert_int_equal(q64(f->db, "SELECT amount FROM variant_prices WHERE variant_id = 11"), 1000);
    assert_int_equal(souk__jobs_run_one(f->db, at, "w"), 1);
    assert_int_equal(q64(f->db, "SELECT amount FROM variant_prices WHERE variant_id = 11"), 900);
    assert_int_equal(q64(f->db, "SELECT previous_amount FROM pricing_suggestions WHERE status = 'applied'"), 1000);
    assert_int_equal(q64(f->db, "SELECT COUNT(*) FROM audit_log WHERE action = 'pricing.applied' AND actor_type = "
                                "'system'"),
                     1);
    /* a second run of the same job (a lease that ran out): nothing more happens */
    exec(f->db, "UPDATE jobs SET state = 'queued' WHERE kind = 'pricing.apply'");
    assert_int_equal(souk__jobs_run_one(f->db, at, "w"), 1);
    assert_int_equal(q64(f->db, "SELECT COUNT(*) FROM audit_log WHERE action = 'pricing.applied'"), 1);
    /* roll back, recompute, schedule, reject: the job leaves the price alone */
    assert_int_equal(souk_pricing_rollback(f->db, id, &who), SOUK_OK);
    assert_int_equal(q64(f->db, "SELECT amount FROM variant_prices WHERE variant_id = 11"), 1000);
    assert_int_equal(souk_pricing_recompute(f->db, &st), 0);
    int64_t id2 = q64(f->db, "SELECT id FROM pricing_suggestions WHERE status = 'pending'");
    assert_int_equal(souk_pricing_approve(f->db, id2, at + 10, NULL, &who), SOUK_OK);
    assert_int_equal(souk_pricing_reject(f->db, id2, "no", &who), SOUK_OK);
    assert_int_equal(souk__jobs_run_one(f->db, at + 10, "w"), 1);
    assert_int_equal(q64(f->db, "SELECT amount FROM variant_prices WHERE variant_id = 11"), 1000);
    int64_t checked = 0, bad = 0;
    char why[200];
    assert_int_equal(souk_audit_verify(f->db, &checked, &bad, why, sizeof why), 0);
    assert_true(checked >= 4); /* approved, applied, rolled back, approved, rejected */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(recompute_is_scheduled_and_skips_when_nothing_is_new, setup, teardown),
        cmocka_unit_test_setup_teardown(apply_job_applies_once_and_never_a_rejected_one, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
