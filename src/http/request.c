/* request.c — the handler-facing helpers of http.h that do not depend on h2o. */
#include "http/http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/id.h"
#include "core/json.h"
#include "http/internal.h"
#include "core/banned.h"

/* permissions that include narrower ones */
static const struct {
    const char *broad, *narrow;
} implied[] = {
    {"catalog:write", "catalog:write:own"},
    {"orders:manage", "orders:fulfil:own"},
    {"orders:manage", "orders:read:any"},
    {"analytics:read", "analytics:read:own"},
    {"dynamic_pricing:approve", "dynamic_pricing:read"},
};

static bool contains_exactly(const char *have, const char *permission);

bool souk_permissions_contain(const char *have, const char *permission)
{
    if (contains_exactly(have, permission))
        return true;
    for (size_t i = 0; i < sizeof implied / sizeof implied[0]; i++)
        if (strcmp(implied[i].narrow, permission) == 0 && contains_exactly(have, implied[i].broad))
            return true;
    return false;
}

static bool contains_exactly(const char *have, const char *permission)
{
    if (!have)
        return false;
    size_t plen = strlen(permission);
    for (const char *s = have; *s;) {
        while (*s == ' ')
            s++;
        const char *e = s;
        while (*e && *e != ' ')
            e++;
        if ((e - s == 1 && *s == '*') || ((size_t)(e - s) == plen && memcmp(s, permission, plen) == 0))
            return true;
        s = e;
    }
    return false;
}

bool souk_req_can(const souk_req *req, const char *permission)
{
    if (strcmp(permission, "public") == 0)
        return true;
    if (!req->principal.authenticated)
        return false;
    if (strcmp(permission, "authenticated") == 0)
        return true;
    if (strcmp(permission, "session") == 0) /* the account owner in person, not a key */
        return req->principal.kind == SOUK_ACTOR_USER;
    return souk_permissions_contain(req->principal.permissions, permission);
}

const char *souk_req_header(souk_req *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

void souk_res_audit(souk_res *res, const char *object_type, const char *object_id)
{
    res->audit_object_type = object_type;
    res->audit_object_id = object_id;
}

int souk_res_error(souk_res *res, souk_err e, const char *message)
{
    res->err = e;
    res->err_message = message;
    res->status = souk_err_status(e);
    return (int)e;
}

int souk_res_invalid(souk_res *res)
{
    return souk_res_error(res, SOUK_E_VALIDATION, NULL);
}

/* json_dump_callback's writer: straight into the body, no copy in between */
static int dump_to_body(const char *buffer, size_t size, void *data)
{
    return souk_buf_add(data, buffer, size) < 0 ? -1 : 0;
}

int souk__res_json_dump(souk_res *res)
{
    json_t *j = res->json;
    res->json = NULL;
    if (!j || res->err) {
        json_decref(j);
        return 0;
    }
    int r = json_dump_callback(j, dump_to_body, &res->body, JSON_COMPACT);
    json_decref(j);
    if (souk_buf_failed(&res->body))
        return souk_res_error(res, SOUK_E_INTERNAL, "response too large");
    return r < 0 ? souk_res_error(res, SOUK_E_INTERNAL, NULL) : 0;
}

int souk_res_json(souk_res *res, int status, json_t *j)
{
    if (!j)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_buf_reset(&res->body);
    json_decref(res->json);
    res->json = NULL;
    if (res->json_later) { /* souk__http_finish serializes it, on the loop */
        res->json = j;
        res->status = status;
        return 0;
    }
    int r = json_dump_callback(j, dump_to_body, &res->body, JSON_COMPACT);
    json_decref(j);
    if (souk_buf_failed(&res->body))
        return souk_res_error(res, SOUK_E_INTERNAL, "response too large");
    if (r < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    res->status = status;
    return 0;
}

json_t *souk_req_json(souk_req *req, souk_res *res)
{
    const char *ct = souk_req_header(req, "content-type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0 || (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
        souk_res_error(res, SOUK_E_UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json");
        return NULL;
    }
    return souk_req_body_json(req, res);
}

json_t *souk_req_body_json(souk_req *req, souk_res *res)
{
    if (req->body_json)
        return json_incref(req->body_json);
    char err[200];
    json_t *j = souk_json_parse_object(req->body ? req->body : "", req->body_len, err, sizeof err);
    if (!j) {
        souk_problems_add(&res->problems, req->arena, "body", "%s", err);
        souk_res_error(res, SOUK_E_MALFORMED_JSON, NULL);
    }
    return j;
}

int souk_req_decode(souk_req *req, souk_res *res, const souk_json_spec *spec, void *out)
{
    json_t *j = souk_req_json(req, res);
    if (!j)
        return res->err;
    int r = souk_json_decode(spec, j, out, "", req->arena, &res->problems);
    json_decref(j);
    return r < 0 ? souk_res_invalid(res) : 0;
}

int souk_req_path_id(souk_req *req, souk_res *res, size_t i, const char *prefix, int64_t *id)
{
    const char *p = i < req->nparams ? req->params[i] : NULL;
    if (!p || souk_id_parse(prefix, p, strlen(p), id) < 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such object.");
    return 0;
}
