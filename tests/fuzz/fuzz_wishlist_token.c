/*
 * libFuzzer driver for the unsubscribe token of wishlist alerts
 * (souk_wishlist_token_verify, src/wishlist/token.c): the one parser of
 * text from outside the wishlist reads (a link's ?t= or a POST body).
 *
 * Input: the token's text (at most 200 bytes, NUL-terminated by the
 * driver). Under a fixed key the driver checks that:
 *   - verification never reads past the string and is deterministic;
 *   - whatever verifies is canonical: signing the user it names gives
 *     exactly the input back (no second spelling of a token is accepted);
 *   - under another key the same text never verifies;
 *   - a token signed for a user derived from the input verifies to it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wishlist/wishlist.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                          17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    unsigned char other[32];
    memcpy(other, key, sizeof other);
    other[0] ^= 0x80;
    if (size > 200)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    int64_t user = souk_wishlist_token_verify(key, s);
    CHECK(user == souk_wishlist_token_verify(key, s));
    if (user) {
        char again[SOUK_WISHLIST_UNSUB_MAX];
        souk_wishlist_token_sign(key, user, again);
        CHECK(strcmp(again, s) == 0);
        CHECK(souk_wishlist_token_verify(other, s) == 0);
    }
    int64_t seed = 1;
    for (size_t i = 0; i < size && i < 7; i++)
        seed = seed * 251 + data[i];
    char t[SOUK_WISHLIST_UNSUB_MAX];
    souk_wishlist_token_sign(key, seed, t);
    CHECK(souk_wishlist_token_verify(key, t) == seed);
    free(s);
    return 0;
}
