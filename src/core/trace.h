/*
 * trace.h — W3C Trace Context (https://www.w3.org/TR/trace-context/):
 * the `traceparent` header, and the trace the current thread works for.
 *
 *   traceparent: 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>
 *
 * A request continues the trace of a valid incoming traceparent (its span's
 * parent is the caller's span) or starts one with random ids (libsodium);
 * either way it gets a span id of its own. The thread that runs a request
 * or a job sets it as the thread's current trace, so every log line written
 * meanwhile carries trace_id and span_id (core/log.c), and outgoing calls
 * (payment gateway, webhooks) send a child traceparent: the same trace id,
 * a new span id, whose parent is the current span.
 */
#ifndef SOUK_CORE_TRACE_H
#define SOUK_CORE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SOUK_TRACEPARENT_LEN 55 /* version 00, without the NUL */
#define SOUK_TRACE_ID_HEX 32
#define SOUK_SPAN_ID_HEX 16

typedef struct souk_trace {
    uint8_t trace_id[16];
    uint8_t span_id[8];   /* this span's id (the request's, the job run's, an outgoing call's) */
    uint8_t parent_id[8]; /* the caller's span; all zero when this span started the trace */
    uint8_t flags;        /* trace-flags; only bit 0 (sampled) is defined and propagated */
} souk_trace;

/* Parses traceparent header S (LEN bytes) strictly: two lower-case hex
 * digits of version other than ff; version 00 is exactly 55 characters,
 * a later version at least 55 with a '-' after them; then a 32-hex trace
 * id and a 16-hex parent id, lower case and not all zero, and 2 hex digits
 * of flags, separated by '-'. On success fills OUT's trace_id, parent_id
 * and flags (span_id zeroed) and returns 0; otherwise -1 and OUT is
 * untouched. */
int souk_trace_parse(const char *s, size_t len, souk_trace *out);

/* Starts the span of a request or job in OUT: continues HEADER (a
 * traceparent value, LEN bytes; NULL = none) when it parses, else a new
 * trace with a random id; the span id is always new and random. Returns
 * true when HEADER was continued. */
bool souk_trace_begin(souk_trace *out, const char *header, size_t len);

/* Continues the trace whose id is TRACE_ID_HEX (32 lower-case hex digits,
 * e.g. stored with a job) in a new span; a new trace when it is NULL or not
 * a valid trace id. Returns true when it was continued. */
bool souk_trace_resume(souk_trace *out, const char *trace_id_hex);

/* A child span of PARENT for an outgoing call: the same trace id and flags,
 * a new random span id, PARENT's span as its parent. */
void souk_trace_child(const souk_trace *parent, souk_trace *child);

/* T as a traceparent value naming T's span as the parent:
 * "00-<trace id>-<span id>-<flags>", into OUT (SOUK_TRACEPARENT_LEN + 1
 * bytes). Returns OUT. */
char *souk_trace_format(const souk_trace *t, char *out);

/* T's trace id (SOUK_TRACE_ID_HEX + 1 bytes) and span id
 * (SOUK_SPAN_ID_HEX + 1 bytes) in lower-case hex; either may be NULL. */
void souk_trace_hex(const souk_trace *t, char *trace_id, char *span_id);

/* Makes T (copied) the calling thread's current trace; NULL clears it. */
void souk_trace_set_current(const souk_trace *t);

/* The calling thread's current trace, or NULL. */
const souk_trace *souk_trace_current(void);

/* Fills OUT (SOUK_TRACEPARENT_LEN + 1 bytes) with a child traceparent of
 * the current trace, for an outgoing call made on its behalf, and returns
 * OUT; NULL (OUT untouched) when the thread has no current trace. */
char *souk_trace_outgoing(char *out);

#endif
