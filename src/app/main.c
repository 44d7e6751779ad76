/*
 * main.c — entry point: dispatches to the command named by argv[1].
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app/background.h"
#include "app/cli.h"
#include "core/banned.h"

static const souk_command commands[] = {
    {"serve", "run the HTTP server",
     "usage: souk serve [--listen ADDR:PORT] [--db DSN] [--threads N] [--no-access-log] [--no-workers]\n"
     "                  [--redis URL]\n\n"
     "Serves the API on ADDR:PORT (default 127.0.0.1:8080; port 0 picks a free port, logged as\n"
     "\"listening\"). Applies pending migrations first. On a database without accounts it\n"
     "warns how to create an admin ('souk user create'; 'souk demo' makes one with a demo store).\n"
     "SIGTERM or Ctrl-C drains in-flight requests and exits 0.\n\n"
     "  --listen ADDR:PORT  address to bind (SOUK_LISTEN)\n"
     "  --db DSN           a SQLite file path, sqlite:PATH or postgresql://… (SOUK_DB, default souk.db)\n"
     "  --threads N         event-loop threads (SOUK_THREADS, default: one per core)\n"
     "  --no-access-log     do not log every request (SOUK_ACCESS_LOG=off)\n"
     "  --no-workers        do not run job workers and the event dispatcher in this process\n"
     "                      (run 'souk worker' beside it instead)\n"
     "  --redis URL         redis://[[user]:password@]host[:port][/db] shared by several nodes: one\n"
     "                      rate-limit budget, revocations and cache invalidations broadcast\n"
     "                      (SOUK_REDIS; optional: without it, or while it is down, each node\n"
     "                      counts its own and follows the database within SOUK_WATCH_MS)\n",
     souk_cmd_serve},
    {"migrate", "apply pending database migrations",
     "usage: souk migrate [--db DSN]\n\n"
     "Creates the database if needed and applies every pending migration, each in its own\n"
     "transaction. Migrations are forward-only and recorded in schema_migrations.\n",
     souk_cmd_migrate},
    {"demo", "fill a database with a deterministic demo store",
     "usage: souk demo [--db DSN] [--products N] [--seed S] [--history DAYS]\n\n"
     "Creates categories, brands, vendors and N products (default 500, at most 2000000) with\n"
     "variants, prices in USD and EUR, attributes and image metadata. The same seed gives\n"
     "the same store. Refuses a database that already has products. Creates and prints the\n"
     "admin API key when the database has none. --history DAYS (at most 730) adds that many\n"
     "days of past orders up to yesterday, delivered and paid, from made-up customer accounts\n"
     "(demo-N@customers.example, no password), and approved reviews of about a fifth of\n"
     "what they received, so the reports, dashboards and ratings have data.\n",
     souk_cmd_demo},
    {"import", "import data (online-retail, shopify)",
     "usage: souk import online-retail [--db DSN] [--errors FILE] [--orders] FILE\n"
     "       souk import shopify [--db DSN] [--errors FILE] [--batch N] FILE\n\n"
     "shopify: imports a Shopify product CSV (Handle, Title, Body (HTML), Vendor, Type, Tags,\n"
     "Status, Option1-3 Name/Value, Variant SKU/Price/Inventory Qty, Image Src/Position/Alt\n"
     "Text; other columns are ignored): one product per Handle with its variants, images and\n"
     "stock, prices in SOUK_CURRENCY. Shows a progress bar with rows/s; every row it cannot\n"
     "use is reported with its line number and skipped. Running it again changes only what\n"
     "differs. --batch: products per transaction (default 500, at most 2000). Exit status 1\n"
     "when any row or product was refused. See docs/import-export.md.\n\n"
     "online-retail:\n"
     "Imports products from the UCI Online Retail data set (CSV, optionally gzip-compressed):\n"
     "one product per StockCode, titled by its Description, priced in GBP by the UnitPrice of\n"
     "its latest sale. Shows a progress bar and reports every row it cannot use, with its\n"
     "line number (all of them into FILE with --errors, the first 20 on stderr). Running it\n"
     "again updates what changed and creates nothing twice.\n",
     souk_cmd_import},
    {"export", "export the catalog as Shopify product CSV, or the orders as CSV",
     "usage: souk export products|orders [--db DSN] [--out FILE]\n\n"
     "products: every product (any status) in Shopify's product CSV layout, prices in\n"
     "SOUK_CURRENCY and stock of warehouse \"main\" -- what 'souk import shopify' reads back\n"
     "without a change. orders: one row per order line with its order's totals. To FILE, or\n"
     "standard output. Columns: docs/import-export.md.\n",
     souk_cmd_export},
    {"user", "create accounts",
     "usage: souk user create --email E --role ROLE [--name N] [--vendor vend_…] [--api-key] [--db DSN]\n\n"
     "Creates an account. ROLE is customer, vendor, inventory_manager or admin; vendors need\n"
     "--vendor. The password is read from standard input (asked twice, without echo, on a\n"
     "terminal) and must have 10-128 characters and not be the e-mail address. With --api-key\n"
     "an API key carrying all of the role's permissions is created and printed once.\n",
     souk_cmd_user},
    {"keys", "rotate the token signing key, or the key that encrypts it",
     "usage: souk keys rotate [--db DSN]\n"
     "       souk keys rotate-encryption [--db DSN] [--old-key-file PATH]\n\n"
     "rotate makes a new Ed25519 key for signing access tokens. Tokens signed with the previous\n"
     "key stay valid until they expire (15 minutes); running servers pick the new key up by\n"
     "themselves. Public keys are served at /.well-known/jwks.json.\n\n"
     "The private halves are stored encrypted with a key-encryption key: SOUK_KEY_ENCRYPTION_KEY\n"
     "(64 hex digits or base64 of 32 bytes), else the file SOUK_KEY_FILE, else DATABASE.key next\n"
     "to the database (created on first start). souk refuses to start with a wrong or missing key.\n\n"
     "rotate-encryption re-encrypts every signing key under the key-encryption key configured now,\n"
     "accepting keys sealed with the previous one, read from --old-key-file PATH or\n"
     "SOUK_OLD_KEY_ENCRYPTION_KEY (a missing default key file is made anew). Running it again is\n"
     "harmless. Then restart every souk process with the new key. See docs/auth.md.\n",
     souk_cmd_keys},
    {"audit", "verify the audit log's hash chain", NULL, souk_cmd_audit},
    {"backup", "copy a SQLite database while souk serves it (checked)", NULL, souk_cmd_backup},
    {"restore", "replace a SQLite database with a backup (souk stopped)", NULL, souk_cmd_restore},
    {"worker", "run job workers, the scheduler and the event dispatcher", souk_worker_usage, souk_cmd_worker},
    {"search", "search the catalog as shoppers will (builds the index)", NULL, souk_cmd_search},
    {"reindex", "rebuild the search index (running servers follow)", NULL, souk_cmd_reindex},
    {"eval", "measure search relevance, recommendation quality and forecast accuracy offline", NULL, souk_cmd_eval},
    {"analytics", "rebuild the analytics facts (running servers follow) or set the reports' time zone", NULL,
     souk_cmd_analytics},
    {"train", "train a recommendation model on the behaviour events (a new model version)", NULL, souk_cmd_train},
    {"routes", "list the route table",
     "usage: souk routes [--json]\n\n"
     "Prints every route: method, path pattern, the permission it needs ('public' = anyone,\n"
     "'authenticated' = any signed-in user or API key), and its rate-limit class.\n",
     souk_cmd_routes},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: souk COMMAND [OPTIONS]\n\nsouk is a commerce platform in one binary.\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'souk COMMAND --help' for a command's options. Configuration also comes from\n"
                 "SOUK_* environment variables (see the README).\n");
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "souk: cannot initialise libsodium\n");
        return SOUK_EXIT_FAIL;
    }
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? SOUK_EXIT_USAGE : SOUK_EXIT_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        for (int a = 2; a < argc; a++)
            if (commands[i].usage && (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0)) {
                fputs(commands[i].usage, stdout);
                return SOUK_EXIT_OK;
            }
        return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "souk: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return SOUK_EXIT_USAGE;
}
