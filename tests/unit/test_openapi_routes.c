/*
 * Keeps src/app/openapi.json and the route table (src/app/routes.c) in step:
 * every route has an operation in the embedded document and every operation
 * has a route. Placeholder names are normalised ("{id}", "{id_or_slug}" ->
 * "{}"), so only the shape of the path matters.
 *
 * The rule for the storefront's HTML pages (src/web): a route flagged .web
 * is not an API operation and must not be documented as one. Every .web
 * route is public, lies outside /api/ and the platform paths (/healthz,
 * /readyz, /metrics, /.well-known/), and every route outside those is .web
 * (test_web_routes_rule); the document and the checks below ignore them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "app/routes.h"
#include "core/embed.h"

static const char *const http_methods[] = {"get", "head", "post", "put", "patch", "delete", "options", "trace"};

/* "/a/{id}/b/{x_y}" -> "/a/{}/b/{}" */
static void normalise(const char *pattern, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = pattern; *p && n + 3 < size; p++) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close)
                fail_msg("unbalanced '{' in %s", pattern);
            out[n++] = '{';
            out[n++] = '}';
            p = close;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

static void lower(const char *in, char *out, size_t size)
{
    size_t i = 0;
    for (; in[i] && i + 1 < size; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

static json_t *load_doc(void)
{
    const souk_embedded_file *f = souk_embed_find(souk_assets, souk_assets_count, "openapi.json");
    assert_non_null(f);
    assert_true(f->len > 0);
    json_error_t je;
    json_t *doc = json_loadb((const char *)f->data, f->len, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        fail_msg("openapi.json does not parse: %s (line %d)", je.text, je.line);
    return doc;
}

/* the operation for METHOD (lower-case) and a normalised PATH, or NULL */
static json_t *find_operation(json_t *paths, const char *method, const char *norm_path)
{
    const char *key;
    json_t *item;
    json_object_foreach(paths, key, item)
    {
        char norm[256];
        normalise(key, norm, sizeof norm);
        if (strcmp(norm, norm_path) == 0) {
            json_t *op = json_object_get(item, method);
            if (op)
                return op;
        }
    }
    return NULL;
}

static const souk_route *find_route(const char *method, const char *norm_path)
{
    for (size_t i = 0; i < souk_routes_count; i++) {
        if (souk_routes[i].web)
            continue;
        char m[16], norm[256];
        lower(souk_method_name(souk_routes[i].method), m, sizeof m);
        normalise(souk_routes[i].pattern, norm, sizeof norm);
        if (strcmp(m, method) == 0 && strcmp(norm, norm_path) == 0)
            return &souk_routes[i];
    }
    return NULL;
}

static void test_document_basics(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    const char *version = json_string_value(json_object_get(doc, "openapi"));
    assert_non_null(version);
    assert_int_equal(strncmp(version, "3.1", 3), 0);
    assert_true(json_is_object(json_object_get(doc, "info")));
    assert_true(json_is_object(json_object_get(doc, "paths")));
    assert_true(json_object_size(json_object_get(doc, "paths")) > 0);
    json_decref(doc);
}

static void test_route_table_is_valid(void **state)
{
    (void)state;
    assert_true(souk_routes_count > 0);
    char err[256] = "";
    if (souk_router_init(souk_routes, souk_routes_count, err, sizeof err) != 0)
        fail_msg("souk_routes is not a valid table: %s", err);
    /* no two routes differ only by placeholder names */
    for (size_t i = 0; i < souk_routes_count; i++)
        for (size_t j = 0; j < i; j++) {
            char a[256], b[256];
            normalise(souk_routes[i].pattern, a, sizeof a);
            normalise(souk_routes[j].pattern, b, sizeof b);
            if (souk_routes[i].method == souk_routes[j].method && strcmp(a, b) == 0)
                fail_msg("routes %s and %s (%s) are ambiguous", souk_routes[i].pattern, souk_routes[j].pattern,
                         souk_method_name(souk_routes[i].method));
        }
}

static void test_every_route_is_documented(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    json_t *paths = json_object_get(doc, "paths");
    int missing = 0;
    for (size_t i = 0; i < souk_routes_count; i++) {
        const souk_route *r = &souk_routes[i];
        char m[16], norm[256];
        if (r->web)
            continue;
        lower(souk_method_name(r->method), m, sizeof m);
        normalise(r->pattern, norm, sizeof norm);
        if (!find_operation(paths, m, norm)) {
            print_error("route %s %s has no operation in openapi.json\n", souk_method_name(r->method), r->pattern);
            missing++;
        }
    }
    json_decref(doc);
    assert_int_equal(missing, 0);
}

static void test_every_operation_has_a_route(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    json_t *paths = json_object_get(doc, "paths");
    int orphans = 0, ops = 0;
    const char *key;
    json_t *item;
    json_object_foreach(paths, key, item)
    {
        assert_true(json_is_object(item));
        char norm[256];
        normalise(key, norm, sizeof norm);
        for (size_t k = 0; k < sizeof http_methods / sizeof http_methods[0]; k++) {
            if (!json_object_get(item, http_methods[k]))
                continue;
            ops++;
            if (!find_route(http_methods[k], norm)) {
                print_error("operation %s %s in openapi.json has no route\n", http_methods[k], key);
                orphans++;
            }
        }
        /* anything else under a path item must be a known non-operation key */
        const char *k2;
        json_t *v;
        json_object_foreach(item, k2, v)
        {
            bool known = false;
            for (size_t k = 0; k < sizeof http_methods / sizeof http_methods[0]; k++)
                known |= strcmp(k2, http_methods[k]) == 0;
            known |= strcmp(k2, "parameters") == 0 || strcmp(k2, "summary") == 0 || strcmp(k2, "description") == 0 ||
                     strcmp(k2, "servers") == 0 || strcmp(k2, "$ref") == 0;
            if (!known)
                fail_msg("path %s has an unexpected key \"%s\" (a misspelt method?)", key, k2);
        }
    }
    json_decref(doc);
    assert_int_equal(orphans, 0);
    size_t api_routes = 0;
    for (size_t i = 0; i < souk_routes_count; i++)
        api_routes += !souk_routes[i].web;
    assert_int_equal((size_t)ops, api_routes);
}

static bool platform_path(const char *p)
{
    return strncmp(p, "/api/", 5) == 0 || strcmp(p, "/healthz") == 0 || strcmp(p, "/readyz") == 0 ||
           strcmp(p, "/metrics") == 0 || strncmp(p, "/.well-known/", 13) == 0;
}

/* The storefront rule (see the top of this file). */
static void test_web_routes_rule(void **state)
{
    (void)state;
    size_t web = 0;
    for (size_t i = 0; i < souk_routes_count; i++) {
        const souk_route *r = &souk_routes[i];
        if (r->web) {
            web++;
            if (platform_path(r->pattern))
                fail_msg("web route %s %s collides with the API or platform paths", souk_method_name(r->method),
                         r->pattern);
            if (strcmp(r->permission, SOUK_PERM_PUBLIC) != 0)
                fail_msg("web route %s %s must be public (pages check their own cookies)", souk_method_name(r->method),
                         r->pattern);
        } else if (!platform_path(r->pattern)) {
            fail_msg("route %s %s is outside /api/ and the platform paths but not flagged .web",
                     souk_method_name(r->method), r->pattern);
        }
    }
    assert_true(web > 0);
}

/* Operations of routes that need a permission declare a security requirement
 * without the anonymous alternative ({}); public routes do not demand one. */
static void test_security_matches_permissions(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    json_t *paths = json_object_get(doc, "paths");
    for (size_t i = 0; i < souk_routes_count; i++) {
        const souk_route *r = &souk_routes[i];
        char m[16], norm[256];
        if (r->web)
            continue;
        lower(souk_method_name(r->method), m, sizeof m);
        normalise(r->pattern, norm, sizeof norm);
        json_t *op = find_operation(paths, m, norm);
        if (!op)
            continue; /* reported by test_every_route_is_documented */
        json_t *sec = json_object_get(op, "security");
        bool anonymous_ok = !sec || json_array_size(sec) == 0;
        size_t k;
        json_t *req;
        json_array_foreach(sec, k, req) anonymous_ok |= json_is_object(req) && json_object_size(req) == 0;
        bool is_public = strcmp(r->permission, SOUK_PERM_PUBLIC) == 0;
        if (is_public && !anonymous_ok)
            fail_msg("%s %s is public but its operation requires credentials", m, r->pattern);
        if (!is_public && anonymous_ok)
            fail_msg("%s %s needs %s but its operation allows anonymous calls", m, r->pattern, r->permission);
    }
    json_decref(doc);
}

static void test_normalise(void **state)
{
    (void)state;
    char out[64];
    normalise("/api/v1/products/{id_or_slug}", out, sizeof out);
    assert_string_equal(out, "/api/v1/products/{}");
    normalise("/v/{id}/prices/{currency}", out, sizeof out);
    assert_string_equal(out, "/v/{}/prices/{}");
    normalise("/healthz", out, sizeof out);
    assert_string_equal(out, "/healthz");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_document_basics),
        cmocka_unit_test(test_route_table_is_valid),
        cmocka_unit_test(test_every_route_is_documented),
        cmocka_unit_test(test_every_operation_has_a_route),
        cmocka_unit_test(test_security_matches_permissions),
        cmocka_unit_test(test_web_routes_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
