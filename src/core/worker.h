/*
 * worker.h — the life cycle of background threads, written once: start N
 * threads that each own some state (typically their own store connection,
 * opened by the caller's init callback before any thread runs), run passes
 * of work, sleep between passes on a condition variable (monotonic clock)
 * for at most poll_ms or until kicked, and on stop let each thread finish
 * the pass in hand, join them, and release each thread's state.
 *
 * Users: the event dispatcher (src/events, one thread), the job workers and
 * the job scheduler (src/jobs, N threads and one). Mail delivery is a job
 * kind and runs on the job workers.
 *
 * A kick bumps a generation counter and wakes every thread of the group; a
 * thread sleeps only while the generation it saw before its pass is
 * unchanged, so a kick that arrives during a pass is never lost.
 *
 * The caller allocates the souk_worker (usually static, initialised with
 * SOUK_WORKER_INIT) and may start it again after a stop. It depends on
 * nothing but pthreads, so it lives in core; the state is opaque to it.
 */
#ifndef SOUK_CORE_WORKER_H
#define SOUK_CORE_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define SOUK_WORKER_THREADS_MAX 64

typedef struct souk_worker_spec {
    const char *name; /* for log lines ("jobs", "events") */
    int threads;      /* 1..SOUK_WORKER_THREADS_MAX */
    int poll_ms;      /* longest sleep between passes, > 0 */
    void *ctx;        /* handed to every callback */
    /* Optional. Called on the starting thread for thread INDEX before any
     * thread runs: sets *STATE (e.g. opens a connection). 0, or -1 to fail
     * the start. */
    int (*init)(void *ctx, int index, void **state);
    /* One pass of work on thread INDEX. > 0: it did work, run the next pass
     * at once; ≤ 0: idle (or an error it has logged), sleep until kicked,
     * stopped or poll_ms passed. */
    int (*pass)(void *ctx, int index, void *state);
    /* Optional. Called after every thread was joined, for each state that
     * init set up (also when the start failed half-way). */
    void (*release)(void *ctx, int index, void *state);
} souk_worker_spec;

/* A group of threads; fields are private. */
typedef struct souk_worker {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool cv_ready, running, stop;
    atomic_bool stopping;
    uint64_t gen;
    souk_worker_spec spec;
    int ninit, nstarted;
    pthread_t threads[SOUK_WORKER_THREADS_MAX];
    void *state[SOUK_WORKER_THREADS_MAX];
    struct souk__worker_arg {
        struct souk_worker *w;
        int index;
    } args[SOUK_WORKER_THREADS_MAX];
} souk_worker;

#define SOUK_WORKER_INIT                                                                                               \
    {                                                                                                                  \
        .mu = PTHREAD_MUTEX_INITIALIZER                                                                                \
    }

/* Starts SPEC->threads threads running SPEC->pass (SPEC is copied). First
 * init is called for every thread, then the threads are created. Returns 0,
 * or -1 when W already runs, SPEC is invalid, an init failed or a thread
 * could not be created — then nothing is left running and every state that
 * was set up has been released. W counts as running from the moment the
 * start begins, so souk_worker_running() can close registrations. */
int souk_worker_start(souk_worker *w, const souk_worker_spec *spec);

/* Wakes every sleeping thread of W for a pass now. Thread-safe; a no-op
 * when W does not run. */
void souk_worker_kick(souk_worker *w);

/* Graceful stop: sets the stop flag (souk_worker_stopping() turns true),
 * wakes the threads, waits for each to finish its pass and exit, then
 * releases their states. A no-op when W does not run, or another thread is
 * already stopping it (that caller does the joining). */
void souk_worker_stop(souk_worker *w);

/* True while W is started (or starting) and not yet fully stopped. */
bool souk_worker_running(souk_worker *w);

/* True while souk_worker_stop is stopping W: a long pass should give up
 * early (lock-free; safe from any thread, e.g. a curl progress callback). */
bool souk_worker_stopping(souk_worker *w);

#endif
