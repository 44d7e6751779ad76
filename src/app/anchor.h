/*
 * anchor.h — the audit log's anchors, kept outside the database by a
 * scheduled job (kind "audit.anchor"): the newest entry's SEQ:HASH, as
 * `souk audit head` prints it, appended to a file and/or mailed to the
 * admins, so that a log cut short or rewritten as a whole by someone with
 * write access to the database is caught by `souk audit verify --anchor`
 * (docs/auth.md, docs/internals/audit.md).
 */
#ifndef SOUK_APP_ANCHOR_H
#define SOUK_APP_ANCHOR_H

#include <stdbool.h>

#define SOUK_ANCHOR_JOB "audit.anchor"
#define SOUK_ANCHOR_DEFAULT_CRON "0 * * * *" /* hourly, on the hour (UTC) */

/* Reads SOUK_AUDIT_ANCHOR_FILE (a path; the file is created if missing and
 * opened for appending here, so a bad path fails at start),
 * SOUK_AUDIT_ANCHOR_MAIL (1 = mail every active admin through the outbox,
 * 0 or unset = not) and SOUK_AUDIT_ANCHOR_SCHEDULE (a cron expression,
 * default SOUK_ANCHOR_DEFAULT_CRON). Call before souk_background_start.
 * Returns 0, or -1 when a setting is invalid (logged). */
int souk_anchor_configure(void);

/* True when souk_anchor_configure found a destination (file or mail). */
bool souk_anchor_enabled(void);

/* Registers the job kind (always: a process without a destination that
 * claims the job fails it, so it is retried where one is set) and, when
 * enabled, its schedule. Called by souk_background_register. */
void souk_anchor_register(void);

#endif
