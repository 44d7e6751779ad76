/*
 * redis_bus.c — the broadcast of invalidations, and Redis's health.
 *
 * One channel (SOUK__REDIS_CHANNEL); a message is "NODE TOPICS": the
 * sender's random id (16 hex digits; a node skips its own) and the
 * SOUK_REDIS_* bits in decimal.
 *
 * The subscriber thread owns a connection in subscribe mode. It polls the
 * socket itself (so a quiet channel is no timeout), sends PING every 250 ms
 * and takes an answer missing for a second as a dead connection. It is the
 * one that marks Redis up: after subscribing (then every handler runs once,
 * since broadcasts sent while it was not subscribed are lost), and again
 * after a request thread marked it down while the subscription stayed alive
 * (a slow command), once the backoff has passed. Reconnects back off from
 * 0.1 s, doubling to 2 s, reset after 10 s of health.
 *
 * The publisher thread sends what souk_redis_publish merged into `pending`,
 * on its own connection; while Redis is down the bits wait.
 */
#include "http/redis_internal.h"

#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/time.h"
#include "core/banned.h"

#define PING_EVERY_US 250000
#define DEAD_AFTER_US 1000000
#define BACKOFF_MIN_US 100000
#define BACKOFF_MAX_US 2000000
#define HEALTHY_RESET_US 10000000
#define MAX_HANDLERS 8

typedef struct handler {
    unsigned topics;
    void (*fn)(void);
} handler;

static handler handlers[MAX_HANDLERS];
static _Atomic int nhandlers; /* entries below it are complete */
static pthread_mutex_t on_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool stopping;
static pthread_t sub_thread, pub_thread;
static bool running;

static _Atomic unsigned pending;
static pthread_mutex_t pub_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pub_cond = PTHREAD_COND_INITIALIZER;

void souk_redis_on(unsigned topics, void (*fn)(void))
{
    pthread_mutex_lock(&on_lock);
    int n = atomic_load(&nhandlers);
    if (n < MAX_HANDLERS && fn) {
        handlers[n] = (handler){topics, fn};
        atomic_store(&nhandlers, n + 1);
    }
    pthread_mutex_unlock(&on_lock);
}

static void dispatch(unsigned topics)
{
    int n = atomic_load(&nhandlers);
    for (int i = 0; i < n; i++)
        if (handlers[i].topics & topics)
            handlers[i].fn();
}

void souk_redis_publish(unsigned topics)
{
    if (!souk_redis_configured() || !(topics & SOUK_REDIS_ALL))
        return;
    atomic_fetch_or_explicit(&pending, topics & SOUK_REDIS_ALL, memory_order_acq_rel);
    pthread_mutex_lock(&pub_lock);
    pthread_cond_signal(&pub_cond);
    pthread_mutex_unlock(&pub_lock);
}

/* Sleeps US microseconds, waking early at shutdown. */
static void pause_us(int64_t us)
{
    int64_t until = souk_time_mono_us() + us;
    while (!atomic_load(&stopping) && souk_time_mono_us() < until)
        usleep(20000);
}

/* ---- the subscriber ---- */

/* A message's TOPICS when it is another node's broadcast, else 0. */
static unsigned message_topics(const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || r->element[0]->type != REDIS_REPLY_STRING ||
        strcmp(r->element[0]->str, "message") != 0 || r->element[2]->type != REDIS_REPLY_STRING)
        return 0;
    uint64_t node;
    unsigned topics;
    if (sscanf(r->element[2]->str, "%16" SCNx64 " %u", &node, &topics) != 2 || node == souk__redis_node_id())
        return 0;
    return topics & SOUK_REDIS_ALL;
}

/* Writes what C has buffered; 0 or -1. */
static int flush(redisContext *c)
{
    int done = 0;
    while (!done)
        if (redisBufferWrite(c, &done) != REDIS_OK)
            return -1;
    return 0;
}

/* Follows the channel on C until the connection dies or souk stops; the
 * reason in WHY. */
static void follow(redisContext *c, int64_t *backoff, char *why, size_t whylen)
{
    int64_t now = souk_time_mono_us(), last_answer = now, last_ping = now, up_since = now, down_since = 0;
    while (!atomic_load(&stopping)) {
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int n = poll(&pfd, 1, 100);
        now = souk_time_mono_us();
        if (n > 0) {
            if (redisBufferRead(c) != REDIS_OK) {
                snprintf(why, whylen, "subscription: %s", c->errstr);
                return;
            }
            void *reply;
            while (redisGetReplyFromReader(c, &reply) == REDIS_OK && reply) {
                last_answer = now;
                unsigned topics = message_topics(reply);
                freeReplyObject(reply);
                if (topics) {
                    souk_log(SOUK_LOG_DEBUG, NULL, NULL, json_pack("{s:i}", "topics", topics),
                             "redis: broadcast received");
                    souk__redis_count_message(false);
                    dispatch(topics);
                }
            }
            if (c->err) {
                snprintf(why, whylen, "subscription: %s", c->errstr);
                return;
            }
        }
        if (now - last_ping >= PING_EVERY_US) {
            if (redisAppendCommand(c, "PING") != REDIS_OK || flush(c) < 0) {
                snprintf(why, whylen, "subscription: %s", c->errstr);
                return;
            }
            last_ping = now;
        }
        if (now - last_answer > DEAD_AFTER_US) {
            snprintf(why, whylen, "subscription: no answer to PING for %d ms", (int)((now - last_answer) / 1000));
            return;
        }
        if (souk_redis_up()) {
            down_since = 0;
            if (now - up_since > HEALTHY_RESET_US)
                *backoff = BACKOFF_MIN_US;
        } else if (!down_since) { /* a command failed elsewhere while this connection lives */
            down_since = now;
        } else if (now - down_since >= *backoff) {
            *backoff = *backoff * 2 > BACKOFF_MAX_US ? BACKOFF_MAX_US : *backoff * 2;
            up_since = now;
            souk__redis_mark_up();
        }
    }
}

static void *subscriber_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "souk-redis-sub");
    int64_t backoff = BACKOFF_MIN_US;
    char why[300];
    while (!atomic_load(&stopping)) {
        redisContext *c = souk__redis_connect(why, sizeof why);
        redisReply *r = NULL;
        if (c) {
            r = redisCommand(c, "SUBSCRIBE %s", SOUK__REDIS_CHANNEL);
            if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3) {
                snprintf(why, sizeof why, "SUBSCRIBE: %s",
                         !r                             ? c->errstr
                         : r->type == REDIS_REPLY_ERROR ? r->str
                                                        : "unexpected answer");
                redisFree(c);
                c = NULL;
            }
            if (r)
                freeReplyObject(r);
        }
        if (c) {
            souk__redis_mark_up();
            dispatch(SOUK_REDIS_ALL); /* what was broadcast while we were not listening is lost */
            follow(c, &backoff, why, sizeof why);
            redisFree(c);
            if (atomic_load(&stopping))
                break;
        }
        souk__redis_count_error();
        souk__redis_mark_down(why);
        pause_us(backoff);
        backoff = backoff * 2 > BACKOFF_MAX_US ? BACKOFF_MAX_US : backoff * 2;
    }
    return NULL;
}

/* ---- the publisher ---- */

static void *publisher_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "souk-redis-pub");
    char msg[64];
    while (!atomic_load(&stopping)) {
        pthread_mutex_lock(&pub_lock);
        if (!atomic_load(&pending) && !atomic_load(&stopping)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&pub_cond, &pub_lock, &ts);
        }
        pthread_mutex_unlock(&pub_lock);
        if (!atomic_load(&pending))
            continue;
        redisContext *c = souk__redis_thread_conn();
        if (!c) { /* down: the bits wait for the subscriber to see Redis again */
            pause_us(50000);
            continue;
        }
        unsigned topics = atomic_exchange(&pending, 0);
        snprintf(msg, sizeof msg, "%016" PRIx64 " %u", souk__redis_node_id(), topics);
        redisReply *r = redisCommand(c, "PUBLISH %s %s", SOUK__REDIS_CHANNEL, msg);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            atomic_fetch_or(&pending, topics); /* sent again once Redis is back */
            if (r)
                freeReplyObject(r);
            souk__redis_thread_failed("PUBLISH");
            continue;
        }
        freeReplyObject(r);
        souk_log(SOUK_LOG_DEBUG, NULL, NULL, json_pack("{s:i}", "topics", topics), "redis: broadcast sent");
        souk__redis_count_message(true);
    }
    return NULL;
}

int souk__redis_bus_start(void)
{
    atomic_store(&stopping, false);
    if (pthread_create(&sub_thread, NULL, subscriber_main, NULL) != 0)
        return -1;
    if (pthread_create(&pub_thread, NULL, publisher_main, NULL) != 0) {
        atomic_store(&stopping, true);
        pthread_join(sub_thread, NULL);
        return -1;
    }
    running = true;
    return 0;
}

void souk__redis_bus_stop(void)
{
    if (!running)
        return;
    atomic_store(&stopping, true);
    pthread_mutex_lock(&pub_lock);
    pthread_cond_signal(&pub_cond);
    pthread_mutex_unlock(&pub_lock);
    pthread_join(sub_thread, NULL);
    pthread_join(pub_thread, NULL);
    running = false;
}
