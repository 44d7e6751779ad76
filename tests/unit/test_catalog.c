/*
 * Unit tests for src/catalog/ on a fresh temporary database: taxonomy
 * writes, product creation (slugs, SKUs, references), slugify. Listing and
 * its filters are in test_catalog_list.c.
 */
#include "catalog_fixture.h"

static int64_t taxon(fixture *f, souk_taxon_kind kind, const char *name, const char *slug, int64_t parent)
{
    souk_taxon_in in = {name, slug, parent, 0, 0, 0};
    int64_t id = 0;
    souk_problems_init(&f->pr);
    souk_err e = souk_catalog_taxon_create(f->db, kind, &in, &f->a, &f->pr, &id);
    if (e != SOUK_OK)
        fail_msg("taxon %s: %s", name, souk_err_code(e));
    assert_true(id > 0);
    return id;
}

static const char *taxon_slug(fixture *f, souk_taxon_kind kind, int64_t id)
{
    json_t *j = NULL;
    assert_int_equal(souk_catalog_taxon_get(f->db, kind, id, &j), SOUK_OK);
    const char *s = souk_arena_strdup(&f->a, json_string_value(json_object_get(j, "slug")));
    json_decref(j);
    return s;
}

static const char *product_slug(fixture *f, int64_t id)
{
    json_t *j = NULL;
    assert_int_equal(souk_catalog_product_get_id(f->db, id, true, &j), SOUK_OK);
    const char *s = souk_arena_strdup(&f->a, json_string_value(json_object_get(j, "slug")));
    json_decref(j);
    return s;
}

/* ---- taxonomy ----------------------------------------------------------- */

static void test_taxonomy(void **state)
{
    fixture *f = *state;
    int64_t b1 = taxon(f, SOUK_TAXON_BRAND, "Acme Co.", NULL, 0);
    int64_t b2 = taxon(f, SOUK_TAXON_BRAND, "ACME co", NULL, 0);
    assert_string_equal(taxon_slug(f, SOUK_TAXON_BRAND, b1), "acme-co");
    assert_string_equal(taxon_slug(f, SOUK_TAXON_BRAND, b2), "acme-co-2");
    int64_t v = taxon(f, SOUK_TAXON_VENDOR, "Acme Co.", NULL, 0); /* slugs are per kind */
    assert_string_equal(taxon_slug(f, SOUK_TAXON_VENDOR, v), "acme-co");
    /* an explicit slug that is taken is a conflict on "slug" */
    souk_taxon_in dup = {"Other", "acme-co", 0, 0, 0, 0};
    int64_t id = 0;
    souk_problems_init(&f->pr);
    assert_int_equal(souk_catalog_taxon_create(f->db, SOUK_TAXON_BRAND, &dup, &f->a, &f->pr, &id), SOUK_E_CONFLICT);
    expect_field(&f->pr, "slug");

    int64_t root = taxon(f, SOUK_TAXON_CATEGORY, "Kitchen", NULL, 0);
    int64_t mugs = taxon(f, SOUK_TAXON_CATEGORY, "Mugs", NULL, root);
    int64_t cups = taxon(f, SOUK_TAXON_CATEGORY, "Espresso Cups", "espresso", mugs);
    assert_string_equal(taxon_slug(f, SOUK_TAXON_CATEGORY, cups), "espresso");
    /* unknown parent */
    souk_taxon_in orphan = {"Orphan", NULL, INT64_C(123456789), 0, 0, 0};
    souk_problems_init(&f->pr);
    assert_int_equal(souk_catalog_taxon_create(f->db, SOUK_TAXON_CATEGORY, &orphan, &f->a, &f->pr, &id),
                     SOUK_E_VALIDATION);
    expect_field(&f->pr, "parent_id");

    /* cycles: a category under its own descendant, or under itself */
    souk_taxon_in move = {.parent_id = cups, .present = UINT64_C(1) << SOUK_TF_PARENT};
    souk_problems_init(&f->pr);
    assert_int_equal(souk_catalog_taxon_update(f->db, SOUK_TAXON_CATEGORY, root, &move, &f->a, &f->pr),
                     SOUK_E_VALIDATION);
    expect_field(&f->pr, "parent_id");
    move.parent_id = root;
    souk_problems_init(&f->pr);
    assert_int_equal(souk_catalog_taxon_update(f->db, SOUK_TAXON_CATEGORY, root, &move, &f->a, &f->pr),
                     SOUK_E_VALIDATION);
    expect_field(&f->pr, "parent_id");
    /* a legal move: cups straight under the root */
    souk_problems_init(&f->pr);
    assert_int_equal(souk_catalog_taxon_update(f->db, SOUK_TAXON_CATEGORY, cups, &move, &f->a, &f->pr), SOUK_OK);

    /* delete: children block it, leaves go, unknown ids are 404 */
    souk_problems_init(&f->pr);
    assert_int_equal(souk_catalog_category_delete(f->db, root, &f->a, &f->pr), SOUK_E_CONFLICT);
    assert_true(f->pr.count > 0);
    souk_problems_init(&f->pr);
    assert_int_equal(souk_catalog_category_delete(f->db, mugs, &f->a, &f->pr), SOUK_OK);
    souk_problems_init(&f->pr);
    assert_int_equal(souk_catalog_category_delete(f->db, mugs, &f->a, &f->pr), SOUK_E_NOT_FOUND);
    /* products block it too */
    assert_int_equal(product(f, "Cup", NULL, SOUK_STATUS_DRAFT, 0, cups, NULL, -1, NULL), SOUK_OK);
    souk_problems_init(&f->pr);
    assert_int_equal(souk_catalog_category_delete(f->db, cups, &f->a, &f->pr), SOUK_E_CONFLICT);
}

static void test_taxon_long_name_slug(void **state)
{
    fixture *f = *state;
    /* 91 letters, a space, more letters: the derived slug is cut at 92 */
    char name[200];
    memset(name, 'a', 91);
    snprintf(name + 91, sizeof name - 91, " bcdefghijklmnop");
    int64_t b = taxon(f, SOUK_TAXON_BRAND, name, NULL, 0);
    const char *slug = taxon_slug(f, SOUK_TAXON_BRAND, b);
    /* Regression: taxonomy slugs were cut at a fixed length without dropping
     * a trailing hyphen, giving 91 'a' + "-", which fails the documented
     * pattern ^[a-z0-9]+(-[a-z0-9]+)*$. All slugs now come from
     * souk__catalog_derive_slug. */
    const char *why = souk_catalog_check_slug(slug, strlen(slug));
    if (why)
        fail_msg("derived slug \"%s\" is invalid: %s", slug, why);
}

/* decodes the JSON text BODY with SPEC into IN; 0 or -1 with problems in f->pr */
static int decode(fixture *f, const souk_json_spec *spec, const char *body, souk_taxon_in *in)
{
    json_t *obj = json_loads(body, 0, NULL);
    assert_non_null(obj);
    souk_problems_init(&f->pr);
    int r = souk_json_decode(spec, obj, in, "", &f->a, &f->pr);
    json_decref(obj);
    return r;
}

static int64_t vendor_commission(fixture *f, int64_t id)
{
    json_t *j = NULL;
    assert_int_equal(souk_catalog_taxon_get(f->db, SOUK_TAXON_VENDOR, id, &j), SOUK_OK);
    json_t *c = json_object_get(j, "commission_bp");
    assert_true(json_is_integer(c));
    int64_t n = (int64_t)json_integer_value(c);
    json_decref(j);
    return n;
}

static void test_vendor_commission(void **state)
{
    fixture *f = *state;
    const souk_json_spec *create = souk_catalog_taxon_spec(SOUK_TAXON_VENDOR, false);
    const souk_json_spec *update = souk_catalog_taxon_spec(SOUK_TAXON_VENDOR, true);
    souk_taxon_in in;
    int64_t id = 0;
    /* decoded and stored; a vendor created without it has 0 */
    assert_int_equal(decode(f, create, "{\"name\":\"Market\",\"commission_bp\":1250}", &in), 0);
    assert_int_equal(souk_catalog_taxon_create(f->db, SOUK_TAXON_VENDOR, &in, &f->a, &f->pr, &id), SOUK_OK);
    assert_int_equal(vendor_commission(f, id), 1250);
    assert_int_equal(vendor_commission(f, taxon(f, SOUK_TAXON_VENDOR, "Plain", NULL, 0)), 0);
    /* updates change it only when present */
    assert_int_equal(decode(f, update, "{\"name\":\"Market 2\"}", &in), 0);
    assert_int_equal(souk_catalog_taxon_update(f->db, SOUK_TAXON_VENDOR, id, &in, &f->a, &f->pr), SOUK_OK);
    assert_int_equal(vendor_commission(f, id), 1250);
    assert_int_equal(decode(f, update, "{\"commission_bp\":10000}", &in), 0);
    assert_int_equal(souk_catalog_taxon_update(f->db, SOUK_TAXON_VENDOR, id, &in, &f->a, &f->pr), SOUK_OK);
    assert_int_equal(vendor_commission(f, id), 10000);

    /* out of range: the specs and the domain both refuse it */
    assert_int_equal(decode(f, create, "{\"name\":\"Greedy\",\"commission_bp\":10001}", &in), -1);
    expect_field(&f->pr, "commission_bp");
    assert_int_equal(decode(f, update, "{\"commission_bp\":-1}", &in), -1);
    expect_field(&f->pr, "commission_bp");
    souk_taxon_in greedy = {.name = "Greedy", .commission_bp = 10001};
    souk_problems_init(&f->pr);
    assert_int_equal(souk_catalog_taxon_create(f->db, SOUK_TAXON_VENDOR, &greedy, &f->a, &f->pr, &id),
                     SOUK_E_VALIDATION);
    expect_field(&f->pr, "commission_bp");

    /* brands and categories have no commission: an unknown field */
    const char *branded = "{\"name\":\"Brand\",\"commission_bp\":100}";
    assert_int_equal(decode(f, souk_catalog_taxon_spec(SOUK_TAXON_BRAND, false), branded, &in), -1);
    expect_field(&f->pr, "commission_bp");
    assert_int_equal(decode(f, souk_catalog_taxon_spec(SOUK_TAXON_BRAND, true), "{\"commission_bp\":1}", &in), -1);
    expect_field(&f->pr, "commission_bp");
    assert_int_equal(decode(f, souk_catalog_taxon_spec(SOUK_TAXON_CATEGORY, false), branded, &in), -1);
    expect_field(&f->pr, "commission_bp");
    json_t *j = NULL;
    assert_int_equal(souk_catalog_taxon_get(f->db, SOUK_TAXON_BRAND, taxon(f, SOUK_TAXON_BRAND, "B", NULL, 0), &j),
                     SOUK_OK);
    assert_null(json_object_get(j, "commission_bp"));
    json_decref(j);
}

/* ---- products ----------------------------------------------------------- */

static void test_product_slugs_and_conflicts(void **state)
{
    fixture *f = *state;
    int64_t p1, p2, p3;
    assert_int_equal(product(f, "Mug", NULL, SOUK_STATUS_ACTIVE, 0, 0, "MUG-1", 500, &p1), SOUK_OK);
    assert_int_equal(product(f, "Mug", NULL, SOUK_STATUS_ACTIVE, 0, 0, "MUG-2", 600, &p2), SOUK_OK);
    assert_true(p2 > p1);
    assert_string_equal(product_slug(f, p1), "mug");
    assert_string_equal(product_slug(f, p2), "mug-2");
    assert_int_equal(product(f, "!!!", NULL, SOUK_STATUS_DRAFT, 0, 0, NULL, -1, &p3), SOUK_OK);
    assert_string_equal(product_slug(f, p3), "item");

    /* explicit slug already used */
    assert_int_equal(product(f, "Another", "mug", SOUK_STATUS_DRAFT, 0, 0, NULL, -1, NULL), SOUK_E_CONFLICT);
    expect_field(&f->pr, "slug");
    /* SKU used by another product */
    assert_int_equal(product(f, "Third mug", NULL, SOUK_STATUS_ACTIVE, 0, 0, "MUG-1", 100, NULL), SOUK_E_CONFLICT);
    expect_field(&f->pr, "variants[0].sku");
    /* SKU repeated inside one request */
    souk_variant_in vars[2] = {{.sku = "NEW-1"}, {.sku = "NEW-1"}};
    souk_product_in in = {.title = "Twins", .variants = {vars, 2}};
    int64_t id = 0;
    souk_problems_init(&f->pr);
    assert_int_equal(souk_catalog_product_create(f->db, &in, &f->a, &f->pr, &id), SOUK_E_CONFLICT);
    expect_field(&f->pr, "variants[1].sku");
    /* nothing of the failed creates was written */
    json_t *j = NULL;
    assert_int_equal(souk_catalog_product_get(f->db, "mug-3", true, &j), SOUK_E_NOT_FOUND);
    assert_int_equal(souk_catalog_product_get(f->db, "twins", true, &j), SOUK_E_NOT_FOUND);
    assert_int_equal(souk_catalog_product_get(f->db, "another", true, &j), SOUK_E_NOT_FOUND);

    /* unknown references are validation errors on their field */
    assert_int_equal(product(f, "Branded", NULL, SOUK_STATUS_ACTIVE, INT64_C(987654321), 0, NULL, -1, NULL),
                     SOUK_E_VALIDATION);
    expect_field(&f->pr, "brand_id");
    assert_int_equal(product(f, "Filed", NULL, SOUK_STATUS_ACTIVE, 0, INT64_C(987654321), NULL, -1, NULL),
                     SOUK_E_VALIDATION);
    expect_field(&f->pr, "category_id");

    /* the public view hides drafts; the admin view shows them */
    char text[SOUK_ID_TEXT_MAX];
    souk_id_format(SOUK_PREFIX_PRODUCT, p3, text);
    assert_int_equal(souk_catalog_product_get(f->db, text, false, &j), SOUK_E_NOT_FOUND);
    assert_int_equal(souk_catalog_product_get(f->db, text, true, &j), SOUK_OK);
    json_decref(j);
    assert_int_equal(souk_catalog_product_get(f->db, "mug-2", false, &j), SOUK_OK);
    json_t *prices = json_object_get(json_array_get(json_object_get(j, "variants"), 0), "prices");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(prices, 0), "amount")), 600);
    json_decref(j);
}

static void test_slugify(void **state)
{
    (void)state;
    char out[SOUK_CATALOG_SLUG_MAX + 1];
    assert_int_equal(souk_catalog_slugify("Hello, World!", out), 11);
    assert_string_equal(out, "hello-world");
    assert_int_equal(souk_catalog_slugify("", out), 0);
    assert_string_equal(out, "");
    assert_int_equal(souk_catalog_slugify("!!! ...", out), 0);
    assert_int_equal(souk_catalog_slugify("  --Caf\xc3\xa9  au   lait--  ", out), 11);
    assert_string_equal(out, "caf-au-lait");
    assert_int_equal(souk_catalog_slugify("A1 B2", out), 5);
    assert_string_equal(out, "a1-b2");
    char longer[400];
    for (int i = 0; i < 399; i++)
        longer[i] = i % 7 == 6 ? ' ' : (char)('a' + i % 26);
    longer[399] = '\0';
    size_t n = souk_catalog_slugify(longer, out);
    assert_int_equal(n, SOUK_CATALOG_SLUG_MAX);
    assert_int_equal(strlen(out), SOUK_CATALOG_SLUG_MAX);
    assert_null(souk_catalog_check_slug(out, n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_taxonomy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_product_slugs_and_conflicts, setup, teardown),
        cmocka_unit_test(test_slugify),
        cmocka_unit_test_setup_teardown(test_taxon_long_name_slug, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vendor_commission, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
