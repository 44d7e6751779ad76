/* time.c — see time.h. Calendar math is done by hand (days from civil) so
 * nothing depends on the process time zone. */
#include "core/time.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/banned.h"

/* SOUK_TEST_CLOCK_OFFSET_S (a test-only setting): whole seconds, at most ten
 * years either way, added to the wall clock, so tests of expiry move the
 * clock of a restarted server instead of sleeping. Read on the first call;
 * unset, empty or not such a number = 0. `souk` refuses a bad value and
 * warns at start when it is set (src/app/cli.c). */
int64_t souk_time_now_us(void)
{
    static _Atomic int64_t offset_us = INT64_MIN; /* INT64_MIN = not read yet */
    int64_t off = atomic_load_explicit(&offset_us, memory_order_relaxed);
    if (off == INT64_MIN) {
        const char *s = getenv("SOUK_TEST_CLOCK_OFFSET_S");
        char *end = NULL;
        long long v = s && *s ? strtoll(s, &end, 10) : 0;
        off = s && *s && *end == '\0' && v >= -315576000LL && v <= 315576000LL ? (int64_t)v * 1000000 : 0;
        atomic_store_explicit(&offset_us, off, memory_order_relaxed);
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 + off;
}

int64_t souk_time_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

double souk_time_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm) */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

char *souk_time_format(int64_t us, char *buf)
{
    if (us < INT64_C(-62167219200000000)) { /* before 0000-01-01: clamp (and never negate INT64_MIN) */
        memcpy(buf, "0000-01-01T00:00:00.000000Z", SOUK_RFC3339_LEN);
        return buf;
    }
    int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    int64_t frac = us - secs * 1000000;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t sod = secs - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) { /* outside RFC 3339's range: clamp */
        memcpy(buf, y < 0 ? "0000-01-01T00:00:00.000000Z" : "9999-12-31T23:59:59.999999Z", SOUK_RFC3339_LEN);
        return buf;
    }
    /* digits by hand: this runs for every timestamp of every response */
    unsigned s = (unsigned)sod, f = (unsigned)frac, yy = (unsigned)y;
    const unsigned parts[5] = {m, d, s / 3600, s / 60 % 60, s % 60};
    buf[0] = (char)('0' + yy / 1000);
    buf[1] = (char)('0' + yy / 100 % 10);
    buf[2] = (char)('0' + yy / 10 % 10);
    buf[3] = (char)('0' + yy % 10);
    static const char seps[5] = {'-', '-', 'T', ':', ':'};
    for (int i = 0; i < 5; i++) { /* "-MM-DDTHH:MM:SS" */
        buf[4 + 3 * i] = seps[i];
        buf[5 + 3 * i] = (char)('0' + parts[i] / 10);
        buf[6 + 3 * i] = (char)('0' + parts[i] % 10);
    }
    buf[19] = '.';
    for (int i = 25; i >= 20; i--, f /= 10)
        buf[i] = (char)('0' + f % 10);
    buf[26] = 'Z';
    buf[SOUK_RFC3339_LEN - 1] = '\0';
    return buf;
}

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int souk_time_parse(const char *s, size_t len, int64_t *out_us)
{
    int y, mo, d, h, mi, se;
    if (len < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':')
        return -1;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) || digits(s + 11, 2, &h) ||
        digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60)
        return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return -1;
    size_t i = 19;
    int64_t frac = 0;
    if (i < len && s[i] == '.') {
        i++;
        int nd = 0;
        int64_t scale = 100000;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (nd < 6)
                frac += (s[i] - '0') * scale;
            scale /= 10;
            nd++;
            i++;
        }
        if (nd == 0)
            return -1;
    }
    int64_t offset = 0;
    if (i == len) {
        if (s[10] != ' ')
            return -1; /* RFC 3339 needs a zone; the space form is UTC by contract */
    } else if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
        /* UTC */
    } else if ((s[i] == '+' || s[i] == '-') && i + 6 == len && s[i + 3] == ':') {
        int oh, om;
        if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset = (int64_t)(oh * 60 + om) * 60;
        if (s[i] == '-')
            offset = -offset;
    } else {
        return -1;
    }
    int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - offset;
    *out_us = secs * 1000000 + frac;
    return 0;
}
