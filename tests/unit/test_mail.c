/*
 * Unit tests for src/mail/ on a fresh temporary database: enqueue
 * validation, message format, delivery as a job of the job queue through a
 * tiny SMTP server run in a thread of this test (loopback, port 0) —
 * delivered once, retries with the mail backoff, giving up after
 * max_attempts, no relay (mail stays in the outbox, and is handed to the
 * queue once a relay is set) — the job workers (kick, stop mid-transfer),
 * GDPR erasure and the admin list handler.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "http/http.h"
#include "jobs/internal.h"
#include "mail/internal.h"

#include "fixture.h"

/* ---- a tiny SMTP server ------------------------------------------------- */

typedef enum { STUB_OK, STUB_FAIL, STUB_HANG } stub_mode;

#define STUB_MSGS 16
#define STUB_CONNS 16

typedef struct stub_msg {
    char *from, *rcpt, *data;
} stub_msg;

typedef struct stub {
    int lfd, port;
    _Atomic int mode;
    atomic_bool stop;
    pthread_t accept_thread;
    pthread_t conns[STUB_CONNS];
    int nconns;
    pthread_mutex_t mu;
    stub_msg msgs[STUB_MSGS];
    int nmsgs;
    char url[64];
} stub;

typedef struct conn {
    stub *s;
    int fd;
    char buf[8192];
    size_t len;
} conn;

static void say(conn *c, const char *line)
{
    size_t n = strlen(line);
    if (write(c->fd, line, n) != (ssize_t)n)
        return;
}

/* Reads one CRLF-terminated line into OUT (without CRLF). 0, or -1 on EOF/stop. */
static int read_line(conn *c, char **out)
{
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (nl) {
            size_t n = (size_t)(nl - c->buf);
            char *line = malloc(n + 1);
            memcpy(line, c->buf, n);
            line[n] = '\0';
            if (n && line[n - 1] == '\r')
                line[n - 1] = '\0';
            memmove(c->buf, nl + 1, c->len - n - 1);
            c->len -= n + 1;
            *out = line;
            return 0;
        }
        if (c->len == sizeof c->buf)
            return -1;
        struct pollfd p = {c->fd, POLLIN, 0};
        int r = poll(&p, 1, 50);
        if (atomic_load(&c->s->stop))
            return -1;
        if (r <= 0)
            continue;
        ssize_t got = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
        if (got <= 0)
            return -1;
        c->len += (size_t)got;
    }
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

static void *conn_main(void *arg)
{
    conn *c = arg;
    stub *s = c->s;
    char *from = NULL, *rcpt = NULL, *line;
    say(c, "220 stub ESMTP\r\n");
    while (read_line(c, &line) == 0) {
        if (strncasecmp(line, "EHLO", 4) == 0 || strncasecmp(line, "HELO", 4) == 0) {
            say(c, "250-stub\r\n250 8BITMIME\r\n");
        } else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
            free(from);
            from = xstrdup(line + 10);
            say(c, "250 ok\r\n");
        } else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
            free(rcpt);
            rcpt = xstrdup(line + 8);
            say(c, "250 ok\r\n");
        } else if (strcasecmp(line, "DATA") == 0) {
            if (atomic_load(&s->mode) == STUB_HANG) { /* never answer: the client must give up */
                free(line);
                while (read_line(c, &line) == 0)
                    free(line);
                break;
            }
            say(c, "354 go ahead\r\n");
            size_t cap = 1024, len = 0;
            char *data = malloc(cap);
            char *l;
            int ok = 0;
            while (read_line(c, &l) == 0) {
                if (strcmp(l, ".") == 0) {
                    free(l);
                    ok = 1;
                    break;
                }
                const char *t = l[0] == '.' ? l + 1 : l; /* undo dot-stuffing */
                size_t tl = strlen(t);
                while (len + tl + 3 > cap)
                    data = realloc(data, cap *= 2);
                memcpy(data + len, t, tl);
                memcpy(data + len + tl, "\r\n", 2);
                len += tl + 2;
                free(l);
            }
            data[len] = '\0';
            if (!ok) {
                free(data);
                break;
            }
            if (atomic_load(&s->mode) == STUB_FAIL) {
                say(c, "451 4.3.0 try again later\r\n");
                free(data);
            } else {
                pthread_mutex_lock(&s->mu);
                if (s->nmsgs < STUB_MSGS) {
                    stub_msg *m = &s->msgs[s->nmsgs++];
                    m->from = from ? from : xstrdup("");
                    m->rcpt = rcpt ? rcpt : xstrdup("");
                    m->data = data;
                    from = rcpt = NULL;
                } else {
                    free(data);
                }
                pthread_mutex_unlock(&s->mu);
                say(c, "250 queued\r\n");
            }
        } else if (strcasecmp(line, "RSET") == 0 || strcasecmp(line, "NOOP") == 0) {
            say(c, "250 ok\r\n");
        } else if (strcasecmp(line, "QUIT") == 0) {
            say(c, "221 bye\r\n");
            free(line);
            break;
        } else {
            say(c, "502 not implemented\r\n");
        }
        free(line);
    }
    free(from);
    free(rcpt);
    close(c->fd);
    free(c);
    return NULL;
}

static void *accept_main(void *arg)
{
    stub *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {s->lfd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        if (s->nconns == STUB_CONNS) {
            close(fd);
            continue;
        }
        conn *c = calloc(1, sizeof *c);
        c->s = s;
        c->fd = fd;
        pthread_create(&s->conns[s->nconns++], NULL, conn_main, c);
    }
    return NULL;
}

static void stub_start(stub *s, stub_mode mode)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    atomic_store(&s->mode, mode);
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->lfd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->lfd, 8), 0);
    socklen_t al = sizeof a;
    getsockname(s->lfd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    snprintf(s->url, sizeof s->url, "smtp://127.0.0.1:%d", s->port);
    pthread_create(&s->accept_thread, NULL, accept_main, s);
}

static int stub_count(stub *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->nmsgs;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static void stub_stop(stub *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->accept_thread, NULL);
    for (int i = 0; i < s->nconns; i++)
        pthread_join(s->conns[i], NULL);
    close(s->lfd);
    for (int i = 0; i < s->nmsgs; i++) {
        free(s->msgs[i].from);
        free(s->msgs[i].rcpt);
        free(s->msgs[i].data);
    }
    pthread_mutex_destroy(&s->mu);
}

/* ---- fixture and helpers ------------------------------------------------ */

typedef struct fixture {
    souk_test_db t;
    souk_store *db; /* t.db */
    stub smtp;
    bool smtp_started;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f || souk_test_db_open(&f->t, "mail") < 0)
        return -1;
    souk_log_set_level(SOUK_LOG_ERROR);
    f->db = f->t.db;
    souk__jobs_reset();
    souk_mail_configure(NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    souk_jobs_stop();
    souk__jobs_reset();
    souk_mail_configure(NULL);
    if (f->smtp_started)
        stub_stop(&f->smtp);
    souk_test_db_close(&f->t);
    free(f);
    return 0;
}

static void start_smtp(fixture *f, stub_mode mode)
{
    stub_start(&f->smtp, mode);
    f->smtp_started = true;
}

typedef struct enq {
    int64_t user;
    const char *to, *subject, *body;
} enq;

static int enqueue_fn(souk_store *db, void *ctx)
{
    enq *e = ctx;
    int r = souk_mail_enqueue_tx(db, e->user, e->to, e->subject, e->body);
    return r == -1 ? -100 : r; /* -1 is SOUK_DB_SOFT to the runner: map it so it does not retry */
}

static int enqueue(fixture *f, int64_t user, const char *to, const char *subject, const char *body)
{
    enq e = {user, to, subject, body};
    int r = souk_store_tx(f->db, enqueue_fn, &e);
    return r == -100 ? -1 : r;
}

static int64_t q_i64(fixture *f, const char *sql)
{
    int64_t v = 0;
    assert_int_equal(souk_store_one(f->db, sql, NULL, SOUK_COLS(SOUK_COL_I64(&v))), SOUK_DB_ROW);
    return v;
}

static char *q_text(fixture *f, const char *sql)
{
    char *s = NULL;
    assert_int_equal(souk_store_one(f->db, sql, NULL, SOUK_COLS(SOUK_COL_DUP(&s))), SOUK_DB_ROW);
    return s;
}

static void exec_sql(fixture *f, const char *sql)
{
    assert_int_equal(souk_store_exec(f->db, sql, NULL), SOUK_DB_DONE);
}

static souk_mail_config relay(fixture *f)
{
    souk_mail_config c = {f->smtp.url, "souk <no-reply@localhost>", NULL, NULL, 8};
    return c;
}

/* This process delivers through the stub (or C), with the delivery job kind registered. */
static void deliver_with(const souk_mail_config *c)
{
    assert_int_equal(souk_mail_configure(c), 0);
    assert_true(souk_mail_delivers());
    assert_int_equal(souk_mail_register_jobs(), 0);
}

/* Starts the stub relay in MODE and delivers through it, giving up after MAX_ATTEMPTS. */
static void deliver_through_stub(fixture *f, stub_mode mode, int max_attempts)
{
    start_smtp(f, mode);
    souk_mail_config c = relay(f);
    c.max_attempts = max_attempts;
    deliver_with(&c);
}

/* Runs every job due at NOW on the test's connection; returns how many ran. */
static int run_jobs(fixture *f, int64_t now)
{
    int n = 0, r;
    while ((r = souk__jobs_run_one(f->db, now, "test:1:w0")) == 1)
        n++;
    assert_int_equal(r, 0);
    return n;
}

/* ---- tests -------------------------------------------------------------- */

static void test_enqueue_validation(void **state)
{
    fixture *f = *state;
    static const char *bad_to[] = {
        "",
        "noat",
        "a@@b",
        "a@b@c",
        "@example.com",
        "user@",
        "a b@example.com",
        "<a@example.com>",
        "a@example.com\r\nBcc: victim@example.com",
        "a@example.com\n",
        "a@example.com\r",
        "a,b@example.com",
        "a@.example.com",
        "a@example.com.",
        "a@exa..mple.com",
        "us\xc3\xa9r@example.com",
        "a\"b@example.com",
    };
    for (size_t i = 0; i < sizeof bad_to / sizeof *bad_to; i++)
        if (enqueue(f, 0, bad_to[i], "s", "b") != -1)
            fail_msg("accepted address #%zu", i);
    assert_int_equal(enqueue(f, 0, NULL, "s", "b"), -1);
    assert_int_equal(enqueue(f, 0, "a@example.com", NULL, "b"), -1);
    assert_int_equal(enqueue(f, 0, "a@example.com", "s", NULL), -1);

    /* length limits: 254 bytes of address, 64 of local part */
    char addr[300];
    memset(addr, 'a', sizeof addr);
    memcpy(addr, "x@", 2);
    addr[254] = '\0';
    assert_int_equal(enqueue(f, 0, addr, "s", "b"), 0);
    memset(addr, 'a', sizeof addr);
    memcpy(addr, "x@", 2);
    addr[255] = '\0';
    assert_int_equal(enqueue(f, 0, addr, "s", "b"), -1);
    memset(addr, 'l', 65);
    memcpy(addr + 65, "@example.com", 13);
    assert_int_equal(enqueue(f, 0, addr, "s", "b"), -1);
    memset(addr, 'l', 64);
    memcpy(addr + 64, "@example.com", 13);
    assert_int_equal(enqueue(f, 0, addr, "s", "b"), 0);

    /* header injection through the subject, other controls, bad UTF-8 */
    assert_int_equal(enqueue(f, 0, "a@example.com", "Hi\r\nBcc: victim@example.com", "b"), -1);
    assert_int_equal(enqueue(f, 0, "a@example.com", "Hi\nthere", "b"), -1);
    assert_int_equal(enqueue(f, 0, "a@example.com", "Hi\rthere", "b"), -1);
    assert_int_equal(enqueue(f, 0, "a@example.com", "Hi\x1bthere", "b"), -1);
    assert_int_equal(enqueue(f, 0, "a@example.com", "bad \xc3\x28 utf8", "b"), -1);
    assert_int_equal(enqueue(f, 0, "a@example.com", "Tab\tis fine", "b"), 0);

    /* subject: 200 characters, counted as code points */
    char subj[1024];
    memset(subj, 's', 201);
    subj[201] = '\0';
    assert_int_equal(enqueue(f, 0, "a@example.com", subj, "b"), -1);
    subj[200] = '\0';
    assert_int_equal(enqueue(f, 0, "a@example.com", subj, "b"), 0);
    for (int i = 0; i < 200; i++)
        memcpy(subj + 2 * i, "\xc3\xa9", 2); /* é */
    subj[400] = '\0';
    assert_int_equal(enqueue(f, 0, "a@example.com", subj, "b"), 0);

    /* body: 64 KiB, valid UTF-8 */
    char *body = malloc(SOUK_MAIL_BODY_MAX + 2);
    memset(body, 'b', SOUK_MAIL_BODY_MAX + 1);
    body[SOUK_MAIL_BODY_MAX + 1] = '\0';
    assert_int_equal(enqueue(f, 0, "a@example.com", "s", body), -1);
    body[SOUK_MAIL_BODY_MAX] = '\0';
    assert_int_equal(enqueue(f, 0, "a@example.com", "s", body), 0);
    body[10] = '\xff';
    assert_int_equal(enqueue(f, 0, "a@example.com", "s", body), -1);
    free(body);

    /* an unknown account fails the foreign key */
    assert_int_equal(enqueue(f, 424242, "a@example.com", "s", "b"), SOUK_DB_CONSTRAINT);

    assert_int_equal(q_i64(f, "SELECT count(*) FROM mail_outbox"), 6);
    assert_int_equal(q_i64(f, "SELECT count(*) FROM mail_outbox WHERE status = 'pending' AND attempts = 0 AND "
                              "next_attempt_at = created_at AND sent_at IS NULL AND user_id IS NULL"),
                     6);
    const char *why = NULL;
    assert_int_equal(souk_mail_check("a@example.com", "x\ny", "b", &why), -1);
    assert_non_null(why);
}

static const char *find_header(const char *data, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = data; p && *p;) {
        if (strncmp(p, "\r\n", 2) == 0)
            return NULL; /* end of the header */
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':')
            return p + nl + 2;
        p = strstr(p, "\r\n");
        if (p)
            p += 2;
    }
    return NULL;
}

static void expect_header(const char *data, const char *name, const char *value)
{
    const char *v = find_header(data, name);
    if (!v)
        fail_msg("no %s header in:\n%s", name, data);
    size_t n = strlen(value);
    if (strncmp(v, value, n) != 0 || strncmp(v + n, "\r\n", 2) != 0)
        fail_msg("%s: expected \"%s\" in:\n%s", name, value, data);
}

static void test_deliver_success(void **state)
{
    fixture *f = *state;
    deliver_through_stub(f, STUB_OK, 8);
    assert_int_equal(enqueue(f, 0, "Alice@Example.com", "Reset your password",
                             "Hello Alice,\n\nOpen https://shop.example/reset?t=abc to continue.\n.hidden line\nBye"),
                     0);
    assert_int_equal(enqueue(f, 0, "bob@example.com", "Caf\xc3\xa9 order \xe2\x9c\x93", "Merci \xc3\xa9\xc3\xa9"), 0);
    /* each message has its delivery job, written with it */
    assert_int_equal(q_i64(f, "SELECT count(*) FROM jobs WHERE kind = 'mail.deliver' AND state = 'queued'"), 2);
    int64_t before = souk_time_now_us();
    assert_int_equal(run_jobs(f, souk_time_now_us()), 2);
    assert_int_equal(stub_count(&f->smtp), 2);

    stub_msg *m = &f->smtp.msgs[0];
    assert_string_equal(m->from, "<no-reply@localhost>");
    assert_string_equal(m->rcpt, "<Alice@Example.com>");
    expect_header(m->data, "From", "souk <no-reply@localhost>");
    expect_header(m->data, "To", "<Alice@Example.com>");
    expect_header(m->data, "Subject", "Reset your password");
    expect_header(m->data, "MIME-Version", "1.0");
    expect_header(m->data, "Content-Type", "text/plain; charset=utf-8");
    expect_header(m->data, "Content-Transfer-Encoding", "8bit");
    const char *date = find_header(m->data, "Date");
    assert_non_null(date);
    assert_true(strstr(date, " +0000\r\n") != NULL);
    const char *mid = find_header(m->data, "Message-ID");
    assert_non_null(mid);
    assert_true(strncmp(mid, "<mail_", 6) == 0);
    assert_true(strncmp(strchr(mid, '@'), "@localhost>\r\n", 13) == 0);
    const char *body = strstr(m->data, "\r\n\r\n");
    assert_non_null(body);
    assert_string_equal(
        body + 4, "Hello Alice,\r\n\r\nOpen https://shop.example/reset?t=abc to continue.\r\n.hidden line\r\nBye\r\n");

    m = &f->smtp.msgs[1];
    assert_string_equal(m->rcpt, "<bob@example.com>");
    expect_header(m->data, "Subject", "=?UTF-8?B?Q2Fmw6kgb3JkZXIg4pyT?=");
    assert_string_equal(strstr(m->data, "\r\n\r\n") + 4, "Merci \xc3\xa9\xc3\xa9\r\n");

    assert_int_equal(q_i64(f, "SELECT count(*) FROM mail_outbox WHERE status = 'sent' AND attempts = 1 "
                              "AND last_error = ''"),
                     2);
    assert_true(q_i64(f, "SELECT min(sent_at) FROM mail_outbox") >= before);
    assert_int_equal(q_i64(f, "SELECT count(*) FROM jobs WHERE kind = 'mail.deliver' AND state = 'done' AND "
                              "attempts = 1"),
                     2);
    /* nothing left to do */
    assert_int_equal(run_jobs(f, souk_time_now_us()), 0);
    assert_int_equal(stub_count(&f->smtp), 2);
    /* delivered once: a delivery job that runs again (its outcome lost) finds the row sent */
    exec_sql(f, "UPDATE jobs SET state = 'queued', run_at = 0, finished_at = NULL");
    assert_int_equal(run_jobs(f, souk_time_now_us()), 2);
    assert_int_equal(stub_count(&f->smtp), 2);
    assert_int_equal(q_i64(f, "SELECT count(*) FROM mail_outbox WHERE status = 'sent' AND attempts = 1"), 2);
}

static void test_deliver_failure_retries(void **state)
{
    fixture *f = *state;
    deliver_through_stub(f, STUB_FAIL, 8);
    assert_int_equal(enqueue(f, 0, "carol@example.com", "Hi", "Body"), 0);
    int64_t now = souk_time_now_us();
    assert_int_equal(run_jobs(f, now), 1);
    assert_int_equal(stub_count(&f->smtp), 0);
    assert_int_equal(q_i64(f, "SELECT attempts FROM mail_outbox"), 1);
    char *st = q_text(f, "SELECT status FROM mail_outbox");
    assert_string_equal(st, "pending");
    free(st);
    /* the outbox shows when the job runs again: 30 s ± 20 % */
    int64_t next = q_i64(f, "SELECT next_attempt_at FROM mail_outbox");
    assert_int_equal(next, q_i64(f, "SELECT run_at FROM jobs WHERE state = 'queued'"));
    assert_true(next >= now + INT64_C(24) * 1000000);
    assert_true(next <= souk_time_now_us() + INT64_C(36) * 1000000);
    char *err = q_text(f, "SELECT last_error FROM mail_outbox");
    assert_non_null(strstr(err, "451"));
    free(err);
    /* not due yet: a second run does nothing */
    assert_int_equal(run_jobs(f, souk_time_now_us()), 0);
    assert_int_equal(q_i64(f, "SELECT attempts FROM mail_outbox"), 1);

    /* the relay recovers: once due, the message goes out and the error is cleared */
    atomic_store(&f->smtp.mode, STUB_OK);
    assert_int_equal(run_jobs(f, next), 1);
    assert_int_equal(stub_count(&f->smtp), 1);
    assert_int_equal(q_i64(f, "SELECT count(*) FROM mail_outbox WHERE status = 'sent' AND attempts = 2 "
                              "AND last_error = ''"),
                     1);
}

static void test_deliver_gives_up(void **state)
{
    fixture *f = *state;
    deliver_through_stub(f, STUB_FAIL, 3);
    assert_int_equal(enqueue(f, 0, "dave@example.com", "Hi", "Body"), 0);
    assert_int_equal(q_i64(f, "SELECT max_attempts FROM jobs"), 3);
    int64_t t = souk_time_now_us();
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(run_jobs(f, t), 1);
        assert_int_equal(q_i64(f, "SELECT attempts FROM mail_outbox"), i);
        t = q_i64(f, "SELECT next_attempt_at FROM mail_outbox");
    }
    char *st = q_text(f, "SELECT status FROM mail_outbox");
    assert_string_equal(st, "failed");
    free(st);
    char *err = q_text(f, "SELECT last_error FROM mail_outbox");
    assert_non_null(strstr(err, "451"));
    free(err);
    /* the job is the dead letter, with the same error */
    assert_int_equal(q_i64(f, "SELECT count(*) FROM jobs WHERE state = 'dead' AND attempts = 3 AND "
                              "last_error LIKE '%451%'"),
                     1);
    /* kept, and never tried again */
    atomic_store(&f->smtp.mode, STUB_OK);
    assert_int_equal(run_jobs(f, t + INT64_C(86400) * 1000000), 0);
    assert_int_equal(q_i64(f, "SELECT attempts FROM mail_outbox"), 3);
    assert_int_equal(stub_count(&f->smtp), 0);
}

static void test_unreachable_relay(void **state)
{
    fixture *f = *state;
    /* a port nobody listens on: bind one, close it */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &al);
    close(fd);
    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", ntohs(a.sin_port));
    souk_mail_config c = {url, "no-reply@shop.example", NULL, NULL, 8};
    deliver_with(&c);
    assert_int_equal(enqueue(f, 0, "erin@example.com", "Hi", "Body"), 0);
    assert_int_equal(run_jobs(f, souk_time_now_us()), 1);
    assert_int_equal(q_i64(f, "SELECT attempts FROM mail_outbox WHERE status = 'pending'"), 1);
    char *err = q_text(f, "SELECT last_error FROM mail_outbox");
    assert_true(strlen(err) > 0);
    free(err);
}

static void test_no_relay(void **state)
{
    fixture *f = *state;
    start_smtp(f, STUB_OK);
    souk_mail_config c = relay(f);
    c.smtp_url = NULL;
    assert_int_equal(souk_mail_configure(&c), 0);
    assert_false(souk_mail_delivers());
    c.smtp_url = "";
    assert_int_equal(souk_mail_configure(&c), 0);
    assert_false(souk_mail_delivers());
    assert_int_equal(souk_mail_configure(NULL), 0);
    assert_int_equal(souk_mail_register_jobs(), 0);
    /* without a relay a message only goes to the outbox */
    assert_int_equal(enqueue(f, 0, "frank@example.com", "Hi", "Body"), 0);
    assert_int_equal(q_i64(f, "SELECT count(*) FROM jobs"), 0);
    assert_int_equal(run_jobs(f, souk_time_now_us()), 0);
    assert_int_equal(souk_mail_requeue(f->db), 0); /* and stays there */
    /* a bad config delivers nothing either */
    c = relay(f);
    c.from = "broken\r\nBcc: x@example.com";
    assert_int_equal(souk_mail_configure(&c), -1);
    assert_false(souk_mail_delivers());
    c = relay(f);
    c.smtp_url = "http://127.0.0.1:1";
    assert_int_equal(souk_mail_configure(&c), -1);
    assert_false(souk_mail_delivers());
    assert_int_equal(stub_count(&f->smtp), 0);
    assert_int_equal(q_i64(f, "SELECT count(*) FROM mail_outbox WHERE status = 'pending' AND attempts = 0"), 1);

    /* a delivery job that reaches a process without a relay leaves its message pending */
    c = relay(f);
    assert_int_equal(souk_mail_configure(&c), 0);
    assert_int_equal(enqueue(f, 0, "gus@example.com", "Hi", "Body"), 0);
    assert_int_equal(souk_mail_configure(NULL), 0);
    assert_int_equal(run_jobs(f, souk_time_now_us()), 1);
    assert_int_equal(stub_count(&f->smtp), 0);
    assert_int_equal(q_i64(f, "SELECT count(*) FROM mail_outbox WHERE status = 'pending' AND attempts = 0"), 2);

    /* nothing is lost: once a relay is set, the pending messages are handed to the queue, once */
    assert_int_equal(souk_mail_configure(&c), 0);
    assert_int_equal(souk_mail_requeue(f->db), 2);
    assert_int_equal(souk_mail_requeue(f->db), 0); /* their jobs are queued already */
    assert_int_equal(run_jobs(f, souk_time_now_us()), 2);
    assert_int_equal(stub_count(&f->smtp), 2);
    assert_int_equal(q_i64(f, "SELECT count(*) FROM mail_outbox WHERE status = 'sent' AND attempts = 1"), 2);
    assert_int_equal(souk_mail_requeue(f->db), 0); /* nothing pending */
}

static void test_config(void **state)
{
    (void)state;
    setenv("SOUK_SMTP_URL", "smtps://relay.example:465", 1);
    unsetenv("SOUK_MAIL_FROM");
    setenv("SOUK_SMTP_USER", "u", 1);
    setenv("SOUK_SMTP_PASSWORD", "", 1);
    souk_mail_config c;
    souk_mail_config_from_env(&c);
    assert_string_equal(c.smtp_url, "smtps://relay.example:465");
    assert_string_equal(c.from, "souk <no-reply@localhost>");
    assert_string_equal(c.username, "u");
    assert_null(c.password);
    assert_int_equal(c.max_attempts, 8);
    assert_int_equal(souk_mail_config_check(&c, NULL), 0);
    unsetenv("SOUK_SMTP_URL");
    unsetenv("SOUK_SMTP_USER");
    unsetenv("SOUK_SMTP_PASSWORD");

    const char *addr, *name;
    size_t al, nl;
    assert_int_equal(souk__mail_parse_from("Shop Team <team@shop.example>", &addr, &al, &name, &nl), 0);
    assert_int_equal(al, strlen("team@shop.example"));
    assert_memory_equal(addr, "team@shop.example", al);
    assert_int_equal(nl, strlen("Shop Team"));
    assert_int_equal(souk__mail_parse_from("team@shop.example", &addr, &al, &name, &nl), 0);
    assert_int_equal(nl, 0);
    assert_int_equal(souk__mail_parse_from("x <a@b> y", &addr, &al, &name, &nl), -1);
    assert_int_equal(souk__mail_parse_from("x <a@b", &addr, &al, &name, &nl), -1);
    assert_int_equal(souk__mail_parse_from("x\n <a@b>", &addr, &al, &name, &nl), -1);
}

/* the delay before a retry of a delivery: 30 s after the first failure, doubling up to 1 h, ±20 % */
static void test_backoff(void **state)
{
    (void)state;
    for (int64_t n = 1; n < 70; n++) {
        int64_t d = SOUK_MAIL_RETRY_US;
        for (int64_t i = 1; i < n && d < INT64_C(3600) * 1000000; i++)
            d *= 2;
        if (d > INT64_C(3600) * 1000000)
            d = INT64_C(3600) * 1000000;
        for (int k = 0; k < 20; k++) {
            int64_t b = souk__job_backoff_us(SOUK_MAIL_RETRY_US, n);
            assert_true(b >= d / 10 * 8 && b <= d / 10 * 12);
        }
    }
}

static void test_format(void **state)
{
    (void)state;
    souk_buf out;
    souk_buf_init(&out, 1 << 20);
    /* a line over 998 octets switches to quoted-printable */
    char *body = malloc(3000);
    memset(body, 'x', 2000);
    memcpy(body + 2000, " =\xc3\xa9 \nend \n", 12);
    body[2012] = '\0';
    souk__mail_row row = {.id = souk_id_next(), .to = "a@example.com", .subject = "S", .body = body};
    assert_int_equal(souk__mail_format(&out, &row, "D\xc3\xa9p\xc3\xb4t <shop@example.com>", 0), 0);
    expect_header(out.data, "Content-Transfer-Encoding", "quoted-printable");
    expect_header(out.data, "From", "=?UTF-8?B?RMOpcMO0dA==?= <shop@example.com>");
    expect_header(out.data, "Date", "Thu, 01 Jan 1970 00:00:00 +0000");
    const char *b = strstr(out.data, "\r\n\r\n") + 4;
    for (const char *l = b; *l;) { /* every line ≤ 76 */
        const char *e = strstr(l, "\r\n");
        assert_non_null(e);
        assert_true(e - l <= 76);
        l = e + 2;
    }
    assert_non_null(strstr(b, " =3D=C3=A9=20\r\nend=20\r\n"));
    for (const char *p = b; *p; p++)
        assert_true((unsigned char)*p < 0x80);
    free(body);

    /* a long non-ASCII subject is split into encoded-words on character boundaries */
    char subj[401];
    for (int i = 0; i < 200; i++)
        memcpy(subj + 2 * i, "\xc3\xa9", 2);
    subj[400] = '\0';
    row.subject = subj;
    row.body = "";
    assert_int_equal(souk__mail_format(&out, &row, "a@b.example", INT64_C(1768473000) * 1000000), 0);
    expect_header(out.data, "Date", "Thu, 15 Jan 2026 10:30:00 +0000");
    expect_header(out.data, "From", "<a@b.example>");
    const char *s = find_header(out.data, "Subject");
    int words = 0;
    for (const char *p = s; (p = strstr(p, "=?UTF-8?B?")); p++) {
        const char *e = strstr(p, "?=");
        assert_true(e - p + 2 <= 75);
        words++;
    }
    assert_int_equal(words, 10); /* 400 octets in pieces of 44 (45 would split a character) */
    /* "Subject: " is followed by folded lines only */
    assert_true(strstr(out.data, "\r\n =?UTF-8?B?") != NULL);
    /* a subject that looks like an encoded-word is encoded itself */
    row.subject = "=?UTF-8?B?eA==?=";
    assert_int_equal(souk__mail_format(&out, &row, "a@b.example", 0), 0);
    expect_header(out.data, "Subject", "=?UTF-8?B?PT9VVEYtOD9CP2VBPT0/PQ==?=");
    souk_buf_release(&out);
}

typedef struct erase_ctx {
    int64_t user;
    const char *email;
} erase_ctx;

static int erase_fn(souk_store *db, void *ctx)
{
    erase_ctx *e = ctx;
    return souk_mail_erase_tx(db, e->user, e->email);
}

static void test_erase_rows(void **state)
{
    fixture *f = *state;
    int64_t now = souk_time_now_us();
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO users (id, email, role, created_at, updated_at, password_changed_at) "
             "VALUES (77, 'gina@example.com', 'customer', %lld, %lld, %lld)",
             (long long)now, (long long)now, (long long)now);
    exec_sql(f, sql);
    assert_int_equal(enqueue(f, 77, "gina@example.com", "Welcome", "Hi"), 0);
    assert_int_equal(enqueue(f, 77, "gina.old@example.com", "Old address", "Hi"), 0);
    assert_int_equal(enqueue(f, 0, "GINA@example.com", "Guest order", "Hi"), 0);
    assert_int_equal(enqueue(f, 0, "henry@example.com", "Other", "Hi"), 0);
    assert_int_equal(enqueue(f, 0, "ivy@example.com", "Other", "Hi"), 0);

    erase_ctx none = {0, NULL};
    assert_int_equal(souk_store_tx(f->db, erase_fn, &none), 0);
    assert_int_equal(q_i64(f, "SELECT count(*) FROM mail_outbox"), 5);

    erase_ctx gina = {77, "gina@example.com"};
    assert_int_equal(souk_store_tx(f->db, erase_fn, &gina), 0);
    assert_int_equal(q_i64(f, "SELECT count(*) FROM mail_outbox"), 2);
    assert_int_equal(q_i64(f, "SELECT count(*) FROM mail_outbox WHERE to_addr LIKE '%gina%'"), 0);

    erase_ctx by_mail = {0, "Ivy@Example.com"};
    assert_int_equal(souk_store_tx(f->db, erase_fn, &by_mail), 0);
    assert_int_equal(q_i64(f, "SELECT count(*) FROM mail_outbox"), 1);
    char *left = q_text(f, "SELECT to_addr FROM mail_outbox");
    assert_string_equal(left, "henry@example.com");
    free(left);

    /* the delivery job of an erased message finds nothing and sends nothing */
    deliver_through_stub(f, STUB_OK, 8);
    assert_int_equal(enqueue(f, 77, "gina@example.com", "Late", "Hi"), 0);
    assert_int_equal(souk_store_tx(f->db, erase_fn, &gina), 0);
    assert_int_equal(run_jobs(f, souk_time_now_us()), 1);
    assert_int_equal(stub_count(&f->smtp), 0);
    assert_int_equal(q_i64(f, "SELECT count(*) FROM jobs WHERE state = 'done'"), 1);
}

static void test_worker(void **state)
{
    fixture *f = *state;
    deliver_through_stub(f, STUB_OK, 8);
    souk_mail_worker_kick(); /* no workers: a no-op */
    assert_int_equal(souk_jobs_start(f->t.dsn, 2), 0);
    struct timespec ms10 = {0, 10 * 1000000L};
    assert_int_equal(enqueue(f, 0, "jack@example.com", "Kick", "Body"), 0);
    souk_mail_worker_kick();
    for (int i = 0; i < 500 && stub_count(&f->smtp) < 1; i++)
        nanosleep(&ms10, NULL);
    assert_int_equal(stub_count(&f->smtp), 1);
    for (int i = 0; i < 500; i++) { /* the row is marked right after the relay accepted it */
        if (q_i64(f, "SELECT count(*) FROM mail_outbox WHERE status = 'sent'") == 1)
            break;
        nanosleep(&ms10, NULL);
    }
    assert_int_equal(q_i64(f, "SELECT count(*) FROM mail_outbox WHERE status = 'sent'"), 1);
    souk_jobs_stop();
    souk_jobs_stop(); /* twice is fine */
    assert_int_equal(stub_count(&f->smtp), 1);
    assert_int_equal(q_i64(f, "SELECT count(*) FROM jobs WHERE state = 'done'"), 1);
}

static void test_worker_stop_aborts_transfer(void **state)
{
    fixture *f = *state;
    deliver_through_stub(f, STUB_HANG, 8);
    assert_int_equal(enqueue(f, 0, "kim@example.com", "Hang", "Body"), 0);
    assert_int_equal(souk_jobs_start(f->t.dsn, 1), 0);
    struct timespec ms20 = {0, 20 * 1000000L};
    for (int i = 0; i < 250; i++) { /* wait until a worker has claimed the job */
        if (q_i64(f, "SELECT count(*) FROM jobs WHERE state = 'running'") > 0)
            break;
        nanosleep(&ms20, NULL);
    }
    nanosleep(&ms20, NULL);
    int64_t t0 = souk_time_mono_us();
    souk_jobs_stop();
    int64_t took = souk_time_mono_us() - t0;
    assert_true(took < INT64_C(3) * 1000000); /* curl calls the progress callback about once a second */
    /* no attempt counted, due again at once */
    assert_int_equal(q_i64(f, "SELECT attempts FROM mail_outbox WHERE status = 'pending'"), 0);
    assert_true(q_i64(f, "SELECT next_attempt_at FROM mail_outbox") <= souk_time_now_us());
    char *err = q_text(f, "SELECT last_error FROM mail_outbox");
    assert_non_null(strstr(err, "shutdown"));
    free(err);
    assert_int_equal(q_i64(f, "SELECT count(*) FROM jobs WHERE state = 'queued' AND attempts = 0"), 1);
    assert_true(q_i64(f, "SELECT run_at FROM jobs") <= souk_time_now_us());
}

/* ---- the admin list handler --------------------------------------------- */

typedef struct list_result {
    int rc, status;
    json_t *body;
    souk_problems problems;
} list_result;

static list_result list(fixture *f, const char *qs)
{
    souk_arena a;
    souk_arena_init(&a, 16384, 0);
    souk_req req = {.arena = &a, .store = f->db, .method = SOUK_GET, .path = "/api/v1/admin/mail"};
    const char *qerr;
    assert_int_equal(souk_query_parse(&req.query, qs, strlen(qs), &a, &qerr), 0);
    souk_res res = {.status = 200};
    souk_buf_init(&res.body, 32u << 20);
    souk_problems_init(&res.problems);
    list_result out = {0};
    out.rc = souk_mail_api_list(&req, &res);
    out.status = res.status;
    if (out.rc == 0) {
        json_error_t je;
        out.body = json_loadb(res.body.data, res.body.len, 0, &je);
        assert_non_null(out.body);
    }
    out.problems.count = res.problems.count;
    for (size_t i = 0; i < res.problems.count; i++) /* field names are static or arena copies: keep known ones */
        out.problems.items[i].field = strcmp(res.problems.items[i].field, "limit") == 0    ? "limit"
                                      : strcmp(res.problems.items[i].field, "status") == 0 ? "status"
                                      : strcmp(res.problems.items[i].field, "cursor") == 0 ? "cursor"
                                      : strcmp(res.problems.items[i].field, "to") == 0     ? "to"
                                                                                           : "other";
    souk_buf_release(&res.body);
    souk_arena_release(&a);
    return out;
}

static int has_problem(const list_result *r, const char *field)
{
    for (size_t i = 0; i < r->problems.count; i++)
        if (strcmp(r->problems.items[i].field, field) == 0)
            return 1;
    return 0;
}

static void test_api_list(void **state)
{
    fixture *f = *state;
    deliver_through_stub(f, STUB_OK, 8);
    char to[32], subj[32];
    for (int i = 0; i < 5; i++) {
        snprintf(to, sizeof to, "u%d@example.com", i % 2);
        snprintf(subj, sizeof subj, "Message %d", i);
        assert_int_equal(enqueue(f, 0, to, subj, "Body"), 0);
    }
    /* deliver the oldest one, fail another for good */
    assert_int_equal(souk__jobs_run_one(f->db, souk_time_now_us(), "test:1:w0"), 1);
    exec_sql(f, "UPDATE mail_outbox SET status = 'failed', attempts = 8, last_error = 'nope' "
                "WHERE subject = 'Message 1'");

    list_result r = list(f, "");
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.status, 200);
    json_t *data = json_object_get(r.body, "data");
    assert_int_equal(json_array_size(data), 5);
    assert_true(json_is_null(json_object_get(r.body, "next_cursor")));
    json_t *newest = json_array_get(data, 0), *oldest = json_array_get(data, 4);
    assert_string_equal(json_string_value(json_object_get(newest, "subject")), "Message 4");
    assert_string_equal(json_string_value(json_object_get(oldest, "status")), "sent");
    assert_true(strncmp(json_string_value(json_object_get(newest, "id")), "mail_", 5) == 0);
    assert_true(json_is_null(json_object_get(newest, "sent_at")));
    assert_true(json_is_string(json_object_get(oldest, "sent_at")));
    int64_t t;
    const char *ts = json_string_value(json_object_get(newest, "created_at"));
    assert_int_equal(souk_time_parse(ts, strlen(ts), &t), 0);
    ts = json_string_value(json_object_get(newest, "next_attempt_at"));
    assert_int_equal(souk_time_parse(ts, strlen(ts), &t), 0);
    static const char *keys[] = {"id",       "to",         "subject",    "body",    "status",
                                 "attempts", "last_error", "created_at", "sent_at", "next_attempt_at"};
    assert_int_equal(json_object_size(newest), sizeof keys / sizeof *keys);
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        assert_non_null(json_object_get(newest, keys[i]));
    assert_int_equal(json_integer_value(json_object_get(oldest, "attempts")), 1);
    json_decref(r.body);

    /* paging: 2 + 2 + 1, no repeats, newest first */
    const char *seen[5];
    int nseen = 0;
    char qs[256] = "limit=2";
    for (int page = 0; page < 3; page++) {
        r = list(f, qs);
        assert_int_equal(r.rc, 0);
        data = json_object_get(r.body, "data");
        for (size_t i = 0; i < json_array_size(data); i++) {
            const char *s = json_string_value(json_object_get(json_array_get(data, i), "subject"));
            snprintf(subj, sizeof subj, "Message %d", 4 - nseen);
            assert_string_equal(s, subj);
            seen[nseen++] = s;
        }
        json_t *cur = json_object_get(r.body, "next_cursor");
        if (page < 2) {
            assert_true(json_is_string(cur));
            snprintf(qs, sizeof qs, "limit=2&cursor=%s", json_string_value(cur));
        } else {
            assert_true(json_is_null(cur));
        }
        json_decref(r.body);
    }
    assert_int_equal(nseen, 5);
    (void)seen;

    /* filters */
    r = list(f, "status=failed");
    assert_int_equal(json_array_size(json_object_get(r.body, "data")), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(r.body, "data"), 0), "last_error")), "nope");
    json_decref(r.body);
    r = list(f, "status=pending&to=U0@EXAMPLE.COM");
    data = json_object_get(r.body, "data");
    assert_int_equal(json_array_size(data), 2); /* messages 4 and 2; 0 was sent */
    json_decref(r.body);

    /* bad input → 422 with details */
    r = list(f, "limit=0&status=bogus&colour=red&cursor=notacursor&to=x");
    assert_int_equal(r.rc, SOUK_E_VALIDATION);
    assert_true(has_problem(&r, "limit"));
    assert_true(has_problem(&r, "status"));
    assert_true(has_problem(&r, "other"));
    assert_true(has_problem(&r, "cursor"));
    assert_true(has_problem(&r, "to"));
    r = list(f, "limit=201");
    assert_int_equal(r.rc, SOUK_E_VALIDATION);
    r = list(f, "limit=5&limit=6");
    assert_int_equal(r.rc, SOUK_E_VALIDATION);
    r = list(f, "limit=200");
    assert_int_equal(r.rc, 0);
    json_decref(r.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enqueue_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deliver_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deliver_failure_retries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deliver_gives_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreachable_relay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_relay, setup, teardown),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_format),
        cmocka_unit_test_setup_teardown(test_erase_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worker_stop_aborts_transfer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_list, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
