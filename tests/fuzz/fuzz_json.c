/*
 * libFuzzer driver for request-body decoding: src/core/json.c with the
 * catalog's real input specs (src/catalog/spec.c).
 *
 * Input: byte 0 selects the spec (and, in its high bits, the arena's chunk
 * size and limit); the rest is the request body given to
 * souk_json_parse_object.  When that yields an object it is decoded with
 * souk_json_decode, and the driver checks:
 *   - parse failure leaves a message; success is always an object;
 *   - decode returns 0 or -1, and deterministically (a second decode of the
 *     same object gives the same result and the same problems);
 *   - -1 comes with at least one problem (unless the arena ran out); every
 *     problem has non-NULL field and message strings; count <= 32;
 *   - 0 means the struct agrees with the JSON, field by field, driven by the
 *     spec table (present/null bits, string copies, integers, enums, ids,
 *     maps, arrays recursively) and no unknown field was accepted;
 *   - 0 also means the documented limits hold (docs/api-shapes.md): checked
 *     by hand-written per-struct code independent of the spec tables, e.g.
 *     product title 1..200 UTF-8 characters, slug ^[a-z0-9]+(-[a-z0-9]+)*$
 *     of at most 100, sku [A-Za-z0-9._-]{1,64}, currency a known ISO code.
 * The object is decref'd and the arena released every run (LeakSanitizer).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity/account.h"
#include "catalog/catalog.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/id.h"
#include "core/json.h"
#include "core/money.h"
#include "utf8_oracle.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

/* ---- independent helpers ---- */

/* NUL-terminated, valid UTF-8, MIN..MAX code points. */
static bool str_ok(const char *s, long min, long max)
{
    if (!s)
        return false;
    long n = utf8_chars(s, strlen(s));
    return n >= min && n <= max;
}

/* ^[a-z0-9]+(-[a-z0-9]+)*$, 1..100 bytes */
static bool slug_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            continue;
        if (c == '-' && i > 0 && i + 1 < n && s[i - 1] != '-' && s[i + 1] != '-')
            continue;
        return false;
    }
    return souk_catalog_check_slug(s, n) == NULL;
}

static bool sku_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    }
    return souk_catalog_check_sku(s, n) == NULL;
}

static bool attr_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

static bool url_ok(const char *s)
{
    size_t n = strlen(s);
    return (n > 8 && memcmp(s, "https://", 8) == 0) || (n > 7 && memcmp(s, "http://", 7) == 0) ||
           (n > 1 && s[0] == '/' && s[1] != '/');
}

static bool bit(uint64_t bits, int i)
{
    return (bits >> i) & 1;
}

/* ---- generic check: the decoded struct agrees with the JSON, per the spec table ---- */

static void check_against_json(const souk_json_spec *spec, const json_t *obj, const void *out);

static void check_field(const souk_json_field *f, const json_t *v, const char *dst)
{
    switch (f->type) {
    case SOUK_JSON_STRING: {
        const char *s;
        memcpy(&s, dst, sizeof s);
        CHECK(json_is_string(v) && s != NULL);
        size_t len = json_string_length(v);
        CHECK(strlen(s) == len && memcmp(s, json_string_value(v), len) == 0);
        long chars = utf8_chars(s, len);
        CHECK(chars >= 0 && chars >= f->min && (!f->max || chars <= f->max));
        CHECK(!f->check || f->check(s, len) == NULL);
        break;
    }
    case SOUK_JSON_INT: {
        int64_t n;
        memcpy(&n, dst, sizeof n);
        CHECK(json_is_integer(v) && (int64_t)json_integer_value(v) == n);
        CHECK(n >= f->min && n <= f->max);
        break;
    }
    case SOUK_JSON_BOOL: {
        bool b;
        memcpy(&b, dst, sizeof b);
        CHECK(json_is_boolean(v) && b == json_is_true(v));
        break;
    }
    case SOUK_JSON_ENUM: {
        int i;
        memcpy(&i, dst, sizeof i);
        CHECK(json_is_string(v) && i >= 0);
        for (int k = 0; k <= i; k++)
            CHECK(f->enum_values[k] != NULL);
        CHECK(strcmp(f->enum_values[i], json_string_value(v)) == 0);
        break;
    }
    case SOUK_JSON_ID: {
        int64_t id, again;
        memcpy(&id, dst, sizeof id);
        CHECK(json_is_string(v) && id > 0);
        CHECK(souk_id_parse(f->what, json_string_value(v), json_string_length(v), &again) == 0 && again == id);
        /* canonical form parses back to the same id */
        char buf[40];
        souk_id_format(f->what, id, buf);
        CHECK(souk_id_parse(f->what, buf, strlen(buf), &again) == 0 && again == id);
        break;
    }
    case SOUK_JSON_STRMAP: {
        souk_json_strmap m;
        memcpy(&m, dst, sizeof m);
        CHECK(json_is_object(v) && m.count == json_object_size(v));
        CHECK((int64_t)m.count >= f->min && (int64_t)m.count <= f->max);
        CHECK(m.count == 0 || (m.keys && m.values));
        for (size_t i = 0; i < m.count; i++) {
            CHECK(m.keys[i] && m.values[i]);
            const json_t *jv = json_object_get(v, m.keys[i]);
            CHECK(json_is_string(jv));
            size_t vl = json_string_length(jv);
            CHECK(strlen(m.values[i]) == vl && memcmp(m.values[i], json_string_value(jv), vl) == 0);
            long chars = utf8_chars(m.values[i], vl);
            CHECK(chars >= 0 && (!f->vmax || chars <= f->vmax));
            CHECK(!f->check || f->check(m.keys[i], strlen(m.keys[i])) == NULL);
            for (size_t k = 0; k < i; k++)
                CHECK(strcmp(m.keys[k], m.keys[i]) != 0);
        }
        break;
    }
    case SOUK_JSON_STRLIST: {
        souk_json_strlist l;
        memcpy(&l, dst, sizeof l);
        CHECK(json_is_array(v) && l.count == json_array_size(v));
        CHECK((int64_t)l.count >= f->min && (int64_t)l.count <= f->max);
        for (size_t i = 0; i < l.count; i++) {
            const json_t *jv = json_array_get(v, i);
            CHECK(l.items[i] && json_is_string(jv));
            size_t vl = json_string_length(jv);
            CHECK(strlen(l.items[i]) == vl && memcmp(l.items[i], json_string_value(jv), vl) == 0);
            long chars = utf8_chars(l.items[i], vl);
            CHECK(chars >= 0 && (!f->vmax || chars <= f->vmax));
            CHECK(!f->check || f->check(l.items[i], vl) == NULL);
        }
        break;
    }
    case SOUK_JSON_ARRAY: {
        souk_json_array arr;
        memcpy(&arr, dst, sizeof arr);
        CHECK(json_is_array(v) && arr.count == json_array_size(v));
        CHECK((int64_t)arr.count >= f->min && (int64_t)arr.count <= f->max);
        CHECK(arr.items != NULL);
        for (size_t i = 0; i < arr.count; i++)
            check_against_json(f->sub, json_array_get(v, i), (const char *)arr.items + i * f->sub->size);
        break;
    }
    default: CHECK(0);
    }
}

static bool all_zero(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static size_t field_size(souk_json_type t)
{
    switch (t) {
    case SOUK_JSON_STRING: return sizeof(const char *);
    case SOUK_JSON_INT:
    case SOUK_JSON_ID: return sizeof(int64_t);
    case SOUK_JSON_BOOL: return sizeof(bool);
    case SOUK_JSON_ENUM: return sizeof(int);
    case SOUK_JSON_STRMAP: return sizeof(souk_json_strmap);
    case SOUK_JSON_STRLIST: return sizeof(souk_json_strlist);
    case SOUK_JSON_ARRAY: return sizeof(souk_json_array);
    }
    return 0;
}

static void check_against_json(const souk_json_spec *spec, const json_t *obj, const void *out)
{
    const char *base = out;
    CHECK(json_is_object(obj));
    CHECK(spec->nfields <= 64);
    uint64_t present, nulls;
    memcpy(&present, base + spec->present_offset, sizeof present);
    memcpy(&nulls, base + spec->null_offset, sizeof nulls);
    CHECK((nulls & ~present) == 0);
    if (spec->nfields < 64)
        CHECK((present >> spec->nfields) == 0);
    /* no unknown field was accepted */
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        size_t i;
        for (i = 0; i < spec->nfields; i++)
            if (strcmp(spec->fields[i].name, key) == 0)
                break;
        CHECK(i < spec->nfields);
    }
    for (size_t i = 0; i < spec->nfields; i++) {
        const souk_json_field *f = &spec->fields[i];
        const json_t *v = json_object_get(obj, f->name);
        CHECK(bit(present, (int)i) == (v != NULL));
        CHECK(souk_json_present(spec, out, i) == (v != NULL));
        CHECK(!(f->flags & SOUK_JSON_REQUIRED) || v != NULL);
        CHECK(bit(nulls, (int)i) == (v != NULL && json_is_null(v)));
        CHECK(souk_json_is_null(spec, out, i) == (v != NULL && json_is_null(v)));
        if (v && json_is_null(v))
            CHECK(f->flags & SOUK_JSON_NULLABLE);
        if (v && !json_is_null(v))
            check_field(f, v, base + f->offset);
        else
            CHECK(all_zero(base + f->offset, field_size(f->type)));
    }
}

/* ---- documented limits, written against the structs, not the spec tables ---- */

static void check_price(const souk_price_in *p)
{
    CHECK(p->currency && strlen(p->currency) == 3 && souk_currency_valid(p->currency));
    CHECK(souk_currency_exponent(p->currency) >= 0);
    CHECK(p->amount >= 0 && p->amount <= SOUK_MONEY_MAX);
}

static void check_image(const souk_image_in *im)
{
    CHECK(im->url && str_ok(im->url, 1, 2048) && url_ok(im->url));
    CHECK(!im->alt || str_ok(im->alt, 0, 500));
    CHECK(im->width == 0 || (im->width >= 1 && im->width <= 100000));
    CHECK(im->height == 0 || (im->height >= 1 && im->height <= 100000));
}

static void check_strmap(const souk_json_strmap *m, size_t max, bool attr_names, long vmax)
{
    CHECK(m->count <= max);
    for (size_t i = 0; i < m->count; i++) {
        CHECK(m->keys[i] && m->values[i]);
        if (attr_names)
            CHECK(attr_name_ok(m->keys[i]));
        else
            CHECK(str_ok(m->keys[i], 0, 64) && strlen(m->keys[i]) >= 1 && strlen(m->keys[i]) <= 64);
        CHECK(str_ok(m->values[i], 0, vmax));
    }
}

static void check_variant(const souk_variant_in *v, bool create)
{
    if (create)
        CHECK(v->sku != NULL);
    CHECK(!v->sku || sku_ok(v->sku));
    CHECK(!v->title || str_ok(v->title, 0, SOUK_CATALOG_NAME_MAX));
    check_strmap(&v->options, SOUK_CATALOG_OPTIONS_MAX, false, 100);
    CHECK(v->position >= 0 && v->position <= 100000);
    if (create) {
        CHECK(v->prices.count <= 20);
        for (size_t i = 0; i < v->prices.count; i++)
            check_price((const souk_price_in *)v->prices.items + i);
    } else {
        CHECK(v->status == SOUK_VARIANT_ACTIVE || v->status == SOUK_VARIANT_ARCHIVED);
    }
}

static void check_product(const souk_product_in *p, bool create)
{
    if (create)
        CHECK(p->title != NULL);
    CHECK(!p->title || str_ok(p->title, 1, SOUK_CATALOG_NAME_MAX));
    CHECK(!p->slug || slug_ok(p->slug));
    CHECK(!p->description || str_ok(p->description, 0, SOUK_CATALOG_DESC_MAX));
    CHECK(p->status >= SOUK_STATUS_DRAFT && p->status <= SOUK_STATUS_ARCHIVED);
    CHECK(p->brand_id >= 0 && p->vendor_id >= 0 && p->category_id >= 0);
    CHECK(p->external_ref == NULL);
    check_strmap(&p->attributes, SOUK_CATALOG_ATTRS_MAX, true, 200);
    CHECK(p->images.count <= SOUK_CATALOG_IMAGES_MAX);
    for (size_t i = 0; i < p->images.count; i++)
        check_image((const souk_image_in *)p->images.items + i);
    if (create) {
        CHECK(p->variants.count <= SOUK_CATALOG_VARIANTS_MAX);
        for (size_t i = 0; i < p->variants.count; i++)
            check_variant((const souk_variant_in *)p->variants.items + i, true);
    } else {
        CHECK(p->variants.count == 0 && p->variants.items == NULL);
    }
}

static void check_taxon(const souk_taxon_in *t, bool category)
{
    CHECK(t->name && str_ok(t->name, 1, SOUK_CATALOG_NAME_MAX));
    CHECK(!t->slug || slug_ok(t->slug));
    CHECK(t->parent_id >= 0);
    CHECK(t->position >= 0 && t->position <= 100000);
    if (!category)
        CHECK(t->parent_id == 0 && t->position == 0);
}

/* ---- driver ---- */

typedef union {
    souk_product_in product;
    souk_variant_in variant;
    souk_taxon_in taxon;
    souk_amount_in amount;
    souk_register_in reg;
    souk_login_in login;
    souk_apikey_in apikey;
    souk_admin_user_in admin_user;
    souk_consent_in consent;
    _Alignas(16) unsigned char bytes[1];
} any_in;

enum {
    S_PRODUCT_CREATE,
    S_PRODUCT_UPDATE,
    S_VARIANT_CREATE,
    S_CATEGORY_CREATE,
    S_TAXON_CREATE,
    S_AMOUNT,
    S_REGISTER,
    S_LOGIN,
    S_APIKEY,
    S_ADMIN_USER,
    S_CONSENT,
    S__N
};

static const souk_json_spec *spec_of(int which)
{
    switch (which) {
    case S_PRODUCT_CREATE: return &souk_catalog_product_create_spec;
    case S_PRODUCT_UPDATE: return &souk_catalog_product_update_spec;
    case S_VARIANT_CREATE: return &souk_catalog_variant_create_spec;
    case S_CATEGORY_CREATE: return &souk_catalog_category_create_spec;
    case S_TAXON_CREATE: return &souk_catalog_taxon_create_spec;
    case S_REGISTER: return &souk__identity_register_spec;
    case S_LOGIN: return &souk__identity_login_spec;
    case S_APIKEY: return &souk__identity_apikey_spec;
    case S_ADMIN_USER: return &souk__identity_admin_user_spec;
    case S_CONSENT: return &souk__identity_consent_spec;
    default: return &souk_catalog_amount_spec;
    }
}

static void check_problems(const souk_problems *pr)
{
    CHECK(pr->count <= SOUK_PROBLEMS_MAX);
    CHECK(pr->dropped == 0 || pr->count == SOUK_PROBLEMS_MAX);
    for (size_t i = 0; i < pr->count; i++) {
        CHECK(pr->items[i].field != NULL && pr->items[i].message != NULL);
        CHECK(pr->items[i].message[0] != '\0');
    }
}

/* True when the arena cannot hand out more (so a problem may have been lost). */
static bool arena_exhausted(souk_arena *a)
{
    return a->limit && (a->used_total + 4096 > a->limit || souk_arena_alloc(a, 1) == NULL);
}

/* Parse errors reach clients: each is one of our fixed sentences (with an
 * offset), so neither jansson's text nor bytes of the body can be in it. */
static bool known_parse_error(const char *err)
{
    static const char *const prefixes[] = {
        "the body is empty",
        "a NUL byte at byte ",
        "nesting deeper than ",
        "invalid UTF-8 at byte ",
        "the body ends before the JSON value is complete (at byte ",
        "unexpected data after the JSON value at byte ",
        "NUL characters (\\u0000) are not allowed, near byte ",
        "duplicate object key near byte ",
        "number out of range near byte ",
        "unexpected character near byte ",
        "not valid JSON near byte ",
        "the body must be a JSON object, not ",
    };
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(err, prefixes[i], n) != 0)
            continue;
        for (const char *p = err + n; *p; p++) /* the rest: an offset, a type name, ")" */
            if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || *p == ' ' || *p == ')'))
                return false;
        return true;
    }
    return false;
}

/* the libFuzzer entry point */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    int which = (sel & 0x0F) % S__N;
    const souk_json_spec *spec = spec_of(which);

    size_t chunk = (sel & 0x10) ? 64 : 0;                         /* tiny chunks: many one-off chunks */
    size_t limit = (sel & 0xE0) == 0xE0 ? 2048 : (size_t)1 << 20; /* sometimes a tight limit */

    char err[256];
    err[0] = '\0';
    json_t *obj = souk_json_parse_object((const char *)data, size, err, sizeof err);
    if (!obj) {
        CHECK(err[0] != '\0' && memchr(err, '\0', sizeof err) != NULL);
        CHECK(known_parse_error(err));
        return 0;
    }
    CHECK(json_is_object(obj));

    souk_arena a;
    souk_arena_init(&a, chunk, limit);
    souk_problems pr;
    souk_problems_init(&pr);
    any_in out;
    memset(&out, 0xA5, sizeof out); /* decode must zero it */
    CHECK(spec->size <= sizeof out);

    int rc = souk_json_decode(spec, obj, &out, "", &a, &pr);
    CHECK(rc == 0 || rc == -1);
    check_problems(&pr);
    if (rc == -1) {
        CHECK(pr.count > 0 || arena_exhausted(&a));
    } else {
        CHECK(pr.count == 0 && pr.dropped == 0);
        check_against_json(spec, obj, &out);
        switch (which) {
        case S_PRODUCT_CREATE: check_product(&out.product, true); break;
        case S_PRODUCT_UPDATE: check_product(&out.product, false); break;
        case S_VARIANT_CREATE: check_variant(&out.variant, true); break;
        case S_CATEGORY_CREATE: check_taxon(&out.taxon, true); break;
        case S_TAXON_CREATE: check_taxon(&out.taxon, false); break;
        case S_AMOUNT:
            CHECK(out.amount.present == 1 && out.amount.nulls == 0);
            CHECK(out.amount.amount >= 0 && out.amount.amount <= SOUK_MONEY_MAX);
            break;
        case S_REGISTER: /* a decoded e-mail is one souk can send mail to */
            CHECK(souk__identity_check_email(out.reg.email, strlen(out.reg.email)) == NULL);
            break;
        case S_APIKEY: CHECK(out.apikey.scopes.count >= 1 && out.apikey.scopes.count <= 16); break;
        default: break; /* check_against_json covered every field */
        }
    }

    /* determinism: a second decode (fresh arena, unlimited) agrees, unless
     * the first one was cut short by the arena limit */
    if (limit == (size_t)1 << 20 && !arena_exhausted(&a)) {
        souk_arena a2;
        souk_arena_init(&a2, 0, 0);
        souk_problems pr2;
        souk_problems_init(&pr2);
        any_in out2;
        int rc2 = souk_json_decode(spec, obj, &out2, "", &a2, &pr2);
        CHECK(rc2 == rc && pr2.count == pr.count && pr2.dropped == pr.dropped);
        for (size_t i = 0; i < pr.count; i++) {
            CHECK(strcmp(pr.items[i].field, pr2.items[i].field) == 0);
            CHECK(strcmp(pr.items[i].message, pr2.items[i].message) == 0);
        }
        /* nested path prefix shows up in every problem field */
        souk_problems pr3;
        souk_problems_init(&pr3);
        int rc3 = souk_json_decode(spec, obj, &out2, "x", &a2, &pr3);
        CHECK(rc3 == rc && pr3.count == pr.count);
        for (size_t i = 0; i < pr3.count; i++)
            CHECK(strncmp(pr3.items[i].field, "x", 1) == 0);
        souk_arena_release(&a2);
    }

    json_decref(obj);
    souk_arena_release(&a);
    return 0;
}
