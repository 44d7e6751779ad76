/* cli.c — helpers shared by the commands (see cli.h). */
#include "app/cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "identity/apikey.h"
#include "core/banned.h"

int souk_cli_config(souk_config *cfg)
{
    char err[512];
    if (souk_config_load(cfg, err, sizeof err) < 0) {
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
    return db;
}

int souk_cli_ensure_admin_key(souk_store *db)
{
    int64_t n = souk_apikey_count(db);
    if (n < 0) {
        fprintf(stderr, "souk: cannot read API keys: %s\n", souk_store_errmsg(db));
        return -1;
    }
    if (n > 0)
        return 0;
    char key[SOUK_APIKEY_LEN + 1];
    if (souk_apikey_create(db, "*", key) < 0) {
        fprintf(stderr, "souk: cannot create the admin API key: %s\n", souk_store_errmsg(db));
        return -1;
    }
    printf("admin api key: %s\n", key);
    printf("(shown once; souk stores only its hash. Send it as 'Authorization: Bearer %s'.)\n", key);
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
