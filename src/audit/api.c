/*
 * api.c — GET /api/v1/admin/audit: the audit log, newest first.
 *
 * Parameters are decoded by one declarative spec (core/query_spec.h): every
 * unknown, repeated or malformed parameter is reported, then the two
 * cross-field rules are checked, then the SQL is assembled from the filters
 * in use so the planner sees plain equalities it can serve from
 * audit_log_actor / audit_log_subject.
 * Pagination is keyset on seq descending: the cursor is
 * base64url("a1|<seq of the last entry shown>") and the next page starts
 * strictly below it, so entries appended while a client pages are never
 * shown twice or skipped.
 */
#include "audit/audit.h"

#include <stdbool.h>
#include <string.h>

#include "core/cursor.h"
#include "core/id.h"
#include "core/query_spec.h"
#include "store/page.h"
#include "store/row.h"
#include "core/banned.h"

#define DEFAULT_LIMIT 50

/* An actor_id parameter: a user or an API key id; the prefix says which. */
typedef struct actor_ref {
    int64_t id;
    const char *type; /* "user" or "api_key" */
} actor_ref;

typedef struct audit_filter {
    int64_t limit;
    int actor_type; /* index in actor_types; -1 = none given, or not valid */
    actor_ref actor;
    int64_t subject;
    const char *action, *object_type, *object_id;
    int64_t from, to, cursor_seq;
    uint64_t present;
} audit_filter;

static const char *const actor_types[] = {"user", "api_key", "anonymous", "system", NULL};

static const char *parse_actor(const char *v, size_t len, void *dst, souk_arena *a)
{
    (void)a;
    actor_ref *ref = dst;
    if (souk_id_parse(SOUK_PREFIX_USER, v, len, &ref->id) == 0)
        ref->type = "user";
    else if (souk_id_parse(SOUK_PREFIX_APIKEY, v, len, &ref->id) == 0)
        ref->type = "api_key";
    else
        return "must be a user id (usr_...) or an API key id (key_...)";
    return NULL;
}

/* action, object_type, object_id: matched exactly */
static const char *parse_exact(const char *v, size_t len, void *dst, souk_arena *a)
{
    if (!len)
        return "must not be empty";
    if (len > SOUK_AUDIT_TEXT_MAX)
        return souk_arena_printf(a, "must be at most %d bytes", SOUK_AUDIT_TEXT_MAX);
    *(const char **)dst = v;
    return NULL;
}

enum { F_LIMIT, F_ACTOR_TYPE, F_ACTOR_ID, F_SUBJECT, F_ACTION, F_OBJECT_TYPE, F_OBJECT_ID, F_FROM, F_TO, F_CURSOR };

static const souk_query_field filter_fields[] = {
    [F_LIMIT] = SOUK_QUERY_F_INT("limit", audit_filter, limit, 1, SOUK_AUDIT_LIST_MAX),
    [F_ACTOR_TYPE] = SOUK_QUERY_F_ENUM("actor_type", audit_filter, actor_type, actor_types),
    [F_ACTOR_ID] = SOUK_QUERY_F_CUSTOM("actor_id", audit_filter, actor, parse_actor),
    [F_SUBJECT] =
        SOUK_QUERY_F_ID("subject", audit_filter, subject, SOUK_PREFIX_USER, .message = "must be a user id (usr_...)"),
    [F_ACTION] = SOUK_QUERY_F_CUSTOM("action", audit_filter, action, parse_exact),
    [F_OBJECT_TYPE] = SOUK_QUERY_F_CUSTOM("object_type", audit_filter, object_type, parse_exact),
    [F_OBJECT_ID] = SOUK_QUERY_F_CUSTOM("object_id", audit_filter, object_id, parse_exact),
    [F_FROM] = SOUK_QUERY_F_TIME("from", audit_filter, from),
    [F_TO] = SOUK_QUERY_F_TIME("to", audit_filter, to),
    [F_CURSOR] = SOUK_QUERY_F_CURSOR("cursor", audit_filter, cursor_seq, "a1"),
};
static const souk_query_spec filter_spec = SOUK_QUERY_SPEC(audit_filter, filter_fields);

static bool has(const audit_filter *f, size_t field)
{
    return souk_query_present(&filter_spec, f, field);
}

/* Fills F from Q. Returns 0, or -1 with problems recorded in PR. */
static int filter_parse(audit_filter *f, const souk_query *q, souk_arena *a, souk_problems *pr)
{
    *f = (audit_filter){.limit = DEFAULT_LIMIT, .actor_type = -1};
    int bad = souk_query_decode(&filter_spec, q, f, a, pr);
    /* the type an actor_id names must agree with actor_type, and implies it */
    if (has(f, F_ACTOR_ID) && f->actor.type) {
        if (f->actor_type >= 0 && strcmp(actor_types[f->actor_type], f->actor.type) != 0)
            bad = souk_problems_add(pr, a, "actor_id", "is not an id of actor_type %s", actor_types[f->actor_type]);
        else {
            f->present |= UINT64_C(1) << F_ACTOR_TYPE;
            f->actor_type = strcmp(f->actor.type, "user") == 0 ? 0 : 1;
        }
    }
    if (has(f, F_FROM) && has(f, F_TO) && f->from > f->to)
        bad = souk_problems_add(pr, a, "from", "must not be after to");
    return bad ? -1 : 0;
}

/* The $N parameters of the list query, collected as its SQL is assembled:
 * at most one per filter, plus the limit, plus the end marker. */
typedef struct binder {
    souk_param args[12];
    int n;
} binder;

static void where(binder *b, souk_buf *sql, const char *expr, souk_param v)
{
    b->args[b->n++] = v;
    souk_buf_printf(sql, " AND %s$%d", expr, b->n);
}

/* The columns render_entry reads, in its order. */
#define ENTRY_COLS                                                                                                      \
    "seq, id, at, actor_type, actor_id, action, object_type, object_id, subject_user_id, request_id, result, details, " \
    "prev_hash, hash"

/* One row of the list query as the API's entry object, NULL when out of memory. */
static json_t *render_entry(souk_stmt *st)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    const char *actor_type = souk_stmt_text(st, 3, NULL);
    json_t *actor_id;
    if (actor_type && strcmp(actor_type, "user") == 0)
        actor_id = souk_row_id(st, 4, SOUK_PREFIX_USER);
    else if (actor_type && strcmp(actor_type, "api_key") == 0)
        actor_id = souk_row_id(st, 4, SOUK_PREFIX_APIKEY);
    else
        actor_id = souk_row_text_or_null(st, 4);
    size_t dl;
    const char *dtext = souk_stmt_text(st, 11, &dl);
    json_t *details = dtext ? json_loadb(dtext, dl, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (!json_is_object(details)) {
        /* stored by a writer other than souk_audit_append: show it, flagged */
        json_decref(details);
        details = json_object();
        json_object_set_new(details, "_invalid_json", souk_row_text(st, 11));
    }
    int bad = 0;
    bad |= json_object_set_new(o, "seq", json_integer(souk_stmt_i64(st, 0)));
    bad |= json_object_set_new(o, "id", souk_row_id(st, 1, SOUK_PREFIX_AUDIT));
    bad |= json_object_set_new(o, "at", souk_row_time(st, 2));
    bad |= json_object_set_new(o, "actor_type", souk_row_text(st, 3));
    bad |= json_object_set_new(o, "actor_id", actor_id);
    bad |= json_object_set_new(o, "action", souk_row_text(st, 5));
    bad |= json_object_set_new(o, "object_type", souk_row_text(st, 6));
    bad |= json_object_set_new(o, "object_id", souk_row_text(st, 7));
    bad |= json_object_set_new(o, "subject_user_id", souk_row_id(st, 8, SOUK_PREFIX_USER));
    bad |= json_object_set_new(o, "request_id", souk_row_text(st, 9));
    bad |= json_object_set_new(o, "result", json_integer(souk_stmt_i64(st, 10)));
    bad |= json_object_set_new(o, "details", details);
    bad |= json_object_set_new(o, "prev_hash", souk_row_text(st, 12));
    bad |= json_object_set_new(o, "hash", souk_row_text(st, 13));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int souk_audit_api_list(souk_req *req, souk_res *res)
{
    audit_filter f;
    if (filter_parse(&f, &req->query, req->arena, &res->problems) < 0)
        return souk_res_invalid(res);

    souk_buf sql;
    souk_buf_init(&sql, 4096);
    binder b = {.n = 0};
    souk_buf_adds(&sql, "SELECT " ENTRY_COLS " FROM audit_log WHERE 1 = 1");
    if (has(&f, F_ACTOR_TYPE))
        where(&b, &sql, "actor_type = ", SOUK_TEXT(actor_types[f.actor_type]));
    if (has(&f, F_ACTOR_ID))
        where(&b, &sql, "actor_id = ", SOUK_I64(f.actor.id));
    if (has(&f, F_SUBJECT))
        where(&b, &sql, "subject_user_id = ", SOUK_I64(f.subject));
    if (has(&f, F_ACTION))
        where(&b, &sql, "action = ", SOUK_TEXT(f.action));
    if (has(&f, F_OBJECT_TYPE))
        where(&b, &sql, "object_type = ", SOUK_TEXT(f.object_type));
    if (has(&f, F_OBJECT_ID))
        where(&b, &sql, "object_id = ", SOUK_TEXT(f.object_id));
    if (has(&f, F_FROM))
        where(&b, &sql, "at >= ", SOUK_I64(f.from));
    if (has(&f, F_TO))
        where(&b, &sql, "at < ", SOUK_I64(f.to));
    if (has(&f, F_CURSOR))
        where(&b, &sql, "seq < ", SOUK_I64(f.cursor_seq));
    b.args[b.n++] = SOUK_I64(f.limit + 1); /* one more than shown tells whether there is a next page */
    b.args[b.n] = (souk_param){.type = SOUK_TYPE_END};
    souk_buf_printf(&sql, " ORDER BY seq DESC LIMIT $%d", b.n);
    if (souk_buf_failed(&sql)) {
        souk_buf_release(&sql);
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    }
    souk_stmt *st = souk_store_query(req->store, sql.data, b.args);
    souk_buf_release(&sql);

    int64_t last_seq;
    bool more;
    int r;
    json_t *data = souk_store_page(st, (int)f.limit, render_entry, &last_seq, &more, &r);
    if (!data)
        return souk_res_error(res, r ? souk_store_dberr(r) : SOUK_E_INTERNAL, NULL); /* a read: never CONSTRAINT */
    char cursor[SOUK_CURSOR_TEXT_MAX];
    json_t *root = json_object();
    if (!root) {
        json_decref(data);
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    }
    if (json_object_set_new(root, "data", data) < 0 ||
        json_object_set_new(root, "next_cursor",
                            more ? json_string(souk_cursor_encode("a1", last_seq, cursor)) : json_null()) < 0) {
        json_decref(root);
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    }
    return souk_res_json(res, 200, root);
}

json_t *souk_audit_about_user_json(souk_store *db, int64_t user, int limit)
{
    souk_stmt *st = souk_store_query(db,
                                     "SELECT " ENTRY_COLS " FROM audit_log "
                                     "WHERE subject_user_id = $1 OR (actor_type = 'user' AND actor_id = $1) "
                                     "ORDER BY seq LIMIT $2",
                                     SOUK_ARGS(SOUK_I64(user), SOUK_I64(limit)));
    json_t *arr = json_array();
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        json_t *e = render_entry(st);
        if (!e) {
            souk_stmt_done(st);
            json_decref(arr);
            return NULL;
        }
        json_array_append_new(arr, e);
    }
    if (r < 0) {
        json_decref(arr);
        return NULL;
    }
    return json_pack("{s:o}", "data", arr);
}

int souk_audit_api_verify(souk_req *req, souk_res *res)
{
    if (req->query.count > 0) {
        souk_problems_add(&res->problems, req->arena, req->query.items[0].key, "this route takes no parameters");
        return souk_res_invalid(res);
    }
    int64_t checked = 0, first_bad = 0, seq = 0;
    char why[256] = "", head[SOUK_AUDIT_HASH_HEX + 1];
    int r = souk_audit_verify(req->store, &checked, &first_bad, why, sizeof why);
    if (r < 0)
        return souk_res_error(res, souk_store_dberr(r), NULL);
    int h = souk_audit_head(req->store, &seq, head);
    if (h != SOUK_DB_ROW && h != SOUK_DB_DONE)
        return souk_res_error(res, souk_store_dberr(h), NULL);
    json_t *root = json_pack("{s:b,s:I,s:o,s:o,s:{s:I,s:s}}", "intact", r == 0, "checked", (json_int_t)checked,
                             "first_bad", r == 0 ? json_null() : json_integer(first_bad), "why",
                             r == 0 ? json_null() : json_string(why), "head", "seq", (json_int_t)seq, "hash", head);
    if (!root)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    return souk_res_json(res, 200, root);
}
