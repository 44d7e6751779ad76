/*
 * image_api.c — HTTP handlers for product images: upload (raw body or
 * multipart/form-data with a "file" part and an optional "alt"), delete,
 * and GET /media/{file}, the stored files under their content-addressed
 * names. Uploads run on the blocking pool (decoding is CPU work); the
 * media route reads one small file and answers it with immutable caching.
 */
#include "catalog/api.h"

#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"
#include "core/id.h"
#include "core/jsonw.h"
#include "core/multipart.h"
#include "core/banned.h"

#define ALT_MAX 500
/* what a form may add around the image: its part headers, the alt field,
 * the delimiters (the file part itself is held to SOUK_IMAGE_MAX_BYTES) */
#define FORM_OVERHEAD (64u << 10)
#define FORM_PARTS 4
#define FORM_HEADER 2048

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
    return souk_catalog_image_settings(db_dsn)->max_bytes + FORM_OVERHEAD;
}

/* What an upload carries: the image, its declared format, the alt text. */
typedef struct upload {
    const unsigned char *bytes;
    size_t len;
    souk_image_format declared;
    const char *alt;
} upload;

static const char raw_types[] = "Send the image as the raw body with Content-Type image/jpeg, image/png, image/webp or "
                                "image/gif, or as the \"file\" part of a multipart/form-data body.";

/* A multipart/form-data body (BOUNDARY) into *U: a "file" part (an image
 * type, the same checks as a raw body) and an optional text "alt"; nothing
 * else. 0, or the error answered. */
static int form_upload(souk_req *req, souk_res *res, const char *boundary, upload *u)
{
    const souk_image_settings *s = souk_catalog_image_settings(req->config->db_dsn);
    souk_multipart_limits lim = {FORM_PARTS, FORM_HEADER, s->max_bytes + FORM_OVERHEAD};
    souk_multipart m;
    const char *why = NULL;
    int rc =
        souk_multipart_parse(&m, boundary, (const unsigned char *)req->body, req->body_len, &lim, req->arena, &why);
    if (rc == SOUK_MULTIPART_E_TOO_LARGE)
        return souk_res_error(res, SOUK_E_PAYLOAD_TOO_LARGE, why);
    if (rc == SOUK_MULTIPART_E_MEMORY)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (rc < 0)
        return souk_res_error(res, SOUK_E_BAD_REQUEST, why);
    for (size_t i = 0; i < m.count; i++)
        if (strcmp(m.parts[i].name, "file") != 0 && strcmp(m.parts[i].name, "alt") != 0)
            souk_problems_add(&res->problems, req->arena, souk_arena_strdup(req->arena, m.parts[i].name),
                              "Unknown form field (send \"file\" and optionally \"alt\").");
    const souk_multipart_part *file = souk_multipart_get(&m, "file"), *alt = souk_multipart_get(&m, "alt");
    if (!file)
        souk_problems_add(&res->problems, req->arena, "file", "Required: the image, as a file part.");
    if (alt && alt->filename)
        souk_problems_add(&res->problems, req->arena, "alt", "A text field, not a file.");
    else if (alt && alt->len > ALT_MAX)
        souk_problems_add(&res->problems, req->arena, "alt", "At most %d bytes.", ALT_MAX);
    else if (alt && (!souk_jw_utf8_valid(alt->data, alt->len) || memchr(alt->data, 0, alt->len)))
        souk_problems_add(&res->problems, req->arena, "alt", "Not valid UTF-8 text.");
    if (alt && souk_query_get(&req->query, "alt"))
        souk_problems_add(&res->problems, req->arena, "alt", "Given both as a query parameter and a form field.");
    if (res->problems.count)
        return souk_res_invalid(res);
    u->declared = souk_catalog_image_format_of_mime(file->content_type);
    if (u->declared == SOUK_IMAGE_NONE)
        return souk_res_error(res, SOUK_E_UNSUPPORTED_MEDIA_TYPE,
                              "Give the file part a Content-Type of image/jpeg, image/png, image/webp or image/gif.");
    u->bytes = file->data;
    u->len = file->len;
    if (alt) {
        char *t = souk_arena_strndup(req->arena, (const char *)alt->data, alt->len);
        if (!t)
            return souk_res_error(res, SOUK_E_INTERNAL, NULL);
        u->alt = t;
    }
    return 0;
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
    upload u = {.alt = souk_query_get(&req->query, "alt")};
    if (u.alt && strlen(u.alt) > ALT_MAX) {
        souk_problems_add(&res->problems, req->arena, "alt", "At most %d bytes.", ALT_MAX);
        return souk_res_invalid(res);
    }
    const char *ct = souk_req_header(req, "content-type"), *why = NULL;
    char boundary[SOUK_MULTIPART_BOUNDARY_MAX + 1];
    int form = souk_multipart_boundary(ct, boundary, &why);
    if (form < 0)
        return souk_res_error(res, SOUK_E_BAD_REQUEST, why);
    if (form && form_upload(req, res, boundary, &u))
        return res->err;
    if (!form) {
        u.declared = souk_catalog_image_format_of_mime(ct);
        if (u.declared == SOUK_IMAGE_NONE)
            return souk_res_error(res, SOUK_E_UNSUPPORTED_MEDIA_TYPE, raw_types);
        u.bytes = (const unsigned char *)req->body;
        u.len = req->body_len;
    }
    if (u.len == 0)
        return souk_res_error(res, SOUK_E_VALIDATION, form ? "The file part is empty." : "The body is empty.");
    const souk_image_settings *s = souk_catalog_image_settings(req->config->db_dsn);
    souk_image_prepared img;
    souk_err e = souk_catalog_image_prepare(s, u.bytes, u.len, u.declared, &img, &why);
    if (e)
        return souk_res_error(res, e, why);
    int64_t image_id = 0;
    bool created = false;
    e = souk_catalog_image_attach(req->store, product, &img, u.alt, &image_id, &created);
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
