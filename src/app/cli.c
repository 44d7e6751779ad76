/* cli.c — helpers shared by the commands (see cli.h). */
#include "app/cli.h"

#include <sodium.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/id.h"
#include "core/query.h"
#include "inventory/inventory.h"
#include "orders/orders.h"
#include "core/log.h"
#include "core/time.h"
#include "identity/account.h"
#include "identity/apikey.h"
#include "identity/identity.h"
#include "core/banned.h"

int souk_identity_keys_ensure(souk_store *db);

int souk_cli_config(souk_config *cfg)
{
    char err[512];
    if (souk_config_load(cfg, err, sizeof err) < 0 || souk_identity_configure(err, sizeof err) < 0) {
        fprintf(stderr, "souk: %s\n", err);
        return -1;
    }
    souk_log_set_level((souk_log_level)cfg->log_level);
    return 0;
}

souk_store *souk_cli_open_db(const char *path)
{
    char err[1200];
    souk_store *db;
    if (souk_store_open(&db, path, err, sizeof err) < 0) {
        fprintf(stderr, "souk: %s\n", err);
        return NULL;
    }
    if (souk_store_migrate(db, NULL) < 0) {
        fprintf(stderr, "souk: migration failed: %s\n", souk_store_errmsg(db));
        souk_store_close(db);
        return NULL;
    }
    if (souk_identity_keys_ensure(db) < 0) {
        fprintf(stderr, "souk: cannot create a token signing key: %s\n", souk_store_errmsg(db));
        souk_store_close(db);
        return NULL;
    }
    return db;
}

typedef struct create_ctx {
    const char *email, *role, *hash, *name;
    int64_t vendor, user;
    char *key;
    bool taken;
} create_ctx;

static int create_tx(souk_store *db, void *arg)
{
    create_ctx *c = arg;
    souk_stmt *st = souk_store_stmt(db, "SELECT 1 FROM users WHERE email = $1");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_text(st, 1, c->email, SIZE_MAX);
    int r = souk_stmt_step(st);
    if (r == SOUK_DB_ROW) {
        souk_stmt_done(st);
        c->taken = true;
        return -100;
    }
    if (r < 0)
        return r;
    int64_t now = souk_time_now_us();
    c->user = souk_id_next();
    st = souk_store_stmt(db, "INSERT INTO users (id, email, password_hash, name, role, vendor_id, created_at, "
                             "updated_at, password_changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7)");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_i64(st, 1, c->user);
    souk_stmt_bind_text(st, 2, c->email, SIZE_MAX);
    souk_stmt_bind_text(st, 3, c->hash, SIZE_MAX);
    souk_stmt_bind_text(st, 4, c->name ? c->name : "", SIZE_MAX);
    souk_stmt_bind_text(st, 5, c->role, SIZE_MAX);
    if (c->vendor)
        souk_stmt_bind_i64(st, 6, c->vendor);
    else
        souk_stmt_bind_null(st, 6);
    souk_stmt_bind_i64(st, 7, now);
    if ((r = souk_stmt_exec(st)) < 0)
        return r;
    return c->key ? souk_apikey_create(db, c->user, "created with souk user create", "*", 0, c->key, NULL) : 0;
}

int souk_cli_create_user(souk_store *db, const char *email_in, const char *role, const char *password, const char *name,
                         int64_t vendor, char *key, int64_t *user)
{
    char email[256];
    snprintf(email, sizeof email, "%s", email_in);
    souk__identity_lower(email);
    const char *why = souk__identity_check_email(email, strlen(email));
    if (why) {
        fprintf(stderr, "souk: --email %s\n", why);
        return -1;
    }
    if (!souk_role_valid(role)) {
        fprintf(stderr, "souk: --role must be customer, vendor, inventory_manager or admin\n");
        return -1;
    }
    if ((strcmp(role, "vendor") == 0) != (vendor != 0)) {
        fprintf(stderr, "souk: %s\n", vendor ? "only vendors belong to a vendor (--vendor)"
                                              : "a vendor account needs --vendor vend_…");
        return -1;
    }
    if (vendor) {
        souk_stmt *st = souk_store_stmt(db, "SELECT 1 FROM vendors WHERE id = $1");
        if (!st)
            return -1;
        souk_stmt_bind_i64(st, 1, vendor);
        if (souk_stmt_step(st) != SOUK_DB_ROW) {
            fprintf(stderr, "souk: no such vendor\n");
            return -1;
        }
        souk_stmt_done(st);
    }
    if ((why = souk__identity_password_rules(password, email))) {
        fprintf(stderr, "souk: the password %s\n", why);
        return -1;
    }
    char hash[crypto_pwhash_STRBYTES];
    if (souk__identity_password_hash(password, hash) < 0) {
        fprintf(stderr, "souk: out of memory while hashing the password\n");
        return -1;
    }
    create_ctx c = {email, role, hash, name, vendor, 0, key, false};
    int r = souk_store_tx(db, create_tx, &c);
    if (c.taken) {
        fprintf(stderr, "souk: a user with e-mail %s exists already\n", email);
        return -1;
    }
    if (r < 0) {
        fprintf(stderr, "souk: cannot create the user: %s\n", souk_store_errmsg(db));
        return -1;
    }
    if (user)
        *user = c.user;
    return 0;
}

int souk_cli_demo_admin(souk_store *db)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT 1 FROM users WHERE role = 'admin' AND status = 'active'");
    if (!st)
        return -1;
    int r = souk_stmt_step(st);
    if (r == SOUK_DB_ROW) {
        souk_stmt_done(st);
        return 0;
    }
    if (r < 0)
        return -1;
    char password[64], key[SOUK_APIKEY_LEN + 1];
    souk__identity_random_token("", password, sizeof password);
    password[20] = '\0';
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
    return 0;
}
