/*
 * image_codec.c — the catalog's only libvips user: checking, stripping and
 * resizing product images. Only the four loaders souk accepts may run —
 * every other libvips loader (SVG through librsvg, PDF, ImageMagick, HEIF,
 * TIFF, …) is blocked at start, so a file that claims one thing cannot be
 * handed to a delegate that interprets it — and each upload is opened with
 * the loader of the format its magic bytes name (image_check.c), never
 * through libvips' own sniffing. The header is read first (libvips loads
 * lazily): sides and pixel count are checked before a pixel is decoded.
 */
#include "catalog/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

#include "core/log.h"
#include "core/banned.h"

static pthread_once_t vips_once = PTHREAD_ONCE_INIT;
static int vips_ok;

/* libvips' warnings about a refused file (the client gets the refusal) go to the debug log */
static void quiet_vips(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
    (void)domain, (void)level, (void)data;
    souk_log(SOUK_LOG_DEBUG, NULL, NULL, NULL, "images: libvips: %s", message);
}

static void vips_start(void)
{
    if (VIPS_INIT("souk") != 0) {
        vips_ok = -1;
        return;
    }
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG,
                      quiet_vips, NULL);
    vips_block_untrusted_set(TRUE);
    vips_operation_block_set("VipsForeignLoad", TRUE);
    static const char *const allowed[] = {"VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadWebp",
                                          "VipsForeignLoadNsgif"};
    for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
        vips_operation_block_set(allowed[i], FALSE);
    vips_cache_set_max(0); /* every image is new: nothing to gain from libvips' operation cache */
    vips_concurrency_set(1);
    vips_ok = 1;
}

static int vips_ready(void)
{
    pthread_once(&vips_once, vips_start);
    return vips_ok > 0 ? 0 : -1;
}

/* ---- settings -------------------------------------------------------------- */

static souk_image_settings settings;
static pthread_once_t settings_once = PTHREAD_ONCE_INIT;
static char settings_dsn[1024];

static long long env_ll(const char *name, long long dflt, long long lo, long long hi)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || *end || x < lo || x > hi) {
        souk_log_warn("images: %s=%s is not in %lld..%lld, using %lld", name, v, lo, hi, dflt);
        return dflt;
    }
    return x;
}

static void settings_load(void)
{
    settings.max_bytes = (size_t)env_ll("SOUK_IMAGE_MAX_BYTES", 10LL << 20, 1024, 64LL << 20);
    settings.max_pixels = env_ll("SOUK_IMAGE_MAX_PIXELS", 40000000, 1, 268435456);
    const char *dir = getenv("SOUK_MEDIA_DIR");
    if (dir && *dir) {
        snprintf(settings.media_dir, sizeof settings.media_dir, "%s", dir);
        return;
    }
    const char *dsn = settings_dsn;
    if (strncmp(dsn, "postgres", 8) == 0 || !*dsn) {
        snprintf(settings.media_dir, sizeof settings.media_dir, "media");
        return;
    }
    if (strncmp(dsn, "sqlite:", 7) == 0)
        dsn += 7;
    const char *slash = strrchr(dsn, '/');
    if (!slash)
        snprintf(settings.media_dir, sizeof settings.media_dir, "media");
    else
        snprintf(settings.media_dir, sizeof settings.media_dir, "%.*s/media", (int)(slash - dsn), dsn);
}

const souk_image_settings *souk_catalog_image_settings(const char *db_dsn)
{
    if (db_dsn && !settings_dsn[0])
        snprintf(settings_dsn, sizeof settings_dsn, "%s", db_dsn);
    pthread_once(&settings_once, settings_load);
    return &settings;
}

/* ---- files ------------------------------------------------------------------ */

int souk__catalog_media_path(const souk_image_settings *s, const char *hash, int width, souk_image_format f, char *out,
                             size_t len)
{
    int n = width ? snprintf(out, len, "%s/%s-%d.%s", s->media_dir, hash, width, souk_catalog_image_ext(f))
                  : snprintf(out, len, "%s/%s.%s", s->media_dir, hash, souk_catalog_image_ext(f));
    return n > 0 && (size_t)n < len ? 0 : -1;
}

/* Writes BUF[0..N) to PATH through a temporary file and a rename, so a
 * reader never sees half a file; an existing PATH is left alone. */
static int write_file(const souk_image_settings *s, const char *path, const void *buf, size_t n)
{
    if (access(path, F_OK) == 0)
        return 0;
    if (mkdir(s->media_dir, 0755) != 0 && errno != EEXIST) {
        souk_log_error("images: cannot create %s: %s", s->media_dir, strerror(errno));
        return -1;
    }
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.%ld.%lu.tmp", path, (long)getpid(), (unsigned long)pthread_self());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        souk_log_error("images: cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    const char *p = buf;
    size_t left = n;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return -1;
        }
        p += w, left -= (size_t)w;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ---- decoding ------------------------------------------------------------------ */

/* Opens BYTES with the loader of F only; pixels are decoded on first use. */
static VipsImage *open_as(souk_image_format f, const void *bytes, size_t n)
{
    VipsImage *im = NULL;
    int r = -1;
    switch (f) {
    case SOUK_IMAGE_JPEG: r = vips_jpegload_buffer((void *)bytes, n, &im, "fail_on", VIPS_FAIL_ON_ERROR, NULL); break;
    case SOUK_IMAGE_PNG: r = vips_pngload_buffer((void *)bytes, n, &im, "fail_on", VIPS_FAIL_ON_ERROR, NULL); break;
    case SOUK_IMAGE_WEBP: r = vips_webpload_buffer((void *)bytes, n, &im, "fail_on", VIPS_FAIL_ON_ERROR, NULL); break;
    case SOUK_IMAGE_GIF: r = vips_gifload_buffer((void *)bytes, n, &im, "fail_on", VIPS_FAIL_ON_ERROR, NULL); break;
    default: break;
    }
    if (r != 0) {
        vips_error_clear();
        return NULL;
    }
    return im;
}

static int save_as(VipsImage *im, souk_image_format f, void **buf, size_t *len)
{
    int r = -1;
    switch (f) {
    case SOUK_IMAGE_JPEG:
        r = vips_jpegsave_buffer(im, buf, len, "strip", TRUE, "Q", 88, "optimize_coding", TRUE, NULL);
        break;
    case SOUK_IMAGE_PNG: r = vips_pngsave_buffer(im, buf, len, "strip", TRUE, "compression", 6, NULL); break;
    case SOUK_IMAGE_WEBP: r = vips_webpsave_buffer(im, buf, len, "strip", TRUE, "Q", 82, NULL); break;
    case SOUK_IMAGE_GIF: r = vips_gifsave_buffer(im, buf, len, "strip", TRUE, NULL); break;
    default: break;
    }
    if (r != 0)
        vips_error_clear();
    return r;
}

/* Upright (EXIF orientation applied) and in sRGB (an embedded ICC profile
 * applied), ready for its metadata to be dropped. Takes IM. */
static VipsImage *normalise(VipsImage *im)
{
    VipsImage *t = NULL;
    if (vips_autorot(im, &t, NULL) == 0) {
        g_object_unref(im);
        im = t;
    } else {
        vips_error_clear();
    }
    if (vips_image_get_typeof(im, VIPS_META_ICC_NAME)) {
        t = NULL;
        if (vips_icc_transform(im, &t, "srgb", "embedded", TRUE, NULL) == 0) {
            g_object_unref(im);
            im = t;
        } else {
            vips_error_clear();
        }
    }
    return im;
}

souk_err souk_catalog_image_prepare(const souk_image_settings *s, const unsigned char *bytes, size_t n,
                                    souk_image_format expect, souk_image_prepared *out, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    memset(out, 0, sizeof *out);
    if (n > s->max_bytes) {
        *why = "The image is larger than the upload limit.";
        return SOUK_E_PAYLOAD_TOO_LARGE;
    }
    souk_image_format f = souk_catalog_image_sniff(bytes, n, why);
    if (f == SOUK_IMAGE_NONE)
        return SOUK_E_VALIDATION;
    if (expect != SOUK_IMAGE_NONE && f != expect) {
        *why = "The image's content does not match its Content-Type.";
        return SOUK_E_UNSUPPORTED_MEDIA_TYPE;
    }
    if (vips_ready() != 0) {
        *why = "The image library could not start.";
        return SOUK_E_INTERNAL;
    }
    VipsImage *im = open_as(f, bytes, n);
    if (!im) {
        *why = "The file could not be read as an image of its type.";
        return SOUK_E_VALIDATION;
    }
    int w = vips_image_get_width(im), h = vips_image_get_height(im);
    if (w < 1 || h < 1 || w > SOUK_IMAGE_SIDE_MAX || h > SOUK_IMAGE_SIDE_MAX ||
        (int64_t)w * (int64_t)h > s->max_pixels) {
        g_object_unref(im);
        *why = "The image has too many pixels.";
        return SOUK_E_PAYLOAD_TOO_LARGE;
    }
    im = normalise(im);
    void *buf = NULL;
    size_t len = 0;
    int r = save_as(im, f, &buf, &len);
    out->width = vips_image_get_width(im), out->height = vips_image_get_height(im);
    g_object_unref(im);
    if (r != 0) {
        *why = "The image could not be decoded (damaged or truncated).";
        return SOUK_E_VALIDATION;
    }
    unsigned char digest[SOUK_IMAGE_HASH_HEX / 2];
    crypto_generichash(digest, sizeof digest, bytes, n, NULL, 0);
    sodium_bin2hex(out->hash, sizeof out->hash, digest, sizeof digest);
    out->format = f;
    char path[1100];
    r = souk__catalog_media_path(s, out->hash, 0, f, path, sizeof path) || write_file(s, path, buf, len);
    g_free(buf);
    if (r) {
        *why = "The image could not be stored.";
        return SOUK_E_INTERNAL;
    }
    return SOUK_OK;
}

/* ---- derived sizes ----------------------------------------------------------------- */

static int read_file(const char *path, size_t max, char **buf, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
        close(fd);
        return -1;
    }
    *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (*buf && got < (size_t)st.st_size) {
        ssize_t r = read(fd, *buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!*buf || got != (size_t)st.st_size) {
        free(*buf);
        *buf = NULL;
        return -1;
    }
    *len = got;
    return 0;
}

int souk__catalog_media_read(const char *path, size_t max, char **buf, size_t *len)
{
    return read_file(path, max, buf, len);
}

int souk_catalog_image_derive(const souk_image_settings *s, const char *hash, souk_image_format fmt, char *err,
                              size_t errlen)
{
    char path[1100];
    char *src = NULL;
    size_t n = 0;
    if (vips_ready() != 0) {
        snprintf(err, errlen, "libvips did not start");
        return -1;
    }
    if (souk__catalog_media_path(s, hash, 0, fmt, path, sizeof path) || read_file(path, 256u << 20, &src, &n)) {
        snprintf(err, errlen, "cannot read the stored image %s", hash);
        return -1;
    }
    VipsImage *head = open_as(fmt, src, n);
    if (!head) {
        free(src);
        snprintf(err, errlen, "the stored image %s does not load", hash);
        return -1;
    }
    int widths[SOUK_IMAGE_WIDTHS_MAX], nw = souk_catalog_image_widths(vips_image_get_width(head), widths);
    g_object_unref(head);
    /* the widest size from the stored original (shrink-on-load for JPEG), held in memory; the
     * smaller ones from it; each size saved in WebP and in the original format */
    int rc = 0;
    VipsImage *widest = NULL;
    for (int i = nw - 1; i >= 0 && rc == 0; i--) {
        const souk_image_format outs[2] = {SOUK_IMAGE_WEBP, fmt};
        int nout = fmt == SOUK_IMAGE_WEBP ? 1 : 2;
        char dst[2][1100];
        bool need = false;
        for (int k = 0; k < nout; k++) {
            if (souk__catalog_media_path(s, hash, widths[i], outs[k], dst[k], sizeof dst[k]))
                rc = -1;
            else if (access(dst[k], F_OK) != 0)
                need = true;
        }
        if (rc || (!need && widest))
            continue;
        VipsImage *t = NULL, *m = NULL;
        int r =
            widest
                ? vips_thumbnail_image(widest, &t, widths[i], "height", VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN, NULL)
                : vips_thumbnail_buffer(src, n, &t, widths[i], "height", VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN, NULL);
        if (r == 0 && !widest && (m = vips_image_copy_memory(t)) == NULL)
            r = -1;
        if (r != 0) {
            vips_error_clear();
            snprintf(err, errlen, "resizing %s to %d failed", hash, widths[i]);
            rc = -1;
        }
        for (int k = 0; k < nout && rc == 0; k++) {
            if (access(dst[k], F_OK) == 0)
                continue;
            void *buf = NULL;
            size_t len = 0;
            if (save_as(m ? m : t, outs[k], &buf, &len) != 0 || write_file(s, dst[k], buf, len) != 0) {
                snprintf(err, errlen, "writing %s failed", dst[k]);
                rc = -1;
            }
            g_free(buf);
        }
        if (t)
            g_object_unref(t);
        if (m)
            widest = m;
    }
    if (widest)
        g_object_unref(widest);
    free(src);
    return rc;
}

/* ---- generated pictures (the demo store) ------------------------------------------ */

int souk_catalog_image_generate(unsigned seed, int size, void **png, size_t *len)
{
    if (vips_ready() != 0 || size < 16 || size > 4096)
        return -1;
    /* from the seed: a diagonal gradient between two colours, and a disc of
     * a light tint somewhere near the middle */
    unsigned h = seed * 2654435761u + 0x9e3779b9u;
    h ^= h >> 15;
    double c0[3] = {40 + (h & 127), 40 + (h >> 7 & 127), 40 + (h >> 14 & 127)};
    double c1[3] = {80 + (h >> 3 & 175), 80 + (h >> 10 & 175), 80 + (h >> 17 & 175)};
    double tint[3] = {235 - (h >> 5 & 40), 235 - (h >> 12 & 40), 235 - (h >> 19 & 40)};
    double cx = size * (0.3 + (h >> 21 & 7) / 20.0), cy = size * (0.3 + (h >> 24 & 7) / 20.0);
    double radius = size * (0.18 + (h >> 27 & 7) / 70.0);
    double scale[3], zeros[3] = {0, 0, 0}, one[2] = {1, 1}, centre[2] = {-cx, -cy};
    for (int k = 0; k < 3; k++)
        scale[k] = (c1[k] - c0[k]) / size;
    void *gbuf = NULL;
    *png = NULL;
    VipsObject *scope = VIPS_OBJECT(vips_image_new());
    VipsImage **t = (VipsImage **)vips_object_local_array(scope, 12);
    int rc = vips_xyz(&t[0], size, size, NULL) || vips_bandmean(t[0], &t[1], NULL) || /* (x + y) / 2 */
             vips_linear(t[1], &t[2], scale, c0, 3, NULL) ||                          /* the gradient */
             vips_linear(t[1], &t[3], zeros, tint, 3, NULL) ||                        /* the disc's colour */
             vips_linear(t[0], &t[4], one, centre, 2, NULL) ||                        /* (x - cx, y - cy) */
             vips_multiply(t[4], t[4], &t[5], NULL) || vips_extract_band(t[5], &t[6], 0, NULL) ||
             vips_extract_band(t[5], &t[7], 1, NULL) || vips_add(t[6], t[7], &t[8], NULL) || /* d² */
             vips_relational_const1(t[8], &t[9], VIPS_OPERATION_RELATIONAL_LESS, radius * radius, NULL) ||
             vips_ifthenelse(t[9], t[3], t[2], &t[10], NULL) || vips_cast_uchar(t[10], &t[11], NULL) ||
             vips_pngsave_buffer(t[11], &gbuf, len, "compression", 1, NULL);
    if (rc)
        vips_error_clear();
    g_object_unref(scope);
    if (!rc && (*png = malloc(*len ? *len : 1)) != NULL)
        memcpy(*png, gbuf, *len);
    g_free(gbuf);
    return rc || !*png ? -1 : 0;
}
