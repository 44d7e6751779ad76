/*
 * api.c — the recommendation routes: four lists for shoppers (answered from
 * the in-memory snapshot, rendered as the product list renders a product)
 * and the admin routes of the model registry and the A/B tests.
 */
#include "recommend/api.h"

#include <stdio.h>
#include <string.h>

#include "behaviour/behaviour.h"
#include "cart/cart.h"
#include "catalog/catalog.h"
#include "core/id.h"
#include "core/jsonw.h"
#include "core/query_spec.h"
#include "core/time.h"
#include "recommend/service.h"
#include "core/banned.h"

#define RECENT_PURCHASE_DAYS 90
#define SHARED_CACHE "public, max-age=3600" /* anonymous lists that are no one's own: an hour (PRODUCT.md) */
#define EXCLUDE_MAX 100

typedef struct list_in {
    int64_t limit;
    const char *category, *vendor, *anonymous_id;
    char currency[4];
    uint64_t present;
} list_in;

static const souk_query_field list_fields[] = {
    SOUK_QUERY_F_INT("limit", list_in, limit, 1, SOUK_REC_LIMIT_MAX),
    SOUK_QUERY_F_TEXT("category", list_in, category, 1, 100),
    SOUK_QUERY_F_TEXT("vendor", list_in, vendor, 1, 100),
    SOUK_QUERY_F_TEXT("anonymous_id", list_in, anonymous_id, SOUK_BEHAVIOUR_ANON_MIN, SOUK_BEHAVIOUR_ID_MAX),
    SOUK_QUERY_F_CUSTOM("currency", list_in, currency, souk_catalog_query_currency),
};
static const souk_query_spec list_spec = SOUK_QUERY_SPEC(list_in, list_fields);

static int64_t user_of(const souk_req *req)
{
    return req->principal.kind == SOUK_ACTOR_USER ? req->principal.user_id : 0;
}

/* Decodes the list parameters into IN and Q (category resolved). */
static int decode(souk_req *req, souk_res *res, list_in *in, souk_rec_ask *q)
{
    memset(q, 0, sizeof *q);
    *in = (list_in){.limit = 10};
    memcpy(in->currency, req->config->currency, 4);
    if (souk_query_decode(&list_spec, &req->query, in, req->arena, &res->problems) < 0)
        return souk_res_invalid(res);
    q->limit = (size_t)in->limit;
    q->user = user_of(req);
    if (in->category) {
        souk_err e = souk_catalog_taxon_resolve(req->store, SOUK_TAXON_CATEGORY, in->category, &q->category);
        if (e == SOUK_E_NOT_FOUND) {
            souk_problems_add(&res->problems, req->arena, "category", "no such category");
            return souk_res_invalid(res);
        }
        if (e)
            return souk_res_error(res, e, NULL);
    }
    if (in->vendor) {
        souk_err e = souk_catalog_taxon_resolve(req->store, SOUK_TAXON_VENDOR, in->vendor, &q->vendor);
        if (e == SOUK_E_NOT_FOUND) {
            souk_problems_add(&res->problems, req->arena, "vendor", "no such vendor");
            return souk_res_invalid(res);
        }
        if (e)
            return souk_res_error(res, e, NULL);
    }
    return 0;
}

/* Renders ANSWER as {data, model_version, list, strategy}. */
static int send(souk_req *req, souk_res *res, const list_in *in, const char *list, const souk_rec_answer *ans)
{
    int64_t ids[SOUK_REC_LIMIT_MAX];
    double scores[SOUK_REC_LIMIT_MAX];
    for (size_t i = 0; i < ans->count; i++) {
        ids[i] = ans->items[i].item;
        scores[i] = ans->items[i].score;
    }
    SOUK_JW_LIT(&res->body, "{\"data\":");
    souk_err e =
        souk_catalog_summaries_write(req->store, ids, ans->count, scores, in->currency, req->arena, &res->body, NULL);
    if (e)
        return souk_res_error(res, e, NULL);
    SOUK_JW_LIT(&res->body, ",\"model_version\":");
    souk_jw_int_or_null(&res->body, ans->model_version, ans->model_version == 0);
    SOUK_JW_LIT(&res->body, ",\"list\":");
    souk_jw_str(&res->body, list, SOUK_JW_HTML_SAFE);
    SOUK_JW_LIT(&res->body, ",\"strategy\":");
    souk_jw_str(&res->body, ans->strategy ? ans->strategy : "none", SOUK_JW_HTML_SAFE);
    souk_buf_addc(&res->body, '}');
    if (souk_buf_failed(&res->body))
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (!res->cache_control)
        res->cache_control = req->principal.kind == SOUK_ACTOR_ANONYMOUS ? SHARED_CACHE : "private, no-store";
    /* kept in the response cache (anonymous callers without a cart: the route's cache_anonymous) until the
     * snapshot it came from is replaced, or stock moves (the lists leave out what is sold out) */
    res->cache_tags = SOUK_CACHE_TAG_STOCK | SOUK_CACHE_TAG_RECS;
    res->status = 200;
    return 0;
}

static int fail(souk_res *res, souk_err e)
{
    if (e == SOUK_E_UNAVAILABLE) {
        res->retry_after = "1";
        return souk_res_error(res, e, "Recommendations are being prepared; retry in a second.");
    }
    return souk_res_error(res, e, NULL);
}

static int product_param(souk_req *req, souk_res *res, int64_t *id)
{
    const char *p = req->nparams ? req->params[0] : "";
    if (souk_id_parse(SOUK_PREFIX_PRODUCT, p, strlen(p), id) < 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such product.");
    return 0;
}

int souk_rec_api_trending(souk_req *req, souk_res *res)
{
    list_in in;
    souk_rec_ask q;
    if (decode(req, res, &in, &q))
        return res->err;
    souk_rec_answer ans;
    souk_err e = souk_rec_trending(&q, &ans);
    return e ? fail(res, e) : send(req, res, &in, "trending", &ans);
}

int souk_rec_api_similar(souk_req *req, souk_res *res)
{
    list_in in;
    souk_rec_ask q;
    int64_t product;
    if (product_param(req, res, &product) || decode(req, res, &in, &q))
        return res->err;
    q.subject = in.anonymous_id;
    souk_rec_answer ans;
    souk_err e = souk_rec_similar(product, &q, &ans);
    if (e == SOUK_E_NOT_FOUND)
        return souk_res_error(res, e, "No such active product.");
    return e ? fail(res, e) : send(req, res, &in, "similar", &ans);
}

int souk_rec_api_bought_together(souk_req *req, souk_res *res)
{
    list_in in;
    souk_rec_ask q;
    int64_t product;
    if (product_param(req, res, &product) || decode(req, res, &in, &q))
        return res->err;
    souk_rec_answer ans;
    souk_err e = souk_rec_bought_together(product, &q, &ans);
    if (e == SOUK_E_NOT_FOUND)
        return souk_res_error(res, e, "No such active product.");
    return e ? fail(res, e) : send(req, res, &in, "bought-together", &ans);
}

/* What the shopper bought lately and has in the cart, into EX (at most EXCLUDE_MAX). */
static size_t exclusions(souk_req *req, const souk_rec_ask *q, int64_t *ex)
{
    size_t n = 0;
    if (q->user) { /* purchases are the account's (the server records them from orders) */
        souk_stmt *st = souk_store_query(
            req->store,
            "SELECT DISTINCT product_id FROM recommend_purchases WHERE user_id = $1 "
            "AND at >= $2 LIMIT $3",
            SOUK_ARGS(SOUK_I64(q->user), SOUK_I64(souk_time_now_us() - (int64_t)RECENT_PURCHASE_DAYS * 86400 * 1000000),
                      SOUK_I64(EXCLUDE_MAX / 2)));
        while (n < EXCLUDE_MAX / 2 && souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&ex[n]))) == SOUK_DB_ROW)
            n++;
        souk_stmt_done(st);
    }
    int64_t cart;
    size_t in_cart = 0; /* the cart's products only: neither priced nor rendered */
    if (souk_cart_find(req->store, q->user, souk_req_header(req, "x-cart-token"), &cart) == SOUK_OK &&
        souk_cart_product_ids(req->store, cart, ex + n, EXCLUDE_MAX - n, &in_cart) == SOUK_OK)
        n += in_cart;
    return n;
}

int souk_rec_api_for_you(souk_req *req, souk_res *res)
{
    list_in in;
    souk_rec_ask q;
    if (decode(req, res, &in, &q))
        return res->err;
    char subject[SOUK_ID_TEXT_MAX];
    if (q.user)
        q.subject = souk_id_format("usr", q.user, subject);
    else if (in.anonymous_id) {
        q.subject = in.anonymous_id;
        souk_store_one(req->store, "SELECT id FROM recommend_visitors WHERE anonymous_id = $1",
                       SOUK_ARGS(SOUK_TEXT(in.anonymous_id)), SOUK_COLS(SOUK_COL_I64(&q.visitor)));
    }
    int64_t ex[EXCLUDE_MAX];
    q.exclude = ex;
    q.nexclude = exclusions(req, &q, ex);
    souk_rec_answer ans;
    souk_err e = souk_rec_for_you(&q, &ans);
    res->cache_control = "private, no-store";
    return e ? fail(res, e) : send(req, res, &in, "for-you", &ans);
}
