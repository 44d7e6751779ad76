/* demo_images.h — the demo store's generated product pictures (demo_images.c). */
#ifndef SOUK_APP_DEMO_IMAGES_H
#define SOUK_APP_DEMO_IMAGES_H

#include <stddef.h>

#include "catalog/catalog.h"

#define SOUK_DEMO_IMAGES 12      /* pictures made per demo store, shared by its products */
#define SOUK_DEMO_IMAGE_SIZE 480 /* px square: derived at 160 and 480 */

/* Generates SOUK_DEMO_IMAGES pictures (souk_catalog_image_generate, seeds
 * from SEED) and stores each through the upload path
 * (souk_catalog_image_prepare with the settings for DB_DSN) into OUT, with
 * their derived sizes written (OUT[i].derived).
 * Returns how many were stored (0 when libvips is unavailable: the demo
 * then has no images). */
size_t souk_demo_images_make(const char *db_dsn, unsigned long long seed, souk_image_prepared *out);

#endif
