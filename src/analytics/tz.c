/*
 * tz.c — the store's time zone for day boundaries, and civil dates.
 *
 * An IANA zone is read once from its TZif file (RFC 8536; the 64-bit block
 * of version 2+ files): its transition times and the UTC offset after each.
 * A time after the last transition keeps the last offset (Debian's files
 * list transitions up to 2037). Civil-date arithmetic is Howard Hinnant's
 * days_from_civil / civil_from_days.
 */
#include "analytics/analytics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

#define TZIF_MAX (256 * 1024)

int32_t souk_analytics_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

void souk_analytics_civil_from_days(int32_t z0, int *y, int *m, int *d)
{
    int z = z0 + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int yy = (int)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yy + (*m <= 2);
}

int souk_analytics_parse_day(const char *s, int32_t *day)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || y > 2200 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return -1;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap)
        return -1;
    *day = souk_analytics_days_from_civil(y, m, d);
    return 0;
}

char *souk_analytics_format_day(int32_t day, char *buf)
{
    int y, m, d;
    souk_analytics_civil_from_days(day, &y, &m, &d);
    unsigned uy = (unsigned)(y < 0 ? 0 : y) % 10000, um = (unsigned)m % 100, ud = (unsigned)d % 100;
    const unsigned v[] = {uy / 1000, uy / 100 % 10, uy / 10 % 10, uy % 10, um / 10, um % 10, ud / 10, ud % 10};
    static const int pos[] = {0, 1, 2, 3, 5, 6, 8, 9};
    for (int i = 0; i < 8; i++)
        buf[pos[i]] = (char)('0' + v[i]);
    buf[4] = buf[7] = '-';
    buf[10] = '\0';
    return buf;
}

/* "+HH:MM", "-HHMM", "+HH": the offset in seconds; -1 when not one. */
static int parse_offset(const char *s, int32_t *out)
{
    size_t n = strlen(s);
    if ((s[0] != '+' && s[0] != '-') || (n != 3 && n != 5 && n != 6))
        return -1;
    char digits[5] = {0};
    size_t k = 0;
    for (size_t i = 1; i < n; i++) {
        if (n == 6 && i == 3) {
            if (s[i] != ':')
                return -1;
            continue;
        }
        if (s[i] < '0' || s[i] > '9')
            return -1;
        digits[k++] = s[i];
    }
    int h = (digits[0] - '0') * 10 + (digits[1] - '0');
    int m = k == 4 ? (digits[2] - '0') * 10 + (digits[3] - '0') : 0;
    if (h > 14 || m > 59)
        return -1;
    *out = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    return 0;
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n >= SOUK_ANALYTICS_TZ_NAME_MAX || s[0] == '/' || strstr(s, ".."))
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '/' ||
              *s == '_' || *s == '-' || *s == '+'))
            return false;
    return true;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Parses TZif bytes B (N) into TZ. 0, or -1 when malformed. */
static int parse_tzif(souk_analytics_tz *tz, const unsigned char *b, size_t n)
{
    if (n < 44 || memcmp(b, "TZif", 4) != 0)
        return -1;
    uint32_t c[6];
    for (int i = 0; i < 6; i++)
        c[i] = be32(b + 20 + 4 * i); /* isut, isstd, leap, time, type, char */
    size_t tsize = 4, off = 44;
    if (b[4] >= '2') { /* skip the 32-bit block to the 64-bit one */
        off += (size_t)c[3] * 5 + (size_t)c[4] * 6 + c[5] + (size_t)c[2] * 8 + c[1] + c[0];
        if (off + 44 > n || memcmp(b + off, "TZif", 4) != 0)
            return -1;
        for (int i = 0; i < 6; i++)
            c[i] = be32(b + off + 20 + 4 * i);
        off += 44;
        tsize = 8;
    }
    size_t ntime = c[3], ntype = c[4];
    if (ntype == 0 || ntype > 256 || ntime > 100000 || off + ntime * (tsize + 1) + ntype * 6 > n)
        return -1;
    const unsigned char *times = b + off, *idx = times + ntime * tsize, *types = idx + ntime;
    tz->at = malloc((ntime ? ntime : 1) * sizeof *tz->at);
    tz->offset = malloc((ntime ? ntime : 1) * sizeof *tz->offset);
    if (!tz->at || !tz->offset)
        return -1;
    for (size_t i = 0; i < ntime; i++) {
        tz->at[i] = tsize == 8 ? be64(times + 8 * i) : (int32_t)be32(times + 4 * i);
        if (idx[i] >= ntype)
            return -1;
        tz->offset[i] = (int32_t)be32(types + 6 * idx[i]);
    }
    tz->ntrans = ntime;
    tz->before = (int32_t)be32(types);
    tz->fixed = tz->before;
    return 0;
}

int souk_analytics_tz_load(souk_analytics_tz *tz, const char *name)
{
    memset(tz, 0, sizeof *tz);
    snprintf(tz->name, sizeof tz->name, "UTC");
    if (!name || !*name || strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)
        return 0;
    int32_t fixed;
    if (parse_offset(name, &fixed) == 0) {
        tz->fixed = fixed;
        snprintf(tz->name, sizeof tz->name, "%s", name);
        return 0;
    }
    if (!name_ok(name))
        return -1;
    char path[160];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    unsigned char *b = malloc(TZIF_MAX);
    size_t n = b ? fread(b, 1, TZIF_MAX, fp) : 0;
    fclose(fp);
    int r = b ? parse_tzif(tz, b, n) : -1;
    free(b);
    if (r < 0) {
        souk_analytics_tz_release(tz);
        return -1;
    }
    snprintf(tz->name, sizeof tz->name, "%s", name);
    return 0;
}

void souk_analytics_tz_release(souk_analytics_tz *tz)
{
    free(tz->at);
    free(tz->offset);
    tz->at = NULL;
    tz->offset = NULL;
    tz->ntrans = 0;
    tz->fixed = 0;
    snprintf(tz->name, sizeof tz->name, "UTC");
}

static int32_t offset_at(const souk_analytics_tz *tz, int64_t s)
{
    if (!tz->ntrans)
        return tz->fixed;
    if (s < tz->at[0])
        return tz->before;
    size_t lo = 0, hi = tz->ntrans; /* the last transition ≤ s */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (tz->at[mid] <= s)
            lo = mid;
        else
            hi = mid;
    }
    return tz->offset[lo];
}

int32_t souk_analytics_tz_day(const souk_analytics_tz *tz, int64_t us)
{
    int64_t s = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    s += offset_at(tz, s);
    return (int32_t)(s >= 0 ? s / 86400 : -((-s + 86399) / 86400));
}
