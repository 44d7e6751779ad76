/*
 * outbox.c — the mail_outbox table: validation, enqueue (with its delivery
 * job), GDPR erasure, and handing pending messages to the job queue.
 *
 * A row is the record of one message: pending → sent, or pending →
 * (retries) → failed. The job queue does the claiming, retrying and
 * dead-lettering (deliver.c); the row shows what came of it. A message and
 * its delivery job are written in the caller's transaction, so both exist
 * exactly when the change the mail is about committed.
 */
#include "mail/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "core/banned.h"

#define REQUEUE_BATCH 200

int souk__mail_utf8_ok(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, min = 0x10000, c &= 0x07;
        } else {
            return 0;
        }
        if (len - i <= n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            c = (c << 6) | (s[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

int souk__mail_addr_ok(const char *addr, size_t len)
{
    if (len < 3 || len > SOUK_MAIL_TO_MAX)
        return 0;
    const char *at = NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)addr[i];
        if (c <= 0x20 || c >= 0x7F || strchr("<>()[],;:\\\"", c))
            return 0; /* controls (CR, LF, NUL), space, non-ASCII, specials */
        if (c == '@') {
            if (at)
                return 0;
            at = addr + i;
        }
    }
    if (!at)
        return 0;
    size_t local = (size_t)(at - addr), dlen = len - local - 1;
    if (local == 0 || local > 64 || dlen == 0)
        return 0;
    const char *d = at + 1;
    if (d[0] == '.' || d[dlen - 1] == '.' || memmem(d, dlen, "..", 2))
        return 0;
    return 1;
}

int souk_mail_check(const char *to, const char *subject, const char *body, const char **why)
{
    const char *w = NULL;
    if (!to || !souk__mail_addr_ok(to, strlen(to))) {
        w = "to is not a valid address";
    } else if (!subject) {
        w = "subject is missing";
    } else {
        size_t sl = strlen(subject), chars = 0;
        for (size_t i = 0; i < sl && !w; i++) {
            unsigned char c = (unsigned char)subject[i];
            if ((c < 0x20 && c != '\t') || c == 0x7F)
                w = "subject must not contain control characters";
            if ((c & 0xC0) != 0x80)
                chars++;
        }
        if (!w && !souk__mail_utf8_ok((const unsigned char *)subject, sl))
            w = "subject is not valid UTF-8";
        else if (!w && chars > SOUK_MAIL_SUBJECT_MAX)
            w = "subject is longer than 200 characters";
    }
    if (!w) {
        size_t bl = body ? strlen(body) : 0;
        if (!body)
            w = "body is missing";
        else if (bl > SOUK_MAIL_BODY_MAX)
            w = "body is larger than 64 KiB";
        else if (!souk__mail_utf8_ok((const unsigned char *)body, bl))
            w = "body is not valid UTF-8";
    }
    if (why)
        *why = w;
    return w ? -1 : 0;
}

/* Enqueues the delivery job of message ID, due at RUN_AT_US (0 = now), inside the caller's
 * transaction. 0 (queued), 1 (one is queued or running already) or a negative status. */
static int enqueue_delivery(souk_store *db, int64_t id, int64_t run_at_us)
{
    char idbuf[SOUK_ID_TEXT_MAX], key[SOUK_ID_TEXT_MAX + 16];
    souk_id_format(SOUK_PREFIX_MAIL, id, idbuf);
    snprintf(key, sizeof key, SOUK_MAIL_JOB "@%s", idbuf);
    return souk_job_enqueue_tx(db, SOUK_MAIL_JOB, json_pack("{s:s}", "mail_id", idbuf), run_at_us, key);
}

int souk_mail_enqueue_tx(souk_store *db, int64_t user_id, const char *to, const char *subject, const char *body)
{
    const char *why;
    if (user_id < 0 || souk_mail_check(to, subject, body, &why) < 0) {
        souk_log_warn("mail: message not queued: %s", user_id < 0 ? "bad user id" : why);
        return -1;
    }
    int64_t id = souk_id_next();
    int r = souk_store_exec(db,
                            "INSERT INTO mail_outbox (id, user_id, to_addr, subject, body, next_attempt_at, "
                            "created_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                            SOUK_ARGS(SOUK_I64(id), SOUK_REF(user_id), SOUK_TEXT(to), SOUK_TEXT(subject),
                                      SOUK_TEXT(body), SOUK_I64(souk_time_now_us())));
    if (r >= 0 && souk_mail_delivers())
        r = enqueue_delivery(db, id, 0);
    return r < 0 ? r : 0;
}

int souk_mail_erase_tx(souk_store *db, int64_t user_id, const char *email)
{
    bool by_user = user_id > 0, by_email = email && *email;
    if (!by_user && !by_email)
        return 0;
    /* the delivery jobs of erased rows find nothing and end as done: their payload is only the id */
    int r = by_user && by_email
                ? souk_store_exec(db, "DELETE FROM mail_outbox WHERE user_id = $1 OR lower(to_addr) = lower($2)",
                                  SOUK_ARGS(SOUK_I64(user_id), SOUK_TEXT(email)))
            : by_user ? souk_store_exec(db, "DELETE FROM mail_outbox WHERE user_id = $1", SOUK_ARGS(SOUK_I64(user_id)))
                      : souk_store_exec(db, "DELETE FROM mail_outbox WHERE lower(to_addr) = lower($1)",
                                        SOUK_ARGS(SOUK_TEXT(email)));
    return r < 0 ? r : 0;
}

/* ---- pending messages to the job queue -------------------------------------- */

typedef struct requeue_ctx {
    int64_t ids[REQUEUE_BATCH], due[REQUEUE_BATCH];
    int n, enqueued;
} requeue_ctx;

static int requeue_fn(souk_store *db, void *vctx)
{
    requeue_ctx *cx = vctx;
    int64_t now = souk_time_now_us();
    cx->enqueued = 0;
    for (int i = 0; i < cx->n; i++) {
        int r = enqueue_delivery(db, cx->ids[i], cx->due[i] > now ? cx->due[i] : 0);
        if (r < 0)
            return r;
        cx->enqueued += r == 0;
    }
    return 0;
}

int souk_mail_requeue(souk_store *db)
{
    if (!souk_mail_delivers())
        return 0;
    int total = 0, r = SOUK_DB_DONE;
    int64_t after = 0;
    requeue_ctx *cx = malloc(sizeof *cx);
    if (!cx)
        return SOUK_DB_HARD;
    do {
        cx->n = 0;
        souk_stmt *st = souk_store_query(db,
                                         "SELECT id, next_attempt_at FROM mail_outbox WHERE status = 'pending' "
                                         "AND id > $1 ORDER BY id LIMIT $2",
                                         SOUK_ARGS(SOUK_I64(after), SOUK_I64(REQUEUE_BATCH)));
        while (cx->n < REQUEUE_BATCH &&
               (r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&cx->ids[cx->n]), SOUK_COL_I64(&cx->due[cx->n])))) ==
                   SOUK_DB_ROW)
            cx->n++;
        if (cx->n == REQUEUE_BATCH)
            souk_stmt_done(st), r = SOUK_DB_DONE;
        if (r < 0 || cx->n == 0)
            break;
        after = cx->ids[cx->n - 1];
        if ((r = souk_store_tx(db, requeue_fn, cx)) < 0)
            break;
        total += cx->enqueued;
    } while (cx->n == REQUEUE_BATCH);
    free(cx);
    if (r < 0)
        return r;
    if (total > 0)
        souk_log_info("mail: %d pending message%s handed to the job queue", total, total == 1 ? "" : "s");
    return total;
}
