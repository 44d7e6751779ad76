/*
 * server.h — the HTTP server: h2o event loops, one per thread, each with its
 * own database connection, all sharing the route table.
 */
#ifndef SOUK_SERVER_H
#define SOUK_SERVER_H

#include <stdbool.h>

#include "http/router.h"

typedef struct souk_server_opts {
    const souk_config *config;
    souk_route *routes;          /* checked by souk_router_init */
    size_t nroutes;
    /* Verifies an Authorization header value (LEN bytes) and fills
     * req->principal. Returns 0 when valid, -1 when the credential is bad. */
    int (*authenticate)(souk_req *req, const char *authorization, size_t len);
    bool access_log;             /* one JSON log line per request */
} souk_server_opts;

/* Binds, serves until SIGTERM or SIGINT, drains in-flight requests and
 * returns 0; -1 when it cannot start (logged). Blocks those signals in the
 * calling thread. */
int souk_server_run(const souk_server_opts *opts);

#endif
