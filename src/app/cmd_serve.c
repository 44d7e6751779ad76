/* cmd_serve.c — `souk serve` and `souk migrate`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/cli.h"
#include "app/routes.h"
#include "core/log.h"
#include "http/server.h"
#include "identity/apikey.h"
#include "core/banned.h"

/* Authorization: Bearer sk_... → the admin principal */
static int authenticate(souk_req *req, const char *value, size_t len)
{
    if (len < 7 || strncasecmp(value, "Bearer ", 7) != 0)
        return -1;
    const char *key = value + 7;
    char scopes[256];
    int64_t id;
    int r = souk_apikey_verify(req->store, key, len - 7, &id, scopes, sizeof scopes);
    if (r != 1)
        return -1;
    req->principal.authenticated = true;
    req->principal.key_id = id;
    req->principal.scopes = souk_arena_strdup(req->arena, scopes);
    return req->principal.scopes ? 0 : -1;
}

static int parse_common(int argc, char **argv, souk_config *cfg, bool *access_log, bool serve)
{
    static const struct option long_opts[] = {{"listen", required_argument, NULL, 'l'},
                                              {"db", required_argument, NULL, 'd'},
                                              {"threads", required_argument, NULL, 't'},
                                              {"no-access-log", no_argument, NULL, 'n'},
                                              {NULL, 0, NULL, 0}};
    char err[512];
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        int r = 0;
        if (c == 'd')
            r = souk_config_set_db(cfg, optarg, err, sizeof err);
        else if (serve && c == 'l')
            r = souk_config_set_listen(cfg, optarg, err, sizeof err);
        else if (serve && c == 't')
            r = souk_config_set_threads(cfg, optarg, err, sizeof err);
        else if (serve && c == 'n')
            *access_log = false;
        else {
            fprintf(stderr, "souk: see 'souk %s --help'\n", argv[0]);
            return -1;
        }
        if (r < 0) {
            fprintf(stderr, "souk: %s\n", err);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "souk: unexpected argument '%s'; see 'souk %s --help'\n", argv[optind], argv[0]);
        return -1;
    }
    return 0;
}

int souk_cmd_serve(int argc, char **argv)
{
    souk_config cfg;
    if (souk_cli_config(&cfg) < 0)
        return SOUK_EXIT_USAGE;
    const char *al = getenv("SOUK_ACCESS_LOG");
    bool access_log = !(al && (strcmp(al, "off") == 0 || strcmp(al, "0") == 0));
    if (parse_common(argc, argv, &cfg, &access_log, true) < 0)
        return SOUK_EXIT_USAGE;
    souk_store *db = souk_cli_open_db(cfg.db_path);
    if (!db)
        return SOUK_EXIT_FAIL;
    int rc = souk_cli_ensure_admin_key(db);
    souk_store_close(db);
    if (rc < 0)
        return SOUK_EXIT_FAIL;
    char err[256];
    if (souk_router_init(souk_routes, souk_routes_count, err, sizeof err) < 0) {
        souk_log_error("route table: %s", err);
        return SOUK_EXIT_FAIL;
    }
    souk_server_opts opts = {&cfg, souk_routes, souk_routes_count, authenticate, access_log};
    return souk_server_run(&opts) == 0 ? SOUK_EXIT_OK : SOUK_EXIT_FAIL;
}

int souk_cmd_migrate(int argc, char **argv)
{
    souk_config cfg;
    bool unused;
    if (souk_cli_config(&cfg) < 0 || parse_common(argc, argv, &cfg, &unused, false) < 0)
        return SOUK_EXIT_USAGE;
    souk_store *db = souk_cli_open_db(cfg.db_path);
    if (!db)
        return SOUK_EXIT_FAIL;
    printf("database %s is at schema version %d\n", cfg.db_path, souk_store_schema_version(db));
    souk_store_close(db);
    return SOUK_EXIT_OK;
}
