/*
 * privacy.c — a person's reviews in the GDPR export, and their
 * anonymisation at erasure: the author goes, the text too unless the shop's
 * erasure_keeps_text setting keeps it (docs/reviews.md); the rating, status
 * and helpful count stay, so no product's aggregate moves.
 */
#include "reviews/internal.h"

#include "catalog/catalog.h"
#include "store/page.h"
#include "store/row.h"
#include "core/banned.h"

static json_t *export_row(souk_stmt *st, void *ctx)
{
    (void)ctx;
    return json_pack("{s:o,s:o,s:o,s:I,s:o,s:o,s:o,s:I,s:o,s:o}", "id", souk_row_id(st, 0, SOUK_PREFIX_REVIEW),
                     "product_id", souk_row_id(st, 1, SOUK_PREFIX_PRODUCT), "order_id", souk_row_id(st, 2, "ord"),
                     "rating", (json_int_t)souk_stmt_i64(st, 3), "title", souk_row_text_or_null(st, 4), "body",
                     souk_row_text_or_null(st, 5), "status", souk_row_text(st, 6), "helpful",
                     (json_int_t)souk_stmt_i64(st, 7), "created_at", souk_row_time(st, 8), "updated_at",
                     souk_row_time(st, 9));
}

json_t *souk_reviews_export_json(souk_store *db, int64_t user)
{
    return souk_store_rows(souk_store_query(db,
                                            "SELECT id, product_id, order_id, rating, title, body, status, helpful, "
                                            "created_at, updated_at FROM reviews WHERE user_id = $1 "
                                            "ORDER BY created_at DESC, id DESC LIMIT $2",
                                            SOUK_ARGS(SOUK_I64(user), SOUK_I64(SOUK_REVIEWS_EXPORT_MAX))),
                           export_row, NULL);
}

int souk_reviews_erase_tx(souk_store *db, int64_t user, const char *email)
{
    (void)email;
    bool keep = souk_reviews_erasure_keeps_text(db);
    int r = souk_store_exec(db,
                            "UPDATE reviews SET user_id = NULL, title = CASE WHEN $2 THEN title ELSE NULL END, "
                            "body = CASE WHEN $2 THEN body ELSE NULL END, moderation_note = NULL "
                            "WHERE user_id = $1",
                            SOUK_ARGS(SOUK_I64(user), SOUK_BOOL(keep)));
    if (r < 0)
        return r;
    r = souk_store_exec(db, "UPDATE reviews SET moderated_by = NULL WHERE moderated_by = $1",
                        SOUK_ARGS(SOUK_I64(user)));
    if (r < 0)
        return r;
    r = souk_store_exec(db, "DELETE FROM review_votes WHERE user_id = $1", SOUK_ARGS(SOUK_I64(user)));
    return r < 0 ? r : 0;
}
