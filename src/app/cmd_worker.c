/*
 * cmd_worker.c — `souk worker`, and the start/stop of the background work
 * that `souk serve` shares with it (background.h).
 *
 * Mail delivery is a job kind (src/mail): both commands read the relay
 * settings (souk_background_mail_config) before the workers start, and the
 * start hands mail queued while no relay was set to the queue.
 *
 * Signals: SIGTERM and SIGINT are blocked before any thread starts, so every
 * thread inherits the mask and the main thread alone takes them with
 * sigwait(); it then stops the dispatcher and the workers, which finish what
 * they hold, and exits 0.
 */
#include "app/background.h"
#include "cart/cart.h"
#include "catalog/catalog.h"
#include "inventory/inventory.h"
#include "core/time.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app/anchor.h"
#include "app/cli.h"
#include "behaviour/behaviour.h"
#include "recommend/service.h"
#include "core/log.h"
#include "core/query.h"
#include "events/events.h"
#include "exchange/exchange.h"
#include "identity/identity.h"
#include "loyalty/loyalty.h"
#include "subscriptions/subscriptions.h"
#include "analytics/analytics.h"
#include "jobs/jobs.h"
#include "mail/mail.h"
#include "orders/orders.h"
#include "pricing/pricing.h"
#include "webhooks/webhooks.h"
#include "wishlist/wishlist.h"
#include "campaigns/campaigns.h"
#include "core/banned.h"

#define DEFAULT_THREADS 4

const char souk_worker_usage[] =
    "usage: souk worker [--db DSN] [--threads N]\n\n"
    "Runs the background work without the HTTP server: N job worker threads (default 4, 1-64),\n"
    "the cron scheduler and the event dispatcher, until SIGTERM or Ctrl-C; then jobs and event\n"
    "handlers in progress finish and it exits 0. Any number of workers (and servers) may share\n"
    "one database: jobs are claimed with leases, schedules fire once per due time. Mail is one\n"
    "of the jobs: set SOUK_SMTP_URL (as for serve) so that this process can deliver it.\n"
    "--db defaults to SOUK_DB, then ./souk.db; the database is migrated first.\n";

static pthread_mutex_t bg_mu = PTHREAD_MUTEX_INITIALIZER;
static bool registered, started;

/* carts.purge: carts untouched for 7 days are deleted, 1000 at a time */
static int purge_carts_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    (void)payload;
    for (int round = 0; round < 100; round++) {
        int n = souk_cart_purge(db, souk_time_now_us(), 1000);
        if (n < 0) {
            snprintf(err, errlen, "cannot purge carts: %s", souk_store_errmsg(db));
            return -1;
        }
        if (n < 1000)
            return 0;
    }
    return 0;
}

/* reservations.expire: lapsed checkout reservations give their stock back */
static int expire_reservations_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    (void)payload;
    for (int round = 0; round < 100; round++) {
        int n = souk_inventory_expire_due(db, souk_time_now_us(), 500);
        if (n < 0) {
            snprintf(err, errlen, "cannot expire reservations: %s", souk_store_errmsg(db));
            return -1;
        }
        if (n < 500)
            return 0;
    }
    return 0;
}

void souk_background_register(void)
{
    /* Every module's job kinds, schedules and event subscribers, e.g.
     *   souk_event_subscribe("search", "product.", search_on_event, NULL); */
    souk_job_register("carts.purge", purge_carts_job, 5);
    souk_job_schedule("carts.purge", "17 * * * *");
    souk_job_register("reservations.expire", expire_reservations_job, 5);
    souk_job_schedule("reservations.expire", "* * * * *");
    souk_orders_register_jobs();
    souk_loyalty_register_jobs();
    souk_subs_register_jobs();
    souk_behaviour_register();
    souk_rec_register_jobs();
    souk_analytics_register_jobs();
    souk_mail_register_jobs();
    souk_identity_register_jobs();
    souk_anchor_register();
    souk_webhooks_register();
    souk_exchange_register_jobs();
    souk_catalog_register_jobs();
    souk_wishlist_register();
    souk_campaigns_register();
    souk_pricing_register_jobs();
    souk_jobs_register_test_kinds(); /* SOUK_TEST_JOBS=1 only */
}

int souk_background_mail_config(void)
{
    souk_mail_config mail;
    souk_mail_config_from_env(&mail);
    const char *why = NULL;
    if (mail.smtp_url && souk_mail_config_check(&mail, &why) != 0) {
        souk_log_error("mail relay: %s", why ? why : "invalid configuration");
        return -1;
    }
    return souk_mail_configure(&mail);
}

/* Hands mail queued while no relay was configured to the job queue. */
static void requeue_mail(const char *db_dsn)
{
    souk_store *db = NULL;
    char err[256];
    if (!souk_mail_delivers())
        return;
    if (souk_store_open(&db, db_dsn, err, sizeof err) != 0) {
        souk_log_error("mail: cannot look for pending mail: %s", err);
        return;
    }
    if (souk_mail_requeue(db) < 0)
        souk_log_error("mail: cannot hand pending mail to the job queue: %s", souk_store_errmsg(db));
    souk_store_close(db);
    souk_jobs_kick();
}

int souk_background_start(const char *db_dsn, int threads)
{
    pthread_mutex_lock(&bg_mu);
    int ret = -1;
    if (started)
        goto out;
    if (!registered) {
        souk_background_register();
        registered = true;
    }
    souk_catalog_image_settings(db_dsn); /* the image jobs' media directory sits next to this database */
    if (souk_jobs_start(db_dsn, threads) < 0)
        goto out;
    if (souk_events_start(db_dsn) < 0) {
        souk_jobs_stop();
        goto out;
    }
    requeue_mail(db_dsn);
    started = true;
    ret = 0;
out:
    pthread_mutex_unlock(&bg_mu);
    return ret;
}

void souk_background_stop(void)
{
    pthread_mutex_lock(&bg_mu);
    if (started) {
        souk_events_stop();
        souk_jobs_stop();
        started = false;
    }
    pthread_mutex_unlock(&bg_mu);
}

int souk_cmd_worker(int argc, char **argv)
{
    static const struct option long_opts[] = {{"db", required_argument, NULL, 'd'},
                                              {"threads", required_argument, NULL, 't'},
                                              {"help", no_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};
    souk_config cfg;
    if (souk_cli_config_getopt(&cfg, true) < 0)
        return SOUK_EXIT_USAGE;
    int64_t threads = DEFAULT_THREADS;
    int c;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(souk_worker_usage, stdout);
            return SOUK_EXIT_OK;
        } else if (c == 'd') {
            if (souk_cli_set_db(&cfg, optarg) < 0)
                return SOUK_EXIT_USAGE;
        } else if (c == 't') {
            if (souk_query_int(optarg, 1, SOUK_JOB_THREADS_MAX, &threads) < 0) {
                fprintf(stderr, "souk: --threads must be an integer from 1 to %d\n", SOUK_JOB_THREADS_MAX);
                return SOUK_EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "souk: see 'souk worker --help'\n");
            return SOUK_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "souk: unexpected argument '%s'; see 'souk worker --help'\n", argv[optind]);
        return SOUK_EXIT_USAGE;
    }
    if (souk_cli_payments() < 0 || souk_background_mail_config() < 0 || souk_anchor_configure() < 0)
        return SOUK_EXIT_USAGE;
    char held[1200]; /* this process serves the database: 'souk restore' refuses while it runs */
    if (souk_store_hold(cfg.db_dsn, held, sizeof held) < 0) {
        fprintf(stderr, "souk: %s\n", held);
        return SOUK_EXIT_FAIL;
    }
    souk_store *db = souk_cli_open_db(cfg.db_dsn); /* creates and migrates */
    if (!db)
        return SOUK_EXIT_FAIL;
    souk_store_close(db);

    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    souk_jobs_set_lease_us((int64_t)cfg.job_lease_s * 1000000); /* SOUK_JOB_LEASE_S */
    char why[512]; /* SOUK_DB_REPLICA: the predictions job reads its facts there */
    if (souk_store_replica_configure(cfg.db_dsn, cfg.db_replica, cfg.db_replica_max_lag_ms, why, sizeof why) < 0) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        fprintf(stderr, "souk: %s\n", why);
        return SOUK_EXIT_USAGE;
    }
    if (souk_background_start(cfg.db_dsn, (int)threads) < 0) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        fprintf(stderr, "souk: cannot start the workers\n");
        return SOUK_EXIT_FAIL;
    }
    souk_log_info("worker running on %s with %d job threads; SIGTERM or Ctrl-C stops it", cfg.db_dsn, (int)threads);
    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    souk_log_info("worker: %s received, finishing jobs in progress", sig == SIGINT ? "SIGINT" : "SIGTERM");
    souk_background_stop();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    souk_log_info("worker stopped");
    return SOUK_EXIT_OK;
}
