/*
 * routes.h — the one route table of souk (method, path, permission,
 * handler, caching). Every route declares a permission; "public" is one.
 */
#ifndef SOUK_ROUTES_H
#define SOUK_ROUTES_H

#include "http/router.h"

extern souk_route souk_routes[];
extern const size_t souk_routes_count;

#endif
