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
