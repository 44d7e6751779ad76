/*
 * smtp.c — handing one formatted message to the SMTP relay with libcurl.
 *
 * One easy handle per delivery (each delivery is one job, possibly on
 * another worker thread). TLS: smtps:// is implicit TLS; smtp:// with a
 * password requires STARTTLS, so credentials never cross the network in
 * clear; plain smtp:// uses STARTTLS when offered. A stop of the job
 * workers aborts a transfer in progress through curl's progress callback.
 *
 * Deliveries go through the circuit breaker "smtp" (core/breaker.h): a relay
 * that cannot be reached, times out, or answers 421 or 451 counts as a failure (a
 * recipient the relay refuses does not: the relay is up); while it is open a
 * delivery returns SOUK_JOB_DEFERRED without connecting, and its job runs
 * again once the cool-down is over, its attempts untouched.
 */
#include "mail/internal.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/breaker.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "core/banned.h"

#define CONNECT_TIMEOUT_MS 10000L
#define TRANSFER_TIMEOUT_MS 30000L

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
    return souk_jobs_stopping() ? 1 : 0;
}

/* Sends MSG to ROW->to on H (see souk__mail_send). */
/* Did the transfer fail because of the relay (unreachable, slow, dropping the
 * connection, or saying it cannot work now: 421 service not available, 451 local
 * error)? A refused recipient or message (other codes) is the relay's answer. */
static bool relay_failed(CURLcode rc, long code)
{
    if (code == 421 || code == 451)
        return true;
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_SSL_CONNECT_ERROR: return true;
    default: return false;
    }
}

/* *RELAY_DOWN tells, on a failure, whether the relay is to blame. */
static int send_on(CURL *h, const souk_mail_config *c, const char *env_from, const souk__mail_row *row,
                   const souk_buf *msg, char *err, size_t errlen, bool *relay_down)
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
    *relay_down = relay_failed(rc, code);
    if (rc == CURLE_ABORTED_BY_CALLBACK && souk_jobs_stopping())
        return SOUK_JOB_INTERRUPTED;
    snprintf(err, errlen, "%s%s%s (curl %d, last SMTP reply %ld)", curl_easy_strerror(rc), curl_err[0] ? ": " : "",
             curl_err, (int)rc, code);
    return -1;
}

int souk__mail_send(const souk__mail_settings *s, const souk__mail_row *row, const souk_buf *msg, char *err,
                    size_t errlen)
{
    pthread_once(&curl_once, curl_init);
    if (curl_init_result != CURLE_OK) {
        snprintf(err, errlen, "curl_global_init failed: %s", curl_easy_strerror(curl_init_result));
        return -1;
    }
    souk_breaker *b = souk_breaker_named("smtp");
    int64_t wait_us = 0;
    if (b && !souk_breaker_allow(b, souk_time_mono_us(), &wait_us)) {
        souk_job_defer(wait_us);
        snprintf(err, errlen, "SMTP relay circuit open after repeated failures; deferred for %lld s",
                 (long long)(wait_us / 1000000));
        return SOUK_JOB_DEFERRED;
    }
    CURL *h = curl_easy_init();
    if (!h) {
        if (b)
            souk_breaker_record(b, true, souk_time_mono_us()); /* ours, not the relay's */
        snprintf(err, errlen, "curl_easy_init failed");
        return -1;
    }
    bool relay_down = false;
    int r = send_on(h, &s->c, s->env_from, row, msg, err, errlen, &relay_down);
    curl_easy_cleanup(h);
    if (b)
        souk_breaker_record(b, r == 0 || !relay_down, souk_time_mono_us());
    return r;
}
