/*
 * csv_in.c — the interactions CSV of `souk eval recs`:
 * user,item,timestamp[,weight] with a header naming the columns. Strict:
 * the first bad record ends the read with its line number, because a
 * silently skipped line would change the metrics without anyone knowing.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "recommend/internal.h"
#include "core/csv.h"
#include "core/grow.h"
#include "core/time.h"
#include "core/banned.h"

#define WEIGHT_MAX 1e9

static void say(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* A whole int64 in decimal: optional '-', 1..19 digits, no overflow. */
static int parse_i64(const char *s, int64_t *out)
{
    const char *p = s;
    int neg = *p == '-';
    if (neg)
        p++;
    if (!*p)
        return -1;
    uint64_t v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        unsigned dgt = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - dgt) / 10)
            return -1;
        v = v * 10 + dgt;
    }
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
        return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* Unix seconds, or ISO-8601: a date-time souk_time_parse takes, or a bare date. */
static int parse_time(const char *s, size_t len, int64_t *out)
{
    int all_digits = len > 0;
    for (size_t i = 0; i < len; i++)
        all_digits &= (s[i] >= '0' && s[i] <= '9') || (i == 0 && s[i] == '-' && len > 1);
    if (all_digits)
        return len <= 12 ? parse_i64(s, out) : -1; /* beyond ±31,000 years is no timestamp */
    int64_t us;
    if (len == 10) {
        char buf[20];
        memcpy(buf, s, 10);
        memcpy(buf + 10, " 00:00:00", 9);
        if (souk_time_parse(buf, 19, &us) < 0)
            return -1;
    } else if (souk_time_parse(s, len, &us) < 0) {
        return -1;
    }
    *out = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    return 0;
}

static int read_all(souk_csv *r, size_t max, souk_rec_interaction **out, size_t *n, char *err, size_t errlen)
{
    if (!max || max > SOUK_REC_INTERACTIONS_MAX)
        max = SOUK_REC_INTERACTIONS_MAX;
    souk_rec_interaction *v = NULL;
    size_t nv = 0, cap = 0;
    int col[4] = {-1, -1, -1, -1}; /* user, item, timestamp, weight */
    static const char *names[4] = {"user", "item", "timestamp", "weight"};
    int rc = SOUK_REC_E_INVAL, c;
    size_t nfields = 0;
    while ((c = souk_csv_next(r)) != SOUK_CSV_END) {
        unsigned long long line = (unsigned long long)souk_csv_line(r);
        if (c < 0) {
            if (c == SOUK_CSV_E_NOMEM)
                rc = SOUK_REC_E_NOMEM;
            say(err, errlen, "line %llu: %s", line, souk_csv_error(r));
            goto fail;
        }
        size_t nf = souk_csv_field_count(r);
        if (nfields == 0) {
            for (size_t f = 0; f < nf; f++) {
                const char *name = souk_csv_field(r, f, NULL);
                for (int j = 0; j < 4; j++)
                    if (strcasecmp(name, names[j]) == 0) {
                        if (col[j] >= 0) {
                            say(err, errlen, "line %llu: the column '%s' appears twice", line, names[j]);
                            goto fail;
                        }
                        col[j] = (int)f;
                    }
            }
            for (int j = 0; j < 3; j++)
                if (col[j] < 0) {
                    say(err, errlen,
                        "line %llu: the header has no '%s' column (it needs user,item,timestamp and may have weight)",
                        line, names[j]);
                    goto fail;
                }
            nfields = nf;
            continue;
        }
        if (nf != nfields) {
            say(err, errlen, "line %llu: %zu fields where the header has %zu", line, nf, nfields);
            goto fail;
        }
        souk_rec_interaction it = {.weight = 1};
        size_t len;
        const char *s = souk_csv_field(r, (size_t)col[0], NULL);
        if (parse_i64(s, &it.user) < 0) {
            say(err, errlen, "line %llu: user '%.40s' is not an integer", line, s);
            goto fail;
        }
        s = souk_csv_field(r, (size_t)col[1], NULL);
        if (parse_i64(s, &it.item) < 0) {
            say(err, errlen, "line %llu: item '%.40s' is not an integer", line, s);
            goto fail;
        }
        s = souk_csv_field(r, (size_t)col[2], &len);
        if (parse_time(s, len, &it.time) < 0) {
            say(err, errlen, "line %llu: timestamp '%.40s' is neither Unix seconds nor ISO-8601", line, s);
            goto fail;
        }
        if (col[3] >= 0) {
            s = souk_csv_field(r, (size_t)col[3], &len);
            char *end;
            errno = 0;
            it.weight = len ? strtod(s, &end) : NAN;
            if (!len || *end || errno || !(it.weight > 0) || !(it.weight <= WEIGHT_MAX)) {
                say(err, errlen, "line %llu: weight '%.40s' is not a number above 0 and at most 1e9", line, s);
                goto fail;
            }
        }
        if (nv >= max) {
            say(err, errlen, "line %llu: more than %zu interactions", line, max);
            rc = SOUK_REC_E_LIMIT;
            goto fail;
        }
        if (souk_grow(&v, &cap, nv + 1, sizeof *v) < 0) {
            say(err, errlen, "out of memory after %zu interactions", nv);
            rc = SOUK_REC_E_NOMEM;
            goto fail;
        }
        v[nv++] = it;
    }
    if (nfields == 0) {
        say(err, errlen, "line 1: empty file: no header (it needs user,item,timestamp and may have weight)");
        goto fail;
    }
    *out = v;
    *n = nv;
    return 0;
fail:
    free(v);
    return rc;
}

int souk_rec_read_csv_file(const char *path, size_t max, souk_rec_interaction **out, size_t *n, char *err,
                           size_t errlen)
{
    *out = NULL;
    *n = 0;
    souk_csv_limits lim = {
        .max_field_len = SOUK_REC_CSV_LINE_MAX, .max_fields = 64, .max_record_len = SOUK_REC_CSV_LINE_MAX};
    souk_csv *r;
    int c = souk_csv_open_file(&r, path, &lim);
    if (c != SOUK_CSV_OK) {
        say(err, errlen, "cannot read %s: %s", path, c == SOUK_CSV_E_IO ? strerror(errno) : souk_csv_strerror(c));
        return c == SOUK_CSV_E_NOMEM ? SOUK_REC_E_NOMEM : SOUK_REC_E_INVAL;
    }
    int rc = read_all(r, max, out, n, err, errlen);
    souk_csv_free(r);
    return rc;
}

int souk_rec_read_csv_mem(const char *data, size_t len, size_t max, souk_rec_interaction **out, size_t *n, char *err,
                          size_t errlen)
{
    *out = NULL;
    *n = 0;
    souk_csv_limits lim = {
        .max_field_len = SOUK_REC_CSV_LINE_MAX, .max_fields = 64, .max_record_len = SOUK_REC_CSV_LINE_MAX};
    souk_csv *r;
    int c = souk_csv_open_mem(&r, data, len, &lim);
    if (c != SOUK_CSV_OK) {
        say(err, errlen, "%s", souk_csv_strerror(c));
        return c == SOUK_CSV_E_NOMEM ? SOUK_REC_E_NOMEM : SOUK_REC_E_INVAL;
    }
    int rc = read_all(r, max, out, n, err, errlen);
    souk_csv_free(r);
    return rc;
}
