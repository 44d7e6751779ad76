/*
 * background.h — everything that runs beside the HTTP server: the job
 * workers with their scheduler (src/jobs) and the event dispatcher
 * (src/events); mail delivery is one of the job kinds. `souk worker` runs
 * only these; `souk serve` runs them in process too (unless told not to),
 * so both call the same functions.
 */
#ifndef SOUK_BACKGROUND_H
#define SOUK_BACKGROUND_H

/* The one place where job kinds (souk_job_register), schedules
 * (souk_job_schedule) and event subscribers (souk_event_subscribe) of every
 * module are registered; called once by souk_background_start. */
void souk_background_register(void);

/* Reads the mail relay settings from the environment (SOUK_SMTP_URL, …)
 * and hands them to src/mail (souk_mail_configure), before
 * souk_background_start. Without SOUK_SMTP_URL mail stays in the outbox.
 * Returns 0, or -1 when the settings are invalid (logged). */
int souk_background_mail_config(void);

/* Registers everything (first call only), then starts THREADS job workers
 * (1..64), the scheduler and the event dispatcher on DB_DSN (migrated
 * already); with a mail relay configured, pending mail without a delivery
 * job is handed to the queue (souk_mail_requeue). Returns 0, or -1 with
 * nothing left running. */
int souk_background_start(const char *db_dsn, int threads);

/* Stops the dispatcher and the workers; jobs and handlers in progress finish
 * first. No-op when not started. */
void souk_background_stop(void);

/* Usage text of `souk worker`, for the command table. */
extern const char souk_worker_usage[];

/* `souk worker [--db DSN] [--threads N]`: runs the background work until
 * SIGTERM or SIGINT, then drains and returns 0. 2 for usage errors, 1 when
 * the database cannot be opened. ARGV[0] is "worker". */
int souk_cmd_worker(int argc, char **argv);

#endif
