/*
 * webhooks.h — outgoing webhooks: subscriptions per event type, deliveries
 * signed as the Standard Webhooks specification says, sent from the job
 * queue with retries, a delivery log with replay, automatic disabling after
 * persistent failure, and SSRF protection for the targets.
 *
 * An outbox subscriber (souk_webhooks_register) turns every event of a
 * documented type into one delivery row per enabled subscription that asked
 * for it (unique on event id + subscription, so a redelivered event adds
 * nothing) and one job of kind SOUK_WEBHOOKS_JOB per attempt. A job resolves
 * the target itself, refuses forbidden addresses, pins the address it
 * checked, signs and POSTs the body with libcurl (send.c, the only file that
 * includes curl), and records the attempt; a failure schedules the next
 * attempt by souk_webhooks_retry_delay_us. Design: docs/internals/webhooks.md,
 * user docs: docs/webhooks.md.
 *
 * Files: types.c (the event types), sign.c (secrets, signatures), target.c
 * (URL parsing, address classes, allow-list, resolution), backoff.c,
 * config.c (settings from the environment), fanout.c (the outbox
 * subscriber), deliver.c (the job), send.c (libcurl), purge.c (retention), api.c (the admin API,
 * api.h).
 *
 * Storage: webhooks_subscriptions, webhooks_subscription_types,
 * webhooks_deliveries, webhooks_attempts of migration 0103. Times are µs
 * since the Unix epoch; public ids are "wh_…" (subscriptions) and "whd_…"
 * (deliveries).
 */
#ifndef SOUK_WEBHOOKS_H
#define SOUK_WEBHOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define SOUK_PREFIX_WEBHOOK "wh"
#define SOUK_PREFIX_WEBHOOK_DELIVERY "whd"
#define SOUK_WEBHOOKS_JOB "webhooks.deliver"

#define SOUK_WEBHOOKS_URL_MAX 2048             /* bytes of a target URL */
#define SOUK_WEBHOOKS_HOST_MAX 253             /* bytes of its host */
#define SOUK_WEBHOOKS_TYPES_MAX 32             /* event types per subscription */
#define SOUK_WEBHOOKS_DESCRIPTION_MAX 200      /* characters */
#define SOUK_WEBHOOKS_SECRET_BYTES 32          /* random bytes of a secret */
#define SOUK_WEBHOOKS_SECRET_MAX 64            /* bytes of "whsec_" + base64, with the NUL */
#define SOUK_WEBHOOKS_SIGNATURE_MAX 128        /* bytes of one "v1,<base64>" with the NUL */
#define SOUK_WEBHOOKS_RESPONSE_MAX (64 * 1024) /* bytes of a response body read before giving up */
#define SOUK_WEBHOOKS_LOG_BODY_MAX 1024        /* bytes of the response body kept in the log */
#define SOUK_WEBHOOKS_ERROR_MAX 300            /* bytes of an attempt's error kept */
#define SOUK_WEBHOOKS_CONNECT_TIMEOUT_MS 5000
#define SOUK_WEBHOOKS_TIMEOUT_MS 15000            /* whole request, default */
#define SOUK_WEBHOOKS_GRACE_DEFAULT_S (24 * 3600) /* an old secret keeps signing this long after a rotation */
#define SOUK_WEBHOOKS_GRACE_MAX_S (7 * 24 * 3600) /* at most */
#define SOUK_WEBHOOKS_SCHEDULE_MAX 20             /* retries in a schedule */
#define SOUK_WEBHOOKS_ALLOW_MAX 32                /* entries of the allow-list */
#define SOUK_WEBHOOKS_DISABLE_AFTER_DEFAULT 5     /* consecutive deliveries that failed every attempt */
#define SOUK_WEBHOOKS_DISABLE_DAYS_DEFAULT 5      /* days of failing attempts without a success */

/* ---- event types (types.c) ---- */

/* The event types a subscription may name, NULL-terminated: the order life
 * cycle (docs/orders.md, "Events"), stock.changed and inventory.low_stock. */
extern const char *const souk_webhooks_event_types[];

/* True when TYPE is one of souk_webhooks_event_types. */
bool souk_webhooks_event_type_known(const char *type);

/* ---- secrets and signatures (sign.c) ---- */

/* A new secret "whsec_<base64 of 32 random bytes>" (libsodium) into OUT. */
void souk_webhooks_secret_new(char out[SOUK_WEBHOOKS_SECRET_MAX]);

/* Signs as the Standard Webhooks specification says: "v1,"
 * base64(HMAC-SHA256(key, MSG_ID "." TIMESTAMP "." BODY)) into OUT, where key
 * is the base64-decoded part of SECRET after "whsec_" (a secret without the
 * prefix is decoded whole). Returns 0, or -1 when SECRET does not decode. */
int souk_webhooks_sign(const char *secret, const char *msg_id, int64_t timestamp, const char *body, size_t len,
                       char out[SOUK_WEBHOOKS_SIGNATURE_MAX]);

/* The webhook-signature header value: the signature with SECRET, then,
 * when PREVIOUS is not NULL (an old secret within its grace period), a
 * space and the signature with PREVIOUS. OUT holds 2 * SIGNATURE_MAX.
 * Returns 0 or -1 as souk_webhooks_sign. */
int souk_webhooks_signature_header(const char *secret, const char *previous, const char *msg_id, int64_t timestamp,
                                   const char *body, size_t len, char out[2 * SOUK_WEBHOOKS_SIGNATURE_MAX]);

/* ---- targets (target.c) ---- */

/* What an address is, for the SSRF check. Everything but PUBLIC is refused
 * unless the allow-list names it. */
typedef enum souk_webhooks_addr_class {
    SOUK_WEBHOOKS_ADDR_PUBLIC = 0,
    SOUK_WEBHOOKS_ADDR_LOOPBACK,    /* 127/8, ::1 */
    SOUK_WEBHOOKS_ADDR_PRIVATE,     /* 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10 */
    SOUK_WEBHOOKS_ADDR_LINK_LOCAL,  /* 169.254/16, fe80::/10 */
    SOUK_WEBHOOKS_ADDR_MULTICAST,   /* 224/4, ff00::/8 */
    SOUK_WEBHOOKS_ADDR_UNSPECIFIED, /* 0/8, :: */
    SOUK_WEBHOOKS_ADDR_CGNAT,       /* 100.64/10 */
    SOUK_WEBHOOKS_ADDR_RESERVED,    /* 240/4 and broadcast, 192.0.0/24, benchmarking 198.18/15, the
                                     * documentation nets, 2001:db8::/32, Teredo 2001::/32, ::/96 */
} souk_webhooks_addr_class;

/* The class of ADDR: 4 bytes (FAMILY 4) or 16 bytes (FAMILY 6), network
 * order. IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96) and 6to4
 * (2002::/16) addresses are classified by the IPv4 address they carry. */
souk_webhooks_addr_class souk_webhooks_classify(const unsigned char *addr, int family);

/* "loopback", "private", … for a class. */
const char *souk_webhooks_addr_class_name(souk_webhooks_addr_class c);

/* A parsed target URL. */
typedef struct souk_webhooks_url {
    bool https;
    char host[SOUK_WEBHOOKS_HOST_MAX + 1]; /* lower case, IPv6 without brackets */
    int port;                              /* explicit or the scheme's */
    int literal;                           /* 4 or 6 when HOST is an address literal, else 0 */
    unsigned char addr[16];                /* the literal's bytes */
} souk_webhooks_url;

/* Parses URL (LEN bytes): http or https (case-insensitive), no user
 * information, a host (a DNS name of [A-Za-z0-9-_.] labels, a dotted IPv4
 * address, or [IPv6]), an optional port 1..65535, then an optional path and
 * query of printable ASCII without spaces; no fragment; at most
 * SOUK_WEBHOOKS_URL_MAX bytes. Returns 0, or -1 with a static reason in
 * *WHY. Pure (the fuzz driver calls it). */
int souk_webhooks_url_parse(const char *url, size_t len, souk_webhooks_url *out, const char **why);

/* An allow-list of address ranges that may be targets whatever their class. */
typedef struct souk_webhooks_allow {
    struct {
        int family; /* 4 or 6 */
        unsigned char addr[16];
        int prefix;
    } nets[SOUK_WEBHOOKS_ALLOW_MAX];
    size_t count;
} souk_webhooks_allow;

/* Parses LIST: comma-separated addresses or CIDR ranges ("127.0.0.1/32,
 * ::1, 10.0.0.0/8"), blanks ignored, NULL or "" = empty. Returns 0, or -1
 * with a static reason in *WHY. */
int souk_webhooks_allow_parse(const char *list, souk_webhooks_allow *out, const char **why);

/* True when ADDR (FAMILY 4 or 6) may be a target: public, or in ALLOW
 * (NULL = empty). An IPv4-mapped IPv6 address matches IPv4 ranges too. */
bool souk_webhooks_addr_allowed(const souk_webhooks_allow *allow, const unsigned char *addr, int family);

/* A checked target: the URL and the one address it is to be sent to. */
typedef struct souk_webhooks_target {
    souk_webhooks_url url;
    int family;
    unsigned char addr[16];
    char addr_text[48]; /* as inet_ntop prints it */
} souk_webhooks_target;

/* Parses URL and finds its address: a literal is checked as it is; a name
 * is resolved (getaddrinfo, blocking: never on an HTTP loop thread) when
 * RESOLVE, and every address it resolves to must be allowed — the first is
 * the one to pin. Without RESOLVE a name passes unresolved (family 0).
 * Returns 0, or -1 with a reason for the client in WHY. */
int souk_webhooks_target_check(const char *url, const souk_webhooks_allow *allow, bool resolve,
                               souk_webhooks_target *out, char *why, size_t whylen);

/* ---- retries (backoff.c) ---- */

/* The documented schedule: the delays before the 2nd, 3rd, … attempt —
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (8 attempts in about 28 h). */
extern const double souk_webhooks_default_schedule_s[];
extern const size_t souk_webhooks_default_schedule_len;

/* The delay before the attempt after failed attempt number FAILED (1 =
 * the first one failed) with SCHEDULE (N delays, in seconds) and ±10 %
 * jitter from JITTER in [0, 1) (0.5 = none). Returns µs (≥ 0), or -1 when
 * the schedule is used up (the delivery has failed for good). */
int64_t souk_webhooks_retry_delay_us(const double *schedule, size_t n, int failed, double jitter);

/* ---- settings (config.c) ---- */

typedef struct souk_webhooks_config {
    souk_webhooks_allow allow;                     /* SOUK_WEBHOOKS_ALLOW_TARGETS */
    double schedule_s[SOUK_WEBHOOKS_SCHEDULE_MAX]; /* SOUK_WEBHOOKS_RETRY_SCHEDULE: seconds, comma-separated */
    size_t schedule_len;
    int disable_after; /* SOUK_WEBHOOKS_DISABLE_AFTER: consecutive failed deliveries, ≥ 1 */
    int disable_days;  /* SOUK_WEBHOOKS_DISABLE_DAYS: days of failures without a success, ≥ 1 */
    long timeout_ms;   /* SOUK_WEBHOOKS_TIMEOUT_MS: whole request, 1000..60000 */
} souk_webhooks_config;

/* The settings, read from the environment on first use (a bad value is
 * logged and its default used). Never NULL; shared, read-only. */
const souk_webhooks_config *souk_webhooks_config_get(void);

/* Parses a retry schedule as SOUK_WEBHOOKS_RETRY_SCHEDULE gives it: up to
 * SOUK_WEBHOOKS_SCHEDULE_MAX comma-separated delays in seconds (strtod's
 * numbers, 0 to 30 days each; one trailing comma is tolerated) into OUT
 * and *LEN. Returns 0, or -1 with OUT and *LEN untouched. */
int souk__webhooks_schedule_parse(const char *s, double *out, size_t *len);

/* Replaces the settings (tests, before any use on other threads). */
void souk__webhooks_config_set(const souk_webhooks_config *c);

/* ---- wiring ---- */

/* Subscribes the fan-out to the outbox (cursor "webhooks"), registers the
 * job kind SOUK_WEBHOOKS_JOB and the hourly "webhooks.purge" of finished
 * deliveries older than 30 days. Call from souk_background_register.
 * Returns 0, or -1 when either registration failed. */
int souk_webhooks_register(void);

/* ---- internal, shared with the unit test ---- */

/* The fan-out of one outbox event inside the caller's write transaction:
 * one delivery row and first job per matching enabled subscription.
 * Returns the number of deliveries created, or a negative souk_db_status. */
int souk__webhooks_fanout_tx(souk_store *db, const char *type, const char *payload_json, int64_t event_id,
                             int64_t now_us);

#endif
