/*
 * Unit tests for the fraud-risk score as checkout gathers it
 * (src/orders/fraud_check.c) on a real database: each signal read from
 * crafted earlier orders — the card's, the e-mail's and the address's
 * velocity over 24 hours only, declined attempts, the customer's history,
 * the account's age through identity's view, the store's high value — fires
 * its rule, an ordinary order of a regular customer fires none, the score
 * and reasons are stored on the order, and the hold follows the threshold.
 */
#include "orders_fixture.h"

#include "fraud/fraud.h"

#define HOUR_US (INT64_C(3600) * 1000000)
#define DAY_US (24 * HOUR_US)

static const char *const ADDR =
    "{\"city\":\"Leeds\",\"country\":\"GB\",\"line1\":\"1 Mill Lane\",\"postal_code\":\"LS1 1AA\"}";

/* An account created AGE_US before now. */
static int64_t account(fixture *f, const char *email, int64_t age_us)
{
    int64_t id = souk_id_next(), t = souk_time_now_us() - age_us;
    exec(f->db,
         "INSERT INTO users (id, email, role, created_at, updated_at, password_changed_at) "
         "VALUES ($1, $2, 'customer', $3, $3, $3)",
         SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(email), SOUK_I64(t)));
    return id;
}

typedef struct scored {
    souk__fraud_in in;
    bool held;
} scored;

static souk_err score_body(souk_store *db, void *arg)
{
    scored *s = arg;
    return souk__order_fraud_tx(db, &s->in, &s->held);
}

/* An order placed AGO_US before now (row written as place.c would, then
 * scored by souk__order_fraud_tx), paid unless STATUS says "declined".
 * Returns its id; *HELD (optional) whether it was held. */
static int64_t order(fixture *f, int64_t user, const char *email, const char *card, const char *addr, const char *bill,
                     const char *currency, int64_t total, int64_t ago_us, const char *status, bool *held)
{
    int64_t id = souk_id_next(), t = souk_time_now_us() - ago_us;
    bool declined = status && strcmp(status, "declined") == 0;
    exec(f->db,
         "INSERT INTO orders (id, user_id, email, state, payment_status, currency, subtotal, discount, shipping, tax, "
         "total, shipping_address, gateway, payment_due_at, created_at, updated_at, paid_at) VALUES ($1, $2, $3, $4, "
         "$5, $6, $7, 0, 0, 0, $7, $8, 'test', $9, $9, $9, $10)",
         SOUK_ARGS(SOUK_I64(id), SOUK_REF(user), SOUK_TEXT(email), SOUK_TEXT(declined ? "cancelled" : "paid"),
                   SOUK_TEXT(declined ? "declined" : "succeeded"), SOUK_TEXT(currency), SOUK_I64(total),
                   SOUK_TEXT(addr), SOUK_I64(t), SOUK_REF(declined ? 0 : t)));
    scored s = {{id, user, email, addr, currency, card, bill, total, t}, false};
    assert_int_equal(souk_store_run(f->db, score_body, &s, NULL), SOUK_OK);
    if (held)
        *held = s.held;
    return id;
}

static int64_t score_of(fixture *f, int64_t id)
{
    return q1(f->db, "SELECT fraud_score FROM orders WHERE id = $1", id);
}

/* The points REASON added to order ID (0: it did not fire). */
static int64_t points(fixture *f, int64_t id, const char *reason)
{
    json_t *j = json_loads(qt(f, "SELECT fraud_reasons FROM orders WHERE id = $1", id), 0, NULL), *r;
    assert_non_null(j);
    size_t i;
    int64_t p = 0;
    json_array_foreach(j, i, r) if (strcmp(json_string_value(json_object_get(r, "reason")), reason) == 0) p =
        json_integer_value(json_object_get(r, "points"));
    json_decref(j);
    return p;
}

static void regular_customer_is_not_held(void **state)
{
    fixture *f = *state;
    int64_t u = account(f, "regular@example.com", 400 * DAY_US);
    for (int i = 0; i < 3; i++) /* a month apart */
        order(f, u, "regular@example.com", "4242", ADDR, "GB", "USD", 4000, (int64_t)(i + 1) * 30 * DAY_US, NULL, NULL);
    bool held = true;
    int64_t o = order(f, u, "regular@example.com", "4242", ADDR, "GB", "USD", 4200, 0, NULL, &held);
    assert_int_equal(score_of(f, o), 0);
    assert_string_equal(qt(f, "SELECT fraud_reasons FROM orders WHERE id = $1", o), "[]");
    assert_false(held);
    assert_string_equal(qt(f, "SELECT coalesce(fraud_hold, 'none') FROM orders WHERE id = $1", o), "none");
    assert_int_equal(souk__order_hold_check_tx(f->db, o, &f->pr, &f->a), SOUK_OK);
}

static void declines_and_country_mismatch_hold(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 2; i++)
        order(f, 0, "tester@example.com", "4000000000000002", ADDR, NULL, "USD", 1500, HOUR_US, "declined", NULL);
    bool held = false;
    int64_t o = order(f, 0, "tester@example.com", "4242", ADDR, "US", "USD", 1500, 0, NULL, &held);
    assert_int_equal(points(f, o, "declines"), 35);
    assert_int_equal(points(f, o, "country_mismatch"), 20);
    assert_int_equal(points(f, o, "email_velocity"), 0); /* declined attempts are not orders */
    assert_int_equal(score_of(f, o), 55);
    assert_true(held);
    assert_string_equal(qt(f, "SELECT fraud_hold FROM orders WHERE id = $1", o), "held");
    souk_problems_init(&f->pr);
    assert_int_equal(souk__order_hold_check_tx(f->db, o, &f->pr, &f->a), SOUK_E_INVALID_STATE);
    assert_int_equal(f->pr.count, 1);
    assert_string_equal(f->pr.items[0].field, "fraud_hold");
    /* the staff view of it */
    json_t *j = NULL;
    assert_int_equal(souk__order_fraud_json(f->db, o, &j), SOUK_OK);
    assert_int_equal(json_integer_value(json_object_get(j, "score")), 55);
    assert_string_equal(json_string_value(json_object_get(j, "hold")), "held");
    assert_int_equal(json_array_size(json_object_get(j, "reasons")), 2);
    json_decref(j);
}

static void velocity_counts_the_last_day_only(void **state)
{
    fixture *f = *state;
    char email[64];
    for (int i = 0; i < 5; i++) { /* five orders of one card from five e-mails, older than a day */
        snprintf(email, sizeof email, "old%d@example.com", i);
        order(f, 0, email, "5555", ADDR, NULL, "USD", 2000, 25 * HOUR_US + i, NULL, NULL);
    }
    int64_t o = order(f, 0, "fresh@example.com", "5555", "{\"country\":\"GB\",\"line1\":\"9 Elsewhere\"}", NULL, "USD",
                      2000, 0, NULL, NULL);
    assert_int_equal(score_of(f, o), 0);
    for (int i = 0; i < 5; i++) { /* and five within it */
        snprintf(email, sizeof email, "new%d@example.com", i);
        order(f, 0, email, "5555", "{\"country\":\"GB\",\"line1\":\"9 Elsewhere\"}", NULL, "USD", 2000, HOUR_US + i,
              NULL, NULL);
    }
    o = order(f, 0, "fresh@example.com", "5555", "{\"country\":\"GB\",\"line1\":\"9 Elsewhere\"}", NULL, "USD", 2000, 0,
              NULL, NULL);
    assert_int_equal(points(f, o, "card_velocity"), 40);           /* 6 of the card in a day */
    assert_int_equal(points(f, o, "address_velocity"), 30);        /* 6 to the address */
    assert_int_equal(points(f, o, "many_emails_one_address"), 40); /* 6 e-mails to it */
    assert_int_equal(points(f, o, "email_velocity"), 0);           /* the e-mail's first within the day */
    assert_int_equal(score_of(f, o), 100);                         /* capped */
}

static void addresses_are_normalised_and_cards_counted_per_email(void **state)
{
    fixture *f = *state;
    order(f, 0, "a@example.com", "1111", "{\"country\":\"GB\",\"line1\":\"7 Drop St.\",\"postal_code\":\"E1 6AN\"}",
          NULL, "USD", 3000, HOUR_US, NULL, NULL);
    order(f, 0, "b@example.com", "2222", "{\"country\":\"GB\",\"line1\":\"7 drop st\",\"postal_code\":\"e16an\"}", NULL,
          "USD", 3000, HOUR_US, NULL, NULL);
    int64_t o =
        order(f, 0, "c@example.com", "3333", "{\"country\":\"GB\",\"line1\":\"7 DROP  ST\",\"postal_code\":\"E1-6AN\"}",
              NULL, "USD", 3000, 0, NULL, NULL);
    assert_int_equal(points(f, o, "many_emails_one_address"), 40);
    /* one e-mail, three cards in a day */
    order(f, 0, "multi@example.com", "7001", ADDR, NULL, "USD", 1000, 3 * HOUR_US, NULL, NULL);
    order(f, 0, "multi@example.com", "7002", ADDR, NULL, "USD", 1000, 2 * HOUR_US, NULL, NULL);
    o = order(f, 0, "multi@example.com", "7003", "{\"country\":\"GB\",\"line1\":\"other\"}", NULL, "USD", 1000, 0, NULL,
              NULL);
    assert_int_equal(points(f, o, "many_cards"), 25);
    assert_int_equal(points(f, o, "card_velocity"), 0);
}

static void history_account_age_and_high_value(void **state)
{
    fixture *f = *state;
    /* a customer of two 40.00 orders: a new card and 500.00 */
    int64_t u = account(f, "known@example.com", 300 * DAY_US);
    order(f, u, "known@example.com", "8001", ADDR, NULL, "USD", 4000, 60 * DAY_US, NULL, NULL);
    order(f, u, "known@example.com", "8001", ADDR, NULL, "USD", 4000, 30 * DAY_US, NULL, NULL);
    int64_t o = order(f, u, "known@example.com", "8999", ADDR, NULL, "USD", 50000, 0, NULL, NULL);
    assert_int_equal(points(f, o, "amount_unusual"), 40);
    assert_int_equal(points(f, o, "new_card"), 15);
    /* the store's high value: 95th percentile of the paid EUR orders (fewer than 20: none yet) */
    int64_t fresh = account(f, "fresh@example.com", 2 * HOUR_US);
    o = order(f, fresh, "fresh@example.com", "8100", ADDR, NULL, "EUR", 90000, 0, NULL, NULL);
    assert_int_equal(points(f, o, "new_account_high_value"), 0);
    char email[64];
    for (int i = 0; i < 40; i++) {
        snprintf(email, sizeof email, "eur%d@example.com", i);
        order(f, 0, email, NULL, "{\"country\":\"FR\"}", NULL, "EUR", 1000 + 100 * i, 40 * DAY_US, NULL, NULL);
    }
    int64_t fresh2 = account(f, "fresh2@example.com", 2 * HOUR_US);
    o = order(f, fresh2, "fresh2@example.com", "8200", "{\"country\":\"GB\",\"line1\":\"2\"}", NULL, "EUR", 90000, 0,
              NULL, NULL);
    assert_int_equal(points(f, o, "new_account_high_value"), 45); /* created 2 h ago */
    int64_t week = account(f, "week@example.com", 3 * DAY_US);
    o = order(f, week, "week@example.com", "8300", "{\"country\":\"GB\",\"line1\":\"3\"}", NULL, "EUR", 90000, 0, NULL,
              NULL);
    assert_int_equal(points(f, o, "new_account_high_value"), 20);
    o = order(f, 0, "guest@example.com", "8400", "{\"country\":\"GB\",\"line1\":\"4\"}", NULL, "EUR", 90000, 0, NULL,
              NULL);
    assert_int_equal(points(f, o, "guest_high_value"), 15);
    o = order(f, 0, "guest2@example.com", "8500", "{\"country\":\"GB\",\"line1\":\"5\"}", NULL, "EUR", 2000, 0, NULL,
              NULL);
    assert_int_equal(score_of(f, o), 0); /* under the high value */
}

static void the_threshold_decides_the_hold(void **state)
{
    fixture *f = *state;
    bool held = true;
    souk_orders_set_fraud_threshold(SOUK_ORDERS_FRAUD_OFF);
    for (int i = 0; i < 2; i++)
        order(f, 0, "t@example.com", "9000", ADDR, NULL, "USD", 1500, HOUR_US, "declined", NULL);
    int64_t o = order(f, 0, "t@example.com", "9001", ADDR, "US", "USD", 1500, 0, NULL, &held);
    assert_int_equal(score_of(f, o), 55);
    assert_false(held);                  /* off: scored, never held */
    souk_orders_set_fraud_threshold(66); /* 35 + 20 + a second card of the e-mail: 65 */
    order(f, 0, "t@example.com", "9002", ADDR, "US", "USD", 1500, 0, NULL, &held);
    assert_false(held);
    souk_orders_set_fraud_threshold(30);
    o = order(f, 0, "t2@example.com", "9003", "{\"country\":\"GB\",\"line1\":\"t2\"}", "FR", "USD", 1500, 0, NULL,
              &held);
    assert_int_equal(score_of(f, o), 20);
    assert_false(held);
    souk_orders_set_fraud_threshold(20);
    order(f, 0, "t3@example.com", "9004", "{\"country\":\"GB\",\"line1\":\"t3\"}", "FR", "USD", 1500, 0, NULL, &held);
    assert_true(held); /* at the threshold */
    souk_orders_set_fraud_threshold(0);
    assert_int_equal(souk_orders_fraud_threshold(), 1); /* clamped */
    souk_orders_set_fraud_threshold(SOUK_FRAUD_THRESHOLD_DEFAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(regular_customer_is_not_held, setup, teardown),
        cmocka_unit_test_setup_teardown(declines_and_country_mismatch_hold, setup, teardown),
        cmocka_unit_test_setup_teardown(velocity_counts_the_last_day_only, setup, teardown),
        cmocka_unit_test_setup_teardown(addresses_are_normalised_and_cards_counted_per_email, setup, teardown),
        cmocka_unit_test_setup_teardown(history_account_age_and_high_value, setup, teardown),
        cmocka_unit_test_setup_teardown(the_threshold_decides_the_hold, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
