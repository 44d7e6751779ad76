/*
 * stripe.c — the Stripe-style adapter: form-encoded POSTs to
 * /v1/payment_intents, /v1/payment_intents/{id}/confirm and /v1/refunds (and,
 * for saved methods, /v1/customers and /v1/payment_intents/{id}) over
 * HTTPS (libcurl), Bearer secret key, Idempotency-Key forwarded, JSON
 * answers. Certificates are verified; only http(s) is allowed; every call is
 * bounded (10 s to connect, 30 s in all, 1 MiB of answer). Plain http is
 * accepted only for loopback bases (the tests' stub).
 */
#include "payments/payments.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/time.h"
#include "core/trace.h"
#include "core/banned.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    souk_buf *b = arg;
    return souk_buf_add(b, data, size * n) == 0 ? size * n : 0;
}

/* POSTs FORM to PATH; returns the parsed JSON object (caller decrefs) or NULL with ERR. */
static json_t *post(const souk_payment_gateway *g, const char *path, const char *form, const char *idempotency_key,
                    char *err, size_t errlen)
{
    pthread_once(&curl_once, curl_init);
    if (g->breaker && !souk_breaker_allow(g->breaker, souk_time_mono_us(), NULL)) {
        snprintf(err, errlen, "payment provider circuit open after repeated failures; not called");
        return NULL;
    }
    CURL *c = curl_easy_init();
    if (!c && g->breaker)
        souk_breaker_record(g->breaker, true, souk_time_mono_us()); /* our failure, not the provider's */
    if (!c) {
        snprintf(err, errlen, "cannot start an HTTP client");
        return NULL;
    }
    char url[512], auth[320], idem[200];
    snprintf(url, sizeof url, "%s%s", g->api_base, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", g->secret_key);
    struct curl_slist *headers = curl_slist_append(NULL, auth);
    if (idempotency_key) {
        snprintf(idem, sizeof idem, "Idempotency-Key: %s", idempotency_key);
        headers = curl_slist_append(headers, idem);
    }
    /* W3C trace context: a child span of the request or job paying */
    char tp[SOUK_TRACEPARENT_LEN + 1], h_tp[SOUK_TRACEPARENT_LEN + 16];
    if (souk_trace_outgoing(tp)) {
        snprintf(h_tp, sizeof h_tp, "traceparent: %s", tp);
        struct curl_slist *n = curl_slist_append(headers, h_tp);
        if (n)
            headers = n;
    }
    souk_buf body;
    souk_buf_init(&body, 1 << 20);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    if (g->breaker) /* a 4xx with an error is the provider's answer: it is up */
        souk_breaker_record(g->breaker, rc == CURLE_OK && status < 500 && status != 429, souk_time_mono_us());
    json_t *j = NULL;
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "payment provider unreachable: %s", curl_easy_strerror(rc));
    } else if (!(j = json_loadb(body.data ? body.data : "", body.len, 0, NULL)) || !json_is_object(j)) {
        snprintf(err, errlen, "payment provider answered HTTP %ld without JSON", status);
        json_decref(j);
        j = NULL;
    } else if (status >= 500 || status == 429 || status == 401 || status == 403 ||
               status == 409 /* another request with this idempotency key is in flight: outcome unknown */ ||
               (status >= 400 && !json_object_get(j, "error"))) {
        snprintf(err, errlen, "payment provider answered HTTP %ld", status);
        json_decref(j);
        j = NULL;
    }
    souk_buf_release(&body);
    return j;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static void read_intent(json_t *j, souk_payment_intent *out)
{
    memset(out, 0, sizeof *out);
    json_t *e = json_object_get(j, "error");
    json_t *pi = e ? json_object_get(e, "payment_intent") : j; /* a decline comes as an error carrying the intent */
    const char *status = json_string_value(json_object_get(pi ? pi : j, "status"));
    snprintf(out->id, sizeof out->id, "%s", or_empty(json_string_value(json_object_get(pi ? pi : j, "id"))));
    snprintf(out->client_secret, sizeof out->client_secret, "%s",
             or_empty(json_string_value(json_object_get(pi ? pi : j, "client_secret"))));
    json_t *amount = json_object_get(pi ? pi : j, "amount");
    json_t *received = json_object_get(pi ? pi : j, "amount_received");
    out->amount = json_is_integer(amount) ? json_integer_value(amount) : -1;
    out->amount_received = json_is_integer(received) ? json_integer_value(received) : -1;
    snprintf(out->currency, sizeof out->currency, "%s",
             or_empty(json_string_value(json_object_get(pi ? pi : j, "currency"))));
    for (char *p = out->currency; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 32);
    const char *code = e ? json_string_value(json_object_get(e, "decline_code")) : NULL;
    if (e && !code)
        code = json_string_value(json_object_get(e, "code"));
    if (!e)
        code = json_string_value(json_object_get(json_object_get(j, "last_payment_error"), "code"));
    snprintf(out->decline_code, sizeof out->decline_code, "%s", or_empty(code));
    if (e && json_string_value(json_object_get(e, "type")) &&
        strcmp(json_string_value(json_object_get(e, "type")), "card_error") == 0)
        out->status = SOUK_PAY_DECLINED;
    else if (e)
        out->status = SOUK_PAY_FAILED;
    else if (status && strcmp(status, "succeeded") == 0)
        out->status = SOUK_PAY_SUCCEEDED;
    else if (status && strcmp(status, "processing") == 0)
        out->status = SOUK_PAY_PROCESSING;
    else if (status && strcmp(status, "requires_payment_method") == 0 && out->decline_code[0])
        out->status = SOUK_PAY_DECLINED;
    else if (status && strcmp(status, "canceled") == 0)
        out->status = SOUK_PAY_FAILED;
    else
        out->status = SOUK_PAY_REQUIRES_CONFIRMATION;
}

/* form value escaping (application/x-www-form-urlencoded) */
static void esc(const char *in, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && n + 4 < outlen; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '_' || *p == '.')
            out[n++] = (char)*p;
        else {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        }
    }
    out[n] = '\0';
}

static int create(const souk_payment_gateway *g, int64_t amount, const char *currency, const char *reference,
                  const char *idempotency_key, souk_payment_intent *out, char *err, size_t errlen)
{
    char cur[8], ref[300], form[512];
    snprintf(cur, sizeof cur, "%s", currency);
    for (char *p = cur; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    esc(reference, ref, sizeof ref);
    snprintf(form, sizeof form, "amount=%lld&currency=%s&metadata%%5Breference%%5D=%s", (long long)amount, cur, ref);
    json_t *j = post(g, "/v1/payment_intents", form, idempotency_key, err, errlen);
    if (!j)
        return -1;
    read_intent(j, out);
    json_decref(j);
    if (!out->id[0]) {
        snprintf(err, errlen, "payment provider answered without an intent id");
        return -1;
    }
    return 0;
}

static int confirm(const souk_payment_gateway *g, const char *intent_id, const char *payment_method,
                   const char *idempotency_key, souk_payment_intent *out, char *err, size_t errlen)
{
    char id[200], pm[300], path[300], form[400];
    esc(intent_id, id, sizeof id);
    esc(payment_method ? payment_method : "", pm, sizeof pm);
    snprintf(path, sizeof path, "/v1/payment_intents/%s/confirm", id);
    snprintf(form, sizeof form, "payment_method=%s", pm);
    json_t *j = post(g, path, form, idempotency_key, err, errlen);
    if (!j)
        return -1;
    read_intent(j, out);
    json_decref(j);
    return 0;
}

static int refund(const souk_payment_gateway *g, const char *intent_id, int64_t amount, const char *idempotency_key,
                  char *refund_id, size_t refund_id_len, char *err, size_t errlen)
{
    char id[200], form[320];
    esc(intent_id, id, sizeof id);
    snprintf(form, sizeof form, "payment_intent=%s&amount=%lld", id, (long long)amount);
    json_t *j = post(g, "/v1/refunds", form, idempotency_key, err, errlen);
    if (!j)
        return -1;
    const char *rid = json_string_value(json_object_get(j, "id"));
    int ok = rid && !json_object_get(j, "error");
    if (ok)
        snprintf(refund_id, refund_id_len, "%s", rid);
    else
        snprintf(err, errlen, "refund refused: %s",
                 json_object_get(json_object_get(j, "error"), "message")
                     ? json_string_value(json_object_get(json_object_get(j, "error"), "message"))
                     : "unknown reason");
    json_decref(j);
    return ok ? 0 : -1;
}

/* Saving a method for off-session renewals: a Customer with the method
 * attached, and the intent about to be confirmed given that customer and
 * setup_future_usage=off_session (Stripe's way to reuse a card later). */
static int save_method(const souk_payment_gateway *g, const char *intent_id, const char *payment_method,
                       const char *idempotency_key, char *token, size_t token_len, char *err, size_t errlen)
{
    char pm[300], id[200], form[512], path[300], idem[200];
    esc(payment_method ? payment_method : "", pm, sizeof pm);
    snprintf(form, sizeof form, "payment_method=%s", pm);
    json_t *j = post(g, "/v1/customers", form, idempotency_key, err, errlen);
    if (!j)
        return -1;
    const char *cus = json_string_value(json_object_get(j, "id"));
    if (!cus || json_object_get(j, "error") || strlen(cus) > 100) {
        snprintf(err, errlen, "payment provider refused to save the payment method");
        json_decref(j);
        return -1;
    }
    char cus_esc[320];
    esc(cus, cus_esc, sizeof cus_esc);
    snprintf(token, token_len, "%s|%s", cus, payment_method ? payment_method : "");
    json_decref(j);
    esc(intent_id, id, sizeof id);
    snprintf(path, sizeof path, "/v1/payment_intents/%s", id);
    snprintf(form, sizeof form, "customer=%s&setup_future_usage=off_session", cus_esc);
    snprintf(idem, sizeof idem, "%s-intent", idempotency_key ? idempotency_key : intent_id);
    if (!(j = post(g, path, form, idem, err, errlen)))
        return -1;
    int ok = !json_object_get(j, "error");
    if (!ok)
        snprintf(err, errlen, "payment provider refused the intent's customer");
    json_decref(j);
    return ok ? 0 : -1;
}

/* A renewal's charge: the intent given the saved customer, then confirmed
 * with the saved method off-session (no customer present). */
static int confirm_saved(const souk_payment_gateway *g, const char *intent_id, const char *token,
                         const char *idempotency_key, souk_payment_intent *out, char *err, size_t errlen)
{
    const char *bar = token ? strchr(token, '|') : NULL;
    if (!bar || bar == token || !bar[1] || (size_t)(bar - token) > 100) {
        snprintf(err, errlen, "not a saved payment method of this gateway");
        return -1;
    }
    char cus[128], cus_esc[320], pm[300], id[200], path[300], form[700], idem[200];
    snprintf(cus, sizeof cus, "%.*s", (int)(bar - token), token);
    esc(cus, cus_esc, sizeof cus_esc);
    esc(bar + 1, pm, sizeof pm);
    esc(intent_id, id, sizeof id);
    snprintf(path, sizeof path, "/v1/payment_intents/%s", id);
    snprintf(form, sizeof form, "customer=%s", cus_esc);
    snprintf(idem, sizeof idem, "%s-customer", idempotency_key ? idempotency_key : intent_id);
    json_t *j = post(g, path, form, idem, err, errlen);
    if (!j)
        return -1;
    json_decref(j);
    snprintf(path, sizeof path, "/v1/payment_intents/%s/confirm", id);
    snprintf(form, sizeof form, "payment_method=%s&off_session=true", pm);
    if (!(j = post(g, path, form, idempotency_key, err, errlen)))
        return -1;
    read_intent(j, out);
    json_decref(j);
    return 0;
}

void souk_payments_stripe_gateway(souk_payment_gateway *g, const char *api_base, const char *secret_key,
                                  const char *webhook_secret)
{
    memset(g, 0, sizeof *g);
    g->name = "stripe";
    g->create_intent = create;
    g->confirm = confirm;
    g->refund = refund;
    g->save_method = save_method;
    g->confirm_saved = confirm_saved;
    snprintf(g->api_base, sizeof g->api_base, "%s", api_base);
    snprintf(g->secret_key, sizeof g->secret_key, "%s", secret_key);
    snprintf(g->webhook_secret, sizeof g->webhook_secret, "%s", webhook_secret ? webhook_secret : "");
    g->breaker = souk_breaker_named("payments");
}

bool souk_payments_verify_signature(const char *header, const char *body, size_t body_len, const char *secret,
                                    int64_t now_s, int tolerance_s)
{
    if (!header || !secret || !*secret || strlen(header) > 2048)
        return false;
    /* t= first, then any number of v1= */
    int64_t t = -1;
    const char *p = header;
    const char *sigs[8];
    size_t nsigs = 0;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > 2 && p[0] == 't' && p[1] == '=') {
            char *stop;
            t = strtoll(p + 2, &stop, 10);
            if (stop != p + n)
                return false;
        } else if (n == 3 + 64 && strncmp(p, "v1=", 3) == 0 && nsigs < 8) {
            sigs[nsigs++] = p + 3;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (t < 0 || nsigs == 0 || t < now_s - tolerance_s || t > now_s + tolerance_s)
        return false;
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char ts[24];
    int tl = snprintf(ts, sizeof ts, "%lld.", (long long)t);
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (size_t)tl);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, body_len);
    crypto_auth_hmacsha256_final(&st, mac);
    char want[65];
    sodium_bin2hex(want, sizeof want, mac, sizeof mac);
    bool ok = false;
    for (size_t i = 0; i < nsigs; i++)
        ok |= sodium_memcmp(want, sigs[i], 64) == 0;
    return ok;
}
