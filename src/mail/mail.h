/*
 * mail.h — the transactional mail outbox and its SMTP delivery.
 *
 * Domain code never talks SMTP. It queues a message with
 * souk_mail_enqueue_tx inside the same write transaction as the change the
 * mail is about (a password-reset row, an order), so a message exists if and
 * only if that change committed. Delivery is a job of the job queue (kind
 * "mail.deliver", src/jobs), enqueued in that same transaction: the job
 * workers hand the message to an SMTP relay with libcurl, and the queue
 * brings the claiming, the retries with backoff and the dead-lettering.
 * The mail_outbox row stays the record of what was sent (pending → sent |
 * failed, attempts, last error) for admins to inspect through
 * GET /api/v1/admin/mail. See docs/internals/mail.md.
 *
 * Files: outbox.c (validation, enqueue, erasure, requeue), config.c (relay
 * settings), deliver.c (the job kind), format.c (the RFC 5322 message),
 * smtp.c (libcurl), api.c (the admin list); internal.h is the module's
 * shared header.
 *
 * Storage: the mail_outbox table of migration 0002. Times are microseconds
 * since the Unix epoch (core/time.h); public ids are "mail_…" (core/id.h).
 */
#ifndef SOUK_MAIL_H
#define SOUK_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* the handler types of http/http.h, without pulling the HTTP layer into every user of mail */
typedef struct souk_req souk_req;
typedef struct souk_res souk_res;

#define SOUK_PREFIX_MAIL "mail"

#define SOUK_MAIL_TO_MAX 254                       /* bytes of the recipient address (RFC 5321 path limit) */
#define SOUK_MAIL_SUBJECT_MAX 200                  /* characters (UTF-8 code points) */
#define SOUK_MAIL_BODY_MAX (64 * 1024)             /* bytes */
#define SOUK_MAIL_MAX_ATTEMPTS 8                   /* default souk_mail_config.max_attempts */
#define SOUK_MAIL_RETRY_US (INT64_C(30) * 1000000) /* delay before the second attempt, doubling up to 1 h */
#define SOUK_MAIL_JOB "mail.deliver"               /* the job kind that delivers one message */
#define SOUK_MAIL_LIST_MAX 200                     /* largest ?limit= of the admin list */

/* Queues a message inside the caller's open write transaction. USER_ID 0 = no account.
 * next_attempt_at = now. When this process delivers mail (souk_mail_configure with a relay)
 * the delivery job is enqueued in the same transaction; without a relay the message stays
 * pending in the outbox (souk_mail_requeue hands it to the queue once a relay is set).
 * Bounded: to ≤ 254 chars and a valid-looking address (no CR/LF,
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
    const char *smtp_url;            /* e.g. "smtp://127.0.0.1:2525" or "smtps://relay:465"; NULL/"" = no relay */
    const char *from;                /* envelope and header From, e.g. "souk <no-reply@localhost>" */
    const char *username, *password; /* optional SMTP AUTH */
    int max_attempts;                /* default 8 */
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

/* Sets how this process delivers mail (copied; C may be NULL = no relay), before the job
 * workers start and before souk_mail_register_jobs. With a relay (C->smtp_url set) messages
 * queued from now on get a delivery job, and delivery jobs send; without one messages only
 * go to the outbox and a delivery job that reaches this process leaves its message pending
 * (all processes that share a database should have the same mail settings). Returns 0, or
 * -1 when C fails souk_mail_config_check (logged; this process then delivers nothing). */
int souk_mail_configure(const souk_mail_config *c);

/* True when souk_mail_configure set a relay. */
bool souk_mail_delivers(void);

/* Registers the job kind SOUK_MAIL_JOB with souk_job_register_kind: max_attempts from the
 * configuration (default 8), retries after SOUK_MAIL_RETRY_US doubling up to 1 h (±20 %
 * jitter), and an outcome hook that writes each failure into the outbox row in the same
 * transaction: attempts + 1, last_error (≤ 500 bytes), next_attempt_at = the job's next
 * run, status 'failed' once the job is dead. One delivery (the job function): read the row
 * (erased or already sent: done, nothing sent), format it as an RFC 5322 message (Date,
 * From, To, Subject, Message-ID, MIME-Version, Content-Type text/plain; charset=utf-8,
 * Content-Transfer-Encoding 8bit, or quoted-printable when a line exceeds 998 octets; a
 * non-ASCII subject RFC 2047 encoded), hand it to the relay with libcurl outside any
 * transaction (timeouts ≤ 40 s, TLS required where the URL says smtps or credentials are
 * sent), then mark the row 'sent' (sent_at, attempts + 1, last_error cleared). A stop of the
 * workers aborts a transfer in progress: the job goes back to due without counting an
 * attempt and the row says "interrupted by shutdown; will retry". Returns 0 or -1 (the
 * kind could not be registered). Called by src/app's souk_background_register. */
int souk_mail_register_jobs(void);

/* Enqueues a delivery job for every pending message that has none queued or running (the
 * job's dedupe key is the message id), due at the row's next_attempt_at: mail queued while
 * no relay was configured, or by a process without one, is handed to the queue. Each batch
 * of 200 is its own write transaction. Returns the number of jobs enqueued, 0 when this
 * process does not deliver, or a negative souk_db_status. Called when the workers start. */
int souk_mail_requeue(souk_store *db);

/* Wakes the job workers, so that a message queued by a transaction that just committed is
 * delivered at once rather than at their next poll (≤ 500 ms). Thread-safe; a no-op when no
 * workers run. (Named for the mail worker thread that delivery once had.) */
void souk_mail_worker_kick(void);

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

#endif
