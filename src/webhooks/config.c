/*
 * config.c — the webhook settings, read from the environment once:
 *   SOUK_WEBHOOKS_ALLOW_TARGETS   addresses / CIDR ranges that may be targets although they are
 *                                 loopback, private, … (default: none)
 *   SOUK_WEBHOOKS_RETRY_SCHEDULE  delays in seconds before the 2nd, 3rd, … attempt, comma-separated
 *                                 (default 5,300,1800,7200,18000,36000,36000)
 *   SOUK_WEBHOOKS_DISABLE_AFTER   consecutive deliveries that failed every attempt before the
 *                                 subscription is disabled (default 5)
 *   SOUK_WEBHOOKS_DISABLE_DAYS    days of failed attempts without a success before it is (default 5)
 *   SOUK_WEBHOOKS_TIMEOUT_MS      the whole request, 1000..60000 (default 15000)
 */
#include "webhooks/webhooks.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/banned.h"

static souk_webhooks_config config;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool set_by_test;

static long env_long(const char *name, long def, long lo, long hi)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < lo || n > hi) {
        souk_log_warn("%s must be a number from %ld to %ld; using %ld", name, lo, hi, def);
        return def;
    }
    return n;
}

int souk__webhooks_schedule_parse(const char *s, double *out, size_t *len)
{
    double v[SOUK_WEBHOOKS_SCHEDULE_MAX];
    size_t n = 0;
    bool ok = true;
    const char *p = s;
    while (ok && *p) {
        char *end;
        double d = strtod(p, &end);
        if (end == p || !(d >= 0 && d <= 30.0 * 24 * 3600) || n == SOUK_WEBHOOKS_SCHEDULE_MAX)
            ok = false;
        else
            v[n++] = d;
        p = end;
        if (*p == ',')
            p++;
        else if (*p)
            ok = false;
    }
    if (!ok)
        return -1;
    memcpy(out, v, n * sizeof v[0]);
    *len = n;
    return 0;
}

static void load(void)
{
    if (set_by_test)
        return;
    const char *why;
    if (souk_webhooks_allow_parse(getenv("SOUK_WEBHOOKS_ALLOW_TARGETS"), &config.allow, &why) != 0) {
        souk_log_warn("SOUK_WEBHOOKS_ALLOW_TARGETS: %s; no target is allowed beyond public addresses", why);
        memset(&config.allow, 0, sizeof config.allow);
    }
    memcpy(config.schedule_s, souk_webhooks_default_schedule_s,
           souk_webhooks_default_schedule_len * sizeof config.schedule_s[0]);
    config.schedule_len = souk_webhooks_default_schedule_len;
    const char *s = getenv("SOUK_WEBHOOKS_RETRY_SCHEDULE");
    if (s && *s) {
        double v[SOUK_WEBHOOKS_SCHEDULE_MAX];
        size_t n = 0;
        if (souk__webhooks_schedule_parse(s, v, &n) == 0) {
            memcpy(config.schedule_s, v, n * sizeof v[0]);
            config.schedule_len = n;
        } else {
            souk_log_warn("SOUK_WEBHOOKS_RETRY_SCHEDULE must be up to 20 comma-separated delays in seconds "
                          "(0 to 30 days); using the default");
        }
    }
    config.disable_after =
        (int)env_long("SOUK_WEBHOOKS_DISABLE_AFTER", SOUK_WEBHOOKS_DISABLE_AFTER_DEFAULT, 1, 1000000);
    config.disable_days = (int)env_long("SOUK_WEBHOOKS_DISABLE_DAYS", SOUK_WEBHOOKS_DISABLE_DAYS_DEFAULT, 1, 365);
    config.timeout_ms = env_long("SOUK_WEBHOOKS_TIMEOUT_MS", SOUK_WEBHOOKS_TIMEOUT_MS, 1000, 60000);
}

const souk_webhooks_config *souk_webhooks_config_get(void)
{
    pthread_once(&once, load);
    return &config;
}

void souk__webhooks_config_set(const souk_webhooks_config *c)
{
    pthread_once(&once, load);
    set_by_test = true;
    config = *c;
}
