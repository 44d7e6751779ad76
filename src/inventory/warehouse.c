/*
 * warehouse.c — warehouses: create, update, read, list. A warehouse is never
 * deleted (stock levels and history refer to it); the code is unique.
 */
#include "inventory/internal.h"

#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

#define WAREHOUSE_COLS "id, code, name, created_at, updated_at"

static json_t *warehouse_row(souk_stmt *st)
{
    return json_pack("{s:o,s:s,s:s,s:o,s:o}", "id", souk__inventory_id(SOUK_PREFIX_WAREHOUSE, souk_stmt_i64(st, 0)),
                     "code", souk_stmt_text(st, 1, NULL), "name", souk_stmt_text(st, 2, NULL), "created_at",
                     souk__inventory_time(souk_stmt_i64(st, 3)), "updated_at",
                     souk__inventory_time(souk_stmt_i64(st, 4)));
}

/* 1 when another warehouse (not EXCEPT) has CODE, 0 when not, <0 db error */
static int code_taken(souk_store *db, const char *code, int64_t except)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT 1 FROM warehouses WHERE code = $1 AND id <> $2");
    if (!st)
        return SOUK_DB_HARD;
    souk_stmt_bind_text(st, 1, code, SIZE_MAX);
    souk_stmt_bind_i64(st, 2, except);
    int r = souk_stmt_step(st);
    if (r == SOUK_DB_ROW) {
        souk_stmt_done(st);
        return 1;
    }
    return r;
}

typedef struct wh_ctx {
    int64_t id;
    const souk_warehouse_in *in;
    souk_arena *a;
    souk_problems *pr;
} wh_ctx;

static souk_err check_code(souk_store *db, wh_ctx *c)
{
    int r = code_taken(db, c->in->code, c->id);
    if (r < 0)
        return souk__inventory_dberr(r);
    if (r) {
        souk_problems_add(c->pr, c->a, "code", "is already used by another warehouse");
        return SOUK_E_CONFLICT;
    }
    return SOUK_OK;
}

static souk_err create_tx(souk_store *db, void *arg)
{
    wh_ctx *c = arg;
    souk_stmt *st = souk_store_stmt(db, "SELECT count(*) FROM warehouses");
    if (!st)
        return SOUK_E_INTERNAL;
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r < 0 ? souk__inventory_dberr(r) : SOUK_E_INTERNAL;
    int64_t count = souk_stmt_i64(st, 0);
    souk_stmt_done(st);
    if (count >= SOUK_INVENTORY_WAREHOUSES_MAX) {
        souk_problems_add(c->pr, c->a, "code", "at most %d warehouses may exist", SOUK_INVENTORY_WAREHOUSES_MAX);
        return SOUK_E_CONFLICT;
    }
    c->id = souk_id_next();
    souk_err e = check_code(db, c);
    if (e)
        return e;
    st = souk_store_stmt(db, "INSERT INTO warehouses (id, code, name, created_at, updated_at) "
                             "VALUES ($1, $2, $3, $4, $4)");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, c->id);
    souk_stmt_bind_text(st, 2, c->in->code, SIZE_MAX);
    souk_stmt_bind_text(st, 3, c->in->name, SIZE_MAX);
    souk_stmt_bind_i64(st, 4, souk_time_now_us());
    return souk__inventory_dberr(souk_stmt_exec(st));
}

static bool present(const souk_warehouse_in *in, int field)
{
    return (in->present >> field) & 1;
}

souk_err souk_inventory_warehouse_create(souk_store *db, const souk_warehouse_in *in, souk_arena *a,
                                         souk_problems *pr, int64_t *id)
{
    if (!in->code || souk_inventory_check_code(in->code, strlen(in->code)))
        souk_problems_add(pr, a, "code", "must be 1-32 letters, digits, '_' or '-'");
    if (!in->name || !*in->name)
        souk_problems_add(pr, a, "name", "is required");
    if (pr->count)
        return SOUK_E_VALIDATION;
    wh_ctx c = {0, in, a, pr};
    souk_err e = souk__inventory_run(db, create_tx, &c, pr);
    if (!e)
        *id = c.id;
    return e;
}

static souk_err update_tx(souk_store *db, void *arg)
{
    wh_ctx *c = arg;
    int r = souk__inventory_warehouse_exists(db, c->id);
    if (r <= 0)
        return r < 0 ? souk__inventory_dberr(r) : SOUK_E_NOT_FOUND;
    souk_err e;
    if (present(c->in, SOUK_WF_CODE) && (e = check_code(db, c)))
        return e;
    souk_stmt *st = souk_store_stmt(db, "UPDATE warehouses SET code = coalesce($2, code), name = coalesce($3, name), "
                                        "updated_at = $4 WHERE id = $1");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, c->id);
    if (present(c->in, SOUK_WF_CODE))
        souk_stmt_bind_text(st, 2, c->in->code, SIZE_MAX);
    else
        souk_stmt_bind_null(st, 2);
    if (present(c->in, SOUK_WF_NAME))
        souk_stmt_bind_text(st, 3, c->in->name, SIZE_MAX);
    else
        souk_stmt_bind_null(st, 3);
    souk_stmt_bind_i64(st, 4, souk_time_now_us());
    return souk__inventory_dberr(souk_stmt_exec(st));
}

souk_err souk_inventory_warehouse_update(souk_store *db, int64_t id, const souk_warehouse_in *in, souk_arena *a,
                                         souk_problems *pr)
{
    if (present(in, SOUK_WF_CODE) && (!in->code || souk_inventory_check_code(in->code, strlen(in->code))))
        souk_problems_add(pr, a, "code", "must be 1-32 letters, digits, '_' or '-'");
    if (present(in, SOUK_WF_NAME) && (!in->name || !*in->name))
        souk_problems_add(pr, a, "name", "must not be empty");
    if (pr->count)
        return SOUK_E_VALIDATION;
    wh_ctx c = {id, in, a, pr};
    return souk__inventory_run(db, update_tx, &c, pr);
}

souk_err souk_inventory_warehouse_get(souk_store *db, int64_t id, json_t **out)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT " WAREHOUSE_COLS " FROM warehouses WHERE id = $1");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, id);
    int r = souk_stmt_step(st);
    if (r != SOUK_DB_ROW)
        return r == SOUK_DB_DONE ? SOUK_E_NOT_FOUND : SOUK_E_INTERNAL;
    *out = warehouse_row(st);
    souk_stmt_done(st);
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}

souk_err souk_inventory_warehouses(souk_store *db, json_t **out)
{
    souk_stmt *st = souk_store_stmt(db, "SELECT " WAREHOUSE_COLS " FROM warehouses ORDER BY code, id LIMIT $1");
    if (!st)
        return SOUK_E_INTERNAL;
    souk_stmt_bind_i64(st, 1, SOUK_INVENTORY_WAREHOUSES_MAX);
    json_t *arr = json_array();
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW)
        json_array_append_new(arr, warehouse_row(st));
    if (r < 0) {
        json_decref(arr);
        return SOUK_E_INTERNAL;
    }
    *out = json_pack("{s:o}", "data", arr);
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}
