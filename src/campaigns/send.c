/*
 * send.c — sending a campaign: the campaigns.send job's work, and the mail.
 *
 * A send walks the audience's stored members in account order, a batch of
 * SOUK_CAMPAIGNS_SEND_BATCH per write transaction. For each member it reads
 * the consent *now* (the latest marketing consent record, through identity's
 * view campaign_customers), the account's status and the opt-out; only an
 * active account with consent given and no opt-out gets the mail. The
 * recipient row (campaign, user: the primary key), the mail in the outbox
 * and the campaign's cursor and counters commit together, so a crash or a
 * retried job neither mails anyone twice nor skips anyone: it resumes after
 * the cursor. The campaign is "sent" when a batch finds nobody left.
 */
#include "campaigns/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "mail/mail.h"
#include "core/banned.h"

const char *souk__campaigns_origin(void)
{
    const char *u = getenv("SOUK_PUBLIC_URL");
    if (!u || !u[0] || strlen(u) > 200 || strchr(u, '\n') || strchr(u, '\r'))
        return "http://localhost:8080";
    return u;
}

#define INTRO_MAX 2000 /* characters, as the API bounds it */
#define BODY_CAP (INTRO_MAX * 4 + 4096)

/* A campaign as the send reads it; texts sized for their API bounds in UTF-8 (4 bytes a character). */
typedef struct camp_row {
    int64_t id, audience, cursor;
    char status[16], name[100 * 4 + 1], subject[SOUK_MAIL_SUBJECT_MAX * 4 + 1], intro[INTRO_MAX * 4 + 1], code[260];
} camp_row;

typedef struct batch_ctx {
    int64_t campaign;
    int64_t sent, skipped;
    bool finished;
} batch_ctx;

/* The mail of campaign C to USER into BODY. 0, or an error class. */
static int body_of(souk_store *db, const camp_row *c, int64_t user, char *body, size_t cap)
{
    char unsub[SOUK_CAMPAIGNS_UNSUB_MAX];
    if (souk_campaigns_unsub_token(db, c->id, user, unsub))
        return SOUK_DB_HARD;
    const char *origin = souk__campaigns_origin();
    char offer[400] = "";
    if (c->code[0])
        snprintf(offer, sizeof offer, "Your code: %s (enter it in your cart; it is for your account only).\n\n",
                 c->code);
    int n = snprintf(body, cap,
                     "Hello,\n\n%s\n\n%sShop now: %s/\n\n"
                     "You get this because you agreed to e-mail offers. To stop these e-mails, open:\n"
                     "%s/campaigns/unsubscribe?t=%s\n",
                     c->intro, offer, origin, origin, unsub);
    return n < 0 || (size_t)n >= cap ? 1 : 0;
}

static souk_err batch_body(souk_store *db, void *arg)
{
    batch_ctx *b = arg;
    b->sent = b->skipped = 0;
    b->finished = false;
    camp_row c = {0};
    int r = souk_store_one(db,
                           "SELECT id, audience_id, send_cursor, status, name, subject, intro, COALESCE(code, '') "
                           "FROM campaigns WHERE id = $1",
                           SOUK_ARGS(SOUK_I64(b->campaign)),
                           SOUK_COLS(SOUK_COL_I64(&c.id), SOUK_COL_I64(&c.audience), SOUK_COL_I64(&c.cursor),
                                     SOUK_COL_STR(c.status), SOUK_COL_STR(c.name), SOUK_COL_STR(c.subject),
                                     SOUK_COL_STR(c.intro), SOUK_COL_STR(c.code)));
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_DONE || strcmp(c.status, "sending") != 0) {
        b->finished = true; /* deleted, or sent already (a replayed job): nothing to do */
        return SOUK_OK;
    }
    typedef struct member {
        int64_t user, marketing, optout;
        char email[SOUK_MAIL_TO_MAX + 1], status[16];
    } member;
    member *m = calloc(SOUK_CAMPAIGNS_SEND_BATCH, sizeof *m);
    if (!m)
        return SOUK_E_INTERNAL;
    int n = 0;
    souk_stmt *st = souk_store_query(
        db,
        "SELECT m.user_id, COALESCE(cu.email, ''), COALESCE(cu.status, ''), COALESCE(cu.marketing, 0), "
        "CASE WHEN o.user_id IS NULL THEN 0 ELSE 1 END FROM campaign_audience_members m "
        "LEFT JOIN campaign_customers cu ON cu.user_id = m.user_id LEFT JOIN campaign_optouts o ON o.user_id = m.user_id "
        "WHERE m.audience_id = $1 AND m.user_id > $2 ORDER BY m.user_id LIMIT $3",
        SOUK_ARGS(SOUK_I64(c.audience), SOUK_I64(c.cursor), SOUK_I64(SOUK_CAMPAIGNS_SEND_BATCH)));
    while (
        n < SOUK_CAMPAIGNS_SEND_BATCH &&
        (r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&m[n].user), SOUK_COL_STR(m[n].email), SOUK_COL_STR(m[n].status),
                                          SOUK_COL_I64(&m[n].marketing), SOUK_COL_I64(&m[n].optout)))) == SOUK_DB_ROW)
        n++;
    if (n == SOUK_CAMPAIGNS_SEND_BATCH)
        souk_stmt_done(st);
    else if (r < 0) {
        free(m);
        return souk_store_dberr(r);
    }
    int64_t now = souk_time_now_us(), cursor = c.cursor;
    char *body = malloc(BODY_CAP);
    souk_err e = body ? SOUK_OK : SOUK_E_INTERNAL;
    for (int i = 0; i < n && !e; i++) {
        cursor = m[i].user;
        if (!m[i].email[0] || strcmp(m[i].status, "active") != 0 || !m[i].marketing || m[i].optout) {
            b->skipped++;
            continue;
        }
        int64_t claimed = souk_store_update(db,
                                            "INSERT INTO campaign_recipients (campaign_id, user_id, sent_at) "
                                            "VALUES ($1, $2, $3) ON CONFLICT (campaign_id, user_id) DO NOTHING",
                                            SOUK_ARGS(SOUK_I64(c.id), SOUK_I64(m[i].user), SOUK_I64(now)));
        if (claimed < 0) {
            e = souk_store_dberr((int)claimed);
            break;
        }
        if (claimed == 0)
            continue; /* mailed already */
        const char *why = NULL;
        r = body_of(db, &c, m[i].user, body, BODY_CAP);
        if (r < 0) {
            e = souk_store_dberr(r);
            break;
        }
        if (r > 0 || souk_mail_check(m[i].email, c.subject, body, &why) != 0) {
            souk_log_warn("campaigns: campaign %lld not sent to %lld: %s", (long long)c.id, (long long)m[i].user,
                          why ? why : "the text is too long");
            e = souk_store_dberr(
                souk_store_exec(db, "DELETE FROM campaign_recipients WHERE campaign_id = $1 AND user_id = $2",
                                SOUK_ARGS(SOUK_I64(c.id), SOUK_I64(m[i].user))));
            b->skipped++;
            continue;
        }
        r = souk_mail_enqueue_tx(db, m[i].user, m[i].email, c.subject, body);
        if (r < 0) {
            e = r == -1 ? SOUK_E_INTERNAL : souk_store_dberr(r);
            break;
        }
        b->sent++;
    }
    free(body);
    free(m);
    if (e)
        return e;
    b->finished = n < SOUK_CAMPAIGNS_SEND_BATCH;
    r = souk_store_exec(db,
                        "UPDATE campaigns SET send_cursor = $2, sent_count = sent_count + $3, "
                        "skipped_count = skipped_count + $4, status = CASE WHEN $5 = 1 THEN 'sent' ELSE status END, "
                        "sent_at = CASE WHEN $5 = 1 THEN $6 ELSE sent_at END, updated_at = $6 WHERE id = $1",
                        SOUK_ARGS(SOUK_I64(c.id), SOUK_I64(cursor), SOUK_I64(b->sent), SOUK_I64(b->skipped),
                                  SOUK_I64(b->finished ? 1 : 0), SOUK_I64(now)));
    return souk_store_dberr(r);
}

int64_t souk_campaigns_send(souk_store *db, int64_t campaign)
{
    int64_t total = 0;
    for (;;) {
        if (souk_job_keep_alive(db) == SOUK_JOB_LEASE_LOST)
            return SOUK_DB_HARD; /* another worker has the job now: it resumes after the cursor */
        batch_ctx b = {.campaign = campaign};
        souk_err e = souk_store_run(db, batch_body, &b, NULL);
        if (e)
            return e == SOUK_E_UNAVAILABLE ? SOUK_DB_SOFT : SOUK_DB_HARD;
        total += b.sent;
        if (b.finished)
            return total;
    }
}
