/*
 * Unit tests for src/core/trace.c: the traceparent parser against the W3C
 * Trace Context rules (version, lengths, lower-case hex, all-zero ids,
 * separators, later versions), starting, resuming and continuing spans,
 * formatting back, the thread's current trace, and the trace and span ids
 * souk_log writes on a line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/trace.h"

#define GOOD "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static int parse(const char *s, souk_trace *t)
{
    return souk_trace_parse(s, strlen(s), t);
}

static void parses_the_spec_example(void **state)
{
    (void)state;
    souk_trace t;
    assert_int_equal(parse(GOOD, &t), 0);
    char tid[33], pid[17];
    souk_trace_hex(&t, tid, NULL);
    assert_string_equal(tid, "4bf92f3577b34da6a3ce929d0e0e4736");
    souk_trace p = t;
    memcpy(p.span_id, t.parent_id, 8);
    souk_trace_hex(&p, NULL, pid);
    assert_string_equal(pid, "00f067aa0ba902b7");
    assert_int_equal(t.flags, 1);
    assert_int_equal(parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", &t), 0);
    assert_int_equal(t.flags, 0);
    /* version 00 defines one flag, but the field is 8 bits of hex: any value parses */
    assert_int_equal(parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff", &t), 0);
    assert_int_equal(t.flags, 0xff);
}

static void refuses_malformed_headers(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "00",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",   /* 54 characters */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", /* version 00 is exactly 55 */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", /* version 00 is exactly 55 */
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  /* upper-case trace id */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",  /* upper-case parent id */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",  /* upper-case flags */
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  /* all-zero trace id */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  /* all-zero parent id */
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  /* version ff is invalid */
        "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  /* version not hex */
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  /* separators */
        "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
        "00-4bf92f3577b34da6a3ce929d0e0e473z-00f067aa0ba902b7-01", /* not hex */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-g1",
        " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", /* shifted by a space */
        "00-4bf92f3577b34da6a3ce929d0e0e47366-0f067aa0ba902b7-01",  /* a field one too long */
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", /* later version: '-' must follow */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        souk_trace t;
        memset(&t, 0x5a, sizeof t);
        if (parse(bad[i], &t) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(t.flags, 0x5a); /* untouched */
    }
    souk_trace t;
    assert_int_equal(souk_trace_parse(NULL, 0, &t), -1);
    /* a NUL inside the header's 55 bytes is not hex */
    char nul[] = GOOD;
    nul[10] = '\0';
    assert_int_equal(souk_trace_parse(nul, sizeof nul - 1, &t), -1);
}

static void reads_later_versions(void **state)
{
    (void)state;
    souk_trace t;
    assert_int_equal(parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &t), 0);
    assert_int_equal(parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more-fields", &t), 0);
    char tid[33];
    souk_trace_hex(&t, tid, NULL);
    assert_string_equal(tid, "4bf92f3577b34da6a3ce929d0e0e4736");
}

static void begins_continues_or_starts(void **state)
{
    (void)state;
    souk_trace t;
    assert_true(souk_trace_begin(&t, GOOD, strlen(GOOD)));
    char tp[SOUK_TRACEPARENT_LEN + 1], tid[33];
    souk_trace_format(&t, tp);
    assert_int_equal(strlen(tp), SOUK_TRACEPARENT_LEN);
    assert_memory_equal(tp, "00-4bf92f3577b34da6a3ce929d0e0e4736-", 36);
    assert_memory_not_equal(tp + 36, "00f067aa0ba902b7", 16); /* a span of our own */
    assert_string_equal(tp + 52, "-01");
    static const uint8_t caller[8] = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};
    assert_memory_equal(t.parent_id, caller, 8);
    /* what it sends parses, naming its span */
    souk_trace back;
    assert_int_equal(parse(tp, &back), 0);
    assert_memory_equal(back.parent_id, t.span_id, 8);

    /* a flag other than "sampled" is not passed on */
    const char *odd = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-fe";
    assert_true(souk_trace_begin(&t, odd, strlen(odd)));
    assert_int_equal(t.flags, 0);

    /* malformed or missing: a new trace, random, not all zero */
    souk_trace a, b;
    const char *bad = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
    assert_false(souk_trace_begin(&a, bad, strlen(bad)));
    assert_false(souk_trace_begin(&b, NULL, 0));
    souk_trace_hex(&a, tid, NULL);
    assert_string_not_equal(tid, "00000000000000000000000000000000");
    assert_memory_not_equal(a.trace_id, b.trace_id, 16);
    static const uint8_t zero[8] = {0};
    assert_memory_equal(a.parent_id, zero, 8);
    assert_memory_not_equal(a.span_id, zero, 8);
}

static void children_and_resumed_traces(void **state)
{
    (void)state;
    souk_trace t, c;
    souk_trace_begin(&t, GOOD, strlen(GOOD));
    souk_trace_child(&t, &c);
    assert_memory_equal(c.trace_id, t.trace_id, 16);
    assert_memory_equal(c.parent_id, t.span_id, 8);
    assert_memory_not_equal(c.span_id, t.span_id, 8);
    assert_int_equal(c.flags, t.flags);

    souk_trace r;
    assert_true(souk_trace_resume(&r, "4bf92f3577b34da6a3ce929d0e0e4736"));
    assert_memory_equal(r.trace_id, t.trace_id, 16);
    assert_false(souk_trace_resume(&r, "4bf92f3577b34da6a3ce929d0e0e473")); /* one short */
    assert_memory_not_equal(r.trace_id, t.trace_id, 16);
    assert_false(souk_trace_resume(&r, "00000000000000000000000000000000"));
    assert_false(souk_trace_resume(&r, "4BF92F3577B34DA6A3CE929D0E0E4736"));
    assert_false(souk_trace_resume(&r, NULL));
    assert_false(souk_trace_resume(&r, ""));
}

static void current_trace_and_outgoing(void **state)
{
    (void)state;
    char tp[SOUK_TRACEPARENT_LEN + 1] = "";
    souk_trace_set_current(NULL);
    assert_null(souk_trace_current());
    assert_null(souk_trace_outgoing(tp));
    souk_trace t;
    souk_trace_begin(&t, GOOD, strlen(GOOD));
    souk_trace_set_current(&t);
    assert_non_null(souk_trace_current());
    assert_non_null(souk_trace_outgoing(tp));
    souk_trace sent;
    assert_int_equal(parse(tp, &sent), 0);
    assert_memory_equal(sent.trace_id, t.trace_id, 16);
    assert_memory_not_equal(sent.parent_id, t.span_id, 8); /* a child span, not the request's own */
    souk_trace_set_current(NULL);
    assert_null(souk_trace_current());
}

/* What souk_log writes to stderr while FN runs. */
static char *capture_log(const char *msg)
{
    fflush(stderr);
    FILE *f = tmpfile();
    assert_non_null(f);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(f), STDERR_FILENO);
    souk_log_info("%s", msg);
    dup2(saved, STDERR_FILENO);
    close(saved);
    static char buf[4096];
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void log_lines_carry_the_ids(void **state)
{
    (void)state;
    souk_trace t;
    souk_trace_begin(&t, GOOD, strlen(GOOD));
    souk_trace_set_current(&t);
    char sid[17], want[64];
    souk_trace_hex(&t, NULL, sid);
    const char *line = capture_log("inside a request");
    assert_non_null(strstr(line, "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\""));
    snprintf(want, sizeof want, "\"span_id\":\"%s\"", sid);
    assert_non_null(strstr(line, want));
    souk_trace_set_current(NULL);
    line = capture_log("outside");
    assert_non_null(strstr(line, "\"message\":\"outside\""));
    assert_null(strstr(line, "trace_id"));
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_the_spec_example),     cmocka_unit_test(refuses_malformed_headers),
        cmocka_unit_test(reads_later_versions),        cmocka_unit_test(begins_continues_or_starts),
        cmocka_unit_test(children_and_resumed_traces), cmocka_unit_test(current_trace_and_outgoing),
        cmocka_unit_test(log_lines_carry_the_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
