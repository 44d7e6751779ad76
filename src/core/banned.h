/*
 * banned.h — unsafe C library calls made compile errors (after git's banned.h).
 * Included last by every souk .c file through core/common.h. Use memcpy with
 * explicit lengths, snprintf, or souk_buf instead.
 */
#ifndef SOUK_BANNED_H
#define SOUK_BANNED_H

#define SOUK_BANNED(func) sorry_##func##_is_banned_in_souk

#undef strcpy
#define strcpy(x, y) SOUK_BANNED(strcpy)
#undef strcat
#define strcat(x, y) SOUK_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) SOUK_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) SOUK_BANNED(strncat)
#undef sprintf
#define sprintf(...) SOUK_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) SOUK_BANNED(vsprintf)
#undef gets
#define gets(x) SOUK_BANNED(gets)
#undef strtok
#define strtok(x, y) SOUK_BANNED(strtok)

#endif
