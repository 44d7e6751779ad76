/* The fraud-risk score (src/fraud): each rule fires on an order crafted to
 * trip it and not on an ordinary one; points add up and are capped; the
 * synthetic stream is deterministic, labelled in the share asked, and the
 * score separates its fraud from its legitimate orders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fraud/fraud.h"

/* An ordinary order: a known customer, their card, their country, their usual amount. */
static souk_fraud_signals normal(void)
{
    souk_fraud_signals s = {.card_orders_24h = 0,
                            .email_orders_24h = 0,
                            .address_orders_24h = 0,
                            .cards_per_email_24h = 1,
                            .emails_per_address_24h = 1,
                            .declines_24h = 0,
                            .card_new_to_account = false,
                            .amount = 4200,
                            .customer_orders = 6,
                            .customer_mean = 4000,
                            .account_age_days = 400,
                            .high_value = 20000};
    memcpy(s.ship_country, "GB", 3);
    memcpy(s.bill_country, "GB", 3);
    return s;
}

static bool has(const souk_fraud_result *r, const char *reason, int points)
{
    for (int i = 0; i < r->nreasons; i++)
        if (strcmp(r->reasons[i], reason) == 0)
            return r->points[i] == points;
    return false;
}

static void rules_fire_on_crafted_orders_only(void **state)
{
    (void)state;
    souk_fraud_result r;
    souk_fraud_signals s = normal();
    souk_fraud_score(&s, &r);
    assert_int_equal(r.score, 0);
    assert_int_equal(r.nreasons, 0);
    /* one signal at a time */
    s = normal(), s.card_orders_24h = 2, souk_fraud_score(&s, &r), assert_true(has(&r, "card_velocity", 25));
    s = normal(), s.card_orders_24h = 5, souk_fraud_score(&s, &r), assert_true(has(&r, "card_velocity", 40));
    s = normal(), s.email_orders_24h = 3, souk_fraud_score(&s, &r), assert_true(has(&r, "email_velocity", 15));
    s = normal(), s.address_orders_24h = 3, souk_fraud_score(&s, &r), assert_true(has(&r, "address_velocity", 20));
    s = normal(), s.emails_per_address_24h = 3, souk_fraud_score(&s, &r);
    assert_true(has(&r, "many_emails_one_address", 40));
    s = normal(), s.cards_per_email_24h = 3, souk_fraud_score(&s, &r), assert_true(has(&r, "many_cards", 25));
    s = normal(), s.declines_24h = 2, souk_fraud_score(&s, &r), assert_true(has(&r, "declines", 35));
    s = normal(), s.declines_24h = 4, souk_fraud_score(&s, &r), assert_true(has(&r, "declines", 50));
    s = normal(), s.card_new_to_account = true, souk_fraud_score(&s, &r), assert_true(has(&r, "new_card", 15));
    s = normal(), s.amount = 20000, souk_fraud_score(&s, &r), assert_true(has(&r, "amount_unusual", 25));
    s = normal(), s.amount = 50000, souk_fraud_score(&s, &r), assert_true(has(&r, "amount_unusual", 40));
    s = normal(), memcpy(s.ship_country, "FR", 3), souk_fraud_score(&s, &r);
    assert_true(has(&r, "country_mismatch", 20));
    assert_int_equal(r.score, 20);
    s = normal(), s.account_age_days = 0.2, s.customer_orders = 0, s.amount = 30000, souk_fraud_score(&s, &r);
    assert_true(has(&r, "new_account_high_value", 45));
    s = normal(), s.account_age_days = -1, s.customer_orders = 0, s.amount = 30000, souk_fraud_score(&s, &r);
    assert_true(has(&r, "guest_high_value", 15));
    /* the look-alikes stay under the default threshold alone */
    s = normal(), s.amount = 50000, souk_fraud_score(&s, &r); /* a big day */
    assert_true(r.score < SOUK_FRAUD_THRESHOLD_DEFAULT);
    s = normal(), memcpy(s.ship_country, "US", 3), s.card_new_to_account = true, souk_fraud_score(&s, &r);
    assert_true(r.score < SOUK_FRAUD_THRESHOLD_DEFAULT); /* a traveller with a new card */
    /* unknown countries are no mismatch; one-order customers have no history to compare with */
    s = normal(), s.ship_country[0] = '\0', souk_fraud_score(&s, &r), assert_int_equal(r.score, 0);
    s = normal(), s.customer_orders = 1, s.amount = 90000, s.high_value = 0, souk_fraud_score(&s, &r);
    assert_int_equal(r.score, 0);
    /* the planted patterns reach it; points add up, capped at 100 */
    s = normal(), s.declines_24h = 4, s.card_orders_24h = 5, s.cards_per_email_24h = 3, souk_fraud_score(&s, &r);
    assert_int_equal(r.score, 100);
    assert_int_equal(r.nreasons, 3);
    s = normal(), s.amount = 50000, memcpy(s.ship_country, "DE", 3), s.card_new_to_account = true,
    souk_fraud_score(&s, &r);
    assert_int_equal(r.score, 75); /* a stolen card on an account: 40 + 20 + 15 */
    assert_true(r.score >= SOUK_FRAUD_THRESHOLD_DEFAULT);
}

/* The orders the HTTP tests and the checkout wiring craft (tests/api/fraud.test.js,
 * test_orders_fraud.c), as signals: what they must score. */
static void checkout_signatures(void **state)
{
    (void)state;
    souk_fraud_result r;
    /* a first-time guest: no history, nothing known about them, nothing fires */
    souk_fraud_signals s = {
        .cards_per_email_24h = 1, .emails_per_address_24h = 1, .amount = 2500, .account_age_days = -1, .high_value = 0};
    memcpy(s.ship_country, "GB", 3);
    souk_fraud_score(&s, &r);
    assert_int_equal(r.score, 0);
    /* two declined attempts of the e-mail, then a card billed in the US shipped to GB */
    s.declines_24h = 2;
    memcpy(s.bill_country, "US", 3);
    souk_fraud_score(&s, &r);
    assert_int_equal(r.score, 55);
    assert_true(has(&r, "declines", 35) && has(&r, "country_mismatch", 20));
    assert_string_equal(r.reasons[0], "declines"); /* in the table's order */
    /* the third e-mail shipping to one drop address, on a card used twice that day */
    s = (souk_fraud_signals){.card_orders_24h = 2,
                             .address_orders_24h = 2,
                             .cards_per_email_24h = 1,
                             .emails_per_address_24h = 3,
                             .amount = 2500,
                             .account_age_days = -1};
    souk_fraud_score(&s, &r);
    assert_int_equal(r.score, 65);
    assert_true(has(&r, "many_emails_one_address", 40) && has(&r, "card_velocity", 25));
    assert_false(has(&r, "address_velocity", 20)); /* two earlier orders to it: not yet velocity */
    /* a new account's high-value first order: alone it stays under the threshold */
    s = (souk_fraud_signals){.cards_per_email_24h = 1,
                             .emails_per_address_24h = 1,
                             .amount = 90000,
                             .account_age_days = 0.1,
                             .high_value = 3000};
    souk_fraud_score(&s, &r);
    assert_int_equal(r.score, 45);
    assert_true(r.score < SOUK_FRAUD_THRESHOLD_DEFAULT);
}

static void synthetic_set_is_labelled_and_separable(void **state)
{
    (void)state;
    souk_fraud_case *a, *b;
    assert_int_equal(souk_fraud_synthetic(7, 20000, 0.05, &a), 0);
    assert_int_equal(souk_fraud_synthetic(7, 20000, 0.05, &b), 0);
    assert_memory_equal(a, b, 20000 * sizeof *a); /* the same seed, the same set */
    free(b);
    size_t fraud = 0, tp = 0, held = 0, kinds[SOUK_FRAUD_KINDS] = {0};
    double sum_fraud = 0, sum_legit = 0;
    for (size_t i = 0; i < 20000; i++) {
        souk_fraud_result r;
        souk_fraud_score(&a[i].s, &r);
        bool bad = a[i].kind != SOUK_FRAUD_NORMAL;
        kinds[a[i].kind]++;
        fraud += bad;
        held += r.score >= SOUK_FRAUD_THRESHOLD_DEFAULT;
        tp += bad && r.score >= SOUK_FRAUD_THRESHOLD_DEFAULT;
        *(bad ? &sum_fraud : &sum_legit) += r.score;
    }
    assert_int_equal(fraud, 1000);
    for (int k = 1; k < SOUK_FRAUD_KINDS; k++)
        assert_true(kinds[k] > 50); /* every pattern planted */
    assert_true(sum_fraud / (double)fraud > 3 * sum_legit / (double)(20000 - fraud));
    assert_true((double)tp / (double)held > 0.6);  /* precision */
    assert_true((double)tp / (double)fraud > 0.4); /* recall */
    assert_int_equal(souk_fraud_synthetic(7, 0, 0.05, &b), -1);
    assert_int_equal(souk_fraud_synthetic(7, 100, 0.9, &b), -1);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rules_fire_on_crafted_orders_only),
        cmocka_unit_test(checkout_signatures),
        cmocka_unit_test(synthetic_set_is_labelled_and_separable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
