/*
 * deliver.c — delivery of one outbox message as a job of kind
 * "mail.deliver" (payload {"mail_id": "mail_…"}, dedupe key
 * "mail.deliver@mail_…").
 *
 * The job queue claims the job (with its lease), retries it with the mail
 * backoff (30 s doubling up to 1 h) and dead-letters it after max_attempts;
 * this file does one attempt and keeps the outbox row the faithful record:
 * - the job function reads the row, sends outside any transaction, and on
 *   success marks the row sent in its own short transaction — so a job
 *   that runs again (its outcome was lost, its lease ran out) finds the row
 *   sent and sends nothing;
 * - the outcome hook writes failures into the row inside the transaction
 *   that records the job's outcome: attempts, last_error, next_attempt_at =
 *   the job's next run, 'failed' once the job is dead. An interrupted
 *   attempt (the workers are stopping) counts nothing and is due at once.
 * Delivery is at least once: a crash after the relay accepted a message
 * and before the row says sent sends it again (the Message-ID stays the
 * same, so receivers can tell).
 */
#include "mail/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "core/banned.h"

#define MSG_MAX (512 * 1024) /* a 64 KiB body is at most ~3x that as quoted-printable */

/* The message id of a delivery job's PAYLOAD; 0 when it names none. */
static int64_t payload_id(const json_t *payload)
{
    const char *text = json_string_value(json_object_get(payload, "mail_id"));
    int64_t id;
    return text && souk_id_parse(SOUK_PREFIX_MAIL, text, strlen(text), &id) == 0 ? id : 0;
}

static void row_release(souk__mail_row *row)
{
    free(row->to);
    free(row->subject);
    free(row->body);
    memset(row, 0, sizeof *row);
}

/* Formats ROW and hands it to the relay of S. 0 sent, SOUK_JOB_INTERRUPTED, or -1 with ERR. */
static int send_row(const souk__mail_settings *s, const souk__mail_row *row, char *err, size_t errlen)
{
    souk_buf msg;
    souk_buf_init(&msg, MSG_MAX);
    int r;
    if (souk__mail_format(&msg, row, s->c.from, souk_time_now_us()) < 0) {
        snprintf(err, errlen, "could not format the message");
        r = -1;
    } else {
        r = souk__mail_send(s, row, &msg, err, errlen);
    }
    souk_buf_release(&msg);
    return r;
}

/* The job function: one delivery attempt of the message the payload names. */
static int deliver_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    int64_t id = payload_id(payload);
    souk__mail_row row = {.id = id};
    if (!id) {
        snprintf(err, errlen, "the payload names no message (mail_id)");
        return -1;
    }
    char idbuf[SOUK_ID_TEXT_MAX], status[16];
    souk_id_format(SOUK_PREFIX_MAIL, id, idbuf);
    int r = souk_store_one(
        db, "SELECT to_addr, subject, body, status FROM mail_outbox WHERE id = $1", SOUK_ARGS(SOUK_I64(id)),
        SOUK_COLS(SOUK_COL_DUP(&row.to), SOUK_COL_DUP(&row.subject), SOUK_COL_DUP(&row.body), SOUK_COL_STR(status)));
    if (r != SOUK_DB_ROW || strcmp(status, "sent") == 0) {
        row_release(&row);
        if (r < 0)
            snprintf(err, errlen, "cannot read the outbox: %s", souk_store_errmsg(db));
        return r < 0 ? -1 : 0; /* erased meanwhile, or delivered already: nothing to do */
    }
    souk__mail_settings *s = souk__mail_settings_get();
    if (!s) {
        souk_log_warn("mail: %s not sent: this process has no SMTP relay (SOUK_SMTP_URL); it stays pending", idbuf);
        row_release(&row);
        return 0;
    }
    int sent = send_row(s, &row, err, errlen);
    souk__mail_settings_put(s);
    row_release(&row);
    if (sent < 0) /* the id only: addresses and bodies are personal data, logs are not the place */
        souk_log(SOUK_LOG_WARN, NULL, NULL, json_pack("{s:s}", "mail_id", idbuf), "mail: delivery failed: %s", err);
    if (sent == SOUK_JOB_INTERRUPTED)
        snprintf(err, errlen, "interrupted by shutdown; will retry");
    if (sent != 0)
        return sent;
    r = (int)souk_store_update_tx(db,
                                  "UPDATE mail_outbox SET status = 'sent', sent_at = $2, attempts = attempts + 1, "
                                  "last_error = '' WHERE id = $1 AND status <> 'sent'",
                                  SOUK_ARGS(SOUK_I64(id), SOUK_I64(souk_time_now_us())));
    if (r < 0) {
        snprintf(err, errlen, "delivered, but the outbox could not be updated: %s", souk_store_errmsg(db));
        return -1;
    }
    /* SMTP has no standard trace header: the delivery is logged instead,
     * with the trace id of the job run (that of the request that queued the
     * mail) on the line */
    souk_log(SOUK_LOG_INFO, NULL, NULL, json_pack("{s:s}", "mail_id", idbuf), "mail: delivered to the relay");
    return 0;
}

/* The outcome hook: a failure, an interruption or the end of the retries, into the row. */
static int record_outcome(souk_store *db, const json_t *payload, const souk_job_outcome *o)
{
    int64_t id = payload_id(payload);
    if (!id || strcmp(o->state, "done") == 0)
        return 0; /* a success is recorded by the job function itself */
    const char *e = o->error ? o->error : "";
    size_t el = strlen(e);
    if (el > SOUK__MAIL_ERROR_MAX) { /* cut at a character boundary */
        el = SOUK__MAIL_ERROR_MAX;
        while (el > 0 && ((unsigned char)e[el] & 0xC0) == 0x80)
            el--;
    }
    if (o->interrupted)
        return souk_store_exec(db,
                               "UPDATE mail_outbox SET next_attempt_at = $2, last_error = $3 "
                               "WHERE id = $1 AND status = 'pending'",
                               SOUK_ARGS(SOUK_I64(id), SOUK_I64(o->run_at), SOUK_TEXTN(e, el)));
    bool dead = strcmp(o->state, "dead") == 0;
    return souk_store_exec(
        db,
        "UPDATE mail_outbox SET status = $2, attempts = attempts + 1, last_error = $3, "
        "next_attempt_at = $4 WHERE id = $1 AND status <> 'sent'",
        SOUK_ARGS(SOUK_I64(id), SOUK_TEXT(dead ? "failed" : "pending"), SOUK_TEXTN(e, el), SOUK_I64(o->run_at)));
}

int souk_mail_register_jobs(void)
{
    return souk_job_register_kind(&(souk_job_kind){.kind = SOUK_MAIL_JOB,
                                                   .fn = deliver_job,
                                                   .max_attempts = souk__mail_max_attempts(),
                                                   .retry_us = SOUK_MAIL_RETRY_US,
                                                   .on_outcome = record_outcome});
}

void souk_mail_worker_kick(void)
{
    souk_jobs_kick();
}
