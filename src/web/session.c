/*
 * session.c — the browser's side of the storefront: cookies, the CSRF
 * check, and calling other modules' handlers in process.
 *
 * CSRF (docs/internals/web.md): a signed double-submit token. The browser
 * holds a random souk_csrf cookie (HttpOnly, SameSite=Lax); every form
 * carries csrf = BLAKE2b-128 keyed with this process's secret over that
 * cookie's value. A POST passes only when its field matches the cookie it
 * came with: another site can make the browser send the cookie but can
 * neither read it nor compute the token, and a cookie planted from a
 * sibling domain has no valid token without the secret. The secret is made
 * at start, so forms rendered before a restart are refused (403, "reload
 * the page") — acceptable for one node; several nodes need a shared secret.
 */
#include "web/internal.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cart/cart.h"
#include "core/time.h"
#include "core/banned.h"

static unsigned char csrf_key[crypto_generichash_KEYBYTES];
static pthread_once_t csrf_once = PTHREAD_ONCE_INIT;

static void csrf_init(void)
{
    randombytes_buf(csrf_key, sizeof csrf_key);
}

static bool cookie_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* the value of cookie NAME when it is 1..MAX bytes of cookie_char (and '.' when DOTS) */
static const char *cookie_value(souk_req *req, const char *name, size_t max, bool dots)
{
    size_t nl = strlen(name);
    for (size_t h = 0; h < req->nheaders; h++) {
        if (strcmp(req->headers[h].name, "cookie") != 0)
            continue;
        const char *p = req->headers[h].value;
        while (p && *p) {
            while (*p == ' ' || *p == ';')
                p++;
            const char *end = strchr(p, ';');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
                const char *v = p + nl + 1;
                size_t vl = len - nl - 1;
                while (vl && v[vl - 1] == ' ')
                    vl--;
                bool ok = vl >= 1 && vl <= max;
                for (size_t i = 0; ok && i < vl; i++)
                    ok = cookie_char(v[i]) || (dots && v[i] == '.');
                if (ok)
                    return souk_arena_strndup(req->arena, v, vl);
            }
            p = end;
        }
    }
    return NULL;
}

const char *souk__web_cookie(souk_req *req, const char *name)
{
    return cookie_value(req, name, 128, false);
}

const char *souk__web_cookie_token(souk_req *req, const char *name, size_t max)
{
    return cookie_value(req, name, max, true);
}

/* true when the browser reaches us over TLS: the shop's public origin is
 * https (SOUK_PUBLIC_URL), or a proxy we trust says this request came so */
static bool over_tls(souk_req *req)
{
    if (strncmp(req->config->public_url, "https://", 8) == 0)
        return true;
    if (!req->config->trust_proxy)
        return false;
    const char *proto = souk_req_header(req, "x-forwarded-proto");
    return proto && strcmp(proto, "https") == 0;
}

void souk__web_set_cookie(souk_req *req, souk_res *res, const char *name, const char *value, const char *path,
                          long max_age)
{
    if (res->ncookies == SOUK_RES_COOKIES_MAX)
        return;
    res->cookies[res->ncookies++] =
        souk_arena_printf(req->arena, "%s=%s; Path=%s; Max-Age=%ld; HttpOnly; SameSite=Lax%s", name,
                          max_age ? value : "", path, max_age, over_tls(req) ? "; Secure" : "");
}

/* the token for cookie value V, into OUT (33 bytes) */
static void token_of(const char *v, char out[33])
{
    pthread_once(&csrf_once, csrf_init);
    unsigned char mac[16];
    crypto_generichash(mac, sizeof mac, (const unsigned char *)v, strlen(v), csrf_key, sizeof csrf_key);
    sodium_bin2hex(out, 33, mac, sizeof mac);
}

const char *souk__web_csrf_token(souk_req *req, souk_res *res)
{
    const char *v = souk__web_cookie(req, SOUK__WEB_CSRF_COOKIE);
    if (!v || strlen(v) != 32) {
        unsigned char raw[16];
        char *hex = souk_arena_alloc(req->arena, 33);
        if (!hex)
            return "";
        randombytes_buf(raw, sizeof raw);
        sodium_bin2hex(hex, 33, raw, sizeof raw);
        v = hex;
        souk__web_set_cookie(req, res, SOUK__WEB_CSRF_COOKIE, v, "/", 7L * 24 * 3600);
    }
    char *t = souk_arena_alloc(req->arena, 33);
    if (!t)
        return "";
    token_of(v, t);
    return t;
}

bool souk__web_csrf_header_ok(souk_req *req)
{
    const char *given = souk_req_header(req, "x-csrf-token");
    const char *v = souk__web_cookie(req, SOUK__WEB_CSRF_COOKIE);
    if (!given || !v || strlen(given) != 32 || strlen(v) != 32)
        return false;
    char want[33];
    token_of(v, want);
    return sodium_memcmp(want, given, 32) == 0;
}

void souk__web_csrf_field(souk_buf *b, const char *token)
{
    SOUK_HTML_LIT(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
    souk_html_text(b, token);
    SOUK_HTML_LIT(b, "\">\n");
}

int souk__web_form(souk_req *req, souk_res *res, souk_web_form *f)
{
    const char *ct = souk_req_header(req, "content-type");
    const char *err = NULL;
    if (!ct || strncmp(ct, "application/x-www-form-urlencoded", 33) != 0 ||
        souk_web_form_parse(f, req->body, req->body_len, req->arena, &err) < 0) {
        souk__web_error(req, res, 400, "That form could not be read",
                        err ? err : "The form must be sent as application/x-www-form-urlencoded.");
        return -1;
    }
    const char *v = souk__web_cookie(req, SOUK__WEB_CSRF_COOKIE);
    const char *given = souk_web_form_get(f, "csrf");
    char want[33];
    if (v && strlen(v) == 32)
        token_of(v, want);
    if (!v || strlen(v) != 32 || !given || strlen(given) != 32 || souk_web_form_repeated(f, "csrf") ||
        sodium_memcmp(want, given, 32) != 0) {
        souk__web_error(req, res, 403, "This form has expired",
                        "The form was not sent from this shop's page, or the page is too old. Reload the page and "
                        "try again.");
        return -1;
    }
    return 0;
}

int souk__web_cart_id(souk_req *req, int64_t *id)
{
    souk_principal who;
    if (souk__web_user(req, &who) == 0)
        return souk_cart_find(req->store, who.user_id, NULL, id) == SOUK_OK ? 0 : -1;
    const char *token = souk__web_cookie(req, SOUK__WEB_CART_COOKIE);
    if (!token)
        return -1;
    return souk_cart_find(req->store, 0, token, id) == SOUK_OK ? 0 : -1;
}

/* ---- sealed form values ---- */

/* the sealing key: a separate key derived from the CSRF secret */
static void seal_key(unsigned char key[crypto_secretbox_KEYBYTES])
{
    pthread_once(&csrf_once, csrf_init);
    static const unsigned char ctx[] = "souk web seal v1";
    crypto_generichash(key, crypto_secretbox_KEYBYTES, ctx, sizeof ctx - 1, csrf_key, sizeof csrf_key);
}

#define SEAL_TEXT_MAX 1400 /* the sealed text plus its header stay under a form value's 2048 bytes */

const char *souk__web_seal(souk_req *req, const char *text, int ttl_s)
{
    const char *cookie = souk__web_cookie(req, SOUK__WEB_CSRF_COOKIE);
    size_t tl = strlen(text);
    if (!cookie || strlen(cookie) != 32 || tl > SEAL_TEXT_MAX)
        return NULL;
    /* plain: expiry (8 bytes, seconds, big-endian) | the CSRF cookie (32) | text */
    unsigned char plain[8 + 32 + SEAL_TEXT_MAX],
        box[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + sizeof plain];
    uint64_t until = (uint64_t)(souk_time_now_us() / 1000000 + ttl_s);
    for (int i = 0; i < 8; i++)
        plain[i] = (unsigned char)(until >> (56 - 8 * i));
    memcpy(plain + 8, cookie, 32);
    memcpy(plain + 40, text, tl);
    unsigned char key[crypto_secretbox_KEYBYTES];
    seal_key(key);
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, plain, 40 + tl, box, key);
    sodium_memzero(plain, sizeof plain);
    sodium_memzero(key, sizeof key);
    size_t bl = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 40 + tl;
    size_t ol = sodium_base64_encoded_len(bl, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = souk_arena_alloc(req->arena, ol);
    if (out)
        sodium_bin2base64(out, ol, box, bl, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

const char *souk__web_unseal(souk_req *req, const char *sealed)
{
    const char *cookie = souk__web_cookie(req, SOUK__WEB_CSRF_COOKIE);
    unsigned char box[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 40 + SEAL_TEXT_MAX];
    size_t bl = 0;
    if (!cookie || strlen(cookie) != 32 || !sealed ||
        sodium_base642bin(box, sizeof box, sealed, strlen(sealed), NULL, &bl, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        bl < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 40)
        return NULL;
    size_t pl = bl - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    unsigned char plain[40 + SEAL_TEXT_MAX + 1], key[crypto_secretbox_KEYBYTES];
    seal_key(key);
    int bad = crypto_secretbox_open_easy(plain, box + crypto_secretbox_NONCEBYTES, bl - crypto_secretbox_NONCEBYTES,
                                         box, key);
    sodium_memzero(key, sizeof key);
    if (bad)
        return NULL;
    uint64_t until = 0;
    for (int i = 0; i < 8; i++)
        until = until << 8 | plain[i];
    const char *out = NULL;
    if (until >= (uint64_t)(souk_time_now_us() / 1000000) && sodium_memcmp(plain + 8, cookie, 32) == 0 &&
        !memchr(plain + 40, 0, pl - 40))
        out = souk_arena_strndup(req->arena, (const char *)plain + 40, pl - 40);
    sodium_memzero(plain, sizeof plain);
    return out;
}

souk_req souk__web_subrequest(souk_req *req, const souk_header *headers, size_t n, const char *body, const char *query)
{
    souk_req sub = *req;
    /* the storefront shops as a guest: a credential a client added to a page request does not
     * turn the page's call into an account's (only the cookies the page itself set count) */
    memset(&sub.principal, 0, sizeof sub.principal);
    sub.headers = headers;
    sub.nheaders = n;
    sub.body = body;
    sub.body_len = body ? strlen(body) : 0;
    sub.body_json = NULL;
    memset(&sub.query, 0, sizeof sub.query);
    const char *err = NULL;
    if (query && souk_query_parse(&sub.query, query, strlen(query), req->arena, &err) < 0)
        sub.query.count = 0;
    return sub;
}

json_t *souk__web_answer(souk_res *res)
{
    if (res->json)
        return json_incref(res->json);
    if (!res->body.data)
        return NULL;
    return json_loadb(res->body.data, res->body.len, 0, NULL);
}
