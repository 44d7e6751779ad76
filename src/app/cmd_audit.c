/*
 * cmd_audit.c — `souk audit verify` checks the audit log's hash chain;
 * `souk audit head` prints its newest entry for anchoring elsewhere.
 *
 * The database is opened but never created or migrated: verifying a file
 * that does not exist, or predates the audit log, says so and fails instead
 * of quietly making an empty (and so "intact") log.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/cli.h"
#include "audit/audit.h"
#include "core/banned.h"

static const char usage[] =
    "usage: souk audit verify [--db DSN] [--anchor SEQ:HASH]\n"
    "       souk audit head [--db DSN]\n\n"
    "verify walks the audit log in order, recomputing every entry's hash from the previous hash\n"
    "and the entry's fields. Prints 'audit log intact: N entries' and exits 0, or 'audit log\n"
    "broken at entry SEQ: WHY' and exits 1 (also when the database or its audit log does not\n"
    "exist). With --anchor it also checks that entry SEQ still has HASH.\n\n"
    "head prints the newest entry as SEQ:HASH. Entries cut off the end of the log, or a log\n"
    "rewritten as a whole, cannot be noticed from the database alone: save the head somewhere\n"
    "else regularly (e.g. from cron) and verify against it with --anchor.\n"
    "--db defaults to SOUK_DB, then ./souk.db.\n";

int souk_cmd_audit(int argc, char **argv)
{
    static const struct option long_opts[] = {{"db", required_argument, NULL, 'd'},
                                              {"anchor", required_argument, NULL, 'a'},
                                              {"help", no_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};
    const char *anchor = NULL;
    souk_config cfg;
    if (souk_cli_config_getopt(&cfg, false) < 0)
        return SOUK_EXIT_USAGE;
    int c;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return SOUK_EXIT_OK;
        }
        if (c == 'a') {
            anchor = optarg;
            continue;
        }
        if (c != 'd') {
            fprintf(stderr, "souk: see 'souk audit --help'\n");
            return SOUK_EXIT_USAGE;
        }
        if (souk_cli_set_db(&cfg, optarg) < 0)
            return SOUK_EXIT_USAGE;
    }
    bool head = optind < argc && strcmp(argv[optind], "head") == 0;
    if (optind >= argc || (!head && strcmp(argv[optind], "verify") != 0) || optind + 1 != argc) {
        if (optind >= argc)
            fprintf(stderr, "souk: audit needs a subcommand; see 'souk audit --help'\n");
        else
            fprintf(stderr, "souk: unexpected argument '%s'; see 'souk audit --help'\n",
                    optind + 1 < argc ? argv[optind + 1] : argv[optind]);
        return SOUK_EXIT_USAGE;
    }
    long long anchor_seq = 0;
    char anchor_hash[SOUK_AUDIT_HASH_HEX + 1] = "";
    if (anchor) {
        int n = 0;
        if (head || sscanf(anchor, "%lld:%64[0-9a-f]%n", &anchor_seq, anchor_hash, &n) != 2 || anchor[n] != '\0' ||
            anchor_seq < 1 || strlen(anchor_hash) != SOUK_AUDIT_HASH_HEX) {
            fprintf(stderr, "souk: --anchor takes SEQ:HASH as printed by 'souk audit head' (verify only)\n");
            return SOUK_EXIT_USAGE;
        }
    }

    souk_store *db;
    char err[1200];
    if (souk_store_open_existing(&db, cfg.db_dsn, err, sizeof err) < 0) {
        fprintf(stderr, "souk: %s\n", err);
        return SOUK_EXIT_FAIL;
    }
    int has = souk_store_table_exists(db, "audit_log");
    if (has <= 0) {
        if (has < 0)
            fprintf(stderr, "souk: cannot read %s: %s\n", cfg.db_dsn, souk_store_errmsg(db));
        else
            fprintf(stderr, "souk: database %s has no audit log (run 'souk migrate' first)\n", cfg.db_dsn);
        souk_store_close(db);
        return SOUK_EXIT_FAIL;
    }
    if (head) {
        int64_t seq = 0;
        char hash[SOUK_AUDIT_HASH_HEX + 1];
        int h = souk_audit_head(db, &seq, hash);
        if (h < 0)
            fprintf(stderr, "souk: cannot read the audit log: %s\n", souk_store_errmsg(db));
        else
            printf("%lld:%s\n", (long long)seq, hash);
        souk_store_close(db);
        return h < 0 ? SOUK_EXIT_FAIL : SOUK_EXIT_OK;
    }
    int64_t checked = 0, bad = 0;
    char why[256];
    int r = souk_audit_verify(db, &checked, &bad, why, sizeof why);
    if (r == 0 && anchor) {
        char stored[SOUK_AUDIT_HASH_HEX + 1];
        int found = souk_audit_hash_at(db, anchor_seq, stored);
        if (found < 0) {
            r = found;
        } else if (found == SOUK_DB_DONE || strcmp(stored, anchor_hash) != 0) {
            r = 1;
            bad = anchor_seq;
            snprintf(why, sizeof why, "%s",
                     found == SOUK_DB_DONE ? "the anchored entry is gone (the log was cut)"
                                           : "the anchored entry's hash differs (the log was rewritten)");
        }
    }
    if (r < 0)
        fprintf(stderr, "souk: cannot read the audit log: %s\n", souk_store_errmsg(db));
    else if (r == 0)
        printf("audit log intact: %lld entries\n", (long long)checked);
    else
        printf("audit log broken at entry %lld: %s\n", (long long)bad, why);
    fflush(stdout);
    souk_store_close(db);
    return r == 0 ? SOUK_EXIT_OK : SOUK_EXIT_FAIL;
}
