/*
 * write.c — the rules of reviews: who may review (a verified buyer: a
 * delivered order of theirs holds the product, read through the orders
 * context's reviews_delivered_lines view), once per product; moderation
 * with the per-product aggregate kept in the same transaction; helpful
 * votes once per account; the shop's erasure setting.
 */
#include "reviews/internal.h"

#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/id.h"
#include "core/time.h"
#include "events/events.h"
#include "core/banned.h"

const char *const souk__reviews_statuses[] = {"pending", "approved", "rejected", NULL};

/* the length of the UTF-8 sequence starting with byte C (0 = not a lead byte) */
static int seq_len(unsigned char c)
{
    return c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
}

const char *souk_reviews_text_problem(const char *s, size_t len, size_t min, size_t max, bool multiline)
{
    size_t chars = 0, blank = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        int n = seq_len(c);
        if (!n || i + (size_t)n > len)
            return "must be valid UTF-8";
        uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1Fu : n == 3 ? c & 0x0Fu : c & 0x07u;
        for (int k = 1; k < n; k++) {
            unsigned char cc = (unsigned char)s[i + (size_t)k];
            if ((cc & 0xC0) != 0x80)
                return "must be valid UTF-8";
            cp = cp << 6 | (cc & 0x3Fu);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
            return "must be valid UTF-8";
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
            if (!(multiline && (cp == '\n' || cp == '\r' || cp == '\t')))
                return multiline ? "must not hold control characters" : "must be one line without control characters";
        }
        if (cp == ' ' || cp == '\n' || cp == '\r' || cp == '\t')
            blank++;
        chars++;
        i += (size_t)n;
    }
    if (chars < min || chars == blank)
        return min > 1 ? "is too short" : "must not be empty";
    if (chars > max)
        return "is too long";
    return NULL;
}

int souk__reviews_restat_tx(souk_store *db, int64_t product, bool *moved)
{
    int64_t count = 0, sum = 0, sent = 0, old_count = -1, old_sum = -1;
    int r = souk_store_one(db,
                           "SELECT COUNT(*), COALESCE(SUM(rating), 0), COALESCE(SUM(sentiment), 0) FROM reviews "
                           "WHERE product_id = $1 AND status = 'approved'",
                           SOUK_ARGS(SOUK_I64(product)),
                           SOUK_COLS(SOUK_COL_I64(&count), SOUK_COL_I64(&sum), SOUK_COL_I64(&sent)));
    if (r < 0)
        return r;
    r = souk_store_one(db, "SELECT approved, rating_sum FROM review_product_stats WHERE product_id = $1",
                       SOUK_ARGS(SOUK_I64(product)), SOUK_COLS(SOUK_COL_I64(&old_count), SOUK_COL_I64(&old_sum)));
    if (r < 0)
        return r;
    if (r == SOUK_DB_DONE)
        old_count = old_sum = 0;
    *moved = count != old_count || sum != old_sum;
    r = souk_store_exec(
        db,
        "INSERT INTO review_product_stats (product_id, approved, rating_sum, sentiment_sum, updated_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (product_id) DO UPDATE SET approved = $2, "
        "rating_sum = $3, sentiment_sum = $4, updated_at = $5",
        SOUK_ARGS(SOUK_I64(product), SOUK_I64(count), SOUK_I64(sum), SOUK_I64(sent), SOUK_I64(souk_time_now_us())));
    return r < 0 ? r : 0;
}

souk_err souk_reviews_create_tx(souk_store *db, int64_t user, int64_t product, const souk_reviews_input *in,
                                int64_t *id, const char **why)
{
    *why = NULL;
    char status[16] = "";
    int r = souk_store_one(db, "SELECT status FROM reviews_catalog_products WHERE product_id = $1",
                           SOUK_ARGS(SOUK_I64(product)), SOUK_COLS(SOUK_COL_STR(status)));
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_DONE || strcmp(status, "active") != 0) {
        *why = "No such product.";
        return SOUK_E_NOT_FOUND;
    }
    int64_t order = 0;
    r = souk_store_one(db,
                       "SELECT MIN(order_id) FROM reviews_delivered_lines WHERE user_id = $1 AND product_id = $2 "
                       "HAVING COUNT(*) > 0",
                       SOUK_ARGS(SOUK_I64(user), SOUK_I64(product)), SOUK_COLS(SOUK_COL_I64(&order)));
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_DONE || !order) {
        *why = "Only a customer who received this product in a delivered order may review it.";
        return SOUK_E_FORBIDDEN;
    }
    int64_t existing = 0;
    r = souk_store_one(db, "SELECT id FROM reviews WHERE product_id = $1 AND user_id = $2",
                       SOUK_ARGS(SOUK_I64(product), SOUK_I64(user)), SOUK_COLS(SOUK_COL_I64(&existing)));
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_ROW) {
        *why = "You have reviewed this product already.";
        return SOUK_E_CONFLICT;
    }
    souk_reviews_analyser *an = souk_reviews_thread_analyser();
    souk_reviews_sentiment sent = {0, SOUK_REVIEWS_NEUTRAL, 0};
    char text[SOUK_REVIEWS_TEXT_BYTES_MAX];
    int n = snprintf(text, sizeof text, "%s. %s", in->title ? in->title : "", in->body ? in->body : "");
    size_t tlen = n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
    if (!an || souk_reviews_sentiment_score(an, text, tlen, &sent) < 0)
        return SOUK_E_INTERNAL;
    *id = souk_id_next();
    int64_t now = souk_time_now_us();
    r = souk_store_exec(db,
                        "INSERT INTO reviews (id, product_id, user_id, order_id, rating, title, body, status, "
                        "sentiment, sentiment_label, created_at, updated_at) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10, $10)",
                        SOUK_ARGS(SOUK_I64(*id), SOUK_I64(product), SOUK_I64(user), SOUK_I64(order),
                                  SOUK_I64(in->rating), SOUK_TEXT(in->title), SOUK_TEXT(in->body),
                                  SOUK_I64((int64_t)(sent.score * 1000.0)),
                                  SOUK_TEXT(souk_reviews_label_name(sent.label)), SOUK_I64(now)));
    if (r == SOUK_DB_CONSTRAINT) {
        *why = "You have reviewed this product already.";
        return SOUK_E_CONFLICT;
    }
    if (r < 0)
        return souk_store_dberr(r);
    char rid[SOUK_ID_TEXT_MAX], pid[SOUK_ID_TEXT_MAX];
    souk_id_format(SOUK_PREFIX_REVIEW, *id, rid);
    souk_id_format(SOUK_PREFIX_PRODUCT, product, pid);
    r = souk_event_emit_tx(db, "review.submitted", rid,
                           json_pack("{s:s,s:i}", "product_id", pid, "rating", in->rating));
    return souk_store_dberr(r);
}

souk_err souk_reviews_moderate_tx(souk_store *db, int64_t id, const char *status, const char *note, int64_t moderator)
{
    int64_t product = 0;
    int r = souk_store_one(db, "SELECT product_id FROM reviews WHERE id = $1", SOUK_ARGS(SOUK_I64(id)),
                           SOUK_COLS(SOUK_COL_I64(&product)));
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_DONE)
        return SOUK_E_NOT_FOUND;
    int64_t now = souk_time_now_us();
    r = souk_store_exec(
        db,
        "UPDATE reviews SET status = $2, moderation_note = $3, moderated_by = $4, moderated_at = $5, "
        "updated_at = $5 WHERE id = $1",
        SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(status), SOUK_TEXT(note), SOUK_REF(moderator), SOUK_I64(now)));
    bool moved = false;
    if (r >= 0)
        r = souk__reviews_restat_tx(db, product, &moved);
    if (r >= 0 && moved)
        r = souk_store_touch(db, SOUK_CONTENT); /* product detail, lists and the search index show the aggregate */
    if (r < 0)
        return souk_store_dberr(r);
    char rid[SOUK_ID_TEXT_MAX], pid[SOUK_ID_TEXT_MAX];
    souk_id_format(SOUK_PREFIX_REVIEW, id, rid);
    souk_id_format(SOUK_PREFIX_PRODUCT, product, pid);
    r = souk_event_emit_tx(db, "review.moderated", rid,
                           json_pack("{s:s,s:s,s:b}", "product_id", pid, "status", status, "rating_changed", moved));
    return souk_store_dberr(r);
}

souk_err souk_reviews_vote_tx(souk_store *db, int64_t id, int64_t user, int64_t *helpful)
{
    int64_t author = 0;
    char status[16] = "";
    int r = souk_store_one(db, "SELECT COALESCE(user_id, 0), status FROM reviews WHERE id = $1",
                           SOUK_ARGS(SOUK_I64(id)), SOUK_COLS(SOUK_COL_I64(&author), SOUK_COL_STR(status)));
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_DONE || strcmp(status, "approved") != 0)
        return SOUK_E_NOT_FOUND;
    if (author == user)
        return SOUK_E_FORBIDDEN;
    int64_t added = souk_store_update(db,
                                      "INSERT INTO review_votes (review_id, user_id, created_at) VALUES ($1, $2, $3) "
                                      "ON CONFLICT (review_id, user_id) DO NOTHING",
                                      SOUK_ARGS(SOUK_I64(id), SOUK_I64(user), SOUK_I64(souk_time_now_us())));
    if (added < 0)
        return souk_store_dberr((int)added);
    if (added == 0)
        return SOUK_E_CONFLICT;
    r = souk_store_one(db, "UPDATE reviews SET helpful = helpful + 1 WHERE id = $1 RETURNING helpful",
                       SOUK_ARGS(SOUK_I64(id)), SOUK_COLS(SOUK_COL_I64(helpful)));
    return r < 0 ? souk_store_dberr(r) : SOUK_OK;
}

bool souk_reviews_erasure_keeps_text(souk_store *db)
{
    char value[8] = "";
    int r = souk_store_one(db, "SELECT value FROM review_settings WHERE key = 'erasure_keeps_text'", NULL,
                           SOUK_COLS(SOUK_COL_STR(value)));
    return r == SOUK_DB_ROW && strcmp(value, "true") == 0;
}

int souk_reviews_set_erasure_keeps_text_tx(souk_store *db, bool keep)
{
    int r =
        souk_store_exec(db,
                        "INSERT INTO review_settings (key, value, updated_at) VALUES ('erasure_keeps_text', $1, $2) "
                        "ON CONFLICT (key) DO UPDATE SET value = $1, updated_at = $2",
                        SOUK_ARGS(SOUK_TEXT(keep ? "true" : "false"), SOUK_I64(souk_time_now_us())));
    return r < 0 ? r : 0;
}
