/*
 * checkout_claim.c — the Idempotency-Key of a checkout (checkout_claim.h).
 * A key is a row of idempotency_keys; the request holding its lease (a
 * random token, SOUK_ORDERS_LEASE_US long) is the only one that may store
 * its answer or give the lease back.
 */
#include "orders/checkout_claim.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/time.h"
#include "core/banned.h"

souk_err souk__checkout_claim_tx(souk_store *db, void *arg)
{
    souk__checkout_claim *c = arg;
    int64_t now = souk_time_now_us(), status = 0, lease = 0;
    c->unwritten = false;
    c->claimed_at = now;
    char hash[65];
    char *response = NULL;
    bool answered = false;
    int r = souk_store_one(db,
                           "SELECT request_hash, coalesce(order_id, 0), status IS NOT NULL, status, response, "
                           "lease_until FROM idempotency_keys WHERE scope = $1 AND key = $2",
                           SOUK_ARGS(SOUK_TEXT(c->scope), SOUK_TEXT(c->key)),
                           SOUK_COLS(SOUK_COL_STR(hash), SOUK_COL_I64(&c->order_id), SOUK_COL_BOOL(&answered),
                                     SOUK_COL_I64(&status), SOUK_COL_DUP(&response), SOUK_COL_I64(&lease)));
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_ROW) {
        bool same = strcmp(hash, c->hash) == 0;
        if (same && answered) {
            c->outcome = SOUK__CLAIM_REPLAY;
            c->status = (int)status;
            free(c->response);
            c->response = response;
            return SOUK_OK;
        }
        free(response);
        if (!same)
            return SOUK_E_IDEMPOTENCY_MISMATCH;
        if (lease > now) {
            c->outcome = SOUK__CLAIM_BUSY;
            return SOUK_OK;
        }
        c->outcome = SOUK__CLAIM_RESUME; /* its first request died, or its gateway was unreachable */
        return souk_store_dberr(souk_store_exec(db,
                                                "UPDATE idempotency_keys SET lease_until = $3, lease_token = $4 "
                                                "WHERE scope = $1 AND key = $2",
                                                SOUK_ARGS(SOUK_TEXT(c->scope), SOUK_TEXT(c->key),
                                                          SOUK_I64(now + SOUK_ORDERS_LEASE_US), SOUK_TEXT(c->lease))));
    }
    souk_err e = souk__order_place_tx(db, &c->place, &c->order_id, &c->placed, c->a, c->pr);
    if (e)
        return e;
    c->outcome = SOUK__CLAIM_NEW;
    if (c->answer_with_claim) { /* nobody sees the key before the answer: one write, at the end */
        c->unwritten = true;
        return SOUK_OK;
    }
    return souk_store_dberr(
        souk_store_exec(db,
                        "INSERT INTO idempotency_keys (scope, key, request_hash, order_id, "
                        "lease_until, lease_token, created_at) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        SOUK_ARGS(SOUK_TEXT(c->scope), SOUK_TEXT(c->key), SOUK_TEXT(c->hash), SOUK_I64(c->order_id),
                                  SOUK_I64(now + SOUK_ORDERS_LEASE_US), SOUK_TEXT(c->lease), SOUK_I64(now))));
}

void souk__checkout_claim_wait(souk_store *db, const souk__checkout_claim *c, int64_t deadline)
{
    while (souk_time_now_us() < deadline) {
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
        bool settled = false;
        int r = souk_store_one(db,
                               "SELECT status IS NOT NULL OR lease_until <= $3 FROM idempotency_keys "
                               "WHERE scope = $1 AND key = $2",
                               SOUK_ARGS(SOUK_TEXT(c->scope), SOUK_TEXT(c->key), SOUK_I64(souk_time_now_us())),
                               SOUK_COLS(SOUK_COL_BOOL(&settled)));
        if (r != SOUK_DB_ROW || settled)
            return;
    }
}

souk_err souk__checkout_claim_answer_tx(souk_store *db, const souk__checkout_claim *c, int status, const char *body)
{
    if (c->unwritten) /* the row as the claim's INSERT and the UPDATE below would leave it */
        return souk_store_dberr(souk_store_exec(db,
                                                "INSERT INTO idempotency_keys (scope, key, request_hash, order_id, "
                                                "status, response, lease_until, lease_token, created_at) "
                                                "VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)",
                                                SOUK_ARGS(SOUK_TEXT(c->scope), SOUK_TEXT(c->key), SOUK_TEXT(c->hash),
                                                          SOUK_I64(c->order_id), SOUK_I64(status), SOUK_TEXT(body),
                                                          SOUK_TEXT(c->lease), SOUK_I64(c->claimed_at))));
    return souk_store_dberr(souk_store_exec(
        db,
        "UPDATE idempotency_keys SET status = $3, response = $4, "
        "lease_until = 0 WHERE scope = $1 AND key = $2 AND lease_token = $5 "
        "AND status IS NULL",
        SOUK_ARGS(SOUK_TEXT(c->scope), SOUK_TEXT(c->key), SOUK_I64(status), SOUK_TEXT(body), SOUK_TEXT(c->lease))));
}

static souk_err release_tx(souk_store *db, void *arg)
{
    const souk__checkout_claim *c = arg;
    return souk_store_dberr(souk_store_exec(db,
                                            "UPDATE idempotency_keys SET lease_until = 0 WHERE scope = $1 "
                                            "AND key = $2 AND lease_token = $3",
                                            SOUK_ARGS(SOUK_TEXT(c->scope), SOUK_TEXT(c->key), SOUK_TEXT(c->lease))));
}

void souk__checkout_claim_release(souk_store *db, const souk__checkout_claim *c)
{
    souk_store_run(db, release_tx, (void *)c, NULL);
}

int souk__checkout_replay(souk_req *req, souk_res *res, int status, const char *body)
{
    if (status == 201) {
        res->status = 201;
        souk_buf_add(&res->body, body, strlen(body));
        return 0;
    }
    json_t *j = json_loads(body, 0, NULL);
    const char *code = json_string_value(json_object_get(j, "error_code"));
    const char *detail = json_string_value(json_object_get(j, "detail"));
    souk_err e = code && strcmp(code, "PAYMENT_DECLINED") == 0 ? SOUK_E_PAYMENT_DECLINED : SOUK_E_INVALID_STATE;
    const char *field = e == SOUK_E_PAYMENT_DECLINED ? "payment_method" : "order";
    if (detail)
        souk_problems_add(&res->problems, req->arena, field, "%s", detail);
    json_decref(j);
    return souk_res_error(res, e, e == SOUK_E_INVALID_STATE ? "The order was cancelled before it was paid." : NULL);
}
