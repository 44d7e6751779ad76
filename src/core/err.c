/* err.c — see err.h. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>

#include "core/banned.h"

static const struct {
    const char *code;
    int status;
    const char *message;
} registry[SOUK_E__COUNT] = {
    [SOUK_OK] = {"OK", 200, "ok"},
    [SOUK_E_BAD_REQUEST] = {"BAD_REQUEST", 400, "The request is not valid."},
    [SOUK_E_MALFORMED_JSON] = {"MALFORMED_JSON", 400, "The request body is not valid JSON."},
    [SOUK_E_UNAUTHORIZED] = {"UNAUTHORIZED", 401, "Authentication is required."},
    [SOUK_E_FORBIDDEN] = {"FORBIDDEN", 403, "You are not allowed to do this."},
    [SOUK_E_NOT_FOUND] = {"NOT_FOUND", 404, "Not found."},
    [SOUK_E_METHOD_NOT_ALLOWED] = {"METHOD_NOT_ALLOWED", 405, "This method is not allowed on this resource."},
    [SOUK_E_CONFLICT] = {"CONFLICT", 409, "The request conflicts with the current state."},
    [SOUK_E_PAYLOAD_TOO_LARGE] = {"PAYLOAD_TOO_LARGE", 413, "The request body is too large."},
    [SOUK_E_UNSUPPORTED_MEDIA_TYPE] = {"UNSUPPORTED_MEDIA_TYPE", 415, "The request body must be application/json."},
    [SOUK_E_VALIDATION] = {"VALIDATION_ERROR", 422, "The request has invalid fields."},
    [SOUK_E_RATE_LIMITED] = {"RATE_LIMITED", 429, "Too many requests."},
    [SOUK_E_INTERNAL] = {"INTERNAL", 500, "Internal error."},
    [SOUK_E_UNAVAILABLE] = {"UNAVAILABLE", 503, "The service is unavailable."},
    [SOUK_E_MFA_REQUIRED] = {"MFA_REQUIRED", 401, "A two-factor code (totp_code or recovery_code) is required."},
    [SOUK_E_INVALID_CREDENTIALS] = {"INVALID_CREDENTIALS", 401, "The e-mail address or password is wrong."},
    [SOUK_E_OUT_OF_STOCK] = {"OUT_OF_STOCK", 409, "Some lines are not in stock; details name them."},
    [SOUK_E_INVALID_STATE] = {"INVALID_STATE", 409, "This is not possible in the object's current state."},
    [SOUK_E_PAYMENT_DECLINED] = {"PAYMENT_DECLINED", 402, "The payment was declined; details give the reason."},
    [SOUK_E_IDEMPOTENCY_MISMATCH] = {"IDEMPOTENCY_MISMATCH", 422,
                                     "This Idempotency-Key was used with a different request."},
    [SOUK_E_PRICE_CHANGED] = {"PRICE_CHANGED", 409,
                              "The cart no longer costs the expected_total; details give the new totals and why."},
};

const char *souk_err_code(souk_err e)
{
    return (unsigned)e < SOUK_E__COUNT ? registry[e].code : "INTERNAL";
}

int souk_err_status(souk_err e)
{
    return (unsigned)e < SOUK_E__COUNT ? registry[e].status : 500;
}

const char *souk_err_message(souk_err e)
{
    return (unsigned)e < SOUK_E__COUNT ? registry[e].message : "Internal error.";
}

void souk_problems_init(souk_problems *p)
{
    p->count = 0;
    p->dropped = 0;
    p->lost = 0;
}

int souk_problems_add(souk_problems *p, souk_arena *a, const char *field, const char *fmt, ...)
{
    if (p->count >= SOUK_PROBLEMS_MAX) {
        p->dropped++;
        return -1;
    }
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *f = souk_arena_strdup(a, field ? field : "");
    const char *m = souk_arena_strdup(a, msg);
    if (!f || !m)
        p->lost++;
    p->items[p->count].field = f ? f : "";
    p->items[p->count].message = m ? m : "invalid";
    p->count++;
    return -1;
}
