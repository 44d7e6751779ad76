/*
 * image_write.c — the catalog's records of uploaded images: attach a stored
 * file to a product (product_media + product_images of migration 0117),
 * delete an image, and the job "catalog.image.derive" that writes the
 * derived sizes off the request path and then marks the file derived (the
 * JSON's srcset appears with the next read; the touch of SOUK_CONTENT
 * empties the response cache).
 */
#include "catalog/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "core/banned.h"

#define DERIVE_JOB "catalog.image.derive"

typedef struct attach_ctx {
    int64_t product;
    const souk_image_prepared *img;
    const char *alt;
    int64_t *image_id;
    bool *created;
} attach_ctx;

static souk_err attach_body(souk_store *db, void *arg)
{
    attach_ctx *c = arg;
    const char *ext = souk_catalog_image_ext(c->img->format);
    int64_t now = souk_time_now_us(), count = 0, existing = 0;
    bool derived_null = true;
    int r = souk__catalog_exists(db, "SELECT 1 FROM products WHERE id = $1", SOUK_ARGS(SOUK_I64(c->product)));
    if (r <= 0)
        return r < 0 ? souk_store_dberr(r) : SOUK_E_NOT_FOUND;
    r = souk_store_one(db, "SELECT id FROM product_images WHERE product_id = $1 AND media_hash = $2",
                       SOUK_ARGS(SOUK_I64(c->product), SOUK_TEXT(c->img->hash)), SOUK_COLS(SOUK_COL_I64(&existing)));
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_ROW) {
        *c->image_id = existing;
        *c->created = false;
        return SOUK_OK;
    }
    r = souk_store_one(db, "SELECT COUNT(*) FROM product_images WHERE product_id = $1", SOUK_ARGS(SOUK_I64(c->product)),
                       SOUK_COLS(SOUK_COL_I64(&count)));
    if (r < 0)
        return souk_store_dberr(r);
    if (count >= SOUK_CATALOG_IMAGES_MAX)
        return SOUK_E_CONFLICT;
    r = souk_store_exec(db,
                        "INSERT INTO product_media (hash, format, width, height, created_at, derived_at) "
                        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hash) DO NOTHING",
                        SOUK_ARGS(SOUK_TEXT(c->img->hash), SOUK_TEXT(ext), SOUK_I64(c->img->width),
                                  SOUK_I64(c->img->height), SOUK_I64(now),
                                  c->img->derived ? SOUK_I64(now) : SOUK_NULL));
    if (r < 0)
        return souk_store_dberr(r);
    int64_t derived_at = 0;
    r = souk_store_one(db, "SELECT derived_at FROM product_media WHERE hash = $1", SOUK_ARGS(SOUK_TEXT(c->img->hash)),
                       SOUK_COLS(SOUK_COL_NULLABLE(SOUK_COL_I64(&derived_at), &derived_null)));
    if (r < 0)
        return souk_store_dberr(r);
    char url[96];
    snprintf(url, sizeof url, "/media/%s.%s", c->img->hash, ext);
    int64_t id = souk_id_next();
    r = souk_store_exec(db,
                        "INSERT INTO product_images (id, product_id, url, alt, width, height, position, media_hash) "
                        "VALUES ($1, $2, $3, $4, $5, $6, (SELECT COALESCE(MAX(position) + 1, 0) FROM product_images "
                        "WHERE product_id = $2), $7)",
                        SOUK_ARGS(SOUK_I64(id), SOUK_I64(c->product), SOUK_TEXT(url), SOUK_TEXT(c->alt ? c->alt : ""),
                                  SOUK_I64(c->img->width), SOUK_I64(c->img->height), SOUK_TEXT(c->img->hash)));
    if (r >= 0 && derived_null) {
        char key[64];
        snprintf(key, sizeof key, "img:%s", c->img->hash);
        r = souk_job_enqueue_tx(db, DERIVE_JOB, json_pack("{s:s}", "hash", c->img->hash), 0, key);
    }
    if (r >= 0)
        r = souk_store_exec(db, "UPDATE products SET updated_at = " SOUK__CATALOG_BUMP("$2") " WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(c->product), SOUK_I64(now)));
    if (r >= 0)
        r = souk_store_touch(db, SOUK_CONTENT);
    if (r < 0)
        return souk_store_dberr(r);
    *c->image_id = id;
    *c->created = true;
    return SOUK_OK;
}

souk_err souk_catalog_image_attach(souk_store *db, int64_t product, const souk_image_prepared *img, const char *alt,
                                   int64_t *image_id, bool *created)
{
    attach_ctx c = {product, img, alt, image_id, created};
    souk_err e = souk_store_run(db, attach_body, &c, NULL);
    if (!e && *created)
        souk_jobs_kick();
    return e;
}

souk_err souk_catalog_image_attach_tx(souk_store *db, int64_t product, const souk_image_prepared *img, const char *alt,
                                      int64_t *image_id, bool *created)
{
    attach_ctx c = {product, img, alt, image_id, created};
    return attach_body(db, &c);
}

typedef struct delete_ctx {
    int64_t product, image;
} delete_ctx;

static souk_err delete_body(souk_store *db, void *arg)
{
    delete_ctx *c = arg;
    int64_t n = souk_store_update(db, "DELETE FROM product_images WHERE id = $1 AND product_id = $2",
                                  SOUK_ARGS(SOUK_I64(c->image), SOUK_I64(c->product)));
    if (n < 0)
        return souk_store_dberr((int)n);
    if (n == 0)
        return SOUK_E_NOT_FOUND;
    int r = souk_store_exec(db, "UPDATE products SET updated_at = " SOUK__CATALOG_BUMP("$2") " WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(c->product), SOUK_I64(souk_time_now_us())));
    return souk_store_dberr(r < 0 ? r : souk_store_touch(db, SOUK_CONTENT));
}

souk_err souk_catalog_image_delete(souk_store *db, int64_t product, int64_t image)
{
    delete_ctx c = {product, image};
    return souk_store_run(db, delete_body, &c, NULL);
}

/* ---- the derive job ---- */

static souk_err mark_body(souk_store *db, void *arg)
{
    int r = souk_store_exec(db, "UPDATE product_media SET derived_at = $2 WHERE hash = $1",
                            SOUK_ARGS(SOUK_TEXT((const char *)arg), SOUK_I64(souk_time_now_us())));
    return souk_store_dberr(r < 0 ? r : souk_store_touch(db, SOUK_CONTENT));
}

static int derive_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    const char *hash = json_string_value(json_object_get(payload, "hash"));
    char ext[8] = "";
    if (!hash || strlen(hash) != SOUK_IMAGE_HASH_HEX) {
        snprintf(err, errlen, "payload without a hash");
        return -1;
    }
    int r = souk_store_one(db, "SELECT format FROM product_media WHERE hash = $1", SOUK_ARGS(SOUK_TEXT(hash)),
                           SOUK_COLS(SOUK_COL_STR(ext)));
    if (r == SOUK_DB_DONE)
        return 0; /* nothing to derive any more */
    if (r < 0) {
        snprintf(err, errlen, "reading product_media failed");
        return -1;
    }
    const souk_image_settings *s = souk_catalog_image_settings(NULL);
    if (souk_catalog_image_derive(s, hash, souk_catalog_image_format_of_ext(ext, strlen(ext)), err, errlen) != 0)
        return -1;
    if (souk_store_run(db, mark_body, (void *)hash, NULL) != SOUK_OK) {
        snprintf(err, errlen, "marking %s derived failed", hash);
        return -1;
    }
    return 0;
}

void souk_catalog_register_jobs(void)
{
    souk_job_register(DERIVE_JOB, derive_job, 5);
}
