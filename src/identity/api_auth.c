/*
 * api_auth.c — sign-up, sign-in, token refresh, sign-out, password reset,
 * and the public keys (JWKS).
 *
 * Routes that hash passwords are marked `blocking` in the route table, so
 * they run on the server's blocking pool, never on an event loop.
 *
 * Failed sign-ins are throttled per account and per client address with
 * token buckets (5 failures per account, 20 per address, refilling over 15
 * minutes): an attacker can slow an account down but never lock its owner
 * out for longer than a few minutes.
 */
#include "identity/account.h"
#include "identity/api.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "http/ratelimit.h"
#include "core/banned.h"

#define FAIL_WINDOW_S (15 * 60)
#define FAIL_PER_ACCOUNT 5
#define FAIL_PER_ADDRESS 20

/* A lower-cased copy of the address a client sent (in REQ's arena), NULL
 * when memory runs out: accounts are stored and looked up in that form. */
static const char *normalized(souk_req *req, const char *email)
{
    char *copy = souk_arena_strdup(req->arena, email);
    if (copy)
        souk_identity_email_normalize(copy);
    return copy;
}

static void security_event(souk_req *req, const char *action, int64_t user, int result)
{
    souk_audit_entry e = {.actor_type = "anonymous",
                          .action = action,
                          .subject_user_id = user,
                          .request_id = req->request_id,
                          .result = result};
    souk_audit_append(req->store, &e);
    souk_log(SOUK_LOG_WARN, req->request_id, NULL,
             json_pack("{s:s,s:I,s:s}", "event", action, "user", (json_int_t)user, "peer", req->peer ? req->peer : ""),
             "security event");
}

int souk__identity_second_factor(souk_req *req, souk_res *res, const souk__identity_secret *acct, const char *totp_code,
                                 const char *recovery_code)
{
    if (!totp_code)
        return recovery_code ? souk__identity_recovery_use(req->store, acct->id, recovery_code) : 0;
    int64_t until = 0;
    bool locked_now = false;
    int r =
        souk__identity_totp_check(req->store, acct->id, acct->email, acct->totp_secret, totp_code, &until, &locked_now);
    if (r != 2)
        return r;
    if (locked_now)
        security_event(req, "auth.totp_locked", acct->id, 429);
    int64_t wait = (until - souk_time_now_us() + 999999) / 1000000;
    res->retry_after = souk_arena_printf(req->arena, "%lld", (long long)(wait > 1 ? wait : 1));
    res->audit_subject_user = acct->id;
    souk_res_error(res, SOUK_E_RATE_LIMITED,
                   "Too many wrong two-factor codes: two-factor checks of this account are locked for a while "
                   "(see Retry-After). A recovery code still works.");
    return 2;
}

/* ---- register ---- */

typedef struct register_ctx {
    const souk_register_in *in;
    const char *email, *hash, *peer, *ua;
    int64_t user;
    souk__tokens tokens;
    bool taken;
} register_ctx;

static int register_tx(souk_store *db, void *arg)
{
    register_ctx *c = arg;
    souk__identity_new_user row = {c->email, c->hash, c->in->name, c->in->phone, "customer", 0};
    int r = souk__identity_user_insert_tx(db, &row, &c->user);
    if (r == 1) {
        c->taken = true;
        return -100;
    }
    if (r < 0)
        return r;
    if (souk_json_present(&souk__identity_register_spec, c->in, 4)) {
        r = souk_store_exec(db,
                            "INSERT INTO consents (id, user_id, kind, granted, method, created_at) "
                            "VALUES ($1, $2, 'marketing', $3, 'registration', $4)",
                            SOUK_ARGS(SOUK_I64(souk_id_next()), SOUK_I64(c->user),
                                      SOUK_I64(c->in->marketing_opt_in ? 1 : 0), SOUK_I64(souk_time_now_us())));
        if (r < 0)
            return r;
    }
    return souk__identity_session_create_tx(db, c->user, c->peer, c->ua, &c->tokens);
}

int souk_identity_api_register(souk_req *req, souk_res *res)
{
    souk_register_in in;
    if (souk_req_decode(req, res, &souk__identity_register_spec, &in))
        return res->err;
    const char *email = normalized(req, in.email);
    if (!email)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    const char *why = souk__identity_password_rules(in.password, email);
    if (why) {
        souk_problems_add(&res->problems, req->arena, "password", "%s", why);
        return souk_res_invalid(res);
    }
    char hash[crypto_pwhash_STRBYTES];
    if (souk__identity_password_hash(in.password, hash) < 0)
        return souk_res_error(res, SOUK_E_UNAVAILABLE, "Out of memory while hashing; try again.");
    register_ctx c = {&in, email, hash, req->peer, souk_req_header(req, "user-agent"), 0, {{0}}, false};
    int r = souk_store_tx(req->store, register_tx, &c);
    if (c.taken) {
        souk_problems_add(&res->problems, req->arena, "email", "is already registered");
        return souk_res_error(res, SOUK_E_CONFLICT, NULL);
    }
    if (r < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    res->audit_subject_user = c.user;
    char uid[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "user", souk_arena_strdup(req->arena, souk_id_format("usr", c.user, uid)));
    return souk_res_json(res, 201,
                         souk__identity_token_response(&c.tokens, souk__identity_user_json(req->store, c.user)));
}

/* ---- login ---- */

static souk_rate take(const char *kind, const char *who, int capacity, int cost)
{
    /* the e-mail comes from the client: hash it so every key has one length */
    char hex[65], key[96];
    souk__identity_hash_secret(who, strlen(who), hex);
    snprintf(key, sizeof key, "loginfail:%s:%.40s", kind, hex);
    return souk_ratelimit_take(key, capacity, FAIL_WINDOW_S, cost, souk_time_mono_us());
}

int souk__identity_fail_throttled(souk_req *req, souk_res *res, const char *kind, const char *email)
{
    souk_rate a = take(kind, email, FAIL_PER_ACCOUNT, 0), b = take("address", req->peer, FAIL_PER_ADDRESS, 0);
    if (a.remaining >= 1 && b.remaining >= 1)
        return 0;
    int wait = (a.remaining < 1 ? (FAIL_WINDOW_S / FAIL_PER_ACCOUNT) : 0);
    if (b.remaining < 1 && FAIL_WINDOW_S / FAIL_PER_ADDRESS > wait)
        wait = FAIL_WINDOW_S / FAIL_PER_ADDRESS;
    res->retry_after = souk_arena_printf(req->arena, "%d", wait);
    souk_log(SOUK_LOG_WARN, req->request_id, NULL,
             json_pack("{s:s,s:s}", "event", "auth.login_throttled", "peer", req->peer),
             "sign-in throttled after repeated failures");
    return souk_res_error(res, SOUK_E_RATE_LIMITED,
                          "Too many failed password or code checks; wait before trying again.");
}

void souk__identity_fail_count(souk_req *req, const char *kind, const char *email)
{
    take(kind, email, FAIL_PER_ACCOUNT, 1);
    take("address", req->peer, FAIL_PER_ADDRESS, 1);
}

static int failed(souk_req *req, souk_res *res, const char *email, int64_t user, souk_err e)
{
    souk__identity_fail_count(req, "account", email);
    souk_log(SOUK_LOG_WARN, req->request_id, NULL,
             json_pack("{s:s,s:s,s:I}", "event", "auth.login_failed", "peer", req->peer, "user", (json_int_t)user),
             "sign-in failed");
    res->audit_subject_user = user;
    return souk_res_error(res, e, NULL);
}

typedef struct login_ctx {
    int64_t user;
    const char *rehash, *peer, *ua;
    souk__tokens tokens;
} login_ctx;

static int login_tx(souk_store *db, void *arg)
{
    login_ctx *c = arg;
    if (c->rehash) {
        int r = souk_store_exec(db, "UPDATE users SET password_hash = $2 WHERE id = $1",
                                SOUK_ARGS(SOUK_I64(c->user), SOUK_TEXT(c->rehash)));
        if (r < 0)
            return r;
    }
    return souk__identity_session_create_tx(db, c->user, c->peer, c->ua, &c->tokens);
}

int souk_identity_api_login(souk_req *req, souk_res *res)
{
    souk_login_in in;
    if (souk_req_decode(req, res, &souk__identity_login_spec, &in))
        return res->err;
    const char *email = normalized(req, in.email);
    if (!email)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (souk__identity_fail_throttled(req, res, "account", email))
        return res->err;
    souk__identity_secret acct;
    int found = souk__identity_secret_by_email(req->store, email, &acct);
    if (found < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (found == SOUK_DB_DONE) {
        souk__identity_password_dummy(in.password); /* same time as a wrong password */
        return failed(req, res, email, 0, SOUK_E_INVALID_CREDENTIALS);
    }
    int64_t user = acct.id;
    if (!souk__identity_password_verify(acct.hash, in.password))
        return failed(req, res, email, user, SOUK_E_INVALID_CREDENTIALS);
    if (acct.totp) {
        if (!in.totp_code && !in.recovery_code) {
            res->audit_subject_user = user;
            return souk_res_error(res, SOUK_E_MFA_REQUIRED, NULL);
        }
        int ok = souk__identity_second_factor(req, res, &acct, in.totp_code, in.recovery_code);
        if (ok < 0)
            return souk_res_error(res, SOUK_E_INTERNAL, NULL);
        if (ok == 2) {
            souk__identity_fail_count(req, "account", email);
            return res->err;
        }
        if (!ok)
            return failed(req, res, email, user, SOUK_E_INVALID_CREDENTIALS);
    }
    char fresh[crypto_pwhash_STRBYTES];
    login_ctx c = {user, NULL, req->peer, souk_req_header(req, "user-agent"), {{0}}};
    if (souk__identity_password_needs_rehash(acct.hash) && souk__identity_password_hash(in.password, fresh) == 0)
        c.rehash = fresh;
    if (souk_store_tx(req->store, login_tx, &c) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    res->audit_subject_user = user;
    return souk_res_json(res, 200,
                         souk__identity_token_response(&c.tokens, souk__identity_user_json(req->store, user)));
}

/* ---- refresh and logout ---- */

int souk_identity_api_refresh(souk_req *req, souk_res *res)
{
    souk_token_in in;
    if (souk_req_decode(req, res, &souk__identity_refresh_spec, &in))
        return res->err;
    souk__tokens t;
    int64_t user = 0, session = 0;
    int r = souk__identity_refresh(req->store, in.token, &t, &user, &session);
    if (r < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    res->audit_subject_user = user;
    if (r == 2) {
        souk__identity_changed(req->store);
        security_event(req, "auth.refresh_token_reuse", user, 401);
        return souk_res_error(res, SOUK_E_UNAUTHORIZED,
                              "This refresh token was already used; the session has been revoked. Sign in again.");
    }
    if (r == 1)
        return souk_res_error(res, SOUK_E_UNAUTHORIZED, "The refresh token is not valid.");
    return souk_res_json(res, 200, souk__identity_token_response(&t, souk__identity_user_json(req->store, user)));
}

int souk_identity_api_logout(souk_req *req, souk_res *res)
{
    if (req->principal.kind != SOUK_ACTOR_USER)
        return souk_res_error(res, SOUK_E_FORBIDDEN, "Sign out with an access token, not an API key.");
    if (souk__identity_session_revoke(req->store, req->principal.user_id, req->principal.session_id, "logout") < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    souk__identity_changed(req->store);
    res->status = 204;
    return 0;
}

/* ---- password reset ---- */

typedef struct reset_ctx {
    int64_t user;
    const char *token_hash;
    const char *new_hash;
    int outcome;
} reset_ctx;

static int reset_request_tx(souk_store *db, void *arg)
{
    return souk__identity_reset_enqueue_tx(db, *(int64_t *)arg);
}

/* The same work whether or not the address has an account (reset.c): one
 * look-up in the index on users.email and one job queued, naming the
 * account or none. The code and the mail are made by the job. */
int souk_identity_api_reset_request(souk_req *req, souk_res *res)
{
    souk_token_in in;
    if (souk_req_decode(req, res, &souk__identity_reset_request_spec, &in))
        return res->err;
    const char *email = normalized(req, in.token);
    if (!email)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    int64_t user = 0;
    if (souk_store_one(req->store, "SELECT id FROM users WHERE email = $1", SOUK_ARGS(SOUK_TEXT(email)),
                       SOUK_COLS(SOUK_COL_I64(&user))) < 0 ||
        souk_store_tx(req->store, reset_request_tx, &user) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    /* no souk_jobs_kick(): a worker woken now would write the code and the
     * mail while this request still appends its audit entry, and the wait
     * for the write lock would tell the two paths apart again; the workers'
     * next poll (≤ SOUK_JOB_POLL_MS) runs it at a time unrelated to it */
    res->audit_subject_user = user; /* the audit log is for admins; the answer says nothing */
    return souk_res_json(res, 202,
                         json_pack("{s:s}", "status", "If the address has an account, a reset code is on its way."));
}

static int reset_confirm_tx(souk_store *db, void *arg)
{
    reset_ctx *c = arg;
    int64_t now = souk_time_now_us(), reset = 0;
    int r = souk_store_one(db,
                           "SELECT r.id, r.user_id FROM password_resets r JOIN users u ON u.id = r.user_id "
                           "WHERE r.hash = $1 AND r.used_at IS NULL AND r.expires_at > $2 AND u.status = 'active'",
                           SOUK_ARGS(SOUK_TEXT(c->token_hash), SOUK_I64(now)),
                           SOUK_COLS(SOUK_COL_I64(&reset), SOUK_COL_I64(&c->user)));
    if (r < 0)
        return r;
    c->outcome = 1;
    if (r == SOUK_DB_DONE)
        return 0;
    r = souk_store_exec(db, "UPDATE password_resets SET used_at = $2 WHERE id = $1",
                        SOUK_ARGS(SOUK_I64(reset), SOUK_I64(now)));
    if (r < 0)
        return r;
    c->outcome = 0;
    return souk__identity_password_set_tx(db, c->user, c->new_hash, "password_reset");
}

int souk_identity_api_reset_confirm(souk_req *req, souk_res *res)
{
    souk_password_in in;
    if (souk_req_decode(req, res, &souk__identity_reset_confirm_spec, &in))
        return res->err;
    char hex[65], hash[crypto_pwhash_STRBYTES], email[256] = "";
    souk__identity_hash_secret(in.current, strlen(in.current), hex);
    /* the rules compare the password with the account's address (none when the token is unknown) */
    if (souk_store_one(req->store,
                       "SELECT u.email FROM password_resets r JOIN users u ON u.id = r.user_id WHERE r.hash = $1",
                       SOUK_ARGS(SOUK_TEXT(hex)), SOUK_COLS(SOUK_COL_STR(email))) == SOUK_DB_HARD)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    const char *why = souk__identity_password_rules(in.next, email);
    if (why) {
        souk_problems_add(&res->problems, req->arena, "new_password", "%s", why);
        return souk_res_invalid(res);
    }
    if (souk__identity_password_hash(in.next, hash) < 0)
        return souk_res_error(res, SOUK_E_UNAVAILABLE, NULL);
    reset_ctx c = {.token_hash = hex, .new_hash = hash};
    if (souk_store_tx(req->store, reset_confirm_tx, &c) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (c.outcome) {
        souk_problems_add(&res->problems, req->arena, "token", "is unknown, used or expired");
        return souk_res_invalid(res);
    }
    souk__identity_changed(req->store);
    res->audit_subject_user = c.user;
    res->status = 204;
    return 0;
}

int souk_identity_api_jwks(souk_req *req, souk_res *res)
{
    res->cache_control = "public, max-age=300";
    return souk_res_json(res, 200, souk__identity_jwks(req->store));
}
