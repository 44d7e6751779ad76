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
#include "catalog/internal.h"

#include <sodium.h>
#include <string.h>

#include "core/json.h"
#include "core/money.h"
#include "core/query_spec.h"
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

/* The parameters with fixed names, decoded by one spec; "attr.NAME" (a
 * family of names) is read by hand after it. */
typedef struct filter_in {
    int64_t limit, price_min, price_max;
    int sort, status, in_stock;
    char currency[4];
    const char *category, *brand, *vendor, *cursor;
    uint64_t present;
} filter_in;

enum {
    Q_LIMIT,
    Q_SORT,
    Q_STATUS,
    Q_PRICE_MIN,
    Q_PRICE_MAX,
    Q_CURRENCY,
    Q_CATEGORY,
    Q_BRAND,
    Q_VENDOR,
    Q_IN_STOCK,
    Q_CURSOR
};

const char *souk_catalog_query_currency(const char *v, size_t len, void *dst, souk_arena *a)
{
    (void)a;
    if (souk_catalog_check_currency(v, len))
        return "must be an ISO 4217 currency code such as USD";
    memcpy(dst, v, 4);
    return NULL;
}

static const char *const in_stock_names[] = {"false", "true", NULL};

#define TAXON_MESSAGE "must be an id or a slug"
#define PRICE_MESSAGE "must be a non-negative integer amount in minor units"
static const souk_query_field filter_fields[] = {
    [Q_LIMIT] = SOUK_QUERY_F_INT("limit", filter_in, limit, 1, SOUK_CATALOG_LIST_MAX),
    [Q_SORT] = SOUK_QUERY_F_ENUM("sort", filter_in, sort, sort_names),
    [Q_STATUS] = SOUK_QUERY_F_ENUM("status", filter_in, status, status_names,
                                   .message = "must be one of active, draft, archived, any"),
    [Q_PRICE_MIN] = SOUK_QUERY_F_INT("price_min", filter_in, price_min, 0, SOUK_MONEY_MAX, .message = PRICE_MESSAGE),
    [Q_PRICE_MAX] = SOUK_QUERY_F_INT("price_max", filter_in, price_max, 0, SOUK_MONEY_MAX, .message = PRICE_MESSAGE),
    [Q_CURRENCY] = SOUK_QUERY_F_CUSTOM("currency", filter_in, currency, souk_catalog_query_currency),
    [Q_CATEGORY] = SOUK_QUERY_F_TEXT("category", filter_in, category, 1, 100, .message = TAXON_MESSAGE),
    [Q_BRAND] = SOUK_QUERY_F_TEXT("brand", filter_in, brand, 1, 100, .message = TAXON_MESSAGE),
    [Q_VENDOR] = SOUK_QUERY_F_TEXT("vendor", filter_in, vendor, 1, 100, .message = TAXON_MESSAGE),
    [Q_IN_STOCK] =
        SOUK_QUERY_F_ENUM("in_stock", filter_in, in_stock, in_stock_names, .message = "must be true or false"),
    [Q_CURSOR] = SOUK_QUERY_F_TEXT("cursor", filter_in, cursor, 0, SOUK_QUERY_MAX_LEN),
};
static const souk_query_spec filter_spec = SOUK_QUERY_SPEC(filter_in, filter_fields);

bool souk_catalog_is_attr_param(const char *key)
{
    return strncmp(key, "attr.", 5) == 0;
}

const char *souk_catalog_attr_param_problem(const souk_query *q, size_t i, bool allow_empty)
{
    const char *k = q->items[i].key, *name = k + 5;
    for (size_t j = 0; j < i; j++)
        if (strcmp(q->items[j].key, k) == 0)
            return "must not be repeated";
    if (souk_catalog_check_attr_name(name, strlen(name)))
        return "attribute names use 1-64 of a-z, 0-9 and '_'";
    size_t len = q->items[i].value_len;
    if ((!allow_empty && len == 0) || souk_utf8_len(q->items[i].value, len) > 200)
        return allow_empty ? "must be at most 200 characters" : "must be 1 to 200 characters";
    return NULL;
}

/* The attr.NAME=VALUE filters of Q into F (one problem per bad one). */
static int parse_attrs(souk_catalog_filter *f, const souk_query *q, souk_arena *a, souk_problems *pr)
{
    int bad = 0;
    for (size_t i = 0; i < q->count; i++) {
        const char *k = q->items[i].key, *v = q->items[i].value, *name = k + 5, *why;
        if (!souk_catalog_is_attr_param(k))
            continue;
        if ((why = souk_catalog_attr_param_problem(q, i, true)))
            bad = souk_problems_add(pr, a, k, "%s", why);
        else if (f->nattrs >= SOUK_CATALOG_FILTER_ATTRS_MAX)
            bad = souk_problems_add(pr, a, k, "at most %d attribute filters", SOUK_CATALOG_FILTER_ATTRS_MAX);
        else {
            f->attrs[f->nattrs].name = name;
            f->attrs[f->nattrs].value = v;
            f->nattrs++;
        }
    }
    return bad;
}

int souk_catalog_filter_parse(souk_catalog_filter *f, const souk_query *q, const char *default_currency, souk_arena *a,
                              souk_problems *pr)
{
    memset(f, 0, sizeof *f);
    /* defaults; -1 marks "not given (or not valid)" */
    filter_in in = {.limit = 24,
                    .sort = SOUK_SORT_NEWEST,
                    .status = SOUK_STATUS_ACTIVE,
                    .price_min = -1,
                    .price_max = -1,
                    .in_stock = -1};
    memcpy(in.currency, default_currency, 4);
    souk_query fixed = {.count = 0};
    for (size_t i = 0; i < q->count; i++)
        if (!souk_catalog_is_attr_param(q->items[i].key))
            fixed.items[fixed.count++] = q->items[i];
    int bad = souk_query_decode(&filter_spec, &fixed, &in, a, pr);
    bad |= parse_attrs(f, q, a, pr);

    f->limit = (int)in.limit;
    f->sort = (souk_catalog_sort)in.sort;
    f->status = (souk_product_status)in.status;
    memcpy(f->currency, in.currency, 4);
    f->category = in.category;
    f->brand = in.brand;
    f->vendor = in.vendor;
    f->has_price_min = in.price_min >= 0;
    f->price_min = f->has_price_min ? in.price_min : 0;
    f->has_price_max = in.price_max >= 0;
    f->price_max = f->has_price_max ? in.price_max : 0;
    f->has_in_stock = in.in_stock >= 0;
    f->in_stock = in.in_stock == 1;
    if (f->has_price_min && f->has_price_max && f->price_min > f->price_max)
        bad = souk_problems_add(pr, a, "price_min", "must not exceed price_max");
    /* the cursor is checked last: it must match the sort chosen above */
    if (in.cursor && decode_cursor(f, in.cursor, a) < 0)
        bad = souk_problems_add(pr, a, "cursor", "is not a valid cursor for this sort");
    return bad ? -1 : 0;
}

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
