/*
 * split.c — the time-based split for offline evaluation: the last
 * TEST_SECONDS before the latest interaction are the test window, the rest
 * trains. Splitting by time rather than at random keeps the future out of
 * training, as in production where a model only knows the past.
 */
#include <stdlib.h>
#include <string.h>

#include "recommend/internal.h"
#include "core/banned.h"

void souk_rec_split_release(souk_rec_split *s)
{
    free(s->train);
    free(s->test);
    memset(s, 0, sizeof *s);
}

int souk_rec_split_time(const souk_rec_interaction *in, size_t n, int64_t test_seconds, souk_rec_split *out)
{
    memset(out, 0, sizeof *out);
    if (test_seconds < 1 || (n && !in))
        return SOUK_REC_E_INVAL;
    int64_t latest = INT64_MIN;
    for (size_t j = 0; j < n; j++)
        if (in[j].time > latest)
            latest = in[j].time;
    out->cut = n ? (latest < INT64_MIN + test_seconds ? INT64_MIN : latest - test_seconds) : 0;
    size_t nt = 0;
    for (size_t j = 0; j < n; j++)
        nt += in[j].time > out->cut;
    out->train = malloc((n - nt ? n - nt : 1) * sizeof *out->train);
    out->test = malloc((nt ? nt : 1) * sizeof *out->test);
    if (!out->train || !out->test) {
        souk_rec_split_release(out);
        return SOUK_REC_E_NOMEM;
    }
    for (size_t j = 0; j < n; j++) {
        if (in[j].time > out->cut)
            out->test[out->ntest++] = in[j];
        else
            out->train[out->ntrain++] = in[j];
    }
    return 0;
}
