/*
 * Unit tests for the product image checks (src/catalog/image_check.c) and
 * codec (image_codec.c): magic bytes and endings, derived widths, served
 * file names, then real libvips work on generated pictures — prepare
 * (stripped, stored once under the hash), refusals (bomb, SVG, mismatch,
 * truncation, size) and the derived sizes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "catalog/catalog.h"

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8),
    p[3] = (unsigned char)v;
}

/* a PNG whose IHDR claims W×H, with a tiny IDAT and IEND; *N its length */
static unsigned char *claimed_png(uint32_t w, uint32_t h, size_t *n)
{
    static unsigned char b[128];
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    size_t at = 0;
    memcpy(b, sig, 8), at = 8;
    unsigned char ihdr[17] = {'I', 'H', 'D', 'R'};
    put32(ihdr + 4, w), put32(ihdr + 8, h);
    ihdr[12] = 8, ihdr[13] = 2;
    put32(b + at, 13), memcpy(b + at + 4, ihdr, 17), put32(b + at + 21, (uint32_t)crc32(0, ihdr, 17)), at += 25;
    unsigned char idat[4 + 16] = {'I', 'D', 'A', 'T'};
    uLongf zl = 16;
    unsigned char zero[64] = {0};
    compress(idat + 4, &zl, zero, sizeof zero);
    put32(b + at, (uint32_t)zl), memcpy(b + at + 4, idat, 4 + zl),
        put32(b + at + 8 + zl, (uint32_t)crc32(0, idat, (uInt)(4 + zl))), at += 12 + zl;
    static const unsigned char iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
    memcpy(b + at, iend, 12), at += 12;
    *n = at;
    return b;
}

static void sniffs_formats_and_endings(void **state)
{
    (void)state;
    const char *why;
    unsigned char jpg[32] = {0xff, 0xd8, 0xff, 0xe0};
    jpg[30] = 0xff, jpg[31] = 0xd9;
    assert_int_equal(souk_catalog_image_sniff(jpg, sizeof jpg, &why), SOUK_IMAGE_JPEG);
    jpg[31] = 0;
    assert_int_equal(souk_catalog_image_sniff(jpg, sizeof jpg, &why), SOUK_IMAGE_NONE);
    assert_non_null(why);
    size_t n;
    unsigned char *png = claimed_png(100, 100, &n);
    assert_int_equal(souk_catalog_image_sniff(png, n, NULL), SOUK_IMAGE_PNG);
    assert_int_equal(souk_catalog_image_sniff(png, n - 1, NULL), SOUK_IMAGE_NONE); /* truncated */
    unsigned char webp[24] = {'R', 'I', 'F', 'F', 16, 0, 0, 0, 'W', 'E', 'B', 'P'};
    assert_int_equal(souk_catalog_image_sniff(webp, sizeof webp, NULL), SOUK_IMAGE_WEBP);
    webp[4] = 15; /* one byte more than the RIFF says: something appended */
    assert_int_equal(souk_catalog_image_sniff(webp, sizeof webp, NULL), SOUK_IMAGE_NONE);
    unsigned char gif[20] = {'G', 'I', 'F', '8', '9', 'a'};
    gif[19] = 0x3b;
    assert_int_equal(souk_catalog_image_sniff(gif, sizeof gif, NULL), SOUK_IMAGE_GIF);
    const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    assert_int_equal(souk_catalog_image_sniff((const unsigned char *)svg, sizeof svg - 1, &why), SOUK_IMAGE_NONE);
    assert_int_equal(souk_catalog_image_sniff(jpg, 3, &why), SOUK_IMAGE_NONE);
}

static void types_and_widths(void **state)
{
    (void)state;
    assert_int_equal(souk_catalog_image_format_of_mime("image/png"), SOUK_IMAGE_PNG);
    assert_int_equal(souk_catalog_image_format_of_mime("IMAGE/JPEG; q=1"), SOUK_IMAGE_JPEG);
    assert_int_equal(souk_catalog_image_format_of_mime("image/svg+xml"), SOUK_IMAGE_NONE);
    assert_int_equal(souk_catalog_image_format_of_mime("image/pngx"), SOUK_IMAGE_NONE);
    assert_int_equal(souk_catalog_image_format_of_mime(NULL), SOUK_IMAGE_NONE);
    int w[SOUK_IMAGE_WIDTHS_MAX];
    assert_int_equal(souk_catalog_image_widths(1200, w), 3);
    assert_int_equal(w[0], 160), assert_int_equal(w[1], 480), assert_int_equal(w[2], 960);
    assert_int_equal(souk_catalog_image_widths(960, w), 3);
    assert_int_equal(w[2], 960);
    assert_int_equal(souk_catalog_image_widths(300, w), 2);
    assert_int_equal(w[1], 300);
    assert_int_equal(souk_catalog_image_widths(100, w), 1);
    assert_int_equal(w[0], 100);
    assert_int_equal(souk_catalog_image_widths(0, w), 0);
}

static void media_names(void **state)
{
    (void)state;
    char hash[SOUK_IMAGE_HASH_HEX + 1];
    int width;
    souk_image_format f;
    const char *h = "0123456789abcdef0123456789abcdef";
    char name[80];
    snprintf(name, sizeof name, "%s.png", h);
    assert_true(souk_catalog_media_name_parse(name, hash, &width, &f));
    assert_string_equal(hash, h), assert_int_equal(width, 0), assert_int_equal(f, SOUK_IMAGE_PNG);
    snprintf(name, sizeof name, "%s-480.webp", h);
    assert_true(souk_catalog_media_name_parse(name, hash, &width, &f));
    assert_int_equal(width, 480), assert_int_equal(f, SOUK_IMAGE_WEBP);
    const char *bad[] = {"0123456789ABCDEF0123456789abcdef.png",
                         "0123456789abcdef0123456789abcde.png",
                         "0123456789abcdef0123456789abcdef.svg",
                         "0123456789abcdef0123456789abcdef-0480.png",
                         "0123456789abcdef0123456789abcdef-123456.png",
                         "0123456789abcdef0123456789abcdef.png/x",
                         "../../etc/passwd",
                         "0123456789abcdef0123456789abcdef",
                         ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(souk_catalog_media_name_parse(bad[i], hash, &width, &f));
}

static char dir[] = "/tmp/souk-unit-images-XXXXXX";

static size_t count_files(void)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void prepares_refuses_and_derives(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    souk_image_settings s = {.max_bytes = 1 << 20, .max_pixels = 4000000};
    snprintf(s.media_dir, sizeof s.media_dir, "%s", dir);
    void *png = NULL;
    size_t len = 0;
    assert_int_equal(souk_catalog_image_generate(7, 400, &png, &len), 0);
    souk_image_prepared img, again;
    const char *why = NULL;
    assert_int_equal(souk_catalog_image_prepare(&s, png, len, SOUK_IMAGE_PNG, &img, &why), SOUK_OK);
    assert_int_equal(img.width, 400), assert_int_equal(img.height, 400), assert_int_equal(img.format, SOUK_IMAGE_PNG);
    assert_int_equal(strlen(img.hash), SOUK_IMAGE_HASH_HEX);
    assert_int_equal(souk_catalog_image_prepare(&s, png, len, SOUK_IMAGE_NONE, &again, &why), SOUK_OK);
    assert_string_equal(img.hash, again.hash);
    assert_int_equal(count_files(), 1); /* the same bytes: one file */
    /* refusals */
    assert_int_equal(souk_catalog_image_prepare(&s, png, len, SOUK_IMAGE_JPEG, &again, &why),
                     SOUK_E_UNSUPPORTED_MEDIA_TYPE);
    assert_int_equal(souk_catalog_image_prepare(&s, png, len / 2, SOUK_IMAGE_PNG, &again, &why), SOUK_E_VALIDATION);
    size_t bn;
    unsigned char *bomb = claimed_png(50000, 50000, &bn);
    assert_int_equal(souk_catalog_image_prepare(&s, bomb, bn, SOUK_IMAGE_PNG, &again, &why), SOUK_E_PAYLOAD_TOO_LARGE);
    bomb = claimed_png(3000, 3000, &bn); /* 9 MP over a 4 MP limit, every side fine */
    assert_int_equal(souk_catalog_image_prepare(&s, bomb, bn, SOUK_IMAGE_PNG, &again, &why), SOUK_E_PAYLOAD_TOO_LARGE);
    bomb = claimed_png(100, 100, &bn); /* a valid header over too little data: fails to decode */
    assert_int_equal(souk_catalog_image_prepare(&s, bomb, bn, SOUK_IMAGE_PNG, &again, &why), SOUK_E_VALIDATION);
    s.max_bytes = len - 1;
    assert_int_equal(souk_catalog_image_prepare(&s, png, len, SOUK_IMAGE_PNG, &again, &why), SOUK_E_PAYLOAD_TOO_LARGE);
    assert_int_equal(count_files(), 1); /* nothing refused was stored */
    /* derived sizes: 160 and 400 (never upscaled), WebP and PNG */
    char err[256];
    assert_int_equal(souk_catalog_image_derive(&s, img.hash, SOUK_IMAGE_PNG, err, sizeof err), 0);
    assert_int_equal(count_files(), 5);
    char path[1200];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s-400.webp", dir, img.hash);
    assert_int_equal(stat(path, &st), 0);
    snprintf(path, sizeof path, "%s/%s-480.webp", dir, img.hash);
    assert_int_not_equal(stat(path, &st), 0);
    assert_int_equal(souk_catalog_image_derive(&s, img.hash, SOUK_IMAGE_PNG, err, sizeof err), 0); /* again: no-op */
    assert_int_equal(count_files(), 5);
    free(png);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sniffs_formats_and_endings),
        cmocka_unit_test(types_and_widths),
        cmocka_unit_test(media_names),
        cmocka_unit_test(prepares_refuses_and_derives),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
