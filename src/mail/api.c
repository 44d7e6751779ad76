/*
 * api.c — GET /api/v1/admin/mail: the outbox for administrators.
 *
 * Newest first with keyset pagination on the row id: the cursor is
 * base64url("m1|<id>") of the last row shown, and the next page is
 * "id < that", so rows queued while an admin pages never shift or repeat
 * what they see. The cursor is validated on the way back in (a tampered one
 * is a 422). Filters: status, to (whole address, ASCII case-insensitive).
 */
#include "mail/mail.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/query.h"
#include "core/id.h"
#include "http/http.h"
#include "core/time.h"
#include "store/page.h"
#include "core/cursor.h"
#include "core/banned.h"

#define LIST_DEFAULT 50

typedef struct list_filter {
    const char *status, *to;
    int64_t limit, before;
} list_filter;

static int parse_filter(list_filter *f, const souk_query *q, souk_arena *a, souk_problems *pr)
{
    static const char *const statuses[] = {"pending", "sent", "failed", NULL};
    memset(f, 0, sizeof *f);
    f->limit = LIST_DEFAULT;
    int bad = 0;
    for (size_t i = 0; i < q->count; i++) {
        const char *k = q->items[i].key, *v = q->items[i].value;
        bool repeated = false;
        for (size_t j = 0; j < i; j++)
            repeated |= strcmp(q->items[j].key, k) == 0;
        if (repeated) {
            bad = souk_problems_add(pr, a, k, "must not be repeated");
        } else if (strcmp(k, "status") == 0) {
            for (int s = 0; statuses[s]; s++)
                if (strcmp(v, statuses[s]) == 0)
                    f->status = statuses[s];
            if (!f->status)
                bad = souk_problems_add(pr, a, k, "must be one of pending, sent, failed");
        } else if (strcmp(k, "to") == 0) {
            if (!souk__mail_addr_ok(v, strlen(v)))
                bad = souk_problems_add(pr, a, k, "must be an email address");
            else
                f->to = v;
        } else if (strcmp(k, "limit") == 0) {
            if (souk_query_int(v, 1, SOUK_MAIL_LIST_MAX, &f->limit) < 0)
                bad = souk_problems_add(pr, a, k, "must be an integer from 1 to %d", SOUK_MAIL_LIST_MAX);
        } else if (strcmp(k, "cursor") == 0) {
            if (souk_cursor_decode("m1", v, strlen(v), &f->before) < 0)
                bad = souk_problems_add(pr, a, k, "is not a valid cursor");
        } else {
            bad = souk_problems_add(pr, a, k, "unknown parameter");
        }
    }
    return bad ? -1 : 0;
}

/* A JSON string for a column; never fails on text that is not UTF-8 (rows written by
 * other tools), which shows as an empty string rather than a 500. */
static json_t *col_str(souk_stmt *st, int col)
{
    size_t n;
    const char *s = souk_stmt_text(st, col, &n);
    json_t *j = json_stringn(s ? s : "", s ? n : 0);
    return j ? j : json_string("");
}

static json_t *col_time(souk_stmt *st, int col)
{
    if (souk_stmt_is_null(st, col))
        return json_null();
    char buf[SOUK_RFC3339_LEN];
    return json_string(souk_time_format(souk_stmt_i64(st, col), buf));
}

/* one outbox row as the admin sees it */
static json_t *render_mail(souk_stmt *st)
{
    char idbuf[SOUK_ID_TEXT_MAX];
    return json_pack("{s:s,s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:o,s:o}", "id",
                     souk_id_format(SOUK_PREFIX_MAIL, souk_stmt_i64(st, 0), idbuf), "to", col_str(st, 1), "subject",
                     col_str(st, 2), "body", col_str(st, 3), "status", col_str(st, 4), "attempts",
                     (json_int_t)souk_stmt_i64(st, 5), "last_error", col_str(st, 6), "created_at", col_time(st, 7),
                     "sent_at", col_time(st, 8), "next_attempt_at", col_time(st, 9));
}

int souk_mail_api_list(souk_req *req, souk_res *res)
{
    list_filter f;
    if (parse_filter(&f, &req->query, req->arena, &res->problems) < 0)
        return souk_res_invalid(res);

    /* at most 2^3 distinct texts, each prepared once per connection */
    char sql[512];
    int n = 0, np = 0, p_status = 0, p_to = 0, p_before = 0;
    n += snprintf(sql + n, sizeof sql - (size_t)n,
                  "SELECT id, to_addr, subject, body, status, attempts, last_error, created_at, sent_at, "
                  "next_attempt_at FROM mail_outbox WHERE 1 = 1");
    if (f.status)
        n += snprintf(sql + n, sizeof sql - (size_t)n, " AND status = $%d", p_status = ++np);
    if (f.to)
        n += snprintf(sql + n, sizeof sql - (size_t)n, " AND lower(to_addr) = lower($%d)", p_to = ++np);
    if (f.before)
        n += snprintf(sql + n, sizeof sql - (size_t)n, " AND id < $%d", p_before = ++np);
    int p_limit = ++np;
    snprintf(sql + n, sizeof sql - (size_t)n, " ORDER BY id DESC LIMIT $%d", p_limit);

    souk_stmt *st = souk_store_stmt(req->store, sql);
    if (!st)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (p_status)
        souk_stmt_bind_text(st, p_status, f.status, SIZE_MAX);
    if (p_to)
        souk_stmt_bind_text(st, p_to, f.to, SIZE_MAX);
    if (p_before)
        souk_stmt_bind_i64(st, p_before, f.before);
    souk_stmt_bind_i64(st, p_limit, f.limit + 1);

    int64_t last_id;
    bool more;
    int r;
    json_t *data = souk_store_page(st, f.limit, render_mail, &last_id, &more, &r);
    if (!data)
        return souk_res_error(res, r == SOUK_DB_SOFT ? SOUK_E_UNAVAILABLE : SOUK_E_INTERNAL, NULL);
    char cursor[SOUK_CURSOR_TEXT_MAX];
    return souk_res_json(res, 200, json_pack("{s:o,s:o}", "data", data, "next_cursor",
                                             more ? json_string(souk_cursor_encode("m1", last_id, cursor)) : json_null()));
}
