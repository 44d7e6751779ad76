/*
 * render.c — the catalog's own pieces of the JSON that the product list and
 * the product detail write straight into a buffer (no jansson tree: on an
 * uncached read, building, dumping and freeing the tree was the largest cost
 * after SQLite): taxon refs and images, built of core/jsonw.h's pieces. Each
 * document keeps the escaping it always had: the detail as jansson wrote it
 * (SOUK_JW_AS_JANSSON), the list as souk_buf_add_json_string writes it, '<',
 * '>' and '&' escaped too (SOUK_JW_HTML_SAFE).
 */
#include "catalog/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/banned.h"

void souk__catalog_put_ref(souk_buf *b, souk_taxon_kind kind, int64_t id, const char *slug, size_t slug_len,
                           const char *name, size_t name_len, souk_jw_esc esc)
{
    if (!id || !slug) {
        SOUK_JW_LIT(b, "null");
        return;
    }
    SOUK_JW_LIT(b, "{\"id\":");
    souk_jw_id(b, souk__catalog_taxon_prefix(kind), id);
    SOUK_JW_LIT(b, ",\"slug\":");
    souk_jw_text(b, slug, slug_len, esc);
    SOUK_JW_LIT(b, ",\"name\":");
    souk_jw_text(b, name, name_len, esc);
    souk_buf_addc(b, '}');
}

/* ,"srcset":{"webp":[{"width","url"}…],"original":[…]} of the stored image
 * HASH (format EXT, WIDTH wide); nothing before its sizes exist or for an
 * image given as a URL */
static void put_srcset(souk_buf *b, souk_stmt *st, int media_col, int64_t width, souk_jw_esc esc)
{
    size_t hash_len = 0, ext_len = 0;
    const char *hash = media_col >= 0 ? souk_stmt_text(st, media_col, &hash_len) : NULL;
    const char *ext = hash ? souk_stmt_text(st, media_col + 1, &ext_len) : NULL;
    if (!hash || !ext || souk_stmt_is_null(st, media_col + 2))
        return; /* no member: an image given as a URL keeps the shape it always had */
    SOUK_JW_LIT(b, ",\"srcset\":");
    int widths[SOUK_IMAGE_WIDTHS_MAX], n = souk_catalog_image_widths(width, widths);
    for (int k = 0; k < 2; k++) {
        if (k)
            SOUK_JW_LIT(b, ",\"original\":[");
        else
            SOUK_JW_LIT(b, "{\"webp\":[");
        for (int i = 0; i < n; i++) {
            char url[128];
            snprintf(url, sizeof url, "/media/%.*s-%d.%.*s", (int)hash_len, hash, widths[i], k ? (int)ext_len : 4,
                     k ? ext : "webp");
            if (i)
                souk_buf_addc(b, ',');
            SOUK_JW_LIT(b, "{\"width\":");
            souk_jw_int(b, widths[i]);
            SOUK_JW_LIT(b, ",\"url\":");
            souk_jw_text(b, url, strlen(url), esc);
            souk_buf_addc(b, '}');
        }
        souk_buf_addc(b, ']');
    }
    souk_buf_addc(b, '}');
}

void souk__catalog_put_image(souk_buf *b, souk_stmt *st, int col, int media_col, souk_jw_esc esc)
{
    size_t url_len = 0, alt_len = 0;
    const char *url = souk_stmt_text(st, col + 1, &url_len), *alt = souk_stmt_text(st, col + 2, &alt_len);
    SOUK_JW_LIT(b, "{\"id\":");
    souk_jw_id(b, SOUK_PREFIX_IMAGE, souk_stmt_i64(st, col));
    SOUK_JW_LIT(b, ",\"url\":");
    souk_jw_text(b, url, url_len, esc);
    SOUK_JW_LIT(b, ",\"alt\":");
    souk_jw_text(b, alt, alt_len, esc);
    SOUK_JW_LIT(b, ",\"width\":");
    souk_jw_int_or_null(b, souk_stmt_i64(st, col + 3), souk_stmt_is_null(st, col + 3));
    SOUK_JW_LIT(b, ",\"height\":");
    souk_jw_int_or_null(b, souk_stmt_i64(st, col + 4), souk_stmt_is_null(st, col + 4));
    SOUK_JW_LIT(b, ",\"position\":");
    souk_jw_int(b, souk_stmt_i64(st, col + 5));
    put_srcset(b, st, media_col, souk_stmt_i64(st, col + 3), esc);
    souk_buf_addc(b, '}');
}

void souk__catalog_put_rating(souk_buf *b, int64_t count, int64_t sum)
{
    SOUK_JW_LIT(b, "{\"average\":");
    if (count > 0) {
        /* two decimals, rounded half up, written without a float */
        int64_t hundredths = (sum * 200 + count) / (2 * count);
        souk_buf_printf(b, "%lld.%02lld", (long long)(hundredths / 100), (long long)(hundredths % 100));
    } else {
        SOUK_JW_LIT(b, "null");
    }
    SOUK_JW_LIT(b, ",\"count\":");
    souk_jw_int(b, count);
    souk_buf_addc(b, '}');
}
