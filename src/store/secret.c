/*
 * secret.c — a signing key kept in the database (store.h souk_store_secret):
 * made once with random bytes by whichever connection, process or node gets
 * there first (the insert does nothing when another won the race), and read
 * back by everyone else, so that every node signs and checks with one key.
 */
#include "store/store.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/banned.h"

int souk_store_secret(souk_store *db, const char *table, unsigned char key[32])
{
    char select[128], insert[160];
    int a = snprintf(select, sizeof select, "SELECT mac_key FROM %s WHERE id = 1", table);
    int b = snprintf(insert, sizeof insert, "INSERT INTO %s (id, mac_key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                     table);
    if (a < 0 || (size_t)a >= sizeof select || b < 0 || (size_t)b >= sizeof insert)
        return SOUK_DB_HARD;
    for (int round = 0; round < 2; round++) {
        souk_stmt *st = souk_store_query(db, select, NULL);
        int r = souk_stmt_step(st);
        if (r == SOUK_DB_ROW) {
            size_t len = 0;
            const void *k = souk_stmt_blob(st, 0, &len);
            if (len == 32)
                memcpy(key, k, 32);
            souk_stmt_done(st);
            return len == 32 ? 0 : SOUK_DB_HARD;
        }
        if (r < 0)
            return r;
        unsigned char fresh[32];
        randombytes_buf(fresh, sizeof fresh);
        int64_t n = souk_store_update_tx(db, insert, SOUK_ARGS(SOUK_BLOB(fresh, sizeof fresh)));
        sodium_memzero(fresh, sizeof fresh);
        if (n < 0)
            return (int)n;
    }
    return SOUK_DB_HARD;
}
