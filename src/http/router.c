/* router.c — see router.h. Linear scan: the table has a few dozen routes;
 * a route whose pattern has another number of segments than the path is
 * passed over on one comparison (matching every pattern segment by segment
 * was ~3 % of an uncached read). */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

#include "core/metrics.h"
#include "core/banned.h"

static const struct {
    souk_method m;
    const char *name;
} method_names[] = {{SOUK_GET, "GET"},     {SOUK_HEAD, "HEAD"},     {SOUK_POST, "POST"},      {SOUK_PUT, "PUT"},
                    {SOUK_PATCH, "PATCH"}, {SOUK_DELETE, "DELETE"}, {SOUK_OPTIONS, "OPTIONS"}};

const char *souk_method_name(souk_method m)
{
    for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++)
        if (method_names[i].m == m)
            return method_names[i].name;
    return "?";
}

souk_method souk_method_parse(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++)
        if (strlen(method_names[i].name) == len && memcmp(method_names[i].name, name, len) == 0)
            return method_names[i].m;
    return 0;
}

const char *souk_methods_list(unsigned allowed, souk_arena *a)
{
    char buf[128] = "";
    size_t off = 0;
    for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++) {
        if (!(allowed & method_names[i].m))
            continue;
        int n = snprintf(buf + off, sizeof buf - off, "%s%s", off ? ", " : "", method_names[i].name);
        if (n > 0 && (size_t)n < sizeof buf - off)
            off += (size_t)n;
    }
    return souk_arena_strdup(a, buf);
}

int souk_router_init(souk_route *routes, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        souk_route *r = &routes[i];
        if (!r->pattern || r->pattern[0] != '/' || !r->handler || !souk_method_name(r->method)[0] ||
            souk_method_name(r->method)[0] == '?') {
            snprintf(err, errlen, "route %zu is malformed", i);
            return -1;
        }
        if (!r->permission || !*r->permission) {
            snprintf(err, errlen, "route %s %s declares no permission", souk_method_name(r->method), r->pattern);
            return -1;
        }
        size_t nparams = 0;
        for (const char *p = r->pattern; *p; p++)
            if (*p == '{')
                nparams++;
        if (nparams > SOUK_ROUTE_MAX_PARAMS) {
            snprintf(err, errlen, "route %s has too many parameters", r->pattern);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (routes[j].method == r->method && strcmp(routes[j].pattern, r->pattern) == 0) {
                snprintf(err, errlen, "route %s %s is declared twice", souk_method_name(r->method), r->pattern);
                return -1;
            }
        r->metrics = souk_metrics_route(souk_method_name(r->method), r->pattern);
        r->segments = 0;
        for (const char *p = r->pattern; *p; p++)
            r->segments += *p == '/';
    }
    return 0;
}

/* Matches PATTERN against PATH. Returns -1 for no match, else the number of
 * literal segments (more literals = more specific). */
static int match(const char *pattern, const char *path, const char **params, size_t *nparams, souk_arena *a)
{
    int literals = 0;
    size_t np = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return -1;
        p++;
        s++;
        const char *pe = strchr(p, '/'), *se = strchr(s, '/');
        size_t plen = pe ? (size_t)(pe - p) : strlen(p);
        size_t slen = se ? (size_t)(se - s) : strlen(s);
        if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (slen == 0)
                return -1;
            if (params && np < SOUK_ROUTE_MAX_PARAMS)
                params[np] = souk_arena_strndup(a, s, slen);
            np++;
        } else {
            if (plen != slen || memcmp(p, s, plen) != 0)
                return -1;
            literals++;
        }
        p += plen;
        s += slen;
    }
    if (*p || *s)
        return -1;
    if (nparams)
        *nparams = np;
    return literals;
}

const souk_route *souk_router_match(const souk_route *routes, size_t n, souk_method method, const char *path,
                                    const char **params, size_t *nparams, unsigned *allowed, souk_arena *a)
{
    const souk_route *best = NULL;
    int best_score = -1;
    *allowed = 0;
    souk_method want = method == SOUK_HEAD ? SOUK_GET : method;
    int segments = 0;
    for (const char *p = path; *p; p++)
        segments += *p == '/';
    for (size_t i = 0; i < n; i++) {
        if (routes[i].segments && routes[i].segments != segments)
            continue; /* match() would fail: it pairs segments one to one */
        int score = match(routes[i].pattern, path, NULL, NULL, a);
        if (score < 0)
            continue;
        *allowed |= routes[i].method;
        if (routes[i].method & SOUK_GET)
            *allowed |= SOUK_HEAD;
        if (routes[i].method == want && score > best_score) {
            best = &routes[i];
            best_score = score;
        }
    }
    if (best)
        match(best->pattern, path, params, nparams, a);
    return best;
}
