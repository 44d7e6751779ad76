/*
 * reset.c — the work of a password-reset request, done as a job.
 *
 * POST /auth/password-reset must answer the same, in the same time, whether
 * or not the address has an account (api_auth.c). Both paths do exactly the
 * same on the request thread: one look-up in the unique index on users.email
 * (which holds the id: no row is read either way) and one write transaction
 * that queues a job of kind SOUK_IDENTITY_RESET_JOB naming the account found,
 * or none. The costly part — a random code, its hash, the password_resets
 * row and the mail, committed with an fsync — happens here, on a job worker,
 * where a client cannot time it. The request does not wake the workers
 * either: their next poll (≤ SOUK_JOB_POLL_MS) picks the job up at a time
 * unrelated to the request, so the job's write lock never delays the
 * request's own audit entry in one case and not in the other.
 *
 * The payload names an account id, never the address: a request for an
 * address without an account (or an erased one) writes nothing personal to
 * the database.
 */
#include "identity/account.h"

#include <stdio.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "mail/mail.h"
#include "core/banned.h"

#define RESET_TTL_US (INT64_C(3600) * 1000000)

int souk__identity_reset_enqueue_tx(souk_store *db, int64_t user)
{
    char id[SOUK_ID_TEXT_MAX];
    json_t *payload = json_pack("{s:o}", "user", user ? json_string(souk_id_format("usr", user, id)) : json_null());
    return souk_job_enqueue_tx(db, SOUK_IDENTITY_RESET_JOB, payload, 0, NULL);
}

/* Inside the job's transaction: a code for the account, if it is still
 * active, and the mail that carries it. */
static int reset_job_tx(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    json_t *who = json_object_get(payload, "user");
    if (json_is_null(who))
        return 0; /* the address had no account: nothing to do, by design */
    const char *s = json_string_value(who);
    int64_t user;
    if (!s || souk_id_parse("usr", s, strlen(s), &user) < 0) {
        snprintf(err, errlen, "payload needs user (usr_… or null)");
        return -1;
    }
    char email[256];
    int r = souk_store_one(db, "SELECT email FROM users WHERE id = $1 AND status = 'active' AND email IS NOT NULL",
                           SOUK_ARGS(SOUK_I64(user)), SOUK_COLS(SOUK_COL_STR(email)));
    if (r == SOUK_DB_DONE)
        return 0; /* disabled or erased since the request */
    if (r < 0) {
        snprintf(err, errlen, "cannot read the account: %s", souk_store_errmsg(db));
        return -1;
    }
    char token[64], hex[65], body[512];
    souk__identity_random_token("pr_", token, sizeof token);
    souk__identity_hash_secret(token, strlen(token), hex);
    snprintf(body, sizeof body,
             "Someone (hopefully you) asked to reset the password of your souk account.\n\n"
             "Use this code within one hour: enter it on the shop's page /account/reset/confirm (or send it\n"
             "with POST /api/v1/auth/password-reset/confirm):\n\n    %s\n\n"
             "If you did not ask for it, ignore this message; your password stays as it is.\n",
             token);
    sodium_memzero(token, sizeof token);
    int64_t now = souk_time_now_us();
    r = souk_store_exec(db,
                        "INSERT INTO password_resets (id, user_id, hash, created_at, expires_at) "
                        "VALUES ($1, $2, $3, $4, $5)",
                        SOUK_ARGS(SOUK_I64(souk_id_next()), SOUK_I64(user), SOUK_TEXT(hex), SOUK_I64(now),
                                  SOUK_I64(now + RESET_TTL_US)));
    if (r >= 0)
        r = souk_mail_enqueue_tx(db, user, email, "Reset your souk password", body);
    sodium_memzero(body, sizeof body);
    if (r < 0) {
        snprintf(err, errlen, "cannot write the reset code or its mail: %s", souk_store_errmsg(db));
        return -1;
    }
    return 0;
}

int souk_identity_register_jobs(void)
{
    return souk_job_register_tx(SOUK_IDENTITY_RESET_JOB, reset_job_tx, 5);
}
