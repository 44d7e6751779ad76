/*
 * fraud.c — the fraud-risk score: additive points per rule, capped at 100.
 * The rules and their points are the table of docs/internals/fraud.md.
 */
#include "fraud/fraud.h"

#include <string.h>

#include "core/banned.h"

static void add(souk_fraud_result *r, const char *reason, int points)
{
    if (r->nreasons < SOUK_FRAUD_REASONS_MAX) {
        r->reasons[r->nreasons] = reason;
        r->points[r->nreasons++] = points;
    }
    r->score += points;
}

void souk_fraud_score(const souk_fraud_signals *s, souk_fraud_result *out)
{
    memset(out, 0, sizeof *out);
    /* velocity: the same card, e-mail or address again and again within a day */
    if (s->card_orders_24h >= 5)
        add(out, "card_velocity", 40);
    else if (s->card_orders_24h >= 2)
        add(out, "card_velocity", 25);
    if (s->email_orders_24h >= 3)
        add(out, "email_velocity", 15);
    if (s->address_orders_24h >= 5)
        add(out, "address_velocity", 30);
    else if (s->address_orders_24h >= 3)
        add(out, "address_velocity", 20);
    if (s->emails_per_address_24h >= 3)
        add(out, "many_emails_one_address", 40);
    if (s->cards_per_email_24h >= 3)
        add(out, "many_cards", 25);
    else if (s->cards_per_email_24h == 2)
        add(out, "many_cards", 10);
    /* declines before this attempt */
    if (s->declines_24h >= 4)
        add(out, "declines", 50);
    else if (s->declines_24h >= 2)
        add(out, "declines", 35);
    /* an account's first order with this card: their card, or someone else's */
    if (s->card_new_to_account && s->customer_orders > 0)
        add(out, "new_card", 15);
    /* the amount against the customer's own history */
    if (s->customer_orders >= 2 && s->customer_mean > 0) {
        if (s->amount > 10 * s->customer_mean)
            add(out, "amount_unusual", 40);
        else if (s->amount > 4 * s->customer_mean)
            add(out, "amount_unusual", 25);
    }
    /* shipping somewhere else than the card's country */
    if (s->ship_country[0] && s->bill_country[0] && strcmp(s->ship_country, s->bill_country) != 0)
        add(out, "country_mismatch", 20);
    /* a new account (or a guest) buying big */
    bool high = s->high_value > 0 && s->amount >= s->high_value;
    if (high && s->account_age_days >= 0 && s->account_age_days < 1)
        add(out, "new_account_high_value", 45);
    else if (high && s->account_age_days >= 0 && s->account_age_days < 7)
        add(out, "new_account_high_value", 20);
    else if (high && s->account_age_days < 0)
        add(out, "guest_high_value", 15);
    if (out->score > 100)
        out->score = 100;
}
