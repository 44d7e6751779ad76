/* trace.c — see trace.h. */
#include "core/trace.h"

#include <sodium.h>
#include <string.h>

#include "core/banned.h"

static _Thread_local souk_trace current;
static _Thread_local bool has_current;

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* upper case is not HEXDIGLC */
}

/* N bytes from 2N lower-case hex digits at S; -1 on anything else. */
static int unhex(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

static void tohex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

int souk_trace_parse(const char *s, size_t len, souk_trace *out)
{
    if (!s || len < SOUK_TRACEPARENT_LEN)
        return -1;
    uint8_t version;
    if (unhex(s, &version, 1) < 0 || version == 0xff)
        return -1;
    /* version 00 is exactly 55 characters; a later version may add fields
     * after a '-', which we do not read */
    if (version == 0 ? len != SOUK_TRACEPARENT_LEN : len > SOUK_TRACEPARENT_LEN && s[SOUK_TRACEPARENT_LEN] != '-')
        return -1;
    if (s[2] != '-' || s[35] != '-' || s[52] != '-')
        return -1;
    souk_trace t = {0};
    uint8_t flags;
    if (unhex(s + 3, t.trace_id, 16) < 0 || unhex(s + 36, t.parent_id, 8) < 0 || unhex(s + 53, &flags, 1) < 0)
        return -1;
    if (all_zero(t.trace_id, 16) || all_zero(t.parent_id, 8))
        return -1;
    t.flags = flags;
    *out = t;
    return 0;
}

static void new_span(souk_trace *t)
{
    do
        randombytes_buf(t->span_id, sizeof t->span_id);
    while (all_zero(t->span_id, sizeof t->span_id));
}

static void new_trace(souk_trace *t)
{
    *t = (souk_trace){0};
    do
        randombytes_buf(t->trace_id, sizeof t->trace_id);
    while (all_zero(t->trace_id, sizeof t->trace_id));
    t->flags = 0; /* souk records nothing to sample: not sampled */
    new_span(t);
}

bool souk_trace_begin(souk_trace *out, const char *header, size_t len)
{
    souk_trace t;
    if (header && souk_trace_parse(header, len, &t) == 0) {
        t.flags &= 1; /* version 00 defines only "sampled"; other bits are not ours to pass on */
        new_span(&t);
        *out = t;
        return true;
    }
    new_trace(out);
    return false;
}

bool souk_trace_resume(souk_trace *out, const char *trace_id_hex)
{
    souk_trace t = {0};
    if (trace_id_hex && strlen(trace_id_hex) == SOUK_TRACE_ID_HEX && unhex(trace_id_hex, t.trace_id, 16) == 0 &&
        !all_zero(t.trace_id, 16)) {
        new_span(&t);
        *out = t;
        return true;
    }
    new_trace(out);
    return false;
}

void souk_trace_child(const souk_trace *parent, souk_trace *child)
{
    souk_trace c = *parent;
    memcpy(c.parent_id, parent->span_id, sizeof c.parent_id);
    new_span(&c);
    *child = c;
}

char *souk_trace_format(const souk_trace *t, char *out)
{
    out[0] = '0';
    out[1] = '0';
    out[2] = '-';
    tohex(t->trace_id, 16, out + 3);
    out[35] = '-';
    tohex(t->span_id, 8, out + 36);
    out[52] = '-';
    tohex(&t->flags, 1, out + 53);
    return out;
}

void souk_trace_hex(const souk_trace *t, char *trace_id, char *span_id)
{
    if (trace_id)
        tohex(t->trace_id, 16, trace_id);
    if (span_id)
        tohex(t->span_id, 8, span_id);
}

void souk_trace_set_current(const souk_trace *t)
{
    has_current = t != NULL;
    if (t)
        current = *t;
}

const souk_trace *souk_trace_current(void)
{
    return has_current ? &current : NULL;
}

char *souk_trace_outgoing(char *out)
{
    if (!has_current)
        return NULL;
    souk_trace child;
    souk_trace_child(&current, &child);
    return souk_trace_format(&child, out);
}
