/*
 * ingest.c — storing a decoded batch: the catalog check of its products
 * (read before the write transaction, so the committer only writes), then
 * one transaction that resolves visitors, links an anonymous id to the
 * signed-in account, and appends the events, skipping duplicates.
 */
#include "behaviour/behaviour.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

/* SipHash-2-4 of the client's event id. The key is fixed (the value must
 * stay the same across versions and nodes): a dedupe key, not a secret. Two
 * ids of one sender share one with probability ~n²/2⁶⁵ for its n events; the
 * later event is then taken for a duplicate. */
static int64_t client_key(const char *client_id)
{
    static const unsigned char key[crypto_shorthash_KEYBYTES] = "souk:behaviour:1";
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, (const unsigned char *)client_id, strlen(client_id), key);
    uint64_t v;
    memcpy(&v, h, sizeof v);
    return (int64_t)v;
}

/* Moves event I of B to the rejects (kept in batch order) with one problem. */
static void reject_event(souk_behaviour_batch *b, size_t i, const char *field, const char *message, souk_arena *a)
{
    size_t index = b->index[i];
    souk_behaviour_reject *r = souk_arena_alloc(a, (b->nrejects + 1) * sizeof *r);
    if (r) {
        size_t at = 0;
        while (at < b->nrejects && b->rejects[at].index < index)
            at++;
        memcpy(r, b->rejects, at * sizeof *r);
        r[at] = (souk_behaviour_reject){
            .index = index, .field = souk_arena_printf(a, "events[%zu].%s", index, field), .message = message};
        memcpy(r + at + 1, b->rejects + at, (b->nrejects - at) * sizeof *r);
        b->rejects = r;
        b->nrejects++;
    }
    b->rejected++;
    memmove(b->events + i, b->events + i + 1, (b->count - i - 1) * sizeof *b->events);
    memmove(b->index + i, b->index + i + 1, (b->count - i - 1) * sizeof *b->index);
    b->count--;
}

/* The catalog check; 0, or a negative souk_db_status. */
static int check_catalog(souk_store *db, souk_behaviour_batch *b, souk_arena *a)
{
    for (size_t i = 0; i < b->count;) {
        souk_behaviour_event *ev = &b->events[i];
        int r;
        if (ev->variant_id) {
            int64_t product = 0;
            r = souk_store_one(db, "SELECT product_id FROM behaviour_catalog_variants WHERE variant_id = $1",
                               SOUK_ARGS(SOUK_I64(ev->variant_id)), SOUK_COLS(SOUK_COL_I64(&product)));
            if (r < 0)
                return r;
            if (r == SOUK_DB_DONE) {
                reject_event(b, i, "variant_id", "no such variant", a);
                continue;
            }
            if (ev->product_id && ev->product_id != product) {
                reject_event(b, i, "variant_id", "is not a variant of product_id", a);
                continue;
            }
            ev->product_id = product;
        } else if (ev->product_id) {
            r = souk_store_one(db, "SELECT product_id FROM behaviour_catalog_products WHERE product_id = $1",
                               SOUK_ARGS(SOUK_I64(ev->product_id)), NULL);
            if (r < 0)
                return r;
            if (r == SOUK_DB_DONE) {
                reject_event(b, i, "product_id", "no such product", a);
                continue;
            }
        }
        i++;
    }
    return 0;
}

typedef struct visitor {
    const char *anonymous_id;
    int64_t id, user_id;
} visitor;

typedef struct ingest_ctx {
    souk_behaviour_batch *batch;
    visitor *visitors;
    size_t nvisitors;
    bool *fresh; /* per event: stored now (not a duplicate) */
    souk_behaviour_result result;
} ingest_ctx;

static souk_behaviour_listener listener;

void souk_behaviour_listen(souk_behaviour_listener fn)
{
    listener = fn;
}

/* The visitor row of ANON, made when new; linked to USER when unlinked. */
static int visitor_of(souk_store *db, const char *anon, int64_t user, int64_t now, visitor *v)
{
    bool user_null = false;
    int r = souk_store_one(db, "SELECT id, user_id FROM behaviour_visitors WHERE anonymous_id = $1",
                           SOUK_ARGS(SOUK_TEXT(anon)),
                           SOUK_COLS(SOUK_COL_I64(&v->id), SOUK_COL_NULLABLE(SOUK_COL_I64(&v->user_id), &user_null)));
    if (r < 0)
        return r;
    if (r == SOUK_DB_DONE) {
        v->id = souk_id_next();
        v->user_id = user;
        return souk_store_exec(db,
                               "INSERT INTO behaviour_visitors (id, anonymous_id, user_id, first_seen) "
                               "VALUES ($1, $2, $3, $4)",
                               SOUK_ARGS(SOUK_I64(v->id), SOUK_TEXT(anon), SOUK_REF(user), SOUK_I64(now)));
    }
    if (user && user_null) { /* the first signed-in batch from this browser: it is the account's */
        v->user_id = user;
        if ((r = souk_store_exec(db, "UPDATE behaviour_visitors SET user_id = $2 WHERE id = $1",
                                 SOUK_ARGS(SOUK_I64(v->id), SOUK_I64(user)))) < 0)
            return r;
        return souk_store_exec(db, "UPDATE behaviour_events SET user_id = $2 WHERE sender = $1 AND user_id IS NULL",
                               SOUK_ARGS(SOUK_I64(v->id), SOUK_I64(user)));
    }
    return 0;
}

/* SENDER: the visitor, else the account, else (server events) the order */
static int insert_event(souk_store *db, const souk_behaviour_event *ev, int64_t sender, int64_t visitor_id,
                        int64_t user_id)
{
    return (int)souk_store_update(
        db,
        "INSERT INTO behaviour_events (id, sender, client_key, type, at, visitor_id, user_id, product_id, variant_id, "
        "order_id, quantity, position, model_version, list, query, properties) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) "
        "ON CONFLICT (sender, client_key) DO NOTHING",
        SOUK_ARGS(SOUK_I64(souk_id_next()), SOUK_I64(sender), SOUK_I64(client_key(ev->client_id)), SOUK_I64(ev->type),
                  SOUK_I64(ev->at), SOUK_REF(visitor_id), SOUK_REF(user_id), SOUK_REF(ev->product_id),
                  SOUK_REF(ev->variant_id), SOUK_REF(ev->order_id), SOUK_REF(ev->quantity), SOUK_REF(ev->position),
                  SOUK_REF(ev->model_version), SOUK_TEXT(ev->list), SOUK_TEXT(ev->query), SOUK_TEXT(ev->properties)));
}

static souk_err ingest_body(souk_store *db, void *arg)
{
    ingest_ctx *c = arg;
    souk_behaviour_batch *b = c->batch;
    int64_t now = souk_time_now_us();
    memset(&c->result, 0, sizeof c->result);
    c->nvisitors = 0;
    for (size_t i = 0; i < b->count; i++) {
        const souk_behaviour_event *ev = &b->events[i];
        visitor *v = NULL;
        if (ev->anonymous_id) {
            for (size_t k = 0; k < c->nvisitors && !v; k++)
                if (strcmp(c->visitors[k].anonymous_id, ev->anonymous_id) == 0)
                    v = &c->visitors[k];
            if (!v) {
                v = &c->visitors[c->nvisitors++];
                v->anonymous_id = ev->anonymous_id;
                int r = visitor_of(db, ev->anonymous_id, ev->user_id, now, v);
                if (r < 0)
                    return souk_store_dberr(r);
            }
        }
        int64_t user = ev->user_id ? ev->user_id : v ? v->user_id : 0;
        int r = insert_event(db, ev, v ? v->id : ev->user_id, v ? v->id : 0, user);
        if (r < 0)
            return souk_store_dberr(r);
        c->fresh[i] = r > 0;
        if (r > 0)
            c->result.accepted++;
        else
            c->result.duplicates++;
    }
    return SOUK_OK;
}

souk_err souk_behaviour_ingest(souk_store *db, souk_behaviour_batch *batch, souk_arena *a,
                               souk_behaviour_result *result)
{
    memset(result, 0, sizeof *result);
    /* one read snapshot for the whole check: a lock per SELECT cost 10% of the pool's time */
    bool snapshot = souk_store_read_begin(db) == 0;
    int r = check_catalog(db, batch, a);
    if (snapshot)
        souk_store_read_end(db);
    if (r < 0)
        return souk_store_dberr(r);
    if (batch->count == 0)
        return SOUK_OK;
    ingest_ctx c = {.batch = batch,
                    .visitors = souk_arena_calloc(a, batch->count * sizeof(visitor)),
                    .fresh = souk_arena_calloc(a, batch->count * sizeof(bool))};
    if (!c.visitors || !c.fresh)
        return SOUK_E_INTERNAL;
    souk_err e = souk_store_run(db, ingest_body, &c, NULL);
    if (e != SOUK_OK)
        return e;
    *result = c.result;
    for (size_t i = 0; listener && i < batch->count; i++)
        if (c.fresh[i])
            listener(&batch->events[i]);
    return SOUK_OK;
}

int souk_behaviour_record_tx(souk_store *db, const souk_behaviour_event *ev)
{
    return insert_event(db, ev, ev->order_id ? ev->order_id : ev->user_id, 0, ev->user_id);
}
