/*
 * checkout_in.c — the checkout request: its body (e-mail, shipping address,
 * payment method), its Idempotency-Key, and the hashes that name the caller
 * and the request (see checkout_in.h).
 */
#include "orders/checkout_in.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
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

#define A(name, flags, field, max, check) \
    {name, SOUK_JSON_STRING, flags, offsetof(address_in, field), 1, max, 0, NULL, check, NULL, NULL}
static const souk_json_field address_fields[] = {
    A("name", SOUK_JSON_REQUIRED, name, 200, NULL),
    A("line1", SOUK_JSON_REQUIRED, line1, 200, NULL),
    A("line2", 0, line2, 200, NULL),
    A("city", SOUK_JSON_REQUIRED, city, 200, NULL),
    A("postal_code", SOUK_JSON_REQUIRED, postal_code, 200, NULL),
    A("region", 0, region, 200, NULL),
    A("country", SOUK_JSON_REQUIRED, country, 2, country_check),
};
static const souk_json_spec address_spec = {address_fields, sizeof address_fields / sizeof address_fields[0],
                                            sizeof(address_in), offsetof(address_in, present),
                                            offsetof(address_in, nulls)};
static const souk_json_field checkout_fields[] = {
    {"email", SOUK_JSON_STRING, 0, offsetof(souk__checkout_in, email), 3, 254, 0, NULL, email_check, NULL, NULL},
    {"payment_method", SOUK_JSON_STRING, 0, offsetof(souk__checkout_in, payment_method), 1, 100, 0, NULL, NULL, NULL, NULL},
};
static const souk_json_spec checkout_spec = {checkout_fields, sizeof checkout_fields / sizeof checkout_fields[0],
                                             sizeof(souk__checkout_in), offsetof(souk__checkout_in, present),
                                             offsetof(souk__checkout_in, nulls)};

int souk__checkout_decode(souk_req *req, souk_res *res, souk__checkout_in *in, const char **address)
{
    json_t *obj = souk_req_json(req, res);
    if (!obj)
        return res->err;
    json_t *addr = json_incref(json_object_get(obj, "shipping_address"));
    json_object_del(obj, "shipping_address");
    int bad = souk_json_decode(&checkout_spec, obj, in, "", req->arena, &res->problems);
    json_decref(obj);
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
    souk_stmt *st = souk_store_stmt(req->store, "SELECT email FROM users WHERE id = $1 AND email IS NOT NULL");
    if (!st)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk_stmt_bind_i64(st, 1, user);
    int r = souk_stmt_step(st);
    if (r == SOUK_DB_ROW) {
        *email = souk_arena_strdup(req->arena, souk_stmt_text(st, 0, NULL));
        souk_stmt_done(st);
    }
    return r < 0 ? souk_res_error(res, SOUK_E_INTERNAL, NULL) : 0;
}

