/*
 * breaker.c — the circuit-breaker state machine (breaker.h) and the
 * process-wide table of named breakers with their /metrics series.
 */
#include "core/breaker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/banned.h"

void souk_breaker_init(souk_breaker *b, const char *name, const souk_breaker_config *cfg)
{
    memset(b, 0, sizeof *b);
    pthread_mutex_init(&b->mu, NULL);
    snprintf(b->name, sizeof b->name, "%s", name ? name : "");
    b->cfg.failures =
        cfg && cfg->failures >= 1 && cfg->failures <= 1000 ? cfg->failures : SOUK_BREAKER_DEFAULT_FAILURES;
    b->cfg.cooldown_us = cfg && cfg->cooldown_us > 0 ? cfg->cooldown_us : SOUK_BREAKER_DEFAULT_COOLDOWN_US;
    b->state = SOUK_BREAKER_CLOSED;
    b->metric_state = b->metric_opens = -1;
}

void souk_breaker_destroy(souk_breaker *b)
{
    pthread_mutex_destroy(&b->mu);
}

/* whole seconds, at least one */
static int64_t round_up_s(int64_t us)
{
    int64_t s = (us + 999999) / 1000000;
    return (s < 1 ? 1 : s) * 1000000;
}

/* B->mu held: the state changes to S (and the gauge with it). */
static void set_state(souk_breaker *b, souk_breaker_state s, int64_t now_us)
{
    if (s == SOUK_BREAKER_OPEN) {
        b->opened_at = now_us;
        b->opens++;
        souk_metrics_series_add(b->metric_opens, 1);
    }
    if (s != SOUK_BREAKER_HALF_OPEN)
        b->probing = false;
    b->consecutive = 0;
    b->state = s;
    souk_metrics_series_set(b->metric_state, (int64_t)s);
}

/* B->mu held: would a call be refused now (without changing anything)? */
static bool refusing_locked(const souk_breaker *b, int64_t now_us, int64_t *retry_after_us)
{
    int64_t wait = 0;
    if (b->state == SOUK_BREAKER_OPEN)
        wait = b->opened_at + b->cfg.cooldown_us - now_us;
    else if (b->state == SOUK_BREAKER_HALF_OPEN && b->probing)
        wait = b->probe_at + b->cfg.cooldown_us - now_us; /* a probe that never reports is given up */
    if (wait <= 0)
        return false;
    if (retry_after_us)
        *retry_after_us = round_up_s(wait);
    return true;
}

bool souk_breaker_allow(souk_breaker *b, int64_t now_us, int64_t *retry_after_us)
{
    pthread_mutex_lock(&b->mu);
    bool ok = !refusing_locked(b, now_us, retry_after_us);
    if (ok && b->state != SOUK_BREAKER_CLOSED) { /* past the cool-down: this caller is the probe */
        if (b->state == SOUK_BREAKER_OPEN)
            set_state(b, SOUK_BREAKER_HALF_OPEN, now_us);
        b->probing = true;
        b->probe_at = now_us;
    }
    pthread_mutex_unlock(&b->mu);
    return ok;
}

void souk_breaker_record(souk_breaker *b, bool ok, int64_t now_us)
{
    pthread_mutex_lock(&b->mu);
    switch (b->state) {
    case SOUK_BREAKER_CLOSED:
        if (ok)
            b->consecutive = 0;
        else if (++b->consecutive >= b->cfg.failures)
            set_state(b, SOUK_BREAKER_OPEN, now_us);
        break;
    case SOUK_BREAKER_HALF_OPEN: /* the probe's answer decides */
        set_state(b, ok ? SOUK_BREAKER_CLOSED : SOUK_BREAKER_OPEN, now_us);
        break;
    case SOUK_BREAKER_OPEN: /* a call let through before it opened: it already counted enough */ break;
    }
    pthread_mutex_unlock(&b->mu);
}

bool souk_breaker_refusing(souk_breaker *b, int64_t now_us, int64_t *retry_after_us)
{
    pthread_mutex_lock(&b->mu);
    bool r = refusing_locked(b, now_us, retry_after_us);
    pthread_mutex_unlock(&b->mu);
    return r;
}

souk_breaker_state souk_breaker_state_of(souk_breaker *b, int64_t *opens)
{
    pthread_mutex_lock(&b->mu);
    souk_breaker_state s = b->state;
    if (opens)
        *opens = b->opens;
    pthread_mutex_unlock(&b->mu);
    return s;
}

const char *souk_breaker_state_name(souk_breaker_state s)
{
    switch (s) {
    case SOUK_BREAKER_CLOSED: return "closed";
    case SOUK_BREAKER_HALF_OPEN: return "half_open";
    case SOUK_BREAKER_OPEN: return "open";
    }
    return "closed";
}

/* a whole number of S in LO..HI from the environment, else DEF */
static long env_long(const char *var, long lo, long hi, long def)
{
    const char *v = getenv(var);
    if (!v || !*v || strlen(v) > 9)
        return def;
    char *end;
    long n = strtol(v, &end, 10);
    return *end || n < lo || n > hi ? def : n;
}

void souk_breaker_config_env(souk_breaker_config *out)
{
    out->failures = (int)env_long("SOUK_BREAKER_FAILURES", 1, 1000, SOUK_BREAKER_DEFAULT_FAILURES);
    out->cooldown_us =
        (int64_t)env_long("SOUK_BREAKER_COOLDOWN_S", 1, 3600, SOUK_BREAKER_DEFAULT_COOLDOWN_US / 1000000) * 1000000;
}

/* ---- named breakers ---- */

static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;
static souk_breaker *table[SOUK_BREAKER_MAX];
static size_t table_n;

souk_breaker *souk_breaker_named(const char *name)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len >= SOUK_BREAKER_NAME_MAX)
        return NULL;
    pthread_mutex_lock(&table_mu);
    souk_breaker *b = NULL;
    for (size_t i = 0; i < table_n && !b; i++)
        if (strcmp(table[i]->name, name) == 0)
            b = table[i];
    if (!b && table_n < SOUK_BREAKER_MAX && (b = malloc(sizeof *b))) {
        souk_breaker_config cfg;
        souk_breaker_config_env(&cfg);
        souk_breaker_init(b, name, &cfg);
        char labels[SOUK_BREAKER_NAME_MAX * 2 + 16];
        size_t n = (size_t)snprintf(labels, sizeof labels, "breaker=\"");
        for (const char *p = name; *p; p++) { /* label text: \ and " escaped */
            if (*p == '\\' || *p == '"')
                labels[n++] = '\\';
            labels[n++] = (*p == '\n') ? ' ' : *p;
        }
        labels[n++] = '"';
        labels[n] = '\0';
        b->metric_state = souk_metrics_series("souk_breaker_state", labels, SOUK_METRIC_GAUGE,
                                              "Circuit breaker state: 0 closed, 1 half-open, 2 open.");
        b->metric_opens = souk_metrics_series("souk_breaker_opens_total", labels, SOUK_METRIC_COUNTER,
                                              "Times the circuit breaker opened.");
        table[table_n++] = b;
    }
    pthread_mutex_unlock(&table_mu);
    return b;
}

void souk_breaker_each(void (*fn)(souk_breaker *b, void *arg), void *arg)
{
    pthread_mutex_lock(&table_mu);
    size_t n = table_n;
    souk_breaker *copy[SOUK_BREAKER_MAX];
    memcpy(copy, table, n * sizeof copy[0]);
    pthread_mutex_unlock(&table_mu);
    for (size_t i = 0; i < n; i++)
        fn(copy[i], arg);
}
