/*
 * token.c — access tokens: JWTs signed with Ed25519 ("alg":"EdDSA") and a
 * key id, verified against the keys in signing_keys.
 *
 * Keys: the newest unretired key signs. `souk keys rotate` adds a key and
 * retires the others; a retired key still verifies tokens until its
 * retirement plus the access-token lifetime, then it is no longer published
 * or accepted. Keys are cached in memory and reloaded when a token names an
 * unknown kid (at most once a second) or when told they are stale (another
 * process wrote to the database).
 *
 * Private halves are stored sealed with the process's key-encryption key
 * (keybox.c) and opened when loaded. A key that does not open here — sealed
 * by a process that was given a new KEK (`souk keys rotate-encryption`)
 * while this one runs — keeps the private half loaded before, if any, and
 * otherwise still verifies (its public half is in the clear) but cannot
 * sign; this process then logs that it needs a restart with the new KEK.
 *
 * Verification accepts exactly one algorithm: the header must say EdDSA, so
 * "none", HS256 with the public key as secret, and friends are refused.
 */
#include "identity/internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/bug.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "core/banned.h"

#define MAX_KEYS 16

typedef struct key {
    char kid[32];
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    bool has_sk;              /* the private half opened with this process's KEK */
    int64_t created, retired; /* seconds; retired 0 = active */
} key;

static struct {
    pthread_mutex_t lock;
    key keys[MAX_KEYS];
    int n;
    bool loaded;
    int64_t loaded_at_us;
} ring = {PTHREAD_MUTEX_INITIALIZER, {{{0}}}, 0, false, 0};
static atomic_bool stale;

void souk__identity_keys_stale(void)
{
    atomic_store(&stale, true);
}

static int64_t now_s(void)
{
    return souk_time_now_us() / 1000000;
}

/* the private half of KID as loaded before (same public half), for a key
 * that does not open with this process's KEK any more; caller holds ring.lock */
static bool previous_secret(const char *kid, const void *pk, unsigned char *sk)
{
    for (int i = 0; i < ring.n; i++)
        if (ring.keys[i].has_sk && strcmp(ring.keys[i].kid, kid) == 0 &&
            memcmp(ring.keys[i].pk, pk, crypto_sign_PUBLICKEYBYTES) == 0) {
            memcpy(sk, ring.keys[i].sk, crypto_sign_SECRETKEYBYTES);
            return true;
        }
    return false;
}

/* loads every key that may still verify; caller holds ring.lock */
static int load_locked(souk_store *db)
{
    /* the key bytes are blobs: read with the positional accessors */
    souk_stmt *st = souk_store_query(db,
                                     "SELECT kid, public_key, secret_key, created_at, coalesce(retired_at, 0) "
                                     "FROM signing_keys WHERE retired_at IS NULL OR retired_at > $1 "
                                     "ORDER BY created_at DESC, kid DESC LIMIT 16",
                                     SOUK_ARGS(SOUK_I64((now_s() - SOUK_ACCESS_TTL_S - SOUK_JWT_LEEWAY_S) * 1000000)));
    const souk__kek *kek = souk__kek_current();
    key fresh[MAX_KEYS];
    int n = 0, r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW && n < MAX_KEYS) {
        size_t kl, pl, sl;
        const char *kid = souk_stmt_text(st, 0, &kl);
        const void *pk = souk_stmt_blob(st, 1, &pl);
        const void *box = souk_stmt_blob(st, 2, &sl);
        if (!kid || kl >= sizeof fresh[0].kid || pl != crypto_sign_PUBLICKEYBYTES)
            continue;
        key *k = &fresh[n++];
        memcpy(k->kid, kid, kl);
        k->kid[kl] = '\0';
        memcpy(k->pk, pk, pl);
        k->has_sk = (kek && souk__kek_open(kek, k->kid, box, sl, k->sk) == 0) || previous_secret(k->kid, pk, k->sk);
        if (!k->has_sk) {
            sodium_memzero(k->sk, sizeof k->sk);
            souk_log_error("signing key %s does not open with this process's key-encryption key%s%s: it verifies "
                           "tokens but cannot sign; restart souk with the key it was sealed with",
                           k->kid, kek ? " kek_" : "", kek ? kek->id : "");
        }
        k->created = souk_stmt_i64(st, 3) / 1000000;
        k->retired = souk_stmt_i64(st, 4) / 1000000;
    }
    souk_stmt_done(st);
    if (r < 0) {
        sodium_memzero(fresh, sizeof fresh);
        return r;
    }
    memcpy(ring.keys, fresh, sizeof fresh[0] * (size_t)n);
    sodium_memzero(fresh, sizeof fresh);
    ring.n = n;
    ring.loaded = true;
    ring.loaded_at_us = souk_time_mono_us();
    atomic_store(&stale, false);
    return 0;
}

int souk__identity_key_insert_tx(souk_store *db, char *kid_out)
{
    const souk__kek *kek = souk__kek_current();
    if (!kek) {
        SOUK_BUG("a signing key is made before souk_identity_keys_open found the key-encryption key");
        return SOUK_DB_HARD;
    }
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], box[SOUK_KEYBOX_LEN];
    crypto_sign_keypair(pk, sk);
    char kid[SOUK_ID_TEXT_MAX];
    souk_id_format("sig", souk_id_next(), kid);
    souk__kek_seal(kek, kid, sk, box);
    sodium_memzero(sk, sizeof sk);
    int64_t now = souk_time_now_us();
    int r = souk_store_exec(db, "UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL",
                            SOUK_ARGS(SOUK_I64(now)));
    if (r >= 0)
        r = souk_store_exec(db,
                            "INSERT INTO signing_keys (kid, public_key, secret_key, kek_id, created_at) "
                            "VALUES ($1, $2, $3, $4, $5)",
                            SOUK_ARGS(SOUK_TEXT(kid), SOUK_BLOB(pk, sizeof pk), SOUK_BLOB(box, sizeof box),
                                      SOUK_TEXT(kek->id), SOUK_I64(now)));
    if (r >= 0 && kid_out)
        snprintf(kid_out, 32, "%s", kid);
    return r < 0 ? r : 0;
}

static int rotate_tx(souk_store *db, void *kid)
{
    return souk__identity_key_insert_tx(db, kid);
}

int souk_identity_keys_rotate(souk_store *db, char *kid)
{
    int r = souk_store_tx(db, rotate_tx, kid);
    souk__identity_keys_stale();
    return r;
}

/* copies the key to use: KID given → that key if still valid; NULL → signer */
static int find_key(souk_store *db, const char *kid, key *out)
{
    pthread_mutex_lock(&ring.lock);
    int r = 0;
    if (!ring.loaded || atomic_load(&stale))
        r = load_locked(db);
    for (int attempt = 0; r >= 0 && attempt < 2; attempt++) {
        int64_t now = now_s();
        for (int i = 0; i < ring.n; i++) {
            key *k = &ring.keys[i];
            bool usable = kid ? (strcmp(k->kid, kid) == 0 &&
                                 (!k->retired || now < k->retired + SOUK_ACCESS_TTL_S + SOUK_JWT_LEEWAY_S))
                              : !k->retired && k->has_sk;
            if (usable) {
                *out = *k;
                pthread_mutex_unlock(&ring.lock);
                return 0;
            }
        }
        /* unknown kid or no signer: maybe another process rotated; reload at most once a second */
        if (souk_time_mono_us() - ring.loaded_at_us < 1000000)
            break;
        r = load_locked(db);
    }
    pthread_mutex_unlock(&ring.lock);
    return -1;
}

static void b64url(const unsigned char *in, size_t n, char *out, size_t outlen)
{
    sodium_bin2base64(out, outlen, in, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int souk__identity_token_sign(souk_store *db, int64_t user, int64_t session, char *out)
{
    key k;
    if (find_key(db, NULL, &k) < 0)
        return SOUK_DB_HARD;
    char header[128], payload[256], sub[SOUK_ID_TEXT_MAX], sid[SOUK_ID_TEXT_MAX];
    unsigned char jti[12];
    char jti_hex[25];
    randombytes_buf(jti, sizeof jti);
    sodium_bin2hex(jti_hex, sizeof jti_hex, jti, sizeof jti);
    int64_t now = now_s();
    int hl = snprintf(header, sizeof header, "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"%s\"}", k.kid);
    int pl = snprintf(payload, sizeof payload,
                      "{\"iss\":\"souk\",\"sub\":\"%s\",\"sid\":\"%s\",\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld,"
                      "\"jti\":\"%s\"}",
                      souk_id_format("usr", user, sub), souk_id_format("ses", session, sid), (long long)now,
                      (long long)now, (long long)(now + SOUK_ACCESS_TTL_S), jti_hex);
    size_t off = 0;
    b64url((const unsigned char *)header, (size_t)hl, out, SOUK_TOKEN_MAX);
    off = strlen(out);
    out[off++] = '.';
    b64url((const unsigned char *)payload, (size_t)pl, out + off, SOUK_TOKEN_MAX - off);
    off += strlen(out + off);
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, (const unsigned char *)out, off, k.sk);
    sodium_memzero(k.sk, sizeof k.sk);
    out[off++] = '.';
    b64url(sig, sizeof sig, out + off, SOUK_TOKEN_MAX - off);
    return 0;
}

/* decodes one base64url JWT segment as a JSON object */
static json_t *segment_json(const char *s, size_t n)
{
    unsigned char buf[1024];
    size_t len;
    if (n > 1300 ||
        sodium_base642bin(buf, sizeof buf, s, n, NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return NULL;
    json_t *j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

int souk__identity_token_verify(souk_store *db, const char *token, size_t len, int64_t *user, int64_t *session,
                                int64_t *exp)
{
    if (len > SOUK_TOKEN_MAX)
        return -1;
    /* only the base64url alphabet and the dots: libsodium 1.0.18 decodes some
     * bytes above 0x7f as if they were '_' (a signature with one of them in
     * place of a '_' verified), which made one token many
     * (tests/fuzz/corpus/auth_token holds such an input) */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)token[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.'))
            return -1;
    }
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot1 || !dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
        return -1;
    json_t *header = segment_json(token, (size_t)(dot1 - token));
    if (!header)
        return -1;
    const char *alg = json_string_value(json_object_get(header, "alg"));
    const char *kid = json_string_value(json_object_get(header, "kid"));
    json_t *typ = json_object_get(header, "typ");
    key k;
    int ok = alg && strcmp(alg, "EdDSA") == 0 && kid && strlen(kid) < 32 && !json_object_get(header, "crit") &&
             (!typ || (json_is_string(typ) && strcmp(json_string_value(typ), "JWT") == 0)) &&
             find_key(db, kid, &k) == 0;
    json_decref(header);
    if (!ok)
        return -1;
    sodium_memzero(k.sk, sizeof k.sk);
    unsigned char sig[crypto_sign_BYTES + 1];
    size_t siglen;
    const char *s = dot2 + 1;
    if (sodium_base642bin(sig, sizeof sig, s, len - (size_t)(s - token), NULL, &siglen, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        siglen != crypto_sign_BYTES ||
        crypto_sign_verify_detached(sig, (const unsigned char *)token, (size_t)(dot2 - token), k.pk) != 0)
        return -1;
    json_t *claims = segment_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (!claims)
        return -1;
    const char *iss = json_string_value(json_object_get(claims, "iss"));
    const char *sub = json_string_value(json_object_get(claims, "sub"));
    const char *sid = json_string_value(json_object_get(claims, "sid"));
    json_t *jexp = json_object_get(claims, "exp"), *jnbf = json_object_get(claims, "nbf");
    int64_t now = now_s();
    ok = iss && strcmp(iss, "souk") == 0 && sub && sid && json_is_integer(jexp) && json_is_integer(jnbf) &&
         souk_id_parse("usr", sub, strlen(sub), user) == 0 && souk_id_parse("ses", sid, strlen(sid), session) == 0 &&
         now < json_integer_value(jexp) && json_integer_value(jnbf) <= now + SOUK_JWT_LEEWAY_S;
    if (ok)
        *exp = json_integer_value(jexp);
    json_decref(claims);
    return ok ? 0 : -1;
}

json_t *souk__identity_jwks(souk_store *db)
{
    json_t *keys = json_array();
    pthread_mutex_lock(&ring.lock);
    if (!ring.loaded || atomic_load(&stale))
        load_locked(db);
    int64_t now = now_s();
    for (int i = 0; i < ring.n; i++) {
        key *k = &ring.keys[i];
        if (k->retired && now >= k->retired + SOUK_ACCESS_TTL_S + SOUK_JWT_LEEWAY_S)
            continue;
        char x[64];
        b64url(k->pk, sizeof k->pk, x, sizeof x);
        json_array_append_new(keys, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "kty", "OKP", "crv", "Ed25519", "x", x,
                                              "kid", k->kid, "use", "sig", "alg", "EdDSA"));
    }
    pthread_mutex_unlock(&ring.lock);
    return json_pack("{s:o}", "keys", keys);
}
