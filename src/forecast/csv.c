/*
 * csv.c — series from a CSV of series_id,date,value rows (`souk eval
 * forecast`, and whatever imports series later): validated and bounded,
 * every error naming its line. Rows are gathered, ids interned in a small
 * open-addressing table, then sorted by (series, date) and cut into series.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/grow.h"
#include "forecast/forecast.h"
#include "core/banned.h"

typedef struct {
    uint32_t sid;
    int32_t day;
    double v;
    uint64_t line;
} row;

typedef struct {
    char (*ids)[SOUK_FORECAST_ID_MAX + 1];
    size_t nids, ids_cap;
    uint32_t *slot; /* id index + 1, 0 = empty */
    size_t nslots;
} intern;

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* the index of ID, added when new; -1 out of memory, -2 too many */
static long intern_id(intern *t, const char *id)
{
    if (t->nids * 2 >= t->nslots) {
        size_t ns = t->nslots ? t->nslots * 2 : 1024;
        uint32_t *slot = calloc(ns, sizeof *slot);
        if (!slot)
            return -1;
        for (size_t i = 0; i < t->nids; i++) {
            size_t k = hash(t->ids[i]) & (ns - 1);
            while (slot[k])
                k = (k + 1) & (ns - 1);
            slot[k] = (uint32_t)i + 1;
        }
        free(t->slot);
        t->slot = slot;
        t->nslots = ns;
    }
    size_t k = hash(id) & (t->nslots - 1);
    while (t->slot[k]) {
        if (strcmp(t->ids[t->slot[k] - 1], id) == 0)
            return t->slot[k] - 1;
        k = (k + 1) & (t->nslots - 1);
    }
    if (t->nids >= SOUK_FORECAST_SERIES_MAX)
        return -2;
    if (souk_grow(&t->ids, &t->ids_cap, t->nids + 1, sizeof *t->ids) < 0)
        return -1;
    snprintf(t->ids[t->nids], sizeof t->ids[0], "%s", id);
    t->slot[k] = (uint32_t)t->nids + 1;
    return (long)t->nids++;
}

/* days since 1970-01-01 of a proleptic Gregorian date (Y, M 1-12, D 1-31) */
static int32_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* YYYY-MM-DD, optionally followed by 'T' or ' ' and anything; 0 or -1 */
static int parse_date(const char *s, size_t len, int32_t *out)
{
    if (len < 10 || (len > 10 && s[10] != 'T' && s[10] != ' '))
        return -1;
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return -1;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return -1;
    *out = days_from_civil(y, m, d);
    return 0;
}

static int cmp_row(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->sid != y->sid)
        return x->sid < y->sid ? -1 : 1;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

static int cmp_series(const void *a, const void *b)
{
    return strcmp(((const souk_forecast_series *)a)->id, ((const souk_forecast_series *)b)->id);
}

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

void souk_forecast_series_set_release(souk_forecast_series_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->nseries; i++) {
        free(set->series[i].day);
        free(set->series[i].y);
    }
    free(set->series);
    memset(set, 0, sizeof *set);
}

static int read_all(souk_csv *r, souk_forecast_series_set *out, char *err, size_t errlen)
{
    intern ids = {0};
    row *rows = NULL;
    size_t nrows = 0, cap = 0;
    int rc = SOUK_FORECAST_E_INVAL, c;
    int col[3] = {-1, -1, -1};
    static const char *names[3] = {"series_id", "date", "value"};
    c = souk_csv_next(r);
    if (c != SOUK_CSV_RECORD) {
        rc = fail(err, errlen, rc,
                  c == SOUK_CSV_END ? "line 1: empty file, expected a header series_id,date,value" : "line %llu: %s",
                  (unsigned long long)souk_csv_line(r), souk_csv_error(r));
        goto done;
    }
    for (size_t f = 0; f < souk_csv_field_count(r); f++)
        for (int j = 0; j < 3; j++)
            if (strcmp(souk_csv_field(r, f, NULL), names[j]) == 0) {
                if (col[j] >= 0) {
                    rc = fail(err, errlen, rc, "line 1: the header names '%s' twice", names[j]);
                    goto done;
                }
                col[j] = (int)f;
            }
    for (int j = 0; j < 3; j++)
        if (col[j] < 0) {
            rc = fail(err, errlen, rc, "line 1: no '%s' column; the header must name series_id,date,value", names[j]);
            goto done;
        }
    while ((c = souk_csv_next(r)) != SOUK_CSV_END) {
        unsigned long long line = (unsigned long long)souk_csv_line(r);
        if (c < 0) {
            rc = fail(err, errlen, rc, "line %llu: %s", line, souk_csv_error(r));
            goto done;
        }
        size_t nf = souk_csv_field_count(r), lid, ldate, lval;
        if ((size_t)col[0] >= nf || (size_t)col[1] >= nf || (size_t)col[2] >= nf) {
            rc = fail(err, errlen, rc, "line %llu: %zu fields, fewer than the header's columns", line, nf);
            goto done;
        }
        const char *id = souk_csv_field(r, (size_t)col[0], &lid);
        const char *date = souk_csv_field(r, (size_t)col[1], &ldate);
        const char *val = souk_csv_field(r, (size_t)col[2], &lval);
        if (lid == 0 || lid > SOUK_FORECAST_ID_MAX) {
            rc = fail(err, errlen, rc, "line %llu: series_id must be 1 to %d bytes", line, SOUK_FORECAST_ID_MAX);
            goto done;
        }
        int32_t day;
        if (parse_date(date, ldate, &day) < 0) {
            rc =
                fail(err, errlen, rc, "line %llu: date '%.40s' is not a date YYYY-MM-DD (years 1900-2200)", line, date);
            goto done;
        }
        char *end;
        errno = 0;
        double v = lval ? strtod(val, &end) : 0;
        if (lval == 0 || *end || errno == ERANGE || !isfinite(v) || fabs(v) > SOUK_FORECAST_VALUE_MAX) {
            rc = fail(err, errlen, rc, "line %llu: value '%.40s' is not a finite number within +-%g", line, val,
                      SOUK_FORECAST_VALUE_MAX);
            goto done;
        }
        if (nrows >= SOUK_FORECAST_ROWS_MAX) {
            rc = fail(err, errlen, rc, "line %llu: more than %d rows", line, SOUK_FORECAST_ROWS_MAX);
            goto done;
        }
        long sid = intern_id(&ids, id);
        if (sid == -2) {
            rc = fail(err, errlen, rc, "line %llu: more than %d series", line, SOUK_FORECAST_SERIES_MAX);
            goto done;
        }
        if (sid < 0 || souk_grow(&rows, &cap, nrows + 1, sizeof *rows) < 0)
            goto nomem;
        rows[nrows++] = (row){(uint32_t)sid, day, v, line};
    }
    if (nrows == 0) {
        rc = fail(err, errlen, rc, "line %llu: no rows after the header", (unsigned long long)souk_csv_line(r));
        goto done;
    }
    qsort(rows, nrows, sizeof *rows, cmp_row);
    size_t count = 0;
    for (size_t i = 0; i < nrows; i++) {
        if (i && rows[i].sid == rows[i - 1].sid && rows[i].day == rows[i - 1].day) {
            rc = fail(err, errlen, rc, "line %llu: series '%s' has the date of line %llu again",
                      (unsigned long long)rows[i].line, ids.ids[rows[i].sid], (unsigned long long)rows[i - 1].line);
            goto done;
        }
        if (i == 0 || rows[i].sid != rows[i - 1].sid)
            count = 0;
        if (++count > SOUK_FORECAST_N_MAX) {
            rc = fail(err, errlen, rc, "line %llu: series '%s' has more than %d points",
                      (unsigned long long)rows[i].line, ids.ids[rows[i].sid], SOUK_FORECAST_N_MAX);
            goto done;
        }
    }
    out->series = calloc(ids.nids, sizeof *out->series);
    if (!out->series)
        goto nomem;
    out->nseries = ids.nids;
    out->nrows = nrows;
    for (size_t i = 0; i < nrows;) {
        size_t j = i;
        while (j < nrows && rows[j].sid == rows[i].sid)
            j++;
        souk_forecast_series *s = &out->series[rows[i].sid];
        snprintf(s->id, sizeof s->id, "%s", ids.ids[rows[i].sid]);
        s->n = j - i;
        s->day = malloc(s->n * sizeof *s->day);
        s->y = malloc(s->n * sizeof *s->y);
        if (!s->day || !s->y)
            goto nomem;
        for (size_t k = i; k < j; k++) {
            s->day[k - i] = rows[k].day;
            s->y[k - i] = rows[k].v;
        }
        s->first_day = s->day[0];
        i = j;
    }
    qsort(out->series, out->nseries, sizeof *out->series, cmp_series);
    rc = 0;
    goto done;
nomem:
    rc = fail(err, errlen, SOUK_FORECAST_E_NOMEM, "out of memory");
done:
    if (rc < 0)
        souk_forecast_series_set_release(out);
    free(rows);
    free(ids.ids);
    free(ids.slot);
    return rc;
}

int souk_forecast_csv_read(const void *data, size_t len, souk_forecast_series_set *out, char *err, size_t errlen)
{
    if (!out || (!data && len))
        return SOUK_FORECAST_E_INVAL;
    memset(out, 0, sizeof *out);
    souk_csv_limits lim = {.max_field_len = 1024, .max_fields = 64, .max_record_len = 64 * 1024};
    souk_csv *r;
    if (souk_csv_open_mem(&r, data ? data : "", len, &lim) != SOUK_CSV_OK)
        return fail(err, errlen, SOUK_FORECAST_E_NOMEM, "out of memory");
    int rc = read_all(r, out, err, errlen);
    souk_csv_free(r);
    return rc;
}

int souk_forecast_csv_read_file(const char *path, souk_forecast_series_set *out, char *err, size_t errlen)
{
    if (!out || !path)
        return SOUK_FORECAST_E_INVAL;
    memset(out, 0, sizeof *out);
    souk_csv_limits lim = {.max_field_len = 1024, .max_fields = 64, .max_record_len = 64 * 1024};
    souk_csv *r;
    if (souk_csv_open_file(&r, path, &lim) != SOUK_CSV_OK)
        return fail(err, errlen, SOUK_FORECAST_E_INVAL, "cannot open %s: %s", path, strerror(errno));
    int rc = read_all(r, out, err, errlen);
    souk_csv_free(r);
    return rc;
}
