/*
 * settings.c — the programme's settings: read, replaced, as JSON, and the
 * earning rule (souk_loyalty_points_for).
 */
#include "loyalty/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/money.h"
#include "core/banned.h"

souk_err souk_loyalty_settings_read(souk_store *db, souk_loyalty_settings *s)
{
    memset(s, 0, sizeof *s);
    int r = souk_store_one(
        db, "SELECT max_redeem_bp, return_window_days, expiry_days FROM loyalty_settings WHERE id = 1", NULL,
        SOUK_COLS(SOUK_COL_I64(&s->max_redeem_bp), SOUK_COL_I64(&s->return_window_days),
                  SOUK_COL_I64(&s->expiry_days)));
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_INTERNAL : souk_store_dberr(r);
    souk_stmt *st = souk_store_query(
        db, "SELECT currency, earn_per_unit, point_value FROM loyalty_currencies ORDER BY currency", NULL);
    for (;;) {
        souk_loyalty_currency c = {0};
        r = souk_stmt_next(
            st, SOUK_COLS(SOUK_COL_STR(c.currency), SOUK_COL_I64(&c.earn_per_unit), SOUK_COL_I64(&c.point_value)));
        if (r != SOUK_DB_ROW)
            break;
        if (s->ncurrencies < SOUK_LOYALTY_CURRENCIES_MAX)
            s->currencies[s->ncurrencies++] = c;
    }
    if (r != SOUK_DB_DONE)
        return souk_store_dberr(r);
    st = souk_store_query(db, "SELECT category_id, rate_bp FROM loyalty_category_rates ORDER BY category_id", NULL);
    for (;;) {
        souk_loyalty_category_rate c = {0};
        r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&c.category_id), SOUK_COL_I64(&c.rate_bp)));
        if (r != SOUK_DB_ROW)
            break;
        if (s->ncategories < SOUK_LOYALTY_CATEGORIES_MAX)
            s->categories[s->ncategories++] = c;
    }
    return r == SOUK_DB_DONE ? SOUK_OK : souk_store_dberr(r);
}

souk_err souk_loyalty_settings_write_tx(souk_store *db, const souk_loyalty_settings *s, int64_t now)
{
    int r = souk_store_exec(db,
                            "UPDATE loyalty_settings SET max_redeem_bp = $1, return_window_days = $2, "
                            "expiry_days = $3, updated_at = $4 WHERE id = 1",
                            SOUK_ARGS(SOUK_I64(s->max_redeem_bp), SOUK_I64(s->return_window_days),
                                      SOUK_I64(s->expiry_days), SOUK_I64(now)));
    if (r >= 0)
        r = souk_store_exec(db, "DELETE FROM loyalty_currencies", NULL);
    for (size_t i = 0; r >= 0 && i < s->ncurrencies; i++)
        r = souk_store_exec(db,
                            "INSERT INTO loyalty_currencies (currency, earn_per_unit, point_value) VALUES ($1, $2, $3)",
                            SOUK_ARGS(SOUK_TEXT(s->currencies[i].currency), SOUK_I64(s->currencies[i].earn_per_unit),
                                      SOUK_I64(s->currencies[i].point_value)));
    if (r >= 0)
        r = souk_store_exec(db, "DELETE FROM loyalty_category_rates", NULL);
    for (size_t i = 0; r >= 0 && i < s->ncategories; i++)
        r = souk_store_exec(db, "INSERT INTO loyalty_category_rates (category_id, rate_bp) VALUES ($1, $2)",
                            SOUK_ARGS(SOUK_I64(s->categories[i].category_id), SOUK_I64(s->categories[i].rate_bp)));
    return souk_store_dberr(r);
}

json_t *souk_loyalty_settings_json(const souk_loyalty_settings *s)
{
    json_t *cur = json_array(), *cats = json_array();
    for (size_t i = 0; cur && i < s->ncurrencies; i++)
        json_array_append_new(cur, json_pack("{s:s,s:I,s:I}", "currency", s->currencies[i].currency, "earn_per_unit",
                                             (json_int_t)s->currencies[i].earn_per_unit, "point_value",
                                             (json_int_t)s->currencies[i].point_value));
    for (size_t i = 0; cats && i < s->ncategories; i++) {
        char ref[SOUK_ID_TEXT_MAX];
        json_array_append_new(cats, json_pack("{s:s,s:I}", "category_id",
                                              souk_id_format("cat", s->categories[i].category_id, ref), "rate_bp",
                                              (json_int_t)s->categories[i].rate_bp));
    }
    if (!cur || !cats) {
        json_decref(cur);
        json_decref(cats);
        return NULL;
    }
    return json_pack("{s:I,s:I,s:I,s:o,s:o}", "max_redeem_bp", (json_int_t)s->max_redeem_bp, "return_window_days",
                     (json_int_t)s->return_window_days, "expiry_days", (json_int_t)s->expiry_days, "currencies", cur,
                     "categories", cats);
}

const souk_loyalty_currency *souk__loyalty_currency(const souk_loyalty_settings *s, const char *code)
{
    for (size_t i = 0; code && i < s->ncurrencies; i++)
        if (strcmp(s->currencies[i].currency, code) == 0)
            return &s->currencies[i];
    return NULL;
}

static int64_t category_rate(const souk_loyalty_settings *s, int64_t category)
{
    for (size_t i = 0; category && i < s->ncategories; i++)
        if (s->categories[i].category_id == category)
            return s->categories[i].rate_bp;
    return 10000;
}

int64_t souk_loyalty_points_for(const souk_loyalty_settings *s, const char *currency, const souk_loyalty_line *lines,
                                const int64_t *category_of, size_t n)
{
    const souk_loyalty_currency *c = souk__loyalty_currency(s, currency);
    int exp = souk_currency_exponent(currency);
    if (!c || c->earn_per_unit <= 0 || exp < 0)
        return 0;
    souk_wide weighted = 0; /* Σ paid × rate_bp: 4·10^14 × 10^5 per line passes int64 */
    for (size_t i = 0; i < n; i++)
        if (lines[i].paid > 0)
            weighted += (souk_wide)lines[i].paid * category_rate(s, category_of ? category_of[i] : 0);
    souk_wide unit = 10000;
    for (int k = 0; k < exp; k++)
        unit *= 10;
    souk_wide points = weighted * c->earn_per_unit / unit;
    return points > SOUK_LOYALTY_POINTS_MAX ? SOUK_LOYALTY_POINTS_MAX : (int64_t)points;
}
