/*
 * libFuzzer driver for the storefront's form bodies: souk_web_form_parse
 * (src/web/form.c).
 *
 * The whole input is a body. On success the driver checks every field
 * (count <= 32, keys [a-z0-9_]{1,32}, values NUL-free, of their stated
 * length, at most 2048 bytes, valid UTF-8 without C0 controls but tab, LF,
 * CR) and a round trip: percent-encoding every decoded byte and parsing
 * again gives the same fields. On failure the reason is set and no field
 * is left. The escaping writer (src/web/html.c) then gets every value: its
 * output never holds a raw < > " ' or an & that starts no reference.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "utf8_oracle.h"
#include "web/form.h"
#include "web/html.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            abort();                                                                                                   \
    } while (0)

static size_t pct(char *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        out[3 * i] = '%';
        out[3 * i + 1] = hex[c >> 4];
        out[3 * i + 2] = hex[c & 15];
    }
    return 3 * len;
}

static void check_escaped(const char *v, size_t n)
{
    souk_buf b;
    souk_buf_init(&b, 1u << 20);
    souk_html_textn(&b, v, n);
    CHECK(!souk_buf_failed(&b));
    const char *s = b.data ? b.data : "";
    for (size_t i = 0; i < b.len; i++) {
        CHECK(s[i] != '<' && s[i] != '>' && s[i] != '"' && s[i] != '\'' && s[i] != '\0');
        if (s[i] == '&')
            CHECK(strncmp(s + i, "&amp;", 5) == 0 || strncmp(s + i, "&lt;", 4) == 0 || strncmp(s + i, "&gt;", 4) == 0 ||
                  strncmp(s + i, "&quot;", 6) == 0 || strncmp(s + i, "&#39;", 5) == 0);
    }
    CHECK(utf8_chars(s, b.len) >= 0);
    souk_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    souk_arena a;
    souk_arena_init(&a, 0, 1 << 20);
    souk_web_form f;
    const char *err = NULL;
    int rc = souk_web_form_parse(&f, (const char *)data, size, &a, &err);
    CHECK(rc == 0 || rc == -1);
    if (rc < 0) {
        CHECK(err && err[0] && f.count == 0);
    } else {
        CHECK(f.count <= SOUK_WEB_FORM_MAX_FIELDS);
        size_t cap = 0;
        for (size_t i = 0; i < f.count; i++) {
            const souk_web_field *x = &f.items[i];
            size_t kl = strlen(x->key);
            CHECK(kl >= 1 && kl <= SOUK_WEB_FORM_KEY_MAX);
            for (size_t k = 0; k < kl; k++)
                CHECK((x->key[k] >= 'a' && x->key[k] <= 'z') || (x->key[k] >= '0' && x->key[k] <= '9') ||
                      x->key[k] == '_');
            CHECK(strlen(x->value) == x->value_len && x->value_len <= SOUK_WEB_FORM_VALUE_MAX);
            CHECK(utf8_chars(x->value, x->value_len) >= 0);
            for (size_t k = 0; k < x->value_len; k++) {
                unsigned char c = (unsigned char)x->value[k];
                CHECK(c >= 0x20 || c == '\t' || c == '\n' || c == '\r');
                CHECK(c != 0x7f);
            }
            CHECK(souk_web_form_get(&f, x->key) != NULL);
            check_escaped(x->value, x->value_len);
            cap += 3 * (kl + x->value_len) + 2;
        }
        if (cap <= SOUK_WEB_FORM_MAX_LEN) { /* round trip, fully escaped */
            char *buf = malloc(cap + 1);
            CHECK(buf);
            size_t n = 0;
            for (size_t i = 0; i < f.count; i++) {
                if (i)
                    buf[n++] = '&';
                memcpy(buf + n, f.items[i].key, strlen(f.items[i].key));
                n += strlen(f.items[i].key);
                buf[n++] = '=';
                n += pct(buf + n, f.items[i].value, f.items[i].value_len);
            }
            souk_web_form g;
            CHECK(souk_web_form_parse(&g, buf, n, &a, &err) == 0);
            CHECK(g.count == f.count);
            for (size_t i = 0; i < f.count; i++) {
                CHECK(strcmp(g.items[i].key, f.items[i].key) == 0);
                CHECK(g.items[i].value_len == f.items[i].value_len);
                CHECK(memcmp(g.items[i].value, f.items[i].value, f.items[i].value_len) == 0);
            }
            free(buf);
        }
    }
    /* the writer on the raw input, valid or not */
    check_escaped((const char *)data, size);
    souk_arena_release(&a);
    return 0;
}
