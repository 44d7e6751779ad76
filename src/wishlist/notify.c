/*
 * notify.c — back-in-stock and price-drop alerts.
 *
 * Nothing polls the catalog. Inventory writes stock.changed and the catalog
 * price.changed into the outbox in the transaction that changed them; the
 * event dispatcher hands each to souk_wishlist_on_event, which looks only at
 * the wished-for items of that variant (and of its product as a whole),
 * compares each with what the item last saw (in_stock, ref_amount) and
 * stores the new state. An item that came back or got cheaper sends its
 * customer one mail — when the customer's current marketing consent is
 * given, they have not unsubscribed, and no alert about that item went to
 * them in the last week. The week is a conditional upsert on
 * wishlist_alerts' key (user, product, variant), so two events racing on
 * two nodes cannot both send: the second changes no row. The mail goes into
 * the outbox in the same transaction, so a state change, its claim and its
 * mail commit together or not at all, and a replayed event (delivery is at
 * least once) finds the state already moved and sends nothing.
 */
#include "wishlist/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/log.h"
#include "core/money.h"
#include "core/time.h"
#include "events/events.h"
#include "jobs/jobs.h"
#include "mail/mail.h"
#include "core/banned.h"

souk_wishlist_alert souk_wishlist_judge(bool was_in_stock, int64_t ref, int64_t available, int64_t price,
                                        bool *new_in_stock, int64_t *new_ref)
{
    *new_in_stock = available > 0;
    *new_ref = ref;
    if (price >= 0 && (ref < 0 || price < ref))
        *new_ref = price;
    if (!was_in_stock && available > 0)
        return SOUK_WISHLIST_BACK_IN_STOCK;
    if (available > 0 && price >= 0 && ref >= 0 && price < ref)
        return SOUK_WISHLIST_PRICE_DROP;
    return SOUK_WISHLIST_NONE;
}

const char *souk__wishlist_origin(void)
{
    const char *u = getenv("SOUK_PUBLIC_URL");
    if (!u || !u[0] || strlen(u) > 200 || strchr(u, '\n') || strchr(u, '\r'))
        return "http://localhost:8080";
    return u;
}

typedef struct item_row {
    int64_t id, user, product, variant, ref, price, available;
    bool in_stock;
    char currency[4];
} item_row;

typedef struct event_ctx {
    int64_t variant;
    const char *currency; /* price.changed: only items in it; NULL: all */
    int mails;
} event_ctx;

/* An alert mail, built before the week is claimed so that a mail that cannot be sent never uses it up. */
typedef struct alert_mail {
    char subject[SOUK_MAIL_SUBJECT_MAX * 4];
    char body[4096];
} alert_mail;

/* The longest prefix of S of at most MAX bytes that ends on a character boundary (S is UTF-8). */
static int utf8_prefix(const char *s, int max)
{
    int n = (int)strnlen(s, (size_t)max + 1);
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--; /* s[n] continues a character: cut before the character it belongs to */
    return n;
}

/* Builds into M the alert mail of item IT (KIND) to EMAIL. 0, 1 when it cannot be sent (logged),
 * or an error class. */
static int build_mail(souk_store *db, const item_row *it, souk_wishlist_alert kind, int64_t old_price,
                      const char *email, alert_mail *mail)
{
    char title[256] = "", slug[128] = "", vtitle[256] = "";
    int r = souk_store_one(db, "SELECT title, slug FROM wishlist_catalog_products WHERE product_id = $1",
                           SOUK_ARGS(SOUK_I64(it->product)), SOUK_COLS(SOUK_COL_STR(title), SOUK_COL_STR(slug)));
    if (r < 0)
        return r;
    if (it->variant &&
        (r = souk_store_one(db, "SELECT variant_title FROM wishlist_catalog_variants WHERE variant_id = $1",
                            SOUK_ARGS(SOUK_I64(it->variant)), SOUK_COLS(SOUK_COL_STR(vtitle)))) < 0)
        return r;
    char unsub[SOUK_WISHLIST_UNSUB_MAX];
    souk_err e = souk_wishlist_unsub_token(db, it->user, unsub);
    if (e)
        return SOUK_DB_HARD;
    char now_text[48] = "", was_text[48] = "";
    souk_money m = {0};
    memcpy(m.currency, it->currency, sizeof m.currency);
    if (it->price >= 0) {
        m.amount = it->price;
        souk_money_format(&m, now_text, sizeof now_text);
    }
    if (old_price >= 0) {
        m.amount = old_price;
        souk_money_format(&m, was_text, sizeof was_text);
    }
    char name[600], price_line[160] = "";
    char *subject = mail->subject, *body = mail->body;
    snprintf(name, sizeof name, "%s%s%s", title, vtitle[0] ? " - " : "", vtitle);
    if (now_text[0] && kind == SOUK_WISHLIST_PRICE_DROP && was_text[0])
        snprintf(price_line, sizeof price_line, "Price now: %s %s (it was %s %s).\n", now_text, it->currency, was_text,
                 it->currency);
    else if (now_text[0])
        snprintf(price_line, sizeof price_line, "Price now: %s %s.\n", now_text, it->currency);
    const char *origin = souk__wishlist_origin();
    snprintf(subject, sizeof mail->subject, "%s: %.*s",
             kind == SOUK_WISHLIST_BACK_IN_STOCK ? "Back in stock" : "Price drop", utf8_prefix(name, 150), name);
    int n = snprintf(body, sizeof mail->body,
                     "Hello,\n\n%s on your wishlist %s.\n%s\n%s/p/%s\n\n"
                     "Your wishlist: %s/account/wishlist\n\n"
                     "You get this because you wished for it and agreed to e-mail offers. "
                     "To stop wishlist alerts, open:\n%s/wishlist/unsubscribe?t=%s\n",
                     name, kind == SOUK_WISHLIST_BACK_IN_STOCK ? "is back in stock" : "costs less now", price_line,
                     origin, slug, origin, origin, unsub);
    const char *why = n < 0 || (size_t)n >= sizeof mail->body ? "the text is too long" : NULL;
    if (why || souk_mail_check(email, subject, body, &why) != 0) {
        souk_log_warn("wishlist: alert of item %lld not sent: %s", (long long)it->id, why ? why : "invalid");
        return 1;
    }
    return 0;
}

/* Sends USER the alert of IT when allowed and not sent within the week. 1 sent, 0 not, or an error class. */
static int alert(souk_store *db, const item_row *it, souk_wishlist_alert kind, int64_t old_price)
{
    char email[SOUK_MAIL_TO_MAX + 1] = "", status[16] = "";
    int64_t marketing = 0, optout = 0;
    int r = souk_store_one(db, "SELECT email, status, marketing FROM wishlist_customers WHERE user_id = $1",
                           SOUK_ARGS(SOUK_I64(it->user)),
                           SOUK_COLS(SOUK_COL_STR(email), SOUK_COL_STR(status), SOUK_COL_I64(&marketing)));
    if (r < 0)
        return r;
    if (r == SOUK_DB_DONE || !email[0] || strcmp(status, "active") != 0 || !marketing)
        return 0;
    r = souk_store_one(db, "SELECT 1 FROM wishlist_optouts WHERE user_id = $1", SOUK_ARGS(SOUK_I64(it->user)),
                       SOUK_COLS(SOUK_COL_I64(&optout)));
    if (r < 0)
        return r;
    if (optout)
        return 0;
    alert_mail mail;
    if ((r = build_mail(db, it, kind, old_price, email, &mail)) != 0)
        return r < 0 ? r : 0;
    int64_t now = souk_time_now_us();
    int64_t claimed = souk_store_update(
        db,
        "INSERT INTO wishlist_alerts (user_id, product_id, variant_id, kind, sent_at) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (user_id, product_id, variant_id) DO UPDATE SET kind = excluded.kind, sent_at = excluded.sent_at "
        "WHERE wishlist_alerts.sent_at <= $6",
        SOUK_ARGS(SOUK_I64(it->user), SOUK_I64(it->product), SOUK_I64(it->variant),
                  SOUK_TEXT(kind == SOUK_WISHLIST_BACK_IN_STOCK ? "back_in_stock" : "price_drop"), SOUK_I64(now),
                  SOUK_I64(now - SOUK_WISHLIST_ALERT_GAP_US)));
    if (claimed <= 0)
        return (int)claimed;
    r = souk_mail_enqueue_tx(db, it->user, email, mail.subject, mail.body);
    if (r < 0)
        return r == -1 ? SOUK_DB_HARD : r;
    return 1;
}

static int event_body(souk_store *db, void *arg)
{
    event_ctx *c = arg;
    c->mails = 0;
    int64_t product = 0;
    int r = souk_store_one(db, "SELECT product_id FROM wishlist_catalog_variants WHERE variant_id = $1",
                           SOUK_ARGS(SOUK_I64(c->variant)), SOUK_COLS(SOUK_COL_I64(&product)));
    if (r != SOUK_DB_ROW)
        return r < 0 ? r : 0; /* no such variant: nothing wished for */
    souk_stmt *st = souk_store_query(
        db,
        "SELECT i.id, COALESCE(w.user_id, 0), i.product_id, i.variant_id, i.in_stock, COALESCE(i.ref_amount, -1), "
        "COALESCE(" SOUK__WISHLIST_PRICE(
            "i.currency") ", -1), " SOUK__WISHLIST_AVAILABLE ", i.currency "
                          "FROM wishlist_items i JOIN wishlists w ON w.id = i.wishlist_id "
                          "WHERE (i.variant_id = $1 OR (i.variant_id = 0 AND i.product_id = $2)) AND ($3 = '' OR i.currency = $3) "
                          "ORDER BY i.id",
        SOUK_ARGS(SOUK_I64(c->variant), SOUK_I64(product), SOUK_TEXT(c->currency ? c->currency : "")));
    item_row *rows = NULL;
    size_t n = 0, cap = 0;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            item_row *g = realloc(rows, ncap * sizeof *g);
            if (!g) {
                souk_stmt_done(st);
                free(rows);
                return SOUK_DB_HARD;
            }
            rows = g;
            cap = ncap;
        }
        item_row *it = &rows[n++];
        memset(it, 0, sizeof *it);
        it->id = souk_stmt_i64(st, 0);
        it->user = souk_stmt_i64(st, 1);
        it->product = souk_stmt_i64(st, 2);
        it->variant = souk_stmt_i64(st, 3);
        it->in_stock = souk_stmt_i64(st, 4) != 0;
        it->ref = souk_stmt_i64(st, 5);
        it->price = souk_stmt_i64(st, 6);
        it->available = souk_stmt_i64(st, 7);
        const char *cur = souk_stmt_text(st, 8, NULL);
        snprintf(it->currency, sizeof it->currency, "%s", cur ? cur : "");
    }
    if (r != SOUK_DB_DONE) {
        free(rows);
        return r;
    }
    r = 0;
    for (size_t i = 0; i < n && r >= 0; i++) {
        item_row *it = &rows[i];
        bool in_stock;
        int64_t ref;
        souk_wishlist_alert kind =
            souk_wishlist_judge(it->in_stock, it->ref, it->available, it->price, &in_stock, &ref);
        if (in_stock != it->in_stock || ref != it->ref)
            r = souk_store_exec(
                db, "UPDATE wishlist_items SET in_stock = $2, ref_amount = $3 WHERE id = $1",
                SOUK_ARGS(SOUK_I64(it->id), SOUK_I64(in_stock ? 1 : 0), ref >= 0 ? SOUK_I64(ref) : SOUK_NULL));
        if (r >= 0 && kind != SOUK_WISHLIST_NONE && it->user) {
            int sent = alert(db, it, kind, it->ref);
            if (sent < 0)
                r = sent;
            else
                c->mails += sent;
        }
    }
    free(rows);
    return r < 0 ? r : 0;
}

int souk_wishlist_on_event(souk_store *db, const char *type, const char *aggregate_id, const json_t *payload,
                           int64_t event_id, void *ctx)
{
    (void)aggregate_id;
    (void)event_id;
    (void)ctx;
    const char *vid = json_string_value(json_object_get(payload, "variant_id"));
    event_ctx c = {0};
    if (!vid || souk_id_parse("var", vid, strlen(vid), &c.variant) != 0)
        return 0; /* not about a variant: nothing of ours */
    if (strcmp(type, "price.changed") == 0) {
        c.currency = json_string_value(json_object_get(payload, "currency"));
        if (!c.currency || strlen(c.currency) != 3)
            return 0;
    } else if (strcmp(type, "stock.changed") != 0) {
        return 0;
    }
    /* most stock changes (every reservation and sale) are of variants nobody wished for:
     * a read tells, so they cost no write transaction */
    int64_t any = 0;
    int r = souk_store_one(db,
                           "SELECT 1 FROM wishlist_items i WHERE i.variant_id = $1 OR (i.variant_id = 0 AND "
                           "i.product_id = (SELECT cv.product_id FROM wishlist_catalog_variants cv "
                           "WHERE cv.variant_id = $1)) LIMIT 1",
                           SOUK_ARGS(SOUK_I64(c.variant)), SOUK_COLS(SOUK_COL_I64(&any)));
    if (r == SOUK_DB_DONE)
        return 0;
    if (r >= 0)
        r = souk_store_tx(db, event_body, &c);
    if (r == SOUK_DB_SOFT) { /* busy, a lost connection: the dispatcher hands the event again */
        souk_log_warn("wishlist: %s of %s not handled yet: %s", type, vid, souk_store_errmsg(db));
        return -1;
    }
    if (r < 0) { /* a hard error would fail at every retry and hold up the events behind it: skip it */
        souk_log_error("wishlist: %s of %s skipped: %s", type, vid, souk_store_errmsg(db));
        return 0;
    }
    if (c.mails)
        souk_mail_worker_kick();
    return 0;
}

static int purge_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    (void)payload;
    for (int round = 0; round < 100; round++) {
        int n = souk_wishlist_purge_guests(db, souk_time_now_us(), 500);
        if (n < 0) {
            snprintf(err, errlen, "cannot purge guest wishlists: %s", souk_store_errmsg(db));
            return -1;
        }
        if (n < 500)
            return 0;
    }
    return 0;
}

int souk_wishlist_register(void)
{
    int r = souk_event_subscribe("wishlist.stock", "stock.changed", souk_wishlist_on_event, NULL);
    if (r >= 0)
        r = souk_event_subscribe("wishlist.price", "price.changed", souk_wishlist_on_event, NULL);
    if (r >= 0)
        r = souk_job_register("wishlist.purge", purge_job, 5);
    if (r >= 0)
        r = souk_job_schedule("wishlist.purge", "41 3 * * *");
    return r < 0 ? -1 : 0;
}
