/* test_identity.c — roles, password rules, EdDSA tokens, key rotation and
 * the resolution of credentials into principals (src/identity). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixture.h"
#include "core/time.h"
#include "identity/account.h"
#include "identity/apikey.h"
#include "identity/identity.h"
#include "identity/internal.h"

typedef souk_test_db fixture;

/* a KEK for the signing keys of the test databases (no key file in /tmp) */
#define TEST_KEK "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static int setup(void **state)
{
    char kek_err[1600];
    setenv("SOUK_KEY_ENCRYPTION_KEY", TEST_KEK, 1);
    fixture *f = calloc(1, sizeof *f);
    if (!f || sodium_init() < 0 || souk_test_db_open(f, "identity") < 0 ||
        souk_identity_keys_open(f->db, NULL, kek_err, sizeof kek_err) < 0)
        return -1;
    souk__identity_keys_stale();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    souk_test_db_close(f);
    free(f);
    return 0;
}

static void test_roles(void **state)
{
    (void)state;
    assert_string_equal(souk_role_permissions("admin"), "*");
    assert_string_equal(souk_role_permissions("customer"), "");
    assert_true(souk_permissions_contain(souk_role_permissions("vendor"), "catalog:write:own"));
    assert_false(souk_permissions_contain(souk_role_permissions("vendor"), "catalog:write"));
    assert_true(souk_permissions_contain(souk_role_permissions("inventory_manager"), "inventory:write"));
    assert_true(souk_permissions_contain("*", "anything"));
    assert_false(souk_permissions_contain("catalog:write:own", "catalog:write"));
    assert_null(souk_role_permissions("root"));
    assert_true(souk_permission_known("audit:read"));
    assert_false(souk_permission_known("audit"));
    /* a vendor account belongs to a vendor, no other account does */
    assert_null(souk_identity_role_vendor_rule("vendor", true));
    assert_null(souk_identity_role_vendor_rule("customer", false));
    assert_string_equal(souk_identity_role_vendor_rule("vendor", false), SOUK_IDENTITY_VENDOR_NEEDED);
    for (const char *const *r = (const char *const[]){"customer", "inventory_manager", "admin", NULL}; *r; r++)
        assert_string_equal(souk_identity_role_vendor_rule(*r, true), SOUK_IDENTITY_VENDOR_ONLY);
}

static void test_password_rules_and_hash(void **state)
{
    (void)state;
    assert_non_null(souk__identity_password_rules("short", NULL));
    assert_non_null(souk__identity_password_rules("ann@example.com", "ann@example.com"));
    assert_non_null(souk__identity_password_rules("ANNABELLE1", "annabelle1@example.com"));
    assert_null(souk__identity_password_rules("correct horse battery", "ann@example.com"));
    char long_pw[200];
    memset(long_pw, 'x', 129);
    long_pw[129] = '\0';
    assert_non_null(souk__identity_password_rules(long_pw, NULL));
    /* ten 2-byte characters count as ten */
    assert_null(souk__identity_password_rules("éééééééééé", NULL));

    setenv("SOUK_ARGON2_MEMLIMIT_MB", "19", 1);
    char err[200];
    assert_int_equal(souk_identity_configure(err, sizeof err), 0);
    char hash[crypto_pwhash_STRBYTES];
    assert_int_equal(souk__identity_password_hash("correct horse battery", hash), 0);
    assert_true(strncmp(hash, "$argon2id$", 10) == 0);
    assert_int_equal(souk__identity_password_verify(hash, "correct horse battery"), 1);
    assert_int_equal(souk__identity_password_verify(hash, "correct horse batterx"), 0);
    assert_int_equal(souk__identity_password_verify(NULL, "x"), 0);
    assert_false(souk__identity_password_needs_rehash(hash));
    setenv("SOUK_ARGON2_MEMLIMIT_MB", "20", 1);
    assert_int_equal(souk_identity_configure(err, sizeof err), 0);
    assert_true(souk__identity_password_needs_rehash(hash)); /* cost changed: upgrade at next login */
    /* below OWASP's minimum is refused */
    setenv("SOUK_ARGON2_MEMLIMIT_MB", "8", 1);
    assert_int_equal(souk_identity_configure(err, sizeof err), -1);
    setenv("SOUK_ARGON2_OPSLIMIT", "1", 1);
    setenv("SOUK_ARGON2_MEMLIMIT_MB", "19", 1);
    assert_int_equal(souk_identity_configure(err, sizeof err), -1);
    /* digits only: strtoull read this as 20 (found by tests/fuzz/fuzz_config.c), and " 3" or "+3" are no numbers here */
    static const char *const not_digits[] = {"-18446744073709551596", " 3", "+3", ""};
    for (size_t i = 0; i < sizeof not_digits / sizeof not_digits[0]; i++) {
        setenv("SOUK_ARGON2_OPSLIMIT", not_digits[i], 1);
        assert_int_equal(souk_identity_configure(err, sizeof err), -1);
    }
    setenv("SOUK_ARGON2_OPSLIMIT", "2", 1); /* the default, as the tests after this one expect */
    assert_int_equal(souk_identity_configure(err, sizeof err), 0);
    assert_int_equal(souk_identity_config_get()->argon2_opslimit, 2);
    unsetenv("SOUK_ARGON2_OPSLIMIT");
    assert_int_equal(souk_identity_configure(err, sizeof err), 0);
}

static void test_token_round_trip_and_tampering(void **state)
{
    fixture *f = *state;
    char tok[SOUK_TOKEN_MAX];
    assert_int_equal(souk__identity_token_sign(f->db, 42, 7, tok), 0);
    int64_t user = 0, session = 0, exp = 0;
    assert_int_equal(souk__identity_token_verify(f->db, tok, strlen(tok), &user, &session, &exp), 0);
    assert_int_equal(user, 42);
    assert_int_equal(session, 7);
    int64_t now = souk_time_now_us() / 1000000;
    assert_true(exp > now + 890 && exp <= now + 900);

    /* flip one character in each part: header, payload, signature */
    size_t n = strlen(tok);
    const char *dot1 = strchr(tok, '.'), *dot2 = strchr(dot1 + 1, '.');
    size_t spots[] = {3, (size_t)(dot1 - tok) + 5, (size_t)(dot2 - tok) + 5, n - 2};
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
        char bad[SOUK_TOKEN_MAX];
        memcpy(bad, tok, n + 1);
        bad[spots[i]] = bad[spots[i]] == 'A' ? 'B' : 'A';
        assert_int_equal(souk__identity_token_verify(f->db, bad, n, &user, &session, &exp), -1);
    }
    /* a byte above 0x7f in place of any character: libsodium 1.0.18 reads
     * some of them as '_', which made a signature with '_' verify in other
     * spellings (found by tests/fuzz/fuzz_auth_token.c) */
    for (size_t p = 0; p < n; p++)
        for (int b = 0x80; b < 0x100; b++) {
            char bad[SOUK_TOKEN_MAX];
            memcpy(bad, tok, n + 1);
            bad[p] = (char)b;
            assert_int_equal(souk__identity_token_verify(f->db, bad, n, &user, &session, &exp), -1);
        }
    /* truncated, extra segment, empty */
    assert_int_equal(souk__identity_token_verify(f->db, tok, n - 1, &user, &session, &exp), -1);
    char extra[SOUK_TOKEN_MAX + 8];
    snprintf(extra, sizeof extra, "%s.x", tok);
    assert_int_equal(souk__identity_token_verify(f->db, extra, strlen(extra), &user, &session, &exp), -1);
    assert_int_equal(souk__identity_token_verify(f->db, "", 0, &user, &session, &exp), -1);
    /* alg none: header {"alg":"none","typ":"JWT","kid":"x"}, payload of the real token, no signature */
    char none[SOUK_TOKEN_MAX];
    snprintf(none, sizeof none, "eyJhbGciOiJub25lIiwidHlwIjoiSldUIiwia2lkIjoieCJ9.%.*s.", (int)(dot2 - dot1 - 1),
             dot1 + 1);
    assert_int_equal(souk__identity_token_verify(f->db, none, strlen(none), &user, &session, &exp), -1);
}

static void test_rotation_keeps_old_tokens_valid(void **state)
{
    fixture *f = *state;
    char before[SOUK_TOKEN_MAX], after[SOUK_TOKEN_MAX], kid[32];
    assert_int_equal(souk__identity_token_sign(f->db, 1, 2, before), 0);
    assert_int_equal(souk_identity_keys_rotate(f->db, kid), 0);
    assert_int_equal(souk__identity_token_sign(f->db, 1, 3, after), 0);
    assert_true(strncmp(before, after, strchr(before, '.') - before) != 0); /* another kid in the header */
    int64_t u, s, e;
    assert_int_equal(souk__identity_token_verify(f->db, before, strlen(before), &u, &s, &e), 0);
    assert_int_equal(souk__identity_token_verify(f->db, after, strlen(after), &u, &s, &e), 0);
    json_t *jwks = souk__identity_jwks(f->db);
    assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(jwks, "keys"), 0), "kid")),
                        kid);
    json_decref(jwks);
    /* a key retired longer ago than a token lives is neither accepted nor published */
    assert_int_equal(
        souk_store_exec(f->db, "UPDATE signing_keys SET retired_at = 1 WHERE kid <> $1", SOUK_ARGS(SOUK_TEXT(kid))),
        SOUK_DB_DONE);
    souk__identity_keys_stale();
    assert_int_equal(souk__identity_token_verify(f->db, before, strlen(before), &u, &s, &e), -1);
    jwks = souk__identity_jwks(f->db);
    assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 1);
    json_decref(jwks);
}

/* a user row, optionally with a session */
static int64_t make_user(souk_store *db, const char *role, const char *status, int64_t *session)
{
    static int n;
    char email[64];
    snprintf(email, sizeof email, "u%d@example.com", ++n);
    int64_t id = 1000 + n, now = souk_time_now_us();
    assert_int_equal(
        souk_store_exec(db,
                        "INSERT INTO users (id, email, password_hash, role, status, created_at, updated_at, "
                        "password_changed_at) VALUES ($1, $2, 'x', $3, $4, $5, $5, $5)",
                        SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(email), SOUK_TEXT(role), SOUK_TEXT(status), SOUK_I64(now))),
        SOUK_DB_DONE);
    if (session) {
        *session = id * 10;
        assert_int_equal(souk_store_exec(db,
                                         "INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at) "
                                         "VALUES ($1, $2, $3, $3, $4)",
                                         SOUK_ARGS(SOUK_I64(*session), SOUK_I64(id), SOUK_I64(now),
                                                   SOUK_I64(now + 3600 * INT64_C(1000000)))),
                         SOUK_DB_DONE);
    }
    return id;
}

static int auth(fixture *f, const char *cred, souk_principal *out)
{
    souk_arena a;
    souk_arena_init(&a, 4096, 0);
    souk_req req = {.arena = &a, .store = f->db};
    char header[SOUK_TOKEN_MAX + 16];
    snprintf(header, sizeof header, "Bearer %s", cred);
    int r = souk_identity_authenticate(&req, header, strlen(header));
    if (r == 0 && out) {
        *out = req.principal;
        static char perms[512];
        snprintf(perms, sizeof perms, "%s", req.principal.permissions);
        out->permissions = perms;
        out->role = NULL;
    }
    souk_arena_release(&a);
    return r;
}

static void test_principals(void **state)
{
    fixture *f = *state;
    int64_t s1, s2;
    int64_t vendor_user = make_user(f->db, "vendor", "active", &s1);
    int64_t gone = make_user(f->db, "customer", "deleted", &s2);
    char tok[SOUK_TOKEN_MAX];
    souk_principal p;
    assert_int_equal(souk__identity_token_sign(f->db, vendor_user, s1, tok), 0);
    assert_int_equal(auth(f, tok, &p), 0);
    assert_int_equal(p.kind, SOUK_ACTOR_USER);
    assert_int_equal(p.user_id, vendor_user);
    assert_string_equal(p.permissions, "catalog:write:own orders:fulfil:own analytics:read:own");
    /* session of another user, deleted user, revoked session */
    assert_int_equal(souk__identity_token_sign(f->db, vendor_user, s2, tok), 0);
    assert_int_equal(auth(f, tok, NULL), -1);
    assert_int_equal(souk__identity_token_sign(f->db, gone, s2, tok), 0);
    assert_int_equal(auth(f, tok, NULL), -1);
    assert_int_equal(souk__identity_token_sign(f->db, vendor_user, s1, tok), 0);
    assert_int_equal(
        souk_store_exec(f->db, "UPDATE sessions SET revoked_at = 1 WHERE id = $1", SOUK_ARGS(SOUK_I64(s1))),
        SOUK_DB_DONE);
    souk_identity_invalidate();
    assert_int_equal(auth(f, tok, NULL), -1);
    assert_int_equal(auth(f, "garbage", NULL), -1);

    /* API keys: scopes narrowed to what the owner's role still allows */
    int64_t admin = make_user(f->db, "admin", "active", NULL);
    char key[SOUK_APIKEY_LEN + 1];
    assert_int_equal(souk_apikey_create(f->db, admin, "k", "catalog:write audit:read", 0, key, NULL), 0);
    assert_int_equal(auth(f, key, &p), 0);
    assert_int_equal(p.kind, SOUK_ACTOR_API_KEY);
    assert_string_equal(p.permissions, "catalog:write audit:read");
    assert_int_equal(
        souk_store_exec(f->db, "UPDATE users SET role = 'vendor' WHERE id = $1", SOUK_ARGS(SOUK_I64(admin))),
        SOUK_DB_DONE);
    souk_identity_invalidate();
    assert_int_equal(auth(f, key, &p), 0);
    assert_string_equal(p.permissions, ""); /* a vendor holds neither */
    /* expired and revoked keys */
    char old[SOUK_APIKEY_LEN + 1];
    int64_t old_id;
    assert_int_equal(souk_apikey_create(f->db, admin, "old", "*", souk_time_now_us() - 1, old, &old_id), 0);
    assert_int_equal(auth(f, old, NULL), -1);
    int64_t kid;
    assert_int_equal(souk_apikey_create(f->db, admin, "r", "*", 0, key, &kid), 0);
    assert_int_equal(auth(f, key, NULL), 0);
    assert_int_equal(souk_apikey_revoke(f->db, admin, kid), 1);
    souk_identity_invalidate();
    assert_int_equal(auth(f, key, NULL), -1);
}

/* five wrong codes lock the account's TOTP checks; a correct code before
 * that starts the count again; the lock ends at totp_locked_until */
static void test_totp_guess_limit(void **state)
{
    fixture *f = *state;
    int64_t user = make_user(f->db, "customer", "active", NULL);
    char secret[64], code[8], wrong[8];
    assert_int_equal(souk__identity_totp_secret(secret, sizeof secret), 0);
    int64_t now_s = souk_time_now_us() / 1000000, until = 0;
    bool locked = false;
    assert_int_equal(souk__identity_totp_code(secret, now_s, code), 0);
    /* a code that is not one of the accepted ones (now ± 1 step) */
    for (int n = 0;; n++) {
        char c[3][8];
        for (int k = 0; k < 3; k++)
            assert_int_equal(souk__identity_totp_code(secret, now_s + (k - 1) * 30, c[k]), 0);
        snprintf(wrong, sizeof wrong, "%06d", (123456 + n * 7919) % 1000000);
        if (strcmp(wrong, c[0]) && strcmp(wrong, c[1]) && strcmp(wrong, c[2]))
            break;
    }
    /* four wrong, one right: the count starts again */
    for (int i = 0; i < 4; i++)
        assert_int_equal(souk__identity_totp_check(f->db, user, "u@example.com", secret, wrong, &until, &locked), 0);
    assert_int_equal(souk__identity_totp_check(f->db, user, "u@example.com", secret, code, &until, &locked), 1);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(souk__identity_totp_check(f->db, user, "u@example.com", secret, wrong, &until, &locked), 0);
        assert_false(locked);
    }
    /* the fifth in a row locks, for an hour, and queues the owner's warning */
    assert_int_equal(souk__identity_totp_check(f->db, user, "u@example.com", secret, wrong, &until, &locked), 2);
    assert_true(locked);
    assert_true(until > souk_time_now_us() + INT64_C(3590) * 1000000 &&
                until <= souk_time_now_us() + INT64_C(3600) * 1000000);
    assert_int_equal(souk_store_one(f->db,
                                    "SELECT 1 FROM mail_outbox WHERE user_id = $1 AND subject LIKE '%two-factor%'",
                                    SOUK_ARGS(SOUK_I64(user)), NULL),
                     SOUK_DB_ROW);
    /* locked: even a right code is not looked at */
    char next[8];
    assert_int_equal(souk__identity_totp_code(secret, now_s + 30, next), 0);
    assert_int_equal(souk__identity_totp_check(f->db, user, "u@example.com", secret, next, &until, &locked), 2);
    assert_false(locked);
    /* once the lock is over, a right code works */
    assert_int_equal(
        souk_store_exec(f->db, "UPDATE users SET totp_locked_until = 1 WHERE id = $1", SOUK_ARGS(SOUK_I64(user))),
        SOUK_DB_DONE);
    assert_int_equal(souk__identity_totp_check(f->db, user, "u@example.com", secret, next, &until, &locked), 1);
}

/* the key-encryption key: accepted forms, sealing bound to the kid */
static void test_keybox(void **state)
{
    (void)state;
    souk__kek a, b, c;
    assert_int_equal(souk__kek_parse(TEST_KEK, &a), 0);
    assert_int_equal(souk__kek_parse(" AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", &b),
                     0); /* the same bytes, base64 */
    assert_int_equal(souk__kek_parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", &c), 0); /* unpadded */
    assert_memory_equal(a.key, b.key, 32);
    assert_memory_equal(a.key, c.key, 32);
    assert_string_equal(a.id, b.id);
    assert_int_equal(strlen(a.id), SOUK_KEK_ID_HEX);
    for (const char *const *bad =
             (const char *const[]){"", "00", "zz02030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                                   "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8fHw==", NULL};
         *bad; bad++)
        assert_int_equal(souk__kek_parse(*bad, &c), -1);
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], out[crypto_sign_SECRETKEYBYTES];
    unsigned char box[SOUK_KEYBOX_LEN], box2[SOUK_KEYBOX_LEN];
    crypto_sign_keypair(pk, sk);
    souk__kek_seal(&a, "sig_A", sk, box);
    souk__kek_seal(&a, "sig_A", sk, box2);
    assert_memory_not_equal(box, box2, sizeof box); /* a fresh nonce each time */
    assert_int_equal(souk__kek_open(&a, "sig_A", box, sizeof box, out), 0);
    assert_memory_equal(out, sk, sizeof sk);
    assert_int_equal(souk__kek_open(&a, "sig_B", box, sizeof box, out), -1);     /* another row's key */
    assert_int_equal(souk__kek_open(&a, "sig_A", box, sizeof box - 1, out), -1); /* cut */
    memset(c.key, 7, sizeof c.key);
    assert_int_equal(souk__kek_open(&c, "sig_A", box, sizeof box, out), -1); /* another KEK */
    box[30] ^= 1;
    assert_int_equal(souk__kek_open(&a, "sig_A", box, sizeof box, out), -1); /* tampered */
    assert_memory_not_equal(box + 24, sk, 32);                               /* not in the clear */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_password_rules_and_hash),
        cmocka_unit_test(test_keybox),
        cmocka_unit_test_setup_teardown(test_token_round_trip_and_tampering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation_keeps_old_tokens_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_principals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_totp_guess_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
