/*
 * auth.c — turns an Authorization header into a principal.
 *
 * Verifying an access token costs an Ed25519 signature check and a database
 * lookup (is the session still open, the user still active, what is their
 * role now). Each loop thread remembers its recent verifications (a small
 * direct-mapped table keyed by the whole credential) together with the
 * identity generation they were made in; any revocation, password or role
 * change, deletion, or write by another process bumps the generation, so a
 * remembered answer is never staler than the last such change. API key
 * answers are also re-checked at least once a minute (last-use tracking).
 */
#include "identity/internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/time.h"
#include "http/redis.h"
#include "identity/apikey.h"
#include "core/banned.h"

#define SLOTS 512

typedef struct remembered {
    char *credential; /* malloc'd copy, NULL = empty slot */
    uint64_t hash, gen;
    int64_t valid_until; /* seconds */
    souk_actor kind;
    int64_t user_id, key_id, session_id, vendor_id;
    char role[24];
    char permissions[512];
} remembered;

static _Atomic uint64_t generation = 1;
static _Thread_local remembered *memory;
static pthread_key_t memory_key; /* frees a thread's table when the thread ends */
static pthread_once_t memory_once = PTHREAD_ONCE_INIT;

static void free_memory(void *p)
{
    remembered *m = p;
    for (size_t i = 0; i < SLOTS; i++)
        free(m[i].credential);
    free(m);
}

static void make_key(void)
{
    pthread_key_create(&memory_key, free_memory);
}

void souk_identity_invalidate_here(void)
{
    atomic_fetch_add(&generation, 1);
    souk__identity_keys_stale();
}

void souk_identity_invalidate(void)
{
    souk_identity_invalidate_here();
    souk_redis_publish(SOUK_REDIS_IDENTITY);
}

static void changed_hook(void *arg)
{
    (void)arg;
    souk_identity_invalidate();
}

void souk__identity_changed(souk_store *db)
{
    souk_identity_invalidate_here();
    if (souk_store_after_commit(db, changed_hook, NULL, 0) < 0)
        souk_identity_invalidate();
}

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* PERMS of ROLE for this user right now (admins without 2FA may be held back) */
static const char *effective(const char *role, bool totp_enabled)
{
    const char *perms = souk_role_permissions(role);
    if (!perms)
        return "";
    if (strcmp(role, "admin") == 0 && souk_identity_config_get()->admin_require_2fa && !totp_enabled)
        return "";
    return perms;
}

/* SCOPES ∩ ALLOWED into OUT ("*" scope = everything ALLOWED) */
static void intersect(const char *scopes, const char *allowed, char *out, size_t outlen)
{
    if (souk_permissions_contain(scopes, "*") && strcmp(scopes, "*") == 0) {
        snprintf(out, outlen, "%s", allowed);
        return;
    }
    size_t off = 0;
    out[0] = '\0';
    for (const char *s = scopes; *s;) {
        while (*s == ' ')
            s++;
        const char *e = s;
        while (*e && *e != ' ')
            e++;
        char one[64];
        size_t n = (size_t)(e - s);
        if (n && n < sizeof one) {
            memcpy(one, s, n);
            one[n] = '\0';
            if (souk_permissions_contain(allowed, one) && off + n + 2 < outlen) {
                off += (size_t)snprintf(out + off, outlen - off, "%s%s", off ? " " : "", one);
            }
        }
        s = e;
    }
}

static int user_state(souk_store *db, int64_t user, remembered *m)
{
    bool active = false, totp = false;
    if (souk_store_one(db, "SELECT role, vendor_id, status = 'active', totp_enabled <> 0 FROM users WHERE id = $1",
                       SOUK_ARGS(SOUK_I64(user)),
                       SOUK_COLS(SOUK_COL_STR(m->role), SOUK_COL_I64(&m->vendor_id), SOUK_COL_BOOL(&active),
                                 SOUK_COL_BOOL(&totp))) != SOUK_DB_ROW)
        return -1;
    snprintf(m->permissions, sizeof m->permissions, "%s", effective(m->role, totp));
    return active ? 0 : -1;
}

static int verify_access_token(souk_store *db, const char *token, size_t len, remembered *m)
{
    int64_t user, session, exp;
    if (souk__identity_token_verify(db, token, len, &user, &session, &exp) < 0)
        return -1;
    if (souk_store_one(
            db, "SELECT 1 FROM sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3",
            SOUK_ARGS(SOUK_I64(session), SOUK_I64(user), SOUK_I64(souk_time_now_us())), NULL) != SOUK_DB_ROW ||
        user_state(db, user, m) < 0)
        return -1;
    m->kind = SOUK_ACTOR_USER;
    m->user_id = user;
    m->session_id = session;
    m->key_id = 0;
    m->valid_until = exp;
    return 0;
}

static int verify_api_key(souk_store *db, const char *key, size_t len, remembered *m)
{
    souk_apikey_info info;
    if (souk_apikey_verify(db, key, len, &info) != 1)
        return -1;
    m->kind = SOUK_ACTOR_API_KEY;
    m->key_id = info.id;
    m->user_id = info.user_id;
    m->session_id = 0;
    /* re-checked within a minute (last use), and never past its expiry */
    m->valid_until = souk_time_now_us() / 1000000 + 60;
    if (info.expires_us && info.expires_us / 1000000 < m->valid_until)
        m->valid_until = info.expires_us / 1000000;
    if (info.user_id) {
        if (user_state(db, info.user_id, m) < 0)
            return -1;
        char allowed[512];
        snprintf(allowed, sizeof allowed, "%s", m->permissions);
        intersect(info.scopes, allowed, m->permissions, sizeof m->permissions);
    } else { /* a key from before accounts: its scopes stand alone */
        m->role[0] = '\0';
        m->vendor_id = 0;
        snprintf(m->permissions, sizeof m->permissions, "%s", info.scopes);
    }
    return 0;
}

static void fill(souk_req *req, const remembered *m)
{
    souk_principal *p = &req->principal;
    p->authenticated = true;
    p->kind = m->kind;
    p->user_id = m->user_id;
    p->key_id = m->key_id;
    p->session_id = m->session_id;
    p->vendor_id = m->vendor_id;
    p->role = m->role[0] ? souk_arena_strdup(req->arena, m->role) : NULL;
    p->permissions = souk_arena_strdup(req->arena, m->permissions);
}

int souk_identity_authenticate(souk_req *req, const char *authorization, size_t len)
{
    if (len < 8 || strncasecmp(authorization, "Bearer ", 7) != 0)
        return -1;
    const char *cred = authorization + 7;
    size_t n = len - 7;
    if (n > SOUK_TOKEN_MAX)
        return -1;
    if (!memory) {
        pthread_once(&memory_once, make_key);
        if (!(memory = calloc(SLOTS, sizeof *memory)))
            return -1;
        pthread_setspecific(memory_key, memory);
    }
    uint64_t h = hash(cred, n), gen = atomic_load(&generation);
    remembered *slot = &memory[h % SLOTS];
    int64_t now = souk_time_now_us() / 1000000;
    if (slot->credential && slot->hash == h && slot->gen == gen && now < slot->valid_until &&
        strlen(slot->credential) == n && memcmp(slot->credential, cred, n) == 0) {
        fill(req, slot);
        return 0;
    }
    remembered m = {0};
    int r = n > 3 && memcmp(cred, "sk_", 3) == 0 ? verify_api_key(req->store, cred, n, &m)
                                                 : verify_access_token(req->store, cred, n, &m);
    souk_store_idle(req->store);
    if (r < 0)
        return -1;
    free(slot->credential);
    *slot = m;
    slot->credential = strndup(cred, n);
    slot->hash = h;
    slot->gen = gen;
    fill(req, &m);
    return 0;
}
