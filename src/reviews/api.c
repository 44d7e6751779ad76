/*
 * api.c — the HTTP handlers of reviews: decode and bound the input, call
 * the rules (write.c) and the reads (read.c). Writes run in the request's
 * write transaction and are audited by the server (souk_res_audit names
 * the review).
 */
#include "reviews/api.h"

#include <string.h>

#include "catalog/catalog.h"
#include "core/id.h"
#include "core/json.h"
#include "core/query_spec.h"
#include "reviews/internal.h"
#include "core/banned.h"

static const char *title_check(const char *s, size_t len)
{
    return souk_reviews_text_problem(s, len, 1, SOUK_REVIEWS_TITLE_MAX, false);
}

static const char *body_check(const char *s, size_t len)
{
    return souk_reviews_text_problem(s, len, 1, SOUK_REVIEWS_BODY_MAX, true);
}

static const char *note_check(const char *s, size_t len)
{
    return souk_reviews_text_problem(s, len, 1, SOUK_REVIEWS_NOTE_MAX, true);
}

static const char *status_check(const char *s, size_t len)
{
    (void)len;
    for (size_t i = 0; souk__reviews_statuses[i]; i++)
        if (strcmp(s, souk__reviews_statuses[i]) == 0)
            return NULL;
    return "must be pending, approved or rejected";
}

typedef struct review_in {
    int64_t rating;
    const char *title, *body, *status, *note;
    bool keep;
    uint64_t present, nulls;
} review_in;

static const souk_json_field create_fields[] = {
    SOUK_JSON_F_INT("rating", SOUK_JSON_REQUIRED, review_in, rating, 1, 5),
    SOUK_JSON_F_STRING("title", SOUK_JSON_REQUIRED, review_in, title, 1, SOUK_REVIEWS_TITLE_MAX, title_check),
    SOUK_JSON_F_STRING("body", SOUK_JSON_REQUIRED, review_in, body, 1, SOUK_REVIEWS_BODY_MAX, body_check),
};
static const souk_json_field moderate_fields[] = {
    SOUK_JSON_F_STRING("status", SOUK_JSON_REQUIRED, review_in, status, 1, 16, status_check),
    SOUK_JSON_F_STRING("note", SOUK_JSON_NULLABLE, review_in, note, 1, SOUK_REVIEWS_NOTE_MAX, note_check),
};
static const souk_json_field settings_fields[] = {
    SOUK_JSON_F_BOOL("erasure_keeps_text", SOUK_JSON_REQUIRED, review_in, keep),
};
static const souk_json_spec create_spec = SOUK_JSON_SPEC(review_in, create_fields),
                            moderate_spec = SOUK_JSON_SPEC(review_in, moderate_fields),
                            settings_spec = SOUK_JSON_SPEC(review_in, settings_fields);

static const char *const sort_names[] = {"newest", "helpful", "rating", "rating_asc", NULL};
static const char *const status_names[] = {"pending", "approved", "rejected", NULL};

typedef struct page_in {
    int64_t limit, offset, product;
    int sort, status;
    uint64_t present;
} page_in;

enum { P_LIMIT, P_OFFSET, P_SORT };
static const souk_query_field list_fields[] = {
    [P_LIMIT] = SOUK_QUERY_F_INT("limit", page_in, limit, 1, SOUK_REVIEWS_PAGE_MAX),
    [P_OFFSET] = SOUK_QUERY_F_INT("offset", page_in, offset, 0, SOUK_REVIEWS_OFFSET_MAX),
    [P_SORT] = SOUK_QUERY_F_ENUM("sort", page_in, sort, sort_names),
};
enum { A_LIMIT, A_OFFSET, A_STATUS, A_PRODUCT };
static const souk_query_field admin_fields[] = {
    [A_LIMIT] = SOUK_QUERY_F_INT("limit", page_in, limit, 1, SOUK_REVIEWS_PAGE_MAX),
    [A_OFFSET] = SOUK_QUERY_F_INT("offset", page_in, offset, 0, SOUK_REVIEWS_OFFSET_MAX),
    [A_STATUS] = SOUK_QUERY_F_ENUM("status", page_in, status, status_names),
    [A_PRODUCT] = SOUK_QUERY_F_ID("product_id", page_in, product, SOUK_PREFIX_PRODUCT),
};
enum { S_LIMIT, S_PRODUCT };
static const souk_query_field sentiment_fields[] = {
    [S_LIMIT] = SOUK_QUERY_F_INT("limit", page_in, limit, 1, SOUK_REVIEWS_PAGE_MAX),
    [S_PRODUCT] = SOUK_QUERY_F_ID("product_id", page_in, product, SOUK_PREFIX_PRODUCT),
};
static const souk_query_spec list_spec = SOUK_QUERY_SPEC(page_in, list_fields),
                             admin_spec = SOUK_QUERY_SPEC(page_in, admin_fields),
                             sentiment_spec = SOUK_QUERY_SPEC(page_in, sentiment_fields);

#define DEFAULT_PAGE 20

/* Decodes the query of REQ by SPEC into IN (limit defaulted); 0 or the error set on RES. */
static int decode_query(souk_req *req, souk_res *res, const souk_query_spec *spec, page_in *in)
{
    memset(in, 0, sizeof *in);
    if (souk_query_decode(spec, &req->query, in, req->arena, &res->problems) < 0)
        return souk_res_invalid(res);
    if (!souk_query_present(spec, in, 0))
        in->limit = DEFAULT_PAGE;
    return 0;
}

/* The signed-in account of REQ, or 0 after a 403 set on RES. */
static int64_t account_of(souk_req *req, souk_res *res)
{
    if (req->principal.kind != SOUK_ACTOR_USER || !req->principal.user_id) {
        souk_res_error(res, SOUK_E_FORBIDDEN, "Reviews and votes come from a signed-in customer's account.");
        return 0;
    }
    return req->principal.user_id;
}

int souk_reviews_api_list(souk_req *req, souk_res *res)
{
    int64_t product;
    page_in in;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_PRODUCT, &product) || decode_query(req, res, &list_spec, &in))
        return res->err;
    static const souk_reviews_sort sorts[] = {SOUK_REVIEWS_SORT_NEWEST, SOUK_REVIEWS_SORT_HELPFUL,
                                              SOUK_REVIEWS_SORT_RATING_DESC, SOUK_REVIEWS_SORT_RATING_ASC};
    json_t *out;
    souk_err e = souk_reviews_product_json(req->store, product, sorts[in.sort], (int)in.limit, (int)in.offset, &out);
    if (e)
        return souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "No such product." : NULL);
    return souk_res_json(res, 200, out);
}

int souk_reviews_api_create(souk_req *req, souk_res *res)
{
    int64_t product, user;
    review_in in;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_PRODUCT, &product) || !(user = account_of(req, res)) ||
        souk_req_decode(req, res, &create_spec, &in))
        return res->err;
    souk_reviews_input r = {.rating = (int)in.rating, .title = in.title, .body = in.body};
    int64_t id;
    const char *why;
    souk_err e = souk_reviews_create_tx(req->store, user, product, &r, &id, &why);
    if (e)
        return souk_res_error(res, e, why);
    char rid[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "review", souk_arena_strdup(req->arena, souk_id_format(SOUK_PREFIX_REVIEW, id, rid)));
    json_t *one = souk_reviews_one_json(req->store, id, &e);
    if (!one)
        return souk_res_error(res, e, NULL);
    json_object_del(one, "moderation");
    json_object_del(one, "order_id");
    return souk_res_json(res, 201, one);
}

int souk_reviews_api_vote(souk_req *req, souk_res *res)
{
    int64_t id, user, helpful = 0;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_REVIEW, &id) || !(user = account_of(req, res)))
        return res->err;
    souk_err e = souk_reviews_vote_tx(req->store, id, user, &helpful);
    if (e)
        return souk_res_error(res, e,
                              e == SOUK_E_NOT_FOUND   ? "No such review."
                              : e == SOUK_E_FORBIDDEN ? "You cannot vote for your own review."
                              : e == SOUK_E_CONFLICT  ? "You have voted for this review already."
                                                      : NULL);
    souk_res_audit(res, "review", req->params[0]);
    return souk_res_json(res, 200, json_pack("{s:s,s:I}", "id", req->params[0], "helpful", (json_int_t)helpful));
}

int souk_reviews_api_admin_list(souk_req *req, souk_res *res)
{
    page_in in;
    if (decode_query(req, res, &admin_spec, &in))
        return res->err;
    const char *status = souk_query_present(&admin_spec, &in, A_STATUS) ? status_names[in.status] : NULL;
    json_t *out = souk_reviews_admin_json(req->store, status, in.product, (int)in.limit, (int)in.offset);
    return out ? souk_res_json(res, 200, out) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

int souk_reviews_api_moderate(souk_req *req, souk_res *res)
{
    int64_t id;
    review_in in;
    if (souk_req_path_id(req, res, 0, SOUK_PREFIX_REVIEW, &id) || souk_req_decode(req, res, &moderate_spec, &in))
        return res->err;
    int64_t moderator = req->principal.user_id;
    souk_err e = souk_reviews_moderate_tx(req->store, id, in.status, in.note, moderator);
    if (e)
        return souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "No such review." : NULL);
    souk_res_audit(res, "review", req->params[0]);
    json_t *one = souk_reviews_one_json(req->store, id, &e);
    return one ? souk_res_json(res, 200, one) : souk_res_error(res, e, NULL);
}

int souk_reviews_api_sentiment(souk_req *req, souk_res *res)
{
    page_in in;
    if (decode_query(req, res, &sentiment_spec, &in))
        return res->err;
    json_t *out = souk_reviews_sentiment_json(req->store, in.product, (int)in.limit);
    return out ? souk_res_json(res, 200, out) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

int souk_reviews_api_settings_get(souk_req *req, souk_res *res)
{
    return souk_res_json(res, 200,
                         json_pack("{s:b}", "erasure_keeps_text", souk_reviews_erasure_keeps_text(req->store)));
}

int souk_reviews_api_settings_put(souk_req *req, souk_res *res)
{
    review_in in;
    if (souk_req_decode(req, res, &settings_spec, &in))
        return res->err;
    int r = souk_reviews_set_erasure_keeps_text_tx(req->store, in.keep);
    if (r < 0)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    souk_res_audit(res, "review_settings", "erasure_keeps_text");
    return souk_res_json(res, 200, json_pack("{s:b}", "erasure_keeps_text", in.keep));
}
