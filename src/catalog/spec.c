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

/* ---- prices, images ---- */

static const souk_json_field price_fields[] = {
    SOUK_JSON_F_INT("amount", SOUK_JSON_REQUIRED, souk_price_in, amount, 0, INT64_C(1000000000000)),
    SOUK_JSON_F_STRING("currency", SOUK_JSON_REQUIRED, souk_price_in, currency, 3, 3, souk_catalog_check_currency),
};
static const souk_json_spec price_spec = SOUK_JSON_SPEC(souk_price_in, price_fields);

static const souk_json_field amount_fields[] = {
    SOUK_JSON_F_INT("amount", SOUK_JSON_REQUIRED, souk_amount_in, amount, 0, INT64_C(1000000000000)),
};
const souk_json_spec souk_catalog_amount_spec = SOUK_JSON_SPEC(souk_amount_in, amount_fields);

static const souk_json_field image_fields[] = {
    SOUK_JSON_F_STRING("url", SOUK_JSON_REQUIRED, souk_image_in, url, 1, 2048, url_check),
    SOUK_JSON_F_STRING("alt", 0, souk_image_in, alt, 0, 500, NULL),
    SOUK_JSON_F_INT("width", SOUK_JSON_NULLABLE, souk_image_in, width, 1, 100000),
    SOUK_JSON_F_INT("height", SOUK_JSON_NULLABLE, souk_image_in, height, 1, 100000),
};
static const souk_json_spec image_spec = SOUK_JSON_SPEC(souk_image_in, image_fields);

/* ---- variants: both specs share SOUK_VF_SKU..SOUK_VF_POSITION; index 4 is
 * "prices" in the create spec and "status" in the update spec ---- */

#define VARIANT_FIELDS(sku_flags)                                                                                      \
    [SOUK_VF_SKU] =                                                                                                    \
        SOUK_JSON_F_STRING("sku", sku_flags, souk_variant_in, sku, 1, SOUK_CATALOG_SKU_MAX, souk_catalog_check_sku),   \
    [SOUK_VF_TITLE] = SOUK_JSON_F_STRING("title", 0, souk_variant_in, title, 0, SOUK_CATALOG_NAME_MAX, NULL),          \
    [SOUK_VF_OPTIONS] = SOUK_JSON_F_STRMAP("options", 0, souk_variant_in, options, 0, SOUK_CATALOG_OPTIONS_MAX, 100,   \
                                           option_name_check),                                                         \
    [SOUK_VF_POSITION] = SOUK_JSON_F_INT("position", 0, souk_variant_in, position, 0, 100000)
static const souk_json_field variant_create_fields[] = {
    VARIANT_FIELDS(SOUK_JSON_REQUIRED),
    [SOUK_VF_PRICES] = SOUK_JSON_F_ARRAY("prices", 0, souk_variant_in, prices, 0, 20, &price_spec),
};
static const souk_json_field variant_update_fields[] = {
    VARIANT_FIELDS(0),
    [SOUK_VF_STATUS] = SOUK_JSON_F_ENUM("status", 0, souk_variant_in, status, variant_statuses),
};
const souk_json_spec souk_catalog_variant_create_spec = SOUK_JSON_SPEC(souk_variant_in, variant_create_fields);
const souk_json_spec souk_catalog_variant_update_spec = SOUK_JSON_SPEC(souk_variant_in, variant_update_fields);

/* ---- products: the update spec is the create spec without "variants", and
 * a title is required on create only ---- */

#define PRODUCT_FIELDS(title_flags)                                                                                    \
    [SOUK_PF_TITLE] =                                                                                                  \
        SOUK_JSON_F_STRING("title", title_flags, souk_product_in, title, 1, SOUK_CATALOG_NAME_MAX, NULL),              \
    [SOUK_PF_SLUG] =                                                                                                   \
        SOUK_JSON_F_STRING("slug", 0, souk_product_in, slug, 1, SOUK_CATALOG_SLUG_MAX, souk_catalog_check_slug),       \
    [SOUK_PF_DESCRIPTION] =                                                                                            \
        SOUK_JSON_F_STRING("description", 0, souk_product_in, description, 0, SOUK_CATALOG_DESC_MAX, NULL),            \
    [SOUK_PF_STATUS] = SOUK_JSON_F_ENUM("status", 0, souk_product_in, status, product_statuses),                       \
    [SOUK_PF_BRAND] = SOUK_JSON_F_ID("brand_id", SOUK_JSON_NULLABLE, souk_product_in, brand_id, SOUK_PREFIX_BRAND),    \
    [SOUK_PF_VENDOR] =                                                                                                 \
        SOUK_JSON_F_ID("vendor_id", SOUK_JSON_NULLABLE, souk_product_in, vendor_id, SOUK_PREFIX_VENDOR),               \
    [SOUK_PF_CATEGORY] =                                                                                               \
        SOUK_JSON_F_ID("category_id", SOUK_JSON_NULLABLE, souk_product_in, category_id, SOUK_PREFIX_CATEGORY),         \
    [SOUK_PF_ATTRIBUTES] = SOUK_JSON_F_STRMAP("attributes", 0, souk_product_in, attributes, 0, SOUK_CATALOG_ATTRS_MAX, \
                                              200, souk_catalog_check_attr_name),                                      \
    [SOUK_PF_IMAGES] =                                                                                                 \
        SOUK_JSON_F_ARRAY("images", 0, souk_product_in, images, 0, SOUK_CATALOG_IMAGES_MAX, &image_spec)
static const souk_json_field product_create_fields[] = {
    PRODUCT_FIELDS(SOUK_JSON_REQUIRED),
    [SOUK_PF_VARIANTS] = SOUK_JSON_F_ARRAY("variants", 0, souk_product_in, variants, 0, SOUK_CATALOG_VARIANTS_MAX,
                                           &souk_catalog_variant_create_spec),
};
static const souk_json_field product_update_fields[] = {PRODUCT_FIELDS(0)};
const souk_json_spec souk_catalog_product_create_spec = SOUK_JSON_SPEC(souk_product_in, product_create_fields);
const souk_json_spec souk_catalog_product_update_spec = SOUK_JSON_SPEC(souk_product_in, product_update_fields);

/* ---- taxons: all share SOUK_TF_NAME and SOUK_TF_SLUG (a name is required on
 * create only); categories add parent and position, vendors "commission_bp"
 * at SOUK_TF_COMMISSION ---- */

#define TAXON_FIELDS(name_flags)                                                                                       \
    [SOUK_TF_NAME] = SOUK_JSON_F_STRING("name", name_flags, souk_taxon_in, name, 1, SOUK_CATALOG_NAME_MAX, NULL),      \
    [SOUK_TF_SLUG] =                                                                                                   \
        SOUK_JSON_F_STRING("slug", 0, souk_taxon_in, slug, 1, SOUK_CATALOG_SLUG_MAX, souk_catalog_check_slug)
#define CATEGORY_FIELDS                                                                                                \
    [SOUK_TF_PARENT] =                                                                                                 \
        SOUK_JSON_F_ID("parent_id", SOUK_JSON_NULLABLE, souk_taxon_in, parent_id, SOUK_PREFIX_CATEGORY),               \
    [SOUK_TF_POSITION] = SOUK_JSON_F_INT("position", 0, souk_taxon_in, position, 0, 100000)
#define COMMISSION_FIELD                                                                                               \
    [SOUK_TF_COMMISSION] =                                                                                             \
        SOUK_JSON_F_INT("commission_bp", 0, souk_taxon_in, commission_bp, 0, SOUK_CATALOG_COMMISSION_MAX)
static const souk_json_field category_create_fields[] = {TAXON_FIELDS(SOUK_JSON_REQUIRED), CATEGORY_FIELDS};
static const souk_json_field category_update_fields[] = {TAXON_FIELDS(0), CATEGORY_FIELDS};
static const souk_json_field taxon_create_fields[] = {TAXON_FIELDS(SOUK_JSON_REQUIRED)};
static const souk_json_field taxon_update_fields[] = {TAXON_FIELDS(0)};
static const souk_json_field vendor_create_fields[] = {TAXON_FIELDS(SOUK_JSON_REQUIRED), COMMISSION_FIELD};
static const souk_json_field vendor_update_fields[] = {TAXON_FIELDS(0), COMMISSION_FIELD};
const souk_json_spec souk_catalog_category_create_spec = SOUK_JSON_SPEC(souk_taxon_in, category_create_fields);
const souk_json_spec souk_catalog_category_update_spec = SOUK_JSON_SPEC(souk_taxon_in, category_update_fields);
const souk_json_spec souk_catalog_taxon_create_spec = SOUK_JSON_SPEC(souk_taxon_in, taxon_create_fields);
const souk_json_spec souk_catalog_taxon_update_spec = SOUK_JSON_SPEC(souk_taxon_in, taxon_update_fields);
const souk_json_spec souk_catalog_vendor_create_spec = SOUK_JSON_SPEC(souk_taxon_in, vendor_create_fields);
const souk_json_spec souk_catalog_vendor_update_spec = SOUK_JSON_SPEC(souk_taxon_in, vendor_update_fields);

const souk_json_spec *souk_catalog_taxon_spec(souk_taxon_kind kind, bool update)
{
    switch (kind) {
    case SOUK_TAXON_CATEGORY: return update ? &souk_catalog_category_update_spec : &souk_catalog_category_create_spec;
    case SOUK_TAXON_VENDOR: return update ? &souk_catalog_vendor_update_spec : &souk_catalog_vendor_create_spec;
    default: return update ? &souk_catalog_taxon_update_spec : &souk_catalog_taxon_create_spec;
    }
}
