/*
 * libFuzzer driver for the product images' first check
 * (src/catalog/image_check.c), the one every upload meets before libvips:
 *
 * 1. souk_catalog_image_sniff either refuses the input with a reason, or
 *    names a format whose magic bytes start it and whose ending it has
 *    (JPEG EOI, PNG IEND, a RIFF size equal to the length, GIF trailer) —
 *    so nothing appended to an image ever passes.
 * 2. The input as a served file name: souk_catalog_media_name_parse accepts
 *    only "<32 hex>[-<width>].<ext>", never a name with '/', '.' runs or
 *    upper case, and the parts print back to the same name.
 * 3. The input as a Content-Type: a format only for one of the four types.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

static void check_sniff(const uint8_t *d, size_t n)
{
    const char *why = NULL;
    souk_image_format f = souk_catalog_image_sniff(d, n, &why);
    if (f == SOUK_IMAGE_NONE) {
        CHECK(why != NULL);
        return;
    }
    CHECK(why == NULL && n >= 16);
    switch (f) {
    case SOUK_IMAGE_JPEG:
        CHECK(d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff && d[n - 2] == 0xff && d[n - 1] == 0xd9);
        break;
    case SOUK_IMAGE_PNG:
        CHECK(memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(d + n - 8, "IEND\xae\x42\x60\x82", 8) == 0);
        break;
    case SOUK_IMAGE_WEBP: {
        uint32_t size = (uint32_t)d[4] | (uint32_t)d[5] << 8 | (uint32_t)d[6] << 16 | (uint32_t)d[7] << 24;
        CHECK(memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0 && (uint64_t)size + 8 == n);
        break;
    }
    case SOUK_IMAGE_GIF: CHECK(memcmp(d, "GIF8", 4) == 0 && d[n - 1] == 0x3b); break;
    default: CHECK(0);
    }
    CHECK(souk_catalog_image_mime(f) != NULL && souk_catalog_image_ext(f) != NULL);
}

static void check_name(const char *s)
{
    char hash[SOUK_IMAGE_HASH_HEX + 1], back[128];
    int width = -1;
    souk_image_format f = SOUK_IMAGE_NONE;
    if (!souk_catalog_media_name_parse(s, hash, &width, &f))
        return;
    CHECK(!strchr(s, '/') && !strstr(s, ".."));
    CHECK(width >= 0 && width <= 99999 && f != SOUK_IMAGE_NONE);
    for (size_t i = 0; i < SOUK_IMAGE_HASH_HEX; i++)
        CHECK((hash[i] >= '0' && hash[i] <= '9') || (hash[i] >= 'a' && hash[i] <= 'f'));
    if (width)
        snprintf(back, sizeof back, "%s-%d.%s", hash, width, souk_catalog_image_ext(f));
    else
        snprintf(back, sizeof back, "%s.%s", hash, souk_catalog_image_ext(f));
    CHECK(strcmp(back, s) == 0);
}

static void check_mime(const char *s)
{
    souk_image_format f = souk_catalog_image_format_of_mime(s);
    if (f == SOUK_IMAGE_NONE)
        return;
    const char *m = souk_catalog_image_mime(f);
    CHECK(strncasecmp(s, m, strlen(m)) == 0);
    char next = s[strlen(m)];
    CHECK(next == 0 || next == ';' || next == ' ' || next == '\t');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_sniff(data, size);
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    check_name(s);
    check_mime(s);
    free(s);
    return 0;
}
