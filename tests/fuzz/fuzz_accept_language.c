/*
 * libFuzzer driver for the languages' parsers of outside input
 * (src/i18n/locale.c): Accept-Language values (souk_i18n_accept_parse, then
 * souk_i18n_negotiate) and the language tags of ?locale= and of the locale
 * settings (souk_i18n_tag_canon).
 *
 * Input: the header's bytes (any, NULs included). The driver checks that:
 *   - at most SOUK_I18N_RANGES_MAX ranges come back, qualities 1..1000 in
 *     descending order, each range "*" or lower-case letters, digits and
 *     '-' (a letter first), at most SOUK_I18N_RANGE_MAX bytes;
 *   - bytes past SOUK_I18N_HEADER_MAX change nothing;
 *   - the negotiated locale is one of the store's, and the same every time;
 *   - a tag that canonicalises does so to itself again, fits its buffer, and
 *     is looked up among locales holding it.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "i18n/i18n.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    souk_i18n_range r[SOUK_I18N_RANGES_MAX], again[SOUK_I18N_RANGES_MAX];
    size_t n = souk_i18n_accept_parse(s, size, r, SOUK_I18N_RANGES_MAX);
    CHECK(n <= SOUK_I18N_RANGES_MAX);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(r[i].tag);
        CHECK(len >= 1 && len <= SOUK_I18N_RANGE_MAX);
        CHECK(r[i].q >= 1 && r[i].q <= 1000);
        CHECK(i == 0 || r[i - 1].q >= r[i].q);
        if (strcmp(r[i].tag, "*") != 0) {
            CHECK(isalpha((unsigned char)r[i].tag[0]));
            for (size_t k = 0; k < len; k++) {
                unsigned char c = (unsigned char)r[i].tag[k];
                CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
            }
            CHECK(r[i].tag[len - 1] != '-');
        }
    }
    if (size > SOUK_I18N_HEADER_MAX) {
        size_t m = souk_i18n_accept_parse(s, SOUK_I18N_HEADER_MAX, again, SOUK_I18N_RANGES_MAX);
        CHECK(m == n);
        for (size_t i = 0; i < n; i++)
            CHECK(strcmp(again[i].tag, r[i].tag) == 0 && again[i].q == r[i].q);
    }

    souk_i18n_locales l = {.n = 4};
    memcpy(l.tags[0], "en", 3);
    memcpy(l.tags[1], "fr", 3);
    memcpy(l.tags[2], "de-CH", 6);
    memcpy(l.tags[3], "zh-Hant", 8);
    int k = souk_i18n_negotiate(&l, s, size);
    CHECK(k >= 0 && (size_t)k < l.n);
    CHECK(k == souk_i18n_negotiate(&l, s, size));

    char canon[SOUK_I18N_TAG_MAX], twice[SOUK_I18N_TAG_MAX];
    if (souk_i18n_tag_canon(s, size, canon) == 0) {
        size_t len = strlen(canon);
        CHECK(len == size && len < SOUK_I18N_TAG_MAX);
        CHECK(souk_i18n_tag_canon(canon, len, twice) == 0 && strcmp(canon, twice) == 0);
        souk_i18n_locales one = {.n = 2};
        memcpy(one.tags[0], "en", 3);
        memcpy(one.tags[1], canon, len + 1);
        int found = souk_i18n_lookup_range(&one, s, size);
        CHECK(found == 1 || (found == 0 && strcmp(canon, "en") == 0));
    }
    return 0;
}
