/*
 * audit.c — appending to and verifying the hash-chained audit log.
 *
 * The canonical serialization is defined in audit.h; both the writer
 * (souk_audit_append_tx) and the checker (souk_audit_verify) feed it through
 * the same function, chain_hash(), from an array of twelve fields, so the two
 * cannot drift apart. The writer builds the fields from the C values exactly
 * as SQLite will render them back as text (integers in plain decimal); the
 * checker takes every column as the database's text form of what is stored,
 * so a value whose storage type was changed (200 → '200abc', 5 → 5.5) hashes
 * differently, and a separate type check (a value must equal its own CAST to
 * the column's type, see verify_sql) catches the changes that keep the text
 * (an integer rewritten as the text '42', text as a BLOB).
 */
#include "audit/audit.h"

#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "core/banned.h"

#define NFIELDS 12
#define CANON_TAG "souk-audit-v1,"

static const char zero_hash[SOUK_AUDIT_HASH_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* One field of the canonical form; p == NULL is SQL NULL. */
typedef struct canon_field {
    const char *p;
    size_t len;
} canon_field;

/* HEX (SOUK_AUDIT_HASH_HEX + 1 bytes) = hex(BLAKE2b-256(PREV || canonical(F))). */
static void chain_hash(const char *prev, size_t prevlen, const canon_field f[NFIELDS], char *hex)
{
    crypto_generichash_state st;
    unsigned char out[crypto_generichash_BYTES];
    crypto_generichash_init(&st, NULL, 0, sizeof out);
    crypto_generichash_update(&st, (const unsigned char *)prev, prevlen);
    crypto_generichash_update(&st, (const unsigned char *)CANON_TAG, sizeof CANON_TAG - 1);
    for (int i = 0; i < NFIELDS; i++) {
        if (!f[i].p) {
            crypto_generichash_update(&st, (const unsigned char *)"~,", 2);
            continue;
        }
        char lenbuf[24];
        int n = snprintf(lenbuf, sizeof lenbuf, "%zu:", f[i].len);
        crypto_generichash_update(&st, (const unsigned char *)lenbuf, (unsigned long long)n);
        crypto_generichash_update(&st, (const unsigned char *)f[i].p, f[i].len);
        crypto_generichash_update(&st, (const unsigned char *)",", 1);
    }
    crypto_generichash_final(&st, out, sizeof out);
    sodium_bin2hex(hex, SOUK_AUDIT_HASH_HEX + 1, out, sizeof out);
}

static const char *const actor_types[] = {"user", "api_key", "anonymous", "system", NULL};

static int is_actor_type(const char *s)
{
    for (int i = 0; actor_types[i]; i++)
        if (strcmp(actor_types[i], s) == 0)
            return 1;
    return 0;
}

static int valid_utf8(const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);
    json_decref(j);
    return j != NULL;
}

/* NULL when E may be written, else what is wrong with it. */
static const char *check_entry(const souk_audit_entry *e)
{
    if (!e->actor_type || !is_actor_type(e->actor_type))
        return "actor_type must be user, api_key, anonymous or system";
    if (!e->action || !*e->action)
        return "action is empty";
    if (e->actor_id < 0 || e->subject_user_id < 0)
        return "actor_id and subject_user_id must not be negative";
    const char *texts[] = {e->action, e->object_type, e->object_id, e->request_id};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        if (!texts[i])
            continue;
        size_t n = strlen(texts[i]);
        if (n > SOUK_AUDIT_TEXT_MAX)
            return "a text field is longer than SOUK_AUDIT_TEXT_MAX";
        if (!valid_utf8(texts[i], n))
            return "a text field is not valid UTF-8";
    }
    if (e->details_json) {
        size_t n = strlen(e->details_json);
        if (n > SOUK_AUDIT_DETAILS_MAX)
            return "details_json is longer than SOUK_AUDIT_DETAILS_MAX";
        json_error_t err;
        json_t *j = json_loadb(e->details_json, n, JSON_REJECT_DUPLICATES, &err);
        int ok = json_is_object(j);
        json_decref(j);
        if (!ok)
            return "details_json is not a JSON object";
    }
    return NULL;
}

/* The newest entry: *SEQ and a malloc'd copy of its stored hash, byte for
 * byte (*HASH, *HASHLEN; the caller frees it). SOUK_DB_ROW, SOUK_DB_DONE for
 * an empty log (*HASH NULL), or an error class. */
static int last_entry(souk_store *db, int64_t *seq, char **hash, size_t *hashlen)
{
    *hash = NULL;
    *hashlen = 0;
    souk_stmt *st = souk_store_query(db, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", NULL);
    int r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(seq)));
    if (r != SOUK_DB_ROW)
        return r;
    /* the positional accessor keeps the length: a tampered hash may hold any bytes */
    const char *h = souk_stmt_text(st, 1, hashlen);
    *hash = malloc(*hashlen + 1);
    if (*hash) {
        if (*hashlen)
            memcpy(*hash, h, *hashlen);
        (*hash)[*hashlen] = '\0';
    }
    souk_stmt_done(st);
    return *hash ? SOUK_DB_ROW : SOUK_DB_HARD;
}

int souk_audit_append_tx(souk_store *db, const souk_audit_entry *e)
{
    const char *bad = check_entry(e);
    if (bad) {
        /* our bug, not the client's: nothing is written */
        souk_log(SOUK_LOG_ERROR, e->request_id, NULL, json_pack("{s:s?}", "action", e->action),
                 "audit: refusing bad entry: %s", bad);
        return SOUK_DB_HARD;
    }
    /* one write transaction at a time (souk_store_tx), each reading the
     * head the last one committed, on PostgreSQL too */
    int64_t last_seq = 0;
    char *prev; /* the stored hash of the last entry, byte for byte */
    size_t prevlen;
    int r = last_entry(db, &last_seq, &prev, &prevlen);
    if (r < 0)
        return r;
    if (r == SOUK_DB_DONE)
        prevlen = SOUK_AUDIT_HASH_HEX;
    else if (prevlen != SOUK_AUDIT_HASH_HEX)
        /* tampered head: keep chaining to what is stored; verify reports the row */
        souk_log_error("audit: the last entry (seq %" PRId64 ") has a malformed hash", last_seq);

    int64_t seq = last_seq + 1, id = souk_id_next(), at = souk_time_now_us();
    const char *details = e->details_json ? e->details_json : "{}";
    const char *object_type = e->object_type ? e->object_type : "";
    const char *object_id = e->object_id ? e->object_id : "";
    const char *request_id = e->request_id ? e->request_id : "";
    char nseq[24], nid[24], nat[24], nactor[24], nsubject[24], nresult[24];
    snprintf(nseq, sizeof nseq, "%" PRId64, seq);
    snprintf(nid, sizeof nid, "%" PRId64, id);
    snprintf(nat, sizeof nat, "%" PRId64, at);
    snprintf(nactor, sizeof nactor, "%" PRId64, e->actor_id);
    snprintf(nsubject, sizeof nsubject, "%" PRId64, e->subject_user_id);
    snprintf(nresult, sizeof nresult, "%d", e->result);
    const canon_field f[NFIELDS] = {
        {nseq, strlen(nseq)},
        {nid, strlen(nid)},
        {nat, strlen(nat)},
        {e->actor_type, strlen(e->actor_type)},
        {e->actor_id ? nactor : NULL, strlen(nactor)},
        {e->action, strlen(e->action)},
        {object_type, strlen(object_type)},
        {object_id, strlen(object_id)},
        {e->subject_user_id ? nsubject : NULL, strlen(nsubject)},
        {request_id, strlen(request_id)},
        {nresult, strlen(nresult)},
        {details, strlen(details)},
    };
    char hash[SOUK_AUDIT_HASH_HEX + 1];
    const char *prevp = prev ? prev : zero_hash;
    chain_hash(prevp, prevlen, f, hash);

    r = souk_store_exec(db,
                        "INSERT INTO audit_log (seq, id, at, actor_type, actor_id, action, object_type, "
                        "object_id, subject_user_id, request_id, result, details, prev_hash, hash) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                        SOUK_ARGS(SOUK_I64(seq), SOUK_I64(id), SOUK_I64(at), SOUK_TEXT(e->actor_type),
                                  SOUK_REF(e->actor_id), SOUK_TEXT(e->action), SOUK_TEXT(object_type),
                                  SOUK_TEXT(object_id), SOUK_REF(e->subject_user_id), SOUK_TEXT(request_id),
                                  SOUK_I64(e->result), SOUK_TEXT(details), SOUK_TEXTN(prevp, prevlen),
                                  SOUK_TEXTN(hash, SOUK_AUDIT_HASH_HEX)));
    free(prev);
    /* a seq taken meanwhile is a writer's that bypassed the write lock (a
     * program other than souk): transient, as a serialization failure is */
    if (r == SOUK_DB_CONSTRAINT)
        r = SOUK_DB_SOFT;
    return r < 0 ? r : 0;
}

static int append_fn(souk_store *db, void *ctx)
{
    return souk_audit_append_tx(db, ctx);
}

int souk_audit_append(souk_store *db, const souk_audit_entry *e)
{
    /* the append's one write is its INSERT (the read before it changes
     * nothing), so inside a transaction it needs no savepoint */
    int r = souk_store_tx_join(db, append_fn, (void *)e);
    return r < 0 ? r : 0;
}

int souk_audit_head(souk_store *db, int64_t *seq, char *hash)
{
    int64_t last = 0;
    char *stored;
    size_t n;
    int r = last_entry(db, &last, &stored, &n);
    if (r < 0)
        return r;
    *seq = last;
    memcpy(hash, zero_hash, sizeof zero_hash);
    if (r == SOUK_DB_ROW) {
        if (n > SOUK_AUDIT_HASH_HEX)
            n = SOUK_AUDIT_HASH_HEX;
        memcpy(hash, stored, n);
        hash[n] = '\0';
        free(stored);
    }
    return r;
}

int souk_audit_hash_at(souk_store *db, int64_t seq, char *hash)
{
    char stored[SOUK_AUDIT_HASH_HEX + 1];
    int r = souk_store_one(db, "SELECT hash FROM audit_log WHERE seq = $1", SOUK_ARGS(SOUK_I64(seq)),
                           SOUK_COLS(SOUK_COL_STR(stored)));
    if (r == SOUK_DB_ROW)
        memcpy(hash, stored, sizeof stored);
    return r;
}

/* Columns of the verify walk. The storage-type check sits in the SQL so it
 * sees the values before any accessor converts them, and is portable: a
 * value equals its own CAST to the column's type only when it is stored as
 * that type. In SQLite a CAST carries the type's affinity, as the column
 * does, so neither side is converted and an integer column holding the text
 * '42' (or a real 42.5), or a text column holding a BLOB of the same bytes,
 * compares unequal; PostgreSQL's typed columns pass trivially. */
#define SAME_TYPE(col, type) "CAST(" col " AS " type ") = " col
#define SAME_TYPE_OR_NULL(col, type) "(" col " IS NULL OR " SAME_TYPE(col, type) ")"
static const char verify_sql[] =
    "SELECT seq, id, at, actor_type, actor_id, action, object_type, object_id, subject_user_id, request_id, "
    "result, details, prev_hash, hash, CASE WHEN " SAME_TYPE("id", "BIGINT") " AND " SAME_TYPE("at", "BIGINT") " AND " SAME_TYPE("actor_type", "TEXT") " AND " SAME_TYPE_OR_NULL("actor_id", "BIGINT") " AND " SAME_TYPE("action", "TEXT") " AND " SAME_TYPE(
        "object_type",
        "TEXT") " AND " SAME_TYPE("object_id",
                                  "TEXT") " AND " SAME_TYPE_OR_NULL("subject_user_id",
                                                                    "BIGINT") " AND " SAME_TYPE("request_id",
                                                                                                "TEXT") " AND " SAME_TYPE("result",
                                                                                                                          "BIGINT") " AND " SAME_TYPE("details",
                                                                                                                                                      "TEXT") " AND " SAME_TYPE("prev_hash",
                                                                                                                                                                                "TEXT") " AND " SAME_TYPE("hash",
                                                                                                                                                                                                          "TEXT") " THEN 1 ELSE 0 END "
                                                                                                                                                                                                                  "FROM audit_log ORDER BY seq";

static int broken(int64_t seq, int64_t *first_bad, char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int broken(int64_t seq, int64_t *first_bad, char *why, size_t whylen, const char *fmt, ...)
{
    if (first_bad)
        *first_bad = seq;
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return 1;
}

int souk_audit_verify(souk_store *db, int64_t *checked, int64_t *first_bad, char *why, size_t whylen)
{
    if (checked)
        *checked = 0;
    if (first_bad)
        *first_bad = 0;
    if (why && whylen)
        why[0] = '\0';
    int r = souk_store_read_begin(db);
    if (r < 0)
        return r;
    souk_stmt *st = souk_store_query(db, verify_sql, NULL);
    char prev[SOUK_AUDIT_HASH_HEX + 1];
    memcpy(prev, zero_hash, sizeof prev);
    int64_t expect = 1, n = 0;
    int result = 0;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        int64_t seq = souk_stmt_i64(st, 0);
        if (seq != expect) {
            result = seq > expect
                         ? broken(expect, first_bad, why, whylen,
                                  "entry %" PRId64 " is missing (the next is %" PRId64 ")", expect, seq)
                         : broken(seq, first_bad, why, whylen, "entry has seq %" PRId64 " outside the chain", seq);
            break;
        }
        if (!souk_stmt_i64(st, 14)) {
            result = broken(seq, first_bad, why, whylen, "a column holds a value of the wrong type");
            break;
        }
        size_t plen, hlen;
        const char *p = souk_stmt_text(st, 12, &plen);
        if (!p || plen != SOUK_AUDIT_HASH_HEX || memcmp(p, prev, SOUK_AUDIT_HASH_HEX) != 0) {
            result = broken(seq, first_bad, why, whylen,
                            seq == 1 ? "prev_hash of the first entry is not all zeros"
                                     : "prev_hash does not match the hash of the previous entry");
            break;
        }
        canon_field f[NFIELDS];
        for (int c = 0; c < NFIELDS; c++) {
            f[c].p = souk_stmt_is_null(st, c) ? NULL : souk_stmt_text(st, c, &f[c].len);
            if (!f[c].p)
                f[c].len = 0;
        }
        char hash[SOUK_AUDIT_HASH_HEX + 1];
        chain_hash(prev, SOUK_AUDIT_HASH_HEX, f, hash);
        const char *h = souk_stmt_text(st, 13, &hlen);
        if (!h || hlen != SOUK_AUDIT_HASH_HEX || memcmp(h, hash, SOUK_AUDIT_HASH_HEX) != 0) {
            result = broken(seq, first_bad, why, whylen, "hash does not match the entry's contents");
            break;
        }
        memcpy(prev, hash, sizeof prev);
        n++;
        expect++;
    }
    if (r < 0) {
        souk_store_read_end(db);
        return r;
    }
    souk_stmt_done(st);
    souk_store_read_end(db);
    if (checked)
        *checked = n;
    return result;
}
