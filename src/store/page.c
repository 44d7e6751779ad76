/* page.c — see page.h. */
#include "store/page.h"

#include "core/banned.h"

json_t *souk_store_page(souk_stmt *st, int limit, json_t *(*render)(souk_stmt *st), int64_t *last, bool *more,
                        int *status)
{
    *more = false;
    *last = 0;
    *status = 0;
    json_t *data = json_array();
    if (!data) {
        souk_stmt_done(st);
        return NULL;
    }
    int r, shown = 0;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        if (shown == limit) {
            *more = true;
            souk_stmt_done(st);
            return data;
        }
        json_t *e = render(st);
        if (!e || json_array_append_new(data, e) < 0) {
            souk_stmt_done(st);
            json_decref(data);
            return NULL;
        }
        *last = souk_stmt_i64(st, 0);
        shown++;
    }
    if (r < 0) {
        json_decref(data);
        *status = r;
        return NULL;
    }
    return data;
}

json_t *souk_store_rows(souk_stmt *st, json_t *(*render)(souk_stmt *st, void *ctx), void *ctx)
{
    json_t *data = json_array();
    int r = 0;
    while (data && (r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        json_t *e = render(st, ctx);
        if (!e || json_array_append_new(data, e) < 0) {
            souk_stmt_done(st);
            json_decref(data);
            return NULL;
        }
    }
    if (!data) {
        souk_stmt_done(st);
        return NULL;
    }
    if (r < 0) {
        json_decref(data);
        return NULL;
    }
    return data;
}

int souk_store_ids(souk_stmt *st, int64_t *ids, int max)
{
    int n = 0, r = 0;
    while (n < max && (r = souk_stmt_step(st)) == SOUK_DB_ROW)
        ids[n++] = souk_stmt_i64(st, 0);
    if (n == max) {
        souk_stmt_done(st);
        return n;
    }
    return r < 0 ? r : n;
}
