/*
 * Unit tests for src/core/json.c: body parsing (depth, duplicates, UTF-8,
 * trailing garbage) and declarative decoding with field-level problems.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/json.h"

/* ---- a small spec covering every field type ----------------------------- */

typedef struct item {
    const char *name;
    int64_t qty;
    uint64_t present, nulls;
} item;

typedef struct thing {
    const char *name;
    int64_t count;
    bool flag;
    int color;
    int64_t brand;
    souk_json_strmap tags;
    souk_json_array items;
    const char *note;
    uint64_t present, nulls;
} thing;

enum { F_NAME, F_COUNT, F_FLAG, F_COLOR, F_BRAND, F_TAGS, F_ITEMS, F_NOTE };

static const char *no_x(const char *s, size_t len)
{
    return memchr(s, 'x', len) ? "must not contain x" : NULL;
}

static const char *lower_key(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < 'a' || s[i] > 'z')
            return "keys use a-z only";
    return len ? NULL : "keys must not be empty";
}

static const char *const colors[] = {"red", "green", NULL};

static const souk_json_field item_fields[] = {
    {"name", SOUK_JSON_STRING, SOUK_JSON_REQUIRED, offsetof(item, name), 1, 10, 0, NULL, NULL, NULL, NULL},
    {"qty", SOUK_JSON_INT, 0, offsetof(item, qty), 1, 99, 0, NULL, NULL, NULL, NULL},
};
static const souk_json_spec item_spec = {item_fields, 2, sizeof(item), offsetof(item, present), offsetof(item, nulls)};

static const souk_json_field thing_fields[] = {
    {"name", SOUK_JSON_STRING, SOUK_JSON_REQUIRED, offsetof(thing, name), 1, 5, 0, NULL, no_x, NULL, NULL},
    {"count", SOUK_JSON_INT, 0, offsetof(thing, count), -10, 10, 0, NULL, NULL, NULL, NULL},
    {"flag", SOUK_JSON_BOOL, 0, offsetof(thing, flag), 0, 0, 0, NULL, NULL, NULL, NULL},
    {"color", SOUK_JSON_ENUM, 0, offsetof(thing, color), 0, 0, 0, NULL, NULL, colors, NULL},
    {"brand", SOUK_JSON_ID, SOUK_JSON_NULLABLE, offsetof(thing, brand), 0, 0, 0, "brand", NULL, NULL, NULL},
    {"tags", SOUK_JSON_STRMAP, 0, offsetof(thing, tags), 0, 2, 3, NULL, lower_key, NULL, NULL},
    {"items", SOUK_JSON_ARRAY, 0, offsetof(thing, items), 0, 3, 0, NULL, NULL, NULL, &item_spec},
    {"note", SOUK_JSON_STRING, SOUK_JSON_NULLABLE, offsetof(thing, note), 0, 0, 0, NULL, NULL, NULL, NULL},
};
static const souk_json_spec thing_spec = {thing_fields, 8, sizeof(thing), offsetof(thing, present),
                                          offsetof(thing, nulls)};

/* ---- helpers ------------------------------------------------------------ */

typedef struct fixture {
    souk_arena a;
    souk_problems pr;
    thing out;
} fixture;

static int setup(void **state)
{
    static fixture f;
    souk_arena_init(&f.a, 4096, 0);
    souk_problems_init(&f.pr);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    souk_arena_release(&((fixture *)*state)->a);
    return 0;
}

static json_t *parse(const char *s)
{
    char err[256] = "";
    json_t *j = souk_json_parse_object(s, strlen(s), err, sizeof err);
    if (!j)
        fail_msg("parse failed: %s\n  input: %s", err, s);
    return j;
}

static void expect_parse_error(const char *s, size_t len, const char *msg_part)
{
    char err[256] = "";
    json_t *j = souk_json_parse_object(s, len, err, sizeof err);
    if (j) {
        json_decref(j);
        fail_msg("accepted: %.80s", s);
    }
    assert_true(err[0] != '\0');
    if (msg_part && !strstr(err, msg_part))
        fail_msg("error \"%s\" does not mention \"%s\"", err, msg_part);
}

/* decodes S with thing_spec; returns souk_json_decode's result */
static int decode(fixture *f, const char *s)
{
    souk_problems_init(&f->pr);
    json_t *j = parse(s);
    int r = souk_json_decode(&thing_spec, j, &f->out, "", &f->a, &f->pr);
    json_decref(j); /* decoded strings live in the arena */
    return r;
}

static const char *problem(const fixture *f, const char *field)
{
    for (size_t i = 0; i < f->pr.count; i++)
        if (strcmp(f->pr.items[i].field, field) == 0)
            return f->pr.items[i].message;
    return NULL;
}

static void expect_problem(const fixture *f, const char *field, const char *msg_part)
{
    const char *m = problem(f, field);
    if (!m) {
        for (size_t i = 0; i < f->pr.count; i++)
            print_message("  problem: %s: %s\n", f->pr.items[i].field, f->pr.items[i].message);
        fail_msg("no problem reported for field \"%s\"", field);
    }
    if (msg_part && !strstr(m, msg_part))
        fail_msg("problem for %s is \"%s\", expected it to mention \"%s\"", field, m, msg_part);
}

static void nest(char *buf, size_t size, int depth, char open, char close)
{
    size_t n = 0;
    n += (size_t)snprintf(buf + n, size - n, "{\"a\":");
    for (int i = 1; i < depth; i++)
        buf[n++] = open;
    buf[n++] = '1';
    for (int i = 1; i < depth; i++)
        buf[n++] = close;
    buf[n++] = '}';
    buf[n] = '\0';
}

/* ---- parsing ------------------------------------------------------------ */

static void test_parse_depth(void **state)
{
    (void)state;
    char buf[512];
    nest(buf, sizeof buf, 32, '[', ']'); /* the outer object + 31 arrays */
    json_decref(parse(buf));
    nest(buf, sizeof buf, 33, '[', ']');
    expect_parse_error(buf, strlen(buf), "nesting");
    /* objects count the same way */
    char obj[1024] = "";
    size_t n = 0;
    for (int i = 0; i < 32; i++)
        n += (size_t)snprintf(obj + n, sizeof obj - n, "{\"k\":");
    n += (size_t)snprintf(obj + n, sizeof obj - n, "0");
    for (int i = 0; i < 32; i++)
        obj[n++] = '}';
    obj[n] = '\0';
    /* 32 '{' opened before the innermost value: exactly the limit */
    json_decref(parse(obj));
    char deeper[1100];
    snprintf(deeper, sizeof deeper, "{\"z\":%s}", obj);
    expect_parse_error(deeper, strlen(deeper), "nesting");
    /* brackets inside strings (also after escaped quotes) do not count */
    char s[256];
    snprintf(s, sizeof s, "{\"s\":\"\\\"%s\"}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{");
    json_decref(parse(s));
}

static void test_parse_rejects(void **state)
{
    (void)state;
    expect_parse_error("[1,2]", 5, "object");
    expect_parse_error("\"str\"", 5, NULL);
    expect_parse_error("42", 2, NULL);
    expect_parse_error("null", 4, NULL);
    expect_parse_error("", 0, NULL);
    expect_parse_error("   ", 3, NULL);
    expect_parse_error("{\"a\":1,\"a\":2}", 13, NULL); /* duplicate key */
    expect_parse_error("{\"a\":1} x", 9, NULL);        /* trailing garbage */
    expect_parse_error("{\"a\":1}{}", 9, NULL);
    expect_parse_error("{\"a\":\"\xff\"}", 9, NULL);          /* invalid UTF-8 */
    expect_parse_error("{\"a\":\"\xc0\xaf\"}", 10, NULL);     /* overlong */
    expect_parse_error("{\"a\":\"\xed\xa0\x80\"}", 11, NULL); /* surrogate */
    expect_parse_error("{\"\xfe\":1}", 7, NULL);
    expect_parse_error("{\"a\":1,}", 8, NULL);
    expect_parse_error("{a:1}", 5, NULL);
    expect_parse_error("{\"a\":01}", 8, NULL);
    expect_parse_error("{\"a\":\"\\u0000\"}", 14, NULL); /* NUL escapes are refused */
    /* the length is honoured: a valid prefix is parsed, the rest is unseen */
    char err[128];
    json_t *j = souk_json_parse_object("{\"a\":1}GARBAGE", 7, err, sizeof err);
    assert_non_null(j);
    json_decref(j);
    /* trailing whitespace and valid UTF-8 are fine */
    json_decref(parse("{\"caf\xc3\xa9\":\"\xe2\x82\xac\"} \n"));
}

/* the message for a body that fails to parse */
static const char *parse_error(const char *s, size_t len)
{
    static char err[256];
    err[0] = '\0';
    json_t *j = souk_json_parse_object(s, len, err, sizeof err);
    if (j) {
        json_decref(j);
        fail_msg("accepted: %.80s", s);
    }
    return err;
}

/* Messages go to clients: our own words, offsets from 0, no jansson
 * vocabulary and never bytes of the body. */
static void test_parse_error_messages(void **state)
{
    (void)state;
#define C(body, want)                                                                                                  \
    {                                                                                                                  \
        body, sizeof body - 1, want                                                                                    \
    }
    static const struct {
        const char *body;
        size_t len;
        const char *want; /* the whole message */
    } cases[] = {
        C("", "the body is empty"),
        C(" \r\n\t", "the body is empty"),
        C("{\"title\": ", "the body ends before the JSON value is complete (at byte 10)"),
        C("{\"a\":\"SECRETZ", "the body ends before the JSON value is complete (at byte 13)"),
        C("{\"a\":1} SECRETZ", "unexpected data after the JSON value at byte 8"),
        C("{\"a\":1}{}", "unexpected data after the JSON value at byte 7"),
        C("{\"a\":\"b\0c\"}", "a NUL byte at byte 7"),
        C("{\"a\":\"\\u0000\"}", "NUL characters (\\u0000) are not allowed, near byte 12"),
        C("{\"a\": SECRETZ}", "unexpected character near byte 12"),
        C("{\"a\":\"x\xff\"}", "invalid UTF-8 at byte 7"),
        C("{\"SECRETZ\":1,\"SECRETZ\":2}", "duplicate object key near byte 21"),
        C("{\"a\":1e999}", "number out of range near byte 9"),
        C("[\"SECRETZ\"]", "the body must be a JSON object, not an array"),
        C("\"SECRETZ\"", "the body must be a JSON object, not a string"),
        C("42", "the body must be a JSON object, not a number"),
        C("true", "the body must be a JSON object, not a boolean"),
        C("null", "the body must be a JSON object, not null"),
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *err = parse_error(cases[i].body, cases[i].len);
        if (strcmp(err, cases[i].want) != 0)
            fail_msg("case %zu: \"%s\", want \"%s\"", i, err, cases[i].want);
        for (const char *bad = "SECRETZ\0JSON_\0line \0column\0near '\0near end\0"; *bad; bad += strlen(bad) + 1)
            if (strstr(err, bad))
                fail_msg("case %zu: \"%s\" contains \"%s\"", i, err, bad);
    }
#undef C
    char deep[200];
    nest(deep, sizeof deep, 33, '[', ']');
    assert_string_equal(parse_error(deep, strlen(deep)), "nesting deeper than 32 levels at byte 36");
}

/* ---- decoding ----------------------------------------------------------- */

static void test_decode_full(void **state)
{
    fixture *f = *state;
    char brand[SOUK_ID_TEXT_MAX], body[512];
    souk_id_format("brand", 12345, brand);
    snprintf(body, sizeof body,
             "{\"name\":\"h\xc3\xa9llo\",\"count\":-10,\"flag\":true,\"color\":\"green\",\"brand\":\"%s\","
             "\"tags\":{\"a\":\"x\",\"b\":\"yyy\"},\"items\":[{\"name\":\"one\",\"qty\":1},{\"name\":\"two\"}],"
             "\"note\":null}",
             brand);
    assert_int_equal(decode(f, body), 0);
    assert_int_equal(f->pr.count, 0);
    thing *t = &f->out;
    assert_string_equal(t->name, "h\xc3\xa9llo"); /* 5 characters, 6 bytes */
    assert_int_equal(t->count, -10);
    assert_true(t->flag);
    assert_int_equal(t->color, 1);
    assert_int_equal(t->brand, 12345);
    assert_int_equal(t->tags.count, 2);
    assert_string_equal(t->tags.keys[0], "a");
    assert_string_equal(t->tags.values[0], "x");
    assert_string_equal(t->tags.keys[1], "b");
    assert_string_equal(t->tags.values[1], "yyy");
    assert_int_equal(t->items.count, 2);
    const item *it = t->items.items;
    assert_string_equal(it[0].name, "one");
    assert_int_equal(it[0].qty, 1);
    assert_string_equal(it[1].name, "two");
    assert_int_equal(it[1].qty, 0);
    assert_true(souk_json_present(&item_spec, &it[0], 1));
    assert_false(souk_json_present(&item_spec, &it[1], 1));
    assert_null(t->note);
    for (size_t i = 0; i < 8; i++)
        assert_true(souk_json_present(&thing_spec, t, i));
    assert_int_equal(t->present, 0xff);
    assert_int_equal(t->nulls, UINT64_C(1) << F_NOTE);
    assert_true(souk_json_is_null(&thing_spec, t, F_NOTE));
    assert_false(souk_json_is_null(&thing_spec, t, F_BRAND));
}

static void test_decode_presence(void **state)
{
    fixture *f = *state;
    f->out.count = 99; /* decode zeroes the struct first */
    assert_int_equal(decode(f, "{\"name\":\"a\",\"brand\":null}"), 0);
    assert_int_equal(f->out.count, 0);
    assert_int_equal(f->out.present, (UINT64_C(1) << F_NAME) | (UINT64_C(1) << F_BRAND));
    assert_int_equal(f->out.nulls, UINT64_C(1) << F_BRAND);
    assert_int_equal(f->out.brand, 0);
    assert_false(souk_json_present(&thing_spec, &f->out, F_COUNT));
    assert_true(souk_json_present(&thing_spec, &f->out, F_BRAND));
    assert_true(souk_json_is_null(&thing_spec, &f->out, F_BRAND));
}

static void test_decode_required_unknown_null(void **state)
{
    fixture *f = *state;
    assert_int_equal(decode(f, "{\"bogus\":1,\"count\":null}"), -1);
    expect_problem(f, "bogus", "unknown field");
    expect_problem(f, "name", "required");
    expect_problem(f, "count", "must not be null");
    assert_int_equal(f->pr.count, 3);
    /* a required field given as null counts as present but is not allowed */
    assert_int_equal(decode(f, "{\"name\":null}"), -1);
    expect_problem(f, "name", "null");
    assert_int_equal(f->pr.count, 1);
}

static void test_decode_wrong_types(void **state)
{
    fixture *f = *state;
    assert_int_equal(decode(f, "{\"name\":5,\"count\":\"5\",\"flag\":1,\"color\":2,\"brand\":7,"
                               "\"tags\":[],\"items\":{},\"note\":false}"),
                     -1);
    expect_problem(f, "name", "must be a string");
    expect_problem(f, "count", "must be an integer");
    expect_problem(f, "flag", "must be a boolean");
    expect_problem(f, "color", "must be a string");
    expect_problem(f, "brand", "must be a string");
    expect_problem(f, "tags", "object");
    expect_problem(f, "items", "must be an array");
    expect_problem(f, "note", "must be a string");
    assert_int_equal(f->pr.count, 8);
    /* reals are not integers */
    assert_int_equal(decode(f, "{\"name\":\"a\",\"count\":1.0}"), -1);
    expect_problem(f, "count", "integer");
}

static void test_decode_bounds(void **state)
{
    fixture *f = *state;
    /* strings: length in characters */
    assert_int_equal(decode(f, "{\"name\":\"\"}"), -1);
    expect_problem(f, "name", "must not be empty");
    assert_int_equal(decode(f, "{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}"), 0); /* 5 chars */
    assert_int_equal(decode(f, "{\"name\":\"abcdef\"}"), -1);
    expect_problem(f, "name", "at most 5");
    assert_int_equal(decode(f, "{\"name\":\"axb\"}"), -1);
    expect_problem(f, "name", "must not contain x");
    /* integers: inclusive range */
    assert_int_equal(decode(f, "{\"name\":\"a\",\"count\":10}"), 0);
    assert_int_equal(decode(f, "{\"name\":\"a\",\"count\":11}"), -1);
    expect_problem(f, "count", "between -10 and 10");
    assert_int_equal(decode(f, "{\"name\":\"a\",\"count\":-11}"), -1);
    assert_int_equal(decode(f, "{\"name\":\"a\",\"count\":9223372036854775807}"), -1);
    /* enum */
    assert_int_equal(decode(f, "{\"name\":\"a\",\"color\":\"blue\"}"), -1);
    expect_problem(f, "color", "red, green");
    assert_int_equal(decode(f, "{\"name\":\"a\",\"color\":\"RED\"}"), -1);
    /* id */
    assert_int_equal(decode(f, "{\"name\":\"a\",\"brand\":\"vend_0000000000001\"}"), -1);
    expect_problem(f, "brand", "brand id");
    /* array count */
    assert_int_equal(decode(f, "{\"name\":\"a\",\"items\":[{\"name\":\"1\"},{\"name\":\"2\"},{\"name\":\"3\"},"
                               "{\"name\":\"4\"}]}"),
                     -1);
    expect_problem(f, "items", "between 0 and 3");
}

static void test_decode_strmap(void **state)
{
    fixture *f = *state;
    assert_int_equal(decode(f, "{\"name\":\"a\",\"tags\":{}}"), 0);
    assert_int_equal(f->out.tags.count, 0);
    assert_int_equal(decode(f, "{\"name\":\"a\",\"tags\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}}"), -1);
    expect_problem(f, "tags", "between 0 and 2");
    /* the key check names the key in the field path */
    assert_int_equal(decode(f, "{\"name\":\"a\",\"tags\":{\"Bad\":\"1\",\"ok\":\"2\"}}"), -1);
    expect_problem(f, "tags.Bad", "a-z only");
    assert_int_equal(f->pr.count, 1);
    /* values: strings of at most vmax characters */
    assert_int_equal(decode(f, "{\"name\":\"a\",\"tags\":{\"a\":\"abcd\"}}"), -1);
    expect_problem(f, "tags.a", "at most 3");
    assert_int_equal(decode(f, "{\"name\":\"a\",\"tags\":{\"a\":\"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\"}}"), 0);
    assert_int_equal(decode(f, "{\"name\":\"a\",\"tags\":{\"a\":1,\"b\":null}}"), -1);
    expect_problem(f, "tags.a", "must be a string");
    expect_problem(f, "tags.b", "must be a string");
}

static void test_decode_array_paths(void **state)
{
    fixture *f = *state;
    assert_int_equal(decode(f, "{\"name\":\"a\",\"items\":[{\"name\":\"ok\"},{\"qty\":\"x\",\"zz\":1},"
                               "{\"name\":\"n\",\"qty\":100}]}"),
                     -1);
    expect_problem(f, "items[1].name", "required");
    expect_problem(f, "items[1].qty", "must be an integer");
    expect_problem(f, "items[1].zz", "unknown field");
    expect_problem(f, "items[2].qty", "between 1 and 99");
    assert_null(problem(f, "items[0].name"));
    assert_int_equal(f->pr.count, 4);
    assert_int_equal(decode(f, "{\"name\":\"a\",\"items\":[{\"name\":\"ok\"},5]}"), -1);
    expect_problem(f, "items[1]", "must be an object");
    assert_int_equal(f->pr.count, 1);
    /* a path given by the caller prefixes every field */
    souk_problems_init(&f->pr);
    json_t *j = parse("{\"name\":\"\",\"x\":1}");
    assert_int_equal(souk_json_decode(&thing_spec, j, &f->out, "variants[2]", &f->a, &f->pr), -1);
    json_decref(j);
    expect_problem(f, "variants[2].name", NULL);
    expect_problem(f, "variants[2].x", "unknown field");
    /* not an object at the top: reported against "body" */
    souk_problems_init(&f->pr);
    j = json_array();
    assert_int_equal(souk_json_decode(&thing_spec, j, &f->out, "", &f->a, &f->pr), -1);
    json_decref(j);
    expect_problem(f, "body", "must be an object");
}

static void test_decode_nul_in_string(void **state)
{
    fixture *f = *state;
    /* json_stringn can hold NULs even though the parser refuses them */
    json_t *j = json_pack("{s:s%}", "name", "a\0b", (size_t)3);
    assert_non_null(j);
    souk_problems_init(&f->pr);
    assert_int_equal(souk_json_decode(&thing_spec, j, &f->out, "", &f->a, &f->pr), -1);
    json_decref(j);
    expect_problem(f, "name", "NUL");
}

static void test_decode_problem_cap(void **state)
{
    fixture *f = *state;
    char body[4096] = "{\"name\":\"a\"";
    size_t n = strlen(body);
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(body + n, sizeof body - n, ",\"u%d\":1", i);
    snprintf(body + n, sizeof body - n, "}");
    assert_int_equal(decode(f, body), -1);
    assert_int_equal(f->pr.count, SOUK_PROBLEMS_MAX);
    assert_int_equal(f->pr.dropped, 40 - SOUK_PROBLEMS_MAX);
}

static void test_utf8_len(void **state)
{
    (void)state;
    assert_int_equal(souk_utf8_len("", 0) + souk_utf8_len("abc", 3), 3);
    assert_int_equal(souk_utf8_len("h\xc3\xa9", 3) + souk_utf8_len("\xe2\x82\xac\xf0\x9f\x98\x80", 7), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_depth),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_parse_error_messages),
        cmocka_unit_test_setup_teardown(test_decode_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_presence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_required_unknown_null, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_wrong_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_strmap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_array_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_nul_in_string, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_problem_cap, setup, teardown),
        cmocka_unit_test(test_utf8_len),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
