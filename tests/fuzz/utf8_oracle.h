/*
 * utf8_oracle.h — an independent UTF-8 validator shared by the fuzz drivers,
 * written separately from src/ so that the drivers do not check souk's code
 * against itself.
 */
#ifndef SOUK_FUZZ_UTF8_ORACLE_H
#define SOUK_FUZZ_UTF8_ORACLE_H

#include <stddef.h>
#include <stdint.h>

/* Code points in S[0..len) when it is valid UTF-8 without NUL, else -1. */
static long utf8_chars(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    long n = 0;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        size_t extra;
        uint32_t cp;
        if (c == 0)
            return -1;
        if (c < 0x80) {
            i++;
            n++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return -1;
        }
        if (len - i <= extra)
            return -1;
        for (size_t k = 1; k <= extra; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return -1;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return -1;
        i += extra + 1;
        n++;
    }
    return n;
}

#endif
