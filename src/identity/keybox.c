/*
 * keybox.c — the key-encryption key (KEK) that seals the private halves of
 * the token-signing keys, and the sealing itself (identity.h describes
 * where the KEK comes from).
 *
 * A box is nonce (24 random bytes) || XChaCha20-Poly1305 ciphertext of the
 * 64-byte Ed25519 secret key || tag, with the key id as associated data, so
 * a box copied onto another row does not open. A KEK's id is the first 8
 * bytes of BLAKE2b keyed with the KEK over a fixed context: it names the KEK
 * in the database and in messages without revealing it.
 *
 * The default key file is made the way a serious tool makes a secret file:
 * written in full to a temporary file created with mode 0600, synced, then
 * linked to its name — link() fails when the name exists, so of two
 * processes starting together on a new database one makes the file and the
 * other reads it, never a half-written one. A key file that others may read
 * is refused (PostgreSQL's rule for its key files: no group or other
 * access, or 0640 when root owns it).
 */
#include "identity/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/banned.h"

#define KEY_TEXT_MAX 1024
static const char id_context[] = "souk key-encryption key id v1";

static struct {
    pthread_mutex_t lock;
    souk__kek kek;
    bool set;
} current = {PTHREAD_MUTEX_INITIALIZER, {{0}, "", ""}, false};

const souk__kek *souk__kek_current(void)
{
    /* set once at start, before any thread that signs exists */
    return current.set ? &current.kek : NULL;
}

void souk__kek_set_current(const souk__kek *k)
{
    pthread_mutex_lock(&current.lock);
    if (k) {
        current.kek = *k;
        sodium_mlock(current.kek.key, sizeof current.kek.key);
    } else {
        sodium_memzero(&current.kek, sizeof current.kek);
    }
    current.set = k != NULL;
    pthread_mutex_unlock(&current.lock);
}

static void set_id(souk__kek *k)
{
    unsigned char id[SOUK_KEK_ID_HEX / 2];
    crypto_generichash(id, sizeof id, (const unsigned char *)id_context, sizeof id_context - 1, k->key, sizeof k->key);
    sodium_bin2hex(k->id, sizeof k->id, id, sizeof id);
}

int souk__kek_parse(const char *text, souk__kek *out)
{
    if (!text)
        return -1;
    while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
        text++;
    size_t n = strlen(text);
    while (n && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == '\n' || text[n - 1] == '\r'))
        n--;
    if (n == 0 || n > 100)
        return -1;
    size_t len = 0;
    int ok = -1;
    if (n == 64)
        ok = sodium_hex2bin(out->key, sizeof out->key, text, n, NULL, &len, NULL) == 0 && len == 32 ? 0 : -1;
    static const int variants[] = {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
                                   sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING};
    for (size_t i = 0; ok < 0 && n != 64 && i < sizeof variants / sizeof variants[0]; i++) {
        const char *end = NULL;
        if (sodium_base642bin(out->key, sizeof out->key, text, n, NULL, &len, &end, variants[i]) == 0 && len == 32 &&
            end == text + n)
            ok = 0;
    }
    if (ok < 0) {
        sodium_memzero(out->key, sizeof out->key);
        return -1;
    }
    set_id(out);
    return 0;
}

/* The mode of an existing key file is acceptable: 0, or -1 with the reason. */
static int check_mode(const char *path, const struct stat *st, char *err, size_t errlen)
{
    mode_t mode = st->st_mode & 0777;
    bool ok = (mode & 0077) == 0 || (st->st_uid == 0 && (mode & 0037) == 0);
    if (!S_ISREG(st->st_mode)) {
        snprintf(err, errlen, "key file %s is not a regular file", path);
        return -1;
    }
    if (!ok) {
        snprintf(err, errlen, "key file %s may be read or changed by others (mode %04o): chmod 600 %s", path,
                 (unsigned)mode, path);
        return -1;
    }
    return 0;
}

/* Reads the KEK in file PATH: 0, 1 when the file does not exist, -1 with the reason. */
static int read_file(const char *path, const char *what, souk__kek *out, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return 1;
        snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
        return -1;
    }
    struct stat st;
    char text[KEY_TEXT_MAX + 1];
    ssize_t n = -1;
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
    } else if (check_mode(path, &st, err, errlen) == 0) {
        n = read(fd, text, KEY_TEXT_MAX);
        if (n < 0)
            snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
    }
    close(fd);
    if (n < 0)
        return -1;
    text[n] = '\0';
    int r = souk__kek_parse(text, out);
    sodium_memzero(text, sizeof text);
    if (r < 0) {
        snprintf(err, errlen, "%s %s does not hold a key: it must hold 64 hex digits or the base64 of 32 bytes", what,
                 path);
        return -1;
    }
    snprintf(out->source, sizeof out->source, "%s %s", what, path);
    return 0;
}

/* Makes the default key file PATH with a new random KEK (or reads the one
 * another process made at the same moment): 0, or -1 with the reason. */
static int create_file(const char *path, souk__kek *out, bool *created, char *err, size_t errlen)
{
    char tmp[1100], text[66];
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(text, sizeof text - 1, raw, sizeof raw);
    text[64] = '\n';
    text[65] = '\0';
    snprintf(tmp, sizeof tmp, "%s.%ld.%08x.tmp", path, (long)getpid(), (unsigned)randombytes_random());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    int r = fd < 0 ? -1 : 0;
    if (r == 0 && (write(fd, text, 65) != 65 || fsync(fd) != 0))
        r = -1;
    int saved = errno;
    if (fd >= 0)
        close(fd);
    if (r == 0 && link(tmp, path) != 0) {
        saved = errno;
        r = saved == EEXIST ? 1 : -1;
    }
    if (fd >= 0)
        unlink(tmp);
    if (r < 0) {
        snprintf(err, errlen, "cannot create the key file %s: %s", path, strerror(saved));
    } else if (r == 1) { /* another process was first: use its key */
        r = read_file(path, "key file", out, err, errlen) == 0 ? 0 : -1;
        *created = false;
    } else {
        /* the directory entry too, so the file survives a crash with the database */
        char dir[1100];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash)
            *(slash == dir ? slash + 1 : slash) = '\0';
        int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        memcpy(out->key, raw, sizeof raw);
        set_id(out);
        snprintf(out->source, sizeof out->source, "key file %s", path);
        *created = true;
    }
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(text, sizeof text);
    return r;
}

int souk__kek_find(const char *default_file, bool allow_create, souk__kek *out, bool *created, char *err, size_t errlen)
{
    *created = false;
    memset(out, 0, sizeof *out);
    const char *env = getenv("SOUK_KEY_ENCRYPTION_KEY");
    if (env && *env) {
        if (souk__kek_parse(env, out) < 0) {
            snprintf(err, errlen,
                     "SOUK_KEY_ENCRYPTION_KEY must be 64 hex digits or the base64 of 32 bytes "
                     "(make one with: openssl rand -hex 32)");
            return -1;
        }
        snprintf(out->source, sizeof out->source, "SOUK_KEY_ENCRYPTION_KEY");
        return 0;
    }
    const char *file = getenv("SOUK_KEY_FILE");
    if (file && *file) {
        int r = read_file(file, "SOUK_KEY_FILE", out, err, errlen);
        if (r == 1)
            snprintf(err, errlen,
                     "SOUK_KEY_FILE %s does not exist (make one with: "
                     "(umask 077; openssl rand -hex 32 > %s))",
                     file, file);
        return r == 0 ? 0 : -1;
    }
    if (!default_file || !*default_file) {
        snprintf(err, errlen,
                 "the database is not a file, so there is no default key file: set "
                 "SOUK_KEY_ENCRYPTION_KEY or SOUK_KEY_FILE (the key that encrypts the signing keys)");
        return -1;
    }
    int r = read_file(default_file, "key file", out, err, errlen);
    if (r != 1)
        return r;
    if (!allow_create) {
        snprintf(err, errlen, "the key file %s is missing", default_file);
        return -1;
    }
    return create_file(default_file, out, created, err, errlen);
}

void souk__kek_seal(const souk__kek *k, const char *kid, const unsigned char *sk, unsigned char *box)
{
    unsigned char *nonce = box;
    randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt(box + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, NULL, sk,
                                               crypto_sign_SECRETKEYBYTES, (const unsigned char *)kid, strlen(kid),
                                               NULL, nonce, k->key);
}

int souk__kek_open(const souk__kek *k, const char *kid, const void *box, size_t len, unsigned char *sk)
{
    if (len != SOUK_KEYBOX_LEN)
        return -1;
    const unsigned char *b = box;
    return crypto_aead_xchacha20poly1305_ietf_decrypt(sk, NULL, NULL, b + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                                      len - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                                      (const unsigned char *)kid, strlen(kid), b, k->key) == 0
               ? 0
               : -1;
}
