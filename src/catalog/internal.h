/* internal.h — shared by the catalog's .c files only (souk__catalog_ prefix). */
#ifndef SOUK_CATALOG_INTERNAL_H
#define SOUK_CATALOG_INTERNAL_H

#include "catalog/catalog.h"

/* Cursor for the row after which the next page starts (filter.c). */
char *souk__catalog_cursor(souk_catalog_sort sort, int64_t id, int64_t key, const char *text, souk_arena *a);

/* json string of a typed id */
json_t *souk__catalog_id(const char *prefix, int64_t id);

/* json string of an RFC 3339 time */
json_t *souk__catalog_time(int64_t us);

/* {"id","slug","name"} for a brand/vendor/category id, or json null. */
json_t *souk__catalog_ref(souk_store *db, souk_taxon_kind kind, int64_t id);

/* Table name of a taxon kind. */
const char *souk__catalog_taxon_table(souk_taxon_kind kind);

/* API id prefix of a taxon kind. */
const char *souk__catalog_taxon_prefix(souk_taxon_kind kind);

/* Resolves a taxon given as typed id or slug. 1 found, 0 not, <0 db error. */
int souk__catalog_resolve(souk_store *db, souk_taxon_kind kind, const char *id_or_slug, int64_t *id);

/* Runs SQL with either one integer parameter ($1 = ID, TEXT NULL) or a text
 * parameter and an integer ($1 = TEXT, $2 = ID). 1 when a row comes back,
 * 0 when none, or a negative souk_db_status. */
int souk__catalog_row_exists(souk_store *db, const char *sql, const char *text, int64_t id);

/* Writes into OUT (OUTLEN ≥ SOUK_CATALOG_SLUG_MAX + 1) a slug derived from
 * BASE that SQL ($1 slug, $2 id to exclude = 0) does not find: "mug",
 * "mug-2", ... Returns 0 or a negative souk_db_status. */
int souk__catalog_derive_slug(souk_store *db, const char *sql, const char *base, char *out, size_t outlen);

/* "SELECT slug, name FROM <table> WHERE id = $1", indexed by souk_taxon_kind. */
extern const char *const souk__catalog_ref_sql[3];

/* Maps a souk_db_status to SOUK_E_INTERNAL (negative) or SOUK_OK. */
static inline souk_err souk__catalog_dberr(int r)
{
    return r < 0 ? SOUK_E_INTERNAL : SOUK_OK;
}

#endif
