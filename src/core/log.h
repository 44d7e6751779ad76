/*
 * log.h — structured JSON logs, one object per line on stderr:
 *   {"timestamp","level","service":"souk","request_id","trace_id","span_id","user_id","message","context":{...}}
 * trace_id and span_id are those of the calling thread's current trace
 * (core/trace.h: the request or job it works for), absent when it has none.
 * Writes are line-atomic (one write(2) per record).
 */
#ifndef SOUK_LOG_H
#define SOUK_LOG_H

#include <jansson.h>

typedef enum { SOUK_LOG_DEBUG, SOUK_LOG_INFO, SOUK_LOG_WARN, SOUK_LOG_ERROR } souk_log_level;

/* Sets the lowest level written (default INFO). */
void souk_log_set_level(souk_log_level lvl);

/* Parses "debug" | "info" | "warn" | "error"; -1 when unknown. */
int souk_log_level_parse(const char *s);

/* Writes one record. REQUEST_ID and USER_ID may be NULL. CONTEXT may be NULL;
 * it is consumed (decref'd) — pass json_pack(...) results directly. */
void souk_log(souk_log_level lvl, const char *request_id, const char *user_id, json_t *context, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define souk_log_info(...) souk_log(SOUK_LOG_INFO, NULL, NULL, NULL, __VA_ARGS__)
#define souk_log_warn(...) souk_log(SOUK_LOG_WARN, NULL, NULL, NULL, __VA_ARGS__)
#define souk_log_error(...) souk_log(SOUK_LOG_ERROR, NULL, NULL, NULL, __VA_ARGS__)

#endif
