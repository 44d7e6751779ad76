/*
 * api.c — GET /api/v1/admin/audit: the audit log, newest first.
 *
 * Parameters are checked in one pass in the style of the product list
 * (src/catalog/filter.c): every unknown, repeated or malformed parameter is
 * reported, then the SQL is assembled from the filters in use so the planner
 * sees plain equalities it can serve from audit_log_actor / audit_log_subject.
 * Pagination is keyset on seq descending: the cursor is
 * base64url("a1|<seq of the last entry shown>") and the next page starts
 * strictly below it, so entries appended while a client pages are never
 * shown twice or skipped.
 */
#include "audit/audit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/query.h"
#include "store/page.h"
#include "store/row.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "core/cursor.h"
#include "core/banned.h"

#define DEFAULT_LIMIT 50

typedef struct audit_filter {
    const char *actor_type;      /* NULL = any */
    bool has_actor_id;
    int64_t actor_id;
    const char *actor_id_type;   /* actor type implied by the actor_id prefix */
    const char *action, *object_type, *object_id;
    bool has_subject, has_from, has_to, has_cursor;
    int64_t subject, from, to, cursor_seq;
    int limit;
} audit_filter;

static const char *const actor_types[] = {"user", "api_key", "anonymous", "system", NULL};

static int exact_text(const char *k, const char *v, const char **dst, souk_arena *a, souk_problems *pr)
{
    if (!*v)
        return souk_problems_add(pr, a, k, "must not be empty");
    if (strlen(v) > SOUK_AUDIT_TEXT_MAX)
        return souk_problems_add(pr, a, k, "must be at most %d bytes", SOUK_AUDIT_TEXT_MAX);
    *dst = v;
    return 0;
}

/* Fills F from Q. Returns 0, or -1 with problems recorded in PR. */
static int filter_parse(audit_filter *f, const souk_query *q, souk_arena *a, souk_problems *pr)
{
    memset(f, 0, sizeof *f);
    f->limit = DEFAULT_LIMIT;
    int bad = 0;
    for (size_t i = 0; i < q->count; i++) {
        const char *k = q->items[i].key, *v = q->items[i].value;
        size_t vl = q->items[i].value_len;
        for (size_t j = 0; j < i; j++)
            if (strcmp(q->items[j].key, k) == 0) {
                bad = souk_problems_add(pr, a, k, "must not be repeated");
                goto next;
            }
        int64_t n;
        if (strcmp(k, "limit") == 0) {
            if (souk_query_int(v, 1, SOUK_AUDIT_LIST_MAX, &n) < 0)
                bad = souk_problems_add(pr, a, k, "must be an integer from 1 to %d", SOUK_AUDIT_LIST_MAX);
            else
                f->limit = (int)n;
        } else if (strcmp(k, "actor_type") == 0) {
            int found = 0;
            for (int t = 0; actor_types[t]; t++)
                if (strcmp(actor_types[t], v) == 0) {
                    f->actor_type = actor_types[t];
                    found = 1;
                }
            if (!found)
                bad = souk_problems_add(pr, a, k, "must be one of user, api_key, anonymous, system");
        } else if (strcmp(k, "actor_id") == 0) {
            if (souk_id_parse(SOUK_PREFIX_USER, v, vl, &f->actor_id) == 0)
                f->actor_id_type = "user";
            else if (souk_id_parse(SOUK_PREFIX_APIKEY, v, vl, &f->actor_id) == 0)
                f->actor_id_type = "api_key";
            else {
                bad = souk_problems_add(pr, a, k, "must be a user id (usr_...) or an API key id (key_...)");
                goto next;
            }
            f->has_actor_id = true;
        } else if (strcmp(k, "subject") == 0) {
            if (souk_id_parse(SOUK_PREFIX_USER, v, vl, &f->subject) < 0)
                bad = souk_problems_add(pr, a, k, "must be a user id (usr_...)");
            else
                f->has_subject = true;
        } else if (strcmp(k, "action") == 0) {
            if (exact_text(k, v, &f->action, a, pr))
                bad = -1;
        } else if (strcmp(k, "object_type") == 0) {
            if (exact_text(k, v, &f->object_type, a, pr))
                bad = -1;
        } else if (strcmp(k, "object_id") == 0) {
            if (exact_text(k, v, &f->object_id, a, pr))
                bad = -1;
        } else if (strcmp(k, "from") == 0 || strcmp(k, "to") == 0) {
            if (souk_time_parse(v, vl, &n) < 0)
                bad = souk_problems_add(pr, a, k, "must be an RFC 3339 date-time such as 2026-01-15T10:30:00Z");
            else if (k[0] == 'f') {
                f->has_from = true;
                f->from = n;
            } else {
                f->has_to = true;
                f->to = n;
            }
        } else if (strcmp(k, "cursor") == 0) {
            if (souk_cursor_decode("a1", v, vl, &f->cursor_seq) < 0)
                bad = souk_problems_add(pr, a, k, "is not a valid cursor");
            else
                f->has_cursor = true;
        } else {
            bad = souk_problems_add(pr, a, k, "unknown parameter");
        }
    next:;
    }
    if (f->has_actor_id) {
        if (f->actor_type && strcmp(f->actor_type, f->actor_id_type) != 0)
            bad = souk_problems_add(pr, a, "actor_id", "is not an id of actor_type %s", f->actor_type);
        else
            f->actor_type = f->actor_id_type;
    }
    if (f->has_from && f->has_to && f->from > f->to)
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
#define ENTRY_COLS \
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

static int db_fail(souk_res *res, int r)
{
    return souk_res_error(res, r == SOUK_DB_SOFT ? SOUK_E_UNAVAILABLE : SOUK_E_INTERNAL, NULL);
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
    if (f.actor_type)
        where(&b, &sql, "actor_type = ", SOUK_TEXT(f.actor_type));
    if (f.has_actor_id)
        where(&b, &sql, "actor_id = ", SOUK_I64(f.actor_id));
    if (f.has_subject)
        where(&b, &sql, "subject_user_id = ", SOUK_I64(f.subject));
    if (f.action)
        where(&b, &sql, "action = ", SOUK_TEXT(f.action));
    if (f.object_type)
        where(&b, &sql, "object_type = ", SOUK_TEXT(f.object_type));
    if (f.object_id)
        where(&b, &sql, "object_id = ", SOUK_TEXT(f.object_id));
    if (f.has_from)
        where(&b, &sql, "at >= ", SOUK_I64(f.from));
    if (f.has_to)
        where(&b, &sql, "at < ", SOUK_I64(f.to));
    if (f.has_cursor)
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
    json_t *data = souk_store_page(st, f.limit, render_entry, &last_seq, &more, &r);
    if (!data)
        return r ? db_fail(res, r) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
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
    souk_stmt *st = souk_store_query(db, "SELECT " ENTRY_COLS " FROM audit_log "
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
