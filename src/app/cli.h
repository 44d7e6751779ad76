/*
 * cli.h — the souk command line: one table of commands (after git's
 * commands[]), each with its own flags and --help.
 */
#ifndef SOUK_CLI_H
#define SOUK_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/config.h"
#include "store/store.h"

typedef struct souk_command {
    const char *name;
    const char *summary;
    const char *usage;                 /* full --help text */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} souk_command;

/* Exit codes of commands. */
enum { SOUK_EXIT_OK = 0, SOUK_EXIT_FAIL = 1, SOUK_EXIT_USAGE = 2 };

int souk_cmd_serve(int argc, char **argv);
int souk_cmd_migrate(int argc, char **argv);
int souk_cmd_demo(int argc, char **argv);
int souk_cmd_import(int argc, char **argv);

/* `souk import shopify [--db DSN] [--errors FILE] [--batch N] FILE`
 * (cmd_exchange.c, reached through souk_cmd_import): the Shopify product CSV
 * with a progress bar. 0 when every row was used, 1 when a row or product
 * was refused (reported) or the import failed, 2 for usage errors. */
int souk_cmd_import_shopify(int argc, char **argv);

/* `souk export products|orders [--db DSN] [--out FILE]` (cmd_exchange.c):
 * the catalog as Shopify product CSV, or the order lines as CSV. 0, 1 when
 * the database or the output fails, 2 for usage errors. */
int souk_cmd_export(int argc, char **argv);
int souk_cmd_user(int argc, char **argv);
int souk_cmd_keys(int argc, char **argv);
int souk_cmd_routes(int argc, char **argv);

/* `souk backup [--db DSN] FILE` and `souk restore [--db DSN] FILE`
 * (cmd_backup.c): a checked online copy of a SQLite database, and putting
 * one back while nothing serves the database (store.h "backup and
 * restore"). 0 on success; 1 when it failed or was refused (the reason
 * printed), and on PostgreSQL, after printing the pg_dump / pg_restore
 * procedure; 2 for usage errors. ARGV[0] is the command's name. */
int souk_cmd_backup(int argc, char **argv);
int souk_cmd_restore(int argc, char **argv);

/* `souk audit verify [--db DSN] [--anchor SEQ:HASH]` and `souk audit head`
 * (cmd_audit.c; DSN defaults to SOUK_DB / ./souk.db). verify prints "audit
 * log intact: N entries" and returns 0, or "audit log broken at entry SEQ:
 * WHY" and returns 1; 1 also when the database does not exist or has no
 * audit_log table (it is never created or migrated here); 2 for usage
 * errors. --help prints the usage on stdout and returns 0. ARGV[0] is
 * "audit". */
int souk_cmd_audit(int argc, char **argv);

/* `souk eval search --corpus F --judgments F [--k N] [--language L]
 * [--per-query]` (cmd_eval.c): relevance of souk's search ranking and of
 * FTS5 BM25 on a judged corpus. Prints the metrics and returns 0; 1 when a
 * file cannot be read or the index cannot be built; 2 for usage errors.
 * ARGV[0] is "eval". */
int souk_cmd_eval(int argc, char **argv);

/* `souk search [--db DSN] [--limit N] [--sort S] [--facet DIM]... [--in-stock]
 * [--language L] QUERY` (cmd_search.c): builds the search index from the
 * database and prints QUERY's best matches and facet counts. 0 on success,
 * 1 when the database cannot be read, 2 for usage errors and refused
 * queries. ARGV[0] is "search". */
int souk_cmd_search(int argc, char **argv);

/* `souk reindex [--db DSN] [--language L] [--no-signal]` (cmd_reindex.c):
 * builds the search index from the database with a progress bar, prints
 * docs/s, and (unless --no-signal) touches the store version that makes
 * running servers rebuild theirs. 0 on success, 1 when the database cannot
 * be read or written, 2 for usage errors. ARGV[0] is "reindex". */
int souk_cmd_reindex(int argc, char **argv);

/* `souk analytics rebuild [--db DSN] [--no-signal]` and `souk analytics
 * timezone [--db DSN] [ZONE]` (cmd_analytics.c): builds the analytics facts
 * with a progress bar and prints rows, memory and time, then signals
 * running servers to rebuild; shows or sets the reports' time zone. 0 on
 * success, 1 when the database fails, 2 for usage errors (an unknown zone).
 * ARGV[0] is "analytics". */
int souk_cmd_analytics(int argc, char **argv);

/* `souk train [--db DSN] [--factors N] [--iterations N] [--window-days N]
 * [--test-days N] [--activate]` (cmd_train.c): one recommendation training
 * run (recommend/service.h) with a progress bar; prints the version and its
 * offline metrics. 0 when a model was stored, 1 when training failed or
 * found no data, 2 for usage errors. ARGV[0] is "train". */
int souk_cmd_train(int argc, char **argv);

/* Loads the configuration from the environment, identity's settings
 * included, and applies its log level; prints the problem and returns -1
 * when it is invalid. */
int souk_cli_config(souk_config *cfg);

/* For commands that parse their options with getopt_long and never sign
 * anyone in (audit, worker): loads the configuration without identity's
 * settings, applies its log level only when LOG_LEVEL, and resets GNU getopt
 * fully, since a command may run more than once per process (the unit
 * tests). Prints the problem and returns -1 when the configuration is
 * invalid (the command exits SOUK_EXIT_USAGE), else 0. */
int souk_cli_config_getopt(souk_config *cfg, bool log_level);

/* --db DSN: sets CFG's database, or prints why DSN is refused and returns
 * -1 (the command exits SOUK_EXIT_USAGE). */
int souk_cli_set_db(souk_config *cfg, const char *dsn);

/* Opens the CSV file PATH (gzip or plain) into *R and, when ERRORS_PATH is
 * given, creates that file for the rejected rows in *ERRORS with HEADER as
 * its first line (else *ERRORS is NULL). 0, or SOUK_EXIT_FAIL with the reason
 * printed and nothing left open. */
struct souk_csv;
int souk_cli_open_csv(const char *path, const char *errors_path, const char *header, struct souk_csv **r,
                      FILE **errors);

/* Opens the database, applies pending migrations and opens the token
 * signing keys with the key-encryption key (souk_identity_keys_open, the
 * default key file next to the database); prints problems. Returns the
 * store or NULL (souk then refuses to start). */
souk_store *souk_cli_open_db(const char *path);

/* The same without the signing keys (`souk keys rotate-encryption` opens
 * them itself, with two KEKs). */
souk_store *souk_cli_open_db_without_keys(const char *path);

/* Opens a database that exists (never makes one) and applies pending
 * migrations, without the signing keys: for commands that only read or
 * compute (`souk search`, `souk train`). Prints problems; NULL on failure. */
souk_store *souk_cli_open_existing_db(const char *path);

/* The default key file of database DSN — its file path + ".key" — into OUT
 * (OUTLEN bytes), or NULL when DSN names no file (another adapter,
 * ":memory:") or the path does not fit. */
const char *souk_cli_default_key_file(const char *dsn, char *out, size_t outlen);

/* Sets up the payment gateway (SOUK_PAYMENT_GATEWAY and its settings, see
 * payments.h) and the checkout reservation lifetime (SOUK_RESERVATION_TTL_S,
 * seconds, default 900) for checkout and the order jobs. Returns 0, or -1
 * after printing what is wrong. */
int souk_cli_payments(void);

/* Creates the demo's admin account when the database has no admin: user
 * admin@demo.example with a random password, and an API key for it, both
 * printed once on stdout ("admin login: …", "admin api key: sk_…").
 * Returns 0 or -1. */
int souk_cli_demo_admin(souk_store *db);

/* Creates user EMAIL with ROLE, PASSWORD, NAME and VENDOR (0 = none); when
 * KEY is not NULL also an API key with every permission of the role, written
 * there (SOUK_APIKEY_LEN + 1). *USER gets the id. Prints problems; 0 or -1. */
int souk_cli_create_user(souk_store *db, const char *email, const char *role, const char *password, const char *name,
                         int64_t vendor, char *key, int64_t *user);

/* Draws a progress bar on OUT: LABEL, DONE of TOTAL (TOTAL 0 = unknown),
 * and a free-form TAIL. Redraws in place on a terminal; on anything else it
 * prints a line at most every 10%. FINAL ends the line. */
void souk_cli_progress(FILE *out, const char *label, uint64_t done, uint64_t total, const char *tail, int final);

#endif
