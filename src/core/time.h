/*
 * time.h — UTC time as integer microseconds since the Unix epoch.
 * Stored that way in the database; shown as RFC 3339 ("2026-01-15T10:30:00.123456Z").
 */
#ifndef SOUK_TIME_H
#define SOUK_TIME_H

#include <stddef.h>
#include <stdint.h>

#define SOUK_RFC3339_LEN 28 /* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" + NUL */

/* Current wall-clock time in microseconds since 1970-01-01T00:00:00Z, moved by
 * SOUK_TEST_CLOCK_OFFSET_S seconds when that test-only variable is set (time.c). */
int64_t souk_time_now_us(void);

/* Monotonic clock in microseconds, for durations. */
int64_t souk_time_mono_us(void);

/* The monotonic clock in seconds, with its nanoseconds: for measuring how long something took. */
double souk_time_mono_s(void);

/* Writes US as RFC 3339 with microseconds into BUF (at least SOUK_RFC3339_LEN
 * bytes). Returns BUF. */
char *souk_time_format(int64_t us, char *buf);

/* Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)" or "YYYY-MM-DD HH:MM:SS"
 * (taken as UTC) into microseconds. 0 on success, -1 on bad input. */
int souk_time_parse(const char *s, size_t len, int64_t *out_us);

#endif
