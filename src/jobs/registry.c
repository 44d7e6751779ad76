/*
 * registry.c — the kinds this process can run and the schedules it keeps:
 * filled before the workers start (registrations close when they do), read
 * by every worker thread under one mutex.
 */
#include "jobs/internal.h"

#include <pthread.h>
#include <string.h>

#include "core/log.h"
#include "core/time.h"
#include "core/banned.h"

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static souk__job_kind kinds[SOUK_JOB_KINDS_MAX];
static int nkinds;
static souk__job_schedule schedules[SOUK_JOB_KINDS_MAX];
static int nschedules;

bool souk__jobs_kind_ok(const char *k)
{
    size_t n = k ? strlen(k) : 0;
    if (n == 0 || n > SOUK_JOB_KIND_MAX || k[0] < 'a' || k[0] > 'z')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

int souk_job_register_kind(const souk_job_kind *k)
{
    const char *kind = k ? k->kind : NULL;
    if (!k || !souk__jobs_kind_ok(kind) || !k->fn == !k->tx_fn || k->max_attempts > 100 || k->retry_us < 0 ||
        souk__jobs_running()) {
        souk_log_error("jobs: cannot register kind %s", souk__jobs_kind_ok(kind) ? kind : "(invalid)");
        return -1;
    }
    pthread_mutex_lock(&reg_mu);
    int ret = -1;
    for (int i = 0; i < nkinds; i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            goto out;
    if (nkinds == SOUK_JOB_KINDS_MAX)
        goto out;
    souk__job_kind *e = &kinds[nkinds++];
    memset(e, 0, sizeof *e);
    memcpy(e->kind, kind, strlen(kind) + 1);
    e->fn = k->fn;
    e->tx_fn = k->tx_fn;
    e->max_attempts = k->max_attempts > 0 ? k->max_attempts : SOUK_JOB_DEFAULT_MAX_ATTEMPTS;
    e->retry_us = k->retry_us > 0 ? k->retry_us : SOUK_JOB_RETRY_US;
    e->on_outcome = k->on_outcome;
    ret = 0;
out:
    pthread_mutex_unlock(&reg_mu);
    if (ret < 0)
        souk_log_error("jobs: kind %s already registered or table full", kind);
    return ret;
}

int souk_job_register(const char *kind, souk_job_fn fn, int max_attempts)
{
    if (!fn)
        return -1;
    return souk_job_register_kind(&(souk_job_kind){.kind = kind, .fn = fn, .max_attempts = max_attempts});
}

int souk_job_register_tx(const char *kind, souk_job_tx_fn fn, int max_attempts)
{
    if (!fn)
        return -1;
    return souk_job_register_kind(&(souk_job_kind){.kind = kind, .tx_fn = fn, .max_attempts = max_attempts});
}

bool souk__jobs_kind_get(const char *kind, souk__job_kind *out)
{
    bool found = false;
    pthread_mutex_lock(&reg_mu);
    for (int i = 0; i < nkinds && !found; i++)
        if (strcmp(kinds[i].kind, kind) == 0) {
            *out = kinds[i];
            found = true;
        }
    pthread_mutex_unlock(&reg_mu);
    return found;
}

int souk_job_schedule(const char *kind, const char *cron)
{
    souk_cron c;
    const char *why = NULL;
    if (!souk__jobs_kind_ok(kind) || souk_cron_parse(cron, &c, &why) < 0 ||
        souk_cron_next(&c, souk_time_now_us()) < 0 || strlen(cron) >= sizeof schedules[0].cron ||
        souk__jobs_running()) {
        souk_log_error("jobs: cannot schedule %s by '%s': %s", souk__jobs_kind_ok(kind) ? kind : "(invalid kind)",
                       cron ? cron : "", why ? why : "never due, or workers running");
        return -1;
    }
    pthread_mutex_lock(&reg_mu);
    int ret = -1;
    souk__job_schedule *e = NULL;
    for (int i = 0; i < nschedules; i++)
        if (strcmp(schedules[i].kind, kind) == 0)
            e = &schedules[i]; /* scheduling again replaces the expression */
    if (!e && nschedules < SOUK_JOB_KINDS_MAX)
        e = &schedules[nschedules++];
    if (e) {
        memcpy(e->kind, kind, strlen(kind) + 1);
        memcpy(e->cron, cron, strlen(cron) + 1);
        e->parsed = c;
        ret = 0;
    }
    pthread_mutex_unlock(&reg_mu);
    return ret;
}

int souk__jobs_schedules(souk__job_schedule *out)
{
    pthread_mutex_lock(&reg_mu);
    int n = nschedules;
    memcpy(out, schedules, sizeof(souk__job_schedule) * (size_t)n);
    pthread_mutex_unlock(&reg_mu);
    return n;
}

void souk__jobs_reset(void)
{
    if (souk__jobs_running())
        return;
    pthread_mutex_lock(&reg_mu);
    nkinds = nschedules = 0;
    pthread_mutex_unlock(&reg_mu);
}
