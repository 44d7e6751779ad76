/*
 * test_wishlist.c — the wishlist's rules on a real (SQLite) database: what
 * an item's new state means (souk_wishlist_judge), the unsubscribe token,
 * the once-a-week claim held by the database even when an item's own state
 * says "alert" again (a second node that saw the old state, a replayed
 * event), consent and opt-out, and the guest merge's limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"
#include "core/id.h"
#include "core/time.h"
#include "wishlist/wishlist.h"

static void test_judge(void **state)
{
    (void)state;
    bool in;
    int64_t ref;
    /* back in stock: was not, is now */
    assert_int_equal(souk_wishlist_judge(false, 1000, 3, 1000, &in, &ref), SOUK_WISHLIST_BACK_IN_STOCK);
    assert_true(in);
    assert_int_equal(ref, 1000);
    /* still in stock, same price: nothing */
    assert_int_equal(souk_wishlist_judge(true, 1000, 3, 1000, &in, &ref), SOUK_WISHLIST_NONE);
    /* sold out: nothing, remembered */
    assert_int_equal(souk_wishlist_judge(true, 1000, 0, 1000, &in, &ref), SOUK_WISHLIST_NONE);
    assert_false(in);
    /* cheaper while it can be had: a drop, the new price the baseline */
    assert_int_equal(souk_wishlist_judge(true, 1000, 2, 900, &in, &ref), SOUK_WISHLIST_PRICE_DROP);
    assert_int_equal(ref, 900);
    /* cheaper while sold out: no mail, but the baseline follows */
    assert_int_equal(souk_wishlist_judge(false, 1000, 0, 800, &in, &ref), SOUK_WISHLIST_NONE);
    assert_int_equal(ref, 800);
    /* dearer: nothing, the baseline stays the lowest seen */
    assert_int_equal(souk_wishlist_judge(true, 800, 2, 1200, &in, &ref), SOUK_WISHLIST_NONE);
    assert_int_equal(ref, 800);
    /* a first price: the baseline, no alert */
    assert_int_equal(souk_wishlist_judge(true, -1, 2, 700, &in, &ref), SOUK_WISHLIST_NONE);
    assert_int_equal(ref, 700);
    /* no price in the currency (removed): nothing, baseline kept */
    assert_int_equal(souk_wishlist_judge(true, 700, 2, -1, &in, &ref), SOUK_WISHLIST_NONE);
    assert_int_equal(ref, 700);
}

static void test_token(void **state)
{
    (void)state;
    unsigned char key[32], other[32];
    memset(key, 7, sizeof key);
    memset(other, 8, sizeof other);
    char t[SOUK_WISHLIST_UNSUB_MAX];
    souk_wishlist_token_sign(key, 123456789, t);
    assert_int_equal(souk_wishlist_token_verify(key, t), 123456789);
    assert_int_equal(souk_wishlist_token_verify(other, t), 0);
    char bad[SOUK_WISHLIST_UNSUB_MAX];
    snprintf(bad, sizeof bad, "%s", t);
    bad[1] = bad[1] == '9' ? '8' : '9'; /* another user, the same MAC */
    assert_int_equal(souk_wishlist_token_verify(key, bad), 0);
    snprintf(bad, sizeof bad, "%s", t);
    bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'A' ? 'B' : 'A';
    assert_int_equal(souk_wishlist_token_verify(key, bad), 0);
    assert_int_equal(souk_wishlist_token_verify(key, ""), 0);
    assert_int_equal(souk_wishlist_token_verify(key, "u.x"), 0);
    assert_int_equal(souk_wishlist_token_verify(key, "u0123.AAAAAAAAAAAAAAAAAAAAAA"), 0);
    assert_int_equal(souk_wishlist_token_verify(key, NULL), 0);
}

/* ---- on a database ---- */

static void exec(souk_store *db, const char *sql, const souk_param *args)
{
    assert_int_equal(souk_store_exec(db, sql, args), SOUK_DB_DONE);
}

/* A customer (marketing consent MARKETING), an active product with one variant of PRICE and AVAILABLE units. */
static void seed(souk_store *db, int64_t user, bool marketing, int64_t product, int64_t variant, int64_t price,
                 int64_t available)
{
    int64_t now = souk_time_now_us();
    char email[64], slug[32], sku[32];
    snprintf(email, sizeof email, "w%lld@example.com", (long long)user);
    snprintf(slug, sizeof slug, "wish-%lld", (long long)product);
    snprintf(sku, sizeof sku, "W-%lld", (long long)variant);
    exec(db,
         "INSERT INTO users (id, email, role, status, created_at, updated_at, password_changed_at) "
         "VALUES ($1, $2, 'customer', 'active', $3, $3, $3)",
         SOUK_ARGS(SOUK_I64(user), SOUK_TEXT(email), SOUK_I64(now)));
    exec(db,
         "INSERT INTO consents (id, user_id, kind, granted, method, created_at) VALUES ($1, $1, 'marketing', $2, "
         "'test', $3)",
         SOUK_ARGS(SOUK_I64(user), SOUK_I64(marketing), SOUK_I64(now)));
    exec(
        db,
        "INSERT INTO products (id, slug, title, status, created_at, updated_at) VALUES ($1, $2, 'Wish', 'active', $3, $3)",
        SOUK_ARGS(SOUK_I64(product), SOUK_TEXT(slug), SOUK_I64(now)));
    exec(db, "INSERT INTO variants (id, product_id, sku, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
         SOUK_ARGS(SOUK_I64(variant), SOUK_I64(product), SOUK_TEXT(sku), SOUK_I64(now)));
    exec(db, "INSERT INTO variant_prices (variant_id, currency, amount) VALUES ($1, 'USD', $2)",
         SOUK_ARGS(SOUK_I64(variant), SOUK_I64(price)));
    exec(db, "INSERT INTO variant_availability (variant_id, available) VALUES ($1, $2)",
         SOUK_ARGS(SOUK_I64(variant), SOUK_I64(available)));
}

typedef struct add_ctx {
    souk_wishlist_owner owner;
    int64_t product, variant;
    souk_err e;
} add_ctx;

static int add_tx(souk_store *db, void *arg)
{
    add_ctx *c = arg;
    int64_t item;
    bool created;
    const char *why;
    c->e = souk_wishlist_add_tx(db, &c->owner, c->product, c->variant, "USD", &item, &created, &why);
    return c->e ? -1000 : 0;
}

static souk_err add(souk_store *db, const souk_wishlist_owner *o, int64_t product, int64_t variant)
{
    add_ctx c = {*o, product, variant, SOUK_OK};
    souk_store_tx(db, add_tx, &c);
    return c.e;
}

static int64_t mails(souk_store *db, int64_t user)
{
    int64_t n = -1;
    assert_int_equal(souk_store_one(db, "SELECT COUNT(*) FROM mail_outbox WHERE user_id = $1",
                                    SOUK_ARGS(SOUK_I64(user)), SOUK_COLS(SOUK_COL_I64(&n))),
                     SOUK_DB_ROW);
    return n;
}

static int stock_event(souk_store *db, const char *vid)
{
    json_t *p = json_pack("{s:s,s:I}", "variant_id", vid, "available", (json_int_t)1);
    int r = souk_wishlist_on_event(db, "stock.changed", vid, p, 1, NULL);
    json_decref(p);
    return r;
}

static void test_week_held_by_the_database(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "wishlist"), 0);
    seed(t.db, 101, true, 201, 301, 1000, 0);
    seed(t.db, 102, false, 202, 302, 1000, 0);
    souk_wishlist_owner a = {.user_id = 101}, b = {.user_id = 102};
    assert_int_equal(add(t.db, &a, 0, 301), SOUK_OK);
    assert_int_equal(add(t.db, &b, 0, 301), SOUK_OK);
    char vid[SOUK_ID_TEXT_MAX];
    souk_id_format("var", 301, vid);
    /* back in stock: one mail for the consenting customer, none for the other */
    exec(t.db, "UPDATE variant_availability SET available = 4 WHERE variant_id = 301", NULL);
    assert_int_equal(stock_event(t.db, vid), 0);
    assert_int_equal(mails(t.db, 101), 1);
    assert_int_equal(mails(t.db, 102), 0);
    /* the same event again (delivery is at least once): nothing more */
    assert_int_equal(stock_event(t.db, vid), 0);
    assert_int_equal(mails(t.db, 101), 1);
    /* a node that saw the item sold out (its state says "alert"): the claim refuses within the week */
    exec(t.db, "UPDATE wishlist_items SET in_stock = 0", NULL);
    assert_int_equal(stock_event(t.db, vid), 0);
    assert_int_equal(mails(t.db, 101), 1);
    /* a week later it may alert again */
    exec(t.db, "UPDATE wishlist_alerts SET sent_at = sent_at - $1", SOUK_ARGS(SOUK_I64(SOUK_WISHLIST_ALERT_GAP_US)));
    exec(t.db, "UPDATE wishlist_items SET in_stock = 0", NULL);
    assert_int_equal(stock_event(t.db, vid), 0);
    assert_int_equal(mails(t.db, 101), 2);
    /* unsubscribed: nothing, even when due */
    char tok[SOUK_WISHLIST_UNSUB_MAX];
    assert_int_equal(souk_wishlist_unsub_token(t.db, 101, tok), SOUK_OK);
    exec(t.db, "UPDATE wishlist_alerts SET sent_at = sent_at - $1", SOUK_ARGS(SOUK_I64(SOUK_WISHLIST_ALERT_GAP_US)));
    exec(t.db, "UPDATE wishlist_items SET in_stock = 0", NULL);
    assert_int_equal(souk_wishlist_unsubscribe_tx(t.db, tok, NULL), SOUK_OK);
    assert_int_equal(stock_event(t.db, vid), 0);
    assert_int_equal(mails(t.db, 101), 2);
    souk_test_db_close(&t);
}

static void test_guest_merge(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "wishlist"), 0);
    seed(t.db, 111, true, 211, 311, 500, 1);
    char token[SOUK_WISHLIST_TOKEN_MAX];
    assert_int_equal(souk_wishlist_guest_create_tx(t.db, token), SOUK_OK);
    souk_wishlist_owner g = {.guest_token = token}, u = {.user_id = 111};
    assert_int_equal(add(t.db, &g, 211, 0), SOUK_OK);
    assert_int_equal(add(t.db, &g, 0, 311), SOUK_OK);
    assert_int_equal(add(t.db, &u, 211, 0), SOUK_OK); /* on both lists: kept once */
    /* a guest list is bounded */
    for (int i = 0; i < SOUK_WISHLIST_GUEST_ITEMS_MAX + 1; i++) {
        seed(t.db, 1000 + i, false, 2000 + i, 3000 + i, 100, 1);
        souk_err e = add(t.db, &g, 2000 + i, 0);
        assert_int_equal(e, i < SOUK_WISHLIST_GUEST_ITEMS_MAX - 2 ? SOUK_OK : SOUK_E_CONFLICT);
    }
    int moved = -1;
    assert_int_equal(souk_wishlist_merge_guest(t.db, token, 111, &moved), SOUK_OK);
    assert_int_equal(moved, SOUK_WISHLIST_GUEST_ITEMS_MAX - 1); /* all but the one it had */
    json_t *l = NULL;
    assert_int_equal(souk_wishlist_json(t.db, &u, "USD", &l), SOUK_OK);
    assert_int_equal(json_integer_value(json_object_get(l, "count")), SOUK_WISHLIST_GUEST_ITEMS_MAX);
    json_decref(l);
    /* the guest list is gone */
    assert_int_equal(souk_wishlist_json(t.db, &g, "USD", &l), SOUK_OK);
    assert_int_equal(json_integer_value(json_object_get(l, "count")), 0);
    json_decref(l);
    assert_int_equal(add(t.db, &g, 211, 0), SOUK_E_NOT_FOUND);
    /* a merge of a token that names nothing is a no-op */
    assert_int_equal(souk_wishlist_merge_guest(t.db, token, 111, &moved), SOUK_OK);
    assert_int_equal(moved, 0);
    souk_test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_week_held_by_the_database),
        cmocka_unit_test(test_guest_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
