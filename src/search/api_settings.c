/*
 * api_settings.c — admin routes for the search settings (settings.h):
 * synonym rules and ranking weights, read and replaced. A PUT validates
 * as the served index will parse (rules through the synonym parser,
 * weights against their ranges), stores the row and touches the settings
 * version inside the request's transaction (with its audit entry), and
 * answers what is now in force; the served index applies it at its next
 * rebuild, within about a second.
 */
#include "search/api.h"

#include <stdlib.h>
#include <string.h>

#include "search/service.h"
#include "search/settings.h"
#include "core/banned.h"

/* No line breaks inside a rule: one rule is one line of the parser. */
static const char *rule_check(const char *s, size_t len)
{
    return memchr(s, '\n', len) || memchr(s, '\r', len) ? "must be one line" : NULL;
}

typedef struct synonyms_in {
    souk_json_strlist rules;
    uint64_t present, nulls;
} synonyms_in;

static const souk_json_field synonyms_fields[] = {
    SOUK_JSON_F_STRLIST("rules", SOUK_JSON_REQUIRED, synonyms_in, rules, 0, SOUK_SEARCH_SYNONYM_RULES_MAX,
                        SOUK_SEARCH_SYNONYM_RULE_MAX, rule_check),
};
static const souk_json_spec synonyms_spec = SOUK_JSON_SPEC(synonyms_in, synonyms_fields);

/* {"rules": RULES} (RULES NULL: []) as the answer; takes RULES' reference. */
static int answer_rules(souk_res *res, json_t *rules)
{
    return souk_res_json(res, 200, json_pack("{s:o}", "rules", rules ? rules : json_array()));
}

int souk_search_api_synonyms_get(souk_req *req, souk_res *res)
{
    json_t *rules;
    int r = souk_search_settings_get(req->store, "synonyms", &rules);
    if (r < 0)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    return answer_rules(res, rules);
}

/* Parses the rules of IN as the served index will; a problem on the rule
 * the parser names. 0, or -1 with the error set on RES. */
static int check_rules(souk_req *req, souk_res *res, const synonyms_in *in, json_t *rules)
{
    size_t len;
    char *text = souk_search_settings_rules_text(rules, &len);
    souk_search_segment *seg = souk_search_service_acquire();
    souk_search_text *t = souk_search_service_text(seg ? souk_search_segment_language(seg) : NULL);
    souk_search_segment_unref(seg);
    if (!text || !t) {
        free(text);
        souk_search_service_text_put(t);
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    }
    char why[256];
    souk_search_synonyms *syn = NULL;
    int r = souk_search_synonyms_parse(&syn, text, len, t, why, sizeof why);
    souk_search_service_text_put(t);
    souk_search_synonyms_free(syn);
    free(text);
    if (r == -1) { /* "line N: why": line N is rule N - 1 */
        unsigned long line = strtoul(why + 5, NULL, 10);
        const char *colon = strchr(why, ':');
        if (strncmp(why, "line ", 5) == 0 && line >= 1 && line <= in->rules.count && colon)
            souk_problems_add(&res->problems, req->arena, souk_arena_printf(req->arena, "rules[%lu]", line - 1), "%s",
                              colon + 2);
        else
            souk_problems_add(&res->problems, req->arena, "rules", "%s", why);
        return souk_res_invalid(res);
    }
    return r < 0 ? souk_res_error(res, SOUK_E_INTERNAL, NULL) : 0;
}

int souk_search_api_synonyms_put(souk_req *req, souk_res *res)
{
    synonyms_in in;
    if (souk_req_decode(req, res, &synonyms_spec, &in))
        return res->err;
    json_t *rules = json_array();
    for (size_t i = 0; rules && i < in.rules.count; i++)
        if (json_array_append_new(rules, json_string(in.rules.items[i])) < 0) {
            json_decref(rules);
            rules = NULL;
        }
    if (!rules)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (check_rules(req, res, &in, rules)) {
        json_decref(rules);
        return res->err;
    }
    int r = souk_search_settings_put(req->store, "synonyms", rules);
    if (r < 0) {
        json_decref(rules);
        return souk_res_error(res, souk_store_dberr(r), NULL);
    }
    souk_res_audit(res, "search_settings", "synonyms");
    return answer_rules(res, rules);
}

/* {"weights": W} as the answer. */
static int answer_weights(souk_res *res, const souk_search_weights *w)
{
    json_t *o = souk_search_weights_encode(w);
    if (!o)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    return souk_res_json(res, 200, json_pack("{s:o}", "weights", o));
}

int souk_search_api_settings_get(souk_req *req, souk_res *res)
{
    json_t *stored;
    int r = souk_search_settings_get(req->store, "weights", &stored);
    if (r < 0)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    souk_search_weights w = souk_search_weights_default;
    if (stored && souk_search_weights_decode(stored, "weights", &w, req->arena, NULL) < 0)
        w = souk_search_weights_default; /* the served index keeps the defaults too (service.c logs it) */
    json_decref(stored);
    return answer_weights(res, &w);
}

int souk_search_api_settings_put(souk_req *req, souk_res *res)
{
    json_t *body = souk_req_json(req, res);
    if (!body)
        return res->err;
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "weights") != 0)
            souk_problems_add(&res->problems, req->arena, souk_arena_strdup(req->arena, key), "unknown field");
    }
    json_t *wj = json_object_get(body, "weights");
    souk_search_weights w;
    if (!wj)
        souk_problems_add(&res->problems, req->arena, "weights", "is required");
    else
        souk_search_weights_decode(wj, "weights", &w, req->arena, &res->problems);
    json_decref(body);
    if (res->problems.count)
        return souk_res_invalid(res);
    json_t *stored = souk_search_weights_encode(&w);
    int r = stored ? souk_search_settings_put(req->store, "weights", stored) : SOUK_DB_HARD;
    json_decref(stored);
    if (r < 0)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    souk_res_audit(res, "search_settings", "weights");
    return answer_weights(res, &w);
}
