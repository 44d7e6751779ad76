/* Behaviour events (src/behaviour): the batch decoder's field and type rules,
 * and ingestion into a real database — unknown products rejected by index,
 * duplicates skipped, visitors linked to the account, erasure unlinking. */
#include "catalog_fixture.h"

#include <stdio.h>

#include "behaviour/behaviour.h"

static const int64_t NOW = 1764600000000000LL; /* 2025-12-01T14:40:00Z */

static souk_err decode(fixture *f, const char *body, int64_t user, souk_behaviour_batch *b)
{
    const char *why;
    souk_problems_init(&f->pr);
    return souk_behaviour_batch_decode(body, strlen(body), user, NOW, &f->a, b, &why, &f->pr);
}

static void reject_fields(const souk_behaviour_batch *b, const char *const *want, size_t n)
{
    assert_int_equal(b->nrejects, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(b->rejects[i].field, want[i]);
}

static void decodes_good_events_and_rejects_bad_ones_by_index(void **state)
{
    fixture *f = *state;
    souk_behaviour_batch b;
    assert_int_equal(decode(f,
                            "{\"events\":["
                            "{\"id\":\"a\",\"type\":\"page_view\",\"anonymous_id\":\"browser-1\"},"
                            "{\"id\":\"b\",\"type\":\"add_to_cart\",\"anonymous_id\":\"browser-1\","
                            "\"variant_id\":\"var_06B9W1CXDCFHN\"},"
                            "{\"id\":\"c\",\"type\":\"search\",\"anonymous_id\":\"browser-1\"},"
                            "{\"id\":\"d\",\"type\":\"refund\",\"anonymous_id\":\"browser-1\"},"
                            "{\"id\":\"e\",\"type\":\"page_view\",\"anonymous_id\":\"short\"},"
                            "{\"id\":\"f\",\"type\":\"page_view\",\"anonymous_id\":\"browser-1\","
                            "\"time\":\"2025-11-20T00:00:00Z\"},"
                            "{\"id\":\"g\",\"type\":\"page_view\",\"anonymous_id\":\"browser-1\",\"quantity\":3},"
                            "{\"id\":\"h\",\"type\":\"search\",\"anonymous_id\":\"browser-1\",\"query\":\"lamp\","
                            "\"time\":\"2025-12-01T14:44:00Z\",\"properties\":{\"page\":\"2\"}},"
                            "\"not an object\""
                            "]}",
                            0, &b),
                     SOUK_OK);
    assert_int_equal(b.total, 9);
    assert_int_equal(b.count, 3);
    assert_int_equal(b.rejected, 6);
    static const char *const want[] = {"events[2].query", "events[3].type",     "events[4].anonymous_id",
                                       "events[5].time",  "events[6].quantity", "events[8]"};
    reject_fields(&b, want, 6);
    assert_int_equal(b.index[0], 0);
    assert_int_equal(b.index[1], 1);
    assert_int_equal(b.index[2], 7);
    assert_int_equal(b.events[0].at, NOW); /* no time: when received */
    assert_int_equal(b.events[1].type, SOUK_BEHAVIOUR_ADD_TO_CART);
    assert_int_equal(b.events[1].quantity, 1); /* the default on cart events */
    assert_int_equal(b.events[2].at, NOW + 4 * 60 * 1000000LL);
    assert_string_equal(b.events[2].query, "lamp");
    assert_string_equal(b.events[2].properties, "{\"page\":\"2\"}");
}

static void signed_in_callers_need_no_anonymous_id(void **state)
{
    fixture *f = *state;
    souk_behaviour_batch b;
    assert_int_equal(decode(f, "{\"events\":[{\"id\":\"a\",\"type\":\"checkout_started\"}]}", 7, &b), SOUK_OK);
    assert_int_equal(b.count, 1);
    assert_int_equal(b.events[0].user_id, 7);
    assert_int_equal(decode(f, "{\"events\":[{\"id\":\"a\",\"type\":\"checkout_started\"}]}", 0, &b), SOUK_OK);
    assert_int_equal(b.count, 0);
    static const char *const want[] = {"events[0].anonymous_id"};
    reject_fields(&b, want, 1);
}

static void refuses_batches_it_cannot_read(void **state)
{
    fixture *f = *state;
    souk_behaviour_batch b;
    assert_int_equal(decode(f, "{\"events\":", 0, &b), SOUK_E_MALFORMED_JSON);
    assert_int_equal(decode(f, "[]", 0, &b), SOUK_E_MALFORMED_JSON);
    assert_int_equal(decode(f, "{}", 0, &b), SOUK_E_VALIDATION);
    expect_field(&f->pr, "events");
    assert_int_equal(decode(f, "{\"events\":[],\"x\":1}", 0, &b), SOUK_E_VALIDATION);
    expect_field(&f->pr, "x");
    char *big = malloc(600 * 64 + 32);
    size_t n = (size_t)sprintf(big, "{\"events\":[");
    for (int i = 0; i < 501; i++)
        n += (size_t)sprintf(big + n, "%s{\"id\":\"e%d\",\"type\":\"page_view\"}", i ? "," : "", i);
    sprintf(big + n, "]}");
    assert_int_equal(decode(f, big, 1, &b), SOUK_E_VALIDATION);
    expect_field(&f->pr, "events");
    free(big);
}

/* the number of rows of SQL's count */
static int64_t count(fixture *f, const char *sql)
{
    int64_t n = -1;
    assert_int_equal(souk_store_one(f->db, sql, NULL, SOUK_COLS(SOUK_COL_I64(&n))), SOUK_DB_ROW);
    return n;
}

static void ingests_once_checks_products_and_links_visitors(void **state)
{
    fixture *f = *state;
    int64_t product_id;
    assert_int_equal(product(f, "Lamp", "lamp", SOUK_STATUS_ACTIVE, 0, 0, "LAMP-1", 1000, &product_id), SOUK_OK);
    char body[1024], pid[SOUK_ID_TEXT_MAX];
    souk_id_format("prod", product_id, pid);
    snprintf(
        body, sizeof body,
        "{\"events\":[{\"id\":\"v1\",\"type\":\"product_view\",\"anonymous_id\":\"browser-2\",\"product_id\":\"%s\"},"
        "{\"id\":\"v2\",\"type\":\"product_view\",\"anonymous_id\":\"browser-2\","
        "\"product_id\":\"prod_0000000000001\"},"
        "{\"id\":\"v3\",\"type\":\"page_view\",\"anonymous_id\":\"browser-2\"}]}",
        pid);
    souk_behaviour_batch b;
    souk_behaviour_result r;
    assert_int_equal(decode(f, body, 0, &b), SOUK_OK);
    assert_int_equal(souk_behaviour_ingest(f->db, &b, &f->a, &r), SOUK_OK);
    assert_int_equal(r.accepted, 2);
    assert_int_equal(r.duplicates, 0);
    static const char *const want[] = {"events[1].product_id"};
    reject_fields(&b, want, 1);
    assert_int_equal(b.rejected, 1);

    /* the same batch again: nothing new; signed in as user 9: linked */
    assert_int_equal(decode(f, body, 9, &b), SOUK_OK);
    assert_int_equal(souk_behaviour_ingest(f->db, &b, &f->a, &r), SOUK_OK);
    assert_int_equal(r.accepted, 0);
    assert_int_equal(r.duplicates, 2);
    assert_int_equal(count(f, "SELECT count(*) FROM behaviour_events WHERE user_id = 9"), 2);
    assert_int_equal(count(f, "SELECT count(*) FROM behaviour_visitors WHERE user_id = 9"), 1);

    /* erasure: no row names user 9, the events stay */
    assert_int_equal(souk_behaviour_erase_tx(f->db, 9, ""), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM behaviour_events WHERE user_id = 9"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM behaviour_visitors WHERE user_id = 9"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM behaviour_visitors WHERE anonymous_id = 'browser-2'"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM behaviour_events"), 2);
}

static void type_names_round_trip(void **state)
{
    (void)state;
    assert_string_equal(souk_behaviour_type_name(SOUK_BEHAVIOUR_REC_CLICK), "rec_click");
    assert_string_equal(souk_behaviour_type_name(SOUK_BEHAVIOUR_PURCHASE), "purchase");
    assert_null(souk_behaviour_type_name(0));
    assert_null(souk_behaviour_type_name(10));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_good_events_and_rejects_bad_ones_by_index),
        cmocka_unit_test(signed_in_callers_need_no_anonymous_id),
        cmocka_unit_test(refuses_batches_it_cannot_read),
        cmocka_unit_test(ingests_once_checks_products_and_links_visitors),
        cmocka_unit_test(type_names_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
