/*
 * ledger.c — the append-only points ledger and the balances kept beside it:
 * appending an entry under the no-negative guard, credits that pay a debt
 * first, expiry (oldest points spent first), admin adjustments, and the
 * account as JSON. See docs/internals/loyalty.md.
 */
#include "loyalty/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "store/page.h"
#include "core/banned.h"

souk_err souk__loyalty_post(souk_store *db, const souk__loyalty_entry *e, int64_t *id)
{
    int64_t eid = souk_id_next();
    int64_t n = souk_store_update(
        db,
        "INSERT INTO loyalty_ledger (id, user_id, kind, points, pending, debt, order_id, amount, currency, reason, "
        "actor, dedupe, available_at, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
        "$12, $13, $14, $15) ON CONFLICT (dedupe) DO NOTHING",
        SOUK_ARGS(SOUK_I64(eid), SOUK_I64(e->user), SOUK_TEXT(e->kind), SOUK_I64(e->points), SOUK_I64(e->pending),
                  SOUK_I64(e->debt), SOUK_REF(e->order), e->currency ? SOUK_I64(e->amount) : SOUK_NULL,
                  SOUK_TEXT(e->currency), SOUK_TEXT(e->reason ? e->reason : ""), SOUK_TEXT(e->actor ? e->actor : ""),
                  SOUK_TEXT(e->dedupe), SOUK_REF(e->available_at), SOUK_REF(e->expires_at), SOUK_I64(e->now)));
    if (n < 0)
        return souk_store_dberr((int)n);
    if (n == 0)
        return SOUK_E_CONFLICT; /* once-only, and done before */
    int r = souk_store_exec(db,
                            "INSERT INTO loyalty_accounts (user_id, updated_at) VALUES ($1, $2) "
                            "ON CONFLICT (user_id) DO NOTHING",
                            SOUK_ARGS(SOUK_I64(e->user), SOUK_I64(e->now)));
    if (r < 0)
        return souk_store_dberr(r);
    /* the guard: no balance below zero, whatever else runs at the same time */
    n = souk_store_update(
        db,
        "UPDATE loyalty_accounts SET available = available + $2, pending = pending + $3, "
        "debt = debt + $4, updated_at = $5 WHERE user_id = $1 AND available + $2 >= 0 "
        "AND pending + $3 >= 0 AND debt + $4 >= 0",
        SOUK_ARGS(SOUK_I64(e->user), SOUK_I64(e->points), SOUK_I64(e->pending), SOUK_I64(e->debt), SOUK_I64(e->now)));
    if (n < 0)
        return souk_store_dberr((int)n);
    if (n != 1)
        return SOUK_E_INVALID_STATE;
    if (id)
        *id = eid;
    return SOUK_OK;
}

souk_err souk_loyalty_balance_read(souk_store *db, int64_t user, souk_loyalty_balance *b)
{
    memset(b, 0, sizeof *b);
    int r = souk_store_one(db, "SELECT available, pending, debt FROM loyalty_accounts WHERE user_id = $1",
                           SOUK_ARGS(SOUK_I64(user)),
                           SOUK_COLS(SOUK_COL_I64(&b->available), SOUK_COL_I64(&b->pending), SOUK_COL_I64(&b->debt)));
    return r == SOUK_DB_ROW || r == SOUK_DB_DONE ? SOUK_OK : souk_store_dberr(r);
}

souk_err souk__loyalty_pay_debt(souk_store *db, int64_t user, int64_t order, int64_t now)
{
    souk_loyalty_balance b;
    souk_err err = souk_loyalty_balance_read(db, user, &b);
    if (err || b.debt == 0 || b.available == 0)
        return err;
    int64_t pay = b.debt < b.available ? b.debt : b.available;
    souk__loyalty_entry d = {.user = user,
                             .kind = "debt_payment",
                             .points = -pay,
                             .debt = -pay,
                             .order = order,
                             .reason = "debt paid from points",
                             .actor = "system",
                             .now = now};
    return souk__loyalty_post(db, &d, NULL);
}

souk_err souk__loyalty_credit(souk_store *db, souk__loyalty_entry *e, int64_t points, int64_t *id)
{
    e->points += points;
    souk_err err = souk__loyalty_post(db, e, id);
    return err ? err : souk__loyalty_pay_debt(db, e->user, e->order, e->now);
}

int64_t souk__loyalty_expiry(const souk_loyalty_settings *s, int64_t at)
{
    return s->expiry_days > 0 ? at + s->expiry_days * SOUK__LOYALTY_DAY_US : 0;
}

souk_err souk__loyalty_balance_due(souk_store *db, int64_t user, int64_t now, souk_loyalty_balance *b, int64_t *due)
{
    *due = 0;
    /* oldest spent first: whatever the balance holds beyond the credits that
     * have not expired yet is what is left of the expired ones */
    int64_t unexpired = 0;
    souk_err e = souk_loyalty_balance_read(db, user, b);
    if (e || b->available == 0)
        return e;
    int r =
        souk_store_one(db,
                       "SELECT coalesce(sum(points), 0) FROM loyalty_ledger WHERE user_id = $1 "
                       "AND kind IN ('release', 'adjust') AND points > 0 AND (expires_at IS NULL OR expires_at > $2)",
                       SOUK_ARGS(SOUK_I64(user), SOUK_I64(now)), SOUK_COLS(SOUK_COL_I64(&unexpired)));
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_INTERNAL : souk_store_dberr(r);
    *due = b->available > unexpired ? b->available - unexpired : 0;
    return SOUK_OK;
}

souk_err souk_loyalty_expire_user_tx(souk_store *db, int64_t user, int64_t now, int64_t *expired)
{
    *expired = 0;
    souk_loyalty_balance b;
    int64_t due;
    souk_err e = souk__loyalty_balance_due(db, user, now, &b, &due);
    if (e || due == 0)
        return e;
    souk__loyalty_entry x = {
        .user = user, .kind = "expire", .points = -due, .reason = "points expired", .actor = "system", .now = now};
    e = souk__loyalty_post(db, &x, NULL);
    if (!e)
        *expired = due;
    return e;
}

souk_err souk_loyalty_expire_due_tx(souk_store *db, int64_t since, int64_t now, int max, souk_loyalty_cursor *at,
                                    int *n)
{
    *n = 0;
    at->done = false;
    max = max < 1 ? 1 : max > SOUK_LOYALTY_BATCH_MAX ? SOUK_LOYALTY_BATCH_MAX : max;
    if (at->key < since)
        at->key = since, at->user = INT64_MAX; /* (since, …]: nothing at SINCE itself */
    /* the candidates come from the lots index (expires_at, user_id): the
     * credits that expired in the window, not every account that ever had one */
    souk_stmt *st = souk_store_query(db,
                                     "SELECT DISTINCT l.expires_at, l.user_id FROM loyalty_ledger l "
                                     "WHERE l.expires_at <= $1 AND (l.expires_at > $2 OR (l.expires_at = $2 "
                                     "AND l.user_id > $3)) AND l.kind IN ('release', 'adjust') AND l.points > 0 "
                                     "ORDER BY l.expires_at, l.user_id LIMIT $4",
                                     SOUK_ARGS(SOUK_I64(now), SOUK_I64(at->key), SOUK_I64(at->user), SOUK_I64(max)));
    int64_t key[SOUK_LOYALTY_BATCH_MAX], user[SOUK_LOYALTY_BATCH_MAX];
    int r = SOUK_DB_DONE, k = 0;
    while (k < max && (r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&key[k]), SOUK_COL_I64(&user[k])))) == SOUK_DB_ROW)
        k++;
    if (k == max)
        r = SOUK_DB_DONE, souk_stmt_done(st);
    if (r != SOUK_DB_DONE)
        return souk_store_dberr(r);
    for (int i = 0; i < k; i++) {
        int64_t expired;
        souk_err e = souk_loyalty_expire_user_tx(db, user[i], now, &expired);
        if (e)
            return e;
        at->key = key[i];
        at->user = user[i];
    }
    *n = k;
    at->done = k < max;
    return SOUK_OK;
}

souk_err souk_loyalty_adjust_tx(souk_store *db, int64_t user, int64_t points, const char *reason, const char *actor,
                                int64_t now, int64_t *entry, souk_arena *a, souk_problems *pr)
{
    souk__loyalty_entry x = {.user = user, .kind = "adjust", .reason = reason, .actor = actor, .now = now};
    if (points > 0) { /* a credit: it pays a debt first, and expires like a release */
        souk_loyalty_settings s;
        souk_err e = souk_loyalty_settings_read(db, &s);
        if (e)
            return e;
        x.expires_at = souk__loyalty_expiry(&s, now);
        return souk__loyalty_credit(db, &x, points, entry);
    }
    x.points = points;
    souk_err e = souk__loyalty_post(db, &x, entry);
    if (e == SOUK_E_INVALID_STATE) {
        souk_loyalty_balance b;
        souk_loyalty_balance_read(db, user, &b);
        souk_problems_add(pr, a, "points", "the customer has only %lld points available", (long long)b.available);
        return SOUK_E_VALIDATION;
    }
    return e;
}

/* ---- reading ---- */

static json_t *time_or_null(int64_t us, bool null)
{
    char t[SOUK_RFC3339_LEN];
    return null ? json_null() : json_string(souk_time_format(us, t));
}

json_t *souk_loyalty_account_json(souk_store *db, int64_t user, int limit, int64_t before, souk_err *err)
{
    souk_loyalty_balance b;
    if ((*err = souk_loyalty_balance_read(db, user, &b)))
        return NULL;
    json_t *entries = json_array();
    souk_stmt *st = souk_store_query(db,
                                     "SELECT id, kind, points, pending, debt, order_id, amount, currency, reason, "
                                     "actor, available_at, expires_at, created_at FROM loyalty_ledger "
                                     "WHERE user_id = $1 AND ($2 = 0 OR id < $2) ORDER BY id DESC LIMIT $3",
                                     SOUK_ARGS(SOUK_I64(user), SOUK_I64(before), SOUK_I64(limit + 1)));
    int r, count = 0;
    int64_t last = 0;
    bool more = false;
    while ((r = souk_stmt_next(st, NULL)) == SOUK_DB_ROW) {
        if (count == limit) {
            more = true;
            souk_stmt_done(st);
            r = SOUK_DB_DONE;
            break;
        }
        char ref[SOUK_ID_TEXT_MAX], oref[SOUK_ID_TEXT_MAX];
        int64_t id = souk_stmt_i64(st, 0);
        json_t *money = json_null();
        if (!souk_stmt_is_null(st, 6))
            money = json_pack("{s:I,s:s}", "amount", (json_int_t)souk_stmt_i64(st, 6), "currency",
                              souk_stmt_text(st, 7, NULL) ? souk_stmt_text(st, 7, NULL) : "");
        json_t *o = json_pack(
            "{s:s,s:s,s:I,s:I,s:I,s:o,s:o,s:s,s:s,s:o,s:o,s:o}", "id",
            souk_id_format(SOUK_PREFIX_LOYALTY_ENTRY, id, ref), "kind", souk_stmt_text(st, 1, NULL), "points",
            (json_int_t)souk_stmt_i64(st, 2), "pending", (json_int_t)souk_stmt_i64(st, 3), "debt",
            (json_int_t)souk_stmt_i64(st, 4), "order_id",
            souk_stmt_is_null(st, 5) ? json_null() : json_string(souk_id_format("ord", souk_stmt_i64(st, 5), oref)),
            "amount", money ? money : json_null(), "reason", souk_stmt_text(st, 8, NULL), "actor",
            souk_stmt_text(st, 9, NULL), "available_at", time_or_null(souk_stmt_i64(st, 10), souk_stmt_is_null(st, 10)),
            "expires_at", time_or_null(souk_stmt_i64(st, 11), souk_stmt_is_null(st, 11)), "created_at",
            time_or_null(souk_stmt_i64(st, 12), false));
        if (!o || json_array_append_new(entries, o) < 0) {
            souk_stmt_done(st);
            json_decref(entries);
            *err = SOUK_E_INTERNAL;
            return NULL;
        }
        last = id;
        count++;
    }
    if (r != SOUK_DB_DONE) {
        json_decref(entries);
        *err = souk_store_dberr(r);
        return NULL;
    }
    char cur[SOUK_ID_TEXT_MAX];
    json_t *out = json_pack("{s:I,s:I,s:I,s:o,s:o}", "available", (json_int_t)b.available, "pending",
                            (json_int_t)b.pending, "debt", (json_int_t)b.debt, "entries", entries, "next_before",
                            more ? json_string(souk_id_format(SOUK_PREFIX_LOYALTY_ENTRY, last, cur)) : json_null());
    if (!out)
        *err = SOUK_E_INTERNAL;
    return out;
}

json_t *souk_loyalty_export_json(souk_store *db, int64_t user)
{
    souk_err e;
    return souk_loyalty_account_json(db, user, SOUK_LOYALTY_EXPORT_MAX, 0, &e);
}
