/*
 * target.c — where a webhook may be sent: the URL's syntax, the class of an
 * address (loopback, private, link-local, multicast, unspecified, CGNAT,
 * reserved), the operator's allow-list, and resolving a name so that every
 * address it gives is checked and the first one is pinned for the transfer
 * (send.c hands it to libcurl, so a second DNS answer cannot move it).
 */
#include "webhooks/webhooks.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/banned.h"

static bool in4(const unsigned char *a, unsigned b0, unsigned b1, unsigned b2, unsigned b3, int prefix)
{
    uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
    uint32_t net = (uint32_t)b0 << 24 | (uint32_t)b1 << 16 | (uint32_t)b2 << 8 | b3;
    uint32_t mask = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
    return (x & mask) == (net & mask);
}

/* the first PREFIX bits of A and B agree */
static bool prefix_eq(const unsigned char *a, const unsigned char *b, int prefix)
{
    int full = prefix / 8, rest = prefix % 8;
    if (memcmp(a, b, (size_t)full) != 0)
        return false;
    if (!rest)
        return true;
    unsigned char m = (unsigned char)(0xff << (8 - rest));
    return (a[full] & m) == (b[full] & m);
}

static souk_webhooks_addr_class classify4(const unsigned char *a)
{
    if (in4(a, 0, 0, 0, 0, 8))
        return SOUK_WEBHOOKS_ADDR_UNSPECIFIED;
    if (in4(a, 127, 0, 0, 0, 8))
        return SOUK_WEBHOOKS_ADDR_LOOPBACK;
    if (in4(a, 10, 0, 0, 0, 8) || in4(a, 172, 16, 0, 0, 12) || in4(a, 192, 168, 0, 0, 16))
        return SOUK_WEBHOOKS_ADDR_PRIVATE;
    if (in4(a, 169, 254, 0, 0, 16))
        return SOUK_WEBHOOKS_ADDR_LINK_LOCAL;
    if (in4(a, 100, 64, 0, 0, 10))
        return SOUK_WEBHOOKS_ADDR_CGNAT;
    if (in4(a, 224, 0, 0, 0, 4))
        return SOUK_WEBHOOKS_ADDR_MULTICAST;
    if (in4(a, 240, 0, 0, 0, 4) || in4(a, 192, 0, 0, 0, 24) || in4(a, 192, 0, 2, 0, 24) || in4(a, 198, 18, 0, 0, 15) ||
        in4(a, 198, 51, 100, 0, 24) || in4(a, 203, 0, 113, 0, 24))
        return SOUK_WEBHOOKS_ADDR_RESERVED; /* 240/4 includes 255.255.255.255 */
    return SOUK_WEBHOOKS_ADDR_PUBLIC;
}

souk_webhooks_addr_class souk_webhooks_classify(const unsigned char *a, int family)
{
    if (family == 4)
        return classify4(a);
    static const unsigned char zero[16], mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff},
                                         nat64[12] = {0, 0x64, 0xff, 0x9b}, sixto4[2] = {0x20, 0x02},
                                         teredo[4] = {0x20, 0x01, 0, 0}, doc[4] = {0x20, 0x01, 0x0d, 0xb8};
    if (memcmp(a, zero, 16) == 0)
        return SOUK_WEBHOOKS_ADDR_UNSPECIFIED;
    if (memcmp(a, zero, 15) == 0 && a[15] == 1)
        return SOUK_WEBHOOKS_ADDR_LOOPBACK;
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
        return classify4(a + 12);
    if (memcmp(a, sixto4, 2) == 0)
        return classify4(a + 2);
    if (memcmp(a, zero, 12) == 0) /* ::a.b.c.d, deprecated IPv4-compatible */
        return SOUK_WEBHOOKS_ADDR_RESERVED;
    if ((a[0] & 0xfe) == 0xfc)
        return SOUK_WEBHOOKS_ADDR_PRIVATE; /* fc00::/7 unique local */
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
        return SOUK_WEBHOOKS_ADDR_LINK_LOCAL; /* fe80::/10 */
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
        return SOUK_WEBHOOKS_ADDR_PRIVATE; /* fec0::/10, deprecated site-local */
    if (a[0] == 0xff)
        return SOUK_WEBHOOKS_ADDR_MULTICAST;
    if (memcmp(a, teredo, 4) == 0 || memcmp(a, doc, 4) == 0)
        return SOUK_WEBHOOKS_ADDR_RESERVED;
    return SOUK_WEBHOOKS_ADDR_PUBLIC;
}

const char *souk_webhooks_addr_class_name(souk_webhooks_addr_class c)
{
    static const char *const names[] = {"public",    "loopback",    "private", "link-local",
                                        "multicast", "unspecified", "CGNAT",   "reserved"};
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "unknown";
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

/* HOST (lower case) as a DNS name: labels of 1..63 name characters */
static bool valid_name(const char *h)
{
    size_t label = 0;
    for (const char *p = h; *p; p++) {
        if (*p == '.') {
            if (!label)
                return false;
            label = 0;
        } else if (!name_char(*p) || ++label > 63) {
            return false;
        }
    }
    return label > 0 || (strlen(h) > 1 && h[strlen(h) - 1] == '.');
}

int souk_webhooks_url_parse(const char *url, size_t len, souk_webhooks_url *out, const char **why)
{
    memset(out, 0, sizeof *out);
    *why = NULL;
    if (!url || len == 0)
        return *why = "is empty", -1;
    if (len > SOUK_WEBHOOKS_URL_MAX)
        return *why = "is longer than 2048 bytes", -1;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
            return *why = "must be printable ASCII without spaces", -1;
    size_t i;
    if (len > 8 && strncasecmp(url, "https://", 8) == 0)
        out->https = true, i = 8;
    else if (len > 7 && strncasecmp(url, "http://", 7) == 0)
        i = 7;
    else
        return *why = "must be an http:// or https:// URL", -1;
    size_t auth_end = i;
    while (auth_end < len && url[auth_end] != '/' && url[auth_end] != '?' && url[auth_end] != '#')
        auth_end++;
    if (memchr(url, '#', len))
        return *why = "must not have a fragment", -1;
    if (memchr(url + i, '@', auth_end - i))
        return *why = "must not hold a user name or password", -1;
    if (memchr(url + auth_end, '\\', len - auth_end) || memchr(url + i, '\\', auth_end - i))
        return *why = "must not contain backslashes", -1;
    /* host and port */
    size_t hs = i, he, p;
    if (i < auth_end && url[i] == '[') {
        const char *close = memchr(url + i, ']', auth_end - i);
        if (!close)
            return *why = "has an unclosed [", -1;
        hs = i + 1;
        he = (size_t)(close - url);
        p = he + 1;
        if (p < auth_end && url[p] != ':')
            return *why = "has characters after ]", -1;
    } else {
        he = i;
        while (he < auth_end && url[he] != ':')
            he++;
        p = he;
    }
    if (he == hs)
        return *why = "has no host", -1;
    if (he - hs > SOUK_WEBHOOKS_HOST_MAX)
        return *why = "has a host longer than 253 bytes", -1;
    for (size_t k = hs; k < he; k++)
        out->host[k - hs] = lower(url[k]);
    out->host[he - hs] = 0;
    out->port = out->https ? 443 : 80;
    if (p < auth_end) { /* ':' port */
        p++;
        if (p == auth_end || auth_end - p > 5)
            return *why = "has an invalid port", -1;
        long port = 0;
        for (size_t k = p; k < auth_end; k++) {
            if (url[k] < '0' || url[k] > '9')
                return *why = "has an invalid port", -1;
            port = port * 10 + (url[k] - '0');
        }
        if (port < 1 || port > 65535)
            return *why = "has a port outside 1-65535", -1;
        out->port = (int)port;
    }
    if (url[i] == '[') {
        if (inet_pton(AF_INET6, out->host, out->addr) != 1)
            return *why = "has an invalid IPv6 address", -1;
        out->literal = 6;
        return 0;
    }
    if (inet_pton(AF_INET, out->host, out->addr) == 1) {
        out->literal = 4;
        return 0;
    }
    /* a last label of digits (or 0x and hex digits) is an IPv4 address in some other form, which
     * resolvers and libcurl read their own ways (127.1, 2130706433, 0x7f.1): refused */
    const char *last = strrchr(out->host, '.');
    const char *tld = last && last[1] ? last + 1 : out->host;
    if (last && !last[1]) { /* a trailing dot: look at the label before it */
        const char *q = last;
        while (q > out->host && q[-1] != '.')
            q--;
        tld = q;
    }
    bool hex = tld[0] == '0' && tld[1] == 'x', numeric = true;
    for (const char *c = hex ? tld + 2 : tld; *c && *c != '.'; c++)
        if (!((*c >= '0' && *c <= '9') || (hex && *c >= 'a' && *c <= 'f')))
            numeric = false;
    if (numeric)
        return *why = "has a host that is neither a dotted IPv4 address nor a name", -1;
    if (!valid_name(out->host))
        return *why = "has an invalid host name", -1;
    return 0;
}

int souk_webhooks_allow_parse(const char *list, souk_webhooks_allow *out, const char **why)
{
    memset(out, 0, sizeof *out);
    *why = NULL;
    if (!list)
        return 0;
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ' && *e != '\t')
            e++;
        char item[64];
        if ((size_t)(e - p) >= sizeof item)
            return *why = "an entry is too long", -1;
        memcpy(item, p, (size_t)(e - p));
        item[e - p] = 0;
        p = e;
        if (out->count == SOUK_WEBHOOKS_ALLOW_MAX)
            return *why = "more than 32 entries", -1;
        char *slash = strchr(item, '/');
        int prefix = -1;
        if (slash) {
            *slash = 0;
            char *end;
            long v = strtol(slash + 1, &end, 10);
            if (*end || end == slash + 1 || v < 0 || v > 128)
                return *why = "an entry has an invalid prefix length", -1;
            prefix = (int)v;
        }
        unsigned char addr[16] = {0};
        int family;
        if (inet_pton(AF_INET, item, addr) == 1)
            family = 4;
        else if (inet_pton(AF_INET6, item, addr) == 1)
            family = 6;
        else
            return *why = "an entry is not an IPv4 or IPv6 address or CIDR range", -1;
        if (prefix < 0)
            prefix = family == 4 ? 32 : 128;
        if (family == 4 && prefix > 32)
            return *why = "an IPv4 entry has a prefix longer than 32", -1;
        out->nets[out->count].family = family;
        memcpy(out->nets[out->count].addr, addr, 16);
        out->nets[out->count].prefix = prefix;
        out->count++;
    }
    return 0;
}

bool souk_webhooks_addr_allowed(const souk_webhooks_allow *allow, const unsigned char *addr, int family)
{
    if (souk_webhooks_classify(addr, family) == SOUK_WEBHOOKS_ADDR_PUBLIC)
        return true;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    const unsigned char *v4 = family == 4 ? addr : (memcmp(addr, mapped, 12) == 0 ? addr + 12 : NULL);
    for (size_t i = 0; allow && i < allow->count; i++) {
        if (allow->nets[i].family == 4 && v4 && prefix_eq(v4, allow->nets[i].addr, allow->nets[i].prefix))
            return true;
        if (allow->nets[i].family == 6 && family == 6 && prefix_eq(addr, allow->nets[i].addr, allow->nets[i].prefix))
            return true;
    }
    return false;
}

static int refuse(const unsigned char *addr, int family, char *why, size_t whylen, const char *what)
{
    char text[48];
    inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, text, sizeof text);
    snprintf(why, whylen, "%s %s, a %s address, which webhooks may not be sent to", what, text,
             souk_webhooks_addr_class_name(souk_webhooks_classify(addr, family)));
    return -1;
}

int souk_webhooks_target_check(const char *url, const souk_webhooks_allow *allow, bool resolve,
                               souk_webhooks_target *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    const char *reason;
    if (souk_webhooks_url_parse(url, url ? strlen(url) : 0, &out->url, &reason) != 0) {
        snprintf(why, whylen, "The URL %s.", reason);
        return -1;
    }
    if (out->url.literal) {
        out->family = out->url.literal;
        memcpy(out->addr, out->url.addr, 16);
        if (!souk_webhooks_addr_allowed(allow, out->addr, out->family))
            return refuse(out->addr, out->family, why, whylen, "The URL's host is");
        inet_ntop(out->family == 4 ? AF_INET : AF_INET6, out->addr, out->addr_text, sizeof out->addr_text);
        return 0;
    }
    if (!resolve)
        return 0;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    char port[8];
    snprintf(port, sizeof port, "%d", out->url.port);
    int rc = getaddrinfo(out->url.host, port, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(why, whylen, "The URL's host %s cannot be resolved (%s).", out->url.host, gai_strerror(rc));
        return -1;
    }
    int n = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        unsigned char a[16] = {0};
        int family;
        if (ai->ai_family == AF_INET) {
            memcpy(a, &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr, 4);
            family = 4;
        } else if (ai->ai_family == AF_INET6) {
            memcpy(a, &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr, 16);
            family = 6;
        } else {
            continue;
        }
        if (!souk_webhooks_addr_allowed(allow, a, family)) {
            freeaddrinfo(res);
            return refuse(a, family, why, whylen, "The URL's host resolves to");
        }
        if (n++ == 0) {
            out->family = family;
            memcpy(out->addr, a, 16);
        }
    }
    freeaddrinfo(res);
    if (!n) {
        snprintf(why, whylen, "The URL's host %s has no IPv4 or IPv6 address.", out->url.host);
        return -1;
    }
    inet_ntop(out->family == 4 ? AF_INET : AF_INET6, out->addr, out->addr_text, sizeof out->addr_text);
    return 0;
}
