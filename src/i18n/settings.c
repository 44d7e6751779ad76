/*
 * settings.c — the enabled locales: read, decoded, replaced, as JSON; the
 * per-thread copy the HTTP hook reads, and the hook itself.
 */
#include "i18n/i18n.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/banned.h"

#define CONTENT_VERSION "content" /* as catalog.h SOUK_CONTENT: what cached answers show */

/* "en,fr" (LEN bytes) into *OUT; -1 when a tag is bad or there are too many. */
static int parse_list(const char *s, size_t len, souk_i18n_locales *out)
{
    out->n = 0;
    size_t at = 0;
    while (at <= len) {
        size_t end = at;
        while (end < len && s[end] != ',')
            end++;
        if (out->n == SOUK_I18N_LOCALES_MAX || souk_i18n_tag_canon(s + at, end - at, out->tags[out->n]) < 0)
            return -1;
        out->n++;
        at = end + 1;
    }
    return out->n ? 0 : -1;
}

souk_err souk_i18n_locales_read(souk_store *db, souk_i18n_locales *out)
{
    char text[SOUK_I18N_LOCALES_MAX * SOUK_I18N_TAG_MAX + 1] = "";
    int r = souk_store_one(db, "SELECT locales FROM i18n_settings WHERE id = 1", NULL, SOUK_COLS(SOUK_COL_STR(text)));
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_INTERNAL : souk_store_dberr(r);
    if (parse_list(text, strlen(text), out) < 0)
        return SOUK_E_INTERNAL;
    return SOUK_OK;
}

int souk_i18n_locales_decode(const json_t *body, souk_i18n_locales *out, souk_arena *a, souk_problems *pr)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(body))
        return souk_problems_add(pr, a, "", "must be an object");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v)
    {
        if (strcmp(k, "locales") != 0)
            return souk_problems_add(pr, a, k, "unknown member");
    }
    const json_t *list = json_object_get(body, "locales");
    if (!json_is_array(list) || json_array_size(list) < 1 || json_array_size(list) > SOUK_I18N_LOCALES_MAX)
        return souk_problems_add(pr, a, "locales", "must be an array of 1 to %d language tags", SOUK_I18N_LOCALES_MAX);
    size_t i;
    json_array_foreach(list, i, v)
    {
        const char *s = json_string_value(v);
        char *tag = out->tags[out->n];
        if (!s || souk_i18n_tag_canon(s, json_string_length(v), tag) < 0)
            return souk_problems_add(pr, a, souk_arena_printf(a, "locales[%zu]", i),
                                     "must be a language tag: language[-Script][-REGION], e.g. fr or pt-BR");
        for (size_t j = 0; j < out->n; j++)
            if (strcmp(out->tags[j], tag) == 0)
                return souk_problems_add(pr, a, souk_arena_printf(a, "locales[%zu]", i), "is listed twice");
        out->n++;
    }
    return 0;
}

souk_err souk_i18n_locales_write_tx(souk_store *db, const souk_i18n_locales *l, int64_t now)
{
    char text[SOUK_I18N_LOCALES_MAX * SOUK_I18N_TAG_MAX + 1];
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++)
        k += (size_t)snprintf(text + k, sizeof text - k, "%s%s", i ? "," : "", l->tags[i]);
    int r = souk_store_exec(db, "UPDATE i18n_settings SET locales = $1, updated_at = $2 WHERE id = 1",
                            SOUK_ARGS(SOUK_TEXT(text), SOUK_I64(now)));
    if (r >= 0)
        r = souk_store_touch(db, CONTENT_VERSION);
    return souk_store_dberr(r);
}

json_t *souk_i18n_locales_json(const souk_i18n_locales *l)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < l->n; i++)
        json_array_append_new(arr, json_string(l->tags[i]));
    return json_pack("{s:o,s:s}", "locales", arr, "default", l->n ? l->tags[0] : "en");
}

/* ---- this thread's copy ---- */

static _Thread_local struct {
    bool loaded;
    uint64_t generation;
    souk_i18n_locales locales;
} here;

const souk_i18n_locales *souk_i18n_locales_current(souk_store *db, uint64_t generation)
{
    if (here.loaded && here.generation == generation)
        return &here.locales;
    souk_i18n_locales fresh;
    if (db && souk_i18n_locales_read(db, &fresh) == SOUK_OK) {
        here.locales = fresh;
        here.generation = generation;
        here.loaded = true;
    } else if (!here.loaded) {
        here.locales.n = 1;
        snprintf(here.locales.tags[0], sizeof here.locales.tags[0], "en");
    }
    return &here.locales;
}

int souk_i18n_http_locale(souk_store *db, uint64_t generation, const char *query_locale, size_t qlen,
                          const char *accept, size_t alen, souk_arena *a, const char **locale, bool *is_default,
                          const char **why)
{
    const souk_i18n_locales *L = souk_i18n_locales_current(db, generation);
    int k;
    *why = NULL;
    if (query_locale) {
        char canon[SOUK_I18N_TAG_MAX];
        k = souk_i18n_tag_canon(query_locale, qlen, canon) < 0 ? -1 : souk_i18n_lookup_range(L, canon, strlen(canon));
        if (k < 0) {
            char list[SOUK_I18N_LOCALES_MAX * SOUK_I18N_TAG_MAX + 1];
            size_t at = 0;
            for (size_t i = 0; i < L->n; i++)
                at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "", L->tags[i]);
            *why = souk_arena_printf(a, "locale: not one of the store's locales (%s).", list);
            return -1;
        }
    } else {
        k = souk_i18n_negotiate(L, accept, alen);
    }
    *locale = souk_arena_strdup(a, L->tags[k]);
    *is_default = k == 0;
    return 0;
}
