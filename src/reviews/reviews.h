/*
 * reviews.h — product reviews and ratings: verified-buyer reviews (only an
 * account with a delivered order holding the product may review it, once
 * per product), a moderation queue (pending → approved / rejected), helpful
 * votes (one per account per review), a sentiment score per review from a
 * hand-written lexicon (sentiment.c, lexicon.c), and the per-product
 * aggregate of the approved reviews that the catalog shows in product
 * detail and lists and the search index sorts and filters by.
 *
 * Storage (migration 0100): reviews, review_votes, review_product_stats
 * (the approved reviews' count and rating sum per product, kept in the
 * transaction of every status change), review_settings. Reads the views
 * reviews_delivered_lines (orders) and reviews_catalog_products (catalog);
 * publishes catalog_product_ratings and search_product_ratings. A change of
 * an aggregate touches the catalog's content version (SOUK_CONTENT): the
 * response cache drops its answers and the search index rebuilds; it also
 * writes a review.moderated event to the outbox. Design:
 * docs/internals/reviews.md; API: docs/reviews.md.
 */
#ifndef SOUK_REVIEWS_H
#define SOUK_REVIEWS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

#define SOUK_PREFIX_REVIEW "rev"
#define SOUK_REVIEWS_TITLE_MAX 150       /* characters of a title */
#define SOUK_REVIEWS_BODY_MAX 5000       /* characters of a review's text */
#define SOUK_REVIEWS_NOTE_MAX 500        /* characters of a moderation note */
#define SOUK_REVIEWS_PAGE_MAX 100        /* reviews per page */
#define SOUK_REVIEWS_OFFSET_MAX 10000    /* deepest offset of a page */
#define SOUK_REVIEWS_EXPORT_MAX 10000    /* reviews in a GDPR export */
#define SOUK_REVIEWS_TEXT_BYTES_MAX 8192 /* bytes the sentiment analyser reads of one text */

/* ---- sentiment (sentiment.c, lexicon.c) ---- */

typedef enum souk_reviews_label {
    SOUK_REVIEWS_NEGATIVE = 0,
    SOUK_REVIEWS_NEUTRAL = 1,
    SOUK_REVIEWS_POSITIVE = 2,
} souk_reviews_label;

/* Scores at or above this are positive, at or below its negation negative. */
#define SOUK_REVIEWS_NEUTRAL_BAND 0.2

/* "negative", "neutral", "positive"; NULL for another value. */
const char *souk_reviews_label_name(int label);

/* The label named NAME (the names above; also "pos"/"neg"/"neu"), or -1. */
int souk_reviews_label_parse(const char *name, size_t len);

typedef struct souk_reviews_sentiment {
    double score;   /* in [-1, 1] */
    int label;      /* souk_reviews_label */
    size_t matched; /* lexicon entries that counted */
} souk_reviews_sentiment;

/* A sentiment analyser: the search text pipeline (English, stemming) and
 * the lexicon stemmed by it. Not thread-safe: one per thread. */
typedef struct souk_reviews_analyser souk_reviews_analyser;

/* A new analyser, or NULL when memory runs out. Free with
 * souk_reviews_analyser_free. */
souk_reviews_analyser *souk_reviews_analyser_new(void);

/* Frees AN (NULL allowed). */
void souk_reviews_analyser_free(souk_reviews_analyser *an);

/* Scores LEN bytes of TEXT (at most SOUK_REVIEWS_TEXT_BYTES_MAX are read)
 * into OUT: lexicon valences of words and phrases, flipped and damped by a
 * negation up to three words before them in the clause, scaled by
 * intensifiers and diminishers before them, weighted by but-clauses and
 * exclamation marks, summed per text and squashed into [-1, 1]
 * (docs/internals/reviews.md). Returns 0, or -1 when memory runs out (OUT
 * then neutral). Pure apart from AN's scratch space. */
int souk_reviews_sentiment_score(souk_reviews_analyser *an, const char *text, size_t len, souk_reviews_sentiment *out);

/* The calling thread's analyser (made at the first call, freed at thread
 * exit), or NULL when memory runs out. */
souk_reviews_analyser *souk_reviews_thread_analyser(void);

/* A labelled set's confusion matrix and what follows from it. */
typedef struct souk_reviews_eval {
    size_t n;
    size_t confusion[3][3]; /* [true label][predicted label] */
    double accuracy;
    double precision[3], recall[3], f1[3];
} souk_reviews_eval;

/* Scores every TEXTS[i] (LENS[i] bytes) with AN against LABELS[i] for the
 * N rows FROM..TO-1 (TO clamped to N) into OUT. Returns 0 or -1 (memory). */
int souk_reviews_evaluate(souk_reviews_analyser *an, const char *const *texts, const size_t *lens, const int *labels,
                          size_t from, size_t to, souk_reviews_eval *out);

/* A labelled review set read from a CSV file with a header naming the
 * columns text and label (any order, other columns ignored; labels as
 * souk_reviews_label_parse reads them). */
typedef struct souk_reviews_labelled {
    char **texts;
    size_t *lens;
    int *labels;
    size_t n;
} souk_reviews_labelled;

#define SOUK_REVIEWS_LABELLED_MAX 100000 /* rows read at most */

/* Reads PATH into OUT (release with souk_reviews_labelled_release). 0, or
 * -1 with a message in ERR (a missing column, a bad label with its line,
 * I/O). */
int souk_reviews_labelled_load(const char *path, souk_reviews_labelled *out, char *err, size_t errlen);

/* Frees what OUT holds (a zeroed OUT is allowed). */
void souk_reviews_labelled_release(souk_reviews_labelled *out);

/* ---- the rules (write.c) ---- */

/* Checks that S (LEN bytes) is valid UTF-8 of MIN..MAX characters without
 * control characters (line breaks and tabs allowed when MULTILINE). NULL
 * when it is, else the problem (static text). */
const char *souk_reviews_text_problem(const char *s, size_t len, size_t min, size_t max, bool multiline);

typedef struct souk_reviews_input {
    int rating; /* 1..5 */
    const char *title, *body;
} souk_reviews_input;

/* Inside the caller's write transaction on DB: USER reviews PRODUCT with IN
 * (validated by the caller). NOT_FOUND when the product is not active,
 * FORBIDDEN when USER has no delivered order holding it, CONFLICT when
 * USER reviewed it already; else SOUK_OK with the new review's id in *ID
 * (status pending, its sentiment scored). *WHY: a message for the error. */
souk_err souk_reviews_create_tx(souk_store *db, int64_t user, int64_t product, const souk_reviews_input *in,
                                int64_t *id, const char **why);

/* Inside the caller's write transaction: sets review ID's status to STATUS
 * ("approved" / "rejected" / "pending") with NOTE (NULL = none) by
 * MODERATOR, recomputes its product's aggregate, and when the aggregate
 * moved touches SOUK_CONTENT; writes a review.moderated event. NOT_FOUND
 * for no such review. */
souk_err souk_reviews_moderate_tx(souk_store *db, int64_t id, const char *status, const char *note, int64_t moderator);

/* Inside the caller's write transaction: USER finds review ID helpful.
 * NOT_FOUND when it is not approved (or does not exist), FORBIDDEN for the
 * author's own review, CONFLICT when USER voted for it before; else
 * SOUK_OK with its new count in *HELPFUL. */
souk_err souk_reviews_vote_tx(souk_store *db, int64_t id, int64_t user, int64_t *helpful);

/* The shop's erasure_keeps_text setting (false when unset or unreadable). */
bool souk_reviews_erasure_keeps_text(souk_store *db);

/* Inside the caller's write transaction: sets erasure_keeps_text. 0 or a
 * negative souk_db_status. */
int souk_reviews_set_erasure_keeps_text_tx(souk_store *db, bool keep);

/* ---- reads (read.c) ---- */

typedef enum souk_reviews_sort {
    SOUK_REVIEWS_SORT_NEWEST = 0,
    SOUK_REVIEWS_SORT_HELPFUL,
    SOUK_REVIEWS_SORT_RATING_DESC,
    SOUK_REVIEWS_SORT_RATING_ASC,
} souk_reviews_sort;

/* The approved reviews of active PRODUCT, a page of LIMIT from OFFSET in
 * SORT order, as {data: [review], total, offset, limit, rating: {average,
 * count}} (public fields: no author id). NOT_FOUND when the product is not
 * active. */
souk_err souk_reviews_product_json(souk_store *db, int64_t product, souk_reviews_sort sort, int limit, int offset,
                                   json_t **out);

/* The moderation queue: reviews in STATUS (NULL = every status), oldest
 * first, optionally of PRODUCT (0 = any), a page of LIMIT from OFFSET, as
 * {data, total, offset, limit} with the admin fields (author, sentiment,
 * moderation). NULL on a database error. */
json_t *souk_reviews_admin_json(souk_store *db, const char *status, int64_t product, int limit, int offset);

/* Review ID with the admin fields, or NULL (not found or database error:
 * *ERR tells which). */
json_t *souk_reviews_one_json(souk_store *db, int64_t id, souk_err *err);

/* Per product (PRODUCT, or every product with a review when 0): review
 * counts by status and by sentiment label, the mean sentiment and mean
 * rating of the approved ones, as {data: [...]}, at most LIMIT products
 * with the most reviews first. NULL on a database error. */
json_t *souk_reviews_sentiment_json(souk_store *db, int64_t product, int limit);

/* ---- personal data (privacy.c) ---- */

/* The account's reviews, newest first, at most SOUK_REVIEWS_EXPORT_MAX, as
 * a new JSON array; NULL on a database error. */
json_t *souk_reviews_export_json(souk_store *db, int64_t user);

/* Inside the erasure's write transaction: USER's reviews lose their author
 * and, unless erasure_keeps_text is set, their title and text (the rating,
 * status and helpful count stay, so the aggregates do not move); USER's
 * helpful votes are deleted (the counts keep them). 0 or a negative
 * souk_db_status. */
int souk_reviews_erase_tx(souk_store *db, int64_t user, const char *email);

#endif
