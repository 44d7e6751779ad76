/*
 * gallery.c — product images on storefront pages: the product page's
 * gallery (the first image large, in a <picture> whose WebP source comes
 * first, then thumbnails of the others, each a link to its largest size so
 * it works without script) and a card's image (lazy, 160/480 px). Sizes
 * come from the image's srcset in the catalog JSON (docs/images.md); an
 * image given only as a URL (no srcset) shows as a plain <img>. width and
 * height are always the image's own, so the browser keeps its box before it
 * loads (no layout shift); alt is the image's, or the product title.
 */
#include "web/internal.h"

#include <string.h>

#include "core/banned.h"

/* the "url 160w, url 480w" list of LIST ([{width,url}…]); false when empty or a URL is not ours */
static bool put_srcset(souk_buf *b, const json_t *list, int max_width)
{
    size_t i, n = 0;
    const json_t *s;
    json_array_foreach(list, i, s)
    {
        const char *url = json_string_value(json_object_get(s, "url"));
        json_int_t w = json_integer_value(json_object_get(s, "width"));
        if (!url || !souk_html_url_ok(url) || w <= 0 || (max_width && w > max_width && n))
            continue;
        if (n++)
            SOUK_HTML_LIT(b, ", ");
        souk_html_text(b, url);
        souk_buf_addc(b, ' ');
        souk_html_int(b, w);
        souk_buf_addc(b, 'w');
    }
    return n > 0;
}

/* the URL of the widest entry of LIST not over MAX_WIDTH (0 = any), or NULL */
static const char *pick(const json_t *list, int max_width)
{
    size_t i;
    const json_t *s;
    const char *best = NULL;
    json_array_foreach(list, i, s)
    {
        json_int_t w = json_integer_value(json_object_get(s, "width"));
        if (!best || !max_width || w <= max_width)
            best = json_string_value(json_object_get(s, "url"));
    }
    return best && souk_html_url_ok(best) ? best : NULL;
}

static const char *alt_of(const json_t *img, const char *title)
{
    const char *alt = json_string_value(json_object_get(img, "alt"));
    return alt && alt[0] ? alt : title;
}

static void put_box(souk_buf *b, const json_t *img)
{
    json_int_t w = json_integer_value(json_object_get(img, "width"));
    json_int_t h = json_integer_value(json_object_get(img, "height"));
    if (w > 0 && h > 0) {
        SOUK_HTML_LIT(b, " width=\"");
        souk_html_int(b, w);
        SOUK_HTML_LIT(b, "\" height=\"");
        souk_html_int(b, h);
        SOUK_HTML_LIT(b, "\"");
    }
}

/* One image as <picture> (with derived sizes up to MAX_WIDTH, 0 = all) or
 * <img>; SIZES is the sizes attribute; LAZY for images below the fold. */
static void picture(souk_buf *b, const json_t *img, const char *title, int max_width, const char *sizes, bool lazy)
{
    const json_t *srcset = json_object_get(img, "srcset");
    const json_t *webp = json_object_get(srcset, "webp"), *orig = json_object_get(srcset, "original");
    const char *src = json_is_object(srcset) ? pick(orig, max_width) : NULL;
    if (!src) {
        src = json_string_value(json_object_get(img, "url"));
        if (!src || !souk_html_url_ok(src))
            return;
    }
    bool sets = src != json_string_value(json_object_get(img, "url"));
    if (sets) {
        SOUK_HTML_LIT(b, "<picture><source type=\"image/webp\" srcset=\"");
        put_srcset(b, webp, max_width);
        SOUK_HTML_LIT(b, "\" sizes=\"");
        souk_html_text(b, sizes);
        SOUK_HTML_LIT(b, "\">");
    }
    SOUK_HTML_LIT(b, "<img src=\"");
    souk_html_text(b, src);
    SOUK_HTML_LIT(b, "\"");
    if (sets) {
        SOUK_HTML_LIT(b, " srcset=\"");
        put_srcset(b, orig, max_width);
        SOUK_HTML_LIT(b, "\" sizes=\"");
        souk_html_text(b, sizes);
        SOUK_HTML_LIT(b, "\"");
    }
    put_box(b, img);
    SOUK_HTML_LIT(b, " alt=\"");
    souk_html_text(b, alt_of(img, title));
    if (lazy)
        SOUK_HTML_LIT(b, "\" loading=\"lazy\" decoding=\"async\">");
    else
        SOUK_HTML_LIT(b, "\" fetchpriority=\"high\">");
    if (sets)
        SOUK_HTML_LIT(b, "</picture>");
}

void souk__web_gallery(souk_buf *b, const json_t *prod, const char *title)
{
    const json_t *images = json_object_get(prod, "images");
    if (!json_array_size(images))
        return;
    SOUK_HTML_LIT(b, "<div class=\"gallery\">\n<figure class=\"gallery-main\">");
    picture(b, json_array_get(images, 0), title, 0, "(min-width: 48em) 50vw, 100vw", false);
    SOUK_HTML_LIT(b, "</figure>\n");
    if (json_array_size(images) > 1) {
        SOUK_HTML_LIT(b, "<ul class=\"thumbs\" aria-label=\"More images\">");
        size_t i;
        const json_t *img;
        json_array_foreach(images, i, img)
        {
            if (i == 0)
                continue;
            const json_t *srcset = json_object_get(img, "srcset");
            const char *full = json_is_object(srcset) ? pick(json_object_get(srcset, "original"), 0) : NULL;
            if (!full)
                full = json_string_value(json_object_get(img, "url"));
            if (!full || !souk_html_url_ok(full))
                continue;
            SOUK_HTML_LIT(b, "<li><a href=\"");
            souk_html_text(b, full);
            SOUK_HTML_LIT(b, "\">");
            picture(b, img, title, 160, "80px", true);
            SOUK_HTML_LIT(b, "</a></li>");
        }
        SOUK_HTML_LIT(b, "</ul>\n");
    }
    SOUK_HTML_LIT(b, "</div>\n");
}

void souk__web_card_image(souk_buf *b, const json_t *summary, const char *title)
{
    const json_t *img = json_object_get(summary, "image");
    if (!json_is_object(img))
        return;
    SOUK_HTML_LIT(b, "<div class=\"card-image\">");
    picture(b, img, title, 480, "(min-width: 40em) 240px, 50vw", true);
    SOUK_HTML_LIT(b, "</div>");
}
