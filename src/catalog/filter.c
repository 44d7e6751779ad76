/*
 * filter.c — product-list query parameters and the opaque page cursor.
 *
 * The cursor is keyset pagination: it carries the sort, the last row's sort
 * key and its id, so the next page starts strictly after that row. Rows
 * inserted while a client walks the pages cannot shift what it sees, and no
 * row is skipped or repeated (as long as its own sort key does not change).
 * Encoding: base64url("c1|<sort>|<id>|<key>"); it is validated on the way
 * back in, so a tampered cursor is a 422, never an SQL problem.
 */
#include "catalog/catalog.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/query.h"
#include "core/id.h"
#include "core/json.h"
#include "core/money.h"
#include "core/banned.h"

static const char *const sort_names[] = {"newest", "price_asc", "price_desc", "name", NULL};
static const char *const status_names[] = {"draft", "active", "archived", "any", NULL};

static int lookup(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

/* The longest cursor: "c1|price_desc|<id>|" + a title of SOUK_CATALOG_NAME_MAX
 * characters of up to 4 UTF-8 bytes each, base64url-encoded. */
#define CURSOR_RAW_MAX (3 + 10 + 1 + 20 + 1 + 4 * SOUK_CATALOG_NAME_MAX)
#define CURSOR_TEXT_MAX ((CURSOR_RAW_MAX + 2) / 3 * 4)

static int decode_cursor(souk_catalog_filter *f, const char *text, souk_arena *a)
{
    size_t tl = strlen(text);
    if (tl == 0 || tl > CURSOR_TEXT_MAX)
        return -1;
    unsigned char *raw = souk_arena_alloc(a, tl + 1);
    size_t n;
    if (!raw || sodium_base642bin(raw, tl, text, tl, NULL, &n, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return -1;
    raw[n] = '\0';
    if (memchr(raw, '\0', n))
        return -1;
    char *s = (char *)raw;
    if (strncmp(s, "c1|", 3) != 0)
        return -1;
    s += 3;
    char *bar = strchr(s, '|');
    if (!bar)
        return -1;
    *bar = '\0';
    int sort = lookup(sort_names, s);
    if (sort < 0 || sort != (int)f->sort)
        return -1;
    s = bar + 1;
    bar = strchr(s, '|');
    if (!bar)
        return -1;
    *bar = '\0';
    if (souk_query_int(s, 1, INT64_MAX, &f->cursor_id) < 0)
        return -1;
    s = bar + 1;
    if (f->sort == SOUK_SORT_NAME) {
        f->cursor_text = s;
    } else if (souk_query_int(s, INT64_MIN + 1, INT64_MAX, &f->cursor_key) < 0) {
        return -1;
    }
    f->has_cursor = true;
    return 0;
}

int souk_catalog_filter_parse(souk_catalog_filter *f, const souk_query *q, const char *default_currency,
                              souk_arena *a, souk_problems *pr)
{
    memset(f, 0, sizeof *f);
    memcpy(f->currency, default_currency, 4);
    f->limit = 24;
    f->sort = SOUK_SORT_NEWEST;
    f->status = SOUK_STATUS_ACTIVE;
    const char *cursor = NULL;
    int bad = 0;
    for (size_t i = 0; i < q->count; i++) {
        const char *k = q->items[i].key, *v = q->items[i].value;
        for (size_t j = 0; j < i; j++)
            if (strcmp(q->items[j].key, k) == 0) {
                bad = souk_problems_add(pr, a, k, "must not be repeated");
                goto next;
            }
        int64_t n;
        if (strcmp(k, "limit") == 0) {
            if (souk_query_int(v, 1, SOUK_CATALOG_LIST_MAX, &n) < 0)
                bad = souk_problems_add(pr, a, k, "must be an integer from 1 to %d", SOUK_CATALOG_LIST_MAX);
            else
                f->limit = (int)n;
        } else if (strcmp(k, "sort") == 0) {
            int s = lookup(sort_names, v);
            if (s < 0)
                bad = souk_problems_add(pr, a, k, "must be one of newest, price_asc, price_desc, name");
            else
                f->sort = (souk_catalog_sort)s;
        } else if (strcmp(k, "status") == 0) {
            int s = lookup(status_names, v);
            if (s < 0)
                bad = souk_problems_add(pr, a, k, "must be one of active, draft, archived, any");
            else
                f->status = (souk_product_status)s;
        } else if (strcmp(k, "price_min") == 0 || strcmp(k, "price_max") == 0) {
            if (souk_query_int(v, 0, SOUK_MONEY_MAX, &n) < 0) {
                bad = souk_problems_add(pr, a, k, "must be a non-negative integer amount in minor units");
            } else if (strcmp(k, "price_min") == 0) {
                f->has_price_min = true;
                f->price_min = n;
            } else {
                f->has_price_max = true;
                f->price_max = n;
            }
        } else if (strcmp(k, "currency") == 0) {
            if (souk_catalog_check_currency(v, strlen(v)))
                bad = souk_problems_add(pr, a, k, "must be an ISO 4217 currency code such as USD");
            else
                memcpy(f->currency, v, 4);
        } else if (strcmp(k, "category") == 0 || strcmp(k, "brand") == 0 || strcmp(k, "vendor") == 0) {
            if (!*v || strlen(v) > 100)
                bad = souk_problems_add(pr, a, k, "must be an id or a slug");
            else if (k[0] == 'c')
                f->category = v;
            else if (k[0] == 'b')
                f->brand = v;
            else
                f->vendor = v;
        } else if (strcmp(k, "in_stock") == 0) {
            if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
                bad = souk_problems_add(pr, a, k, "must be true or false");
            } else {
                f->has_in_stock = true;
                f->in_stock = v[0] == 't';
            }
        } else if (strcmp(k, "cursor") == 0) {
            cursor = v;
        } else if (strncmp(k, "attr.", 5) == 0) {
            const char *name = k + 5;
            if (souk_catalog_check_attr_name(name, strlen(name)))
                bad = souk_problems_add(pr, a, k, "attribute names use 1-64 of a-z, 0-9 and '_'");
            else if (souk_utf8_len(v, strlen(v)) > 200)
                bad = souk_problems_add(pr, a, k, "must be at most 200 characters");
            else if (f->nattrs >= SOUK_CATALOG_FILTER_ATTRS_MAX)
                bad = souk_problems_add(pr, a, k, "at most %d attribute filters", SOUK_CATALOG_FILTER_ATTRS_MAX);
            else {
                f->attrs[f->nattrs].name = name;
                f->attrs[f->nattrs].value = v;
                f->nattrs++;
            }
        } else {
            bad = souk_problems_add(pr, a, k, "unknown parameter");
        }
    next:;
    }
    if (f->has_price_min && f->has_price_max && f->price_min > f->price_max)
        bad = souk_problems_add(pr, a, "price_min", "must not exceed price_max");
    /* the cursor is checked last: it must match the sort chosen above */
    if (cursor && decode_cursor(f, cursor, a) < 0)
        bad = souk_problems_add(pr, a, "cursor", "is not a valid cursor for this sort");
    return bad ? -1 : 0;
}

/* Encodes the cursor pointing after a row (used by list.c). */
char *souk__catalog_cursor(souk_catalog_sort sort, int64_t id, int64_t key, const char *text, souk_arena *a);
char *souk__catalog_cursor(souk_catalog_sort sort, int64_t id, int64_t key, const char *text, souk_arena *a)
{
    char *raw = sort == SOUK_SORT_NAME
                    ? souk_arena_printf(a, "c1|%s|%lld|%s", sort_names[sort], (long long)id, text ? text : "")
                    : souk_arena_printf(a, "c1|%s|%lld|%lld", sort_names[sort], (long long)id, (long long)key);
    if (!raw)
        return NULL;
    size_t n = strlen(raw);
    size_t outlen = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = souk_arena_alloc(a, outlen);
    if (!out)
        return NULL;
    sodium_bin2base64(out, outlen, (const unsigned char *)raw, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}
