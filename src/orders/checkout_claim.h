/*
 * checkout_claim.h — the Idempotency-Key of a checkout (checkout_claim.c):
 * claimed, waited for, its answer stored and replayed, its lease given
 * back. See "Idempotency keys" in docs/internals/orders.md. Internal to
 * src/orders.
 */
#ifndef SOUK_ORDERS_CHECKOUT_CLAIM_H
#define SOUK_ORDERS_CHECKOUT_CLAIM_H

#include "http/http.h"
#include "orders/place.h"

/* What claiming a key found. */
enum {
    SOUK__CLAIM_NEW,    /* no row: the order was placed, the key is this request's */
    SOUK__CLAIM_RESUME, /* the key's request died or its gateway was unreachable: this one resumes its order */
    SOUK__CLAIM_REPLAY, /* the key has its answer: STATUS and RESPONSE */
    SOUK__CLAIM_BUSY,   /* another request holds the key's lease */
};

typedef struct souk__checkout_claim {
    const char *scope, *key, *hash; /* the caller, the Idempotency-Key, the request's hash */
    char lease[33];                 /* this request's lease token (random hex) */
    souk__place_in place;           /* the order to place when the key is new */
    souk_arena *a;
    souk_problems *pr;
    bool answer_with_claim; /* in: the answer is stored in the claim's transaction (an
                                     * in-process gateway), so a new key's row is written once,
                                     * with its answer, by souk__checkout_claim_answer_tx */
    bool unwritten;         /* NEW with answer_with_claim: the row is still to be written */
    int64_t claimed_at;     /* when the key was claimed (µs) */
    int outcome;            /* SOUK__CLAIM_… */
    int64_t order_id;       /* NEW, RESUME (and REPLAY: the order answered) */
    souk__placed placed;    /* NEW: the order as the claim's transaction wrote it */
    int status;             /* REPLAY */
    char *response;         /* REPLAY, malloc'd: the caller frees it */
} souk__checkout_claim;

/* A souk_store_run body (ARG: a souk__checkout_claim): claims the key of C.
 * A new key places the order (souk__order_place_tx: its errors pass
 * through, and nothing is stored) and records the key with a lease; a key
 * whose lease ran out is taken over. IDEMPOTENCY_MISMATCH when the key was
 * used with another request. C->outcome tells the rest. */
souk_err souk__checkout_claim_tx(souk_store *db, void *arg);

/* Waits (5 ms steps, read-only) until the request holding the key of C has
 * answered or lost its lease, or DEADLINE (µs) passes. */
void souk__checkout_claim_wait(souk_store *db, const souk__checkout_claim *c, int64_t deadline);

/* Inside the outcome transaction: stores STATUS and BODY as the answer of
 * C's key, only while C still holds its lease (a request that lost it
 * answers what it found, and the holder stores the answer) — or, for a key
 * C->unwritten, writes its row with the answer (as the claim and this
 * update would have left it). SOUK_OK or the database error. */
souk_err souk__checkout_claim_answer_tx(souk_store *db, const souk__checkout_claim *c, int status, const char *body);

/* Gives C's lease back (when C still holds it), so that the next request
 * with the key resumes at once. */
void souk__checkout_claim_release(souk_store *db, const souk__checkout_claim *c);

/* Answers a stored answer: 201 with BODY byte for byte; a stored error
 * {"error_code", "detail"} as the standard error body of this request.
 * Returns what souk_res_error / the handler returns. */
int souk__checkout_replay(souk_req *req, souk_res *res, int status, const char *body);

#endif
