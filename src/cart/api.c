/*
 * api.c — cart handlers. The current cart is the signed-in user's (access
 * token), or the guest cart named by the X-Cart-Token header. A cart token
 * is the only key to a guest cart: a wrong or someone else's token finds
 * nothing (404).
 */
#include "cart/api.h"

#include <string.h>

#include "cart/cart.h"
#include "cart/internal.h"
#include "core/id.h"
#include "core/json.h"
#include "core/banned.h"

typedef struct cart_in {
    const char *currency, *region, *shipping_method, *code, *cart_token;
    int64_t variant_id, quantity;
    uint64_t present, nulls;
} cart_in;

static const char *region_check(const char *s, size_t len)
{
    if (len == 0)
        return NULL; /* "" clears the region; a subdivision after the "-" has 1 to 3 characters */
    if (len < 2 || len == 3 || len > 6 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' ||
        (len > 2 && s[2] != '-'))
        return "must be a country code such as GB, optionally with a subdivision such as US-CA";
    for (size_t i = 3; i < len; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return "must be a country code such as GB, optionally with a subdivision such as US-CA";
    return NULL;
}

static const souk_json_field create_fields[] = {
    SOUK_JSON_F_STRING("currency", 0, cart_in, currency, 3, 3, souk__cart_check_currency),
};
static const souk_json_field update_fields[] = {
    SOUK_JSON_F_STRING("currency", 0, cart_in, currency, 3, 3, souk__cart_check_currency),
    SOUK_JSON_F_STRING("region", 0, cart_in, region, 0, 6, region_check),
    SOUK_JSON_F_STRING("shipping_method", 0, cart_in, shipping_method, 0, 64, NULL),
};
static const souk_json_field add_fields[] = {
    SOUK_JSON_F_ID("variant_id", SOUK_JSON_REQUIRED, cart_in, variant_id, "var"),
    SOUK_JSON_F_INT("quantity", SOUK_JSON_REQUIRED, cart_in, quantity, 1, 999),
};
static const souk_json_field set_fields[] = {
    SOUK_JSON_F_INT("quantity", SOUK_JSON_REQUIRED, cart_in, quantity, 0, 999),
};
static const souk_json_field coupon_fields[] = {
    SOUK_JSON_F_STRING("code", SOUK_JSON_REQUIRED, cart_in, code, 1, 64, NULL),
};
static const souk_json_field merge_fields[] = {
    SOUK_JSON_F_STRING("cart_token", SOUK_JSON_REQUIRED, cart_in, cart_token, 4, 80, NULL),
};
static const souk_json_spec create_spec = SOUK_JSON_SPEC(cart_in, create_fields),
                            update_spec = SOUK_JSON_SPEC(cart_in, update_fields),
                            add_spec = SOUK_JSON_SPEC(cart_in, add_fields),
                            set_spec = SOUK_JSON_SPEC(cart_in, set_fields),
                            coupon_spec = SOUK_JSON_SPEC(cart_in, coupon_fields),
                            merge_spec = SOUK_JSON_SPEC(cart_in, merge_fields);

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
    souk_err e = souk_cart_find(req->store, user_of(req), souk_req_header(req, "x-cart-token"), id);
    if (e == SOUK_E_NOT_FOUND)
        return souk_res_error(res, e, "No cart: create one with POST /api/v1/carts (guests send its X-Cart-Token).");
    return e ? souk_res_error(res, e, NULL) : 0;
}

static int send_cart(souk_req *req, souk_res *res, int64_t id, json_t *j, int status);

static int show(souk_req *req, souk_res *res, int64_t id, int status)
{
    json_t *j;
    souk_err e = souk_cart_json(req->store, id, &j);
    if (e == SOUK_E_VALIDATION) /* prices rose, or a merge, past the cap since the lines were added */
        return souk_res_error(res, e,
                              "the cart's total exceeds " SOUK_CART_MAX_TOTAL_TEXT " minor units; lower a quantity");
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
    souk_err e = user ? souk_cart_find(req->store, user, NULL, &id) : SOUK_E_NOT_FOUND;
    if (e == SOUK_OK)
        return show(req, res, id, 200); /* a customer has one cart */
    if (e != SOUK_E_NOT_FOUND)
        return souk_res_error(res, e, NULL);
    char token[64] = "";
    json_t *j;
    if ((e = souk_cart_create(req->store, user, currency, token, &id, &j)))
        return souk_res_error(res, e, NULL);
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
    souk_err e =
        souk_cart_update(req->store, id, in.currency, in.region, in.shipping_method, req->arena, &res->problems);
    if (e == SOUK_E_CONFLICT)
        return souk_res_error(res, e, "A cart keeps the currency it was priced in: empty it, or start a new cart.");
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
    souk_err e = souk_cart_find(req->store, 0, in.cart_token, &guest);
    if (e)
        return souk_res_error(res, e, e == SOUK_E_NOT_FOUND ? "No guest cart with that token." : NULL);
    json_t *j;
    e = souk_cart_merge(req->store, req->principal.user_id, guest, req->arena, &res->problems, &id, &j);
    return e ? souk_res_error(res, e, NULL) : send_cart(req, res, id, j, 200);
}
