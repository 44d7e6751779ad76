/*
 * api.c — POST /api/v1/events: decode the batch, store the good events,
 * report the bad ones by index.
 */
#include "behaviour/api.h"

#include "behaviour/behaviour.h"
#include "core/time.h"
#include "core/banned.h"

static json_t *problems_json(const souk_behaviour_batch *b)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < b->nrejects; i++)
        json_array_append_new(arr, json_pack("{s:I,s:s,s:s}", "index", (json_int_t)b->rejects[i].index, "field",
                                             b->rejects[i].field ? b->rejects[i].field : "events", "message",
                                             b->rejects[i].message ? b->rejects[i].message : "is invalid"));
    return arr;
}

int souk_behaviour_api_ingest(souk_req *req, souk_res *res)
{
    int64_t user = req->principal.kind == SOUK_ACTOR_USER ? req->principal.user_id : 0;
    souk_behaviour_batch b;
    const char *why = NULL;
    souk_err e = souk_behaviour_batch_decode(req->body, req->body_len, user, souk_time_now_us(), req->arena, &b, &why,
                                             &res->problems);
    if (e)
        return souk_res_error(res, e, why);
    souk_behaviour_result r;
    if ((e = souk_behaviour_ingest(req->store, &b, req->arena, &r)))
        return souk_res_error(res, e, NULL);
    if (r.accepted + r.duplicates == 0) { /* nothing kept: the caller must hear it as an error */
        for (size_t i = 0; i < b.nrejects; i++)
            souk_problems_add(&res->problems, req->arena, b.rejects[i].field ? b.rejects[i].field : "events", "%s",
                              b.rejects[i].message ? b.rejects[i].message : "is invalid");
        return souk_res_error(res, SOUK_E_VALIDATION, "No event in the batch is valid; see details.");
    }
    return souk_res_json(res, 202,
                         json_pack("{s:I,s:I,s:I,s:o}", "accepted", (json_int_t)r.accepted, "duplicates",
                                   (json_int_t)r.duplicates, "rejected", (json_int_t)b.rejected, "problems",
                                   problems_json(&b)));
}
