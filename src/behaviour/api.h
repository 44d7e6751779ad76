/* api.h — the HTTP handlers of behaviour events (docs/events.md). */
#ifndef SOUK_BEHAVIOUR_API_H
#define SOUK_BEHAVIOUR_API_H

#include "http/http.h"

/* POST /api/v1/events: a batch of up to 500 events. 202 {accepted,
 * duplicates, rejected, problems: [{index, field, message}]} when any event
 * was good (or a duplicate); 422 with the problems when none was; 400/413/422
 * when the batch itself cannot be read. Runs on the blocking pool (decoding
 * and the catalog check off the loops); the write is group-committed. */
int souk_behaviour_api_ingest(souk_req *req, souk_res *res);

#endif
