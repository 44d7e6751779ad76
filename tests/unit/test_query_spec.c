/* Unit tests for src/core/query_spec.c: declarative query-parameter decoding. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/cursor.h"
#include "core/id.h"
#include "core/query_spec.h"

static const char *const states[] = {"queued", "done", NULL};

typedef struct list_in {
    int64_t limit;
    int state;
    const char *kind;
    int64_t user;
    int64_t from;
    int64_t cursor;
    int64_t even;
    uint64_t present;
} list_in;

static const char *even_only(const char *v, size_t len, void *dst, souk_arena *a)
{
    (void)a;
    int64_t n;
    if (len == 0 || souk_query_int(v, 0, 1000, &n) < 0 || n % 2)
        return "must be an even number up to 1000";
    *(int64_t *)dst = n;
    return NULL;
}

enum { F_LIMIT, F_STATE, F_KIND, F_USER, F_FROM, F_CURSOR, F_EVEN };
static const souk_query_field fields[] = {
    [F_LIMIT] = SOUK_QUERY_F_INT("limit", list_in, limit, 1, 100),
    [F_STATE] = SOUK_QUERY_F_ENUM("state", list_in, state, states),
    [F_KIND] = SOUK_QUERY_F_TEXT("kind", list_in, kind, 1, 8, .message = "must be a job kind"),
    [F_USER] = SOUK_QUERY_F_ID("user", list_in, user, "usr"),
    [F_FROM] = SOUK_QUERY_F_TIME("from", list_in, from),
    [F_CURSOR] = SOUK_QUERY_F_CURSOR("cursor", list_in, cursor, "j1"),
    [F_EVEN] = SOUK_QUERY_F_CUSTOM("even", list_in, even, even_only),
};
static const souk_query_spec spec = SOUK_QUERY_SPEC(list_in, fields);

typedef struct fx {
    souk_arena a;
    souk_problems pr;
    souk_query q;
} fx;

static int setup(void **state)
{
    static fx f;
    souk_arena_init(&f.a, 4096, 1 << 20);
    souk_problems_init(&f.pr);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    souk_arena_release(&f->a);
    return 0;
}

static void parse(fx *f, const char *qs)
{
    const char *err = NULL;
    souk_problems_init(&f->pr);
    assert_int_equal(souk_query_parse(&f->q, qs, strlen(qs), &f->a, &err), 0);
}

static const char *problem(fx *f, const char *field)
{
    for (size_t i = 0; i < f->pr.count; i++)
        if (strcmp(f->pr.items[i].field, field) == 0)
            return f->pr.items[i].message;
    return NULL;
}

static void test_decodes_each_type(void **state)
{
    fx *f = *state;
    char cursor[SOUK_CURSOR_TEXT_MAX], user[SOUK_ID_TEXT_MAX], qs[256];
    souk_cursor_encode("j1", 99, cursor);
    souk_id_format("usr", 1, user);
    snprintf(qs, sizeof qs, "limit=5&state=done&kind=mail&user=%s&from=2026-01-15T10:30:00Z&cursor=%s&even=8", user,
             cursor);
    parse(f, qs);
    list_in in = {.limit = 24, .state = -1};
    assert_int_equal(souk_query_decode(&spec, &f->q, &in, &f->a, &f->pr), 0);
    assert_int_equal(in.limit, 5);
    assert_int_equal(in.state, 1);
    assert_string_equal(in.kind, "mail");
    assert_int_equal(in.user, 1);
    assert_true(in.from > 0);
    assert_int_equal(in.cursor, 99);
    assert_int_equal(in.even, 8);
    for (size_t i = 0; i < spec.nfields; i++)
        assert_true(souk_query_present(&spec, &in, i));
}

static void test_absent_keeps_defaults(void **state)
{
    fx *f = *state;
    parse(f, "state=queued");
    list_in in = {.limit = 24, .state = -1};
    assert_int_equal(souk_query_decode(&spec, &f->q, &in, &f->a, &f->pr), 0);
    assert_int_equal(in.limit, 24);
    assert_int_equal(in.state, 0);
    assert_false(souk_query_present(&spec, &in, F_LIMIT));
    assert_true(souk_query_present(&spec, &in, F_STATE));
    assert_false(souk_query_present(&spec, &in, 99));
}

static void test_problems(void **state)
{
    fx *f = *state;
    parse(f, "limit=0&state=lost&kind=averylongkind&user=ord_1&from=yesterday&cursor=abc&even=3&color=red&limit=2");
    list_in in = {0};
    assert_int_equal(souk_query_decode(&spec, &f->q, &in, &f->a, &f->pr), -1);
    assert_string_equal(problem(f, "limit"), "must be an integer from 1 to 100");
    assert_string_equal(problem(f, "state"), "must be one of queued, done");
    assert_string_equal(problem(f, "kind"), "must be a job kind");
    assert_string_equal(problem(f, "user"), "must be an id (usr_…)");
    assert_string_equal(problem(f, "from"), "must be an RFC 3339 date-time such as 2026-01-15T10:30:00Z");
    assert_string_equal(problem(f, "cursor"), "is not a valid cursor");
    assert_string_equal(problem(f, "even"), "must be an even number up to 1000");
    assert_string_equal(problem(f, "color"), "unknown parameter");
    /* the second limit is refused as a repeat, whatever its value */
    int repeats = 0;
    for (size_t i = 0; i < f->pr.count; i++)
        repeats += strcmp(f->pr.items[i].message, "must not be repeated") == 0;
    assert_int_equal(repeats, 1);
    assert_int_equal(f->pr.count, 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_decodes_each_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_absent_keeps_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_problems, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
