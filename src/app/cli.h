/*
 * cli.h — the souk command line: one table of commands (after git's
 * commands[]), each with its own flags and --help.
 */
#ifndef SOUK_CLI_H
#define SOUK_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "core/config.h"
#include "store/store.h"

typedef struct souk_command {
    const char *name;
    const char *summary;
    const char *usage;                       /* full --help text */
    int (*run)(int argc, char **argv);       /* argv[0] is the command name */
} souk_command;

/* Exit codes of commands. */
enum { SOUK_EXIT_OK = 0, SOUK_EXIT_FAIL = 1, SOUK_EXIT_USAGE = 2 };

int souk_cmd_serve(int argc, char **argv);
int souk_cmd_migrate(int argc, char **argv);
int souk_cmd_demo(int argc, char **argv);
int souk_cmd_import(int argc, char **argv);

/* Loads the configuration from the environment; prints the problem and
 * returns -1 when it is invalid. */
int souk_cli_config(souk_config *cfg);

/* Opens the database and applies pending migrations; prints problems.
 * Returns the store or NULL. */
souk_store *souk_cli_open_db(const char *path);

/* Creates the bootstrap admin key when the database has none and prints it
 * once on stdout ("admin api key: sk_..."). Returns 0 or -1. */
int souk_cli_ensure_admin_key(souk_store *db);

/* Draws a progress bar on OUT: LABEL, DONE of TOTAL (TOTAL 0 = unknown),
 * and a free-form TAIL. Redraws in place on a terminal; on anything else it
 * prints a line at most every 10%. FINAL ends the line. */
void souk_cli_progress(FILE *out, const char *label, uint64_t done, uint64_t total, const char *tail, int final);

#endif
