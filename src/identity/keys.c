/*
 * keys.c — the signing keys at rest: the check at start, the encryption of
 * keys an older souk stored in the clear, and the re-encryption under a new
 * key-encryption key (identity.h; the KEK itself: keybox.c).
 *
 * Rows of signing_keys carry kek_id: "" for a private half in the clear
 * (before migration 0051), else the id of the KEK that sealed it. The check
 * at start reads every row, so a wrong KEK is refused before anything is
 * signed, and names both ids. Encrypting the clear rows is a data migration:
 * one write transaction that re-reads the rows under the write lock and
 * only touches those still clear (so two processes starting together do it
 * once), then a scrub of the database's logs, so the clear bytes do not
 * linger in the write-ahead log.
 */
#include "identity/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/banned.h"

typedef struct row {
    char kid[32];
    char kek_id[SOUK_KEK_ID_HEX + 1];
    unsigned char box[SOUK_KEYBOX_LEN];
    size_t len;
} row;

typedef struct rows {
    row *v;
    int n;
} rows;

/* every stored key (kid, seal, box); free_rows frees R */
static int read_rows(souk_store *db, rows *r)
{
    r->v = NULL;
    r->n = 0;
    int64_t count = 0;
    int s = souk_store_one(db, "SELECT count(*) FROM signing_keys", NULL, SOUK_COLS(SOUK_COL_I64(&count)));
    if (s < 0)
        return s;
    if (count == 0)
        return 0;
    if (!(r->v = calloc((size_t)count, sizeof(row))))
        return SOUK_DB_HARD;
    souk_stmt *st = souk_store_query(db, "SELECT kid, kek_id, secret_key FROM signing_keys ORDER BY kid LIMIT $1",
                                     SOUK_ARGS(SOUK_I64(count)));
    while ((s = souk_stmt_step(st)) == SOUK_DB_ROW) {
        size_t kl, il, bl;
        const char *kid = souk_stmt_text(st, 0, &kl), *kek = souk_stmt_text(st, 1, &il);
        const void *box = souk_stmt_blob(st, 2, &bl);
        row *w = &r->v[r->n];
        if (!kid || kl >= sizeof w->kid || il >= sizeof w->kek_id || bl > sizeof w->box) {
            souk_log_error("signing key %.40s is malformed (kid, kek_id or key size); it is skipped", kid ? kid : "?");
            continue;
        }
        memcpy(w->kid, kid, kl + 1);
        memcpy(w->kek_id, kek ? kek : "", il + 1);
        if (bl)
            memcpy(w->box, box, bl);
        w->len = bl;
        r->n++;
    }
    souk_stmt_done(st);
    return s < 0 ? s : 0;
}

static void free_rows(rows *r)
{
    if (r->v) {
        sodium_memzero(r->v, sizeof(row) * (size_t)r->n);
        free(r->v);
    }
    r->v = NULL;
}

/* counts rows by seal: in the clear, under K, under another KEK (*OTHER names one) */
static void census(const rows *r, const souk__kek *k, int *clear, int *mine, int *others, const char **other)
{
    *clear = *mine = *others = 0;
    *other = NULL;
    for (int i = 0; i < r->n; i++) {
        if (!r->v[i].kek_id[0])
            (*clear)++;
        else if (k && strcmp(r->v[i].kek_id, k->id) == 0)
            (*mine)++;
        else {
            (*others)++;
            *other = r->v[i].kek_id;
        }
    }
}

/* seals the clear rows under K, re-reading them under the write lock */
static int encrypt_clear_tx(souk_store *db, void *arg)
{
    const souk__kek *k = arg;
    rows r;
    int s = read_rows(db, &r);
    for (int i = 0; s >= 0 && i < r.n; i++) {
        row *w = &r.v[i];
        if (w->kek_id[0])
            continue;
        if (w->len != crypto_sign_SECRETKEYBYTES) {
            souk_log_error("signing key %s is stored in the clear with %zu bytes instead of %d; it is left as it is",
                           w->kid, w->len, crypto_sign_SECRETKEYBYTES);
            continue;
        }
        unsigned char box[SOUK_KEYBOX_LEN];
        souk__kek_seal(k, w->kid, w->box, box);
        s = souk_store_exec(db, "UPDATE signing_keys SET secret_key = $2, kek_id = $3 WHERE kid = $1 AND kek_id = ''",
                            SOUK_ARGS(SOUK_TEXT(w->kid), SOUK_BLOB(box, sizeof box), SOUK_TEXT(k->id)));
    }
    free_rows(&r);
    return s < 0 ? s : 0;
}

static int ensure_tx(souk_store *db, void *arg)
{
    (void)arg;
    int r = souk_store_one(db, "SELECT 1 FROM signing_keys WHERE retired_at IS NULL", NULL, NULL);
    if (r == SOUK_DB_ROW)
        return 0;
    return r < 0 ? r : souk__identity_key_insert_tx(db, NULL);
}

/* pushes the clear bytes out of the write-ahead log (retrying while readers finish) */
static void scrub(souk_store *db)
{
    for (int i = 0; i < 20 && souk_store_scrub(db) != 0; i++)
        usleep(50000);
}

int souk_identity_keys_open(souk_store *db, const char *default_key_file, char *err, size_t errlen)
{
    rows r;
    if (read_rows(db, &r) < 0) {
        snprintf(err, errlen, "cannot read the signing keys: %s", souk_store_errmsg(db));
        return -1;
    }
    int clear, mine, others;
    const char *other;
    census(&r, NULL, &clear, &mine, &others, &other);
    souk__kek kek;
    bool created = false;
    /* a new key file only for a database whose keys no KEK has sealed yet */
    if (souk__kek_find(default_key_file, others == 0, &kek, &created, err, errlen) < 0) {
        if (others) {
            size_t n = strlen(err);
            snprintf(err + n, errlen - n,
                     "; the signing keys in the database are encrypted with key-encryption key "
                     "kek_%s: give souk that key (souk will not make new signing keys in their "
                     "place, which would sign everyone out)",
                     other);
        }
        free_rows(&r);
        return -1;
    }
    census(&r, &kek, &clear, &mine, &others, &other);
    if (others) {
        snprintf(err, errlen,
                 "the signing keys in the database are encrypted with key-encryption key kek_%s, but the "
                 "key given (%s) is kek_%s: a wrong key? (after 'souk keys rotate-encryption' give the new "
                 "one; souk will not make new signing keys, which would sign everyone out)",
                 other, kek.source, kek.id);
        free_rows(&r);
        sodium_memzero(&kek, sizeof kek);
        return -1;
    }
    for (int i = 0; i < r.n; i++) {
        unsigned char sk[crypto_sign_SECRETKEYBYTES];
        if (r.v[i].kek_id[0] && souk__kek_open(&kek, r.v[i].kid, r.v[i].box, r.v[i].len, sk) < 0) {
            snprintf(err, errlen,
                     "signing key %s does not open with key-encryption key kek_%s (%s) although it says "
                     "it was sealed with it: the database or the key is damaged",
                     r.v[i].kid, kek.id, kek.source);
            free_rows(&r);
            sodium_memzero(&kek, sizeof kek);
            return -1;
        }
        sodium_memzero(sk, sizeof sk);
    }
    free_rows(&r);
    souk__kek_set_current(&kek);
    souk__identity_keys_stale();
    if (created)
        souk_log_info(
            "created the key file %s (mode 0600): it encrypts the token-signing keys; back it up apart "
            "from the database, and for production keep it elsewhere (SOUK_KEY_FILE, SOUK_KEY_ENCRYPTION_KEY)",
            default_key_file);
    if (clear) {
        if (souk_store_tx(db, encrypt_clear_tx, &kek) < 0) {
            snprintf(err, errlen, "cannot encrypt the signing keys stored in the clear: %s", souk_store_errmsg(db));
            sodium_memzero(&kek, sizeof kek);
            return -1;
        }
        scrub(db);
        souk_log_info("encrypted %d signing key(s) stored in the clear with key-encryption key kek_%s (%s)", clear,
                      kek.id, kek.source);
    }
    sodium_memzero(&kek, sizeof kek);
    if (souk_store_tx(db, ensure_tx, NULL) < 0) {
        snprintf(err, errlen, "cannot create a token signing key: %s", souk_store_errmsg(db));
        return -1;
    }
    return 0;
}

typedef struct reencrypt_ctx {
    const souk__kek *old, *next;
    int done, current;
    char why[400];
} reencrypt_ctx;

static int reencrypt_tx(souk_store *db, void *arg)
{
    reencrypt_ctx *c = arg;
    c->done = c->current = 0;
    c->why[0] = '\0';
    rows r;
    int s = read_rows(db, &r);
    for (int i = 0; s >= 0 && i < r.n; i++) {
        row *w = &r.v[i];
        unsigned char sk[crypto_sign_SECRETKEYBYTES], box[SOUK_KEYBOX_LEN];
        const souk__kek *from = !w->kek_id[0]                         ? NULL
                                : strcmp(w->kek_id, c->next->id) == 0 ? c->next
                                : strcmp(w->kek_id, c->old->id) == 0  ? c->old
                                                                      : NULL;
        if (w->kek_id[0] && !from) {
            snprintf(c->why, sizeof c->why,
                     "signing key %s is encrypted with kek_%s, neither the old key (kek_%s) "
                     "nor the new one (kek_%s)",
                     w->kid, w->kek_id, c->old->id, c->next->id);
            s = -100;
            break;
        }
        if (from ? souk__kek_open(from, w->kid, w->box, w->len, sk) < 0 : w->len != sizeof sk) {
            snprintf(c->why, sizeof c->why,
                     "signing key %s does not open with kek_%s: the database or the key is damaged", w->kid,
                     from ? from->id : "(in the clear)");
            s = -100;
            break;
        }
        if (!from)
            memcpy(sk, w->box, sizeof sk);
        if (from == c->next) {
            c->current++;
        } else {
            souk__kek_seal(c->next, w->kid, sk, box);
            s = souk_store_exec(db, "UPDATE signing_keys SET secret_key = $2, kek_id = $3 WHERE kid = $1",
                                SOUK_ARGS(SOUK_TEXT(w->kid), SOUK_BLOB(box, sizeof box), SOUK_TEXT(c->next->id)));
            c->done++;
        }
        sodium_memzero(sk, sizeof sk);
    }
    free_rows(&r);
    return s < 0 ? s : 0;
}

int souk_identity_keys_reencrypt(souk_store *db, const char *default_key_file, const char *old_key_text,
                                 int *reencrypted, int *current, char *err, size_t errlen)
{
    souk__kek old, next;
    bool created = false;
    if (souk__kek_parse(old_key_text, &old) < 0) {
        snprintf(err, errlen, "the old key must be 64 hex digits or the base64 of 32 bytes");
        return -1;
    }
    if (souk__kek_find(default_key_file, true, &next, &created, err, errlen) < 0) {
        sodium_memzero(&old, sizeof old);
        return -1;
    }
    int rc = -1;
    if (strcmp(old.id, next.id) == 0) {
        snprintf(err, errlen, "the new key-encryption key (%s) is the old one (kek_%s): give souk a new key first",
                 next.source, next.id);
        goto out;
    }
    reencrypt_ctx c = {&old, &next, 0, 0, ""};
    int s = souk_store_tx(db, reencrypt_tx, &c);
    if (s < 0) {
        snprintf(err, errlen, "%s", c.why[0] ? c.why : souk_store_errmsg(db));
        if (created) /* nothing was sealed with it: do not leave a key file the database does not match */
            unlink(default_key_file);
        goto out;
    }
    scrub(db);
    souk__kek_set_current(&next);
    souk__identity_keys_stale();
    if (created)
        souk_log_info("created the key file %s (mode 0600) with a new key-encryption key", default_key_file);
    *reencrypted = c.done;
    *current = c.current;
    rc = 0;
out:
    sodium_memzero(&old, sizeof old);
    sodium_memzero(&next, sizeof next);
    return rc;
}
