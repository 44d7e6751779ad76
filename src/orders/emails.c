/*
 * emails.c — order e-mails: asked for by a state change in its transaction
 * (one order_notifications row per order and kind, and the order.emails job
 * of the next whole second), and written into the mail outbox in batches by
 * that job. See "E-mails" in docs/internals/orders.md.
 */
#include "orders/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/log.h"
#include "core/money.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "mail/mail.h"
#include "core/banned.h"

souk_err souk__order_email_tx(souk_store *db, int64_t order, const char *kind)
{
    int64_t now = souk_time_now_us();
    int64_t n = souk_store_update(db,
                                  "INSERT INTO order_notifications (order_id, kind, created_at) "
                                  "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                                  SOUK_ARGS(SOUK_I64(order), SOUK_TEXT(kind), SOUK_I64(now)));
    if (n <= 0)
        return souk_store_dberr((int)n); /* asked for already: once is enough */
    /* one order.emails job per second writes all that came due in it */
    int64_t due = (now / SOUK_ORDERS_EMAIL_BATCH_US + 1) * SOUK_ORDERS_EMAIL_BATCH_US;
    char dedupe[48];
    snprintf(dedupe, sizeof dedupe, "order.emails@%lld", (long long)due);
    return souk_store_dberr(souk_job_enqueue_tx(db, "order.emails", NULL, due, dedupe));
}

/* The texts of each language: English (the first) and French. An order in
 * another locale is written in the one its language subtag names, else in
 * English (docs/languages.md). */
typedef struct mail_text {
    const char *kind, *subject, *text;
} mail_text;

static const mail_text mails_fr[] = {
    {"confirmation", "Votre commande %s est confirmée",
     "Merci pour votre commande %s.\n\nNous avons bien reçu votre paiement de %s "
     "et vous préviendrons dès son expédition.\n"},
    {"shipped", "Votre commande %s a été expédiée", "Votre commande %s (total %s) est en route.\n"},
    {"delivered", "Votre commande %s a été livrée", "Votre commande %s (total %s) a été livrée. Bonne journée !\n"},
    {"cancelled", "Votre commande %s a été annulée",
     "Votre commande %s (total %s) a été annulée. Tout paiement est remboursé.\n"},
    {"refunded", "Un remboursement pour votre commande %s",
     "Nous avons remboursé une somme pour votre commande %s (total de la commande %s).\n"},
};

static const mail_text mails[] = {
    {"confirmation", "Your order %s is confirmed",
     "Thank you for your order %s.\n\nWe received your payment of %s "
     "and will let you know when it ships.\n"},
    {"shipped", "Your order %s has shipped", "Your order %s (total %s) is on its way.\n"},
    {"delivered", "Your order %s was delivered", "Your order %s (total %s) was delivered. Enjoy!\n"},
    {"cancelled", "Your order %s was cancelled", "Your order %s (total %s) was cancelled. Any payment is refunded.\n"},
    {"refunded", "A refund for your order %s", "We refunded money for your order %s (order total %s).\n"},
};

_Static_assert(sizeof mails / sizeof mails[0] == sizeof mails_fr / sizeof mails_fr[0],
               "every e-mail has its French text, in the same order");

/* One notification due, with the columns of its order an e-mail shows. */
typedef struct due_mail {
    int64_t order, user_id, total;
    char kind[48], currency[4], email[256], locale[16];
    bool gone; /* no such order (any more) */
} due_mail;

/* Writes the e-mail of M into the mail outbox. An order that is gone or
 * was erased (no address) gets none. */
static souk_err render_mail(souk_store *db, const due_mail *m)
{
    if (m->gone)
        return SOUK_OK;
    const char *kind = m->kind;
    size_t i = 0, n = sizeof mails / sizeof mails[0];
    while (i < n && strncmp(kind, mails[i].kind, strlen(mails[i].kind)) != 0)
        i++;
    /* the customer's language: French for fr and fr-*, else English */
    bool fr = strncmp(m->locale, "fr", 2) == 0 && (m->locale[2] == '\0' || m->locale[2] == '-');
    const mail_text *text = i < n ? (fr ? &mails_fr[i] : &mails[i]) : NULL;
    if (i == n || !m->email[0]) {
        if (i == n)
            souk_log_error("orders: no e-mail text for kind '%s'", kind);
        return SOUK_OK;
    }
    char ref[SOUK_ID_TEXT_MAX], total[64], subject[160], body[600], amount[48] = "?";
    souk__order_ref(m->order, ref);
    souk_money money = {m->total, ""};
    snprintf(money.currency, sizeof money.currency, "%s", m->currency);
    souk_money_format(&money, amount, sizeof amount);
    snprintf(total, sizeof total, "%s %s", amount, m->currency);
    snprintf(subject, sizeof subject, text->subject, ref);
    snprintf(body, sizeof body, text->text, ref, total);
    const char *why = NULL;
    if (souk_mail_check(m->email, subject, body, &why) != 0) { /* checkout checks, but say so and go on */
        souk_log_warn("orders: e-mail %s of %s not queued: %s", kind, ref, why ? why : "refused");
        return SOUK_OK;
    }
    return souk_store_dberr(souk_mail_enqueue_tx(db, m->user_id, m->email, subject, body));
}

/* The notifications due, oldest first (ties in key order, so that the
 * same rows come back whenever asked within one transaction). */
#define DUE_WHERE "WHERE n.sent_at IS NULL ORDER BY n.created_at, n.order_id, n.kind LIMIT $1"

int souk_orders_send_emails_tx(souk_store *db, int max)
{
    due_mail *due = calloc((size_t)(max > 0 ? max : 1), sizeof *due);
    if (!due)
        return SOUK_DB_HARD;
    /* read first, then write: no statement stays open while the outbox is
     * written; each notification comes with what its e-mail shows */
    souk_stmt *st =
        souk_store_query(db,
                         "SELECT n.order_id, n.kind, coalesce(o.user_id, 0), coalesce(o.total, 0), "
                         "coalesce(o.currency, ''), coalesce(o.email, ''), o.id IS NULL, coalesce(o.locale, '') "
                         "FROM order_notifications n LEFT JOIN orders o ON o.id = n.order_id " DUE_WHERE,
                         SOUK_ARGS(SOUK_I64(max)));
    int n = 0, r = SOUK_DB_DONE;
    while (n < max &&
           (r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&due[n].order), SOUK_COL_STR(due[n].kind),
                                             SOUK_COL_I64(&due[n].user_id), SOUK_COL_I64(&due[n].total),
                                             SOUK_COL_STR(due[n].currency), SOUK_COL_STR(due[n].email),
                                             SOUK_COL_BOOL(&due[n].gone), SOUK_COL_STR(due[n].locale)))) == SOUK_DB_ROW)
        n++;
    if (n == max) {
        souk_stmt_done(st);
        r = SOUK_DB_DONE;
    }
    for (int i = 0; i < n && r >= 0; i++) {
        souk_err e = render_mail(db, &due[i]);
        if (e)
            r = e == SOUK_E_UNAVAILABLE ? SOUK_DB_SOFT : SOUK_DB_HARD;
    }
    /* the same rows, marked sent in one statement */
    if (r >= 0 && n > 0)
        r = souk_store_exec(db,
                            "UPDATE order_notifications SET sent_at = $2 WHERE sent_at IS NULL "
                            "AND (order_id, kind) IN (SELECT n.order_id, n.kind FROM order_notifications n " DUE_WHERE
                            ")",
                            SOUK_ARGS(SOUK_I64(max), SOUK_I64(souk_time_now_us())));
    free(due);
    return r < 0 ? r : n;
}
