/*
 * send.c — one webhook POST with libcurl (the only file of src/webhooks that
 * includes it). The address was resolved and checked by target.c; here it is
 * pinned twice: CURLOPT_RESOLVE makes libcurl use it for the URL's host (the
 * Host header and TLS name stay the URL's), and the open-socket callback
 * refuses any other address, so neither a second DNS answer (rebinding) nor
 * a resolver quirk can move the connection. Redirects are not followed, no
 * proxy is used, only http and https are spoken, and the answer is read up
 * to SOUK_WEBHOOKS_RESPONSE_MAX bytes.
 */
#include "webhooks/internal.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "jobs/jobs.h"
#include "core/trace.h"
#include "core/banned.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void curl_init(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct sink {
    souk__webhooks_response *out;
    size_t total;
    bool too_big;
} sink;

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
    sink *s = ud;
    size_t n = size * nmemb;
    if (s->total + n > SOUK_WEBHOOKS_RESPONSE_MAX) {
        s->too_big = true;
        return 0; /* aborts the transfer */
    }
    size_t room = SOUK_WEBHOOKS_LOG_BODY_MAX - s->out->body_len;
    size_t keep = n < room ? n : room;
    memcpy(s->out->body + s->out->body_len, data, keep);
    s->out->body_len += keep;
    s->out->body[s->out->body_len] = 0;
    s->total += n;
    return n;
}

static int progress_cb(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)ud, (void)dt, (void)dn, (void)ut, (void)un;
    return souk_jobs_stopping() ? 1 : 0;
}

/* refuses a socket to anything but the pinned address */
static curl_socket_t open_cb(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    const souk_webhooks_target *t = ud;
    (void)purpose;
    bool ok = false;
    if (a->family == AF_INET && t->family == 4 && a->addrlen >= sizeof(struct sockaddr_in))
        ok = memcmp(&((struct sockaddr_in *)(void *)&a->addr)->sin_addr, t->addr, 4) == 0;
    else if (a->family == AF_INET6 && t->family == 6 && a->addrlen >= sizeof(struct sockaddr_in6))
        ok = memcmp(&((struct sockaddr_in6 *)(void *)&a->addr)->sin6_addr, t->addr, 16) == 0;
    if (!ok)
        return CURL_SOCKET_BAD;
    return socket(a->family, a->socktype, a->protocol);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int souk__webhooks_send(const souk__webhooks_request *req, souk__webhooks_response *out)
{
    memset(out, 0, sizeof *out);
    pthread_once(&curl_once, curl_init);
    if (curl_init_result != CURLE_OK) {
        snprintf(out->error, sizeof out->error, "curl_global_init failed");
        return -1;
    }
    const souk_webhooks_target *t = req->target;
    if (t->family != 4 && t->family != 6) {
        snprintf(out->error, sizeof out->error, "no checked address to send to");
        return -1;
    }
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(out->error, sizeof out->error, "out of memory");
        return -1;
    }
    char resolve[SOUK_WEBHOOKS_HOST_MAX + 80], h_id[160], h_ts[64], h_sig[2 * SOUK_WEBHOOKS_SIGNATURE_MAX + 32];
    struct curl_slist *pin = NULL, *headers = NULL;
    if (!t->url.literal) {
        snprintf(resolve, sizeof resolve, t->family == 6 ? "%s:%d:[%s]" : "%s:%d:%s", t->url.host, t->url.port,
                 t->addr_text);
        pin = curl_slist_append(NULL, resolve);
    }
    snprintf(h_id, sizeof h_id, "webhook-id: %s", req->msg_id);
    snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %lld", (long long)req->timestamp);
    snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", req->signature);
    /* W3C trace context: a child span of the job run, which continues the
     * trace of the request whose event this delivers */
    char tp[SOUK_TRACEPARENT_LEN + 1], h_tp[SOUK_TRACEPARENT_LEN + 16] = "";
    if (souk_trace_outgoing(tp))
        snprintf(h_tp, sizeof h_tp, "traceparent: %s", tp);
    const char *fixed[] = {
        "Content-Type: application/json", "User-Agent: souk-webhooks/1", "Expect:", h_id, h_ts, h_sig, h_tp};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        if (!fixed[i][0])
            continue;
        struct curl_slist *n = curl_slist_append(headers, fixed[i]);
        if (n)
            headers = n;
    }
    sink s = {out, 0, false};
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (pin)
        curl_easy_setopt(c, CURLOPT_RESOLVE, pin);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_cb);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, (void *)t);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     req->timeout_ms < SOUK_WEBHOOKS_CONNECT_TIMEOUT_MS ? req->timeout_ms
                                                                        : (long)SOUK_WEBHOOKS_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)SOUK_WEBHOOKS_RESPONSE_MAX);
    int64_t t0 = mono_ms();
    CURLcode rc = curl_easy_perform(c);
    out->duration_ms = mono_ms() - t0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->code);
    int result = -1;
    if (rc == CURLE_ABORTED_BY_CALLBACK && souk_jobs_stopping()) {
        out->interrupted = true;
        snprintf(out->error, sizeof out->error, "interrupted by shutdown");
    } else if (s.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(out->error, sizeof out->error, "response larger than %d KiB", SOUK_WEBHOOKS_RESPONSE_MAX / 1024);
    } else if (rc != CURLE_OK) {
        snprintf(out->error, sizeof out->error, "%s", curl_easy_strerror(rc));
        out->code = 0;
    } else if (out->code >= 200 && out->code < 300) {
        result = 0;
    } else {
        snprintf(out->error, sizeof out->error, "HTTP %ld%s", out->code,
                 out->code >= 300 && out->code < 400 ? " (redirects are not followed)" : "");
    }
    curl_slist_free_all(headers);
    curl_slist_free_all(pin);
    curl_easy_cleanup(c);
    return result;
}
