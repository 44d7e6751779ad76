/*
 * lookup.c — what other contexts may ask identity about an account without
 * reading its tables: the account's e-mail address (checkout fills in a
 * signed-in customer's address with it).
 */
#include "identity/identity.h"

#include "core/banned.h"

souk_err souk_identity_user_email(souk_store *db, int64_t user, souk_arena *a, const char **email)
{
    char *found = NULL;
    int r = souk_store_one(db, "SELECT email FROM users WHERE id = $1 AND email IS NOT NULL", SOUK_ARGS(SOUK_I64(user)),
                           SOUK_COLS(SOUK_COL_ARENA(&found, a)));
    if (r == SOUK_DB_ROW)
        *email = found;
    return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : souk_store_dberr(r);
}
