/*
 * libFuzzer driver for the request headers the server interprets itself:
 *
 * - Idempotency-Key (souk__checkout_key_valid, src/orders/checkout_in.c):
 *   accepted exactly when it is 1..SOUK_ORDERS_KEY_MAX bytes of
 *   [A-Za-z0-9_.:-] (the oracle here, without <ctype.h>).
 * - X-Request-Id (souk__http_request_id_valid, src/http/middleware.c), which
 *   the answer echoes: kept only as 1..64 bytes of [A-Za-z0-9._-], so never
 *   a CR, LF or anything else that could split a header.
 * - If-None-Match (souk__http_etag_matches, src/http/respond.c) against an
 *   ETag of ours ("<16 hex>"): a match needs the ETag or a '*' in the value;
 *   the value with the ETag (or W/ and the ETag) added as one more item
 *   matches; the ETag with a byte appended to it does not.
 * - Accept (souk__analytics_api_wants_csv, src/analytics/api.c): CSV exactly
 *   when the value starts with text/csv in any case, and never against an
 *   explicit format parameter.
 * - X-Cart-Token (souk_cart_find, src/cart/cart.c) against a migrated
 *   database with one guest cart: the input opens it only when it is its
 *   token, byte for byte; the token with one byte changed opens nothing.
 * - The request head's framing fields (souk_wire_check_head,
 *   src/http/wire.c): the input's lines as field lines of a request. The
 *   verdict is one of the enum, with a message exactly for the problems;
 *   it does not change with bytes after the head, with one leading empty
 *   line or with LF for CRLF; it is UNSEEN with two leading empty lines,
 *   without the empty line that ends the head, or for another method.
 *   Two Content-Length lines more give a verdict that closes the
 *   connection; an OK head with a folded line more is FOLDED, with another
 *   Host line HOSTS.
 * - The path (souk_wire_decode_path): a decoded path starts with '/', has
 *   no "." or ".." segment and decodes to itself again when every byte but
 *   '/' is percent-encoded.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/fixture.h"
#include "analytics/api.h"
#include "cart/cart.h"
#include "core/arena.h"
#include "http/http.h"
#include "http/internal.h"
#include "http/wire.h"
#include "orders/checkout_in.h"
#include "orders/orders.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

static souk_test_db tdb;
static char cart_token[64];
static int64_t cart_id;

static void close_db(void)
{
    souk_test_db_close(&tdb);
}

static void setup(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    CHECK(souk_test_db_open(&tdb, "fuzz-headers") == 0);
    atexit(close_db);
    CHECK(souk_cart_create(tdb.db, 0, "EUR", cart_token, &cart_id, NULL) == SOUK_OK);
    CHECK(strncmp(cart_token, "ct_", 3) == 0);
    int64_t id = 0;
    CHECK(souk_cart_find(tdb.db, 0, cart_token, &id) == SOUK_OK && id == cart_id);
}

static bool in_set(char c, const char *extra)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c && strchr(extra, c));
}

static void check_simple(const char *s)
{
    size_t n = strlen(s);
    bool key = n >= 1 && n <= SOUK_ORDERS_KEY_MAX, rid = n >= 1 && n <= 64;
    for (size_t i = 0; i < n; i++) {
        key = key && in_set(s[i], "_.:-");
        rid = rid && in_set(s[i], "._-");
    }
    CHECK(souk__checkout_key_valid(s) == key);
    CHECK(souk__http_request_id_valid(s) == rid);
}

static void check_etag(const char *s, const uint8_t *data, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    char etag[19] = "\"0123456789abcdef\"";
    for (size_t i = 0; i < 16 && i < size; i++)
        etag[1 + i] = hex[data[i] & 15];
    bool m = souk__http_etag_matches(s, etag);
    if (m)
        CHECK(strchr(s, '*') || strstr(s, etag));
    CHECK(!souk__http_etag_matches(NULL, etag));
    size_t n = strlen(s);
    char *t = malloc(n + 64);
    CHECK(t != NULL);
    snprintf(t, n + 64, "%s, %s", s, etag);
    CHECK(souk__http_etag_matches(t, etag));
    snprintf(t, n + 64, "%s,W/%s", s, etag);
    CHECK(souk__http_etag_matches(t, etag));
    /* our ETag with a byte more is another tag */
    char longer[20];
    memcpy(longer, etag, 18);
    longer[18] = 'x';
    longer[19] = '\0';
    snprintf(t, n + 64, "%s", longer);
    CHECK(!souk__http_etag_matches(t, etag));
    free(t);
}

static void check_accept(const char *s)
{
    souk_arena a;
    souk_arena_init(&a, 0, 1 << 16);
    souk_header h[1] = {{"accept", s}};
    souk_req req = {.arena = &a, .headers = h, .nheaders = 1};
    CHECK(souk__analytics_api_wants_csv(&req, false, false) == (strncasecmp(s, "text/csv", 8) == 0));
    CHECK(souk__analytics_api_wants_csv(&req, true, false) == false);
    CHECK(souk__analytics_api_wants_csv(&req, true, true) == true);
    souk_arena_release(&a);
}

static void check_cart_token(const char *s, const uint8_t *data, size_t size)
{
    int64_t id = 0;
    /* the cart's token with one byte changed opens nothing */
    if (size >= 2 && data[1] != 0) {
        char t[64];
        memcpy(t, cart_token, sizeof t);
        size_t at = data[0] % strlen(t);
        if (t[at] != (char)data[1]) {
            t[at] = (char)data[1];
            CHECK(souk_cart_find(tdb.db, 0, t, &id) == SOUK_E_NOT_FOUND);
        }
    }
    souk_err e = souk_cart_find(tdb.db, 0, s, &id);
    CHECK(e == SOUK_OK || e == SOUK_E_NOT_FOUND);
    CHECK((e == SOUK_OK) == (strcmp(s, cart_token) == 0));
    if (e == SOUK_OK)
        CHECK(id == cart_id);
}

/* ---- the request head ---- */

typedef struct head {
    char *b;
    size_t n, cap;
} head;

static void put(head *h, const void *p, size_t n)
{
    if (h->n + n > h->cap) {
        h->cap = (h->n + n) * 2 + 64;
        h->b = realloc(h->b, h->cap);
        CHECK(h->b != NULL);
    }
    memcpy(h->b + h->n, p, n);
    h->n += n;
}

static void puts_(head *h, const char *s)
{
    put(h, s, strlen(s));
}

/* LEAD empty lines, the request line, EXTRA field lines (CRLF each), the
 * input's lines (no CR, no empty ones), END the empty line, then TAIL. */
static void build(head *h, int lead, const char *extra, const uint8_t *data, size_t size, bool end, const char *eol,
                  const char *tail)
{
    h->n = 0;
    for (int i = 0; i < lead; i++)
        puts_(h, eol);
    puts_(h, "POST /api/v1/checkout HTTP/1.1");
    puts_(h, eol);
    if (extra)
        puts_(h, extra);
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == '\n') {
            bool any = false;
            for (size_t k = start; k < i; k++)
                if (data[k] != '\r') {
                    put(h, &data[k], 1);
                    any = true;
                }
            if (any)
                puts_(h, eol);
            start = i + 1;
        }
    }
    if (end)
        puts_(h, eol);
    if (tail)
        puts_(h, tail);
}

static souk_wire_verdict verdict(const head *h, int minor)
{
    return souk_wire_check_head(h->b, h->n, "POST", 4, "/api/v1/checkout", 16, minor);
}

static void check_verdict(souk_wire_verdict v)
{
    CHECK(v >= SOUK_WIRE_OK && v <= SOUK_WIRE_BAD_HOST);
    CHECK((souk_wire_message(v)[0] != '\0') == (v != SOUK_WIRE_OK && v != SOUK_WIRE_UNSEEN));
}

static void check_wire(const uint8_t *data, size_t size)
{
    head h = {0};
    /* the input as it came, with its own first line as the request line */
    const uint8_t *sp1 = memchr(data, ' ', size);
    const uint8_t *sp2 = sp1 ? memchr(sp1 + 1, ' ', size - (size_t)(sp1 + 1 - data)) : NULL;
    if (sp2)
        check_verdict(souk_wire_check_head((const char *)data, size, (const char *)data, (size_t)(sp1 - data),
                                           (const char *)sp1 + 1, (size_t)(sp2 - sp1 - 1), 1));
    for (int minor = 0; minor <= 1; minor++) {
        build(&h, 0, NULL, data, size, true, "\r\n", NULL);
        souk_wire_verdict v = verdict(&h, minor);
        check_verdict(v);
        CHECK(v != SOUK_WIRE_UNSEEN);
        CHECK(souk_wire_check_head(h.b, h.n, "GET", 3, "/api/v1/checkout", 16, minor) == SOUK_WIRE_UNSEEN);
        build(&h, 0, NULL, data, size, true, "\r\n",
              "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
        CHECK(verdict(&h, minor) == v);
        build(&h, 1, NULL, data, size, true, "\r\n", NULL);
        CHECK(verdict(&h, minor) == v);
        build(&h, 0, NULL, data, size, true, "\n", NULL);
        CHECK(verdict(&h, minor) == v);
        build(&h, 2, NULL, data, size, true, "\r\n", NULL);
        CHECK(verdict(&h, minor) == SOUK_WIRE_UNSEEN);
        build(&h, 0, NULL, data, size, false, "\r\n", NULL);
        CHECK(verdict(&h, minor) == SOUK_WIRE_UNSEEN);
        build(&h, 0, "Content-Length: 1\r\ncontent-length: 1\r\n", data, size, true, "\r\n", NULL);
        CHECK(souk_wire_must_close(verdict(&h, minor)));
        if (v == SOUK_WIRE_OK) {
            CHECK(!souk_wire_must_close(v));
            build(&h, 0, " folded\r\n", data, size, true, "\r\n", NULL);
            CHECK(verdict(&h, minor) == SOUK_WIRE_FOLDED);
            if (minor == 1) { /* OK for 1.1: exactly one Host */
                build(&h, 0, "Host: example.com\r\n", data, size, true, "\r\n", NULL);
                CHECK(verdict(&h, minor) == SOUK_WIRE_HOSTS);
            }
        }
    }
    free(h.b);
}

static void check_path(const uint8_t *data, size_t size)
{
    souk_arena a;
    souk_arena_init(&a, 0, 1 << 20);
    char *out = NULL;
    const char *why = NULL;
    int r = souk_wire_decode_path((const char *)data, size, &a, &out, &why);
    CHECK(r == 0 || r == -1 || r == -2);
    if (r == -1)
        CHECK(why && why[0]);
    if (r == 0) {
        size_t n = strlen(out);
        CHECK(n >= 1 && n <= size && out[0] == '/');
        for (const char *p = out; p; p = strchr(p + 1, '/')) {
            const char *e = strchr(p + 1, '/');
            size_t sl = e ? (size_t)(e - p - 1) : strlen(p + 1);
            CHECK(!(sl == 1 && p[1] == '.') && !(sl == 2 && p[1] == '.' && p[2] == '.'));
        }
        static const char hex[] = "0123456789ABCDEF";
        char *enc = malloc(3 * n + 1);
        CHECK(enc != NULL);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)out[i];
            if (c == '/') {
                enc[k++] = '/';
            } else {
                enc[k++] = '%';
                enc[k++] = hex[c >> 4];
                enc[k++] = hex[c & 15];
            }
        }
        char *again = NULL;
        CHECK(souk_wire_decode_path(enc, k, &a, &again, &why) == 0 && strcmp(again, out) == 0);
        free(enc);
    }
    souk_arena_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    setup();
    char *s = malloc(size + 1);
    CHECK(s != NULL);
    memcpy(s, data, size);
    s[size] = '\0'; /* a header value is a C string: a NUL ends it */
    check_simple(s);
    check_etag(s, data, size);
    check_accept(s);
    check_cart_token(s, data, size);
    check_wire(data, size);
    check_path(data, size);
    free(s);
    return 0;
}
