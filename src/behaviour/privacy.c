/*
 * privacy.c — a person's behaviour events in the GDPR export, and their
 * unlinking at erasure (the events stay, belonging to no one, so the
 * aggregate numbers and trained models keep their history).
 */
#include "behaviour/behaviour.h"

#include <sodium.h>

#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

static json_t *id_or_null(const char *prefix, int64_t id)
{
    char buf[SOUK_ID_TEXT_MAX];
    return id ? json_string(souk_id_format(prefix, id, buf)) : json_null();
}

static json_t *text_or_null(souk_stmt *st, int col)
{
    size_t len;
    const char *s = souk_stmt_text(st, col, &len);
    return s ? json_stringn(s, len) : json_null();
}

json_t *souk_behaviour_export_json(souk_store *db, int64_t user)
{
    json_t *out = json_array();
    souk_stmt *st = souk_store_query(db,
                                     "SELECT type, at, product_id, variant_id, order_id, quantity, list, query "
                                     "FROM behaviour_events WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
                                     SOUK_ARGS(SOUK_I64(user), SOUK_I64(SOUK_BEHAVIOUR_EXPORT_MAX)));
    int r;
    while (out && (r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        char when[SOUK_RFC3339_LEN];
        const char *type = souk_behaviour_type_name((int)souk_stmt_i64(st, 0));
        json_t *e = json_pack(
            "{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o}", "type", type ? type : "unknown", "time",
            souk_time_format(souk_stmt_i64(st, 1), when), "product_id", id_or_null("prod", souk_stmt_i64(st, 2)),
            "variant_id", id_or_null("var", souk_stmt_i64(st, 3)), "order_id", id_or_null("ord", souk_stmt_i64(st, 4)),
            "quantity", souk_stmt_is_null(st, 5) ? json_null() : json_integer(souk_stmt_i64(st, 5)), "list",
            text_or_null(st, 6), "query", text_or_null(st, 7));
        if (!e || json_array_append_new(out, e) < 0) {
            souk_stmt_done(st);
            json_decref(out);
            return NULL;
        }
    }
    if (!out || r != SOUK_DB_DONE) {
        json_decref(out);
        return NULL;
    }
    return out;
}

int souk_behaviour_erase_tx(souk_store *db, int64_t user, const char *email)
{
    (void)email;
    /* an event the account sent without a browser id is keyed by the account: rekey it by itself */
    int r = souk_store_exec(db,
                            "UPDATE behaviour_events SET user_id = NULL, properties = NULL, "
                            "sender = CASE WHEN sender = $1 THEN id ELSE sender END WHERE user_id = $1",
                            SOUK_ARGS(SOUK_I64(user)));
    if (r < 0)
        return r;
    /* the browser's anonymous id becomes one nobody holds (a random part:
     * a client cannot name it to find the visitor again) */
    uint64_t salt;
    randombytes_buf(&salt, sizeof salt);
    return souk_store_exec(db,
                           "UPDATE behaviour_visitors SET user_id = NULL, "
                           "anonymous_id = 'erased-' || CAST(id AS TEXT) || '-' || CAST($2 AS TEXT) "
                           "WHERE user_id = $1",
                           SOUK_ARGS(SOUK_I64(user), SOUK_I64((int64_t)(salt >> 1))));
}
