/*
 * test_campaigns.c — campaigns' rules: the unsubscribe token (canonical,
 * keyed, per campaign and user), audience definitions (bounds, unknown
 * keys, the JSON round trip), the selection of an audience from analytics
 * facts (exactly the customers of the report's segment or the filter's
 * bounds), the cart engine's audience condition (a member gets the
 * promotion, a non-member is not told of it, a non-member's code is refused
 * with its reason), and on a real SQLite database the send (consent read at
 * send time, opt-out, inactive accounts, a replayed send mails nobody
 * twice), the stored member sets (only active accounts) and erasure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"
#include "campaigns/campaigns.h"
#include "cart/promo.h"
#include "core/id.h"
#include "core/time.h"

static const unsigned char KEY[32] = {9, 8, 7, 6, 5, 4, 3, 2, 1};

static void test_token(void **state)
{
    (void)state;
    char t[SOUK_CAMPAIGNS_UNSUB_MAX], u[SOUK_CAMPAIGNS_UNSUB_MAX];
    souk_campaigns_token_sign(KEY, 229000657686084915, 1234567890123, t);
    int64_t c = 0, who = 0;
    assert_int_equal(souk_campaigns_token_verify(KEY, t, &c, &who), 1);
    assert_int_equal(c, 229000657686084915);
    assert_int_equal(who, 1234567890123);
    souk_campaigns_token_sign(KEY, 229000657686084915, 1234567890124, u); /* another user: another MAC */
    assert_string_not_equal(strchr(t, '.'), strchr(u, '.'));
    char forged[SOUK_CAMPAIGNS_UNSUB_MAX];
    snprintf(forged, sizeof forged, "c229000657686084915u1234567890124%s", strchr(t, '.')); /* t's MAC, u's ids */
    assert_int_equal(souk_campaigns_token_verify(KEY, forged, &c, &who), 0);
    unsigned char other[32] = {9, 8, 7, 6, 5, 4, 3, 2, 2};
    assert_int_equal(souk_campaigns_token_verify(other, t, &c, &who), 0);
    snprintf(forged, sizeof forged, "c0229000657686084915u1234567890123%s", strchr(t, '.')); /* a leading zero */
    assert_int_equal(souk_campaigns_token_verify(KEY, forged, &c, &who), 0);
    static const char *const junk[] = {
        "", "c", "c1u1.", "u1.AAAA", "c1u1", "c-1u1.AAAAAAAAAAAAAAAAAAAAAA", "c1u1.AAAAAAAAAAAAAAAAAAAAAA"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
        assert_int_equal(souk_campaigns_token_verify(KEY, junk[i], &c, &who), 0);
    assert_int_equal(souk_campaigns_token_verify(KEY, NULL, &c, &who), 0);
}

/* FIELD may name a key of the parsed object: copied before the object goes. */
static const char *parse(const char *kind, const char *json, souk_campaigns_def *d, const char **field)
{
    static char copy[64];
    json_t *o = json_loads(json, 0, NULL);
    const char *why = souk_campaigns_def_parse(kind, o, d, field);
    if (why) {
        snprintf(copy, sizeof copy, "%s", *field);
        *field = copy;
    }
    json_decref(o);
    return why;
}

static void test_definitions(void **state)
{
    (void)state;
    souk_campaigns_def d, again;
    const char *field;
    assert_null(parse("rfm", "{\"segments\":[\"champions\",\"lost\"],\"days\":30}", &d, &field));
    assert_int_equal(d.segments, 1u | (1u << 9));
    assert_int_equal(d.days, 30);
    json_t *back = souk_campaigns_def_json(&d);
    assert_null(souk_campaigns_def_parse("rfm", back, &again, &field));
    assert_memory_equal(&d, &again, sizeof d);
    json_decref(back);
    assert_null(parse("filter", "{\"min_orders\":2}", &d, &field));
    assert_int_equal(d.days, 365);
    assert_int_equal(d.min_orders, 2);
    assert_int_equal(d.max_orders, -1);
    assert_null(parse("churn", "{\"band\":\"medium\"}", &d, &field));
    assert_int_equal(d.horizon, 90);
    assert_true(d.min_p == 0.4 && d.max_p == 0.7);
    static const struct {
        const char *kind, *json, *field;
    } bad[] = {
        {"nope", "{}", "kind"},
        {"rfm", "[]", "definition"},
        {"rfm", "{\"segments\":[]}", "segments"},
        {"rfm", "{\"segments\":[\"kings\"]}", "segments"},
        {"rfm", "{\"segments\":[\"loyal\"],\"k\":3}", "k"},
        {"rfm", "{\"segments\":[\"loyal\"],\"days\":0}", "days"},
        {"rfm", "{\"segments\":[\"loyal\"],\"days\":3661}", "days"},
        {"rfm", "{\"segments\":[\"loyal\"],\"currency\":\"XXY\"}", "currency"},
        {"kmeans", "{\"k\":3}", "cluster"},
        {"kmeans", "{\"k\":11,\"cluster\":1}", "k"},
        {"kmeans", "{\"k\":3,\"cluster\":4}", "cluster"},
        {"churn", "{\"band\":\"hot\"}", "band"},
        {"churn", "{\"band\":\"high\",\"horizon\":400}", "horizon"},
        {"filter", "{}", "definition"},
        {"filter", "{\"min_orders\":3,\"max_orders\":2}", "definition"},
        {"filter", "{\"min_orders\":-1}", "min_orders"},
        {"filter", "{\"min_orders\":\"1\"}", "min_orders"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        field = NULL;
        assert_non_null(parse(bad[i].kind, bad[i].json, &d, &field));
        assert_string_equal(field, bad[i].field);
    }
}

/* Facts of N customers (ids 1001…): customer i has 1 + i % 4 orders of 1000 each in the last 30 days. */
static void facts_of(souk_analytics_facts *f, int n, int64_t now)
{
    assert_int_equal(souk_analytics_facts_init(f, NULL), 0);
    pthread_mutex_lock(&f->write_mu);
    int64_t order = 1;
    for (int i = 0; i < n; i++)
        for (int k = 0; k <= i % 4; k++) {
            souk_analytics_line_in l = {.product_id = 1 + k, .category_id = 1, .quantity = 1, .amount = 1000};
            souk_analytics_order_in o = {.order_id = order++,
                                         .user_id = 1001 + i,
                                         .paid_at = now - (int64_t)(1 + (i * 7 + k) % 29) * 86400 * 1000000,
                                         .currency = "USD",
                                         .lines = &l,
                                         .nlines = 1};
            assert_int_equal(souk_analytics_add_order(f, &o), 1);
        }
    pthread_mutex_unlock(&f->write_mu);
}

static void test_selection(void **state)
{
    (void)state;
    int64_t now = souk_time_now_us();
    souk_analytics_facts f;
    facts_of(&f, 200, now);
    souk_campaigns_def d;
    const char *field;
    assert_null(parse("filter", "{\"min_orders\":3}", &d, &field));
    int64_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(souk_campaigns_select(&f, &d, now, &ids, &n), 0);
    assert_int_equal(n, 100); /* i % 4 of 2 or 3: half of them */
    for (size_t i = 0; i < n; i++) {
        assert_true((ids[i] - 1001) % 4 >= 2);
        assert_true(i == 0 || ids[i] > ids[i - 1]);
    }
    free(ids);
    /* RFM: the members of a segment are exactly the report's rows of that segment */
    souk_analytics_query q = {.channel = -1, .currency = -1, .limit = 100000, .threads = 1};
    q.to = souk_analytics_tz_day(&f.tz, now);
    q.from = q.to - 364;
    json_t *report = souk_analytics_rfm(&f, &q);
    size_t want = 0, i;
    const json_t *row;
    json_array_foreach(json_object_get(report, "rows"), i, row)
    {
        const char *s = json_string_value(json_object_get(row, "segment"));
        want += strcmp(s, "champions") == 0 || strcmp(s, "hibernating") == 0;
    }
    json_decref(report);
    assert_true(want > 0);
    assert_null(parse("rfm", "{\"segments\":[\"champions\",\"hibernating\"]}", &d, &field));
    assert_int_equal(souk_campaigns_select(&f, &d, now, &ids, &n), 0);
    assert_int_equal(n, want);
    free(ids);
    /* k-means: the clusters of one k split the customers */
    size_t total = 0;
    for (int c = 1; c <= 3; c++) {
        char json[64];
        snprintf(json, sizeof json, "{\"k\":3,\"cluster\":%d}", c);
        assert_null(parse("kmeans", json, &d, &field));
        assert_int_equal(souk_campaigns_select(&f, &d, now, &ids, &n), 0);
        total += n;
        free(ids);
    }
    assert_int_equal(total, 200);
    souk_analytics_facts_release(&f);
}

static void test_engine_audience(void **state)
{
    (void)state;
    souk_promo_line line = {.product = 1, .unit = 1000, .quantity = 2};
    souk_promo p[2];
    memset(p, 0, sizeof p);
    p[0] = (souk_promo){.id = 1, .kind = SOUK_PROMO_PERCENT, .value = 1000, .audience = 77};
    p[1] = (souk_promo){.id = 2, .kind = SOUK_PROMO_PERCENT, .value = 500, .audience = 77, .needs_code = true};
    souk_promo_result r;
    uint8_t member[2] = {SOUK_PROMO_MEMBER, SOUK_PROMO_CODE_NONE | SOUK_PROMO_MEMBER};
    souk_promo_evaluate(&line, 1, "USD", 1, p, 2, member, &r);
    assert_int_equal(r.n, 1);
    assert_true(r.out[0].applied);
    assert_int_equal(r.discount, 200);
    uint8_t outside[2] = {SOUK_PROMO_CODE_NONE, SOUK_PROMO_CODE_ON};
    souk_promo_evaluate(&line, 1, "USD", 1, p, 2, outside, &r);
    assert_int_equal(r.n, 1); /* the automatic one is not mentioned */
    assert_int_equal(r.out[0].promo, 1);
    assert_false(r.out[0].applied);
    assert_string_equal(r.out[0].reason, "not_in_audience");
    assert_int_equal(r.discount, 0);
    souk_promo_evaluate(&line, 1, "USD", 1, p, 2, NULL, &r); /* a guest: no codes, no audiences */
    assert_int_equal(r.n, 0);
    uint8_t both[2] = {SOUK_PROMO_MEMBER, SOUK_PROMO_CODE_ON | SOUK_PROMO_MEMBER};
    souk_promo_evaluate(&line, 1, "USD", 1, p, 2, both, &r);
    assert_int_equal(r.discount, 200 + 90); /* 10 %, then 5 % of what it left */
}

/* ---- on a database ---- */

static void exec(souk_store *db, const char *sql, const souk_param *args)
{
    assert_int_equal(souk_store_exec(db, sql, args), SOUK_DB_DONE);
}

static void user(souk_store *db, int64_t id, const char *status, int marketing)
{
    int64_t now = souk_time_now_us();
    char email[64];
    snprintf(email, sizeof email, "c%lld@example.com", (long long)id);
    exec(db,
         "INSERT INTO users (id, email, role, status, created_at, updated_at, password_changed_at) "
         "VALUES ($1, $2, 'customer', $3, $4, $4, $4)",
         SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(email), SOUK_TEXT(status), SOUK_I64(now)));
    if (marketing >= 0)
        exec(db,
             "INSERT INTO consents (id, user_id, kind, granted, method, created_at) VALUES ($1, $1, 'marketing', $2, "
             "'test', $3)",
             SOUK_ARGS(SOUK_I64(id), SOUK_I64(marketing), SOUK_I64(now)));
}

typedef struct members_ctx {
    int64_t audience, kept;
    const int64_t *ids;
    size_t n;
} members_ctx;

static souk_err members_body(souk_store *db, void *arg)
{
    members_ctx *c = arg;
    return souk_store_dberr(
        souk_campaigns_store_members_tx(db, c->audience, c->ids, c->n, souk_time_now_us(), &c->kept));
}

static int64_t count(souk_store *db, const char *sql, int64_t arg)
{
    int64_t n = -1;
    assert_int_equal(souk_store_one(db, sql, SOUK_ARGS(SOUK_I64(arg)), SOUK_COLS(SOUK_COL_I64(&n))), SOUK_DB_ROW);
    return n;
}

static void campaign(souk_store *db, int64_t id, int64_t audience)
{
    int64_t now = souk_time_now_us();
    exec(db,
         "INSERT INTO campaigns (id, name, template, audience_id, subject, intro, status, send_started_at, "
         "created_at, updated_at) VALUES ($1, 'c', 'vip', $2, 'Hello', 'Hi there', 'sending', $3, $3, $3)",
         SOUK_ARGS(SOUK_I64(id), SOUK_I64(audience), SOUK_I64(now)));
}

typedef struct unsub_ctx {
    const char *token;
    int64_t user;
} unsub_ctx;

static souk_err unsub_body(souk_store *db, void *arg)
{
    unsub_ctx *c = arg;
    return souk_campaigns_unsubscribe_tx(db, c->token, &c->user);
}

static souk_err erase_body(souk_store *db, void *arg)
{
    return souk_store_dberr(souk_campaigns_erase_tx(db, *(int64_t *)arg, NULL));
}

static void test_send(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "campaigns"), 0);
    souk_store *db = t.db;
    /* 1..450 consent given (3 batches and a bit); 451 refused it; 452 never said; 453 withdrew it later;
     * 454 disabled; 455 deleted; 456 is no account at all */
    for (int64_t u = 1; u <= 450; u++)
        user(db, u, "active", 1);
    user(db, 451, "active", 0);
    user(db, 452, "active", -1);
    user(db, 453, "active", 1);
    exec(db,
         "INSERT INTO consents (id, user_id, kind, granted, method, created_at) VALUES (9453, 453, 'marketing', 0, "
         "'test', $1)",
         SOUK_ARGS(SOUK_I64(souk_time_now_us() + 1)));
    user(db, 454, "disabled", 1);
    user(db, 455, "deleted", 1);
    int64_t now = souk_time_now_us();
    exec(db,
         "INSERT INTO campaign_audiences (id, name, kind, definition, created_at, updated_at) VALUES (7, 'a', "
         "'filter', '{\"min_orders\":1}', $1, $1)",
         SOUK_ARGS(SOUK_I64(now)));
    int64_t ids[456];
    for (int i = 0; i < 456; i++)
        ids[i] = i + 1;
    members_ctx m = {.audience = 7, .ids = ids, .n = 456};
    assert_int_equal(souk_store_run(db, members_body, &m, NULL), SOUK_OK);
    assert_int_equal(m.kept, 453); /* the disabled and deleted accounts and the unknown id are left out */
    assert_int_equal(count(db, "SELECT members FROM campaign_audiences WHERE id = $1", 7), 453);
    exec(db, "INSERT INTO campaign_audience_members (audience_id, user_id) VALUES (7, 454)", NULL); /* disabled since */
    campaign(db, 100, 7);
    assert_int_equal(souk_campaigns_send(db, 100), 450);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM mail_outbox WHERE $1 = $1", 0), 450);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = $1", 100), 450);
    assert_int_equal(count(db, "SELECT skipped_count FROM campaigns WHERE id = $1", 100), 4); /* 451-454 */
    assert_int_equal(count(db, "SELECT COUNT(*) FROM mail_outbox WHERE user_id IN (451, 452, 453, 454) AND $1 = $1", 0),
                     0);
    /* a replayed job: nothing more */
    exec(db, "UPDATE campaigns SET status = 'sending', send_cursor = 0 WHERE id = $1", SOUK_ARGS(SOUK_I64(100)));
    assert_int_equal(souk_campaigns_send(db, 100), 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM mail_outbox WHERE $1 = $1", 0), 450);
    /* user 1 unsubscribes by the link of campaign 100: the next campaign skips them */
    char token[SOUK_CAMPAIGNS_UNSUB_MAX];
    assert_int_equal(souk_campaigns_unsub_token(db, 100, 1, token), SOUK_OK);
    unsub_ctx u = {.token = token};
    assert_int_equal(souk_store_run(db, unsub_body, &u, NULL), SOUK_OK);
    assert_int_equal(u.user, 1);
    assert_int_equal(souk_store_run(db, unsub_body, &u, NULL), SOUK_OK); /* again: counted once */
    assert_int_equal(count(db, "SELECT unsubscribed FROM campaigns WHERE id = $1", 100), 1);
    token[strlen(token) - 1] ^= 1;
    assert_int_equal(souk_store_run(db, unsub_body, &u, NULL), SOUK_E_NOT_FOUND);
    campaign(db, 101, 7);
    assert_int_equal(souk_campaigns_send(db, 101), 449);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM campaign_recipients WHERE user_id = $1", 1), 1);
    /* an intro as long as the API takes, of 2-byte characters, reaches the mail whole */
    static char intro[2000 * 2 + 1];
    for (int i = 0; i < 2000; i++)
        memcpy(intro + 2 * i, "\xc3\xa9", 2);
    exec(db,
         "INSERT INTO campaigns (id, name, template, audience_id, subject, intro, status, send_started_at, "
         "created_at, updated_at) VALUES (102, 'long', 'win_back', 7, 'Hello', $1, 'sending', 1, 1, 1)",
         SOUK_ARGS(SOUK_TEXT(intro)));
    assert_int_equal(souk_campaigns_send(db, 102), 449);
    assert_int_equal(count(db,
                           "SELECT COUNT(*) FROM mail_outbox WHERE instr(body, (SELECT intro FROM campaigns "
                           "WHERE id = $1)) > 0",
                           102),
                     449);
    /* erasure: out of every list */
    int64_t who = 2;
    assert_int_equal(souk_store_run(db, erase_body, &who, NULL), SOUK_OK);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM campaign_audience_members WHERE user_id = $1", 2), 0);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM campaign_recipients WHERE user_id = $1", 2), 0);
    who = 1;
    assert_int_equal(souk_store_run(db, erase_body, &who, NULL), SOUK_OK);
    assert_int_equal(count(db, "SELECT COUNT(*) FROM campaign_optouts WHERE user_id = $1", 1), 0);
    souk_test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token),           cmocka_unit_test(test_definitions), cmocka_unit_test(test_selection),
        cmocka_unit_test(test_engine_audience), cmocka_unit_test(test_send),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
