/* cli.c — helpers shared by the commands (see cli.h). */
#include "app/cli.h"

#include "core/csv.h"

#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/query.h"
#include "inventory/inventory.h"
#include "fraud/fraud.h"
#include "orders/orders.h"
#include "core/log.h"
#include "identity/identity.h"
#include "core/banned.h"

/* SOUK_TEST_CLOCK_OFFSET_S moves souk_time_now_us (core/time.c) for tests of
 * expiry: refused unless a whole number of seconds within ten years, and
 * announced as a warning, so a server running on a moved clock says so. */
static int clock_offset_check(void)
{
    const char *s = getenv("SOUK_TEST_CLOCK_OFFSET_S");
    if (!s || !*s)
        return 0;
    int64_t v;
    if (souk_query_int(s, -315576000, 315576000, &v) < 0) {
        fprintf(stderr, "souk: SOUK_TEST_CLOCK_OFFSET_S must be a whole number of seconds within ten years\n");
        return -1;
    }
    souk_log_warn("SOUK_TEST_CLOCK_OFFSET_S is set: this process's clock runs %lld s %s (a test-only setting; "
                  "never set it in production)",
                  (long long)(v < 0 ? -v : v), v < 0 ? "behind" : "ahead");
    return 0;
}

int souk_cli_config(souk_config *cfg)
{
    char err[512];
    if (souk_config_load(cfg, err, sizeof err) < 0 || souk_identity_configure(err, sizeof err) < 0) {
        fprintf(stderr, "souk: %s\n", err);
        return -1;
    }
    souk_log_set_level((souk_log_level)cfg->log_level);
    return clock_offset_check();
}

int souk_cli_config_getopt(souk_config *cfg, bool log_level)
{
    char err[1200];
    if (souk_config_load(cfg, err, sizeof err) < 0) {
        fprintf(stderr, "souk: %s\n", err);
        return -1;
    }
    if (log_level)
        souk_log_set_level((souk_log_level)cfg->log_level);
    if (clock_offset_check() < 0)
        return -1;
    optind = 0; /* 0, not 1: GNU getopt then forgets its state from the previous run */
    opterr = 1;
    return 0;
}

int souk_cli_set_db(souk_config *cfg, const char *dsn)
{
    char err[1200];
    if (souk_config_set_db(cfg, dsn, err, sizeof err) < 0) {
        fprintf(stderr, "souk: %s\n", err);
        return -1;
    }
    return 0;
}

const char *souk_cli_default_key_file(const char *dsn, char *out, size_t outlen)
{
    /* the DSN forms of store.h: a plain path (no scheme before the first
     * slash), sqlite:PATH, sqlite://PATH; any other scheme names no file */
    const char *colon = strchr(dsn, ':'), *slash = strchr(dsn, '/');
    const char *path = dsn;
    if (colon && (!slash || colon < slash)) {
        if (strncmp(dsn, "sqlite:", 7) != 0)
            return NULL;
        path = dsn + 7;
        if (strncmp(path, "//", 2) == 0)
            path += 2;
    }
    if (!*path || strcmp(path, ":memory:") == 0 || (size_t)snprintf(out, outlen, "%s.key", path) >= outlen)
        return NULL;
    return out;
}

/* Opens (EXISTING: only a database that is there) and migrates PATH; prints problems. */
static souk_store *open_migrated(const char *path, bool existing)
{
    char err[1200];
    souk_store *db;
    if ((existing ? souk_store_open_existing(&db, path, err, sizeof err)
                  : souk_store_open(&db, path, err, sizeof err)) < 0) {
        fprintf(stderr, "souk: %s\n", err);
        return NULL;
    }
    if (souk_store_migrate(db, NULL) < 0) {
        fprintf(stderr, "souk: migration failed: %s\n", souk_store_errmsg(db));
        souk_store_close(db);
        return NULL;
    }
    return db;
}

souk_store *souk_cli_open_db_without_keys(const char *path)
{
    return open_migrated(path, false);
}

souk_store *souk_cli_open_existing_db(const char *path)
{
    return open_migrated(path, true);
}

souk_store *souk_cli_open_db(const char *path)
{
    souk_store *db = souk_cli_open_db_without_keys(path);
    if (!db)
        return NULL;
    char err[1600], keyfile[1100];
    if (souk_identity_keys_open(db, souk_cli_default_key_file(path, keyfile, sizeof keyfile), err, sizeof err) < 0) {
        fprintf(stderr, "souk: token signing keys: %s\n", err);
        souk_store_close(db);
        return NULL;
    }
    return db;
}

int souk_cli_create_user(souk_store *db, const char *email, const char *role, const char *password, const char *name,
                         int64_t vendor, char *key, int64_t *user)
{
    souk_identity_user_in in = {email, role, password, name, vendor, key != NULL};
    souk_problem problem = {NULL, NULL};
    int64_t id = 0;
    souk_err e = souk_identity_user_create(db, &in, &problem, &id, key);
    if (e == SOUK_E_VALIDATION) {
        if (strcmp(problem.field, "vendor_id") == 0 && strcmp(problem.message, SOUK_IDENTITY_VENDOR_NEEDED) == 0)
            fprintf(stderr, "souk: %s: give --vendor vend_…\n", problem.message);
        else if (strcmp(problem.field, "vendor_id") == 0 && strcmp(problem.message, SOUK_IDENTITY_VENDOR_ONLY) == 0)
            fprintf(stderr, "souk: %s: leave out --vendor for a %s\n", problem.message, role);
        else if (strcmp(problem.field, "vendor_id") == 0)
            fprintf(stderr, "souk: no such vendor\n");
        else if (strcmp(problem.field, "password") == 0)
            fprintf(stderr, "souk: the password %s\n", problem.message);
        else
            fprintf(stderr, "souk: --%s %s\n", problem.field, problem.message);
        return -1;
    }
    if (e == SOUK_E_CONFLICT) {
        char shown[256];
        snprintf(shown, sizeof shown, "%s", email);
        souk_identity_email_normalize(shown);
        fprintf(stderr, "souk: a user with e-mail %s exists already\n", shown);
        return -1;
    }
    if (e == SOUK_E_UNAVAILABLE) {
        fprintf(stderr, "souk: out of memory while hashing the password\n");
        return -1;
    }
    if (e) {
        fprintf(stderr, "souk: cannot create the user: %s\n", souk_store_errmsg(db));
        return -1;
    }
    if (user)
        *user = id;
    return 0;
}

int souk_cli_demo_admin(souk_store *db)
{
    int r = souk_identity_admin_exists(db);
    if (r != SOUK_DB_DONE)
        return r == SOUK_DB_ROW ? 0 : -1;
    /* 20 characters of base64url: 120 random bits */
    unsigned char raw[15];
    char password[24], key[SOUK_APIKEY_LEN + 1];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(password, sizeof password, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (souk_cli_create_user(db, "admin@demo.example", "admin", password, "Demo Admin", 0, key, NULL) < 0)
        return -1;
    printf("admin login: admin@demo.example / %s\n", password);
    printf("admin api key: %s\n", key);
    printf("(shown once; souk stores only hashes. Send the key as 'Authorization: Bearer %s'.)\n", key);
    fflush(stdout);
    return 0;
}

void souk_cli_progress(FILE *out, const char *label, uint64_t done, uint64_t total, const char *tail, int final)
{
    static int last_decile = -1;
    int tty = isatty(fileno(out));
    int pct = total ? (int)(done * 100 / total) : 0;
    if (pct > 100)
        pct = 100;
    if (!tty) {
        if (!final && pct / 10 == last_decile)
            return;
        last_decile = final ? -1 : pct / 10;
        fprintf(out, "%s %3d%% %s\n", label, final ? 100 : pct, tail ? tail : "");
        return;
    }
    char bar[31];
    int fill = (final ? 100 : pct) * 30 / 100;
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    fprintf(out, "\r%s [%s] %3d%% %s\033[K%s", label, bar, final ? 100 : pct, tail ? tail : "", final ? "\n" : "");
    fflush(out);
}

int souk_cli_payments(void)
{
    souk_payment_gateway g;
    char err[256];
    if (souk_payments_configure(&g, err, sizeof err) < 0) {
        fprintf(stderr, "souk: payments: %s\n", err);
        return -1;
    }
    int64_t ttl_s = 0;
    const char *ttl = getenv("SOUK_RESERVATION_TTL_S");
    if (ttl && *ttl && souk_query_int(ttl, 1, SOUK_INVENTORY_TTL_MAX_US / 1000000, &ttl_s) < 0) {
        fprintf(stderr, "souk: SOUK_RESERVATION_TTL_S must be an integer from 1 to %lld (seconds)\n",
                (long long)(SOUK_INVENTORY_TTL_MAX_US / 1000000));
        return -1;
    }
    souk_orders_configure(&g, ttl_s * 1000000);
    /* the fraud-risk hold (docs/fraud.md): 1..100, or "off" */
    const char *hold = getenv("SOUK_FRAUD_HOLD_THRESHOLD");
    int64_t t = SOUK_FRAUD_THRESHOLD_DEFAULT;
    if (hold && strcmp(hold, "off") == 0)
        t = SOUK_ORDERS_FRAUD_OFF;
    else if (hold && *hold && souk_query_int(hold, 1, 100, &t) < 0) {
        fprintf(stderr, "souk: SOUK_FRAUD_HOLD_THRESHOLD must be a score from 1 to 100, or off\n");
        return -1;
    }
    souk_orders_set_fraud_threshold((int)t);
    return 0;
}

int souk_cli_open_csv(const char *path, const char *errors_path, const char *header, souk_csv **r, FILE **errors)
{
    *errors = NULL;
    int rc = souk_csv_open_file(r, path, NULL);
    if (rc != SOUK_CSV_OK) {
        fprintf(stderr, "souk: cannot read %s: %s\n", path, souk_csv_strerror(rc));
        return SOUK_EXIT_FAIL;
    }
    if (errors_path && !(*errors = fopen(errors_path, "w"))) {
        fprintf(stderr, "souk: cannot write %s\n", errors_path);
        souk_csv_free(*r);
        *r = NULL;
        return SOUK_EXIT_FAIL;
    }
    if (*errors)
        fprintf(*errors, "%s\n", header);
    return 0;
}
