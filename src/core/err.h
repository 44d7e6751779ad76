/*
 * err.h — the one registry of error codes shown to clients.
 *
 * Each code has a stable name (used in the error body), an HTTP status and a
 * default message. Field-level problems are collected in a souk_problems list
 * that becomes the `details` array of the standard error body:
 *   {"error":{"code","message","details":[{"field","message"}],"request_id","timestamp"}}
 */
#ifndef SOUK_ERR_H
#define SOUK_ERR_H

#include <stddef.h>

#include "core/arena.h"

typedef enum souk_err {
    SOUK_OK = 0,
    SOUK_E_BAD_REQUEST,
    SOUK_E_MALFORMED_JSON,
    SOUK_E_UNAUTHORIZED,
    SOUK_E_FORBIDDEN,
    SOUK_E_NOT_FOUND,
    SOUK_E_METHOD_NOT_ALLOWED,
    SOUK_E_CONFLICT,
    SOUK_E_PAYLOAD_TOO_LARGE,
    SOUK_E_UNSUPPORTED_MEDIA_TYPE,
    SOUK_E_VALIDATION,
    SOUK_E_RATE_LIMITED,
    SOUK_E_INTERNAL,
    SOUK_E_UNAVAILABLE,
    SOUK_E_MFA_REQUIRED,
    SOUK_E_INVALID_CREDENTIALS,
    SOUK_E_OUT_OF_STOCK,
    SOUK_E_INVALID_STATE,
    SOUK_E_PAYMENT_DECLINED,
    SOUK_E_IDEMPOTENCY_MISMATCH,
    SOUK_E_PRICE_CHANGED,
    SOUK_E__COUNT
} souk_err;

/* The code string, e.g. "VALIDATION_ERROR". Never NULL. */
const char *souk_err_code(souk_err e);

/* The HTTP status for E (500 for unknown values). */
int souk_err_status(souk_err e);

/* A default human-readable message for E. */
const char *souk_err_message(souk_err e);

#define SOUK_PROBLEMS_MAX 32

typedef struct souk_problem {
    const char *field; /* JSON path or parameter name, e.g. "variants[2].sku" */
    const char *message;
} souk_problem;

/* Field problems found while validating one request. Strings are owned by
 * the arena given to souk_problems_add (or are static). */
typedef struct souk_problems {
    souk_problem items[SOUK_PROBLEMS_MAX];
    size_t count;
    size_t dropped; /* problems beyond SOUK_PROBLEMS_MAX */
    size_t lost;    /* problems whose field or message could not be copied (the arena ran out) */
} souk_problems;

/* Empties P. */
void souk_problems_init(souk_problems *p);

/* Records a problem; FIELD and the formatted message are copied into A.
 * Returns -1 always, so validators can `return souk_problems_add(...)`. */
int souk_problems_add(souk_problems *p, souk_arena *a, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
