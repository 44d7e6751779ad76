/* cmd_serve.c — `souk serve` and `souk migrate`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analytics/analytics.h"
#include "app/cli.h"
#include "app/routes.h"
#include "core/log.h"
#include "http/redis.h"
#include "http/server.h"
#include "app/anchor.h"
#include "app/background.h"
#include "catalog/api.h"
#include "app/privacy.h"
#include "audit/audit.h"
#include "catalog/catalog.h"
#include "core/live.h"
#include "i18n/i18n.h"
#include "identity/identity.h"
#include "jobs/jobs.h"
#include "inventory/inventory.h"
#include "recommend/service.h"
#include "behaviour/behaviour.h"
#include "search/analytics.h"
#include "search/service.h"
#include "web/web.h"
#include "core/banned.h"

/* The audit entry of a data-changing request: who, what, on which object,
 * with what result. Appended in its own transaction after the request. */
/* The first path parameter as the audited object, when it is a plausible id
 * (≤ 100 printable ASCII characters); "" otherwise, so a hostile path can
 * never make the audit log refuse the entry. */
static const char *path_object(const souk_req *req)
{
    if (!req->nparams || !req->params[0])
        return "";
    size_t n = strlen(req->params[0]);
    if (n > 100)
        return "";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)req->params[0][i] < 0x21 || (unsigned char)req->params[0][i] > 0x7e)
            return "";
    return req->params[0];
}

static void audit_request(souk_store *db, const souk_req *req, const souk_res *res, const souk_route *route)
{
    const souk_principal *p = &req->principal;
    char action[160];
    snprintf(action, sizeof action, "%s %s", souk_method_name(req->method), route->pattern);
    souk_audit_entry e = {
        .actor_type = p->kind == SOUK_ACTOR_USER      ? "user"
                      : p->kind == SOUK_ACTOR_API_KEY ? "api_key"
                                                      : "anonymous",
        .actor_id = p->kind == SOUK_ACTOR_USER      ? p->user_id
                    : p->kind == SOUK_ACTOR_API_KEY ? p->key_id
                                                    : 0,
        .action = action,
        .object_type = res->audit_object_type ? res->audit_object_type : "",
        .object_id = res->audit_object_id ? res->audit_object_id : path_object(req),
        .subject_user_id = res->audit_subject_user ? res->audit_subject_user : p->user_id,
        .request_id = req->request_id,
        .result = res->status,
        .details_json = NULL,
    };
    int r = souk_audit_append(db, &e);
    if (r < 0)
        souk_log(SOUK_LOG_ERROR, req->request_id, NULL,
                 json_pack("{s:s, s:s, s:s}", "action", action, "class",
                           r == SOUK_DB_SOFT         ? "soft (retries exhausted)"
                           : r == SOUK_DB_CONSTRAINT ? "constraint"
                                                     : "hard",
                           "database", souk_store_errmsg(db)),
                 "could not append to the audit log");
}

/* Another process committed: what this one keeps in memory may be stale. */
static void external_change(void)
{
    souk_identity_invalidate_here(); /* the writer broadcast its own change, if it could */
    souk_inventory_live_forget();
}

/* search_click behaviour events count in the search analytics, as POST /search/clicks does */
static void behaviour_to_search(const souk_behaviour_event *ev)
{
    if (ev->type == SOUK_BEHAVIOUR_SEARCH_CLICK && ev->query && ev->position >= 1 &&
        ev->position <= SOUK_SEARCH_ANALYTICS_POSITION_MAX && ev->product_id > 0)
        souk_search_analytics_click(ev->query, strlen(ev->query), ev->product_id, (int)ev->position);
}

static bool workers = true;

static int parse_common(int argc, char **argv, souk_config *cfg, bool *access_log, bool serve)
{
    static const struct option long_opts[] = {{"listen", required_argument, NULL, 'l'},
                                              {"db", required_argument, NULL, 'd'},
                                              {"threads", required_argument, NULL, 't'},
                                              {"no-access-log", no_argument, NULL, 'n'},
                                              {"no-workers", no_argument, NULL, 'w'},
                                              {"redis", required_argument, NULL, 'r'},
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
        else if (serve && c == 'w')
            workers = false;
        else if (serve && c == 'r')
            r = souk_config_set_redis(cfg, optarg, err, sizeof err);
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
    if (souk_cli_payments() < 0)
        return SOUK_EXIT_USAGE;
    char why[512]; /* SOUK_DB_REPLICA: PostgreSQL only, refused at start otherwise */
    if (souk_store_replica_configure(cfg.db_dsn, cfg.db_replica, cfg.db_replica_max_lag_ms, why, sizeof why) < 0) {
        fprintf(stderr, "souk: %s\n", why);
        return SOUK_EXIT_USAGE;
    }
    if (souk_store_replica_enabled())
        souk_log_info("db replica: analytics builds and long reports read SOUK_DB_REPLICA while it lags at most %d ms",
                      cfg.db_replica_max_lag_ms);
    char held[1200]; /* this process serves the database: 'souk restore' refuses while it runs */
    if (souk_store_hold(cfg.db_dsn, held, sizeof held) < 0) {
        fprintf(stderr, "souk: %s\n", held);
        return SOUK_EXIT_FAIL;
    }
    souk_store *db = souk_cli_open_db(cfg.db_dsn);
    if (!db)
        return SOUK_EXIT_FAIL;
    int anyone = souk_identity_any_credential(db);
    souk_store_close(db);
    if (anyone == 0)
        souk_log_warn("no accounts yet: create an admin with 'souk user create --email you@example.com --role admin'");
    char err[256];
    for (size_t i = 0; i < souk_routes_count; i++) /* image uploads: SOUK_IMAGE_MAX_BYTES, not SOUK_MAX_BODY */
        if (souk_routes[i].handler == souk_catalog_api_image_upload)
            souk_routes[i].max_body = souk_catalog_image_upload_max(cfg.db_dsn);
    if (souk_router_init(souk_routes, souk_routes_count, err, sizeof err) < 0) {
        souk_log_error("route table: %s", err);
        return SOUK_EXIT_FAIL;
    }
    if (souk_app_privacy_register() < 0) {
        souk_log_error("cannot register the GDPR export and erasure steps");
        return SOUK_EXIT_FAIL;
    }
    if (souk_background_mail_config() < 0 || souk_anchor_configure() < 0) /* jobs: before the workers start */
        return SOUK_EXIT_USAGE;
    if (cfg.redis[0]) { /* shared rate limits and broadcasts; connects in the background */
        souk_redis_on(SOUK_REDIS_IDENTITY, souk_identity_invalidate_here);
        if (souk_redis_start(cfg.redis, cfg.redis_timeout_ms, err, sizeof err) < 0) {
            souk_log_error("%s", err);
            return SOUK_EXIT_USAGE;
        }
    }
    /* every connection opened from here on writes through one committer */
    souk_store_group *group = NULL;
    if (cfg.group_commit) {
        if (souk_store_group_start(&group, cfg.db_dsn, err, sizeof err) < 0) {
            souk_log_error("cannot start the group committer: %s", err);
            return SOUK_EXIT_FAIL;
        }
        souk_store_group_limits(group, cfg.write_queue_max, cfg.write_wait_ms); /* shed, never queue without bound */
        souk_store_group_set_default(group);
    }
    if (workers)
        souk_analytics_register(cfg.listen_port); /* the read model's outbox subscriber, before the dispatcher */
    souk_jobs_set_lease_us((int64_t)cfg.job_lease_s * 1000000); /* SOUK_JOB_LEASE_S */
    if (workers && souk_background_start(cfg.db_dsn, 2) < 0) {
        souk_log_error("cannot start the job workers and the event dispatcher");
        souk_store_group_stop(group);
        return SOUK_EXIT_FAIL;
    }
    const char *search = getenv("SOUK_SEARCH");
    bool search_on = !(search && (strcmp(search, "off") == 0 || strcmp(search, "0") == 0));
    souk_search_service_opts sopts = {.db_dsn = cfg.db_dsn,
                                      .currency = cfg.currency,
                                      .language = getenv("SOUK_SEARCH_LANGUAGE"),
                                      .content_version = SOUK_CONTENT,
                                      .stock_version = SOUK_STOCK_STATE,
                                      .on_publish = souk_server_cache_invalidate_search};
    if (search_on && souk_search_service_start(&sopts) < 0) { /* builds in the background: serving starts at once */
        if (workers)
            souk_background_stop();
        souk_store_group_stop(group);
        return SOUK_EXIT_FAIL;
    }
    souk_rec_service_on_publish(souk_server_cache_invalidate_recs); /* cached lists go with their snapshot */
    if (souk_rec_service_start(cfg.db_dsn, SOUK_CONTENT, SOUK_STOCK_STATE) <
        0) { /* recommendations: in the background too */
        souk_search_service_stop();
        if (workers)
            souk_background_stop();
        souk_store_group_stop(group);
        return SOUK_EXIT_FAIL;
    }
    if (souk_analytics_start(cfg.db_dsn) < 0) { /* the analytics facts: built in the background */
        souk_rec_service_stop();
        souk_search_service_stop();
        if (workers)
            souk_background_stop();
        souk_store_group_stop(group);
        return SOUK_EXIT_FAIL;
    }
    if (souk_search_analytics_start(cfg.db_dsn) < 0) { /* flushes search analytics off the loops */
        souk_analytics_stop();
        souk_rec_service_stop();
        souk_search_service_stop();
        if (workers)
            souk_background_stop();
        souk_store_group_stop(group);
        return SOUK_EXIT_FAIL;
    }
    souk_behaviour_listen(behaviour_to_search);
    souk_live_register('a', souk_inventory_live_available); /* "available" in product detail */
    souk_server_opts opts = {.config = &cfg,
                             .routes = souk_routes,
                             .nroutes = souk_routes_count,
                             .authenticate = souk_identity_authenticate,
                             .session_credential = souk_web_api_credential,
                             .after_request = audit_request,
                             .on_external_change = external_change,
                             .content_version = SOUK_CONTENT,
                             .stock_version = SOUK_STOCK_STATE,
                             .access_log = access_log,
                             .locale = souk_i18n_http_locale};
    int rc = souk_server_run(&opts);
    souk_search_analytics_stop(); /* its last flush goes through the committer */
    souk_analytics_stop();
    souk_rec_service_stop();
    souk_search_service_stop();
    if (workers)
        souk_background_stop();
    souk_store_group_stop(group); /* last: the workers' final transactions go through it */
    souk_redis_stop();
    return rc == 0 ? SOUK_EXIT_OK : SOUK_EXIT_FAIL;
}

int souk_cmd_migrate(int argc, char **argv)
{
    souk_config cfg;
    bool unused;
    if (souk_cli_config(&cfg) < 0 || parse_common(argc, argv, &cfg, &unused, false) < 0)
        return SOUK_EXIT_USAGE;
    souk_store *db = souk_cli_open_db(cfg.db_dsn);
    if (!db)
        return SOUK_EXIT_FAIL;
    printf("database %s is at schema version %d\n", cfg.db_dsn, souk_store_schema_version(db));
    souk_store_close(db);
    return SOUK_EXIT_OK;
}
