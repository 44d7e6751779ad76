/*
 * src/web/qr.c: the two-factor enrolment's QR code — libqrencode's matrix
 * (size, the three finder patterns, a different text gives a different
 * code) and the inline SVG drawn from it (one path of the dark modules'
 * runs, inside the quiet zone; the label escaped; nothing for bad input).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/qr.h"

#define URI "otpauth://totp/souk:ann%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=souk"

static unsigned char m[177 * 177];

/* the 7x7 finder pattern with its top-left module at X, Y */
static void assert_finder(const unsigned char *mx, int w, int x, int y)
{
    for (int j = 0; j < 7; j++)
        for (int i = 0; i < 7; i++) {
            bool ring = i == 0 || i == 6 || j == 0 || j == 6;
            bool core = i >= 2 && i <= 4 && j >= 2 && j <= 4;
            assert_int_equal(mx[(y + j) * w + x + i], ring || core ? 1 : 0);
        }
}

static void test_matrix_has_the_finder_patterns(void **state)
{
    (void)state;
    int w = souk_web_qr_matrix(URI, m, 177);
    assert_true(w >= 21 && w <= 177);
    assert_int_equal((w - 17) % 4, 0); /* a QR version's width is 17 + 4·version */
    assert_finder(m, w, 0, 0);
    assert_finder(m, w, w - 7, 0);
    assert_finder(m, w, 0, w - 7);
    static unsigned char other[177 * 177];
    int w2 = souk_web_qr_matrix(URI "x", other, 177);
    assert_true(w2 == w ? memcmp(m, other, (size_t)w * (size_t)w) != 0 : true);
    assert_int_equal(souk_web_qr_matrix(URI, m, 20), -1); /* wider than the caller's room */
    assert_int_equal(souk_web_qr_matrix("", m, 177), -1);
}

static unsigned char drawn[185 * 185];

/* sums the area of every "Mx yhNv1Hxz" run of the path in SVG, marking the
 * modules it covers in drawn[] (width W + 8) */
static long dark_area(const char *svg, int w, int *minx, int *miny, int *maxx, int *maxy)
{
    memset(drawn, 0, sizeof drawn);
    const char *p = strstr(svg, "<path d=\"");
    assert_non_null(p);
    p += 9;
    long area = 0;
    *minx = *miny = 1 << 20;
    *maxx = *maxy = -1;
    while (*p == 'M') {
        int x, y, n, x2, used = 0;
        assert_int_equal(sscanf(p, "M%d %dh%dv1H%dz%n", &x, &y, &n, &x2, &used), 4);
        assert_int_equal(x2, x);
        assert_true(n >= 1);
        area += n;
        for (int i = 0; i < n; i++) {
            assert_true(y < w + 8 && x + i < w + 8);
            assert_int_equal(drawn[y * (w + 8) + x + i], 0); /* runs never overlap */
            drawn[y * (w + 8) + x + i] = 1;
        }
        if (x < *minx)
            *minx = x;
        if (y < *miny)
            *miny = y;
        if (x + n > *maxx)
            *maxx = x + n;
        if (y + 1 > *maxy)
            *maxy = y + 1;
        p += used;
    }
    assert_true(*p == '"');
    return area;
}

static void test_svg_draws_the_matrix(void **state)
{
    (void)state;
    int w = souk_web_qr_matrix(URI, m, 177);
    long want = 0;
    for (int i = 0; i < w * w; i++)
        want += m[i];
    souk_buf b;
    souk_buf_init(&b, 1u << 20);
    assert_int_equal(souk_web_qr_svg(&b, URI, "QR \"code\" <of> the secret"), 0);
    const char *svg = b.data;
    assert_non_null(strstr(svg, "role=\"img\" aria-label=\"QR &quot;code&quot; &lt;of&gt; the secret\""));
    char box[64];
    snprintf(box, sizeof box, "viewBox=\"0 0 %d %d\"", w + 8, w + 8);
    assert_non_null(strstr(svg, box));
    assert_null(strstr(svg, "<script"));
    int minx, miny, maxx, maxy;
    assert_int_equal(dark_area(svg, w, &minx, &miny, &maxx, &maxy), want);
    for (int y = 0; y < w; y++) /* module for module the matrix, shifted by the quiet zone */
        for (int x = 0; x < w; x++)
            assert_int_equal(drawn[(y + 4) * (w + 8) + x + 4], m[y * w + x]);
    assert_int_equal(minx, 4); /* the quiet zone of four modules, and the finder patterns at its edge */
    assert_int_equal(miny, 4);
    assert_int_equal(maxx, w + 4);
    assert_int_equal(maxy, w + 4);
    assert_int_equal(svg[b.len - 1], '>');
    souk_buf_release(&b);
}

static void test_svg_refuses_bad_input(void **state)
{
    (void)state;
    souk_buf b;
    souk_buf_init(&b, 4096);
    assert_int_equal(souk_web_qr_svg(&b, "", "x"), -1);
    assert_int_equal(souk_web_qr_svg(&b, NULL, "x"), -1);
    char *big = malloc(2000);
    memset(big, 'a', 1999);
    big[1999] = '\0';
    assert_int_equal(souk_web_qr_svg(&b, big, "x"), -1);
    free(big);
    assert_int_equal(b.len, 0);
    souk_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix_has_the_finder_patterns),
        cmocka_unit_test(test_svg_draws_the_matrix),
        cmocka_unit_test(test_svg_refuses_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
