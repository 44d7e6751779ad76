/*
 * mail.h — the transactional mail outbox and its SMTP delivery.
 *
 * Domain code never talks SMTP. It queues a message with
 * souk_mail_enqueue_tx inside the same write transaction as the change the
 * mail is about (a password-reset row, an order), so a message exists if and
 * only if that change committed. A worker thread later hands due messages to
 * an SMTP relay with libcurl, retrying with exponential backoff; every row is
 * kept (pending → sent | failed) for admins to inspect through
 * GET /api/v1/admin/mail. See docs/internals/mail.md.
 *
 * Storage: the mail_outbox table of migration 0002. Times are microseconds
 * since the Unix epoch (core/time.h); public ids are "mail_…" (core/id.h).
 */
#ifndef SOUK_MAIL_H
#define SOUK_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "store/store.h"

/* the handler types of http/http.h, without pulling the HTTP layer into every user of mail */
typedef struct souk_req souk_req;
typedef struct souk_res souk_res;

#define SOUK_PREFIX_MAIL "mail"

#define SOUK_MAIL_TO_MAX 254           /* bytes of the recipient address (RFC 5321 path limit) */
#define SOUK_MAIL_SUBJECT_MAX 200      /* characters (UTF-8 code points) */
#define SOUK_MAIL_BODY_MAX (64 * 1024) /* bytes */
#define SOUK_MAIL_MAX_ATTEMPTS 8       /* default souk_mail_config.max_attempts */
#define SOUK_MAIL_LIST_MAX 200         /* largest ?limit= of the admin list */

/* Queues a message inside the caller's open write transaction. USER_ID 0 = no account.
 * next_attempt_at = now. Bounded: to ≤ 254 chars and a valid-looking address (no CR/LF,
 * one '@'), subject ≤ 200 (no CR/LF), body ≤ 64 KiB. Returns 0, -1 on invalid input,
 * or a negative souk_db_status.
 *
 * Precisely: TO is printable ASCII without spaces or any of <>()[],;:\" , one '@' with a
 * non-empty local part (≤ 64) and domain (no empty labels); SUBJECT is valid UTF-8 without
 * control characters (TAB allowed); BODY is valid UTF-8 (any line endings; they are sent
 * as CRLF). A USER_ID that names no account fails the foreign key: SOUK_DB_CONSTRAINT.
 * Note -1 is also SOUK_DB_SOFT's value: callers inside souk_store_tx must validate first
 * (souk_mail_check) or map -1 to their own error, or the transaction runner retries. */
int souk_mail_enqueue_tx(souk_store *db, int64_t user_id, const char *to, const char *subject, const char *body);

/* Validates a message as souk_mail_enqueue_tx does, without touching the database.
 * Returns 0, or -1 with *WHY (optional) set to a static description of the first problem. */
int souk_mail_check(const char *to, const char *subject, const char *body, const char **why);

typedef struct souk_mail_config {
    const char *smtp_url;     /* e.g. "smtp://127.0.0.1:2525" or "smtps://relay:465"; NULL/"" = no relay */
    const char *from;         /* envelope and header From, e.g. "souk <no-reply@localhost>" */
    const char *username, *password; /* optional SMTP AUTH */
    int max_attempts;         /* default 8 */
} souk_mail_config;

/* Fills C from SOUK_SMTP_URL, SOUK_MAIL_FROM (default "souk <no-reply@localhost>"),
 * SOUK_SMTP_USER, SOUK_SMTP_PASSWORD. The strings point into the environment (valid
 * until it changes); unset or empty variables give NULL (from: the default).
 * max_attempts = SOUK_MAIL_MAX_ATTEMPTS. */
void souk_mail_config_from_env(souk_mail_config *c);

/* Checks C before it is used: a relay URL (when set) must be smtp:// or smtps://, FROM must
 * hold a valid address ("Name <addr>" or "addr") without CR/LF. Returns 0, or -1 with a
 * static reason in *WHY (optional). A config without a relay is valid. */
int souk_mail_config_check(const souk_mail_config *c, const char **why);

/* Delivers up to MAX due pending messages through the relay with libcurl (CURLOPT_URL,
 * CURLOPT_MAIL_FROM, CURLOPT_MAIL_RCPT, CURLOPT_READFUNCTION/UPLOAD with a proper RFC 5322
 * message: Date, From, To, Subject, Message-ID, MIME-Version, Content-Type text/plain;
 * charset=utf-8, Content-Transfer-Encoding 8bit; timeouts ≤ 30 s; require TLS where the URL
 * says smtps). Success → status 'sent', sent_at. Failure → attempts+1, last_error,
 * next_attempt_at = now + backoff (exponential with jitter: 30 s · 2^attempts, capped at 1 h);
 * after max_attempts → status 'failed' (kept, visible to admins; nothing is deleted).
 * Each message's state change is its own short transaction; the network call happens outside
 * any transaction. Returns the number delivered, or negative on a database error. With no
 * relay configured it does nothing and returns 0 (mail stays in the outbox).
 *
 * Details: a message is first claimed (next_attempt_at pushed 2 min ahead as a lease, so a
 * second process polling the same database does not send it too; a crash mid-send retries it
 * after the lease). attempts counts every attempt, the successful one included. A line longer
 * than 998 octets switches the body to quoted-printable; a non-ASCII subject is RFC 2047
 * encoded. An invalid C (souk_mail_config_check) is logged and delivers nothing (returns 0). */
int souk_mail_deliver_due(souk_store *db, const souk_mail_config *c, int max);

/* A background thread that opens its own connection to DB_PATH and calls
 * souk_mail_deliver_due every INTERVAL_MS (and sooner after souk_mail_worker_kick()), until
 * souk_mail_worker_stop() — which wakes it and joins. Start returns 0 or -1. Only started by
 * the lead when a relay is configured.
 *
 * Start copies DB_PATH and C; it returns -1 when a worker already runs, C fails
 * souk_mail_config_check, INTERVAL_MS ≤ 0, or the database cannot be opened. Kick and stop
 * are no-ops when no worker runs; stop aborts a transfer in progress (that message is retried
 * later without counting an attempt). All three are thread-safe. */
int souk_mail_worker_start(const char *db_dsn, const souk_mail_config *c, int interval_ms);
void souk_mail_worker_kick(void);
void souk_mail_worker_stop(void);

/* GET /api/v1/admin/mail handler (permission "mail:read"): the outbox newest first, with
 * query status=pending|sent|failed, to (exact address), limit 1..200 (default 50), cursor
 * (keyset on id). Unknown/bad parameters → 422 with details (see src/catalog/filter.c for the
 * style). Response {"data":[{"id":"mail_…","to","subject","body","status","attempts",
 * "last_error","created_at","sent_at" (RFC 3339 or null),"next_attempt_at"}],"next_cursor"}.
 *
 * "to" matches the whole address, ASCII case-insensitively. next_cursor is an opaque string
 * or null on the last page. The permission is enforced by the route table, not here. */
int souk_mail_api_list(souk_req *req, souk_res *res);

/* GDPR erasure: deletes every outbox row of USER_ID or addressed to EMAIL (inside the
 * caller's transaction). Returns 0 or a negative souk_db_status.
 *
 * USER_ID 0 / EMAIL NULL or "" skip that criterion; the address compares ASCII
 * case-insensitively. A message being sent at that moment may still go out once. */
int souk_mail_erase_tx(souk_store *db, int64_t user_id, const char *email);

/* ---- internal, shared by the module's files and its unit test ---- */

/* A claimed outbox row (malloc'd strings; souk__mail_row_release frees them). */
typedef struct souk__mail_row {
    int64_t id;
    int64_t attempts;
    int64_t lease;   /* next_attempt_at written by the claim; the row is ours while it holds */
    char *to, *subject, *body;
} souk__mail_row;

void souk__mail_row_release(souk__mail_row *r);

/* Claims the oldest due pending row (a short write transaction). 1 = claimed into ROW,
 * 0 = nothing due, negative souk_db_status on error. */
int souk__mail_claim(souk_store *db, int64_t now, souk__mail_row *row);

typedef enum { SOUK__MAIL_SENT, SOUK__MAIL_FAILED, SOUK__MAIL_INTERRUPTED } souk__mail_outcome;

/* Records the outcome for ROW (a short write transaction): sent; failed with ERROR (retry
 * after backoff, or 'failed' once MAX_ATTEMPTS are used); interrupted (retry now, no attempt
 * counted). Returns 0 or a negative souk_db_status. */
int souk__mail_record(souk_store *db, const souk__mail_row *row, souk__mail_outcome outcome, const char *error,
                      int max_attempts);

/* The retry delay in microseconds after ATTEMPTS earlier failed attempts: a random value in
 * [d/2, d] with d = min(30 s · 2^ATTEMPTS, 1 h). */
int64_t souk__mail_backoff_us(int64_t attempts);

/* Splits FROM ("Name <addr>" or "addr") into the address (*ADDR, LEN bytes) and the display
 * name (*NAME, NLEN bytes, may be 0). Returns 0 or -1 when FROM is not acceptable. */
int souk__mail_parse_from(const char *from, const char **addr, size_t *len, const char **name, size_t *nlen);

/* True when ADDR (LEN bytes) is an address we accept (see souk_mail_enqueue_tx). */
int souk__mail_addr_ok(const char *addr, size_t len);

/* Writes the RFC 5322 message for ROW into OUT (reset first), dated NOW_US, with the From
 * header for FROM (already checked). Returns 0 or -1 when OUT overflows. */
int souk__mail_format(souk_buf *out, const souk__mail_row *row, const char *from, int64_t now_us);

/* Set while the worker is being stopped: deliveries in progress abort. */
int souk__mail_stopping(void);

#endif
