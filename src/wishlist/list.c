/*
 * list.c — the lists themselves: items added and removed, the list as JSON
 * with each item's price and availability now (read through the views the
 * catalog and inventory publish, migration 0155), the share link, guest
 * lists and their merge into the customer's at sign-in.
 *
 * A guest list is found by the BLAKE2b-256 of its cookie token, so the
 * database never holds a working token; a share token is stored as it is,
 * because the owner's page shows the link again (it opens a read-only view
 * of product names and prices and nothing else).
 */
#include "wishlist/internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

void souk__wishlist_hash(const char *token, char hex[65])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(hex, 65, h, sizeof h);
}

bool souk__wishlist_token_ok(const char *token)
{
    if (!token || strlen(token) != SOUK_WISHLIST_TOKEN_LEN)
        return false;
    for (const char *p = token; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_'))
            return false;
    return true;
}

void souk__wishlist_token_new(char out[SOUK_WISHLIST_TOKEN_MAX])
{
    unsigned char raw[24];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, SOUK_WISHLIST_TOKEN_MAX, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* The id of OWNER's list into *ID. SOUK_DB_ROW, SOUK_DB_DONE (none) or an error class. */
static int list_of(souk_store *db, const souk_wishlist_owner *owner, int64_t *id)
{
    if (owner->user_id)
        return souk_store_one(db, "SELECT id FROM wishlists WHERE user_id = $1", SOUK_ARGS(SOUK_I64(owner->user_id)),
                              SOUK_COLS(SOUK_COL_I64(id)));
    if (!souk__wishlist_token_ok(owner->guest_token))
        return SOUK_DB_DONE;
    char hex[65];
    souk__wishlist_hash(owner->guest_token, hex);
    return souk_store_one(db, "SELECT id FROM wishlists WHERE guest_hash = $1", SOUK_ARGS(SOUK_TEXT(hex)),
                          SOUK_COLS(SOUK_COL_I64(id)));
}

/* USER's list, made when missing, into *ID. SOUK_DB_ROW or an error class. */
static int user_list(souk_store *db, int64_t user, int64_t *id)
{
    int64_t now = souk_time_now_us();
    int r = souk_store_exec(db,
                            "INSERT INTO wishlists (id, user_id, created_at, updated_at) VALUES ($1, $2, $3, $3) "
                            "ON CONFLICT (user_id) DO NOTHING",
                            SOUK_ARGS(SOUK_I64(souk_id_next()), SOUK_I64(user), SOUK_I64(now)));
    if (r < 0)
        return r;
    r = souk_store_one(db, "SELECT id FROM wishlists WHERE user_id = $1", SOUK_ARGS(SOUK_I64(user)),
                       SOUK_COLS(SOUK_COL_I64(id)));
    return r == SOUK_DB_DONE ? SOUK_DB_HARD : r;
}

/* The price (-1: none) and available units of PRODUCT/VARIANT in CURRENCY now. 0 or an error class. */
static int item_now(souk_store *db, int64_t product, int64_t variant, const char *currency, int64_t *price,
                    int64_t *available)
{
    bool no_price = false;
    int r = souk_store_one(db,
                           "SELECT " SOUK__WISHLIST_PRICE(
                               "i.currency") ", " SOUK__WISHLIST_AVAILABLE
                                             " FROM (SELECT $1 AS product_id, $2 AS variant_id, $3 AS currency) i",
                           SOUK_ARGS(SOUK_I64(product), SOUK_I64(variant), SOUK_TEXT(currency)),
                           SOUK_COLS(SOUK_COL_NULLABLE(SOUK_COL_I64(price), &no_price), SOUK_COL_I64(available)));
    if (r < 0)
        return r;
    if (r == SOUK_DB_DONE || no_price)
        *price = -1;
    return 0;
}

souk_err souk_wishlist_add_tx(souk_store *db, const souk_wishlist_owner *owner, int64_t product, int64_t variant,
                              const char *currency, int64_t *item, bool *created, const char **why)
{
    *created = false;
    *why = NULL;
    int r;
    if (variant) {
        int64_t of = 0;
        /* an archived option cannot be wished for (a sold-out one can: that is what alerts are for) */
        r = souk_store_one(db,
                           "SELECT product_id FROM wishlist_catalog_variants WHERE variant_id = $1 AND purchasable = 1",
                           SOUK_ARGS(SOUK_I64(variant)), SOUK_COLS(SOUK_COL_I64(&of)));
        if (r < 0)
            return souk_store_dberr(r);
        if (r == SOUK_DB_DONE || (product && product != of)) {
            *why = r == SOUK_DB_DONE ? "No such variant." : "That variant is not an option of that product.";
            return SOUK_E_NOT_FOUND;
        }
        product = of;
    }
    int64_t active = 0;
    r = souk_store_one(db, "SELECT active FROM wishlist_catalog_products WHERE product_id = $1",
                       SOUK_ARGS(SOUK_I64(product)), SOUK_COLS(SOUK_COL_I64(&active)));
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_DONE || !active) {
        *why = "No such product.";
        return SOUK_E_NOT_FOUND;
    }
    int64_t list = 0;
    r = owner->user_id ? user_list(db, owner->user_id, &list) : list_of(db, owner, &list);
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_DONE) {
        *why = "No such wishlist.";
        return SOUK_E_NOT_FOUND;
    }
    r = souk_store_one(db,
                       "SELECT id FROM wishlist_items WHERE wishlist_id = $1 AND product_id = $2 AND variant_id = $3",
                       SOUK_ARGS(SOUK_I64(list), SOUK_I64(product), SOUK_I64(variant)), SOUK_COLS(SOUK_COL_I64(item)));
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_ROW)
        return SOUK_OK;
    int64_t count = 0;
    r = souk_store_one(db, "SELECT COUNT(*) FROM wishlist_items WHERE wishlist_id = $1", SOUK_ARGS(SOUK_I64(list)),
                       SOUK_COLS(SOUK_COL_I64(&count)));
    if (r < 0)
        return souk_store_dberr(r);
    if (count >= (owner->user_id ? SOUK_WISHLIST_ITEMS_MAX : SOUK_WISHLIST_GUEST_ITEMS_MAX)) {
        *why = owner->user_id ? "Your wishlist is full (200 items): remove one first."
                              : "This wishlist is full (50 items): sign in for a longer one.";
        return SOUK_E_CONFLICT;
    }
    int64_t price = -1, avail = 0, now = souk_time_now_us();
    if ((r = item_now(db, product, variant, currency, &price, &avail)) < 0)
        return souk_store_dberr(r);
    *item = souk_id_next();
    r = souk_store_exec(db,
                        "INSERT INTO wishlist_items (id, wishlist_id, product_id, variant_id, currency, ref_amount, "
                        "in_stock, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                        SOUK_ARGS(SOUK_I64(*item), SOUK_I64(list), SOUK_I64(product), SOUK_I64(variant),
                                  SOUK_TEXT(currency), price >= 0 ? SOUK_I64(price) : SOUK_NULL,
                                  SOUK_I64(avail > 0 ? 1 : 0), SOUK_I64(now)));
    if (r >= 0)
        r = souk_store_exec(db, "UPDATE wishlists SET updated_at = $2 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(list), SOUK_I64(now)));
    if (r < 0)
        return souk_store_dberr(r);
    *created = true;
    return SOUK_OK;
}

souk_err souk_wishlist_remove_tx(souk_store *db, const souk_wishlist_owner *owner, int64_t item)
{
    int64_t list = 0;
    int r = list_of(db, owner, &list);
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_DONE)
        return SOUK_E_NOT_FOUND;
    int64_t n = souk_store_update(db, "DELETE FROM wishlist_items WHERE id = $1 AND wishlist_id = $2",
                                  SOUK_ARGS(SOUK_I64(item), SOUK_I64(list)));
    if (n < 0)
        return souk_store_dberr((int)n);
    if (n == 0)
        return SOUK_E_NOT_FOUND;
    r = souk_store_exec(db, "UPDATE wishlists SET updated_at = $2 WHERE id = $1",
                        SOUK_ARGS(SOUK_I64(list), SOUK_I64(souk_time_now_us())));
    return souk_store_dberr(r);
}

/* The items of list LIST as a JSON array into *OUT, prices in CURRENCY; with
 * ids (the owner's view) or without. SOUK_OK or a storage error. */
static souk_err items_json(souk_store *db, int64_t list, const char *currency, bool ids, json_t **out)
{
    json_t *items = json_array();
    souk_stmt *st = souk_store_query(
        db,
        "SELECT i.id, i.product_id, i.variant_id, i.created_at, p.slug, p.title, p.active, "
        "(SELECT cv.variant_title FROM wishlist_catalog_variants cv WHERE cv.variant_id = i.variant_id), " SOUK__WISHLIST_PRICE(
            "$2") ", " SOUK__WISHLIST_AVAILABLE " "
                  "FROM wishlist_items i JOIN wishlist_catalog_products p ON p.product_id = i.product_id "
                  "WHERE i.wishlist_id = $1 AND ($3 = 1 OR p.active = 1) ORDER BY i.created_at DESC, i.id DESC",
        SOUK_ARGS(SOUK_I64(list), SOUK_TEXT(currency), SOUK_I64(ids ? 1 : 0)));
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        char id[SOUK_ID_TEXT_MAX], pid[SOUK_ID_TEXT_MAX], vid[SOUK_ID_TEXT_MAX], at[SOUK_RFC3339_LEN];
        int64_t variant = souk_stmt_i64(st, 2);
        const char *vt = souk_stmt_text(st, 7, NULL);
        json_t *o = json_object();
        if (ids)
            json_object_set_new(o, "id",
                                json_string(souk_id_format(SOUK_PREFIX_WISHLIST_ITEM, souk_stmt_i64(st, 0), id)));
        json_object_set_new(o, "product_id", json_string(souk_id_format("prod", souk_stmt_i64(st, 1), pid)));
        json_object_set_new(o, "variant_id", variant ? json_string(souk_id_format("var", variant, vid)) : json_null());
        json_object_set_new(o, "title", json_string(souk_stmt_text(st, 5, NULL) ? souk_stmt_text(st, 5, NULL) : ""));
        json_object_set_new(o, "variant_title", variant && vt ? json_string(vt) : json_null());
        json_object_set_new(o, "slug", json_string(souk_stmt_text(st, 4, NULL) ? souk_stmt_text(st, 4, NULL) : ""));
        json_object_set_new(
            o, "price",
            souk_stmt_is_null(st, 8)
                ? json_null()
                : json_pack("{s:I,s:s}", "amount", (json_int_t)souk_stmt_i64(st, 8), "currency", currency));
        json_object_set_new(o, "available", json_boolean(souk_stmt_i64(st, 6) && souk_stmt_i64(st, 9) > 0));
        json_object_set_new(o, "active", json_boolean(souk_stmt_i64(st, 6) != 0));
        if (ids) /* a shared list shows what is wished for, not when its owner was active */
            json_object_set_new(o, "added_at", json_string(souk_time_format(souk_stmt_i64(st, 3), at)));
        json_array_append_new(items, o);
    }
    if (r != SOUK_DB_DONE) {
        json_decref(items);
        return souk_store_dberr(r);
    }
    *out = items;
    return SOUK_OK;
}

souk_err souk_wishlist_json(souk_store *db, const souk_wishlist_owner *owner, const char *currency, json_t **out)
{
    int64_t list = 0;
    char share[SOUK_WISHLIST_TOKEN_MAX] = "";
    bool no_share = true;
    int r = list_of(db, owner, &list);
    if (r == SOUK_DB_ROW)
        r = souk_store_one(db, "SELECT share_token FROM wishlists WHERE id = $1", SOUK_ARGS(SOUK_I64(list)),
                           SOUK_COLS(SOUK_COL_NULLABLE(SOUK_COL_STR(share), &no_share)));
    if (r < 0)
        return souk_store_dberr(r);
    int64_t optout = 0;
    if (owner->user_id &&
        (r = souk_store_one(db, "SELECT 1 FROM wishlist_optouts WHERE user_id = $1",
                            SOUK_ARGS(SOUK_I64(owner->user_id)), SOUK_COLS(SOUK_COL_I64(&optout)))) < 0)
        return souk_store_dberr(r);
    json_t *items = NULL;
    souk_err e = list ? items_json(db, list, currency, true, &items) : SOUK_OK;
    if (e)
        return e;
    if (!items)
        items = json_array();
    size_t n = json_array_size(items);
    *out = json_pack("{s:o,s:I,s:b,s:o,s:b}", "items", items, "count", (json_int_t)n, "shared", !no_share,
                     "share_token", no_share ? json_null() : json_string(share), "alerts", owner->user_id && !optout);
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}

souk_err souk_wishlist_shared_json(souk_store *db, const char *token, const char *currency, json_t **out)
{
    if (!souk__wishlist_token_ok(token))
        return SOUK_E_NOT_FOUND;
    int64_t list = 0;
    int r = souk_store_one(db, "SELECT id FROM wishlists WHERE share_token = $1", SOUK_ARGS(SOUK_TEXT(token)),
                           SOUK_COLS(SOUK_COL_I64(&list)));
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_DONE)
        return SOUK_E_NOT_FOUND;
    json_t *items;
    souk_err e = items_json(db, list, currency, false, &items);
    if (e)
        return e;
    size_t n = json_array_size(items);
    *out = json_pack("{s:o,s:I}", "items", items, "count", (json_int_t)n);
    return *out ? SOUK_OK : SOUK_E_INTERNAL;
}

souk_err souk_wishlist_share_tx(souk_store *db, int64_t user, char token[SOUK_WISHLIST_TOKEN_MAX])
{
    int64_t list;
    int r = user_list(db, user, &list);
    if (r < 0)
        return souk_store_dberr(r);
    souk__wishlist_token_new(token);
    r = souk_store_exec(db, "UPDATE wishlists SET share_token = $2, updated_at = $3 WHERE id = $1",
                        SOUK_ARGS(SOUK_I64(list), SOUK_TEXT(token), SOUK_I64(souk_time_now_us())));
    return souk_store_dberr(r);
}

souk_err souk_wishlist_unshare_tx(souk_store *db, int64_t user)
{
    int r = souk_store_exec(db, "UPDATE wishlists SET share_token = NULL, updated_at = $2 WHERE user_id = $1",
                            SOUK_ARGS(SOUK_I64(user), SOUK_I64(souk_time_now_us())));
    return souk_store_dberr(r);
}

souk_err souk_wishlist_guest_create_tx(souk_store *db, char token[SOUK_WISHLIST_TOKEN_MAX])
{
    char hex[65];
    souk__wishlist_token_new(token);
    souk__wishlist_hash(token, hex);
    int64_t now = souk_time_now_us();
    int r =
        souk_store_exec(db, "INSERT INTO wishlists (id, guest_hash, created_at, updated_at) VALUES ($1, $2, $3, $3)",
                        SOUK_ARGS(SOUK_I64(souk_id_next()), SOUK_TEXT(hex), SOUK_I64(now)));
    return souk_store_dberr(r);
}

typedef struct merge_ctx {
    const char *token;
    int64_t user;
    int moved;
} merge_ctx;

static souk_err merge_body(souk_store *db, void *arg)
{
    merge_ctx *c = arg;
    c->moved = 0;
    int64_t from = 0, to = 0;
    int r = list_of(db, &(souk_wishlist_owner){.guest_token = c->token}, &from);
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_DONE)
        return SOUK_OK;
    if ((r = user_list(db, c->user, &to)) < 0)
        return souk_store_dberr(r);
    int64_t count = 0;
    r = souk_store_one(db, "SELECT COUNT(*) FROM wishlist_items WHERE wishlist_id = $1", SOUK_ARGS(SOUK_I64(to)),
                       SOUK_COLS(SOUK_COL_I64(&count)));
    if (r < 0)
        return souk_store_dberr(r);
    int64_t room = SOUK_WISHLIST_ITEMS_MAX - count;
    /* the guest's items not on the customer's list yet, oldest first, as many as fit; the
     * rows move (keeping their baselines), the rest go with the guest list */
    int64_t n = room <= 0
                    ? 0
                    : souk_store_update(db,
                                        "UPDATE wishlist_items SET wishlist_id = $2 WHERE id IN ("
                                        "SELECT g.id FROM wishlist_items g WHERE g.wishlist_id = $1 AND NOT EXISTS ("
                                        "SELECT 1 FROM wishlist_items u WHERE u.wishlist_id = $2 "
                                        "AND u.product_id = g.product_id AND u.variant_id = g.variant_id) "
                                        "ORDER BY g.created_at, g.id LIMIT $3)",
                                        SOUK_ARGS(SOUK_I64(from), SOUK_I64(to), SOUK_I64(room)));
    if (n < 0)
        return souk_store_dberr((int)n);
    c->moved = (int)n;
    r = souk_store_exec(db, "DELETE FROM wishlist_items WHERE wishlist_id = $1", SOUK_ARGS(SOUK_I64(from)));
    if (r >= 0)
        r = souk_store_exec(db, "DELETE FROM wishlists WHERE id = $1", SOUK_ARGS(SOUK_I64(from)));
    if (r >= 0)
        r = souk_store_exec(db, "UPDATE wishlists SET updated_at = $2 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(to), SOUK_I64(souk_time_now_us())));
    return souk_store_dberr(r);
}

souk_err souk_wishlist_merge_guest(souk_store *db, const char *guest_token, int64_t user, int *moved)
{
    merge_ctx c = {guest_token, user, 0};
    souk_err e = souk__wishlist_token_ok(guest_token) ? souk_store_run(db, merge_body, &c, NULL) : SOUK_OK;
    if (moved)
        *moved = c.moved;
    return e;
}

typedef struct purge_ctx {
    int64_t before;
    int limit;
    int64_t n;
} purge_ctx;

static int purge_body(souk_store *db, void *arg)
{
    purge_ctx *c = arg;
    int r = souk_store_exec(db,
                            "DELETE FROM wishlist_items WHERE wishlist_id IN (SELECT id FROM wishlists "
                            "WHERE guest_hash IS NOT NULL AND updated_at < $1 ORDER BY updated_at LIMIT $2)",
                            SOUK_ARGS(SOUK_I64(c->before), SOUK_I64(c->limit)));
    if (r < 0)
        return r;
    c->n = souk_store_update(db,
                             "DELETE FROM wishlists WHERE id IN (SELECT id FROM wishlists "
                             "WHERE guest_hash IS NOT NULL AND updated_at < $1 ORDER BY updated_at LIMIT $2)",
                             SOUK_ARGS(SOUK_I64(c->before), SOUK_I64(c->limit)));
    return c->n < 0 ? (int)c->n : 0;
}

int souk_wishlist_purge_guests(souk_store *db, int64_t now_us, int limit)
{
    purge_ctx c = {now_us - SOUK_WISHLIST_GUEST_TTL_US, limit, 0};
    int r = souk_store_tx(db, purge_body, &c);
    return r < 0 ? r : (int)c.n;
}

json_t *souk_wishlist_export_json(souk_store *db, int64_t user)
{
    json_t *out = NULL;
    return souk_wishlist_json(db, &(souk_wishlist_owner){.user_id = user}, "", &out) == SOUK_OK ? out : NULL;
}

int souk_wishlist_erase_tx(souk_store *db, int64_t user, const char *email)
{
    (void)email;
    int r = souk_store_exec(
        db, "DELETE FROM wishlist_items WHERE wishlist_id IN (SELECT id FROM wishlists WHERE user_id = $1)",
        SOUK_ARGS(SOUK_I64(user)));
    if (r >= 0)
        r = souk_store_exec(db, "DELETE FROM wishlists WHERE user_id = $1", SOUK_ARGS(SOUK_I64(user)));
    if (r >= 0)
        r = souk_store_exec(db, "DELETE FROM wishlist_alerts WHERE user_id = $1", SOUK_ARGS(SOUK_I64(user)));
    if (r >= 0)
        r = souk_store_exec(db, "DELETE FROM wishlist_optouts WHERE user_id = $1", SOUK_ARGS(SOUK_I64(user)));
    return r < 0 ? r : 0;
}
