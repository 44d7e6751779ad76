/*
 * image_api.c — HTTP handlers for product images: upload (raw body), delete,
 * and GET /media/{file}, the stored files under their content-addressed
 * names. Uploads run on the blocking pool (decoding is CPU work); the
 * media route reads one small file and answers it with immutable caching.
 */
#include "catalog/api.h"

#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"
#include "core/id.h"
#include "core/banned.h"

#define ALT_MAX 500

static int send(souk_req *req, souk_res *res, int64_t product, int status)
{
    souk_buf_reset(&res->body);
    souk_err e = souk_catalog_product_write_id(req->store, product, true, &res->body);
    if (e)
        return souk_res_error(res, e, NULL);
    char idbuf[SOUK_ID_TEXT_MAX];
    souk_id_format(SOUK_PREFIX_PRODUCT, product, idbuf);
    souk_res_audit(res, "product", souk_arena_strdup(req->arena, idbuf));
    if (status == 201)
        res->location = souk_arena_printf(req->arena, "/api/v1/products/%s", idbuf);
    res->status = status;
    return 0;
}

size_t souk_catalog_image_upload_max(const char *db_dsn)
{
    return souk_catalog_image_settings(db_dsn)->max_bytes;
}

int souk_catalog_api_image_upload(souk_req *req, souk_res *res)
{
    int64_t product;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_PRODUCT, &product))
        return res->err;
    for (size_t i = 0; i < req->query.count; i++)
        if (strcmp(req->query.items[i].key, "alt") != 0) {
            souk_problems_add(&res->problems, req->arena, req->query.items[i].key, "Unknown parameter.");
            return souk_res_invalid(res);
        }
    const char *alt = souk_query_get(&req->query, "alt");
    if (alt && strlen(alt) > ALT_MAX) {
        souk_problems_add(&res->problems, req->arena, "alt", "At most %d bytes.", ALT_MAX);
        return souk_res_invalid(res);
    }
    souk_image_format declared = souk_catalog_image_format_of_mime(souk_req_header(req, "content-type"));
    if (declared == SOUK_IMAGE_NONE)
        return souk_res_error(res, SOUK_E_UNSUPPORTED_MEDIA_TYPE,
                              "Send the image as the raw body with Content-Type image/jpeg, image/png, image/webp "
                              "or image/gif.");
    if (req->body_len == 0)
        return souk_res_error(res, SOUK_E_VALIDATION, "The body is empty.");
    const souk_image_settings *s = souk_catalog_image_settings(req->config->db_dsn);
    souk_image_prepared img;
    const char *why = NULL;
    souk_err e = souk_catalog_image_prepare(s, (const unsigned char *)req->body, req->body_len, declared, &img, &why);
    if (e)
        return souk_res_error(res, e, why);
    int64_t image_id = 0;
    bool created = false;
    e = souk_catalog_image_attach(req->store, product, &img, alt, &image_id, &created);
    if (e == SOUK_E_CONFLICT)
        return souk_res_error(res, e, "The product has the most images it may have.");
    if (e)
        return souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "No such object." : NULL);
    return send(req, res, product, created ? 201 : 200);
}

int souk_catalog_api_image_delete(souk_req *req, souk_res *res)
{
    int64_t product, image;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_PRODUCT, &product) ||
        souk_req_path_id(req, res, 1, SOUK_PREFIX_IMAGE, &image))
        return res->err;
    souk_err e = souk_catalog_image_delete(req->store, product, image);
    if (e)
        return souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "No such object." : NULL);
    return send(req, res, product, 200);
}

int souk_catalog_media_get(souk_req *req, souk_res *res)
{
    char hash[SOUK_IMAGE_HASH_HEX + 1], path[1100];
    int width = 0;
    souk_image_format f;
    const char *name = req->nparams ? req->params[0] : "";
    const souk_image_settings *s = souk_catalog_image_settings(req->config->db_dsn);
    char *buf = NULL;
    size_t len = 0;
    if (!souk_catalog_media_name_parse(name, hash, &width, &f) ||
        souk__catalog_media_path(s, hash, width, f, path, sizeof path) ||
        souk__catalog_media_read(path, 64u << 20, &buf, &len)) {
        res->content_type = "text/plain; charset=utf-8";
        res->status = 404;
        souk_buf_add(&res->body, "Not found\n", 10);
        return 0;
    }
    souk_buf_add(&res->body, buf, len);
    free(buf);
    res->content_type = souk_catalog_image_mime(f);
    res->cache_control = "public, max-age=31536000, immutable";
    return 0;
}
