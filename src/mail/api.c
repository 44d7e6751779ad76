/*
 * api.c — GET /api/v1/admin/mail: the outbox for administrators.
 *
 * Newest first with keyset pagination on the row id: the cursor is
 * base64url("m1|<id>") of the last row shown, and the next page is
 * "id < that", so rows queued while an admin pages never shift or repeat
 * what they see. The cursor is validated on the way back in (a tampered one
 * is a 422). Filters: status, to (whole address, ASCII case-insensitive).
 * Parameters are decoded by a declarative spec (core/query_spec.h), rows
 * rendered with store/row.h.
 */
#include "mail/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/cursor.h"
#include "core/query_spec.h"
#include "http/http.h"
#include "store/page.h"
#include "store/row.h"
#include "core/banned.h"

#define LIST_DEFAULT 50

static const char *const statuses[] = {"pending", "sent", "failed", NULL};

typedef struct list_filter {
    int status;     /* index in statuses, -1 = any */
    const char *to; /* NULL = any */
    int64_t limit;
    int64_t before; /* id from the cursor, 0 = the first page */
    uint64_t present;
} list_filter;

static const char *parse_to(const char *v, size_t len, void *dst, souk_arena *a)
{
    (void)a;
    if (!souk__mail_addr_ok(v, len))
        return "must be an email address";
    *(const char **)dst = v;
    return NULL;
}

static const souk_query_field filter_fields[] = {
    SOUK_QUERY_F_ENUM("status", list_filter, status, statuses, .message = "must be one of pending, sent, failed"),
    SOUK_QUERY_F_CUSTOM("to", list_filter, to, parse_to),
    SOUK_QUERY_F_INT("limit", list_filter, limit, 1, SOUK_MAIL_LIST_MAX),
    SOUK_QUERY_F_CURSOR("cursor", list_filter, before, "m1"),
};
static const souk_query_spec filter_spec = SOUK_QUERY_SPEC(list_filter, filter_fields);

/* one outbox row as the admin sees it */
static json_t *render_mail(souk_stmt *st)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:o,s:o}", "id", souk_row_id(st, 0, SOUK_PREFIX_MAIL), "to",
                     souk_row_text(st, 1), "subject", souk_row_text(st, 2), "body", souk_row_text(st, 3), "status",
                     souk_row_text(st, 4), "attempts", (json_int_t)souk_stmt_i64(st, 5), "last_error",
                     souk_row_text(st, 6), "created_at", souk_row_time(st, 7), "sent_at", souk_row_time(st, 8),
                     "next_attempt_at", souk_row_time(st, 9));
}

int souk_mail_api_list(souk_req *req, souk_res *res)
{
    list_filter f = {.status = -1, .limit = LIST_DEFAULT};
    if (souk_query_decode(&filter_spec, &req->query, &f, req->arena, &res->problems) < 0)
        return souk_res_invalid(res);

    /* at most 2^3 distinct texts, each prepared once per connection */
    char sql[512];
    souk_param args[5];
    int n = 0, np = 0;
    n += snprintf(sql + n, sizeof sql - (size_t)n,
                  "SELECT id, to_addr, subject, body, status, attempts, last_error, created_at, sent_at, "
                  "next_attempt_at FROM mail_outbox WHERE 1 = 1");
    if (f.status >= 0) {
        args[np++] = SOUK_TEXT(statuses[f.status]);
        n += snprintf(sql + n, sizeof sql - (size_t)n, " AND status = $%d", np);
    }
    if (f.to) {
        args[np++] = SOUK_TEXT(f.to);
        n += snprintf(sql + n, sizeof sql - (size_t)n, " AND lower(to_addr) = lower($%d)", np);
    }
    if (f.before) {
        args[np++] = SOUK_I64(f.before);
        n += snprintf(sql + n, sizeof sql - (size_t)n, " AND id < $%d", np);
    }
    args[np++] = SOUK_I64(f.limit + 1); /* one more than shown tells whether there is a next page */
    snprintf(sql + n, sizeof sql - (size_t)n, " ORDER BY id DESC LIMIT $%d", np);
    args[np] = (souk_param){.type = SOUK_TYPE_END};

    souk_stmt *st = souk_store_query(req->store, sql, args);
    int64_t last_id;
    bool more;
    int r;
    json_t *data = souk_store_page(st, (int)f.limit, render_mail, &last_id, &more, &r);
    if (!data)
        return souk_res_error(res, r ? souk_store_dberr(r) : SOUK_E_INTERNAL, NULL);
    char cursor[SOUK_CURSOR_TEXT_MAX];
    return souk_res_json(res, 200,
                         json_pack("{s:o,s:o}", "data", data, "next_cursor",
                                   more ? json_string(souk_cursor_encode("m1", last_id, cursor)) : json_null()));
}
