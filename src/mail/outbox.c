/*
 * outbox.c — the mail_outbox table: validation, enqueue, claim/record of
 * deliveries, GDPR erasure, configuration from the environment.
 *
 * State machine of a row: pending → sent, or pending → (retries) → failed.
 * A delivery first *claims* a due row by moving its next_attempt_at two
 * minutes ahead (the lease) in a short write transaction; the outcome is then
 * written only if the row still carries that lease, so two processes polling
 * one database never both record (or, within the lease, both send) a message,
 * and a process that dies mid-send leaves the row to be retried when the
 * lease runs out. Delivery is therefore at-least-once.
 */
#include "mail/mail.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "core/banned.h"

#define LEASE_US (INT64_C(120) * 1000000) /* longer than connect + transfer timeouts */
#define BACKOFF_BASE_US (INT64_C(30) * 1000000)
#define BACKOFF_CAP_US (INT64_C(3600) * 1000000)
#define ERROR_MAX 500 /* bytes of last_error kept */

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
static int utf8_ok(const unsigned char *s, size_t len)
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
        if (!w && !utf8_ok((const unsigned char *)subject, sl))
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
        else if (!utf8_ok((const unsigned char *)body, bl))
            w = "body is not valid UTF-8";
    }
    if (why)
        *why = w;
    return w ? -1 : 0;
}

int souk_mail_enqueue_tx(souk_store *db, int64_t user_id, const char *to, const char *subject, const char *body)
{
    const char *why;
    if (user_id < 0 || souk_mail_check(to, subject, body, &why) < 0) {
        souk_log_warn("mail: message not queued: %s", user_id < 0 ? "bad user id" : why);
        return -1;
    }
    souk_stmt *st = souk_store_stmt(db, "INSERT INTO mail_outbox (id, user_id, to_addr, subject, body, "
                                        "next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $6)");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, souk_id_next());
    if (user_id)
        souk_stmt_bind_i64(st, 2, user_id);
    else
        souk_stmt_bind_null(st, 2);
    souk_stmt_bind_text(st, 3, to, SIZE_MAX);
    souk_stmt_bind_text(st, 4, subject, SIZE_MAX);
    souk_stmt_bind_text(st, 5, body, SIZE_MAX);
    souk_stmt_bind_i64(st, 6, souk_time_now_us());
    int r = souk_stmt_exec(st);
    return r < 0 ? r : 0;
}

int souk_mail_erase_tx(souk_store *db, int64_t user_id, const char *email)
{
    bool by_user = user_id > 0, by_email = email && *email;
    if (!by_user && !by_email)
        return 0;
    souk_stmt *st = souk_store_stmt(db, by_user && by_email ? "DELETE FROM mail_outbox WHERE user_id = $1 OR "
                                                              "lower(to_addr) = lower($2)"
                                        : by_user ? "DELETE FROM mail_outbox WHERE user_id = $1"
                                                  : "DELETE FROM mail_outbox WHERE lower(to_addr) = lower($1)");
    if (!st)
        return SOUK_DB_HARD;
    if (by_user)
        souk_stmt_bind_i64(st, 1, user_id);
    if (by_email)
        souk_stmt_bind_text(st, by_user ? 2 : 1, email, SIZE_MAX);
    int r = souk_stmt_exec(st);
    return r < 0 ? r : 0;
}

void souk_mail_config_from_env(souk_mail_config *c)
{
    const char *v;
    memset(c, 0, sizeof *c);
    c->smtp_url = (v = getenv("SOUK_SMTP_URL")) && *v ? v : NULL;
    c->from = (v = getenv("SOUK_MAIL_FROM")) && *v ? v : "souk <no-reply@localhost>";
    c->username = (v = getenv("SOUK_SMTP_USER")) && *v ? v : NULL;
    c->password = (v = getenv("SOUK_SMTP_PASSWORD")) && *v ? v : NULL;
    c->max_attempts = SOUK_MAIL_MAX_ATTEMPTS;
}

int souk__mail_parse_from(const char *from, const char **addr, size_t *len, const char **name, size_t *nlen)
{
    if (!from)
        return -1;
    size_t fl = strlen(from);
    if (fl > 512 || !utf8_ok((const unsigned char *)from, fl))
        return -1;
    for (size_t i = 0; i < fl; i++)
        if ((unsigned char)from[i] < 0x20 || from[i] == 0x7F)
            return -1;
    const char *lt = strchr(from, '<');
    if (!lt) {
        *addr = from, *len = fl, *name = from, *nlen = 0;
    } else {
        const char *gt = strchr(lt, '>');
        if (!gt || gt[1] || strchr(gt + 1, '<'))
            return -1;
        *addr = lt + 1, *len = (size_t)(gt - lt - 1);
        const char *e = lt;
        while (e > from && e[-1] == ' ')
            e--;
        *name = from, *nlen = (size_t)(e - from);
        if (memchr(from, '>', *nlen))
            return -1;
    }
    return souk__mail_addr_ok(*addr, *len) ? 0 : -1;
}

int souk_mail_config_check(const souk_mail_config *c, const char **why)
{
    const char *w = NULL, *a, *n;
    size_t al, nl;
    if (!c)
        w = "no configuration";
    else if (c->smtp_url && *c->smtp_url && strncmp(c->smtp_url, "smtp://", 7) != 0 &&
             strncmp(c->smtp_url, "smtps://", 8) != 0)
        w = "SOUK_SMTP_URL must start with smtp:// or smtps://";
    else if (souk__mail_parse_from(c->from, &a, &al, &n, &nl) < 0)
        w = "SOUK_MAIL_FROM must be \"Name <address>\" or \"address\"";
    else if ((c->username && strpbrk(c->username, "\r\n")) || (c->password && strpbrk(c->password, "\r\n")))
        w = "SMTP credentials must not contain CR or LF";
    if (why)
        *why = w;
    return w ? -1 : 0;
}

void souk__mail_row_release(souk__mail_row *r)
{
    free(r->to);
    free(r->subject);
    free(r->body);
    memset(r, 0, sizeof *r);
}

typedef struct claim_ctx {
    int64_t now;
    souk__mail_row *row;
} claim_ctx;

static int claim_fn(souk_store *db, void *vctx)
{
    claim_ctx *cx = vctx;
    souk__mail_row_release(cx->row);
    souk_stmt *st = souk_store_stmt(db, "SELECT id, attempts, to_addr, subject, body FROM mail_outbox "
                                        "WHERE status = 'pending' AND next_attempt_at <= $1 "
                                        "ORDER BY next_attempt_at, id LIMIT 1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, cx->now);
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r;
    souk__mail_row *w = cx->row;
    w->id = souk_stmt_i64(st, 0);
    w->attempts = souk_stmt_i64(st, 1);
    w->to = souk_stmt_strdup(st, 2);
    w->subject = souk_stmt_strdup(st, 3);
    w->body = souk_stmt_strdup(st, 4);
    souk_stmt_done(st);
    if (!w->to || !w->subject || !w->body) {
        souk__mail_row_release(w);
        return SOUK_DB_HARD;
    }
    w->lease = cx->now + LEASE_US;
    st = souk_store_stmt(db, "UPDATE mail_outbox SET next_attempt_at = $2 WHERE id = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, w->id);
    souk_stmt_bind_i64(st, 2, w->lease);
    r = souk_stmt_exec(st);
    return r < 0 ? r : 1;
}

int souk__mail_claim(souk_store *db, int64_t now, souk__mail_row *row)
{
    memset(row, 0, sizeof *row);
    /* a plain read first, so an idle poll never takes the write lock */
    souk_stmt *st = souk_store_stmt(db, "SELECT 1 FROM mail_outbox WHERE status = 'pending' AND "
                                        "next_attempt_at <= $1 LIMIT 1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, now);
    int r = souk_stmt_step(st);
    souk_stmt_done(st);
    if (r != SOUK_DB_ROW)
        return r;
    claim_ctx cx = {now, row};
    r = souk_store_tx(db, claim_fn, &cx);
    if (r != 1)
        souk__mail_row_release(row);
    return r;
}

int64_t souk__mail_backoff_us(int64_t attempts)
{
    int64_t d = BACKOFF_BASE_US;
    for (int64_t i = 0; i < attempts && d < BACKOFF_CAP_US; i++)
        d *= 2;
    if (d > BACKOFF_CAP_US)
        d = BACKOFF_CAP_US;
    /* "equal jitter": half fixed, half random, so retries of many messages spread out */
    int64_t half = d / 2;
    uint64_t r;
    randombytes_buf(&r, sizeof r);
    return half + (int64_t)(r % (uint64_t)(half + 1));
}

typedef struct record_ctx {
    const souk__mail_row *row;
    souk__mail_outcome outcome;
    const char *error;
    int max_attempts;
} record_ctx;

static int record_fn(souk_store *db, void *vctx)
{
    record_ctx *cx = vctx;
    const souk__mail_row *w = cx->row;
    int64_t now = souk_time_now_us();
    souk_stmt *st;
    if (cx->outcome == SOUK__MAIL_SENT) {
        st = souk_store_stmt(db, "UPDATE mail_outbox SET status = 'sent', sent_at = $3, attempts = attempts + 1, "
                                 "last_error = '' WHERE id = $1 AND status = 'pending' AND next_attempt_at = $2");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 3, now);
    } else if (cx->outcome == SOUK__MAIL_INTERRUPTED) {
        st = souk_store_stmt(db, "UPDATE mail_outbox SET next_attempt_at = $3, last_error = $4 "
                                 "WHERE id = $1 AND status = 'pending' AND next_attempt_at = $2");
        if (!st)
            return SOUK_DB_HARD;
        souk_stmt_bind_i64(st, 3, now);
        souk_stmt_bind_text(st, 4, "interrupted by shutdown; will retry", SIZE_MAX);
    } else {
        int max = cx->max_attempts > 0 ? cx->max_attempts : SOUK_MAIL_MAX_ATTEMPTS;
        bool last = w->attempts + 1 >= max;
        st = souk_store_stmt(db, "UPDATE mail_outbox SET status = $3, attempts = attempts + 1, last_error = $4, "
                                 "next_attempt_at = $5 WHERE id = $1 AND status = 'pending' AND next_attempt_at = $2");
        if (!st)
            return SOUK_DB_HARD;
        size_t el = strlen(cx->error ? cx->error : "");
        if (el > ERROR_MAX) { /* cut at a character boundary */
            el = ERROR_MAX;
            while (el > 0 && ((unsigned char)cx->error[el] & 0xC0) == 0x80)
                el--;
        }
        souk_stmt_bind_text(st, 3, last ? "failed" : "pending", SIZE_MAX);
        souk_stmt_bind_text(st, 4, cx->error ? cx->error : "", el);
        souk_stmt_bind_i64(st, 5, last ? now : now + souk__mail_backoff_us(w->attempts));
    }
    souk_stmt_bind_i64(st, 1, w->id);
    souk_stmt_bind_i64(st, 2, w->lease);
    int r = souk_stmt_exec(st);
    return r < 0 ? r : 0;
}

int souk__mail_record(souk_store *db, const souk__mail_row *row, souk__mail_outcome outcome, const char *error,
                      int max_attempts)
{
    record_ctx cx = {row, outcome, error, max_attempts};
    return souk_store_tx(db, record_fn, &cx);
}
