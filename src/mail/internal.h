/*
 * internal.h — what the files of src/mail share with each other and with
 * their unit test (tests/unit/test_mail.c). Other contexts use mail/mail.h.
 */
#ifndef SOUK_MAIL_INTERNAL_H
#define SOUK_MAIL_INTERNAL_H

#include "core/buf.h"
#include "mail/mail.h"

#define SOUK__MAIL_ERROR_MAX 500 /* bytes of last_error kept in the outbox */

/* A message to send (the strings are borrowed or malloc'd, as the caller says). */
typedef struct souk__mail_row {
    int64_t id;
    char *to, *subject, *body;
} souk__mail_row;

/* True when ADDR (LEN bytes) is an address we accept (see souk_mail_enqueue_tx). */
int souk__mail_addr_ok(const char *addr, size_t len);

/* True when S (LEN bytes) is strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
int souk__mail_utf8_ok(const unsigned char *s, size_t len);

/* Splits FROM ("Name <addr>" or "addr") into the address (*ADDR, LEN bytes) and the display
 * name (*NAME, NLEN bytes, may be 0). Returns 0 or -1 when FROM is not acceptable. */
int souk__mail_parse_from(const char *from, const char **addr, size_t *len, const char **name, size_t *nlen);

/* The configuration in force (config.c): a reference-counted copy, so a job can use it
 * while souk_mail_configure replaces it. */
typedef struct souk__mail_settings souk__mail_settings;
struct souk__mail_settings {
    souk_mail_config c;                  /* points into this allocation */
    char env_from[SOUK_MAIL_TO_MAX + 3]; /* "<addr>" for MAIL FROM */
    int refs;
    size_t size; /* of the allocation, wiped when freed */
};

/* The current settings with a reference taken (NULL when no relay is configured);
 * souk__mail_settings_put gives it back. */
souk__mail_settings *souk__mail_settings_get(void);
void souk__mail_settings_put(souk__mail_settings *s);

/* max_attempts of the configuration (SOUK_MAIL_MAX_ATTEMPTS when none was given). */
int souk__mail_max_attempts(void);

/* Writes the RFC 5322 message for ROW into OUT (reset first), dated NOW_US, with the From
 * header for FROM (already checked). Returns 0 or -1 when OUT overflows. */
int souk__mail_format(souk_buf *out, const souk__mail_row *row, const char *from, int64_t now_us);

/* Hands MSG for ROW->to to the relay of S with libcurl. 0 = accepted, SOUK_JOB_INTERRUPTED
 * = aborted because the job workers are stopping, SOUK_JOB_DEFERRED = not tried, the "smtp"
 * circuit breaker is open (souk_job_defer was called with its cool-down), -1 = failed with a description (curl's
 * message and the last SMTP reply code) in ERR. */
int souk__mail_send(const souk__mail_settings *s, const souk__mail_row *row, const souk_buf *msg, char *err,
                    size_t errlen);

#endif
