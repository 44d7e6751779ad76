/*
 * slug.c — URL slugs: derived from a title or name (ASCII letters and digits
 * separated by single hyphens) and made unique with "-2", "-3", … against the
 * table the caller names.
 */
#include "catalog/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/banned.h"

size_t souk_catalog_slugify(const char *text, char *out)
{
    size_t n = 0;
    bool dash = false;
    for (const unsigned char *p = (const unsigned char *)text; *p && n < SOUK_CATALOG_SLUG_MAX; p++) {
        unsigned char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && n > 0 && n < SOUK_CATALOG_SLUG_MAX - 1)
                out[n++] = '-';
            dash = false;
            out[n++] = (char)c;
        } else {
            dash = true;
        }
    }
    out[n] = '\0';
    return n;
}

int souk__catalog_derive_slug(souk_store *db, const char *sql, const char *base, char *out, size_t outlen)
{
    char stem[SOUK_CATALOG_SLUG_MAX + 1];
    size_t n = souk_catalog_slugify(base, stem);
    if (n == 0) {
        memcpy(stem, "item", 5);
        n = 4;
    }
    if (n > SOUK_CATALOG_SLUG_MAX - 12)
        stem[n = SOUK_CATALOG_SLUG_MAX - 12] = '\0';
    while (n && stem[n - 1] == '-')
        stem[--n] = '\0';
    for (int i = 1; i < 10000; i++) {
        if (i == 1)
            snprintf(out, outlen, "%s", stem);
        else if (i < 100)
            snprintf(out, outlen, "%s-%d", stem, i);
        else
            snprintf(out, outlen, "%s-%lld", stem, (long long)(souk_id_next() & 0xffffff));
        int r = souk__catalog_taken(db, sql, out, 0);
        if (r <= 0)
            return r;
    }
    return SOUK_DB_HARD;
}
