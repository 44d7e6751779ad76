/*
 * Unit tests for src/http/router.c (route table checks and matching).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "http/router.h"

static int h_list(souk_req *req, souk_res *res)
{
    (void)req;
    (void)res;
    return 1;
}
static int h_create(souk_req *req, souk_res *res)
{
    (void)req;
    (void)res;
    return 2;
}
static int h_get(souk_req *req, souk_res *res)
{
    (void)req;
    (void)res;
    return 3;
}
static int h_special(souk_req *req, souk_res *res)
{
    (void)req;
    (void)res;
    return 4;
}
static int h_delete(souk_req *req, souk_res *res)
{
    (void)req;
    (void)res;
    return 5;
}
static int h_price(souk_req *req, souk_res *res)
{
    (void)req;
    (void)res;
    return 6;
}
static int h_root(souk_req *req, souk_res *res)
{
    (void)req;
    (void)res;
    return 7;
}

#define R(m, p, h)                                                                                                     \
    {                                                                                                                  \
        m, p, SOUK_PERM_PUBLIC, h, NULL, false, 0                                                                      \
    }

/* the placeholder route comes before the literal one on purpose */
static souk_route table[] = {
    R(SOUK_GET, "/items", h_list),
    R(SOUK_POST, "/items", h_create),
    R(SOUK_GET, "/items/{id}", h_get),
    R(SOUK_GET, "/items/special", h_special),
    R(SOUK_DELETE, "/items/{id}", h_delete),
    R(SOUK_PUT, "/items/{id}/prices/{currency}", h_price),
    R(SOUK_GET, "/", h_root),
};
#define NTABLE (sizeof table / sizeof table[0])

static souk_arena arena;

static int setup(void **state)
{
    (void)state;
    souk_arena_init(&arena, 4096, 0);
    char err[256] = "";
    if (souk_router_init(table, NTABLE, err, sizeof err) != 0)
        fail_msg("router init: %s", err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    souk_arena_release(&arena);
    return 0;
}

typedef struct match {
    const souk_route *r;
    const char *params[SOUK_ROUTE_MAX_PARAMS];
    size_t nparams;
    unsigned allowed;
} match;

static match m(souk_method method, const char *path)
{
    match x;
    memset(&x, 0, sizeof x);
    x.nparams = 99;
    x.allowed = 0xdead;
    x.r = souk_router_match(table, NTABLE, method, path, x.params, &x.nparams, &x.allowed, &arena);
    return x;
}

static void test_init_rejects(void **state)
{
    (void)state;
    char err[256];
    souk_route no_perm[] = {{SOUK_GET, "/a", NULL, h_list, NULL, false, 0}};
    err[0] = '\0';
    assert_int_equal(souk_router_init(no_perm, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "permission"));
    assert_non_null(strstr(err, "/a"));
    souk_route empty_perm[] = {{SOUK_GET, "/a", "", h_list, NULL, false, 0}};
    assert_int_equal(souk_router_init(empty_perm, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "permission"));

    souk_route dup[] = {R(SOUK_GET, "/a", h_list), R(SOUK_POST, "/a", h_create), R(SOUK_GET, "/a", h_get)};
    err[0] = '\0';
    assert_int_equal(souk_router_init(dup, 3, err, sizeof err), -1);
    assert_non_null(strstr(err, "twice"));
    assert_non_null(strstr(err, "GET /a"));

    souk_route no_handler[] = {R(SOUK_GET, "/a", NULL)};
    assert_int_equal(souk_router_init(no_handler, 1, err, sizeof err), -1);
    souk_route no_slash[] = {R(SOUK_GET, "a/b", h_list)};
    assert_int_equal(souk_router_init(no_slash, 1, err, sizeof err), -1);
    souk_route no_pattern[] = {R(SOUK_GET, NULL, h_list)};
    assert_int_equal(souk_router_init(no_pattern, 1, err, sizeof err), -1);
    souk_route bad_method[] = {R((souk_method)3, "/a", h_list)};
    assert_int_equal(souk_router_init(bad_method, 1, err, sizeof err), -1);
    souk_route too_many[] = {R(SOUK_GET, "/{a}/{b}/{c}/{d}/{e}", h_list)};
    assert_int_equal(souk_router_init(too_many, 1, err, sizeof err), -1);

    /* valid tables pass; permissions other than public are fine */
    souk_route ok[] = {{SOUK_GET, "/{a}/{b}/{c}/{d}", "catalog:write", h_list, NULL, false, 0},
                       R(SOUK_POST, "/{a}/{b}/{c}/{d}", h_create)};
    assert_int_equal(souk_router_init(ok, 2, err, sizeof err), 0);
}

static void test_literal_beats_placeholder(void **state)
{
    (void)state;
    match x = m(SOUK_GET, "/items/special");
    assert_non_null(x.r);
    assert_ptr_equal(x.r->handler, h_special);
    assert_int_equal(x.nparams, 0);
    x = m(SOUK_GET, "/items/specials");
    assert_ptr_equal(x.r->handler, h_get);
    x = m(SOUK_GET, "/items/Special");
    assert_ptr_equal(x.r->handler, h_get);
}

static void test_params_captured(void **state)
{
    (void)state;
    match x = m(SOUK_GET, "/items/prod_01ABC");
    assert_non_null(x.r);
    assert_ptr_equal(x.r->handler, h_get);
    assert_int_equal(x.nparams, 1);
    assert_string_equal(x.params[0], "prod_01ABC");
    assert_int_equal(x.allowed, SOUK_GET | SOUK_HEAD | SOUK_DELETE);

    x = m(SOUK_PUT, "/items/var_9/prices/EUR");
    assert_non_null(x.r);
    assert_ptr_equal(x.r->handler, h_price);
    assert_int_equal(x.nparams, 2);
    assert_string_equal(x.params[0], "var_9");
    assert_string_equal(x.params[1], "EUR");

    x = m(SOUK_DELETE, "/items/a%20b");
    assert_ptr_equal(x.r->handler, h_delete);
    assert_string_equal(x.params[0], "a%20b"); /* copied as given */

    x = m(SOUK_GET, "/");
    assert_ptr_equal(x.r->handler, h_root);
    assert_int_equal(x.nparams, 0);
}

static void test_method_not_allowed(void **state)
{
    (void)state;
    match x = m(SOUK_PATCH, "/items/abc");
    assert_null(x.r);
    assert_int_equal(x.allowed, SOUK_GET | SOUK_HEAD | SOUK_DELETE);
    const char *allow = souk_methods_list(x.allowed, &arena);
    assert_string_equal(allow, "GET, HEAD, DELETE");

    x = m(SOUK_DELETE, "/items");
    assert_null(x.r);
    assert_int_equal(x.allowed, SOUK_GET | SOUK_HEAD | SOUK_POST);

    /* /items/special is matched by both the literal and {id} routes */
    x = m(SOUK_POST, "/items/special");
    assert_null(x.r);
    assert_int_equal(x.allowed, SOUK_GET | SOUK_HEAD | SOUK_DELETE);

    x = m(SOUK_GET, "/items/x/prices/USD");
    assert_null(x.r);
    assert_int_equal(x.allowed, SOUK_PUT); /* no GET, so no implied HEAD */
}

static void test_head_uses_get(void **state)
{
    (void)state;
    match x = m(SOUK_HEAD, "/items");
    assert_non_null(x.r);
    assert_ptr_equal(x.r->handler, h_list);
    assert_int_equal(x.r->method, SOUK_GET);
    x = m(SOUK_HEAD, "/items/special");
    assert_ptr_equal(x.r->handler, h_special);
    x = m(SOUK_HEAD, "/items/x/prices/USD");
    assert_null(x.r);
    assert_int_equal(x.allowed, SOUK_PUT);
}

static void test_no_match(void **state)
{
    (void)state;
    const char *paths[] = {"/nothing",
                           "/items/",
                           "/items/abc/",
                           "/items//prices/x",
                           "/items/a/prices/",
                           "/items/a/prices",
                           "//items",
                           "/ITEMS",
                           "items",
                           "",
                           "/items/a/b",
                           "/items/a/prices/USD/x",
                           "/itemsx",
                           "/item"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        match x = m(SOUK_GET, paths[i]);
        if (x.r)
            fail_msg("\"%s\" matched %s", paths[i], x.r->pattern);
        if (x.allowed != 0)
            fail_msg("\"%s\": allowed 0x%x, expected 0", paths[i], x.allowed);
    }
}

static void test_method_names(void **state)
{
    (void)state;
    assert_string_equal(souk_method_name(SOUK_GET), "GET");
    assert_string_equal(souk_method_name(SOUK_OPTIONS), "OPTIONS");
    assert_string_equal(souk_method_name((souk_method)3), "?");
    assert_int_equal(souk_method_parse("GET", 3), SOUK_GET);
    assert_int_equal(souk_method_parse("PATCH", 5), SOUK_PATCH);
    assert_int_equal(souk_method_parse("DELETEX", 6), SOUK_DELETE);
    assert_int_equal(souk_method_parse("get", 3), 0);
    assert_int_equal(souk_method_parse("GETX", 4), 0);
    assert_int_equal(souk_method_parse("GE", 2), 0);
    assert_int_equal(souk_method_parse("", 0), 0);
    assert_string_equal(souk_methods_list(0, &arena), "");
    assert_string_equal(souk_methods_list(0x7f, &arena), "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rejects),    cmocka_unit_test(test_literal_beats_placeholder),
        cmocka_unit_test(test_params_captured), cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_head_uses_get),   cmocka_unit_test(test_no_match),
        cmocka_unit_test(test_method_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
