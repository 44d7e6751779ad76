/*
 * api_admin.c — the admin routes of recommendations (recommendations:manage):
 * the model versions (list, detail with metrics, train, activate, roll back)
 * and the A/B tests (list, start, results, stop).
 */
#include "recommend/api.h"

#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "core/query.h"
#include "recommend/service.h"
#include "core/banned.h"

static const char *actor_of(souk_req *req)
{
    const souk_principal *p = &req->principal;
    return p->kind == SOUK_ACTOR_USER      ? souk_arena_printf(req->arena, "user:%lld", (long long)p->user_id)
           : p->kind == SOUK_ACTOR_API_KEY ? souk_arena_printf(req->arena, "api_key:%lld", (long long)p->key_id)
                                           : "anonymous";
}

/* Path parameter 0 as a positive integer (a version or a test id), else 404. */
static int number_param(souk_req *req, souk_res *res, int64_t *v, const char *what)
{
    if (!req->nparams || souk_query_int(req->params[0], 1, INT32_MAX, v) < 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, what);
    return 0;
}

static int send_json(souk_res *res, int status, json_t *j)
{
    return j ? souk_res_json(res, status, j) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

int souk_rec_api_models(souk_req *req, souk_res *res)
{
    return send_json(res, 200, souk_rec_models_json(req->store, 100));
}

int souk_rec_api_model(souk_req *req, souk_res *res)
{
    int64_t v;
    if (number_param(req, res, &v, "No such model version."))
        return res->err;
    json_t *j;
    souk_err e = souk_rec_model_json(req->store, v, &j);
    if (e)
        return souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "No such model version." : NULL);
    return souk_res_json(res, 200, j);
}

typedef struct train_ctx {
    const json_t *params;
    souk_req *req;
    souk_problems *pr;
} train_ctx;

static souk_err train_body(souk_store *db, void *arg)
{
    train_ctx *c = arg;
    return souk_rec_train_enqueue_tx(db, c->params, c->req->arena, c->pr);
}

int souk_rec_api_train(souk_req *req, souk_res *res)
{
    json_t *body = NULL;
    if (req->body_len) {
        body = souk_req_json(req, res);
        if (!body)
            return res->err;
        const char *key;
        json_t *v;
        json_object_foreach(body, key, v) if (strcmp(key, "params") != 0)
            souk_problems_add(&res->problems, req->arena, key, "unknown field");
        if (res->problems.count) {
            json_decref(body);
            return souk_res_invalid(res);
        }
    }
    train_ctx c = {json_object_get(body, "params"), req, &res->problems};
    souk_err e = souk_store_run(req->store, train_body, &c, &res->problems);
    json_decref(body);
    if (e)
        return souk_res_error(res, e, NULL);
    souk_res_audit(res, "rec_model", "training");
    return souk_res_json(res, 202,
                         json_pack("{s:s,s:s}", "status", "queued", "message",
                                   "A training job is queued; GET /api/v1/admin/recommendations/models shows its "
                                   "version once it starts."));
}

typedef struct act_ctx {
    int64_t version;
    const char *actor;
} act_ctx;

static souk_err activate_body(souk_store *db, void *arg)
{
    act_ctx *c = arg;
    return souk_rec_activate_tx(db, c->version, c->actor, "activated by an admin");
}

static souk_err rollback_body(souk_store *db, void *arg)
{
    act_ctx *c = arg;
    return souk_rec_rollback_tx(db, c->actor, &c->version);
}

static int answer_model(souk_req *req, souk_res *res, int64_t version)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)version);
    souk_res_audit(res, "rec_model", souk_arena_strdup(req->arena, id));
    json_t *j;
    souk_err e = souk_rec_model_json(req->store, version, &j);
    return e ? souk_res_error(res, e, NULL) : souk_res_json(res, 200, j);
}

int souk_rec_api_activate(souk_req *req, souk_res *res)
{
    act_ctx c = {.actor = actor_of(req)};
    if (number_param(req, res, &c.version, "No such model version."))
        return res->err;
    souk_err e = souk_store_run(req->store, activate_body, &c, NULL);
    if (e == SOUK_E_NOT_FOUND)
        return souk_res_error(res, e, "No such model version.");
    if (e == SOUK_E_INVALID_STATE)
        return souk_res_error(res, SOUK_E_CONFLICT, "Only a ready model can be activated.");
    return e ? souk_res_error(res, e, NULL) : answer_model(req, res, c.version);
}

int souk_rec_api_rollback(souk_req *req, souk_res *res)
{
    act_ctx c = {.actor = actor_of(req)};
    souk_err e = souk_store_run(req->store, rollback_body, &c, NULL);
    if (e == SOUK_E_INVALID_STATE)
        return souk_res_error(res, SOUK_E_CONFLICT, "No earlier active model to roll back to.");
    return e ? souk_res_error(res, e, NULL) : answer_model(req, res, c.version);
}

int souk_rec_api_ab_list(souk_req *req, souk_res *res)
{
    return send_json(res, 200, souk_rec_ab_list_json(req->store));
}

typedef struct ab_in {
    const char *name;
    int64_t version_a, version_b, percent_b;
    uint64_t present, nulls;
} ab_in;

static const souk_json_field ab_fields[] = {
    SOUK_JSON_F_STRING("name", SOUK_JSON_REQUIRED, ab_in, name, 1, 100, NULL),
    SOUK_JSON_F_INT("version_a", SOUK_JSON_REQUIRED, ab_in, version_a, 1, INT32_MAX),
    SOUK_JSON_F_INT("version_b", SOUK_JSON_REQUIRED, ab_in, version_b, 1, INT32_MAX),
    SOUK_JSON_F_INT("percent_b", 0, ab_in, percent_b, 1, 99),
};
static const souk_json_spec ab_spec = SOUK_JSON_SPEC(ab_in, ab_fields);

typedef struct ab_ctx {
    ab_in in;
    int64_t id;
} ab_ctx;

static souk_err ab_start_body(souk_store *db, void *arg)
{
    ab_ctx *c = arg;
    return souk_rec_ab_start_tx(db, c->in.name, c->in.version_a, c->in.version_b, (int)c->in.percent_b, &c->id);
}

static int answer_ab(souk_req *req, souk_res *res, int64_t id, int status)
{
    char text[24];
    snprintf(text, sizeof text, "%lld", (long long)id);
    souk_res_audit(res, "rec_ab_test", souk_arena_strdup(req->arena, text));
    json_t *j;
    souk_err e = souk_rec_ab_json(req->store, id, &j);
    return e ? souk_res_error(res, e, NULL) : souk_res_json(res, status, j);
}

int souk_rec_api_ab_start(souk_req *req, souk_res *res)
{
    ab_ctx c = {0};
    if (souk_req_decode(req, res, &ab_spec, &c.in))
        return res->err;
    if (!c.in.percent_b)
        c.in.percent_b = 50;
    if (c.in.version_a == c.in.version_b) {
        souk_problems_add(&res->problems, req->arena, "version_b", "must differ from version_a");
        return souk_res_invalid(res);
    }
    souk_err e = souk_store_run(req->store, ab_start_body, &c, NULL);
    if (e == SOUK_E_NOT_FOUND)
        return souk_res_error(res, e, "No such model version.");
    if (e == SOUK_E_INVALID_STATE)
        return souk_res_error(res, SOUK_E_CONFLICT, "Both versions must be ready models.");
    if (e == SOUK_E_CONFLICT)
        return souk_res_error(res, e, "An A/B test is running already; stop it first.");
    return e ? souk_res_error(res, e, NULL) : answer_ab(req, res, c.id, 201);
}

int souk_rec_api_ab_get(souk_req *req, souk_res *res)
{
    int64_t id;
    if (number_param(req, res, &id, "No such A/B test."))
        return res->err;
    json_t *j;
    souk_err e = souk_rec_ab_json(req->store, id, &j);
    if (e)
        return souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "No such A/B test." : NULL);
    return souk_res_json(res, 200, j);
}

static souk_err ab_stop_body(souk_store *db, void *arg)
{
    return souk_rec_ab_stop_tx(db, *(int64_t *)arg);
}

int souk_rec_api_ab_stop(souk_req *req, souk_res *res)
{
    int64_t id;
    if (number_param(req, res, &id, "No such A/B test."))
        return res->err;
    souk_err e = souk_store_run(req->store, ab_stop_body, &id, NULL);
    if (e == SOUK_E_NOT_FOUND)
        return souk_res_error(res, e, "No such A/B test.");
    if (e == SOUK_E_INVALID_STATE)
        return souk_res_error(res, SOUK_E_CONFLICT, "The test is stopped already.");
    return e ? souk_res_error(res, e, NULL) : answer_ab(req, res, id, 200);
}
