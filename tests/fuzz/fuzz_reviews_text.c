/*
 * libFuzzer driver for what reviews read of a customer's text: the field
 * check (souk_reviews_text_problem, src/reviews/write.c) and the sentiment
 * scorer (souk_reviews_sentiment_score, src/reviews/sentiment.c).
 *
 * Input: byte 0 picks multiline (bit 0) and the bounds (bits 1-3: max
 * characters 1..8 × 16); the rest is the text. The driver checks, with an
 * independent UTF-8 validator (utf8_oracle.h):
 *   - the check accepts exactly the valid UTF-8 texts of 1..max characters,
 *     not all blank, without control characters (C0, DEL, C1; line breaks
 *     and tabs allowed when multiline);
 *   - the score is finite, within [-1, 1], its label agrees with the
 *     documented band, and scoring is deterministic (a second run gives
 *     the same score).
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reviews/reviews.h"
#include "utf8_oracle.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

static souk_reviews_analyser *an;

/* no control characters (C0 but allowed breaks, DEL, C1) and not all blank; S is valid UTF-8 */
static bool clean(const unsigned char *s, size_t len, bool multiline)
{
    bool visible = false;
    for (size_t i = 0; i < len; i++) {
        unsigned c = s[i];
        if (c == '\n' || c == '\r' || c == '\t') {
            if (!multiline)
                return false;
            continue;
        }
        if (c < 0x20 || c == 0x7F)
            return false;
        if (c == 0xC2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F)
            return false;
        if (c != ' ')
            visible = true;
    }
    return visible;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!an && !(an = souk_reviews_analyser_new()))
        abort();
    if (size == 0)
        return 0;
    bool multiline = data[0] & 1;
    size_t max = (size_t)(((data[0] >> 1) & 7) + 1) * 16;
    const char *s = (const char *)data + 1;
    size_t len = size - 1;
    const char *why = souk_reviews_text_problem(s, len, 1, max, multiline);
    long chars = utf8_chars(s, len);
    bool want = chars >= 1 && (size_t)chars <= max && clean((const unsigned char *)s, len, multiline);
    CHECK((why == NULL) == want);

    souk_reviews_sentiment a, b;
    CHECK(souk_reviews_sentiment_score(an, s, len, &a) == 0);
    CHECK(isfinite(a.score) && a.score >= -1.0 && a.score <= 1.0);
    CHECK(a.label == (a.score >= SOUK_REVIEWS_NEUTRAL_BAND    ? SOUK_REVIEWS_POSITIVE
                      : a.score <= -SOUK_REVIEWS_NEUTRAL_BAND ? SOUK_REVIEWS_NEGATIVE
                                                              : SOUK_REVIEWS_NEUTRAL));
    CHECK(souk_reviews_sentiment_score(an, s, len, &b) == 0);
    CHECK(a.score == b.score && a.label == b.label && a.matched == b.matched);
    return 0;
}
