/*
 * libFuzzer driver for query strings and the product-list filter:
 * souk_query_parse (src/core/query.c), souk_catalog_filter_parse and the
 * page cursor (src/catalog/filter.c).
 *
 * 1. The whole input is a raw query string. On success the driver checks
 *    the params (count <= 32, decoded strings NUL-free valid UTF-8 whose
 *    value_len is right) and a round trip: percent-encoding every decoded
 *    byte and parsing again gives the same params.
 * 2. Parsed params go to souk_catalog_filter_parse (default currency USD).
 *    Success: limit 1..100, currency valid, nattrs <= 8 with valid names,
 *    price range sane, no unknown or repeated parameter accepted,
 *    has_cursor => cursor_id > 0 and a cursor was given; re-encoding the
 *    decoded cursor and parsing it again gives the same values.
 *    Failure: problems count > 0, all field/message strings non-NULL.
 * 3. Cursor round trip for the values list.c actually encodes: a cursor
 *    made by souk__catalog_cursor(sort, id, key, text) for id >= 1, price
 *    keys -1..INT64_MAX (list.c's NO_PRICE_LOW .. NO_PRICE_HIGH) and, for
 *    the name sort, a product title (1..200 UTF-8 characters, the title
 *    limit), sent back as `sort=S&cursor=C`, parses to the same values.
 *    The values come from the input bytes (see derive_cursor_case).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "catalog/internal.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/money.h"
#include "core/query.h"
#include "utf8_oracle.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

static const char *const sort_names[] = {"newest", "price_asc", "price_desc", "name"};

static void check_problems(const souk_problems *pr)
{
    CHECK(pr->count <= SOUK_PROBLEMS_MAX);
    for (size_t i = 0; i < pr->count; i++) {
        CHECK(pr->items[i].field != NULL && pr->items[i].message != NULL);
        CHECK(pr->items[i].message[0] != '\0');
    }
}

/* Percent-encodes every byte of S into OUT (3 * len bytes). */
static size_t pct(char *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        out[3 * i] = '%';
        out[3 * i + 1] = hex[c >> 4];
        out[3 * i + 2] = hex[c & 15];
    }
    return 3 * len;
}

static void check_query(const souk_query *q)
{
    CHECK(q->count <= SOUK_QUERY_MAX_PARAMS);
    for (size_t i = 0; i < q->count; i++) {
        const souk_query_param *p = &q->items[i];
        CHECK(p->key && p->value);
        CHECK(strlen(p->value) == p->value_len);
        CHECK(utf8_chars(p->key, strlen(p->key)) >= 0);
        CHECK(utf8_chars(p->value, p->value_len) >= 0);
    }
}

/* Re-encodes Q fully percent-escaped and parses it again. */
static void query_round_trip(const souk_query *q)
{
    size_t cap = 0;
    for (size_t i = 0; i < q->count; i++)
        cap += 3 * (strlen(q->items[i].key) + q->items[i].value_len) + 2;
    if (cap > SOUK_QUERY_MAX_LEN)
        return;
    char *buf = malloc(cap + 1);
    CHECK(buf);
    size_t n = 0;
    for (size_t i = 0; i < q->count; i++) {
        if (i)
            buf[n++] = '&';
        n += pct(buf + n, q->items[i].key, strlen(q->items[i].key));
        buf[n++] = '=';
        n += pct(buf + n, q->items[i].value, q->items[i].value_len);
    }
    souk_arena a;
    souk_arena_init(&a, 0, 1 << 20);
    souk_query q2;
    const char *err = NULL;
    /* a pair with an empty key and empty value encodes as "=": still a pair */
    CHECK(souk_query_parse(&q2, buf, n, &a, &err) == 0);
    CHECK(q2.count == q->count);
    for (size_t i = 0; i < q->count; i++) {
        CHECK(strcmp(q2.items[i].key, q->items[i].key) == 0);
        CHECK(q2.items[i].value_len == q->items[i].value_len);
        CHECK(memcmp(q2.items[i].value, q->items[i].value, q->items[i].value_len) == 0);
    }
    souk_arena_release(&a);
    free(buf);
}

static bool known_key(const char *k)
{
    static const char *const keys[] = {"limit",    "sort",  "status", "price_min", "price_max", "currency",
                                       "category", "brand", "vendor", "cursor",    "in_stock"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(k, keys[i]) == 0)
            return true;
    return strncmp(k, "attr.", 5) == 0;
}

static void check_filter_ok(const souk_catalog_filter *f, const souk_query *q)
{
    CHECK(f->limit >= 1 && f->limit <= SOUK_CATALOG_LIST_MAX);
    CHECK(f->currency[3] == '\0' && souk_currency_valid(f->currency));
    CHECK(f->nattrs <= SOUK_CATALOG_FILTER_ATTRS_MAX);
    for (size_t i = 0; i < f->nattrs; i++) {
        CHECK(f->attrs[i].name && f->attrs[i].value);
        CHECK(souk_catalog_check_attr_name(f->attrs[i].name, strlen(f->attrs[i].name)) == NULL);
        CHECK(utf8_chars(f->attrs[i].value, strlen(f->attrs[i].value)) <= 200); /* characters, like stored values */
    }
    CHECK((unsigned)f->sort <= SOUK_SORT_NAME);
    CHECK((unsigned)f->status <= SOUK_STATUS_ANY);
    if (f->has_price_min)
        CHECK(f->price_min >= 0 && f->price_min <= SOUK_MONEY_MAX);
    if (f->has_price_max)
        CHECK(f->price_max >= 0 && f->price_max <= SOUK_MONEY_MAX);
    if (f->has_price_min && f->has_price_max)
        CHECK(f->price_min <= f->price_max);
    const char *taxa[] = {f->category, f->brand, f->vendor};
    for (int i = 0; i < 3; i++)
        CHECK(!taxa[i] || (taxa[i][0] && strlen(taxa[i]) <= 100));
    for (size_t i = 0; i < q->count; i++) {
        CHECK(known_key(q->items[i].key));
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(q->items[i].key, q->items[j].key) != 0);
    }
    if (f->has_cursor) {
        CHECK(f->cursor_id > 0);
        CHECK(souk_query_get(q, "cursor") != NULL);
        if (f->sort == SOUK_SORT_NAME)
            CHECK(f->cursor_text != NULL);
    } else {
        CHECK(souk_query_get(q, "cursor") == NULL);
    }
}

/* Parses "sort=S&cursor=C" and returns the filter's result. */
static int parse_cursor_query(souk_catalog_sort sort, const char *cursor, souk_catalog_filter *f, souk_arena *a,
                              souk_problems *pr)
{
    char *raw = souk_arena_printf(a, "sort=%s&cursor=%s", sort_names[sort], cursor);
    CHECK(raw);
    souk_query q;
    const char *err = NULL;
    if (souk_query_parse(&q, raw, strlen(raw), a, &err) != 0)
        return -2;
    souk_problems_init(pr);
    int rc = souk_catalog_filter_parse(f, &q, "USD", a, pr);
    check_problems(pr);
    return rc;
}

/* The decoded cursor, encoded again, decodes to the same values. */
static void filter_cursor_round_trip(const souk_catalog_filter *f)
{
    souk_arena a;
    souk_arena_init(&a, 0, 1 << 20);
    char *c = souk__catalog_cursor(f->sort, f->cursor_id, f->cursor_key, f->cursor_text, &a);
    CHECK(c);
    souk_catalog_filter g;
    souk_problems pr;
    int rc = parse_cursor_query(f->sort, c, &g, &a, &pr);
    CHECK(rc == 0);
    CHECK(g.has_cursor && g.sort == f->sort && g.cursor_id == f->cursor_id);
    if (f->sort == SOUK_SORT_NAME)
        CHECK(g.cursor_text && strcmp(g.cursor_text, f->cursor_text) == 0);
    else
        CHECK(g.cursor_key == f->cursor_key);
    souk_arena_release(&a);
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Cursor round trip for a (sort, id, key, title) taken from the input:
 * byte 0 = sort, bytes 1..8 = id, 9..16 = key, the rest = title. Values
 * outside what list.c can produce are skipped. */
static void cursor_case(const uint8_t *data, size_t size)
{
    if (size < 17)
        return;
    souk_catalog_sort sort = (souk_catalog_sort)(data[0] & 3);
    int64_t id = (int64_t)(rd64(data + 1) & (uint64_t)INT64_MAX);
    int64_t key = (int64_t)rd64(data + 9);
    if (data[0] & 4)
        key = (int64_t)((uint64_t)key % (uint64_t)(SOUK_MONEY_MAX + 2)) - 1; /* -1..10^12, as prices */
    const char *title = (const char *)data + 17;
    size_t tlen = size - 17;
    if (id < 1 || key < -1)
        return;
    long chars = utf8_chars(title, tlen);
    if (sort == SOUK_SORT_NAME && (chars < 1 || chars > SOUK_CATALOG_NAME_MAX))
        return;

    souk_arena a;
    souk_arena_init(&a, 0, 1 << 20);
    char *text = souk_arena_strndup(&a, title, tlen);
    CHECK(text);
    char *c = souk__catalog_cursor(sort, id, key, sort == SOUK_SORT_NAME ? text : NULL, &a);
    CHECK(c && c[0]);
    souk_catalog_filter f;
    souk_problems pr;
    int rc = parse_cursor_query(sort, c, &f, &a, &pr);
    CHECK(rc == 0);
    CHECK(f.has_cursor && f.sort == sort && f.cursor_id == id);
    if (sort == SOUK_SORT_NAME)
        CHECK(f.cursor_text && strcmp(f.cursor_text, text) == 0);
    else
        CHECK(f.cursor_key == key);
    /* the same cursor is refused for any other sort */
    for (int s = 0; s < 4; s++) {
        if (s == (int)sort)
            continue;
        souk_catalog_filter g;
        CHECK(parse_cursor_query((souk_catalog_sort)s, c, &g, &a, &pr) == -1);
        CHECK(pr.count == 1 && strcmp(pr.items[0].field, "cursor") == 0);
    }
    souk_arena_release(&a);
}

/* the libFuzzer entry point */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    souk_arena a;
    souk_arena_init(&a, (size && (data[0] & 1)) ? 64 : 0, 1 << 20);
    souk_query q;
    memset(&q, 0xA5, sizeof q);
    const char *err = NULL;
    int rc = souk_query_parse(&q, (const char *)data, size, &a, &err);
    CHECK(rc == 0 || rc == -1);
    if (rc < 0) {
        CHECK(err && err[0]);
    } else {
        check_query(&q);
        query_round_trip(&q);

        souk_catalog_filter f;
        souk_problems pr;
        souk_problems_init(&pr);
        int frc = souk_catalog_filter_parse(&f, &q, "USD", &a, &pr);
        CHECK(frc == 0 || frc == -1);
        check_problems(&pr);
        if (frc == 0) {
            CHECK(pr.count == 0);
            check_filter_ok(&f, &q);
            if (f.has_cursor)
                filter_cursor_round_trip(&f);
        } else {
            CHECK(pr.count > 0);
        }
    }
    souk_arena_release(&a);

    cursor_case(data, size);
    return 0;
}
