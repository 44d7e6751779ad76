/*
 * read.c — reviews as JSON: the public list of a product's approved
 * reviews (no author id), the admin queue and detail (author, order,
 * sentiment, moderation), and the per-product sentiment report.
 */
#include "reviews/internal.h"

#include <math.h>
#include <string.h>

#include "catalog/catalog.h"
#include "store/page.h"
#include "store/row.h"
#include "core/banned.h"

#define REVIEW_COLS                                                                                                    \
    "SELECT id, product_id, rating, title, body, helpful, created_at, updated_at, user_id, order_id, status, "         \
    "sentiment, sentiment_label, moderation_note, moderated_by, moderated_at FROM reviews "

static json_t *rating_json(int64_t count, int64_t sum)
{
    json_t *avg = count > 0 ? json_real(round((double)sum * 100.0 / (double)count) / 100.0) : json_null();
    return json_pack("{s:o,s:I}", "average", avg, "count", (json_int_t)count);
}

static json_t *review_row(souk_stmt *st, void *ctx)
{
    bool admin = ctx != NULL;
    json_t *o = json_pack(
        "{s:o,s:o,s:I,s:o,s:o,s:I,s:b,s:o,s:o}", "id", souk_row_id(st, 0, SOUK_PREFIX_REVIEW), "product_id",
        souk_row_id(st, 1, SOUK_PREFIX_PRODUCT), "rating", (json_int_t)souk_stmt_i64(st, 2), "title",
        souk_row_text_or_null(st, 3), "body", souk_row_text_or_null(st, 4), "helpful", (json_int_t)souk_stmt_i64(st, 5),
        "verified_purchase", 1, "created_at", souk_row_time(st, 6), "updated_at", souk_row_time(st, 7));
    if (!o || !admin)
        return o;
    json_t *extra =
        json_pack("{s:o,s:o,s:o,s:{s:f,s:o},s:{s:o,s:o,s:o}}", "user_id", souk_row_id(st, 8, "usr"), "order_id",
                  souk_row_id(st, 9, "ord"), "status", souk_row_text(st, 10), "sentiment", "score",
                  (double)souk_stmt_i64(st, 11) / 1000.0, "label", souk_row_text(st, 12), "moderation", "note",
                  souk_row_text_or_null(st, 13), "by", souk_row_id(st, 14, "usr"), "at", souk_row_time(st, 15));
    if (!extra || json_object_update(o, extra) < 0) {
        json_decref(extra);
        json_decref(o);
        return NULL;
    }
    json_decref(extra);
    return o;
}

static const char *const order_by[] = {
    [SOUK_REVIEWS_SORT_NEWEST] = "ORDER BY created_at DESC, id DESC ",
    [SOUK_REVIEWS_SORT_HELPFUL] = "ORDER BY helpful DESC, created_at DESC, id DESC ",
    [SOUK_REVIEWS_SORT_RATING_DESC] = "ORDER BY rating DESC, created_at DESC, id DESC ",
    [SOUK_REVIEWS_SORT_RATING_ASC] = "ORDER BY rating ASC, created_at DESC, id DESC ",
};

souk_err souk_reviews_product_json(souk_store *db, int64_t product, souk_reviews_sort sort, int limit, int offset,
                                   json_t **out)
{
    *out = NULL;
    char status[16] = "";
    int r = souk_store_one(db, "SELECT status FROM reviews_catalog_products WHERE product_id = $1",
                           SOUK_ARGS(SOUK_I64(product)), SOUK_COLS(SOUK_COL_STR(status)));
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_DONE || strcmp(status, "active") != 0)
        return SOUK_E_NOT_FOUND;
    int64_t count = 0, sum = 0;
    r = souk_store_one(db, "SELECT approved, rating_sum FROM review_product_stats WHERE product_id = $1",
                       SOUK_ARGS(SOUK_I64(product)), SOUK_COLS(SOUK_COL_I64(&count), SOUK_COL_I64(&sum)));
    if (r < 0)
        return souk_store_dberr(r);
    if ((unsigned)sort > SOUK_REVIEWS_SORT_RATING_ASC)
        sort = SOUK_REVIEWS_SORT_NEWEST;
    char sql[512];
    size_t n = strlen(REVIEW_COLS "WHERE product_id = $1 AND status = 'approved' ");
    memcpy(sql, REVIEW_COLS "WHERE product_id = $1 AND status = 'approved' ", n);
    size_t m = strlen(order_by[sort]);
    memcpy(sql + n, order_by[sort], m);
    memcpy(sql + n + m, "LIMIT $2 OFFSET $3", sizeof "LIMIT $2 OFFSET $3");
    json_t *rows = souk_store_rows(
        souk_store_query(db, sql, SOUK_ARGS(SOUK_I64(product), SOUK_I64(limit), SOUK_I64(offset))), review_row, NULL);
    if (!rows)
        return SOUK_E_INTERNAL;
    *out = json_pack("{s:o,s:I,s:i,s:i,s:o}", "data", rows, "total", (json_int_t)count, "offset", offset, "limit",
                     limit, "rating", rating_json(count, sum));
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}

json_t *souk_reviews_admin_json(souk_store *db, const char *status, int64_t product, int limit, int offset)
{
    int64_t total = 0;
    int r = souk_store_one(
        db, "SELECT COUNT(*) FROM reviews WHERE ($1 IS NULL OR status = $1) AND ($2 = 0 OR product_id = $2)",
        SOUK_ARGS(SOUK_TEXT(status), SOUK_I64(product)), SOUK_COLS(SOUK_COL_I64(&total)));
    if (r < 0)
        return NULL;
    static int admin = 1;
    json_t *rows = souk_store_rows(
        souk_store_query(db,
                         REVIEW_COLS "WHERE ($1 IS NULL OR status = $1) AND "
                                     "($2 = 0 OR product_id = $2) "
                                     "ORDER BY created_at, id LIMIT $3 OFFSET $4",
                         SOUK_ARGS(SOUK_TEXT(status), SOUK_I64(product), SOUK_I64(limit), SOUK_I64(offset))),
        review_row, &admin);
    if (!rows)
        return NULL;
    return json_pack("{s:o,s:I,s:i,s:i}", "data", rows, "total", (json_int_t)total, "offset", offset, "limit", limit);
}

json_t *souk_reviews_one_json(souk_store *db, int64_t id, souk_err *err)
{
    static int admin = 1;
    json_t *rows =
        souk_store_rows(souk_store_query(db, REVIEW_COLS "WHERE id = $1", SOUK_ARGS(SOUK_I64(id))), review_row, &admin);
    *err = rows ? SOUK_OK : SOUK_E_INTERNAL;
    if (rows && json_array_size(rows) != 1)
        *err = SOUK_E_NOT_FOUND;
    json_t *one = *err ? NULL : json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return one;
}

static json_t *sentiment_row(souk_stmt *st, void *ctx)
{
    (void)ctx;
    int64_t approved = souk_stmt_i64(st, 2);
    return json_pack(
        "{s:o,s:I,s:{s:I,s:I,s:I},s:{s:I,s:I,s:I},s:o,s:o}", "product_id", souk_row_id(st, 0, SOUK_PREFIX_PRODUCT),
        "reviews", (json_int_t)souk_stmt_i64(st, 1), "status", "pending", (json_int_t)souk_stmt_i64(st, 3), "approved",
        (json_int_t)approved, "rejected", (json_int_t)souk_stmt_i64(st, 4), "labels", "positive",
        (json_int_t)souk_stmt_i64(st, 5), "neutral", (json_int_t)souk_stmt_i64(st, 6), "negative",
        (json_int_t)souk_stmt_i64(st, 7), "mean_sentiment",
        souk_stmt_i64(st, 1) ? json_real(round((double)souk_stmt_i64(st, 8) / (double)souk_stmt_i64(st, 1)) / 1000.0)
                             : json_null(),
        "approved_rating", rating_json(approved, souk_stmt_i64(st, 9)));
}

json_t *souk_reviews_sentiment_json(souk_store *db, int64_t product, int limit)
{
    json_t *rows =
        souk_store_rows(souk_store_query(db,
                                         "SELECT product_id, COUNT(*), "
                                         "SUM(CASE WHEN status = 'approved' THEN 1 ELSE 0 END), "
                                         "SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), "
                                         "SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END), "
                                         "SUM(CASE WHEN sentiment_label = 'positive' THEN 1 ELSE 0 END), "
                                         "SUM(CASE WHEN sentiment_label = 'neutral' THEN 1 ELSE 0 END), "
                                         "SUM(CASE WHEN sentiment_label = 'negative' THEN 1 ELSE 0 END), "
                                         "SUM(sentiment), SUM(CASE WHEN status = 'approved' THEN rating ELSE 0 END) "
                                         "FROM reviews WHERE ($1 = 0 OR product_id = $1) GROUP BY product_id "
                                         "ORDER BY COUNT(*) DESC, product_id LIMIT $2",
                                         SOUK_ARGS(SOUK_I64(product), SOUK_I64(limit))),
                        sentiment_row, NULL);
    return rows ? json_pack("{s:o}", "data", rows) : NULL;
}
