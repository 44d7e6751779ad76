/* worker.c — background thread groups: start, kick, bounded sleep, stop (see worker.h). */
#include "core/worker.h"

#include <errno.h>
#include <time.h>

#include "core/log.h"
#include "core/banned.h"

/* Sleeps until kicked (the generation moved past GEN), stopped or MS passed.
 * Called with W->mu held. */
static void wait_locked(souk_worker *w, uint64_t gen, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (!w->stop && w->gen == gen)
        if (pthread_cond_timedwait(&w->cv, &w->mu, &until) == ETIMEDOUT)
            break;
}

static void *thread_main(void *arg)
{
    {
        const struct souk__worker_arg *a = arg;
        char name[16]; /* what top -H and perf show */
        snprintf(name, sizeof name, "souk-%.10s", a->w->spec.name ? a->w->spec.name : "worker");
        pthread_setname_np(pthread_self(), name);
    }
    struct souk__worker_arg *a = arg;
    souk_worker *w = a->w;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        uint64_t gen = w->gen;
        pthread_mutex_unlock(&w->mu);
        int r = w->spec.pass(w->spec.ctx, a->index, w->state[a->index]);
        pthread_mutex_lock(&w->mu);
        if (r <= 0)
            wait_locked(w, gen, w->spec.poll_ms);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Joins the started threads and releases the states set up. Called without
 * W->mu, with W->stop set (or before any thread started). */
static void teardown(souk_worker *w)
{
    for (int i = 0; i < w->nstarted; i++)
        pthread_join(w->threads[i], NULL);
    for (int i = 0; i < w->ninit; i++) {
        if (w->spec.release)
            w->spec.release(w->spec.ctx, i, w->state[i]);
        w->state[i] = NULL;
    }
    w->nstarted = w->ninit = 0;
}

/* Marks W stopped again (after teardown). */
static void finish_stop(souk_worker *w)
{
    pthread_mutex_lock(&w->mu);
    w->running = w->stop = false;
    atomic_store(&w->stopping, false);
    pthread_mutex_unlock(&w->mu);
}

int souk_worker_start(souk_worker *w, const souk_worker_spec *spec)
{
    if (!spec || !spec->pass || spec->threads < 1 || spec->threads > SOUK_WORKER_THREADS_MAX || spec->poll_ms <= 0) {
        souk_log_error("%s: not started: bad arguments", spec && spec->name ? spec->name : "worker");
        return -1;
    }
    pthread_mutex_lock(&w->mu);
    if (w->running) {
        pthread_mutex_unlock(&w->mu);
        return -1;
    }
    if (!w->cv_ready) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        int r = pthread_cond_init(&w->cv, &ca);
        pthread_condattr_destroy(&ca);
        if (r != 0) {
            pthread_mutex_unlock(&w->mu);
            return -1;
        }
        w->cv_ready = true;
    }
    w->running = true;
    w->stop = false;
    atomic_store(&w->stopping, false);
    w->spec = *spec;
    w->ninit = w->nstarted = 0;
    pthread_mutex_unlock(&w->mu);

    bool ok = true;
    for (int i = 0; ok && i < spec->threads; i++) {
        w->state[i] = NULL;
        if (spec->init && spec->init(spec->ctx, i, &w->state[i]) < 0)
            ok = false;
        else
            w->ninit++;
    }
    for (int i = 0; ok && i < spec->threads; i++) {
        w->args[i] = (struct souk__worker_arg){w, i};
        if (pthread_create(&w->threads[i], NULL, thread_main, &w->args[i]) != 0) {
            souk_log_error("%s: cannot start a thread", spec->name ? spec->name : "worker");
            ok = false;
        } else {
            w->nstarted++;
        }
    }
    if (ok)
        return 0;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    atomic_store(&w->stopping, true);
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    teardown(w);
    finish_stop(w);
    return -1;
}

void souk_worker_kick(souk_worker *w)
{
    pthread_mutex_lock(&w->mu);
    if (w->running) {
        w->gen++;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
}

void souk_worker_stop(souk_worker *w)
{
    pthread_mutex_lock(&w->mu);
    if (!w->running || w->stop) {
        pthread_mutex_unlock(&w->mu);
        return;
    }
    w->stop = true;
    atomic_store(&w->stopping, true);
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    teardown(w); /* each thread finishes its pass, sees stop and exits */
    finish_stop(w);
}

bool souk_worker_running(souk_worker *w)
{
    pthread_mutex_lock(&w->mu);
    bool r = w->running;
    pthread_mutex_unlock(&w->mu);
    return r;
}

bool souk_worker_stopping(souk_worker *w)
{
    return atomic_load(&w->stopping);
}
