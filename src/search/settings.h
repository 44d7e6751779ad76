/*
 * settings.h — search settings an admin changes at run time, kept in the
 * database (search_settings, migration 0091) so they survive a restart:
 *
 *   "synonyms"  a JSON array of rules, one each ("tv, television, telly",
 *               "hoodie => sweatshirt"; query.h, souk_search_synonyms_parse)
 *   "weights"   a JSON object of every ranking weight (query.h,
 *               souk_search_weights): {field:{sku,title,brand,category,
 *               attributes,vendor,description}, b:{…the same}, k1,
 *               popularity, in_stock, prefix, typo1, typo2, synonym,
 *               concat, sku_exact}
 *
 * Without a row the built-in defaults hold (no synonyms;
 * souk_search_weights_default). A write touches the store version
 * SOUK_SEARCH_SETTINGS_VERSION; the served index (service.c) polls it with
 * the catalog's versions, so a change is applied by the next rebuild,
 * within about a second.
 */
#ifndef SOUK_SEARCH_SETTINGS_H
#define SOUK_SEARCH_SETTINGS_H

#include <jansson.h>
#include <stdbool.h>

#include "core/arena.h"
#include "core/err.h"
#include "search/query.h"
#include "store/store.h"

#define SOUK_SEARCH_SETTINGS_VERSION "search_settings" /* the store version a settings write touches */
#define SOUK_SEARCH_SYNONYM_RULES_MAX 10000            /* rules (as the parser's own limit) */
#define SOUK_SEARCH_SYNONYM_RULE_MAX 1000              /* characters of one rule */

/* Decodes the weights object OBJ into *W: every member given replaces the
 * default, every one left out keeps it (souk_search_weights_default).
 * Unknown members, values that are not numbers or out of their range
 * (field 0..100, b 0..1, k1 0.01..10, popularity and in_stock 0..10, the
 * match kinds 0..1, sku_exact 0..1e9) are problems in PR under PATH.NAME
 * (PR may be NULL: then only the result says so). 0, or -1. */
int souk_search_weights_decode(const json_t *obj, const char *path, souk_search_weights *w, souk_arena *a,
                               souk_problems *pr);

/* W as a JSON object of every weight (a new reference), NULL on memory. */
json_t *souk_search_weights_encode(const souk_search_weights *w);

/* Reads setting NAME ("synonyms" or "weights") of DB as parsed JSON into
 * *OUT (a new reference). SOUK_DB_ROW (found), SOUK_DB_DONE (none: *OUT
 * NULL) or an error class (also when the stored text does not parse). */
int souk_search_settings_get(souk_store *db, const char *name, json_t **out);

/* Stores VALUE as setting NAME and touches SOUK_SEARCH_SETTINGS_VERSION,
 * inside the caller's write transaction. SOUK_DB_DONE or an error class. */
int souk_search_settings_put(souk_store *db, const char *name, const json_t *value);

/* Joins the rule strings of the JSON array RULES into one text, a rule a
 * line, for souk_search_synonyms_parse; malloc'd (the caller frees), *LEN
 * its length; NULL on memory, or when an item is not a string. */
char *souk_search_settings_rules_text(const json_t *rules, size_t *len);

/* What the served index applies: the stored weights (or the defaults, and
 * *HAS_WEIGHTS false) into *W, and the stored synonym rules parsed with T
 * into *SYNONYMS (NULL when none; the caller owns it). 0, or -1 with a
 * message in ERR (a database failure, or a stored value that no longer
 * parses; nothing is returned then). */
int souk_search_settings_load(souk_store *db, souk_search_text *t, souk_search_weights *w, bool *has_weights,
                              souk_search_synonyms **synonyms, char *err, size_t errlen);

#endif
