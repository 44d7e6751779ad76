/*
 * audit.h — the append-only, hash-chained audit log (table audit_log,
 * migration 0002). Design: docs/internals/audit.md.
 *
 * Every entry carries prev_hash (the previous entry's hash, 64 '0' for the
 * first) and hash = hex(BLAKE2b-256(prev_hash || canonical(entry))), so a
 * changed column, a deleted or reordered row breaks the chain from that
 * entry on; souk_audit_verify walks the chain and names the first bad seq.
 *
 * Canonical serialization (version 1). The hash input is
 *
 *     prev_hash                       64 lower-case hex ASCII characters
 *     "souk-audit-v1,"                domain tag and format version
 *     F(seq) F(id) F(at) F(actor_type) F(actor_id) F(action) F(object_type)
 *     F(object_id) F(subject_user_id) F(request_id) F(result) F(details)
 *
 * where F(NULL) = "~," and F(v) = <decimal byte length of T> ":" T ","
 * with T the value as text: text columns byte for byte (embedded NULs
 * included), integers in SQLite's rendering — optional '-', decimal digits,
 * no leading zeros or '+'. Lengths are decimal without leading zeros. The
 * encoding is prefix-free (a field starts with '~' or a digit and its length
 * says where it ends), so two different entries never serialize equally.
 * Only actor_id and subject_user_id may be NULL; 0 in the C struct means
 * NULL in the row. details is hashed exactly as stored ("{}" when absent).
 */
#ifndef SOUK_AUDIT_H
#define SOUK_AUDIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "store/store.h"

#define SOUK_PREFIX_AUDIT "aud"
#define SOUK_PREFIX_USER "usr"
#define SOUK_PREFIX_APIKEY "key"

#define SOUK_AUDIT_HASH_HEX 64       /* hex characters of a hash (no NUL) */
#define SOUK_AUDIT_TEXT_MAX 1024     /* bytes of action, object_type, object_id, request_id */
#define SOUK_AUDIT_DETAILS_MAX 16384 /* bytes of details_json */
#define SOUK_AUDIT_LIST_MAX 200      /* largest page of GET /api/v1/admin/audit */

typedef struct souk_audit_entry {
    const char *actor_type;   /* "user", "api_key", "anonymous", "system" */
    int64_t actor_id;         /* 0 = none */
    const char *action;       /* e.g. "POST /api/v1/products" or "auth.refresh_reuse" */
    const char *object_type;  /* "" or e.g. "product" (NULL = "") */
    const char *object_id;    /* "" or the typed id string (NULL = "") */
    int64_t subject_user_id;  /* the account the entry is about (0 = none) — used by GDPR export */
    const char *request_id;   /* NULL = "" */
    int result;               /* HTTP status, or 0 */
    const char *details_json; /* JSON object text or NULL ("{}"); callers must never put PII here */
} souk_audit_entry;

/* Appends E inside the caller's open write transaction (souk_store_tx): reads
 * the last entry's seq and hash, computes hash = hex(BLAKE2b-256(prev_hash ||
 * canonical(E))) (see above), and inserts with seq = last seq + 1, id =
 * souk_id_next(), at = souk_time_now_us(). The first entry's prev_hash is 64
 * '0' characters. Because souk_store_tx takes the write lock at BEGIN, two
 * appenders can never read the same last entry.
 * E is validated: actor_type must be one of the four names, action non-empty,
 * strings at most SOUK_AUDIT_TEXT_MAX bytes, details_json a JSON object of at
 * most SOUK_AUDIT_DETAILS_MAX bytes. A bad E is the caller's bug: it is logged
 * and SOUK_DB_HARD returned (nothing is written).
 * Returns 0, or a negative souk_db_status (SOUK_DB_SOFT: let souk_store_tx
 * retry the whole transaction). */
int souk_audit_append_tx(souk_store *db, const souk_audit_entry *e);

/* Same as souk_audit_append_tx in a write transaction of its own (retried on
 * SOUK_DB_SOFT by souk_store_tx) — or, where DB is in a write transaction
 * already (the group committer runs a write request's audit hook inside the
 * group's transaction, so the entry commits with the change it records),
 * inside that one (souk_store_tx_join: the append writes one row, so a
 * failed append leaves nothing behind). Returns 0 or a negative
 * souk_db_status. */
int souk_audit_append(souk_store *db, const souk_audit_entry *e);

/* Walks the whole chain in seq order inside one read snapshot, recomputing
 * every hash. Returns 0 when intact (*CHECKED = number of entries), 1 when
 * broken (*FIRST_BAD = seq of the first entry whose prev_hash or hash does not
 * match, whose columns hold values of the wrong storage type, or that is
 * missing from the sequence 1, 2, 3 ...; WHY (WHYLEN bytes, may be 0) says
 * which), or a negative souk_db_status. CHECKED and FIRST_BAD may be NULL.
 * Not for use inside souk_store_tx or a read transaction. Entries removed
 * from the end of the chain cannot be noticed here (docs/internals/audit.md:
 * anchor the latest hash outside the database). */
int souk_audit_verify(souk_store *db, int64_t *checked, int64_t *first_bad, char *why, size_t whylen);

/* The newest entry's seq and hash (HASH gets SOUK_AUDIT_HASH_HEX + 1 bytes),
 * for anchoring the chain outside the database. Returns SOUK_DB_ROW, or
 * SOUK_DB_DONE for an empty log (*SEQ = 0, HASH = 64 '0'), or an error class. */
int souk_audit_head(souk_store *db, int64_t *seq, char *hash);

/* The stored hash of entry SEQ (HASH gets SOUK_AUDIT_HASH_HEX + 1 bytes; a
 * longer, tampered value is cut), to check an anchor kept outside the
 * database. Returns SOUK_DB_ROW, SOUK_DB_DONE when there is no such entry,
 * or an error class. */
int souk_audit_hash_at(souk_store *db, int64_t seq, char *hash);

/* GET /api/v1/admin/audit (permission "audit:read", bound in routes.c).
 * Lists entries newest first (keyset on seq descending). Query parameters,
 * each at most once:
 *   actor_type   user | api_key | anonymous | system
 *   actor_id     a typed id: "usr_…" (implies actor_type=user) or "key_…"
 *                (implies actor_type=api_key); a bare number is rejected, ids
 *                are opaque to clients. Contradicting actor_type → 422.
 *   action       exact match;  object_type, object_id  exact match
 *   subject      "usr_…": entries about that account
 *   from, to     RFC 3339; from inclusive, to exclusive; from ≤ to
 *   limit        1..200, default 50
 *   cursor       opaque next_cursor of the previous page
 * Unknown, repeated or bad parameters → 422 VALIDATION_ERROR with details.
 * Response 200: {"data":[entry...],"next_cursor":string|null} with entry =
 * {"seq","id":"aud_…","at","actor_type","actor_id" (typed string or null),
 *  "action","object_type","object_id","subject_user_id" ("usr_…" or null),
 *  "request_id","result","details" (object),"prev_hash","hash"}.
 * Returns 0 or a souk_err set on RES. */
int souk_audit_api_list(souk_req *req, souk_res *res);

/* GET /api/v1/admin/audit/verify — walks the whole chain (souk_audit_verify;
 * a blocking route: it reads every entry) and answers {intact, checked,
 * first_bad, why, head: {seq, hash}}. Takes no parameters (422 for any). */
int souk_audit_api_verify(souk_req *req, souk_res *res);

/* {"data":[entry...]} of the entries about USER (as subject or as acting
 * user), oldest first, at most LIMIT; for the GDPR export. NULL on error. */
json_t *souk_audit_about_user_json(souk_store *db, int64_t user, int limit);

#endif
