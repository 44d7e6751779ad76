/*
 * demo_images.c — pictures for `souk demo`: a small set of generated PNGs
 * stored through the same checks and storage as an upload, shared by all
 * demo products (so a demo of 500 products makes 12 pictures, not 500),
 * their sizes derived here at once (12 small pictures: a fraction of a
 * second), so a new shop shows them from its first page.
 */
#include "app/demo_images.h"

#include <stdlib.h>

#include "core/banned.h"

size_t souk_demo_images_make(const char *db_dsn, unsigned long long seed, souk_image_prepared *out)
{
    const souk_image_settings *s = souk_catalog_image_settings(db_dsn);
    size_t n = 0;
    for (unsigned i = 0; i < SOUK_DEMO_IMAGES; i++) {
        void *png = NULL;
        size_t len = 0;
        if (souk_catalog_image_generate((unsigned)seed * 131u + i, SOUK_DEMO_IMAGE_SIZE, &png, &len) != 0)
            continue;
        const char *why = NULL;
        char err[256];
        if (souk_catalog_image_prepare(s, png, len, SOUK_IMAGE_PNG, &out[n], &why) == SOUK_OK) {
            /* small pictures: their sizes are made here, so the demo shows them from the start */
            out[n].derived = souk_catalog_image_derive(s, out[n].hash, SOUK_IMAGE_PNG, err, sizeof err) == 0;
            n++;
        }
        free(png);
    }
    return n;
}
