/*
 * cmd_demo.c — `souk demo`: a deterministic demo store.
 *
 * The same --seed yields the same categories, brands, vendors, titles,
 * slugs, variants, prices and attributes (ids and timestamps differ, as they
 * are time-based). Products are written through the catalog's own create
 * function, in transactions of 500, so the demo exercises the real write
 * path and its validation. --history DAYS adds that many days of past
 * orders (demo_history.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/demo_history.h"
#include "app/demo_images.h"
#include "cart/cart.h"
#include "catalog/catalog.h"
#include "core/grow.h"
#include "core/rng.h"
#include "core/time.h"
#include "inventory/inventory.h"
#include "core/banned.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char *name;
    const char *children[4];
    const char *nouns[6];
} departments[] = {
    {"Clothing",
     {"T-Shirts", "Jackets", "Trousers", "Knitwear"},
     {"T-Shirt", "Jacket", "Chinos", "Sweater", "Hoodie", "Shirt"}},
    {"Home", {"Kitchen", "Bedroom", "Lighting", "Decor"}, {"Mug", "Lamp", "Cushion", "Throw", "Vase", "Bowl"}},
    {"Outdoors",
     {"Camping", "Cycling", "Hiking", "Garden"},
     {"Tent", "Backpack", "Bottle", "Lantern", "Helmet", "Planter"}},
    {"Electronics",
     {"Audio", "Phones", "Computers", "Cameras"},
     {"Headphones", "Speaker", "Charger", "Keyboard", "Webcam", "Cable"}},
    {"Beauty", {"Skin Care", "Hair", "Fragrance", "Bath"}, {"Serum", "Shampoo", "Perfume", "Soap", "Balm", "Cream"}},
    {"Toys", {"Puzzles", "Games", "Plush", "Building"}, {"Puzzle", "Board Game", "Teddy", "Blocks", "Kite", "Robot"}},
};
static const char *brands[] = {"Northwind", "Acme",   "Lumen",  "Fjord",    "Saffron", "Kestrel",
                               "Orchard",   "Basalt", "Tandem", "Meridian", "Quill",   "Harbor"};
static const char *vendors[] = {"Souk Market", "Atlas Traders", "Blue Door Goods", "Cedar & Co"};
static const char *adjectives[] = {"Classic", "Everyday", "Premium", "Compact",   "Vintage", "Modern",
                                   "Rugged",  "Soft",     "Bright",  "Essential", "Deluxe",  "Light"};
static const char *materials[] = {"cotton", "wool", "linen", "steel", "bamboo", "ceramic", "leather", "recycled"};
static const char *colours[] = {"black", "white", "navy", "red", "green", "sand", "grey", "yellow"};
static const char *sizes[] = {"S", "M", "L", "XL"};

typedef struct demo_ctx {
    souk_rng r;
    long from, to; /* product numbers of this batch */
    int64_t cat_ids[N(departments)][4];
    int64_t brand_ids[N(brands)], vendor_ids[N(vendors)];
    souk_arena arena;
    long failed;
    bool keep;            /* --history: remember the active products for it */
    souk_demo_item *kept; /* the active products made so far */
    size_t nkept, capkept;
    souk_image_prepared pictures[SOUK_DEMO_IMAGES]; /* generated and stored once (demo_images.c) */
    size_t npictures;
} demo_ctx;

/* Remembers product ID (first variant SKU, its USD PRICE, TITLE) for the history. 0, or -1. */
static int keep(demo_ctx *c, int64_t id, const char *sku, int64_t price, const char *title)
{
    if (c->nkept == c->capkept && souk_grow(&c->kept, &c->capkept, c->nkept + 1, sizeof *c->kept) < 0)
        return -1;
    souk_demo_item *it = &c->kept[c->nkept];
    *it = (souk_demo_item){.product_id = id, .price = price, .sku = strdup(sku), .title = strdup(title)};
    if (!it->sku || !it->title) {
        free(it->sku);
        free(it->title);
        return -1;
    }
    c->nkept++;
    return 0;
}

/* Forgets the products remembered after the first N (a batch rolled back). */
static void forget_after(demo_ctx *c, size_t n)
{
    while (c->nkept > n) {
        c->nkept--;
        free(c->kept[c->nkept].sku);
        free(c->kept[c->nkept].title);
    }
}

static int make_product(souk_store *db, demo_ctx *c, long n)
{
    souk_rng *r = &c->r;
    size_t dep = souk_rng_below(r, N(departments)), sub = souk_rng_below(r, 4);
    const char *noun = departments[dep].nouns[souk_rng_below(r, 6)];
    const char *adj = adjectives[souk_rng_below(r, N(adjectives))];
    const char *mat = materials[souk_rng_below(r, N(materials))];
    souk_arena *a = &c->arena;
    souk_product_in p = {0};
    p.title = souk_arena_printf(a, "%s %c%s %s %ld", adj, mat[0] - 32, mat + 1, noun, n);
    p.description = souk_arena_printf(a, "A %s %s made of %s. Demo product number %ld.", adj, noun, mat, n);
    uint64_t roll = souk_rng_next(r) % 100;
    p.status = roll < 92 ? SOUK_STATUS_ACTIVE : roll < 97 ? SOUK_STATUS_DRAFT : SOUK_STATUS_ARCHIVED;
    p.category_id = c->cat_ids[dep][sub];
    p.brand_id = c->brand_ids[souk_rng_below(r, N(brands))];
    p.vendor_id = c->vendor_ids[souk_rng_below(r, N(vendors))];

    size_t ncol = 1 + souk_rng_below(r, 3);
    const char *colour = colours[souk_rng_below(r, N(colours))];
    static const char *attr_keys[] = {"color", "material"};
    const char **vals = souk_arena_alloc(a, 2 * sizeof *vals);
    vals[0] = colour;
    vals[1] = mat;
    p.attributes = (souk_json_strmap){attr_keys, vals, 2};

    size_t nimg = 1 + souk_rng_below(r, 2); /* attached after the product is made: generated pictures */

    bool sized = dep == 0;
    size_t nvar = sized ? 2 + souk_rng_below(r, 3) : ncol;
    souk_variant_in *vars = souk_arena_calloc(a, nvar * sizeof *vars);
    int64_t base = 199 + (int64_t)souk_rng_below(r, 19800);
    static const char *opt_size[] = {"size"}, *opt_colour[] = {"color"};
    for (size_t i = 0; i < nvar; i++) {
        souk_variant_in *v = &vars[i];
        const char *val = sized ? sizes[i % N(sizes)] : colours[(souk_rng_below(r, N(colours)) + i) % N(colours)];
        v->sku = souk_arena_printf(a, "DEMO-%06ld-%zu", n, i + 1);
        v->title = val;
        const char **ov = souk_arena_alloc(a, sizeof *ov);
        ov[0] = val;
        v->options = (souk_json_strmap){sized ? opt_size : opt_colour, ov, 1};
        v->position = (int64_t)i;
        souk_price_in *prices = souk_arena_calloc(a, 2 * sizeof *prices);
        int64_t usd = base + (int64_t)i * 100;
        prices[0] = (souk_price_in){usd, "USD", 0, 0};
        prices[1] = (souk_price_in){usd * 92 / 100, "EUR", 0, 0};
        v->prices = (souk_json_array){prices, 2};
    }
    p.variants = (souk_json_array){vars, nvar};

    souk_problems pr;
    souk_problems_init(&pr);
    int64_t id;
    souk_err e = souk_catalog_product_create_tx(db, &p, a, &pr, &id);
    for (size_t i = 0; !e && i < nimg && c->npictures; i++) {
        const souk_image_prepared *pic = &c->pictures[((size_t)n * 7 + (size_t)dep * 3 + i * 5) % c->npictures];
        int64_t image_id;
        bool created;
        souk_err ie = souk_catalog_image_attach_tx(db, id, pic, p.title, &image_id, &created);
        if (ie == SOUK_E_INTERNAL || ie == SOUK_E_UNAVAILABLE)
            e = ie;
    }
    if (!e && c->keep && p.status == SOUK_STATUS_ACTIVE && keep(c, id, vars[0].sku, base, p.title) < 0)
        e = SOUK_E_INTERNAL;
    souk_arena_reset(a);
    if (e == SOUK_E_INTERNAL || e == SOUK_E_UNAVAILABLE) /* the batch rolls back (and retries when transient) */
        return souk_store_err_status(e);
    if (e)
        c->failed++;
    return 0;
}

static int batch_tx(souk_store *db, void *arg)
{
    demo_ctx *c = arg;
    souk_rng saved = c->r;
    size_t kept = c->nkept;
    for (long n = c->from; n < c->to; n++) {
        int r = make_product(db, c, n);
        if (r < 0) {
            c->r = saved; /* a retried batch must produce the same products */
            forget_after(c, kept);
            return r;
        }
    }
    return 0;
}

static int taxons(souk_store *db, demo_ctx *c)
{
    souk_problems pr;
    souk_problems_init(&pr);
    souk_arena *a = &c->arena;
    for (size_t d = 0; d < N(departments); d++) {
        int64_t parent;
        souk_taxon_in in = {.name = departments[d].name, .position = (int64_t)d};
        if (souk_catalog_taxon_create(db, SOUK_TAXON_CATEGORY, &in, a, &pr, &parent))
            return -1;
        for (size_t s = 0; s < 4; s++) {
            souk_taxon_in child = {.name = departments[d].children[s], .parent_id = parent, .position = (int64_t)s};
            if (souk_catalog_taxon_create(db, SOUK_TAXON_CATEGORY, &child, a, &pr, &c->cat_ids[d][s]))
                return -1;
        }
    }
    for (size_t i = 0; i < N(brands); i++) {
        souk_taxon_in in = {.name = brands[i]};
        if (souk_catalog_taxon_create(db, SOUK_TAXON_BRAND, &in, a, &pr, &c->brand_ids[i]))
            return -1;
    }
    for (size_t i = 0; i < N(vendors); i++) {
        souk_taxon_in in = {.name = vendors[i]};
        if (souk_catalog_taxon_create(db, SOUK_TAXON_VENDOR, &in, a, &pr, &c->vendor_ids[i]))
            return -1;
    }
    return 0;
}

#define DEMO_STOCK 100

/* A store one can buy from: a warehouse with stock for every variant, and a
 * shipping method (USD 4.99, free from USD 50). */
static int shop_setup(souk_store *db, demo_ctx *c)
{
    souk_warehouse_in wh = {.code = "main",
                            .name = "Main warehouse",
                            .present = (UINT64_C(1) << SOUK_WF_CODE) | (UINT64_C(1) << SOUK_WF_NAME)};
    souk_problems pr;
    souk_problems_init(&pr);
    int64_t id = 0;
    if (souk_inventory_warehouse_create(db, &wh, &c->arena, &pr, &id) != SOUK_OK ||
        souk_inventory_fill(db, id, DEMO_STOCK) != SOUK_OK) {
        fprintf(stderr, "souk: cannot stock the demo store: %s\n", souk_store_errmsg(db));
        return -1;
    }
    if (souk_cart_shipping_method_add(db, "standard", "Standard delivery", "USD", 499, 5000) != SOUK_OK) {
        fprintf(stderr, "souk: cannot add the demo shipping method: %s\n", souk_store_errmsg(db));
        return -1;
    }
    return 0;
}

int souk_cmd_demo(int argc, char **argv)
{
    souk_config cfg;
    if (souk_cli_config(&cfg) < 0)
        return SOUK_EXIT_USAGE;
    static const struct option long_opts[] = {{"db", required_argument, NULL, 'd'},
                                              {"products", required_argument, NULL, 'p'},
                                              {"seed", required_argument, NULL, 's'},
                                              {"history", required_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};
    long products = 500, history = 0;
    unsigned long long seed = 1;
    char err[512], *end;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        if (opt == 'd' && souk_config_set_db(&cfg, optarg, err, sizeof err) == 0)
            continue;
        if (opt == 'p' && (products = strtol(optarg, &end, 10), !*end && products >= 0 && products <= 2000000))
            continue;
        if (opt == 's' && (seed = strtoull(optarg, &end, 10), !*end && *optarg))
            continue;
        if (opt == 'h' &&
            (history = strtol(optarg, &end, 10), !*end && history >= 0 && history <= SOUK_DEMO_HISTORY_MAX_DAYS))
            continue;
        fprintf(stderr, "souk: bad option; see 'souk demo --help'\n");
        return SOUK_EXIT_USAGE;
    }
    if (optind < argc) {
        fprintf(stderr, "souk: unexpected argument '%s'\n", argv[optind]);
        return SOUK_EXIT_USAGE;
    }
    souk_store *db = souk_cli_open_db(cfg.db_dsn);
    if (!db)
        return SOUK_EXIT_FAIL;
    int rc = SOUK_EXIT_FAIL;
    demo_ctx *c = calloc(1, sizeof *c);
    bool empty = false;
    if (!c || souk_catalog_is_empty(db, &empty) != SOUK_OK)
        goto out;
    if (!empty) {
        fprintf(stderr, "souk: %s already has a catalog; the demo needs an empty database\n", cfg.db_dsn);
        goto out;
    }
    if (souk_cli_demo_admin(db) < 0)
        goto out;
    c->r.s = seed;
    c->keep = history > 0;
    souk_arena_init(&c->arena, 64 * 1024, 0);
    int64_t started = souk_time_mono_us();
    if (taxons(db, c) < 0) {
        fprintf(stderr, "souk: cannot create demo categories: %s\n", souk_store_errmsg(db));
        goto out;
    }
    c->npictures = souk_demo_images_make(cfg.db_dsn, seed, c->pictures);
    for (long from = 0; from < products; from += 500) {
        c->from = from;
        c->to = from + 500 < products ? from + 500 : products;
        if (souk_store_tx(db, batch_tx, c) < 0) {
            fprintf(stderr, "\nsouk: demo failed at product %ld: %s\n", from, souk_store_errmsg(db));
            goto out;
        }
        char tail[64];
        snprintf(tail, sizeof tail, "%ld/%ld products", c->to, products);
        souk_cli_progress(stderr, "demo", (uint64_t)c->to, (uint64_t)products, tail, c->to == products);
    }
    if (shop_setup(db, c) < 0)
        goto out;
    printf("demo store: %ld products, %zu categories, %zu brands, %zu vendors in %.2f s (seed %llu)\n",
           products - c->failed, N(departments) * 5, N(brands), N(vendors),
           (double)(souk_time_mono_us() - started) / 1e6, seed);
    printf("demo stock: %d of each variant in warehouse \"main\" (every tenth sold out); shipping \"standard\"\n",
           DEMO_STOCK);
    fflush(stdout); /* its lines before the history's progress */
    if (history > 0 && c->nkept > 0 && souk_demo_history(db, c->kept, c->nkept, (int)history, seed) < 0)
        goto out;
    rc = c->failed ? SOUK_EXIT_FAIL : SOUK_EXIT_OK;
out:
    if (c) {
        souk_arena_release(&c->arena);
        forget_after(c, 0);
        free(c->kept);
    }
    free(c);
    souk_store_close(db);
    return rc;
}
