/*
 * fraud_check.c — the fraud-risk score of an order at checkout: the signals
 * of src/fraud gathered with one indexed lookup each (this context's own
 * orders over the last 24 hours; the account's age from the view identity
 * publishes, orders_account_ages), scored by souk_fraud_score, stored on
 * the order with its reasons, and the review hold of an order at or above
 * the threshold: fulfilment and shipping refused while it lasts, an admin
 * releases or cancels it (api_review.c). Design: docs/internals/fraud.md.
 */
#include "orders/internal.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "fraud/fraud.h"
#include "core/banned.h"

#define DAY_US (INT64_C(86400) * 1000000)
#define HIGH_SAMPLE 1000                     /* the newest paid orders the high value is taken from */
#define HIGH_MIN 20                          /* fewer paid orders: no "high value" yet */
#define HIGH_TTL_US (INT64_C(600) * 1000000) /* a currency's high value is recomputed after this */
#define HIGH_CACHE 16                        /* currencies remembered */

static _Atomic int threshold = SOUK_FRAUD_THRESHOLD_DEFAULT;

void souk_orders_set_fraud_threshold(int t)
{
    atomic_store(&threshold, t < 1 ? 1 : t > SOUK_ORDERS_FRAUD_OFF ? SOUK_ORDERS_FRAUD_OFF : t);
}

int souk_orders_fraud_threshold(void)
{
    return atomic_load(&threshold);
}

/* Hex BLAKE2b-128 of the N bytes at S into HEX. */
static void fingerprint(const char *s, size_t n, char hex[33])
{
    unsigned char h[16];
    crypto_generichash(h, sizeof h, (const unsigned char *)s, n, NULL, 0);
    sodium_bin2hex(hex, 33, h, sizeof h);
}

/* The shipping address (JSON) normalised — letters and digits of line1,
 * line2, postal code and country, lower case — and fingerprinted, so that
 * "1 Test St." and "1 test st" are one address. *COUNTRY gets its country. */
static void address_fingerprint(const char *address_json, char hex[33], char country[3])
{
    char norm[1024];
    size_t n = 0;
    country[0] = '\0';
    json_t *a = json_loads(address_json ? address_json : "{}", 0, NULL);
    static const char *const parts[] = {"line1", "line2", "postal_code", "country"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const char *s = json_string_value(json_object_get(a, parts[i]));
        for (; s && *s && n < sizeof norm - 1; s++)
            if (isalnum((unsigned char)*s))
                norm[n++] = (char)tolower((unsigned char)*s);
        if (n < sizeof norm - 1)
            norm[n++] = '|';
    }
    const char *c = json_string_value(json_object_get(a, "country"));
    if (c && strlen(c) == 2)
        memcpy(country, c, 3);
    json_decref(a);
    fingerprint(norm, n, hex);
}

/* ---- the store's high value: the 95th percentile of recent paid totals ---- */

static pthread_mutex_t high_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char currency[4];
    int64_t value, at;
} high_cache[HIGH_CACHE];

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The high value of CURRENCY into *OUT (0: fewer than HIGH_MIN paid orders
 * in it, the rule is off); cached for HIGH_TTL_US once there are enough. */
static souk_err high_value(souk_store *db, const char *currency, int64_t now, int64_t *out)
{
    pthread_mutex_lock(&high_mu);
    for (int i = 0; i < HIGH_CACHE; i++)
        if (strcmp(high_cache[i].currency, currency) == 0 && now - high_cache[i].at < HIGH_TTL_US) {
            *out = high_cache[i].value;
            pthread_mutex_unlock(&high_mu);
            return SOUK_OK;
        }
    pthread_mutex_unlock(&high_mu);
    int64_t *v = malloc(HIGH_SAMPLE * sizeof *v), t;
    if (!v)
        return SOUK_E_INTERNAL;
    size_t n = 0;
    souk_stmt *st = souk_store_query(db,
                                     "SELECT total FROM orders WHERE currency = $1 AND paid_at IS NOT NULL "
                                     "ORDER BY id DESC LIMIT $2",
                                     SOUK_ARGS(SOUK_TEXT(currency), SOUK_I64(HIGH_SAMPLE)));
    int r;
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&t)))) == SOUK_DB_ROW)
        if (n < HIGH_SAMPLE)
            v[n++] = t;
    if (r < 0) {
        free(v);
        return souk_store_dberr(r);
    }
    *out = 0;
    if (n >= HIGH_MIN) {
        qsort(v, n, sizeof *v, cmp_i64);
        *out = v[(size_t)(0.95 * (double)(n - 1))];
        pthread_mutex_lock(&high_mu);
        int slot = 0;
        for (int i = 0; i < HIGH_CACHE; i++)
            if (strcmp(high_cache[i].currency, currency) == 0 || high_cache[i].at < high_cache[slot].at) {
                slot = i;
                if (strcmp(high_cache[i].currency, currency) == 0)
                    break;
            }
        snprintf(high_cache[slot].currency, sizeof high_cache[slot].currency, "%s", currency);
        high_cache[slot].value = *out;
        high_cache[slot].at = now;
        pthread_mutex_unlock(&high_mu);
    }
    free(v);
    return SOUK_OK;
}

/* ---- the signals ---- */

/* An order of the window that counts as an order: not a declined or failed
 * attempt, nor one replaced before it was paid; never the order scored ($1
 * in every query below). */
#define COUNTED "(state <> 'cancelled' OR paid_at IS NOT NULL) AND id <> $1"
/* Counts stop at this many rows: the rules saturate at 5, and a card, an
 * e-mail or an address with thousands of orders a day (a load test, an
 * attack) must not make every checkout scan them. */
#define CAP "10"
/* Distinct cards of an e-mail, e-mails of an address: among their newest this many orders of the day. */
#define SAMPLE "50"
#define SAMPLE_N 50

static souk_err count(souk_store *db, const char *sql, const souk_param *args, int *out)
{
    int64_t n = 0;
    int r = souk_store_one(db, sql, args, SOUK_COLS(SOUK_COL_I64(&n)));
    if (r < 0)
        return souk_store_dberr(r);
    *out = n > 1000000 ? 1000000 : (int)n;
    return SOUK_OK;
}

/* How many distinct texts the rows of SQL (one text column, at most
 * SAMPLE rows) and MINE (NULL: none) make together, into *OUT. */
static souk_err distinct(souk_store *db, const char *sql, const souk_param *args, const char *mine, int *out)
{
    char seen[SAMPLE_N + 1][256], v[256];
    int n = 0, r;
    souk_stmt *st = souk_store_query(db, sql, args);
    while ((r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_STR(v)))) == SOUK_DB_ROW) {
        int i = 0;
        while (i < n && strcmp(seen[i], v) != 0)
            i++;
        if (i == n && n < SAMPLE_N)
            memcpy(seen[n++], v, sizeof v);
    }
    if (r < 0)
        return souk_store_dberr(r);
    int i = 0;
    while (mine && i < n && strcmp(seen[i], mine) != 0)
        i++;
    *out = n + (mine && i == n ? 1 : 0);
    return SOUK_OK;
}

static souk_err gather(souk_store *db, const souk__fraud_in *in, const char *card, const char *addr,
                       souk_fraud_signals *s)
{
    int64_t since = in->now - DAY_US;
    memset(s, 0, sizeof *s);
    s->amount = in->amount;
    s->account_age_days = -1;
    souk_err e = SOUK_OK;
    if (card)
        e = count(db,
                  "SELECT count(*) FROM (SELECT 1 FROM orders WHERE card_fp = $2 AND created_at >= $3 AND " COUNTED
                  " LIMIT " CAP ") w",
                  SOUK_ARGS(SOUK_I64(in->order), SOUK_TEXT(card), SOUK_I64(since)), &s->card_orders_24h);
    if (!e)
        e = count(db,
                  "SELECT count(*) FROM (SELECT 1 FROM orders WHERE email = $2 AND created_at >= $3 AND " COUNTED
                  " LIMIT " CAP ") w",
                  SOUK_ARGS(SOUK_I64(in->order), SOUK_TEXT(in->email), SOUK_I64(since)), &s->email_orders_24h);
    if (!e)
        e = count(db,
                  "SELECT count(*) FROM (SELECT 1 FROM orders WHERE address_fp = $2 AND created_at >= $3 AND " COUNTED
                  " LIMIT " CAP ") w",
                  SOUK_ARGS(SOUK_I64(in->order), SOUK_TEXT(addr), SOUK_I64(since)), &s->address_orders_24h);
    /* distinct cards of the e-mail and e-mails of the address, this order's included, among
     * their newest SAMPLE orders of the day */
    if (!e)
        e = distinct(
            db,
            "SELECT card_fp FROM orders WHERE email = $2 AND created_at >= $3 AND card_fp IS NOT NULL AND " COUNTED
            " ORDER BY created_at DESC LIMIT " SAMPLE,
            SOUK_ARGS(SOUK_I64(in->order), SOUK_TEXT(in->email), SOUK_I64(since)), card, &s->cards_per_email_24h);
    if (!e)
        e = distinct(db,
                     "SELECT email FROM orders WHERE address_fp = $2 AND created_at >= $3 AND " COUNTED
                     " ORDER BY created_at DESC LIMIT " SAMPLE,
                     SOUK_ARGS(SOUK_I64(in->order), SOUK_TEXT(addr), SOUK_I64(since)), in->email,
                     &s->emails_per_address_24h);
    /* declined attempts of the card or of the e-mail: the larger count */
    int dc = 0, de = 0;
    if (!e && card)
        e = count(db,
                  "SELECT count(*) FROM (SELECT 1 FROM orders WHERE card_fp = $2 AND created_at >= $3 AND "
                  "payment_status = 'declined' AND id <> $1 LIMIT " CAP ") w",
                  SOUK_ARGS(SOUK_I64(in->order), SOUK_TEXT(card), SOUK_I64(since)), &dc);
    if (!e)
        e = count(db,
                  "SELECT count(*) FROM (SELECT 1 FROM orders WHERE email = $2 AND created_at >= $3 AND "
                  "payment_status = 'declined' AND id <> $1 LIMIT " CAP ") w",
                  SOUK_ARGS(SOUK_I64(in->order), SOUK_TEXT(in->email), SOUK_I64(since)), &de);
    s->declines_24h = dc > de ? dc : de;
    if (!e && in->user) {
        int64_t n = 0, sum = 0, created = 0, known = 0;
        int r = souk_store_one(db,
                               "SELECT count(*), coalesce(sum(total), 0), coalesce(sum(CASE WHEN card_fp = $3 "
                               "THEN 1 ELSE 0 END), 0) FROM orders WHERE user_id = $2 AND paid_at IS NOT NULL "
                               "AND id <> $1",
                               SOUK_ARGS(SOUK_I64(in->order), SOUK_I64(in->user), SOUK_TEXT(card ? card : "")),
                               SOUK_COLS(SOUK_COL_I64(&n), SOUK_COL_I64(&sum), SOUK_COL_I64(&known)));
        if (r < 0)
            return souk_store_dberr(r);
        s->customer_orders = n > 1000000 ? 1000000 : (int)n;
        s->customer_mean = n ? sum / n : 0;
        s->card_new_to_account = card && known == 0;
        r = souk_store_one(db, "SELECT created_at FROM orders_account_ages WHERE user_id = $1",
                           SOUK_ARGS(SOUK_I64(in->user)), SOUK_COLS(SOUK_COL_I64(&created)));
        if (r < 0)
            return souk_store_dberr(r);
        s->account_age_days = r == SOUK_DB_ROW && in->now > created ? (double)(in->now - created) / (double)DAY_US : 0;
    }
    if (!e)
        e = high_value(db, in->currency, in->now, &s->high_value);
    return e;
}

souk_err souk__order_fraud_tx(souk_store *db, const souk__fraud_in *in, bool *held)
{
    char card[33] = "", addr[33], ship[3];
    const char *cardp = NULL;
    if (in->payment_method && *in->payment_method) {
        fingerprint(in->payment_method, strlen(in->payment_method), card);
        cardp = card;
    }
    address_fingerprint(in->address_json, addr, ship);
    souk_fraud_signals s;
    souk_err e = gather(db, in, cardp, addr, &s);
    if (e)
        return e;
    memcpy(s.ship_country, ship, 3);
    if (in->bill_country && strlen(in->bill_country) == 2)
        memcpy(s.bill_country, in->bill_country, 3);
    souk_fraud_result r;
    souk_fraud_score(&s, &r);
    json_t *reasons = json_array();
    for (int i = 0; i < r.nreasons; i++)
        json_array_append_new(reasons, json_pack("{s:s,s:i}", "reason", r.reasons[i], "points", r.points[i]));
    char *text = json_dumps(reasons, JSON_COMPACT);
    json_decref(reasons);
    if (!text)
        return SOUK_E_INTERNAL;
    *held = r.score >= souk_orders_fraud_threshold();
    int rc = souk_store_exec(db,
                             "UPDATE orders SET card_fp = $2, address_fp = $3, bill_country = $4, fraud_score = $5, "
                             "fraud_reasons = $6, fraud_hold = $7 WHERE id = $1",
                             SOUK_ARGS(SOUK_I64(in->order), SOUK_TEXT(cardp), SOUK_TEXT(addr),
                                       SOUK_TEXT(s.bill_country[0] ? s.bill_country : NULL), SOUK_I64(r.score),
                                       SOUK_TEXT(text), SOUK_TEXT(*held ? "held" : NULL)));
    free(text);
    return souk_store_dberr(rc);
}

souk_err souk__order_hold_check_tx(souk_store *db, int64_t order, souk_problems *pr, souk_arena *a)
{
    char hold[16] = "";
    int r = souk_store_one(db, "SELECT coalesce(fraud_hold, '') FROM orders WHERE id = $1", SOUK_ARGS(SOUK_I64(order)),
                           SOUK_COLS(SOUK_COL_STR(hold)));
    if (r < 0)
        return souk_store_dberr(r);
    if (strcmp(hold, "held") != 0)
        return SOUK_OK;
    souk_problems_add(pr, a, "fraud_hold",
                      "the order is held for fraud review: an admin releases it (POST /api/v1/orders/{id}/review) "
                      "before it is fulfilled or shipped");
    return SOUK_E_INVALID_STATE;
}

souk_err souk__order_fraud_json(souk_store *db, int64_t id, json_t **out)
{
    int64_t score = 0;
    bool null_score = true, null_hold = true;
    char hold[16] = "";
    char *reasons = NULL;
    *out = NULL;
    int r = souk_store_one(db, "SELECT fraud_score, fraud_reasons, fraud_hold FROM orders WHERE id = $1",
                           SOUK_ARGS(SOUK_I64(id)),
                           SOUK_COLS(SOUK_COL_NULLABLE(SOUK_COL_I64(&score), &null_score), SOUK_COL_DUP(&reasons),
                                     SOUK_COL_NULLABLE(SOUK_COL_STR(hold), &null_hold)));
    if (r != SOUK_DB_ROW) {
        free(reasons);
        return r == SOUK_DB_DONE ? SOUK_OK : souk_store_dberr(r);
    }
    if (null_score) {
        free(reasons);
        return SOUK_OK;
    }
    json_t *rs = reasons ? json_loads(reasons, 0, NULL) : NULL;
    free(reasons);
    *out = json_pack("{s:I,s:o,s:o,s:i}", "score", (json_int_t)score, "reasons", rs ? rs : json_array(), "hold",
                     null_hold ? json_null() : json_string(hold), "threshold", souk_orders_fraud_threshold());
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}
