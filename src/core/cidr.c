/* cidr.c — see cidr.h. */
#include "core/cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

/* Parses the address in S (LEN bytes) into A/FAMILY; IPv4-mapped IPv6 becomes IPv4. 0 or -1. */
static int parse_addr(const char *s, size_t len, unsigned char a[16], int *family)
{
    char buf[SOUK_CIDR_TEXT_MAX];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(a, 0, 16);
    if (inet_pton(AF_INET, buf, a) == 1) {
        *family = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, a) != 1)
        return -1;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, mapped, 12) == 0) {
        memmove(a, a + 12, 4);
        memset(a + 4, 0, 12);
        *family = 4;
    } else {
        *family = 6;
    }
    return 0;
}

static bool in_net(const souk_cidr *n, const unsigned char a[16], int family)
{
    if (n->family != family)
        return false;
    int full = n->bits / 8, rest = n->bits % 8;
    if (memcmp(n->addr, a, (size_t)full) != 0)
        return false;
    if (!rest)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (n->addr[full] & mask) == (a[full] & mask);
}

static bool contains(const souk_cidr_list *l, const unsigned char a[16], int family)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (in_net(&l->nets[i], a, family))
            return true;
    return false;
}

int souk_cidr_parse_list(const char *text, souk_cidr_list *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *p = text ? text : "";
    for (;;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (!*p)
            return 0;
        size_t n = strcspn(p, " ,\t");
        const char *slash = memchr(p, '/', n);
        size_t alen = slash ? (size_t)(slash - p) : n;
        souk_cidr c;
        if (out->n >= SOUK_CIDR_MAX) {
            snprintf(err, errlen, "at most %d networks", SOUK_CIDR_MAX);
            return -1;
        }
        if (parse_addr(p, alen, c.addr, &c.family) < 0) {
            snprintf(err, errlen, "'%.*s' is not an IPv4 or IPv6 address", (int)(alen > 60 ? 60 : alen), p);
            return -1;
        }
        int max = c.family == 4 ? 32 : 128;
        c.bits = max;
        if (slash) {
            size_t blen = n - alen - 1;
            c.bits = -1;
            if (blen >= 1 && blen <= 3 && strspn(slash + 1, "0123456789") >= blen) {
                char b[4] = {0};
                memcpy(b, slash + 1, blen);
                c.bits = atoi(b);
            }
            if (c.bits < 0 || c.bits > max) {
                snprintf(err, errlen, "'%.*s': the prefix length must be 0-%d", (int)(n > 60 ? 60 : n), p, max);
                return -1;
            }
        }
        souk_cidr net = c;
        memset(net.addr, 0, sizeof net.addr);
        memcpy(net.addr, c.addr, (size_t)(c.bits / 8));
        if (c.bits % 8)
            net.addr[c.bits / 8] = (unsigned char)(c.addr[c.bits / 8] & (0xff << (8 - c.bits % 8)));
        if (memcmp(net.addr, c.addr, 16) != 0) {
            snprintf(err, errlen, "'%.*s' has host bits set", (int)(n > 60 ? 60 : n), p);
            return -1;
        }
        out->nets[out->n++] = net;
        p += n;
    }
}

bool souk_cidr_contains(const souk_cidr_list *l, const char *addr)
{
    unsigned char a[16];
    int family;
    return addr && parse_addr(addr, strlen(addr), a, &family) == 0 && contains(l, a, family);
}

static const char *format(const unsigned char a[16], int family, char *out, size_t outlen)
{
    if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, a, out, (socklen_t)outlen))
        snprintf(out, outlen, "unknown");
    return out;
}

const char *souk_cidr_client(const souk_cidr_list *trusted, const char *peer, const char *xff, char *out, size_t outlen)
{
    unsigned char a[16];
    int family;
    snprintf(out, outlen, "%s", peer ? peer : "unknown");
    if (!xff || !trusted || !trusted->n || !peer || parse_addr(peer, strlen(peer), a, &family) < 0 ||
        !contains(trusted, a, family))
        return out;
    size_t len = strlen(xff);
    const char *start = len > SOUK_CIDR_XFF_MAX ? xff + len - SOUK_CIDR_XFF_MAX : xff;
    const char *end = xff + len;
    for (int hops = 0; hops < SOUK_CIDR_HOPS_MAX && end > start; hops++) {
        const char *comma = end;
        while (comma > start && comma[-1] != ',')
            comma--;
        const char *b = comma, *e = end;
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (comma == start && start != xff)
            break; /* cut by the length bound: not a whole entry */
        unsigned char h[16];
        int hf;
        if (parse_addr(b, (size_t)(e - b), h, &hf) < 0)
            break; /* garbage: the hop to its right is the best we know */
        format(h, hf, out, outlen);
        if (!contains(trusted, h, hf))
            return out;
        end = comma > start ? comma - 1 : start;
    }
    return out;
}
