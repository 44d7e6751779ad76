/*
 * addresses.c — the customer's address book: GET/POST /api/v1/users/me/addresses,
 * GET/PATCH/DELETE /api/v1/users/me/addresses/{id}. An address has the
 * fields of an order's shipping address (so checkout takes one as it is)
 * plus the customer's label for it; at most ADDRESSES_MAX an account, at
 * most one the default shipping address. The first address saved becomes
 * the default; making another one the default takes it from the old one in
 * the same transaction (the partial unique index of migration 0140 holds
 * the rule should two requests race). Deleting the default leaves none:
 * the customer chooses the next one.
 */
#include "identity/account.h"
#include "identity/api.h"

#include <ctype.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "store/row.h"
#include "core/banned.h"

#define ADDRESSES_MAX 20
#define PREFIX "adr"

typedef struct address_in {
    const char *label, *name, *line1, *line2, *city, *postal_code, *region, *country;
    bool default_shipping;
    uint64_t present, nulls;
} address_in;

static const char *not_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)s[i]))
            return NULL;
    return "must not be blank";
}

static const char *country_check(const char *s, size_t len)
{
    return len == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
               ? NULL
               : "must be an ISO 3166 country code such as GB";
}

/* The field order is address_in's, which the update's present bits follow. */
enum { A_LABEL, A_NAME, A_LINE1, A_LINE2, A_CITY, A_POSTAL, A_REGION, A_COUNTRY, A_DEFAULT, A_COUNT };
#define FIELDS(REQ)                                                                                                    \
    SOUK_JSON_F_STRING("label", SOUK_JSON_NULLABLE, address_in, label, 0, 50, NULL),                                   \
        SOUK_JSON_F_STRING("name", REQ, address_in, name, 1, 200, not_blank),                                          \
        SOUK_JSON_F_STRING("line1", REQ, address_in, line1, 1, 200, not_blank),                                        \
        SOUK_JSON_F_STRING("line2", SOUK_JSON_NULLABLE, address_in, line2, 0, 200, NULL),                              \
        SOUK_JSON_F_STRING("city", REQ, address_in, city, 1, 200, not_blank),                                          \
        SOUK_JSON_F_STRING("postal_code", REQ, address_in, postal_code, 1, 200, not_blank),                            \
        SOUK_JSON_F_STRING("region", SOUK_JSON_NULLABLE, address_in, region, 0, 200, NULL),                            \
        SOUK_JSON_F_STRING("country", REQ, address_in, country, 2, 2, country_check),                                  \
        SOUK_JSON_F_BOOL("default_shipping", 0, address_in, default_shipping)
static const souk_json_field create_fields[] = {FIELDS(SOUK_JSON_REQUIRED)};
static const souk_json_field update_fields[] = {FIELDS(0)};
static const souk_json_spec create_spec = SOUK_JSON_SPEC(address_in, create_fields);
static const souk_json_spec update_spec = SOUK_JSON_SPEC(address_in, update_fields);
_Static_assert(sizeof create_fields / sizeof create_fields[0] == A_COUNT, "one field per A_");

#define COLUMNS                                                                                                        \
    "id, label, name, line1, line2, city, postal_code, region, country, default_shipping, created_at, updated_at"

static json_t *row_json(souk_stmt *st)
{
    char id[SOUK_ID_TEXT_MAX];
    return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:o}", "id",
                     souk_id_format(PREFIX, souk_stmt_i64(st, 0), id), "label", souk_row_text(st, 1), "name",
                     souk_row_text(st, 2), "line1", souk_row_text(st, 3), "line2", souk_row_text(st, 4), "city",
                     souk_row_text(st, 5), "postal_code", souk_row_text(st, 6), "region", souk_row_text(st, 7),
                     "country", souk_row_text(st, 8), "default_shipping", souk_stmt_i64(st, 9) != 0, "created_at",
                     souk_row_time(st, 10), "updated_at", souk_row_time(st, 11));
}

json_t *souk__identity_addresses_json(souk_store *db, int64_t user)
{
    souk_stmt *st = souk_store_query(db,
                                     "SELECT " COLUMNS " FROM addresses WHERE user_id = $1 "
                                     "ORDER BY default_shipping DESC, id DESC",
                                     SOUK_ARGS(SOUK_I64(user)));
    json_t *data = json_array();
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW)
        json_array_append_new(data, row_json(st));
    souk_stmt_done(st);
    if (r != SOUK_DB_DONE) {
        json_decref(data);
        return NULL;
    }
    return json_pack("{s:o}", "data", data);
}

/* Address ID of USER as JSON, or NULL (none, or an error). */
static json_t *one_json(souk_store *db, int64_t user, int64_t id)
{
    souk_stmt *st = souk_store_query(db, "SELECT " COLUMNS " FROM addresses WHERE id = $1 AND user_id = $2",
                                     SOUK_ARGS(SOUK_I64(id), SOUK_I64(user)));
    json_t *j = souk_stmt_step(st) == SOUK_DB_ROW ? row_json(st) : NULL;
    souk_stmt_done(st);
    return j;
}

static int need_user(souk_req *req, souk_res *res)
{
    if (req->principal.kind == SOUK_ACTOR_USER || (req->principal.kind == SOUK_ACTOR_API_KEY && req->principal.user_id))
        return 0;
    return souk_res_error(res, SOUK_E_FORBIDDEN, "This needs a user account.");
}

static int path_id(souk_req *req, souk_res *res, int64_t *id)
{
    if (souk_id_parse(PREFIX, req->params[0], strlen(req->params[0]), id) < 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such address.");
    return 0;
}

int souk_identity_api_addresses(souk_req *req, souk_res *res)
{
    if (need_user(req, res))
        return res->err;
    json_t *j = souk__identity_addresses_json(req->store, req->principal.user_id);
    res->cache_control = "no-store";
    return j ? souk_res_json(res, 200, j) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

int souk_identity_api_address(souk_req *req, souk_res *res)
{
    int64_t id;
    if (need_user(req, res) || path_id(req, res, &id))
        return res->err;
    json_t *j = one_json(req->store, req->principal.user_id, id);
    res->cache_control = "no-store";
    return j ? souk_res_json(res, 200, j) : souk_res_error(res, SOUK_E_NOT_FOUND, "No such address.");
}

/* One write of the address book, inside its transaction. */
typedef struct write_ctx {
    int64_t user, id; /* id: the address (made by create) */
    const address_in *in;
    const souk_json_spec *spec;
    bool create, full, found;
} write_ctx;

#define SET(c, i) ((c)->create || souk_json_present((c)->spec, (c)->in, (i)))
#define TEXT_OR_EMPTY(s) SOUK_TEXT((s) ? (s) : "")

static int write_tx(souk_store *db, void *arg)
{
    write_ctx *c = arg;
    const address_in *in = c->in;
    int64_t now = souk_time_now_us(), n = 0;
    bool make_default = SET(c, A_DEFAULT) && in->default_shipping;
    if (c->create) {
        int r = souk_store_one(db, "SELECT count(*) FROM addresses WHERE user_id = $1", SOUK_ARGS(SOUK_I64(c->user)),
                               SOUK_COLS(SOUK_COL_I64(&n)));
        if (r != SOUK_DB_ROW)
            return r;
        if (n >= ADDRESSES_MAX) {
            c->full = true;
            return 0;
        }
        if (n == 0) /* the first address is the default */
            make_default = true;
        c->id = souk_id_next();
    } else {
        int64_t owner = 0;
        int r = souk_store_one(db, "SELECT user_id FROM addresses WHERE id = $1 AND user_id = $2",
                               SOUK_ARGS(SOUK_I64(c->id), SOUK_I64(c->user)), SOUK_COLS(SOUK_COL_I64(&owner)));
        if (r != SOUK_DB_ROW)
            return r == SOUK_DB_DONE ? 0 : r;
    }
    c->found = true;
    if (make_default) {
        int r = souk_store_exec(db,
                                "UPDATE addresses SET default_shipping = 0, updated_at = $3 "
                                "WHERE user_id = $1 AND default_shipping = 1 AND id <> $2",
                                SOUK_ARGS(SOUK_I64(c->user), SOUK_I64(c->id), SOUK_I64(now)));
        if (r < 0)
            return r;
    }
    if (c->create)
        return souk_store_exec(
            db,
            "INSERT INTO addresses (id, user_id, label, name, line1, line2, city, postal_code, region, country, "
            "default_shipping, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
            SOUK_ARGS(SOUK_I64(c->id), SOUK_I64(c->user), TEXT_OR_EMPTY(in->label), SOUK_TEXT(in->name),
                      SOUK_TEXT(in->line1), TEXT_OR_EMPTY(in->line2), SOUK_TEXT(in->city), SOUK_TEXT(in->postal_code),
                      TEXT_OR_EMPTY(in->region), SOUK_TEXT(in->country), SOUK_I64(make_default ? 1 : 0),
                      SOUK_I64(now)));
    return souk_store_exec(
        db,
        "UPDATE addresses SET label = CASE WHEN $3 THEN $4 ELSE label END, name = CASE WHEN $5 THEN $6 ELSE name END, "
        "line1 = CASE WHEN $7 THEN $8 ELSE line1 END, line2 = CASE WHEN $9 THEN $10 ELSE line2 END, "
        "city = CASE WHEN $11 THEN $12 ELSE city END, postal_code = CASE WHEN $13 THEN $14 ELSE postal_code END, "
        "region = CASE WHEN $15 THEN $16 ELSE region END, country = CASE WHEN $17 THEN $18 ELSE country END, "
        "default_shipping = CASE WHEN $19 THEN $20 ELSE default_shipping END, updated_at = $21 "
        "WHERE id = $1 AND user_id = $2",
        SOUK_ARGS(SOUK_I64(c->id), SOUK_I64(c->user), SOUK_BOOL(SET(c, A_LABEL)), TEXT_OR_EMPTY(in->label),
                  SOUK_BOOL(SET(c, A_NAME)), TEXT_OR_EMPTY(in->name), SOUK_BOOL(SET(c, A_LINE1)),
                  TEXT_OR_EMPTY(in->line1), SOUK_BOOL(SET(c, A_LINE2)), TEXT_OR_EMPTY(in->line2),
                  SOUK_BOOL(SET(c, A_CITY)), TEXT_OR_EMPTY(in->city), SOUK_BOOL(SET(c, A_POSTAL)),
                  TEXT_OR_EMPTY(in->postal_code), SOUK_BOOL(SET(c, A_REGION)), TEXT_OR_EMPTY(in->region),
                  SOUK_BOOL(SET(c, A_COUNTRY)), TEXT_OR_EMPTY(in->country), SOUK_BOOL(SET(c, A_DEFAULT)),
                  SOUK_I64(in->default_shipping ? 1 : 0), SOUK_I64(now)));
}

static int write(souk_req *req, souk_res *res, bool create)
{
    address_in in;
    write_ctx c = {.user = req->principal.user_id, .in = &in, .create = create};
    c.spec = create ? &create_spec : &update_spec;
    if (need_user(req, res) || (!create && path_id(req, res, &c.id)) || souk_req_decode(req, res, c.spec, &in))
        return res->err;
    if (souk_store_tx(req->store, write_tx, &c) < 0)
        return souk_res_error(res, SOUK_E_INTERNAL, NULL);
    if (c.full)
        return souk_res_error(res, SOUK_E_CONFLICT, "An account keeps at most 20 addresses; delete one first.");
    if (!c.found)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such address.");
    char id[SOUK_ID_TEXT_MAX];
    souk_res_audit(res, "address", souk_arena_strdup(req->arena, souk_id_format(PREFIX, c.id, id)));
    json_t *j = one_json(req->store, c.user, c.id);
    res->cache_control = "no-store";
    return j ? souk_res_json(res, create ? 201 : 200, j) : souk_res_error(res, SOUK_E_INTERNAL, NULL);
}

int souk_identity_api_address_create(souk_req *req, souk_res *res)
{
    return write(req, res, true);
}

int souk_identity_api_address_update(souk_req *req, souk_res *res)
{
    return write(req, res, false);
}

int souk_identity_api_address_delete(souk_req *req, souk_res *res)
{
    int64_t id;
    if (need_user(req, res) || path_id(req, res, &id))
        return res->err;
    int64_t n = souk_store_update_tx(req->store, "DELETE FROM addresses WHERE id = $1 AND user_id = $2",
                                     SOUK_ARGS(SOUK_I64(id), SOUK_I64(req->principal.user_id)));
    if (n < 0)
        return souk_res_error(res, souk_store_dberr((int)n), NULL);
    if (n == 0)
        return souk_res_error(res, SOUK_E_NOT_FOUND, "No such address.");
    res->status = 204;
    return 0;
}
