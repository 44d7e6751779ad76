/*
 * api.c — cart handlers. The current cart is the signed-in user's (access
 * token), or the guest cart named by the X-Cart-Token header. A cart token
 * is the only key to a guest cart: a wrong or someone else's token finds
 * nothing (404).
 */
#include "cart/api.h"

#include <string.h>

#include "cart/cart.h"
#include "core/id.h"
#include "core/json.h"
#include "core/money.h"
#include "core/banned.h"

typedef struct cart_in {
    const char *currency, *region, *shipping_method, *code, *cart_token;
    int64_t variant_id, quantity;
    uint64_t present, nulls;
} cart_in;

static const char *currency_check(const char *s, size_t len)
{
    return len == 3 && souk_currency_valid(s) ? NULL : "must be an ISO 4217 currency code such as USD";
}

static const char *region_check(const char *s, size_t len)
{
    if (len == 0)
        return NULL; /* "" clears the region */
    if (len < 2 || len > 6 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' || (len > 2 && s[2] != '-'))
        return "must be a country code such as GB, optionally with a subdivision such as US-CA";
    for (size_t i = 3; i < len; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return "must be a country code such as GB, optionally with a subdivision such as US-CA";
    return NULL;
}

#define F(name, type, flags, field, min, max, check, what) \
    {name, type, flags, offsetof(cart_in, field), min, max, 0, what, check, NULL, NULL}
#define SPEC(fields) {fields, sizeof fields / sizeof fields[0], sizeof(cart_in), offsetof(cart_in, present), \
                      offsetof(cart_in, nulls)}

static const souk_json_field create_fields[] = {
    F("currency", SOUK_JSON_STRING, 0, currency, 3, 3, currency_check, NULL),
};
static const souk_json_field update_fields[] = {
    F("currency", SOUK_JSON_STRING, 0, currency, 3, 3, currency_check, NULL),
    F("region", SOUK_JSON_STRING, 0, region, 0, 6, region_check, NULL),
    F("shipping_method", SOUK_JSON_STRING, 0, shipping_method, 0, 64, NULL, NULL),
};
static const souk_json_field add_fields[] = {
    F("variant_id", SOUK_JSON_ID, SOUK_JSON_REQUIRED, variant_id, 0, 0, NULL, "var"),
    F("quantity", SOUK_JSON_INT, SOUK_JSON_REQUIRED, quantity, 1, 999, NULL, NULL),
};
static const souk_json_field set_fields[] = {
    F("quantity", SOUK_JSON_INT, SOUK_JSON_REQUIRED, quantity, 0, 999, NULL, NULL),
};
static const souk_json_field coupon_fields[] = {
    F("code", SOUK_JSON_STRING, SOUK_JSON_REQUIRED, code, 1, 64, NULL, NULL),
};
static const souk_json_field merge_fields[] = {
    F("cart_token", SOUK_JSON_STRING, SOUK_JSON_REQUIRED, cart_token, 4, 80, NULL, NULL),
};
static const souk_json_spec create_spec = SPEC(create_fields), update_spec = SPEC(update_fields),
                            add_spec = SPEC(add_fields), set_spec = SPEC(set_fields),
                            coupon_spec = SPEC(coupon_fields), merge_spec = SPEC(merge_fields);

static int decode(souk_req *req, souk_res *res, const souk_json_spec *spec, cart_in *in, bool optional)
{
    if (optional && req->body_len == 0) {
        memset(in, 0, sizeof *in);
        return 0;
    }
    return souk_req_decode(req, res, spec, in);
}

static int64_t user_of(const souk_req *req)
{
    return req->principal.kind == SOUK_ACTOR_USER ? req->principal.user_id : 0;
}

/* the caller's cart, or a 404 set on RES */
static int current(souk_req *req, souk_res *res, int64_t *id)
{
    int r = souk_cart_find(req->store, user_of(req), souk_req_header(req, "x-cart-token"), id);
    if (r < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (r == 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND,
                              "No cart: create one with POST /api/v1/carts (guests send its X-Cart-Token).");
    return 0;
}

static int send_cart(souk_req *req, souk_res *res, int64_t id, json_t *j, int status);

static int show(souk_req *req, souk_res *res, int64_t id, int status)
{
    json_t *j;
    souk_err e = souk_cart_json(req->store, id, &j);
    if (e == SOUK_E_VALIDATION) /* prices rose, or a merge, past the cap since the lines were added */
        return souk_res_error(res, e, "the cart's total exceeds " SOUK_CART_MAX_TOTAL_TEXT " minor units; lower a quantity");
    if (e)
        return souk_res_error(res, e, NULL);
    return send_cart(req, res, id, j, status);
}

/* Answers STATUS with J, cart ID rendered already (J is taken). */
static int send_cart(souk_req *req, souk_res *res, int64_t id, json_t *j, int status)
{
    char buf[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "cart", souk_arena_strdup(req->arena, souk_id_format("cart", id, buf)));
    return souk_res_json(res, status, j);
}

int souk_cart_api_create(souk_req *req, souk_res *res)
{
    cart_in in;
    if (decode(req, res, &create_spec, &in, true))
        return res->err;
    const char *currency = in.currency ? in.currency : req->config->currency;
    int64_t user = user_of(req), id;
    if (user) {
        int r = souk_cart_find(req->store, user, NULL, &id);
        if (r < 0)
            return souk_res_error(res, SOUK_E_INTERNAL, NULL);
        if (r == 1)
            return show(req, res, id, 200); /* a customer has one cart */
    }
    char token[64] = "";
    if (souk_cart_create(req->store, user, currency, token, &id))
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    json_t *j;
    if (souk_cart_json(req->store, id, &j))
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (!user)
        json_object_set_new(j, "cart_token", json_string(token)); /* shown once */
    return souk_res_json(res, 201, j);
}

int souk_cart_api_get(souk_req *req, souk_res *res)
{
    int64_t id;
    if (current(req, res, &id))
        return res->err;
    return show(req, res, id, 200);
}

int souk_cart_api_update(souk_req *req, souk_res *res)
{
    int64_t id;
    cart_in in;
    if (current(req, res, &id) || decode(req, res, &update_spec, &in, false))
        return res->err;
    souk_err e = souk_cart_update(req->store, id, in.currency, in.region, in.shipping_method, req->arena, &res->problems);
    return e ? souk_res_error(res, e, NULL) : show(req, res, id, 200);
}

/* Answers a line change: E's error (NOT_FOUND as "No such line." when
 * LINE_MISSING), else the cart J rendered in the change's transaction, or a
 * fresh read when there is none (a cart still over the total cap). */
static int line_answer(souk_req *req, souk_res *res, int64_t id, souk_err e, json_t *j, bool line_missing)
{
    if (e == SOUK_E_NOT_FOUND && line_missing)
        return souk_res_error(res, e, "No such line.");
    if (e)
        return souk_res_error(res, e, NULL);
    return j ? send_cart(req, res, id, j, 200) : show(req, res, id, 200);
}

int souk_cart_api_line_add(souk_req *req, souk_res *res)
{
    int64_t id;
    cart_in in;
    if (current(req, res, &id) || decode(req, res, &add_spec, &in, false))
        return res->err;
    json_t *j;
    souk_err e = souk_cart_put_line(req->store, id, in.variant_id, in.quantity, false, req->arena, &res->problems, &j);
    return line_answer(req, res, id, e, j, false);
}

static int line_param(souk_req *req, souk_res *res, int64_t *variant)
{
    if (souk_id_parse("var", req->params[0], strlen(req->params[0]), variant) < 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such line.");
    return 0;
}

int souk_cart_api_line_set(souk_req *req, souk_res *res)
{
    int64_t id, variant;
    cart_in in;
    if (current(req, res, &id) || line_param(req, res, &variant) || decode(req, res, &set_spec, &in, false))
        return res->err;
    json_t *j;
    souk_err e = souk_cart_put_line(req->store, id, variant, in.quantity, true, req->arena, &res->problems, &j);
    return line_answer(req, res, id, e, j, true);
}

int souk_cart_api_line_remove(souk_req *req, souk_res *res)
{
    int64_t id, variant;
    if (current(req, res, &id) || line_param(req, res, &variant))
        return res->err;
    json_t *j;
    souk_err e = souk_cart_put_line(req->store, id, variant, 0, true, req->arena, &res->problems, &j);
    return line_answer(req, res, id, e, j, true);
}

int souk_cart_api_coupon_set(souk_req *req, souk_res *res)
{
    int64_t id;
    cart_in in;
    if (current(req, res, &id) || decode(req, res, &coupon_spec, &in, false))
        return res->err;
    souk_err e = souk_cart_coupon(req->store, id, in.code, req->arena, &res->problems);
    return e ? souk_res_error(res, e, NULL) : show(req, res, id, 200);
}

int souk_cart_api_coupon_remove(souk_req *req, souk_res *res)
{
    int64_t id;
    if (current(req, res, &id))
        return res->err;
    souk_err e = souk_cart_coupon(req->store, id, NULL, req->arena, &res->problems);
    return e ? souk_res_error(res, e, NULL) : show(req, res, id, 200);
}

int souk_cart_api_merge(souk_req *req, souk_res *res)
{
    cart_in in;
    if (decode(req, res, &merge_spec, &in, false))
        return res->err;
    int64_t guest, id;
    int r = souk_cart_find(req->store, 0, in.cart_token, &guest);
    if (r < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (r == 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No guest cart with that token.");
    souk_err e = souk_cart_merge(req->store, req->principal.user_id, guest, req->arena, &res->problems, &id);
    return e ? souk_res_error(res, e, NULL) : show(req, res, id, 200);
}
