/*
 * libFuzzer driver for the webhook target validator (src/webhooks/target.c):
 *
 * 1. The input as a URL: souk_webhooks_url_parse either refuses it with a
 *    reason, or gives a host of 1..253 bytes without upper case, '@', '/',
 *    spaces or control characters, a port 1..65535, and for an address
 *    literal bytes that print back (inet_ntop) and parse to the same bytes.
 *    souk_webhooks_target_check without resolving and without an allow-list
 *    agrees: a literal passes exactly when its class is public.
 * 2. The first 4 bytes as an IPv4 address: the IPv4-mapped, NAT64 and 6to4
 *    IPv6 forms of it have the same class.
 * 3. The input as an allow-list: parsed or refused with a reason, never
 *    more than SOUK_WEBHOOKS_ALLOW_MAX entries with sane prefixes.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webhooks/webhooks.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

static void check_url(const uint8_t *data, size_t size)
{
    souk_webhooks_url u;
    const char *why = NULL;
    int r = souk_webhooks_url_parse((const char *)data, size, &u, &why);
    if (r != 0) {
        CHECK(r == -1 && why != NULL);
        return;
    }
    size_t hl = strlen(u.host);
    CHECK(hl >= 1 && hl <= SOUK_WEBHOOKS_HOST_MAX);
    for (size_t i = 0; i < hl; i++) {
        unsigned char c = (unsigned char)u.host[i];
        CHECK(c > 0x20 && c < 0x7f && !(c >= 'A' && c <= 'Z') && c != '@' && c != '/' && c != '\\' && c != '#');
    }
    CHECK(u.port >= 1 && u.port <= 65535);
    CHECK(u.literal == 0 || u.literal == 4 || u.literal == 6);
    if (u.literal) {
        char text[64];
        unsigned char back[16] = {0};
        int af = u.literal == 4 ? AF_INET : AF_INET6;
        CHECK(inet_ntop(af, u.addr, text, sizeof text) != NULL);
        CHECK(inet_pton(af, text, back) == 1);
        CHECK(memcmp(back, u.addr, u.literal == 4 ? 4 : 16) == 0);
    }
    /* NUL-terminated copy for the full check (no NUL can be inside: they are not printable) */
    char *s = malloc(size + 1);
    CHECK(s != NULL);
    memcpy(s, data, size);
    s[size] = 0;
    souk_webhooks_target t;
    char reason[300];
    int tc = souk_webhooks_target_check(s, NULL, false, &t, reason, sizeof reason);
    if (u.literal)
        CHECK((tc == 0) == (souk_webhooks_classify(u.addr, u.literal) == SOUK_WEBHOOKS_ADDR_PUBLIC));
    else
        CHECK(tc == 0 && t.family == 0);
    free(s);
}

static void check_mapped(const uint8_t *data, size_t size)
{
    if (size < 4)
        return;
    souk_webhooks_addr_class c4 = souk_webhooks_classify(data, 4);
    unsigned char m[16] = {0};
    m[10] = m[11] = 0xff;
    memcpy(m + 12, data, 4);
    CHECK(souk_webhooks_classify(m, 6) == c4);
    unsigned char n[16] = {0, 0x64, 0xff, 0x9b};
    memcpy(n + 12, data, 4);
    CHECK(souk_webhooks_classify(n, 6) == c4);
    unsigned char t[16] = {0x20, 0x02};
    memcpy(t + 2, data, 4);
    CHECK(souk_webhooks_classify(t, 6) == c4);
    if (size >= 16)
        CHECK(souk_webhooks_classify(data, 6) <= SOUK_WEBHOOKS_ADDR_RESERVED);
}

static void check_allow(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    CHECK(s != NULL);
    memcpy(s, data, size);
    s[size] = 0;
    souk_webhooks_allow a;
    const char *why = NULL;
    int r = souk_webhooks_allow_parse(s, &a, &why);
    if (r != 0) {
        CHECK(r == -1 && why != NULL);
    } else {
        CHECK(a.count <= SOUK_WEBHOOKS_ALLOW_MAX);
        for (size_t i = 0; i < a.count; i++)
            CHECK((a.nets[i].family == 4 && a.nets[i].prefix >= 0 && a.nets[i].prefix <= 32) ||
                  (a.nets[i].family == 6 && a.nets[i].prefix >= 0 && a.nets[i].prefix <= 128));
    }
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 3 * SOUK_WEBHOOKS_URL_MAX)
        return 0;
    check_url(data, size);
    check_mapped(data, size);
    check_allow(data, size);
    return 0;
}
