/*
 * checkout_in.c — the checkout request: its body (e-mail, shipping address,
 * payment method, the total the shopper was shown), its Idempotency-Key, and
 * the hashes that name the caller and the request (see checkout_in.h).
 */
#include "orders/checkout_in.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/money.h"
#include "identity/identity.h"
#include "loyalty/loyalty.h"
#include "mail/mail.h"
#include "orders/orders.h"
#include "core/banned.h"

typedef struct address_in {
    const char *name, *line1, *line2, *city, *postal_code, *region, *country;
    uint64_t present, nulls;
} address_in;

static const char *country_check(const char *s, size_t len)
{
    return len == 2 && isupper((unsigned char)s[0]) && isupper((unsigned char)s[1])
               ? NULL
               : "must be an ISO 3166 country code such as GB";
}

/* the mail outbox's own rules, so every order e-mail can be sent */
static const char *email_check(const char *s, size_t len)
{
    const char *why = NULL;
    (void)len;
    return souk_mail_check(s, "order", "order", &why) == 0 ? NULL : "must be an e-mail address";
}

static const souk_json_field address_fields[] = {
    SOUK_JSON_F_STRING("name", SOUK_JSON_REQUIRED, address_in, name, 1, 200, NULL),
    SOUK_JSON_F_STRING("line1", SOUK_JSON_REQUIRED, address_in, line1, 1, 200, NULL),
    SOUK_JSON_F_STRING("line2", 0, address_in, line2, 1, 200, NULL),
    SOUK_JSON_F_STRING("city", SOUK_JSON_REQUIRED, address_in, city, 1, 200, NULL),
    SOUK_JSON_F_STRING("postal_code", SOUK_JSON_REQUIRED, address_in, postal_code, 1, 200, NULL),
    SOUK_JSON_F_STRING("region", 0, address_in, region, 1, 200, NULL),
    SOUK_JSON_F_STRING("country", SOUK_JSON_REQUIRED, address_in, country, 1, 2, country_check),
};
static const souk_json_spec address_spec = SOUK_JSON_SPEC(address_in, address_fields);
static const souk_json_field checkout_fields[] = {
    SOUK_JSON_F_STRING("email", 0, souk__checkout_in, email, 3, 254, email_check),
    SOUK_JSON_F_STRING("payment_method", 0, souk__checkout_in, payment_method, 1, 100, NULL),
    SOUK_JSON_F_STRING("billing_country", 0, souk__checkout_in, billing_country, 2, 2, country_check),
    SOUK_JSON_F_INT("loyalty_points", 0, souk__checkout_in, loyalty_points, 1, SOUK_LOYALTY_POINTS_MAX),
    SOUK_JSON_F_BOOL("save_payment_method", 0, souk__checkout_in, save_payment_method),
};
static const souk_json_spec checkout_spec = SOUK_JSON_SPEC(souk__checkout_in, checkout_fields);

static const char *currency_check(const char *s, size_t len)
{
    return len == 3 && souk_currency_valid(s) ? NULL : "must be an ISO 4217 currency code such as USD";
}

static const souk_json_field expected_fields[] = {
    SOUK_JSON_F_INT("amount", SOUK_JSON_REQUIRED, souk__expected_total, amount, 0, SOUK_ORDERS_TOTAL_MAX),
    SOUK_JSON_F_STRING("currency", SOUK_JSON_REQUIRED, souk__expected_total, currency, 3, 3, currency_check),
};
static const souk_json_spec expected_spec = SOUK_JSON_SPEC(souk__expected_total, expected_fields);

/* Takes member NAME out of OBJ (NULL when absent; caller decrefs). */
static json_t *take(json_t *obj, const char *name)
{
    json_t *v = json_incref(json_object_get(obj, name));
    json_object_del(obj, name);
    return v;
}

int souk__checkout_decode(souk_req *req, souk_res *res, souk__checkout_in *in, const char **address)
{
    json_t *obj = souk_req_json(req, res);
    if (!obj)
        return res->err;
    json_t *addr = take(obj, "shipping_address"), *expected = take(obj, "expected_total");
    int bad = souk_json_decode(&checkout_spec, obj, in, "", req->arena, &res->problems);
    json_decref(obj);
    in->has_expected = expected != NULL;
    if (!expected) {
        memset(&in->expected, 0, sizeof in->expected);
    } else if (!json_is_object(expected)) {
        bad = souk_problems_add(&res->problems, req->arena, "expected_total",
                                "must be the total the cart showed: {\"amount\": minor units, \"currency\": \"USD\"}");
    } else if (souk_json_decode(&expected_spec, expected, &in->expected, "expected_total", req->arena, &res->problems) <
               0) {
        bad = -1;
    }
    json_decref(expected);
    address_in a;
    if (!addr)
        bad = souk_problems_add(&res->problems, req->arena, "shipping_address", "is required");
    else if (!json_is_object(addr))
        bad = souk_problems_add(&res->problems, req->arena, "shipping_address", "must be an object");
    else if (souk_json_decode(&address_spec, addr, &a, "shipping_address", req->arena, &res->problems) < 0)
        bad = -1;
    if (bad < 0 || res->problems.count) {
        json_decref(addr);
        return souk_res_invalid(res);
    }
    char *text = json_dumps(addr, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(addr);
    if (!text)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    *address = souk_arena_strdup(req->arena, text);
    free(text);
    return 0;
}

bool souk__checkout_key_valid(const char *k)
{
    size_t n = k ? strlen(k) : 0;
    if (n < 1 || n > SOUK_ORDERS_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)k[i]) && !strchr("_.:-", k[i]))
            return false;
    return true;
}

void souk__checkout_hash(const void *data, size_t len, const void *data2, size_t len2, char hex[65], unsigned char *raw)
{
    crypto_generichash_state s;
    unsigned char h[32];
    crypto_generichash_init(&s, NULL, 0, sizeof h);
    crypto_generichash_update(&s, data, len);
    if (data2)
        crypto_generichash_update(&s, data2, len2);
    crypto_generichash_final(&s, h, sizeof h);
    sodium_bin2hex(hex, 65, h, sizeof h);
    if (raw)
        memcpy(raw, h, sizeof h);
}

int souk__checkout_account_email(souk_req *req, souk_res *res, int64_t user, const char **email)
{
    souk_err e = souk_identity_user_email(req->store, user, req->arena, email);
    return e && e != SOUK_E_NOT_FOUND ? souk_res_error(res, e, NULL) : 0;
}
