/*
 * breaker.h — circuit breakers around calls to other services (the payment
 * gateway, the SMTP relay, webhook receivers).
 *
 * States: CLOSED (calls go through) → OPEN after `failures` consecutive
 * failed calls → after `cooldown_us`, HALF_OPEN: the next caller is let
 * through as the one probe, everybody else is still refused → the probe's
 * success closes the breaker, its failure opens it for another cool-down.
 * A probe that never reports (its caller died) is given up after one more
 * cool-down and a new probe is allowed. Consecutive failures, not a ratio:
 * the services behind these breakers are called a few times a second at
 * most, too rarely for a ratio over a window to mean anything.
 *
 * Every function is thread-safe (one mutex per breaker, held for a few
 * instructions; the calls it guards take milliseconds). Time is passed in
 * (NOW_US, monotonic microseconds) so the state machine is deterministic in
 * tests; the callers use souk_time_mono_us().
 *
 * Named breakers (souk_breaker_named) live for the whole process, take their
 * settings from SOUK_BREAKER_FAILURES (default 5, 1..1000) and
 * SOUK_BREAKER_COOLDOWN_S (default 30, 1..3600), and are exported in
 * /metrics as souk_breaker_state{breaker="NAME"} (0 closed, 1 half-open,
 * 2 open) and souk_breaker_opens_total{breaker="NAME"}.
 */
#ifndef SOUK_BREAKER_H
#define SOUK_BREAKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define SOUK_BREAKER_NAME_MAX 96 /* bytes of a name, NUL included */
#define SOUK_BREAKER_MAX 64      /* named breakers in one process */
#define SOUK_BREAKER_DEFAULT_FAILURES 5
#define SOUK_BREAKER_DEFAULT_COOLDOWN_US (INT64_C(30) * 1000000)

typedef enum souk_breaker_state {
    SOUK_BREAKER_CLOSED = 0,
    SOUK_BREAKER_HALF_OPEN = 1,
    SOUK_BREAKER_OPEN = 2,
} souk_breaker_state;

typedef struct souk_breaker_config {
    int failures;        /* consecutive failures that open the breaker, ≥ 1 */
    int64_t cooldown_us; /* how long it stays open before a probe, > 0 */
} souk_breaker_config;

typedef struct souk_breaker {
    pthread_mutex_t mu;
    char name[SOUK_BREAKER_NAME_MAX];
    souk_breaker_config cfg;
    souk_breaker_state state;
    int consecutive;   /* failures in a row while closed */
    int64_t opened_at; /* when it last opened */
    bool probing;      /* half-open: the probe is out */
    int64_t probe_at;  /* when the probe was let through */
    int64_t opens;     /* times it opened */
    int metric_state;  /* metrics handles, -1 when not exported */
    int metric_opens;
} souk_breaker;

/* Initialises B as CLOSED with CFG (NULL = the defaults above; values out of
 * range are replaced by the defaults) under NAME (cut to fit). Not exported
 * in /metrics (souk_breaker_named does that). */
void souk_breaker_init(souk_breaker *b, const char *name, const souk_breaker_config *cfg);

/* Releases B's mutex (for breakers of souk_breaker_init). */
void souk_breaker_destroy(souk_breaker *b);

/* Asks whether a call may be made now. True when closed, or when this
 * caller is the half-open probe (an open breaker whose cool-down has passed
 * turns half-open here). The caller then makes the call and MUST report its
 * outcome with souk_breaker_record. False: the call must not be made; when
 * RETRY_AFTER_US is not NULL it gets how long until a probe may be let
 * through (≥ 1 s, rounded up to whole seconds). */
bool souk_breaker_allow(souk_breaker *b, int64_t now_us, int64_t *retry_after_us);

/* Reports the outcome of a call souk_breaker_allow let through: OK false =
 * the service failed (unreachable, timed out, answered 5xx) — an answer that
 * is the service's verdict (a card declined, a 4xx) is a success here. */
void souk_breaker_record(souk_breaker *b, bool ok, int64_t now_us);

/* Looks without taking the probe: true when souk_breaker_allow would refuse
 * now (open within its cool-down, or half-open with the probe out), with
 * RETRY_AFTER_US as souk_breaker_allow gives it. */
bool souk_breaker_refusing(souk_breaker *b, int64_t now_us, int64_t *retry_after_us);

/* The current state (as last changed; an open breaker past its cool-down
 * stays OPEN until a caller asks) and, when OPENS is not NULL, how many
 * times it opened. */
souk_breaker_state souk_breaker_state_of(souk_breaker *b, int64_t *opens);

/* "closed", "half_open", "open". */
const char *souk_breaker_state_name(souk_breaker_state s);

/* The process-wide breaker NAME (e.g. "payments", "smtp",
 * "webhook:hooks.example.com"), created on first use with the settings of
 * the environment and exported in /metrics. Returns NULL when
 * SOUK_BREAKER_MAX breakers exist already or NAME is empty or too long;
 * callers then fall back to a shared breaker of their own. */
souk_breaker *souk_breaker_named(const char *name);

/* Calls FN for every named breaker, in creation order, with ARG. */
void souk_breaker_each(void (*fn)(souk_breaker *b, void *arg), void *arg);

/* Reads SOUK_BREAKER_FAILURES and SOUK_BREAKER_COOLDOWN_S into OUT (the
 * defaults for unset or invalid values). */
void souk_breaker_config_env(souk_breaker_config *out);

#endif
