/*
 * rates.c — what other contexts ask of the stored rates: the quote a
 * display conversion uses (the latest rate in effect now of an enabled
 * display currency), the converted-price JSON member, and the whole history
 * of the store currency's rates for converted reports.
 */
#include "fx/fx.h"

#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/jsonw.h"
#include "core/banned.h"

int souk_fx_display_enabled(souk_store *db, const char *code)
{
    int64_t one = 0;
    int r = souk_store_one(db, "SELECT 1 FROM fx_display_currencies WHERE currency = $1",
                           SOUK_ARGS(SOUK_TEXTN(code, 3)), SOUK_COLS(SOUK_COL_I64(&one)));
    return r == SOUK_DB_ROW ? 1 : r;
}

int souk_fx_display_quote(souk_store *db, const char *base, const char *to, int64_t now, souk_fx_quote *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->from, base, 3);
    memcpy(out->to, to, 3);
    if (strncmp(base, to, 3) == 0)
        return 0;
    int r = souk_fx_display_enabled(db, to);
    if (r <= 0)
        return r;
    int64_t next = 0;
    r = souk_store_one(db,
                       "SELECT coalesce(min(effective_at), 0) FROM fx_rates "
                       "WHERE base = $1 AND currency = $2 AND effective_at > $3",
                       SOUK_ARGS(SOUK_TEXTN(base, 3), SOUK_TEXTN(to, 3), SOUK_I64(now)),
                       SOUK_COLS(SOUK_COL_I64(&next)));
    if (r < 0)
        return r;
    out->next_change = next;
    int64_t units = 0, scale = 0;
    r = souk_store_one(db,
                       "SELECT id, units, scale, effective_at FROM fx_rates "
                       "WHERE base = $1 AND currency = $2 AND effective_at <= $3 "
                       "ORDER BY effective_at DESC LIMIT 1",
                       SOUK_ARGS(SOUK_TEXTN(base, 3), SOUK_TEXTN(to, 3), SOUK_I64(now)),
                       SOUK_COLS(SOUK_COL_I64(&out->rate_id), SOUK_COL_I64(&units), SOUK_COL_I64(&scale),
                                 SOUK_COL_I64(&out->effective_at)));
    if (r != SOUK_DB_ROW)
        return r;
    out->rate = (souk_rate){units, (int)scale};
    return 1;
}

int souk_fx_quote_apply(const souk_fx_quote *q, int64_t amount, int64_t *out)
{
    return souk_money_convert(amount, q->from, q->to, &SOUK_RATE_ONE, &q->rate, out);
}

void souk_fx_put_converted(souk_buf *b, const souk_fx_quote *q, int64_t from_amount)
{
    char rate[SOUK_RATE_TEXT_MAX];
    if (souk_rate_format(&q->rate, rate, sizeof rate) < 0)
        rate[0] = '\0';
    SOUK_JW_LIT(b, ",\"converted\":{\"from\":{\"amount\":");
    souk_jw_int(b, from_amount);
    SOUK_JW_LIT(b, ",\"currency\":");
    souk_jw_text(b, q->from, 3, SOUK_JW_AS_JANSSON);
    SOUK_JW_LIT(b, "},\"rate\":");
    souk_jw_str(b, rate, SOUK_JW_AS_JANSSON);
    SOUK_JW_LIT(b, ",\"rate_id\":");
    souk_jw_id(b, SOUK_PREFIX_FX_RATE, q->rate_id);
    SOUK_JW_LIT(b, ",\"effective_at\":");
    souk_jw_time(b, q->effective_at);
    souk_buf_addc(b, '}');
}

/* ---- history ---- */

int souk_fx_history_load(souk_store *db, const char *base, souk_fx_history *h)
{
    memset(h, 0, sizeof *h);
    memcpy(h->base, base, 3);
    size_t cap = 0;
    uint64_t fp = UINT64_C(1469598103934665603);
    souk_stmt *st = souk_store_query(db,
                                     "SELECT currency, effective_at, units, scale, id FROM fx_rates WHERE base = $1 "
                                     "ORDER BY currency, effective_at LIMIT $2",
                                     SOUK_ARGS(SOUK_TEXTN(base, 3), SOUK_I64(SOUK_FX_HISTORY_MAX)));
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        if (h->n == cap) {
            size_t bigger = cap ? 2 * cap : 64;
            souk_fx_point *p = realloc(h->p, bigger * sizeof *p);
            if (!p) {
                souk_stmt_done(st);
                souk_fx_history_release(h);
                return SOUK_DB_HARD;
            }
            h->p = p;
            cap = bigger;
        }
        souk_fx_point *p = &h->p[h->n++];
        const char *cur = souk_stmt_text(st, 0, NULL);
        memset(p->currency, 0, sizeof p->currency);
        if (cur)
            memcpy(p->currency, cur, strnlen(cur, 3));
        p->effective_at = souk_stmt_i64(st, 1);
        p->rate = (souk_rate){souk_stmt_i64(st, 2), (int)souk_stmt_i64(st, 3)};
        int64_t mix[4] = {souk_stmt_i64(st, 4), p->effective_at, p->rate.units, p->rate.scale};
        for (size_t i = 0; i < sizeof mix; i++) { /* FNV-1a over what a report reads */
            fp ^= ((const unsigned char *)mix)[i];
            fp *= UINT64_C(1099511628211);
        }
    }
    if (r < 0) {
        souk_fx_history_release(h);
        return r;
    }
    h->fingerprint = fp ^ h->n;
    return 0;
}

void souk_fx_history_release(souk_fx_history *h)
{
    free(h->p);
    h->p = NULL;
    h->n = 0;
}

void souk_fx_history_range(const souk_fx_history *h, const char *cur, size_t *first, size_t *count)
{
    *first = 0;
    *count = 0;
    size_t lo = 0, hi = h->n;
    while (lo < hi) { /* the first point of CUR or after it */
        size_t mid = lo + (hi - lo) / 2;
        if (strncmp(h->p[mid].currency, cur, 3) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < h->n && strncmp(h->p[end].currency, cur, 3) == 0)
        end++;
    *first = lo;
    *count = end - lo;
}
