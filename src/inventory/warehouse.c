/*
 * warehouse.c — warehouses: create, update, read, list. A warehouse is never
 * deleted (stock levels and history refer to it); the code is unique.
 */
#include "inventory/internal.h"

#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "store/page.h"
#include "store/row.h"
#include "core/banned.h"

#define WAREHOUSE_COLS "id, code, name, created_at, updated_at"

static json_t *warehouse_row(souk_stmt *st)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:o}", "id", souk_row_id(st, 0, SOUK_PREFIX_WAREHOUSE), "code",
                     souk_row_text(st, 1), "name", souk_row_text(st, 2), "created_at", souk_row_time(st, 3),
                     "updated_at", souk_row_time(st, 4));
}

typedef struct wh_ctx {
    int64_t id; /* the warehouse updated; 0 on create */
    const souk_warehouse_in *in;
    souk_arena *a;
    souk_problems *pr;
    int64_t created; /* create: out, the new id */
} wh_ctx;

/* The code must not be used by another warehouse (CONFLICT on "code"). */
static souk_err check_code(souk_store *db, const wh_ctx *c)
{
    int r = souk_store_one(db, "SELECT 1 FROM warehouses WHERE code = $1 AND id <> $2",
                           SOUK_ARGS(SOUK_TEXT(c->in->code), SOUK_I64(c->id)), NULL);
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_ROW) {
        souk_problems_add(c->pr, c->a, "code", "is already used by another warehouse");
        return SOUK_E_CONFLICT;
    }
    return SOUK_OK;
}

static souk_err create_body(souk_store *db, void *arg)
{
    wh_ctx *c = arg;
    int64_t count = 0;
    int r = souk_store_one(db, "SELECT count(*) FROM warehouses", NULL, SOUK_COLS(SOUK_COL_I64(&count)));
    if (r != SOUK_DB_ROW)
        return r < 0 ? souk_store_dberr(r) : SOUK_E_INTERNAL;
    if (count >= SOUK_INVENTORY_WAREHOUSES_MAX) {
        souk_problems_add(c->pr, c->a, "code", "at most %d warehouses may exist", SOUK_INVENTORY_WAREHOUSES_MAX);
        return SOUK_E_CONFLICT;
    }
    souk_err e = check_code(db, c);
    if (e)
        return e;
    int64_t id = souk_id_next();
    r = souk_store_exec(
        db, "INSERT INTO warehouses (id, code, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
        SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(c->in->code), SOUK_TEXT(c->in->name), SOUK_I64(souk_time_now_us())));
    if (r < 0)
        return souk_store_dberr(r);
    c->created = id;
    return SOUK_OK;
}

static bool present(const souk_warehouse_in *in, int field)
{
    return (in->present >> field) & 1;
}

souk_err souk_inventory_warehouse_create(souk_store *db, const souk_warehouse_in *in, souk_arena *a, souk_problems *pr,
                                         int64_t *id)
{
    if (!in->code || souk_inventory_check_code(in->code, strlen(in->code)))
        souk_problems_add(pr, a, "code", "must be 1-32 letters, digits, '_' or '-'");
    if (!in->name || !*in->name)
        souk_problems_add(pr, a, "name", "is required");
    if (pr->count)
        return SOUK_E_VALIDATION;
    wh_ctx c = {0, in, a, pr, 0};
    souk_err e = souk_store_run(db, create_body, &c, pr);
    if (!e)
        *id = c.created;
    return e;
}

static souk_err update_body(souk_store *db, void *arg)
{
    wh_ctx *c = arg;
    int r = souk__inventory_warehouse_exists(db, c->id);
    if (r <= 0)
        return r < 0 ? souk_store_dberr(r) : SOUK_E_NOT_FOUND;
    souk_err e;
    if (present(c->in, SOUK_WF_CODE) && (e = check_code(db, c)))
        return e;
    return souk_store_dberr(souk_store_exec(
        db,
        "UPDATE warehouses SET code = coalesce($2, code), "
        "name = coalesce($3, name), updated_at = $4 WHERE id = $1",
        SOUK_ARGS(SOUK_I64(c->id), SOUK_TEXT(present(c->in, SOUK_WF_CODE) ? c->in->code : NULL),
                  SOUK_TEXT(present(c->in, SOUK_WF_NAME) ? c->in->name : NULL), SOUK_I64(souk_time_now_us()))));
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
    wh_ctx c = {id, in, a, pr, 0};
    return souk_store_run(db, update_body, &c, pr);
}

souk_err souk_inventory_warehouse_get(souk_store *db, int64_t id, json_t **out)
{
    return souk__inventory_row_json(db, "SELECT " WAREHOUSE_COLS " FROM warehouses WHERE id = $1", id, warehouse_row,
                                    out);
}

static json_t *warehouse_item(souk_stmt *st, void *ctx)
{
    (void)ctx;
    return warehouse_row(st);
}

souk_err souk_inventory_warehouses(souk_store *db, json_t **out)
{
    json_t *arr =
        souk_store_rows(souk_store_query(db, "SELECT " WAREHOUSE_COLS " FROM warehouses ORDER BY code, id LIMIT $1",
                                         SOUK_ARGS(SOUK_I64(SOUK_INVENTORY_WAREHOUSES_MAX))),
                        warehouse_item, NULL);
    if (!arr)
        return SOUK_E_INTERNAL;
    *out = json_pack("{s:o}", "data", arr);
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}
