/*
 * cron.c — 5-field cron expressions and their next due time, in UTC.
 *
 * A parsed expression is one bitmask per field. The next time is found by
 * walking forward from the minute after AFTER, jumping a whole month, day or
 * hour at a time whenever that field does not match (so a yearly
 * expression costs a few dozen steps, not half a million minutes), and
 * giving up after 5 years, which only impossible dates ("30 2") reach.
 */
#include "jobs/jobs.h"

#include <string.h>
#include <time.h>

#include "core/banned.h"

#define FIELD_MAX 128

/* Reads a decimal number of at most 3 digits at *P. */
static int read_num(const char **p, const char *end, int *out)
{
    const char *s = *p;
    int v = 0, n = 0;
    while (s < end && *s >= '0' && *s <= '9' && n < 4) {
        v = v * 10 + (*s - '0');
        s++, n++;
    }
    if (n == 0 || n > 3)
        return -1;
    *p = s;
    *out = v;
    return 0;
}

/* Parses one field S..END with values LO..HI into *BITS; *STAR when it starts with '*'. */
static int parse_field(const char *s, const char *end, int lo, int hi, uint64_t *bits, int *star, const char **why)
{
    *bits = 0;
    *star = s < end && *s == '*';
    if (s == end) {
        *why = "empty field";
        return -1;
    }
    while (s < end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *ie = comma ? comma : end, *p = s;
        int a, b, step = 1;
        if (p == ie) {
            *why = "empty list item";
            return -1;
        }
        if (*p == '*') {
            a = lo, b = hi;
            p++;
        } else {
            if (read_num(&p, ie, &a) < 0) {
                *why = "expected a number or '*'";
                return -1;
            }
            b = a;
            if (p < ie && *p == '-') {
                p++;
                if (read_num(&p, ie, &b) < 0) {
                    *why = "expected a number after '-'";
                    return -1;
                }
            } else if (p < ie && *p == '/') {
                b = hi; /* "a/n": from a to the end of the range */
            }
        }
        if (p < ie && *p == '/') {
            p++;
            if (read_num(&p, ie, &step) < 0 || step < 1 || step > hi) {
                *why = "bad step";
                return -1;
            }
        }
        if (p != ie) {
            *why = "unexpected character";
            return -1;
        }
        if (a < lo || b > hi || a > b) {
            *why = "value out of range";
            return -1;
        }
        for (int v = a; v <= b; v += step)
            *bits |= UINT64_C(1) << v;
        s = comma ? comma + 1 : end;
        if (comma && s == end) {
            *why = "empty list item";
            return -1;
        }
    }
    return 0;
}

static const struct {
    const char *name, *expr;
} macros[] = {{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
              {"@daily", "0 0 * * *"},  {"@midnight", "0 0 * * *"}, {"@hourly", "0 * * * *"}};

int souk_cron_parse(const char *expr, souk_cron *out, const char **why)
{
    const char *w = NULL, *dummy; /* W: parse_field's detail, folded into the field's message */
    if (!why)
        why = &dummy;
    memset(out, 0, sizeof *out);
    if (!expr || strlen(expr) > FIELD_MAX) {
        *why = expr ? "expression too long" : "no expression";
        return -1;
    }
    while (*expr == ' ' || *expr == '\t')
        expr++;
    if (*expr == '@') {
        size_t n = strcspn(expr, " \t");
        const char *rest = expr + n;
        while (*rest == ' ' || *rest == '\t')
            rest++;
        for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++)
            if (strlen(macros[i].name) == n && memcmp(expr, macros[i].name, n) == 0 && !*rest)
                return souk_cron_parse(macros[i].expr, out, why);
        *why = "unknown @macro";
        return -1;
    }
    static const int lo[5] = {0, 0, 1, 1, 0}, hi[5] = {59, 23, 31, 12, 7};
    uint64_t bits[5];
    int star[5];
    const char *p = expr;
    for (int f = 0; f < 5; f++) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *e = p + strcspn(p, " \t");
        if (e == p) {
            *why = "expected 5 fields: minute hour day-of-month month day-of-week";
            return -1;
        }
        if (parse_field(p, e, lo[f], hi[f], &bits[f], &star[f], &w) < 0) {
            static const char *const field_msgs[5] = {"bad minute field (0-59)", "bad hour field (0-23)",
                                                      "bad day-of-month field (1-31)", "bad month field (1-12)",
                                                      "bad day-of-week field (0-7)"};
            *why = field_msgs[f];
            return -1;
        }
        p = e;
    }
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p) {
        *why = "expected 5 fields: minute hour day-of-month month day-of-week";
        return -1;
    }
    out->minutes = bits[0];
    out->hours = (uint32_t)bits[1];
    out->mdays = (uint32_t)bits[2];
    out->months = (uint16_t)bits[3];
    out->wdays = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7F); /* 7 = Sunday = 0 */
    out->mday_any = (uint8_t)star[2];
    out->wday_any = (uint8_t)star[4];
    *why = NULL;
    return 0;
}

static int day_matches(const souk_cron *c, const struct tm *tm)
{
    int dom = (c->mdays >> tm->tm_mday) & 1, dow = (c->wdays >> tm->tm_wday) & 1;
    if (c->mday_any && c->wday_any)
        return 1;
    if (c->mday_any)
        return dow;
    if (c->wday_any)
        return dom;
    return dom || dow;
}

int64_t souk_cron_next(const souk_cron *c, int64_t after_us)
{
    int64_t secs = after_us >= 0 ? after_us / 1000000 : -((-after_us + 999999) / 1000000);
    int64_t t = (secs >= 0 ? secs / 60 : -((-secs + 59) / 60)) * 60 + 60; /* the next whole minute */
    int64_t limit = t + INT64_C(5) * 366 * 86400;
    if (!c->minutes || !c->hours || !c->months || (!c->mdays && !c->wdays))
        return -1;
    while (t <= limit) {
        time_t tt = (time_t)t;
        struct tm tm;
        if (!gmtime_r(&tt, &tm))
            return -1;
        if (!((c->months >> (tm.tm_mon + 1)) & 1)) {
            tm.tm_mon++, tm.tm_mday = 1, tm.tm_hour = 0, tm.tm_min = 0, tm.tm_sec = 0;
            t = (int64_t)timegm(&tm);
        } else if (!day_matches(c, &tm)) {
            tm.tm_mday++, tm.tm_hour = 0, tm.tm_min = 0, tm.tm_sec = 0;
            t = (int64_t)timegm(&tm);
        } else if (!((c->hours >> tm.tm_hour) & 1)) {
            tm.tm_hour++, tm.tm_min = 0, tm.tm_sec = 0;
            t = (int64_t)timegm(&tm);
        } else if (!((c->minutes >> tm.tm_min) & 1)) {
            t += 60;
        } else {
            return t * 1000000;
        }
    }
    return -1;
}
