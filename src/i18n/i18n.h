/*
 * i18n.h — languages: the store's enabled locales, the choice of a locale for
 * a request (Accept-Language and ?locale=), and translations of catalog texts
 * with their fallback to the default locale, field by field.
 *
 * The store has an ordered list of enabled locales (i18n_settings, at least
 * one; the first is the default). The catalog's own fields (products.title,
 * categories.name, ...) are the default locale's text; a translation is one
 * row of i18n_translations (kind, object, field, locale) for a non-default
 * locale. A read in locale L shows, per field, L's translation when there is
 * one and the object's own field otherwise. The catalog joins the published
 * table into its reads itself (docs/internals/ownership.md), so this header is
 * the contract of the rows as much as of the functions.
 *
 * Design: docs/internals/i18n.md. Users: docs/languages.md.
 *
 * Return convention: souk_err as catalog.h (VALIDATION with problems in PR,
 * NOT_FOUND, UNAVAILABLE from _tx functions for the caller to retry).
 */
#ifndef SOUK_I18N_H
#define SOUK_I18N_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"
#include "store/store.h"

/* ---- limits (also in the OpenAPI document) ---- */
#define SOUK_I18N_LOCALES_MAX 16  /* enabled locales per store */
#define SOUK_I18N_TAG_MAX 12      /* a tag's bytes with its NUL: ll[l][-Ssss][-RR|-999] */
#define SOUK_I18N_RANGES_MAX 32   /* Accept-Language ranges looked at; the rest are ignored */
#define SOUK_I18N_HEADER_MAX 1024 /* Accept-Language bytes looked at; the rest are ignored */
#define SOUK_I18N_RANGE_MAX 64    /* a language range longer than this is skipped */

/* ---- language tags ---------------------------------------------------- */

/* A store locale: a BCP 47 tag restricted to language[-script][-region]
 * (2–3 letters, 4 letters, 2 letters or 3 digits): "en", "fr-CA",
 * "zh-Hant-TW". Writes S (LEN bytes) in canonical case (language lower,
 * script title, region upper) into OUT. 0, or -1 when S is no such tag. */
int souk_i18n_tag_canon(const char *s, size_t len, char out[SOUK_I18N_TAG_MAX]);

/* One language range of an Accept-Language header. */
typedef struct souk_i18n_range {
    char tag[SOUK_I18N_RANGE_MAX + 1]; /* as sent, lower case; "*" for the wildcard */
    int q;                             /* quality in thousandths, 1..1000 (q=0 ranges are dropped) */
} souk_i18n_range;

/* Parses an Accept-Language value (RFC 9110 §12.5.4): comma-separated
 * language ranges (RFC 4647 §2.1) with optional ";q=" weights. Bounded: only
 * the first SOUK_I18N_HEADER_MAX bytes and the first MAX (at most
 * SOUK_I18N_RANGES_MAX) well-formed ranges count; a malformed element (bad
 * range, bad q-value, unknown parameter) is skipped, never an error, as is a
 * range with q=0. Writes the ranges into OUT by quality, highest first, equal
 * qualities in the order sent. Returns how many. */
size_t souk_i18n_accept_parse(const char *value, size_t len, souk_i18n_range *out, size_t max);

/* The store's enabled locales, default first. */
typedef struct souk_i18n_locales {
    size_t n; /* 1..SOUK_I18N_LOCALES_MAX */
    char tags[SOUK_I18N_LOCALES_MAX][SOUK_I18N_TAG_MAX];
} souk_i18n_locales;

/* RFC 4647 §3.4 lookup of one range among L: the first locale equal to the
 * range (case-insensitive), else to the range truncated subtag by subtag from
 * the end (a single-letter subtag left at the end goes with the next one).
 * The index in L, or -1. The wildcard matches nothing here. */
int souk_i18n_lookup_range(const souk_i18n_locales *L, const char *range, size_t len);

/* The locale for an Accept-Language value (NULL or "" = none): the lookup of
 * each range in turn, by quality; "*" or no match gives the default (index
 * 0). Returns the index in L. */
int souk_i18n_negotiate(const souk_i18n_locales *L, const char *accept, size_t len);

/* ---- the enabled locales ---------------------------------------------- */

/* Reads the enabled locales into *OUT. */
souk_err souk_i18n_locales_read(souk_store *db, souk_i18n_locales *out);

/* Decodes {"locales":[tag, ...]} (1..SOUK_I18N_LOCALES_MAX distinct tags,
 * canonicalised) into *OUT. 0, or -1 with problems in PR. */
int souk_i18n_locales_decode(const json_t *body, souk_i18n_locales *out, souk_arena *a, souk_problems *pr);

/* Replaces the enabled locales inside the caller's transaction, and moves
 * the content version (cached catalog answers go). Translations of a locale
 * dropped from the list are kept, and served again if it comes back. */
souk_err souk_i18n_locales_write_tx(souk_store *db, const souk_i18n_locales *l, int64_t now);

/* {"locales":[...],"default":tag} of L (a new reference). */
json_t *souk_i18n_locales_json(const souk_i18n_locales *l);

/* The enabled locales as this thread last read them from DB while the
 * response cache's content generation was GENERATION; read again when it has
 * moved (a settings write moves it). Never NULL: when the read fails, the
 * last list read (or the default "en"). Thread-local; valid until this
 * thread's next call. */
const souk_i18n_locales *souk_i18n_locales_current(souk_store *db, uint64_t generation);

/* The HTTP server's hook (http.h souk_locale_hook): picks the locale of a
 * request from QUERY_LOCALE (the raw value of ?locale=, NULL when absent)
 * and ACCEPT (the Accept-Language value, NULL when absent). *LOCALE gets the
 * tag (arena copy) and *IS_DEFAULT whether it is the default. 0, or -1 when
 * ?locale= names no enabled locale (the server answers 400 with *WHY). */
int souk_i18n_http_locale(souk_store *db, uint64_t generation, const char *query_locale, size_t qlen,
                          const char *accept, size_t alen, souk_arena *a, const char **locale, bool *is_default,
                          const char **why);

/* ---- translations ----------------------------------------------------- */

typedef enum {
    SOUK_I18N_PRODUCT,
    SOUK_I18N_CATEGORY,
    SOUK_I18N_BRAND,
    SOUK_I18N_SHIPPING_METHOD,
    SOUK_I18N_KIND_COUNT
} souk_i18n_kind;

/* "product", "category", "brand", "shipping_method" (the value of
 * i18n_translations.kind). */
const char *souk_i18n_kind_name(souk_i18n_kind kind);

/* The kind named by the route segment NAME ("products", "categories",
 * "brands", "shipping-methods"), or -1. */
int souk_i18n_kind_parse(const char *name);

/* The prefix of the object ids of KIND (core/id.h). */
const char *souk_i18n_kind_prefix(souk_i18n_kind kind);

/* Whether object ID of KIND exists: SOUK_OK or NOT_FOUND (or a db error). */
souk_err souk_i18n_object_exists(souk_store *db, souk_i18n_kind kind, int64_t id);

/* One field to set: VALUE NULL removes the translation (the field falls back). */
typedef struct souk_i18n_field {
    const char *field; /* "title", "description", "name", "attr:<name>" */
    const char *value;
} souk_i18n_field;

#define SOUK_I18N_FIELDS_MAX 64

/* Decodes a translation body for KIND — product: {"title","description",
 * "attributes":{name:value|null}}, category, brand and shipping method:
 * {"name"}; a member
 * null removes that translation, an absent one is kept — into OUT (at most
 * SOUK_I18N_FIELDS_MAX), strings in A. 0, or -1 with problems in PR. */
int souk_i18n_fields_decode(souk_i18n_kind kind, const json_t *body, souk_i18n_field *out, size_t *n, souk_arena *a,
                            souk_problems *pr);

/* Sets the N fields of object ID of KIND in LOCALE inside the caller's
 * transaction and moves the content version. */
souk_err souk_i18n_set_tx(souk_store *db, souk_i18n_kind kind, int64_t id, const char *locale,
                          const souk_i18n_field *fields, size_t n, int64_t now);

/* Removes every translation of object ID of KIND in LOCALE (NULL: in every
 * locale) inside the caller's transaction; moves the content version. *N
 * gets how many rows went (may be NULL). */
souk_err souk_i18n_delete_tx(souk_store *db, souk_i18n_kind kind, int64_t id, const char *locale, int64_t *n);

/* The translations of object ID of KIND: {"<locale>":{"title":..,
 * "attributes":{..}}, ...} into *OUT (a new reference), in the body's shape. */
souk_err souk_i18n_translations_json(souk_store *db, souk_i18n_kind kind, int64_t id, json_t **out);

/* FIELD of object ID of KIND in LOCALE: its translation (arena copy) or
 * FALLBACK when there is none (or LOCALE is NULL). For the few texts read one
 * by one (e-mails); lists join i18n_translations instead. */
const char *souk_i18n_text(souk_store *db, souk_i18n_kind kind, int64_t id, const char *field, const char *locale,
                           const char *fallback, souk_arena *a);

#endif
