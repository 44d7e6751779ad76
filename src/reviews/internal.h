/* internal.h — what the files of src/reviews share (not for other contexts). */
#ifndef SOUK_REVIEWS_INTERNAL_H
#define SOUK_REVIEWS_INTERNAL_H

#include "reviews/reviews.h"

/* a lexicon entry: one word or a phrase of up to SOUK__REVIEWS_PHRASE_MAX words */
typedef struct souk__reviews_entry {
    const char *text;
    float valence; /* -4..4 */
} souk__reviews_entry;

typedef struct souk__reviews_modifier {
    const char *word;
    float scale;
} souk__reviews_modifier;

#define SOUK__REVIEWS_PHRASE_MAX 4

extern const souk__reviews_entry souk__reviews_lexicon[];
extern const size_t souk__reviews_lexicon_count;
extern const char *const souk__reviews_negators[];             /* NULL-terminated */
extern const souk__reviews_modifier souk__reviews_modifiers[]; /* ends with {NULL, 0} */
extern const char *const souk__reviews_contrasts[];            /* NULL-terminated */

/* the review statuses, NULL-terminated */
extern const char *const souk__reviews_statuses[];

/* Recomputes PRODUCT's row of review_product_stats from its approved
 * reviews inside the caller's write transaction; *MOVED: the count or the
 * rating sum changed. 0 or a negative souk_db_status. */
int souk__reviews_restat_tx(souk_store *db, int64_t product, bool *moved);

#endif
