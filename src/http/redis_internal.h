/*
 * redis_internal.h — what the files of the Redis adapter share:
 *   redis.c        the URL, the state (up/down, its epoch), connecting, metrics
 *   redis_bus.c    the subscriber and publisher threads (broadcasts, health)
 *   redis_limit.c  the shared token bucket (a Lua script)
 */
#ifndef SOUK_REDIS_INTERNAL_H
#define SOUK_REDIS_INTERNAL_H

#include <hiredis/hiredis.h>

#include "http/redis.h"

#define SOUK__REDIS_CHANNEL "souk:broadcast"

/* A new connection (connect, AUTH, SELECT) with the configured timeout on
 * both connecting and every command; NULL on failure, with the reason in
 * ERR. */
redisContext *souk__redis_connect(char *err, size_t errlen);

/* This thread's command connection, (re)made when the state's epoch moved;
 * NULL when Redis is down or it could not connect (then marked down). */
redisContext *souk__redis_thread_conn(void);

/* Drops this thread's command connection after a failed command and marks
 * Redis down with WHAT as the reason (logged once per change of state). */
void souk__redis_thread_failed(const char *what);

/* Marks Redis up (a new epoch: every thread reconnects before its next
 * command) or down; logs and counts a change of state only. */
void souk__redis_mark_up(void);
void souk__redis_mark_down(const char *why);

/* Counts one failed connect or command in souk_redis_errors_total. */
void souk__redis_count_error(void);

/* Counts broadcast messages sent and received (souk_redis_messages_total). */
void souk__redis_count_message(bool sent);

/* This process's random id (a node skips its own broadcasts). */
uint64_t souk__redis_node_id(void);

/* Starts / stops the bus threads (redis_bus.c). */
int souk__redis_bus_start(void);
void souk__redis_bus_stop(void);

#endif
