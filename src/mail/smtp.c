/*
 * smtp.c — delivery of the outbox through an SMTP relay with libcurl, and
 * the background worker that drives it.
 *
 * One delivery: claim a due row (short transaction, see outbox.c), format it
 * as an RFC 5322 message, hand it to the relay with libcurl outside any
 * transaction, record the outcome (another short transaction). The worker
 * owns its own database connection and a condition variable it sleeps on
 * between polls; souk_mail_worker_kick() wakes it early (after a commit that
 * queued mail), souk_mail_worker_stop() wakes it, aborts a transfer in
 * progress through curl's progress callback, and joins.
 *
 * Message format: CRLF line endings everywhere; the body is sent 8bit unless
 * a line exceeds the 998-octet limit of RFC 5322, then quoted-printable; a
 * subject or display name with non-ASCII characters becomes RFC 2047
 * encoded-words. Lines starting with '.' are dot-stuffed by libcurl itself.
 */
#include "mail/mail.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "core/banned.h"

#define MSG_MAX (512 * 1024)   /* a 64 KiB body is at most ~3x that as quoted-printable */
#define LINE_MAX_OCTETS 998    /* RFC 5322 2.1.1 */
#define CONNECT_TIMEOUT_MS 10000L
#define TRANSFER_TIMEOUT_MS 30000L
#define WORKER_BATCH 50

/* ---- message formatting ------------------------------------------------ */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void add_base64(souk_buf *out, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        souk_buf_addc(out, b64[v >> 18 & 63]);
        souk_buf_addc(out, b64[v >> 12 & 63]);
        souk_buf_addc(out, i + 1 < n ? b64[v >> 6 & 63] : '=');
        souk_buf_addc(out, i + 2 < n ? b64[v & 63] : '=');
    }
}

/* True when S can go into a header as is: printable ASCII (and TAB), and no
 * "=?" that a reader could take for the start of an encoded-word. */
static int header_plain(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c >= 0x7F || (c == '=' && i + 1 < n && s[i + 1] == '?'))
            return 0;
    }
    return 1;
}

/* Appends S as header text: plain when possible, else RFC 2047 B encoded-words of at most
 * 45 octets each (60 base64 characters + 12 = 72 ≤ 75), split on UTF-8 boundaries and
 * folded onto continuation lines. */
static void add_header_text(souk_buf *out, const char *s, size_t n)
{
    if (header_plain(s, n)) {
        souk_buf_add(out, s, n);
        return;
    }
    size_t i = 0;
    while (i < n) {
        size_t end = i + 45 < n ? i + 45 : n;
        while (end < n && end > i && ((unsigned char)s[end] & 0xC0) == 0x80)
            end--; /* do not split a character */
        if (end == i)
            end = i + 1;
        if (i)
            souk_buf_adds(out, "\r\n ");
        souk_buf_adds(out, "=?UTF-8?B?");
        add_base64(out, (const unsigned char *)s + i, end - i);
        souk_buf_adds(out, "?=");
        i = end;
    }
}

/* "Thu, 15 Jan 2026 10:30:00 +0000" — by hand, so no locale can change the names. */
static void add_date(souk_buf *out, int64_t us)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        souk_buf_adds(out, "Thu, 01 Jan 1970 00:00:00 +0000");
        return;
    }
    souk_buf_printf(out, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
                    months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Length of the line break at S[I] (CRLF, CR or LF), 0 when none. */
static size_t eol_at(const char *s, size_t n, size_t i)
{
    if (s[i] == '\r')
        return i + 1 < n && s[i + 1] == '\n' ? 2 : 1;
    return s[i] == '\n' ? 1 : 0;
}

static size_t longest_line(const char *s, size_t n)
{
    size_t best = 0, cur = 0;
    for (size_t i = 0; i < n;) {
        size_t e = eol_at(s, n, i);
        if (e) {
            cur = 0;
            i += e;
        } else {
            if (++cur > best)
                best = cur;
            i++;
        }
    }
    return best;
}

/* The body as 8bit with CRLF line endings, ending with CRLF. */
static void add_body_8bit(souk_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t e = eol_at(s, n, i), j = i;
        if (e) {
            souk_buf_adds(out, "\r\n");
            i += e;
            continue;
        }
        while (j < n && s[j] != '\r' && s[j] != '\n')
            j++;
        souk_buf_add(out, s + i, j - i);
        i = j;
    }
    if (n && s[n - 1] != '\n' && s[n - 1] != '\r')
        souk_buf_adds(out, "\r\n");
}

/* The body as quoted-printable (RFC 2045 6.7): lines of at most 76 characters with soft
 * breaks, '=' and non-ASCII as =XX, whitespace before a line break encoded. */
static void add_body_qp(souk_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;
    for (size_t i = 0; i < n;) {
        size_t e = eol_at(s, n, i);
        if (e) {
            souk_buf_adds(out, "\r\n");
            col = 0;
            i += e;
            continue;
        }
        unsigned char c = (unsigned char)s[i];
        bool line_end = i + 1 == n || eol_at(s, n, i + 1);
        char tok[3];
        size_t tl;
        if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !line_end)) {
            tok[0] = (char)c, tl = 1;
        } else {
            tok[0] = '=', tok[1] = hex[c >> 4], tok[2] = hex[c & 15], tl = 3;
        }
        if (col + tl > 75) {
            souk_buf_adds(out, "=\r\n");
            col = 0;
        }
        souk_buf_add(out, tok, tl);
        col += tl;
        i++;
    }
    if (n && s[n - 1] != '\n' && s[n - 1] != '\r')
        souk_buf_adds(out, "\r\n");
}

int souk__mail_format(souk_buf *out, const souk__mail_row *row, const char *from, int64_t now_us)
{
    const char *addr, *name;
    size_t alen, nlen;
    if (souk__mail_parse_from(from, &addr, &alen, &name, &nlen) < 0)
        return -1;
    const char *at = memchr(addr, '@', alen);
    char idbuf[SOUK_ID_TEXT_MAX];
    size_t blen = strlen(row->body);
    bool qp = longest_line(row->body, blen) > LINE_MAX_OCTETS;

    souk_buf_reset(out);
    souk_buf_adds(out, "Date: ");
    add_date(out, now_us);
    souk_buf_adds(out, "\r\nFrom: ");
    if (nlen) {
        add_header_text(out, name, nlen);
        souk_buf_adds(out, " ");
    }
    souk_buf_addc(out, '<');
    souk_buf_add(out, addr, alen);
    souk_buf_printf(out, ">\r\nTo: <%s>\r\nSubject: ", row->to);
    add_header_text(out, row->subject, strlen(row->subject));
    souk_buf_printf(out, "\r\nMessage-ID: <%s@", souk_id_format(SOUK_PREFIX_MAIL, row->id, idbuf));
    souk_buf_add(out, at + 1, alen - (size_t)(at + 1 - addr));
    souk_buf_adds(out, ">\r\nMIME-Version: 1.0\r\n"
                       "Content-Type: text/plain; charset=utf-8\r\n");
    souk_buf_adds(out, qp ? "Content-Transfer-Encoding: quoted-printable\r\n"
                          : "Content-Transfer-Encoding: 8bit\r\n");
    souk_buf_adds(out, "Auto-Submitted: auto-generated\r\n\r\n");
    if (qp)
        add_body_qp(out, row->body, blen);
    else
        add_body_8bit(out, row->body, blen);
    return souk_buf_failed(out) ? -1 : 0;
}

/* ---- libcurl ------------------------------------------------------------ */

static atomic_int g_stopping;

int souk__mail_stopping(void)
{
    return atomic_load(&g_stopping);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void curl_init(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct upload {
    const char *data;
    size_t len, off;
} upload;

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    upload *u = ud;
    size_t room = size * nitems, left = u->len - u->off;
    size_t n = left < room ? left : room;
    memcpy(buf, u->data + u->off, n);
    u->off += n;
    return n;
}

static int progress_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)ud, (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return souk__mail_stopping() ? 1 : 0;
}

/* Sends MSG to ROW->to. 0 = accepted by the relay, 1 = aborted by a stop, -1 = failed with
 * a description in ERR. */
static int send_one(CURL *h, const souk_mail_config *c, const char *env_from, const souk__mail_row *row,
                    const souk_buf *msg, char *err, size_t errlen)
{
    char curl_err[CURL_ERROR_SIZE] = "";
    char rcpt[SOUK_MAIL_TO_MAX + 3];
    snprintf(rcpt, sizeof rcpt, "<%s>", row->to);
    struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
    if (!rcpts) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    upload u = {msg->data, msg->len, 0};
    bool smtps = strncmp(c->smtp_url, "smtps://", 8) == 0;
    bool auth = c->username && *c->username;

    curl_easy_reset(h); /* keeps the connection cache: several messages share one session */
    curl_easy_setopt(h, CURLOPT_URL, c->smtp_url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
    /* smtps: implicit TLS, verified. smtp with a password: STARTTLS is required, so the
     * credentials never cross the network in clear. smtp without: STARTTLS when offered. */
    curl_easy_setopt(h, CURLOPT_USE_SSL, (long)(smtps || auth ? CURLUSESSL_ALL : CURLUSESSL_TRY));
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (auth) {
        curl_easy_setopt(h, CURLOPT_USERNAME, c->username);
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->password ? c->password : "");
    }
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, env_from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, &u);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->len);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, TRANSFER_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_cb);

    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, NULL);
    curl_slist_free_all(rcpts);
    if (rc == CURLE_OK)
        return 0;
    if (rc == CURLE_ABORTED_BY_CALLBACK && souk__mail_stopping())
        return 1;
    snprintf(err, errlen, "%s%s%s (curl %d, last SMTP reply %ld)", curl_easy_strerror(rc), curl_err[0] ? ": " : "",
             curl_err, (int)rc, code);
    return -1;
}

int souk_mail_deliver_due(souk_store *db, const souk_mail_config *c, int max)
{
    if (!c || !c->smtp_url || !*c->smtp_url || max <= 0)
        return 0;
    const char *why, *addr, *name;
    size_t alen, nlen;
    if (souk_mail_config_check(c, &why) < 0 || souk__mail_parse_from(c->from, &addr, &alen, &name, &nlen) < 0) {
        souk_log_error("mail: not delivering: %s", why ? why : "bad From");
        return 0;
    }
    char env_from[SOUK_MAIL_TO_MAX + 3];
    snprintf(env_from, sizeof env_from, "<%.*s>", (int)alen, addr);
    if (sodium_init() < 0)
        return 0;
    pthread_once(&curl_once, curl_init);
    if (curl_init_result != CURLE_OK) {
        souk_log_error("mail: curl_global_init failed: %s", curl_easy_strerror(curl_init_result));
        return 0;
    }
    CURL *h = curl_easy_init();
    if (!h) {
        souk_log_error("mail: curl_easy_init failed");
        return 0;
    }
    souk_buf msg;
    souk_buf_init(&msg, MSG_MAX);
    int delivered = 0, ret = 0;
    for (int i = 0; i < max && !souk__mail_stopping(); i++) {
        souk__mail_row row;
        int r = souk__mail_claim(db, souk_time_now_us(), &row);
        if (r <= 0) {
            if (r < 0)
                ret = r;
            break;
        }
        char err[600] = "";
        char idbuf[SOUK_ID_TEXT_MAX];
        souk_id_format(SOUK_PREFIX_MAIL, row.id, idbuf);
        int sent;
        if (souk__mail_format(&msg, &row, c->from, souk_time_now_us()) < 0) {
            snprintf(err, sizeof err, "could not format the message");
            sent = -1;
        } else {
            sent = send_one(h, c, env_from, &row, &msg, err, sizeof err);
        }
        souk__mail_outcome oc = sent == 0 ? SOUK__MAIL_SENT : sent == 1 ? SOUK__MAIL_INTERRUPTED : SOUK__MAIL_FAILED;
        if (sent < 0) /* the id only: addresses and bodies are personal data, logs are not the place */
            souk_log(SOUK_LOG_WARN, NULL, NULL, json_pack("{s:s,s:I}", "mail_id", idbuf, "attempt",
                                                          (json_int_t)(row.attempts + 1)),
                     "mail: delivery failed: %s", err);
        r = souk__mail_record(db, &row, oc, err, c->max_attempts);
        souk__mail_row_release(&row);
        if (r < 0) {
            ret = r;
            break;
        }
        if (sent == 0)
            delivered++;
    }
    souk_buf_release(&msg);
    curl_easy_cleanup(h);
    return ret < 0 ? ret : delivered;
}

/* ---- worker ------------------------------------------------------------- */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool cv_ready, running, stop, kicked;
    pthread_t thread;
    souk_store *db;
    souk_mail_config cfg;
    char *strs[4]; /* owned copies behind cfg */
    int interval_ms;
} W = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void *worker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&W.mu);
    while (!W.stop) {
        W.kicked = false;
        pthread_mutex_unlock(&W.mu);
        int n;
        do
            n = souk_mail_deliver_due(W.db, &W.cfg, WORKER_BATCH);
        while (n == WORKER_BATCH && !souk__mail_stopping());
        if (n < 0)
            souk_log_error("mail: outbox database error %d: %s", n, souk_store_errmsg(W.db));
        souk_store_idle(W.db);
        pthread_mutex_lock(&W.mu);
        if (W.stop || W.kicked)
            continue;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += W.interval_ms / 1000;
        until.tv_nsec += (long)(W.interval_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!W.stop && !W.kicked)
            if (pthread_cond_timedwait(&W.cv, &W.mu, &until) == ETIMEDOUT)
                break;
    }
    pthread_mutex_unlock(&W.mu);
    return NULL;
}

static char *dup_opt(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void free_copies(void)
{
    for (int i = 0; i < 4; i++) {
        free(W.strs[i]);
        W.strs[i] = NULL;
    }
    memset(&W.cfg, 0, sizeof W.cfg);
}

int souk_mail_worker_start(const char *db_dsn, const souk_mail_config *c, int interval_ms)
{
    const char *why;
    if (!db_dsn || interval_ms <= 0 || souk_mail_config_check(c, &why) < 0) {
        souk_log_error("mail: worker not started: %s", !db_dsn || interval_ms <= 0 ? "bad arguments" : why);
        return -1;
    }
    pthread_mutex_lock(&W.mu);
    int ret = -1;
    if (W.running)
        goto out;
    if (!W.cv_ready) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        int r = pthread_cond_init(&W.cv, &ca);
        pthread_condattr_destroy(&ca);
        if (r != 0)
            goto out;
        W.cv_ready = true;
    }
    char err[256];
    if (souk_store_open(&W.db, db_dsn, err, sizeof err) != 0) {
        souk_log_error("mail: worker cannot open the database: %s", err);
        W.db = NULL;
        goto out;
    }
    W.strs[0] = dup_opt(c->smtp_url);
    W.strs[1] = dup_opt(c->from);
    W.strs[2] = dup_opt(c->username);
    W.strs[3] = dup_opt(c->password);
    if ((c->smtp_url && !W.strs[0]) || (c->from && !W.strs[1]) || (c->username && !W.strs[2]) ||
        (c->password && !W.strs[3]))
        goto fail;
    W.cfg = (souk_mail_config){W.strs[0], W.strs[1], W.strs[2], W.strs[3], c->max_attempts};
    W.interval_ms = interval_ms;
    W.stop = W.kicked = false;
    atomic_store(&g_stopping, 0);
    if (pthread_create(&W.thread, NULL, worker_main, NULL) != 0)
        goto fail;
    W.running = true;
    ret = 0;
    goto out;
fail:
    free_copies();
    souk_store_close(W.db);
    W.db = NULL;
out:
    pthread_mutex_unlock(&W.mu);
    return ret;
}

void souk_mail_worker_kick(void)
{
    pthread_mutex_lock(&W.mu);
    if (W.running) {
        W.kicked = true;
        pthread_cond_signal(&W.cv);
    }
    pthread_mutex_unlock(&W.mu);
}

void souk_mail_worker_stop(void)
{
    pthread_mutex_lock(&W.mu);
    if (!W.running || W.stop) { /* not running, or another thread is already stopping it */
        pthread_mutex_unlock(&W.mu);
        return;
    }
    W.stop = true;
    atomic_store(&g_stopping, 1);
    pthread_cond_signal(&W.cv);
    pthread_mutex_unlock(&W.mu);

    pthread_join(W.thread, NULL);

    pthread_mutex_lock(&W.mu);
    souk_store_close(W.db);
    W.db = NULL;
    free_copies();
    W.running = W.stop = W.kicked = false;
    atomic_store(&g_stopping, 0);
    pthread_mutex_unlock(&W.mu);
}
