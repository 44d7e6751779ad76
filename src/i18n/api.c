/*
 * api.c — the HTTP handlers of languages: the enabled locales and the
 * translations of catalog objects. Writes run in the request's write
 * transaction (the group committer) and are audited by the server
 * (souk_res_audit names what changed).
 */
#include "i18n/api.h"

#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "i18n/i18n.h"
#include "core/banned.h"

static int answer_locales(souk_req *req, souk_res *res)
{
    souk_i18n_locales l;
    souk_err e = souk_i18n_locales_read(req->store, &l);
    if (e)
        return souk_res_error(res, e, NULL);
    json_t *j = souk_i18n_locales_json(&l);
    return j ? souk_res_json(res, 200, j) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

int souk_i18n_api_locales_get(souk_req *req, souk_res *res)
{
    return answer_locales(req, res);
}

int souk_i18n_api_locales_put(souk_req *req, souk_res *res)
{
    json_t *body = souk_req_json(req, res);
    if (!body)
        return res->err;
    souk_i18n_locales l;
    int rc = souk_i18n_locales_decode(body, &l, req->arena, &res->problems);
    json_decref(body);
    if (rc < 0)
        return souk_res_invalid(res);
    souk_err e = souk_i18n_locales_write_tx(req->store, &l, souk_time_now_us());
    if (e)
        return souk_res_error(res, e, NULL);
    souk_res_audit(res, "i18n_settings", "locales");
    json_t *j = souk_i18n_locales_json(&l);
    return j ? souk_res_json(res, 200, j) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

/* The {kind} and {id} path segments: 0, or the error answered. */
static int object_of(souk_req *req, souk_res *res, souk_i18n_kind *kind, int64_t *id)
{
    int k = souk_i18n_kind_parse(req->params[0]);
    if (k < 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND,
                              "Translations are kept for products, categories, brands and shipping methods.");
    *kind = (souk_i18n_kind)k;
    if (souk_req_path_id(req, res, 1, souk_i18n_kind_prefix(*kind), id))
        return res->err;
    souk_err e = souk_i18n_object_exists(req->store, *kind, *id);
    if (e)
        return souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "No such object." : NULL);
    return 0;
}

/* The {locale} segment as an enabled locale other than the default into
 * OUT: 0, or the error answered (422). */
static int locale_of(souk_req *req, souk_res *res, char out[SOUK_I18N_TAG_MAX])
{
    souk_i18n_locales l;
    souk_err e = souk_i18n_locales_read(req->store, &l);
    if (e)
        return souk_res_error(res, e, NULL);
    const char *p = req->params[2];
    if (souk_i18n_tag_canon(p, strlen(p), out) == 0)
        for (size_t i = 1; i < l.n; i++)
            if (strcmp(l.tags[i], out) == 0)
                return 0;
    if (souk_i18n_tag_canon(p, strlen(p), out) == 0 && strcmp(l.tags[0], out) == 0)
        souk_problems_add(&res->problems, req->arena, "locale",
                          "is the default locale: its texts are the object's own fields (edit the object)");
    else
        souk_problems_add(&res->problems, req->arena, "locale",
                          "is not one of the store's enabled locales (PUT /api/v1/admin/locales)");
    return souk_res_invalid(res);
}

static int answer(souk_req *req, souk_res *res, souk_i18n_kind kind, int64_t id)
{
    json_t *t = NULL;
    souk_i18n_locales l;
    souk_err e = souk_i18n_locales_read(req->store, &l);
    if (!e)
        e = souk_i18n_translations_json(req->store, kind, id, &t);
    if (e)
        return souk_res_error(res, e, NULL);
    char ref[SOUK_ID_TEXT_MAX];
    json_t *j =
        json_pack("{s:s,s:s,s:s,s:o}", "kind", req->params[0], "id",
                  souk_id_format(souk_i18n_kind_prefix(kind), id, ref), "default", l.tags[0], "translations", t);
    return j ? souk_res_json(res, 200, j) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

int souk_i18n_api_get(souk_req *req, souk_res *res)
{
    souk_i18n_kind kind;
    int64_t id;
    if (object_of(req, res, &kind, &id))
        return res->err;
    return answer(req, res, kind, id);
}

static void audit(souk_req *req, souk_res *res, souk_i18n_kind kind, int64_t id)
{
    char ref[SOUK_ID_TEXT_MAX];
    souk_res_audit(
        res, "translation",
        souk_arena_printf(req->arena, "%s/%s", souk_id_format(souk_i18n_kind_prefix(kind), id, ref), req->params[2]));
}

int souk_i18n_api_put(souk_req *req, souk_res *res)
{
    souk_i18n_kind kind;
    int64_t id;
    char locale[SOUK_I18N_TAG_MAX];
    if (object_of(req, res, &kind, &id) || locale_of(req, res, locale))
        return res->err;
    json_t *body = souk_req_json(req, res);
    if (!body)
        return res->err;
    souk_i18n_field fields[SOUK_I18N_FIELDS_MAX];
    size_t n = 0;
    int rc = souk_i18n_fields_decode(kind, body, fields, &n, req->arena, &res->problems);
    json_decref(body);
    if (rc < 0)
        return souk_res_invalid(res);
    souk_err e = souk_i18n_set_tx(req->store, kind, id, locale, fields, n, souk_time_now_us());
    if (e)
        return souk_res_error(res, e, NULL);
    audit(req, res, kind, id);
    return answer(req, res, kind, id);
}

int souk_i18n_api_delete(souk_req *req, souk_res *res)
{
    souk_i18n_kind kind;
    int64_t id;
    char locale[SOUK_I18N_TAG_MAX];
    if (object_of(req, res, &kind, &id) || locale_of(req, res, locale))
        return res->err;
    souk_err e = souk_i18n_delete_tx(req->store, kind, id, locale, NULL);
    if (e)
        return souk_res_error(res, e, NULL);
    audit(req, res, kind, id);
    res->status = 204;
    return 0;
}
