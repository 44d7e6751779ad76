/*
 * image_check.c — the first look at an uploaded image, before any decoder
 * sees it: which of the four accepted formats its magic bytes say it is, and
 * whether the bytes end where that format ends (no trailing bytes: a JPEG
 * with HTML or a ZIP after its end marker, a PNG with data after IEND, a
 * RIFF whose size does not cover the file exactly). Pure byte checks, no
 * allocation; the fuzz driver tests/fuzz/fuzz_image_sniff.c runs them.
 */
#include "catalog/catalog.h"

#include <string.h>
#include <strings.h>

#include "core/banned.h"

static bool starts(const unsigned char *b, size_t n, const char *magic, size_t m)
{
    return n >= m && memcmp(b, magic, m) == 0;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const char PNG_SIG[8] = {(char)0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
static const char PNG_IEND[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', (char)0xae, 0x42, 0x60, (char)0x82};

souk_image_format souk_catalog_image_sniff(const unsigned char *b, size_t n, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    if (n < 16) {
        *why = "The file is too short to be an image.";
        return SOUK_IMAGE_NONE;
    }
    if (starts(b, n, "\xff\xd8\xff", 3)) {
        if (b[n - 2] != 0xff || b[n - 1] != 0xd9) {
            *why = "The JPEG does not end with its end-of-image marker (truncated, or data after it).";
            return SOUK_IMAGE_NONE;
        }
        return SOUK_IMAGE_JPEG;
    }
    if (starts(b, n, PNG_SIG, sizeof PNG_SIG)) {
        if (n < sizeof PNG_SIG + 25 + sizeof PNG_IEND || memcmp(b + n - sizeof PNG_IEND, PNG_IEND, sizeof PNG_IEND)) {
            *why = "The PNG does not end with its IEND chunk (truncated, or data after it).";
            return SOUK_IMAGE_NONE;
        }
        return SOUK_IMAGE_PNG;
    }
    if (starts(b, n, "RIFF", 4) && starts(b + 8, n - 8, "WEBP", 4)) {
        uint32_t size = le32(b + 4);
        if ((uint64_t)size + 8 != n) {
            *why = "The WebP's RIFF size does not match the file (truncated, or data after it).";
            return SOUK_IMAGE_NONE;
        }
        return SOUK_IMAGE_WEBP;
    }
    if (starts(b, n, "GIF87a", 6) || starts(b, n, "GIF89a", 6)) {
        if (b[n - 1] != 0x3b) {
            *why = "The GIF does not end with its trailer (truncated, or data after it).";
            return SOUK_IMAGE_NONE;
        }
        return SOUK_IMAGE_GIF;
    }
    *why = "Only JPEG, PNG, WebP and GIF images are accepted.";
    return SOUK_IMAGE_NONE;
}

const char *souk_catalog_image_mime(souk_image_format f)
{
    switch (f) {
    case SOUK_IMAGE_JPEG: return "image/jpeg";
    case SOUK_IMAGE_PNG: return "image/png";
    case SOUK_IMAGE_WEBP: return "image/webp";
    case SOUK_IMAGE_GIF: return "image/gif";
    default: return NULL;
    }
}

const char *souk_catalog_image_ext(souk_image_format f)
{
    switch (f) {
    case SOUK_IMAGE_JPEG: return "jpg";
    case SOUK_IMAGE_PNG: return "png";
    case SOUK_IMAGE_WEBP: return "webp";
    case SOUK_IMAGE_GIF: return "gif";
    default: return NULL;
    }
}

souk_image_format souk_catalog_image_format_of_ext(const char *ext, size_t len)
{
    for (int f = SOUK_IMAGE_JPEG; f <= SOUK_IMAGE_GIF; f++) {
        const char *e = souk_catalog_image_ext((souk_image_format)f);
        if (strlen(e) == len && memcmp(e, ext, len) == 0)
            return (souk_image_format)f;
    }
    return SOUK_IMAGE_NONE;
}

souk_image_format souk_catalog_image_format_of_mime(const char *ct)
{
    if (!ct)
        return SOUK_IMAGE_NONE;
    size_t len = strcspn(ct, "; \t");
    for (int f = SOUK_IMAGE_JPEG; f <= SOUK_IMAGE_GIF; f++) {
        const char *m = souk_catalog_image_mime((souk_image_format)f);
        if (strlen(m) == len && strncasecmp(m, ct, len) == 0)
            return (souk_image_format)f;
    }
    return SOUK_IMAGE_NONE;
}

int souk_catalog_image_widths(int64_t width, int out[SOUK_IMAGE_WIDTHS_MAX])
{
    static const int widths[SOUK_IMAGE_WIDTHS_MAX] = {160, 480, 960};
    int n = 0;
    if (width <= 0)
        return 0;
    for (int i = 0; i < SOUK_IMAGE_WIDTHS_MAX; i++) {
        if (widths[i] < width) {
            out[n++] = widths[i];
        } else {
            out[n++] = (int)width; /* never upscaled: the original width is the last size */
            break;
        }
    }
    return n;
}

bool souk_catalog_media_name_parse(const char *name, char hash[SOUK_IMAGE_HASH_HEX + 1], int *width,
                                   souk_image_format *fmt)
{
    /* <hash>.<ext> or <hash>-<width>.<ext>: 32 lower-case hex digits, a width
     * of 1..5 digits without a leading zero, one of the four extensions */
    size_t i = 0;
    for (; i < SOUK_IMAGE_HASH_HEX; i++) {
        char c = name[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
        hash[i] = c;
    }
    hash[i] = 0;
    *width = 0;
    if (name[i] == '-') {
        i++;
        if (name[i] < '1' || name[i] > '9')
            return false;
        int w = 0, digits = 0;
        while (name[i] >= '0' && name[i] <= '9') {
            if (++digits > 5)
                return false;
            w = w * 10 + (name[i++] - '0');
        }
        *width = w;
    }
    if (name[i] != '.')
        return false;
    const char *ext = name + i + 1;
    *fmt = souk_catalog_image_format_of_ext(ext, strlen(ext));
    return *fmt != SOUK_IMAGE_NONE;
}
