/*
 * libFuzzer driver for the multipart/form-data parser (src/core/multipart.c):
 * souk_multipart_boundary and souk_multipart_parse.
 *
 * The input is a Content-Type value, a line feed, and a body. The value goes
 * to souk_multipart_boundary (a boundary it gives is 1–70 RFC 2046
 * characters, not ending in a space); the body is parsed with that boundary
 * when there is one, and always with "XyZ" (the corpus's). On failure the
 * status is one of the three and a reason is set, no part is left. On
 * success: 1 ≤ count ≤ the part limit, every name non-empty and unique,
 * names and file names at most 200 bytes of text without controls, types at
 * most 127 bytes, each part's data inside the body, after the one before it,
 * never holding the delimiter; and a round trip: the parts written out
 * again as a body parse to the same parts.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/multipart.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

static const souk_multipart_limits LIMITS = {6, 1024, 1u << 20};

static void check_text(const char *s, size_t max)
{
    CHECK(s);
    size_t n = strlen(s);
    CHECK(n <= max);
    for (size_t i = 0; i < n; i++)
        CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

/* A quoted string of S into B (backslash before " and \). */
static void quoted(souk_buf *b, const char *s)
{
    souk_buf_add(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            souk_buf_add(b, "\\", 1);
        souk_buf_add(b, s, 1);
    }
    souk_buf_add(b, "\"", 1);
}

static void check_parts(const souk_multipart *m, const char *boundary, const unsigned char *body, size_t len)
{
    CHECK(m->count >= 1 && m->count <= LIMITS.max_parts);
    size_t bl = strlen(boundary);
    const unsigned char *after = body;
    for (size_t i = 0; i < m->count; i++) {
        const souk_multipart_part *p = &m->parts[i];
        check_text(p->name, SOUK_MULTIPART_NAME_MAX);
        CHECK(p->name[0]);
        if (p->filename)
            check_text(p->filename, SOUK_MULTIPART_NAME_MAX);
        if (p->content_type)
            CHECK(strlen(p->content_type) >= 1 && strlen(p->content_type) <= SOUK_MULTIPART_TYPE_MAX);
        CHECK(p->data >= after && p->data + p->len <= body + len);
        after = p->data + p->len;
        for (size_t k = 0; k + bl + 4 <= p->len; k++) /* no delimiter inside */
            CHECK(!(p->data[k] == '\r' && p->data[k + 1] == '\n' && p->data[k + 2] == '-' && p->data[k + 3] == '-' &&
                    memcmp(p->data + k + 4, boundary, bl) == 0));
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(m->parts[j].name, p->name) != 0);
        CHECK(souk_multipart_get(m, p->name) == p);
    }
}

static void round_trip(const souk_multipart *m, const char *boundary, souk_arena *a)
{
    souk_buf b;
    souk_buf_init(&b, 4u << 20);
    for (size_t i = 0; i < m->count; i++) {
        const souk_multipart_part *p = &m->parts[i];
        souk_buf_add(&b, "--", 2);
        souk_buf_add(&b, boundary, strlen(boundary));
        souk_buf_add(&b, "\r\nContent-Disposition: form-data; name=", 39);
        quoted(&b, p->name);
        if (p->filename) {
            souk_buf_add(&b, "; filename=", 11);
            quoted(&b, p->filename);
        }
        if (p->content_type) {
            souk_buf_add(&b, "\r\nContent-Type: ", 16);
            souk_buf_add(&b, p->content_type, strlen(p->content_type));
        }
        souk_buf_add(&b, "\r\n\r\n", 4);
        souk_buf_add(&b, (const char *)p->data, p->len);
        souk_buf_add(&b, "\r\n", 2);
    }
    souk_buf_add(&b, "--", 2);
    souk_buf_add(&b, boundary, strlen(boundary));
    souk_buf_add(&b, "--", 2);
    CHECK(!souk_buf_failed(&b));
    if (b.len > LIMITS.max_total) { /* escaping made it longer than the limit */
        souk_buf_release(&b);
        return;
    }
    souk_multipart again;
    const char *why = NULL;
    int rc = souk_multipart_parse(&again, boundary, (const unsigned char *)b.data, b.len, &LIMITS, a, &why);
    CHECK(rc == SOUK_MULTIPART_OK);
    CHECK(again.count == m->count);
    for (size_t i = 0; i < m->count; i++) {
        const souk_multipart_part *x = &m->parts[i], *y = &again.parts[i];
        CHECK(strcmp(x->name, y->name) == 0);
        CHECK((x->filename == NULL) == (y->filename == NULL));
        CHECK(!x->filename || strcmp(x->filename, y->filename) == 0);
        CHECK((x->content_type == NULL) == (y->content_type == NULL));
        CHECK(!x->content_type || strcmp(x->content_type, y->content_type) == 0);
        CHECK(x->len == y->len && memcmp(x->data, y->data, x->len) == 0);
    }
    souk_buf_release(&b);
}

static void one(const char *boundary, const unsigned char *body, size_t len, souk_arena *a)
{
    souk_multipart m;
    const char *why = NULL;
    int rc = souk_multipart_parse(&m, boundary, body, len, &LIMITS, a, &why);
    if (rc != SOUK_MULTIPART_OK) {
        CHECK(rc == SOUK_MULTIPART_E_MALFORMED || rc == SOUK_MULTIPART_E_TOO_LARGE || rc == SOUK_MULTIPART_E_MEMORY);
        CHECK(why && why[0] && m.count == 0 && m.parts == NULL);
        return;
    }
    check_parts(&m, boundary, body, len);
    round_trip(&m, boundary, a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size < 512 ? size : 512);
    size_t ctl = nl ? (size_t)(nl - data) : 0;
    const unsigned char *body = nl ? nl + 1 : data;
    size_t len = nl ? size - ctl - 1 : size;
    char ct[513];
    memcpy(ct, data, ctl);
    ct[ctl] = '\0';
    souk_arena a;
    souk_arena_init(&a, 0, 8u << 20);
    char boundary[SOUK_MULTIPART_BOUNDARY_MAX + 1];
    const char *why = NULL;
    int b = nl && !memchr(data, '\0', ctl) ? souk_multipart_boundary(ct, boundary, &why) : 0;
    CHECK(b == 1 || b == 0 || b == SOUK_MULTIPART_E_MALFORMED);
    if (b < 0)
        CHECK(why && why[0]);
    if (b == 1) {
        size_t bl = strlen(boundary);
        CHECK(bl >= 1 && bl <= SOUK_MULTIPART_BOUNDARY_MAX && boundary[bl - 1] != ' ');
        for (size_t i = 0; i < bl; i++)
            CHECK((boundary[i] >= '0' && boundary[i] <= '9') || (boundary[i] >= 'a' && boundary[i] <= 'z') ||
                  (boundary[i] >= 'A' && boundary[i] <= 'Z') || strchr("'()+_,-./:=? ", boundary[i]));
        one(boundary, body, len, &a);
    }
    one("XyZ", body, len, &a);
    souk_arena_release(&a);
    return 0;
}
