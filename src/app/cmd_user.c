/* cmd_user.c — `souk user create`, `souk keys rotate` and `souk keys rotate-encryption`. */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "app/cli.h"
#include "core/id.h"
#include "identity/identity.h"
#include "core/banned.h"

/* one line from stdin without its newline; echo off on a terminal */
static int read_password(const char *prompt, char *out, size_t outlen)
{
    int tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    if (tty) {
        fprintf(stderr, "%s", prompt);
        tcgetattr(STDIN_FILENO, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    char *ok = fgets(out, (int)outlen, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        fprintf(stderr, "\n");
    }
    if (!ok)
        return -1;
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

int souk_cmd_user(int argc, char **argv)
{
    souk_config cfg;
    if (souk_cli_config(&cfg) < 0)
        return SOUK_EXIT_USAGE;
    if (argc < 2 || strcmp(argv[1], "create") != 0) {
        fprintf(stderr,
                "usage: souk user create --email E --role ROLE [--name N] [--vendor vend_…] [--api-key] [--db DSN]\n");
        return SOUK_EXIT_USAGE;
    }
    static const struct option long_opts[] = {{"db", required_argument, NULL, 'd'},
                                              {"email", required_argument, NULL, 'e'},
                                              {"role", required_argument, NULL, 'r'},
                                              {"name", required_argument, NULL, 'n'},
                                              {"vendor", required_argument, NULL, 'v'},
                                              {"api-key", no_argument, NULL, 'k'},
                                              {NULL, 0, NULL, 0}};
    const char *email = NULL, *role = NULL, *name = "", *vendor_text = NULL;
    bool want_key = false;
    int opt;
    optind = 2;
    while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        switch (opt) {
        case 'd':
            if (souk_cli_set_db(&cfg, optarg) < 0)
                return SOUK_EXIT_USAGE;
            break;
        case 'e': email = optarg; break;
        case 'r': role = optarg; break;
        case 'n': name = optarg; break;
        case 'v': vendor_text = optarg; break;
        case 'k': want_key = true; break;
        default: return SOUK_EXIT_USAGE;
        }
    }
    if (!email || !role || optind < argc) {
        fprintf(stderr, "souk: --email and --role are required; see 'souk user --help'\n");
        return SOUK_EXIT_USAGE;
    }
    int64_t vendor = 0;
    if (vendor_text && souk_id_parse("vend", vendor_text, strlen(vendor_text), &vendor) < 0) {
        fprintf(stderr, "souk: --vendor must be a vendor id (vend_…)\n");
        return SOUK_EXIT_USAGE;
    }
    char password[256], again[256];
    if (read_password("password: ", password, sizeof password) < 0) {
        fprintf(stderr, "souk: no password on standard input\n");
        return SOUK_EXIT_USAGE;
    }
    if (isatty(STDIN_FILENO) && (read_password("again: ", again, sizeof again) < 0 || strcmp(password, again) != 0)) {
        fprintf(stderr, "souk: the passwords differ\n");
        return SOUK_EXIT_USAGE;
    }
    souk_store *db = souk_cli_open_db(cfg.db_dsn);
    if (!db)
        return SOUK_EXIT_FAIL;
    char key[SOUK_APIKEY_LEN + 1];
    int64_t user;
    int rc = souk_cli_create_user(db, email, role, password, name, vendor, want_key ? key : NULL, &user);
    sodium_memzero(password, sizeof password);
    if (rc == 0) {
        char id[SOUK_ID_TEXT_MAX];
        char shown[256];
        snprintf(shown, sizeof shown, "%s", email);
        souk_identity_email_normalize(shown); /* as stored */
        printf("created %s %s (%s)\n", role, shown, souk_id_format("usr", user, id));
        if (want_key)
            printf("%s api key: %s\n(shown once; souk stores only its hash)\n", role, key);
    }
    souk_store_close(db);
    return rc == 0 ? SOUK_EXIT_OK : SOUK_EXIT_FAIL;
}

static const char keys_usage[] = "usage: souk keys rotate [--db DSN]\n"
                                 "       souk keys rotate-encryption [--db DSN] [--old-key-file PATH]\n";

/* The previous KEK's text: --old-key-file PATH, else SOUK_OLD_KEY_ENCRYPTION_KEY. */
static int old_key_text(const char *file, char *out, size_t outlen)
{
    if (file) {
        FILE *f = fopen(file, "r");
        size_t n = f ? fread(out, 1, outlen - 1, f) : 0;
        if (!f || ferror(f)) {
            fprintf(stderr, "souk: cannot read --old-key-file %s\n", file);
            if (f)
                fclose(f);
            return -1;
        }
        fclose(f);
        out[n] = '\0';
        return 0;
    }
    const char *env = getenv("SOUK_OLD_KEY_ENCRYPTION_KEY");
    if (!env || !*env) {
        fprintf(stderr,
                "souk: give the previous key-encryption key: --old-key-file PATH or SOUK_OLD_KEY_ENCRYPTION_KEY\n");
        return -1;
    }
    snprintf(out, outlen, "%s", env);
    return 0;
}

static int rotate_encryption(const char *dsn, const char *old_file)
{
    char old[1100];
    if (old_key_text(old_file, old, sizeof old) < 0)
        return SOUK_EXIT_USAGE;
    souk_store *db = souk_cli_open_db_without_keys(dsn);
    if (!db) {
        sodium_memzero(old, sizeof old);
        return SOUK_EXIT_FAIL;
    }
    char err[1600], keyfile[1100];
    int done = 0, current = 0;
    int r = souk_identity_keys_reencrypt(db, souk_cli_default_key_file(dsn, keyfile, sizeof keyfile), old, &done,
                                         &current, err, sizeof err);
    sodium_memzero(old, sizeof old);
    if (r == 0)
        printf("re-encrypted %d signing keys under the new key-encryption key (%d were under it already); "
               "restart every souk process with the new key\n",
               done, current);
    else
        fprintf(stderr, "souk: cannot re-encrypt the signing keys: %s\n", err);
    souk_store_close(db);
    return r == 0 ? SOUK_EXIT_OK : SOUK_EXIT_FAIL;
}

int souk_cmd_keys(int argc, char **argv)
{
    souk_config cfg;
    if (souk_cli_config(&cfg) < 0)
        return SOUK_EXIT_USAGE;
    bool reencrypt = argc >= 2 && strcmp(argv[1], "rotate-encryption") == 0;
    if (argc < 2 || (!reencrypt && strcmp(argv[1], "rotate") != 0)) {
        fputs(keys_usage, stderr);
        return SOUK_EXIT_USAGE;
    }
    char err[512];
    const char *old_file = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc && souk_config_set_db(&cfg, argv[++i], err, sizeof err) == 0)
            continue;
        if (reencrypt && strcmp(argv[i], "--old-key-file") == 0 && i + 1 < argc) {
            old_file = argv[++i];
            continue;
        }
        fputs(keys_usage, stderr);
        return SOUK_EXIT_USAGE;
    }
    if (reencrypt)
        return rotate_encryption(cfg.db_dsn, old_file);
    souk_store *db = souk_cli_open_db(cfg.db_dsn);
    if (!db)
        return SOUK_EXIT_FAIL;
    char kid[32];
    int r = souk_identity_keys_rotate(db, kid);
    if (r == 0)
        printf("new signing key %s; older keys verify tokens for %d more minutes, then retire\n", kid,
               SOUK_ACCESS_TTL_S / 60);
    else
        fprintf(stderr, "souk: cannot rotate keys: %s\n", souk_store_errmsg(db));
    souk_store_close(db);
    return r == 0 ? SOUK_EXIT_OK : SOUK_EXIT_FAIL;
}
