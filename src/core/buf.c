/* buf.c — see buf.h. Growth doubles, capped by max. */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

void souk_buf_init(souk_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
    b->failed = false;
}

void souk_buf_release(souk_buf *b)
{
    free(b->data);
    souk_buf_init(b, b->max);
}

void souk_buf_reset(souk_buf *b)
{
    b->len = 0;
    b->failed = false;
    if (b->data)
        b->data[0] = '\0';
}

static int grow(souk_buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (extra > b->max || b->len > b->max - extra) {
        b->failed = true;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int souk_buf_add(souk_buf *b, const void *data, size_t len)
{
    if (grow(b, len) < 0)
        return -1;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int souk_buf_adds(souk_buf *b, const char *s)
{
    return souk_buf_add(b, s, strlen(s));
}

int souk_buf_addc(souk_buf *b, char c)
{
    return souk_buf_add(b, &c, 1);
}

int souk_buf_printf(souk_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || grow(b, (size_t)n) < 0) {
        b->failed = true;
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int souk_buf_add_json_string(souk_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (souk_buf_addc(b, '"') < 0)
        return -1;
    size_t run = 0; /* start of the current run of plain bytes */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[6];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                u[0] = '\\';
                u[1] = 'u';
                u[2] = '0';
                u[3] = '0';
                u[4] = hex[c >> 4];
                u[5] = hex[c & 15];
                souk_buf_add(b, s + run, i - run);
                souk_buf_add(b, u, 6);
                run = i + 1;
            }
            continue;
        }
        souk_buf_add(b, s + run, i - run);
        souk_buf_adds(b, esc);
        run = i + 1;
    }
    souk_buf_add(b, s + run, len - run);
    return souk_buf_addc(b, '"');
}
