/*
 * embed.h — files compiled into the binary by tools/embed (migrations, the
 * OpenAPI document). Each array is sorted as the Makefile lists the files.
 */
#ifndef SOUK_EMBED_H
#define SOUK_EMBED_H

#include <stddef.h>

typedef struct souk_embedded_file {
    const char *name;          /* basename, e.g. "0001_catalog.sql" */
    const unsigned char *data; /* contents, NUL-terminated */
    size_t len;                /* bytes, excluding the terminator */
} souk_embedded_file;

extern const souk_embedded_file souk_migrations_sqlite[];
extern const size_t souk_migrations_sqlite_count;
extern const souk_embedded_file souk_assets[];
extern const size_t souk_assets_count;

/* The embedded file NAME from ASSETS (COUNT entries), or NULL. */
const souk_embedded_file *souk_embed_find(const souk_embedded_file *files, size_t count, const char *name);

#endif
