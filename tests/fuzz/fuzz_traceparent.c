/*
 * libFuzzer driver for the W3C traceparent parser (src/core/trace.c):
 *
 * 1. souk_trace_parse either refuses the input and leaves its output
 *    untouched, or accepts it and then: the input is at least 55 bytes, its
 *    version is two lower-case hex digits other than ff, version 00 is
 *    exactly 55 bytes, the trace and parent ids are not all zero, and
 *    formatting the parsed header back (the parent id as the span) gives
 *    the input's first 55 bytes after the version, byte for byte.
 * 2. souk_trace_begin on the input always yields non-zero trace and span
 *    ids, continues the trace exactly when the parser accepts, and what it
 *    formats parses again, naming its span as the parent.
 */
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

static bool zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static bool lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        CHECK(sodium_init() >= 0);
        ready = true;
    }
    const char *s = (const char *)data;
    souk_trace t, before;
    memset(&t, 0x33, sizeof t);
    before = t;
    int r = souk_trace_parse(s, size, &t);
    if (r != 0) {
        CHECK(r == -1);
        CHECK(memcmp(&t, &before, sizeof t) == 0);
    } else {
        CHECK(size >= SOUK_TRACEPARENT_LEN);
        CHECK(lower_hex(s[0]) && lower_hex(s[1]) && !(s[0] == 'f' && s[1] == 'f'));
        if (s[0] == '0' && s[1] == '0')
            CHECK(size == SOUK_TRACEPARENT_LEN);
        else if (size > SOUK_TRACEPARENT_LEN)
            CHECK(s[SOUK_TRACEPARENT_LEN] == '-');
        CHECK(!zero(t.trace_id, 16) && !zero(t.parent_id, 8));
        souk_trace p = t;
        memcpy(p.span_id, t.parent_id, 8);
        char back[SOUK_TRACEPARENT_LEN + 1];
        souk_trace_format(&p, back);
        CHECK(strlen(back) == SOUK_TRACEPARENT_LEN);
        CHECK(memcmp(back + 2, s + 2, SOUK_TRACEPARENT_LEN - 2) == 0);
    }

    souk_trace b;
    bool continued = souk_trace_begin(&b, s, size);
    CHECK(continued == (r == 0));
    CHECK(!zero(b.trace_id, 16) && !zero(b.span_id, 8));
    CHECK(b.flags <= 1);
    if (continued)
        CHECK(memcmp(b.trace_id, t.trace_id, 16) == 0 && memcmp(b.parent_id, t.parent_id, 8) == 0);
    char out[SOUK_TRACEPARENT_LEN + 1];
    souk_trace_format(&b, out);
    souk_trace again;
    CHECK(souk_trace_parse(out, strlen(out), &again) == 0);
    CHECK(memcmp(again.trace_id, b.trace_id, 16) == 0 && memcmp(again.parent_id, b.span_id, 8) == 0);
    return 0;
}
