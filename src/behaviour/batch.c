/*
 * batch.c — decoding a batch of behaviour events, field by field: the
 * shape of each event is the table below (core/json.h does the types and
 * bounds), then the rules that tie fields to the event's type. A bad event
 * is rejected with its index; the others go on. No database here.
 */
#include "behaviour/behaviour.h"

#include <string.h>

#include "core/json.h"
#include "core/time.h"
#include "core/banned.h"

typedef struct event_in {
    const char *id, *time, *anonymous_id, *query, *list;
    int type;
    int64_t product_id, variant_id, quantity, position, model_version;
    souk_json_strmap properties;
    uint64_t present, nulls;
} event_in;

/* the client types in code order (code = index + 1), then the server's */
static const char *const type_names[] = {
    "page_view",        "product_view",   "search",    "search_click", "add_to_cart", "remove_from_cart",
    "checkout_started", "rec_impression", "rec_click", "purchase",     "refund",      NULL,
};

const char *souk_behaviour_type_name(int type)
{
    if (type >= 1 && type <= SOUK_BEHAVIOUR_CLIENT_TYPES)
        return type_names[type - 1];
    if (type == SOUK_BEHAVIOUR_PURCHASE)
        return "purchase";
    if (type == SOUK_BEHAVIOUR_REFUND)
        return "refund";
    return NULL;
}

static bool id_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static const char *check_client_id(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!id_char((unsigned char)s[i]) && s[i] != '.' && s[i] != ':')
            return "may hold only letters, digits and _ - . :";
    return NULL;
}

static const char *check_anonymous_id(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!id_char((unsigned char)s[i]))
            return "may hold only letters, digits, _ and -";
    return NULL;
}

static const char *check_list(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
            return "may hold only lower-case letters, digits and _ - .";
    }
    return NULL;
}

static const char *check_prop_key(const char *s, size_t len)
{
    if (len == 0 || len > 40)
        return "property names are 1 to 40 characters";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return "property names may hold only lower-case letters, digits and _";
    }
    return NULL;
}

static const char *check_control(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return "must not contain control characters";
    return NULL;
}

static const souk_json_field event_fields[] = {
    SOUK_JSON_F_STRING("id", SOUK_JSON_REQUIRED, event_in, id, 1, SOUK_BEHAVIOUR_ID_MAX, check_client_id),
    SOUK_JSON_F_ENUM("type", SOUK_JSON_REQUIRED, event_in, type, type_names),
    SOUK_JSON_F_STRING("time", 0, event_in, time, 10, 40, NULL),
    SOUK_JSON_F_STRING("anonymous_id", 0, event_in, anonymous_id, SOUK_BEHAVIOUR_ANON_MIN, SOUK_BEHAVIOUR_ID_MAX,
                       check_anonymous_id),
    SOUK_JSON_F_ID("product_id", 0, event_in, product_id, "prod"),
    SOUK_JSON_F_ID("variant_id", 0, event_in, variant_id, "var"),
    SOUK_JSON_F_INT("quantity", 0, event_in, quantity, 1, 999),
    SOUK_JSON_F_STRING("query", 0, event_in, query, 1, SOUK_BEHAVIOUR_QUERY_MAX, check_control),
    SOUK_JSON_F_STRING("list", 0, event_in, list, 1, SOUK_BEHAVIOUR_LIST_MAX, check_list),
    SOUK_JSON_F_INT("model_version", 0, event_in, model_version, 1, INT32_MAX),
    SOUK_JSON_F_INT("position", 0, event_in, position, 1, 10000),
    SOUK_JSON_F_STRMAP("properties", 0, event_in, properties, 0, SOUK_BEHAVIOUR_PROPS_MAX,
                       SOUK_BEHAVIOUR_PROP_VALUE_MAX, check_prop_key),
};
static const souk_json_spec event_spec = SOUK_JSON_SPEC(event_in, event_fields);

/* The problems of one event go to OUT's rejects (a few per event). */
static void reject(souk_behaviour_batch *out, size_t index, const souk_problems *pr, size_t cap)
{
    size_t n = pr->count < SOUK_BEHAVIOUR_PROBLEMS_MAX ? pr->count : SOUK_BEHAVIOUR_PROBLEMS_MAX;
    for (size_t i = 0; i < n && out->nrejects < cap; i++)
        out->rejects[out->nrejects++] =
            (souk_behaviour_reject){.index = index, .field = pr->items[i].field, .message = pr->items[i].message};
    out->rejected++;
}

static bool needs_product(int type)
{
    return type == SOUK_BEHAVIOUR_PRODUCT_VIEW || type == SOUK_BEHAVIOUR_SEARCH_CLICK ||
           type == SOUK_BEHAVIOUR_ADD_TO_CART || type == SOUK_BEHAVIOUR_REMOVE_FROM_CART ||
           type == SOUK_BEHAVIOUR_REC_IMPRESSION || type == SOUK_BEHAVIOUR_REC_CLICK;
}

static const char *properties_text(const souk_json_strmap *m, souk_arena *a)
{
    if (m->count == 0)
        return NULL;
    json_t *o = json_object();
    for (size_t i = 0; o && i < m->count; i++)
        json_object_set_new(o, m->keys[i], json_string(m->values[i]));
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII) : NULL;
    json_decref(o);
    const char *copy = text ? souk_arena_strdup(a, text) : NULL;
    free(text);
    return copy;
}

/* The rules between fields; problems into PR under PATH. */
static void check_rules(const event_in *in, int code, const char *path, int64_t user, int64_t now_us, int64_t *at,
                        souk_arena *a, souk_problems *pr)
{
    if (code > SOUK_BEHAVIOUR_CLIENT_TYPES)
        souk_problems_add(pr, a, souk_arena_printf(a, "%s.type", path),
                          "purchases and refunds are recorded by the server from orders, not sent by clients");
    if (!in->anonymous_id && !user)
        souk_problems_add(pr, a, souk_arena_printf(a, "%s.anonymous_id", path),
                          "is required when the caller is not signed in");
    if (needs_product(code) && !in->product_id && !in->variant_id)
        souk_problems_add(pr, a, souk_arena_printf(a, "%s.product_id", path), "is required for a %s event",
                          type_names[code - 1]);
    if ((code == SOUK_BEHAVIOUR_SEARCH || code == SOUK_BEHAVIOUR_SEARCH_CLICK) && !in->query)
        souk_problems_add(pr, a, souk_arena_printf(a, "%s.query", path), "is required for a %s event",
                          type_names[code - 1]);
    if ((code == SOUK_BEHAVIOUR_REC_IMPRESSION || code == SOUK_BEHAVIOUR_REC_CLICK) && !in->list)
        souk_problems_add(pr, a, souk_arena_printf(a, "%s.list", path),
                          "is required for a %s event (the recommendation list shown, e.g. \"similar\")",
                          type_names[code - 1]);
    if (in->quantity && code != SOUK_BEHAVIOUR_ADD_TO_CART && code != SOUK_BEHAVIOUR_REMOVE_FROM_CART)
        souk_problems_add(pr, a, souk_arena_printf(a, "%s.quantity", path),
                          "is only for add_to_cart and remove_from_cart events");
    *at = now_us;
    if (in->time) {
        int64_t t;
        if (souk_time_parse(in->time, strlen(in->time), &t) < 0)
            souk_problems_add(pr, a, souk_arena_printf(a, "%s.time", path),
                              "must be an RFC 3339 time such as 2026-12-01T15:04:05Z");
        else if (t > now_us + SOUK_BEHAVIOUR_FUTURE_US)
            souk_problems_add(pr, a, souk_arena_printf(a, "%s.time", path),
                              "is in the future (more than 5 minutes ahead of the server's clock)");
        else if (t < now_us - SOUK_BEHAVIOUR_PAST_US)
            souk_problems_add(pr, a, souk_arena_printf(a, "%s.time", path), "is more than 7 days old");
        else
            *at = t;
    }
}

souk_err souk_behaviour_batch_decode(const char *body, size_t len, int64_t user, int64_t now_us, souk_arena *a,
                                     souk_behaviour_batch *out, const char **why, souk_problems *pr)
{
    memset(out, 0, sizeof *out);
    *why = NULL;
    if (len > SOUK_BEHAVIOUR_BODY_MAX) {
        *why = "a batch body is at most 512 KiB";
        return SOUK_E_PAYLOAD_TOO_LARGE;
    }
    char err[160];
    json_t *root = souk_json_parse_object(body, len, err, sizeof err);
    if (!root) {
        *why = souk_arena_strdup(a, err);
        return SOUK_E_MALFORMED_JSON;
    }
    const char *key;
    json_t *val, *events = NULL;
    json_object_foreach(root, key, val)
    {
        if (strcmp(key, "events") == 0)
            events = val;
        else
            souk_problems_add(pr, a, key, "unknown field");
    }
    size_t n = events && json_is_array(events) ? json_array_size(events) : 0;
    if (!events || !json_is_array(events))
        souk_problems_add(pr, a, "events", events ? "must be an array" : "is required");
    else if (n == 0 || n > SOUK_BEHAVIOUR_BATCH_MAX)
        souk_problems_add(pr, a, "events", "must have between 1 and %d events (send more in further batches)",
                          SOUK_BEHAVIOUR_BATCH_MAX);
    if (pr->count) {
        json_decref(root);
        *why = "The batch cannot be read; see details.";
        return SOUK_E_VALIDATION;
    }
    size_t cap = n * SOUK_BEHAVIOUR_PROBLEMS_MAX;
    out->events = souk_arena_calloc(a, n * sizeof *out->events);
    out->index = souk_arena_calloc(a, n * sizeof *out->index);
    out->rejects = souk_arena_calloc(a, cap * sizeof *out->rejects);
    out->total = n;
    if (!out->events || !out->index || !out->rejects) {
        json_decref(root);
        return SOUK_E_INTERNAL;
    }
    souk_problems one;
    for (size_t i = 0; i < n; i++) {
        souk_problems_init(&one);
        const char *path = souk_arena_printf(a, "events[%zu]", i);
        event_in in;
        int bad = souk_json_decode(&event_spec, json_array_get(events, i), &in, path ? path : "events", a, &one);
        int code = in.type + 1;
        int64_t at = now_us;
        if (bad == 0)
            check_rules(&in, code, path ? path : "events", user, now_us, &at, a, &one);
        else if (one.count == 0) /* the arena ran out */
            souk_problems_add(&one, a, path ? path : "events", "could not be read");
        if (!path || one.lost) { /* the arena ran out: no half-described batch */
            json_decref(root);
            out->count = out->rejected = out->nrejects = 0;
            return SOUK_E_INTERNAL;
        }
        if (one.count) {
            reject(out, i, &one, cap);
            continue;
        }
        out->events[out->count] = (souk_behaviour_event){
            .type = code,
            .at = at,
            .client_id = in.id,
            .anonymous_id = in.anonymous_id,
            .user_id = user,
            .product_id = in.product_id,
            .variant_id = in.variant_id,
            .quantity = in.quantity                                                                       ? in.quantity
                        : (code == SOUK_BEHAVIOUR_ADD_TO_CART || code == SOUK_BEHAVIOUR_REMOVE_FROM_CART) ? 1
                                                                                                          : 0,
            .position = in.position,
            .model_version = in.model_version,
            .list = in.list,
            .query = in.query,
            .properties = properties_text(&in.properties, a),
        };
        out->index[out->count++] = i;
    }
    json_decref(root);
    return SOUK_OK;
}
