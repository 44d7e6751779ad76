/* spec.c — input specs and validators of the catalog (see catalog.h); slugs are in slug.c. */
#include "catalog/catalog.h"

#include <stddef.h>
#include <string.h>

#include "core/money.h"
#include "core/banned.h"

const char *souk_catalog_check_slug(const char *s, size_t len)
{
    if (len == 0 || len > SOUK_CATALOG_SLUG_MAX)
        return "must be 1-100 characters";
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && !(c == '-' && i > 0 && i + 1 < len && s[i - 1] != '-'))
            return "must be lower-case letters and digits separated by single hyphens";
    }
    return NULL;
}

const char *souk_catalog_check_sku(const char *s, size_t len)
{
    if (len == 0 || len > SOUK_CATALOG_SKU_MAX)
        return "must be 1-64 characters";
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return "must use only letters, digits, '.', '_' and '-'";
    }
    return NULL;
}

const char *souk_catalog_check_attr_name(const char *s, size_t len)
{
    if (len == 0 || len > 64)
        return "attribute names must be 1-64 characters";
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return "attribute names use only a-z, 0-9 and '_'";
    }
    return NULL;
}

const char *souk_catalog_check_currency(const char *s, size_t len)
{
    if (len != 3 || !souk_currency_valid(s))
        return "must be an ISO 4217 currency code such as USD";
    return NULL;
}

static const char *option_name_check(const char *s, size_t len)
{
    (void)s;
    return len == 0 || len > 64 ? "option names must be 1-64 characters" : NULL;
}

static const char *url_check(const char *s, size_t len)
{
    if ((len > 8 && memcmp(s, "https://", 8) == 0) || (len > 7 && memcmp(s, "http://", 7) == 0) ||
        (len > 1 && s[0] == '/' && s[1] != '/'))
        return NULL;
    return "must be an http(s) URL or an absolute path";
}

static const char *const product_statuses[] = {"draft", "active", "archived", NULL};
static const char *const variant_statuses[] = {"active", "archived", NULL};

#define F(name, type, flags, field, min, max) \
    {name, type, flags, offsetof(STRUCT, field), min, max, 0, NULL, NULL, NULL, NULL}
#define FS(name, flags, field, min, max, check) \
    {name, SOUK_JSON_STRING, flags, offsetof(STRUCT, field), min, max, 0, NULL, check, NULL, NULL}
#define SPEC(fields) {fields, sizeof fields / sizeof fields[0], sizeof(STRUCT), offsetof(STRUCT, present), \
                      offsetof(STRUCT, nulls)}

#define STRUCT souk_price_in
static const souk_json_field price_fields[] = {
    F("amount", SOUK_JSON_INT, SOUK_JSON_REQUIRED, amount, 0, INT64_C(1000000000000)),
    FS("currency", SOUK_JSON_REQUIRED, currency, 3, 3, souk_catalog_check_currency),
};
static const souk_json_spec price_spec = SPEC(price_fields);
#undef STRUCT

#define STRUCT souk_amount_in
static const souk_json_field amount_fields[] = {
    F("amount", SOUK_JSON_INT, SOUK_JSON_REQUIRED, amount, 0, INT64_C(1000000000000)),
};
const souk_json_spec souk_catalog_amount_spec = SPEC(amount_fields);
#undef STRUCT

#define STRUCT souk_image_in
static const souk_json_field image_fields[] = {
    FS("url", SOUK_JSON_REQUIRED, url, 1, 2048, url_check),
    FS("alt", 0, alt, 0, 500, NULL),
    F("width", SOUK_JSON_INT, SOUK_JSON_NULLABLE, width, 1, 100000),
    F("height", SOUK_JSON_INT, SOUK_JSON_NULLABLE, height, 1, 100000),
};
static const souk_json_spec image_spec = SPEC(image_fields);
#undef STRUCT

#define STRUCT souk_variant_in
/* shared fields first, so both specs agree on SOUK_VF_SKU..SOUK_VF_POSITION;
 * index 4 is "prices" in the create spec and "status" in the update spec */
#define VARIANT_FIELDS(req)                                                                                   \
    FS("sku", req, sku, 1, SOUK_CATALOG_SKU_MAX, souk_catalog_check_sku),                                    \
    FS("title", 0, title, 0, SOUK_CATALOG_NAME_MAX, NULL),                                                    \
    {"options", SOUK_JSON_STRMAP, 0, offsetof(STRUCT, options), 0, SOUK_CATALOG_OPTIONS_MAX, 100, NULL,      \
     option_name_check, NULL, NULL},                                                                          \
    F("position", SOUK_JSON_INT, 0, position, 0, 100000)
static const souk_json_field variant_create_fields[] = {
    VARIANT_FIELDS(SOUK_JSON_REQUIRED),
    {"prices", SOUK_JSON_ARRAY, 0, offsetof(STRUCT, prices), 0, 20, 0, NULL, NULL, NULL, &price_spec},
};
static const souk_json_field variant_update_fields[] = {
    VARIANT_FIELDS(0),
    {"status", SOUK_JSON_ENUM, 0, offsetof(STRUCT, status), 0, 0, 0, NULL, NULL, variant_statuses, NULL},
};
const souk_json_spec souk_catalog_variant_create_spec = SPEC(variant_create_fields);
const souk_json_spec souk_catalog_variant_update_spec = SPEC(variant_update_fields);
#undef STRUCT

#define STRUCT souk_product_in
#define PRODUCT_FIELDS(req, nullable)                                                                          \
    FS("title", req, title, 1, SOUK_CATALOG_NAME_MAX, NULL),                                                  \
    FS("slug", 0, slug, 1, SOUK_CATALOG_SLUG_MAX, souk_catalog_check_slug),                                   \
    FS("description", 0, description, 0, SOUK_CATALOG_DESC_MAX, NULL),                                       \
    {"status", SOUK_JSON_ENUM, 0, offsetof(STRUCT, status), 0, 0, 0, NULL, NULL, product_statuses, NULL},    \
    {"brand_id", SOUK_JSON_ID, nullable, offsetof(STRUCT, brand_id), 0, 0, 0, "brand", NULL, NULL, NULL},    \
    {"vendor_id", SOUK_JSON_ID, nullable, offsetof(STRUCT, vendor_id), 0, 0, 0, "vend", NULL, NULL, NULL},   \
    {"category_id", SOUK_JSON_ID, nullable, offsetof(STRUCT, category_id), 0, 0, 0, "cat", NULL, NULL, NULL}, \
    {"attributes", SOUK_JSON_STRMAP, 0, offsetof(STRUCT, attributes), 0, SOUK_CATALOG_ATTRS_MAX, 200, NULL,  \
     souk_catalog_check_attr_name, NULL, NULL},                                                               \
    {"images", SOUK_JSON_ARRAY, 0, offsetof(STRUCT, images), 0, SOUK_CATALOG_IMAGES_MAX, 0, NULL, NULL, NULL, \
     &image_spec}
static const souk_json_field product_create_fields[] = {
    PRODUCT_FIELDS(SOUK_JSON_REQUIRED, SOUK_JSON_NULLABLE),
    {"variants", SOUK_JSON_ARRAY, 0, offsetof(STRUCT, variants), 0, SOUK_CATALOG_VARIANTS_MAX, 0, NULL, NULL, NULL,
     &souk_catalog_variant_create_spec},
};
static const souk_json_field product_update_fields[] = {PRODUCT_FIELDS(0, SOUK_JSON_NULLABLE)};
const souk_json_spec souk_catalog_product_create_spec = SPEC(product_create_fields);
const souk_json_spec souk_catalog_product_update_spec = SPEC(product_update_fields);
#undef STRUCT

#define STRUCT souk_taxon_in
static const souk_json_field category_create_fields[] = {
    FS("name", SOUK_JSON_REQUIRED, name, 1, SOUK_CATALOG_NAME_MAX, NULL),
    FS("slug", 0, slug, 1, SOUK_CATALOG_SLUG_MAX, souk_catalog_check_slug),
    {"parent_id", SOUK_JSON_ID, SOUK_JSON_NULLABLE, offsetof(STRUCT, parent_id), 0, 0, 0, "cat", NULL, NULL, NULL},
    F("position", SOUK_JSON_INT, 0, position, 0, 100000),
};
static const souk_json_field category_update_fields[] = {
    FS("name", 0, name, 1, SOUK_CATALOG_NAME_MAX, NULL),
    FS("slug", 0, slug, 1, SOUK_CATALOG_SLUG_MAX, souk_catalog_check_slug),
    {"parent_id", SOUK_JSON_ID, SOUK_JSON_NULLABLE, offsetof(STRUCT, parent_id), 0, 0, 0, "cat", NULL, NULL, NULL},
    F("position", SOUK_JSON_INT, 0, position, 0, 100000),
};
/* brands and vendors share SOUK_TF_NAME, SOUK_TF_SLUG; vendors add
 * "commission_bp" at SOUK_TF_COMMISSION */
#define TAXON_FIELDS(req)                                                  \
    FS("name", req, name, 1, SOUK_CATALOG_NAME_MAX, NULL),                 \
    FS("slug", 0, slug, 1, SOUK_CATALOG_SLUG_MAX, souk_catalog_check_slug)
#define COMMISSION_FIELD F("commission_bp", SOUK_JSON_INT, 0, commission_bp, 0, SOUK_CATALOG_COMMISSION_MAX)
static const souk_json_field taxon_create_fields[] = {TAXON_FIELDS(SOUK_JSON_REQUIRED)};
static const souk_json_field taxon_update_fields[] = {TAXON_FIELDS(0)};
static const souk_json_field vendor_create_fields[] = {TAXON_FIELDS(SOUK_JSON_REQUIRED), COMMISSION_FIELD};
static const souk_json_field vendor_update_fields[] = {TAXON_FIELDS(0), COMMISSION_FIELD};
const souk_json_spec souk_catalog_category_create_spec = SPEC(category_create_fields);
const souk_json_spec souk_catalog_category_update_spec = SPEC(category_update_fields);
const souk_json_spec souk_catalog_taxon_create_spec = SPEC(taxon_create_fields);
const souk_json_spec souk_catalog_taxon_update_spec = SPEC(taxon_update_fields);
const souk_json_spec souk_catalog_vendor_create_spec = SPEC(vendor_create_fields);
const souk_json_spec souk_catalog_vendor_update_spec = SPEC(vendor_update_fields);
#undef STRUCT

const souk_json_spec *souk_catalog_taxon_spec(souk_taxon_kind kind, bool update)
{
    switch (kind) {
    case SOUK_TAXON_CATEGORY: return update ? &souk_catalog_category_update_spec : &souk_catalog_category_create_spec;
    case SOUK_TAXON_VENDOR: return update ? &souk_catalog_vendor_update_spec : &souk_catalog_vendor_create_spec;
    default: return update ? &souk_catalog_taxon_update_spec : &souk_catalog_taxon_create_spec;
    }
}
