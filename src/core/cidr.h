/*
 * cidr.h — lists of IPv4/IPv6 networks (CIDR) and the client address behind
 * trusted reverse proxies (SOUK_TRUSTED_PROXIES).
 *
 * A request's client is its TCP peer, unless the peer is a trusted proxy:
 * then X-Forwarded-For is read from the right (each proxy appends the
 * address it got the request from) and the first address that is not a
 * trusted proxy is the client. Everything left of it was written by the
 * client itself and is ignored, so a shopper cannot pick the address its
 * rate limits, access log line and fraud velocity are counted under.
 * Parsing is bounded: at most SOUK_CIDR_MAX networks in a list, an
 * X-Forwarded-For longer than SOUK_CIDR_XFF_MAX bytes or with more than
 * SOUK_CIDR_HOPS_MAX entries is looked at only from the right up to those
 * limits, and an entry that is not an address ends the walk.
 */
#ifndef SOUK_CIDR_H
#define SOUK_CIDR_H

#include <stdbool.h>
#include <stddef.h>

#define SOUK_CIDR_MAX 32       /* networks in one list */
#define SOUK_CIDR_XFF_MAX 4096 /* bytes of X-Forwarded-For looked at (the right-most ones) */
#define SOUK_CIDR_HOPS_MAX 16  /* X-Forwarded-For entries looked at, from the right */
#define SOUK_CIDR_TEXT_MAX 46  /* an address as text, NUL included (INET6_ADDRSTRLEN) */

typedef struct souk_cidr {
    unsigned char addr[16]; /* network address; IPv4 in the first 4 bytes */
    int family;             /* 4 or 6 */
    int bits;               /* prefix length */
} souk_cidr;

typedef struct souk_cidr_list {
    souk_cidr nets[SOUK_CIDR_MAX];
    size_t n;
} souk_cidr_list;

/* Parses TEXT, comma- or space-separated networks ("10.0.0.0/8, 127.0.0.1,
 * ::1/128"; an address without /N is one host; host bits set are an error)
 * into OUT. "" gives an empty list. Returns 0, or -1 with a message in ERR. */
int souk_cidr_parse_list(const char *text, souk_cidr_list *out, char *err, size_t errlen);

/* True when ADDR (text, IPv4 or IPv6; an IPv4-mapped IPv6 address counts as
 * its IPv4 one) is inside a network of L. False for what is not an address. */
bool souk_cidr_contains(const souk_cidr_list *l, const char *addr);

/* The client address of a request from PEER carrying X-Forwarded-For XFF
 * (NULL when absent), with TRUSTED the proxies' networks: PEER itself unless
 * it is trusted; else the right-most XFF address that is not trusted (or the
 * left-most one examined when all are trusted); PEER again when XFF gives no
 * address. Written to OUT (OUTLEN ≥ SOUK_CIDR_TEXT_MAX) in canonical form;
 * returns OUT. */
const char *souk_cidr_client(const souk_cidr_list *trusted, const char *peer, const char *xff, char *out,
                             size_t outlen);

#endif
