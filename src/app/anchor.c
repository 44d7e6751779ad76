/*
 * anchor.c — the audit.anchor job (anchor.h): the audit log's head, written
 * where whoever could rewrite the database cannot reach it as easily.
 *
 * One run reads the head (souk_audit_head), appends one line
 *
 *     2026-05-01T10:00:00.000123Z 1234:<64 hex digits>
 *
 * to SOUK_AUDIT_ANCHOR_FILE with a single O_APPEND write followed by fsync
 * (lines already there are never rewritten; put the file on another machine's
 * mount, or make it append-only with chattr +a), and/or queues one mail per
 * active admin in one transaction. The second field is what `souk audit
 * verify --anchor` takes. A run that is repeated (a worker that died after
 * writing) appends a second line: harmless. An empty log has nothing to
 * anchor; the run then writes nothing.
 *
 * The settings are read once at start. Every process that runs workers
 * should have the same ones: a process without a destination fails a run it
 * claims, so the job is retried and shows up in GET /admin/jobs rather than
 * passing silently.
 */
#include "app/anchor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "core/log.h"
#include "core/time.h"
#include "identity/identity.h"
#include "jobs/jobs.h"
#include "mail/mail.h"
#include "core/banned.h"

#define ADMINS_MAX 50

static struct {
    char file[1024];
    bool mail;
    char cron[128];
} cfg = {"", false, SOUK_ANCHOR_DEFAULT_CRON};

int souk_anchor_configure(void)
{
    const char *file = getenv("SOUK_AUDIT_ANCHOR_FILE");
    const char *mail = getenv("SOUK_AUDIT_ANCHOR_MAIL");
    const char *cron = getenv("SOUK_AUDIT_ANCHOR_SCHEDULE");
    if (mail && *mail && strcmp(mail, "0") != 0 && strcmp(mail, "1") != 0) {
        souk_log_error("SOUK_AUDIT_ANCHOR_MAIL must be 1 (mail the audit log's anchor to the admins) or 0");
        return -1;
    }
    cfg.mail = mail && strcmp(mail, "1") == 0;
    if (cron && *cron) {
        souk_cron parsed;
        const char *why = NULL;
        if (strlen(cron) >= sizeof cfg.cron || souk_cron_parse(cron, &parsed, &why) < 0) {
            souk_log_error("SOUK_AUDIT_ANCHOR_SCHEDULE: %s", why ? why : "not a cron expression");
            return -1;
        }
        snprintf(cfg.cron, sizeof cfg.cron, "%s", cron);
    }
    cfg.file[0] = '\0';
    if (file && *file) {
        if (strlen(file) >= sizeof cfg.file) {
            souk_log_error("SOUK_AUDIT_ANCHOR_FILE is longer than %zu bytes", sizeof cfg.file - 1);
            return -1;
        }
        int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            souk_log_error("SOUK_AUDIT_ANCHOR_FILE %s cannot be opened for appending: %s", file, strerror(errno));
            return -1;
        }
        close(fd);
        snprintf(cfg.file, sizeof cfg.file, "%s", file);
    }
    if (souk_anchor_enabled())
        souk_log_info("audit anchors: %s%s%s on schedule '%s'", cfg.file[0] ? "appended to " : "", cfg.file,
                      cfg.mail ? (cfg.file[0] ? " and mailed to the admins" : "mailed to the admins") : "", cfg.cron);
    return 0;
}

bool souk_anchor_enabled(void)
{
    return cfg.file[0] || cfg.mail;
}

static int append_line(const char *line, char *err, size_t errlen)
{
    int fd = open(cfg.file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", cfg.file, strerror(errno));
        return -1;
    }
    size_t n = strlen(line);
    ssize_t w = write(fd, line, n); /* one write: O_APPEND keeps it in one piece */
    int r = w == (ssize_t)n && fsync(fd) == 0 ? 0 : -1;
    if (r < 0)
        snprintf(err, errlen, "cannot append to %s: %s", cfg.file,
                 w < 0 || w == (ssize_t)n ? strerror(errno) : "short write");
    close(fd);
    return r;
}

typedef struct mail_ctx {
    const char *anchor, *when;
    int sent;
} mail_ctx;

static int mail_tx(souk_store *db, void *arg)
{
    mail_ctx *c = arg;
    int64_t ids[ADMINS_MAX];
    char emails[ADMINS_MAX][256];
    int n = souk_identity_admins(db, ids, emails, ADMINS_MAX);
    if (n < 0)
        return n;
    char body[1024];
    snprintf(body, sizeof body,
             "The audit log of souk ended at entry %s at %s.\n\n"
             "Keep this message. Entries cut off the end of the log, or a log rewritten as a whole, cannot\n"
             "be noticed from the database alone; this anchor notices them:\n\n"
             "    souk audit verify --db DATABASE --anchor %s\n",
             c->anchor, c->when, c->anchor);
    c->sent = 0;
    for (int i = 0; i < n; i++) {
        if (souk_mail_check(emails[i], "souk audit log anchor", body, NULL) != 0)
            continue; /* an address mail cannot go to: the others still get it */
        int r = souk_mail_enqueue_tx(db, ids[i], emails[i], "souk audit log anchor", body);
        if (r < 0)
            return r == -1 ? SOUK_DB_HARD : r; /* checked: -1 here is not "busy" */
        c->sent++;
    }
    return 0;
}

static int anchor_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    (void)payload;
    if (!souk_anchor_enabled()) {
        snprintf(err, errlen,
                 "this process has neither SOUK_AUDIT_ANCHOR_FILE nor SOUK_AUDIT_ANCHOR_MAIL set; every "
                 "process that runs workers needs the same settings");
        return -1;
    }
    int64_t seq = 0;
    char hash[SOUK_AUDIT_HASH_HEX + 1];
    int r = souk_audit_head(db, &seq, hash);
    if (r < 0) {
        snprintf(err, errlen, "cannot read the audit log's head: %s", souk_store_errmsg(db));
        return -1;
    }
    if (r == SOUK_DB_DONE)
        return 0; /* an empty log: nothing to anchor yet */
    char anchor[32 + SOUK_AUDIT_HASH_HEX], when[SOUK_RFC3339_LEN], line[sizeof anchor + sizeof when + 2];
    snprintf(anchor, sizeof anchor, "%lld:%s", (long long)seq, hash);
    souk_time_format(souk_time_now_us(), when);
    snprintf(line, sizeof line, "%s %s\n", when, anchor);
    if (cfg.file[0] && append_line(line, err, errlen) < 0)
        return -1;
    if (cfg.mail) {
        mail_ctx c = {anchor, when, 0};
        if (souk_store_tx(db, mail_tx, &c) < 0) {
            snprintf(err, errlen, "cannot queue the anchor mail: %s", souk_store_errmsg(db));
            return -1;
        }
        if (c.sent == 0)
            souk_log_warn("audit anchor %s: no active admin with an address to mail it to", anchor);
        souk_mail_worker_kick();
    }
    return 0;
}

void souk_anchor_register(void)
{
    souk_job_register(SOUK_ANCHOR_JOB, anchor_job, 5);
    if (souk_anchor_enabled())
        souk_job_schedule(SOUK_ANCHOR_JOB, cfg.cron);
}
