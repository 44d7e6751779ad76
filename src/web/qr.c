/*
 * qr.c — a QR code as inline SVG (qr.h): libqrencode makes the module
 * matrix; each row's runs of dark modules become one rectangle of a single
 * path, inside a quiet zone of four modules. No script, no external image:
 * the page's CSP needs nothing more.
 */
#include "web/qr.h"

#include <qrencode.h>
#include <string.h>

#include "core/banned.h"

#define QUIET 4

int souk_web_qr_svg(souk_buf *b, const char *text, const char *label)
{
    if (!text || !text[0] || strlen(text) > 1024)
        return -1;
    QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!q)
        return -1;
    int w = q->width, size = w + 2 * QUIET;
    SOUK_HTML_LIT(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\" role=\"img\" aria-label=\"");
    souk_html_text(b, label);
    SOUK_HTML_LIT(b, "\" viewBox=\"0 0 ");
    souk_html_int(b, size);
    SOUK_HTML_LIT(b, " ");
    souk_html_int(b, size);
    SOUK_HTML_LIT(b, "\" width=\"240\" height=\"240\" shape-rendering=\"crispEdges\"><rect width=\"100%\" "
                     "height=\"100%\" fill=\"#fff\"/><path d=\"");
    for (int y = 0; y < w; y++) {
        int x = 0;
        while (x < w) {
            if (!(q->data[y * w + x] & 1)) {
                x++;
                continue;
            }
            int run = x;
            while (run < w && (q->data[y * w + run] & 1))
                run++;
            SOUK_HTML_LIT(b, "M");
            souk_html_int(b, x + QUIET);
            SOUK_HTML_LIT(b, " ");
            souk_html_int(b, y + QUIET);
            SOUK_HTML_LIT(b, "h");
            souk_html_int(b, run - x);
            SOUK_HTML_LIT(b, "v1H");
            souk_html_int(b, x + QUIET);
            SOUK_HTML_LIT(b, "z");
            x = run;
        }
    }
    SOUK_HTML_LIT(b, "\" fill=\"#000\"/></svg>");
    QRcode_free(q);
    return 0;
}

int souk_web_qr_matrix(const char *text, unsigned char *out, int max_width)
{
    if (!text || !text[0] || strlen(text) > 1024)
        return -1;
    QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!q)
        return -1;
    int w = q->width;
    if (w <= max_width)
        for (int i = 0; i < w * w; i++)
            out[i] = q->data[i] & 1;
    QRcode_free(q);
    return w <= max_width ? w : -1;
}
