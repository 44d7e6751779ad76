/*
 * Unit tests for src/webhooks/send.c against a small HTTP server on
 * loopback (a thread in this process): the connection goes to the pinned
 * address only — a host name that no resolver knows is reached through it
 * (with its own name in Host), and a URL whose literal address differs from
 * the pinned one is refused before connecting (what a DNS answer changed
 * between check and connect would look like); the Standard Webhooks
 * headers are sent; answers past 64 KiB and redirects are failures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "webhooks/internal.h"
#include "webhooks/webhooks.h"

typedef struct stub {
    int fd, port;
    int mode; /* 0: 200 "ok"; 1: 100 KiB body; 2: 302 */
    int served;
    char request[4096];
    pthread_t thread;
} stub;

static void *serve(void *arg)
{
    stub *s = arg;
    for (;;) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        size_t n = 0;
        ssize_t r;
        while (n < sizeof s->request - 1 && (r = read(c, s->request + n, sizeof s->request - 1 - n)) > 0) {
            n += (size_t)r;
            s->request[n] = 0;
            char *end = strstr(s->request, "\r\n\r\n");
            const char *cl = strcasestr(s->request, "content-length:");
            if (end && (!cl || strlen(end + 4) >= (size_t)atoi(cl + 15)))
                break;
        }
        s->served++;
        if (s->mode == 1) {
            static char big[100 * 1024];
            memset(big, 'x', sizeof big);
            dprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", sizeof big);
            size_t off = 0;
            while (off < sizeof big && (r = write(c, big + off, sizeof big - off)) > 0)
                off += (size_t)r;
        } else if (s->mode == 2) {
            dprintf(c,
                    "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%d/elsewhere\r\nContent-Length: 0\r\n"
                    "Connection: close\r\n\r\n",
                    s->port);
        } else {
            dprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
        close(c);
    }
}

static void stub_start(stub *s, int mode)
{
    memset(s, 0, sizeof *s);
    s->mode = mode;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->fd, 8), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void stub_stop(stub *s)
{
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    pthread_join(s->thread, NULL);
}

/* A target for URL pinned to PINNED (an IPv4 address), as target.c would have checked it. */
static void pin(souk_webhooks_target *t, const char *url, const char *pinned)
{
    const char *why;
    memset(t, 0, sizeof *t);
    assert_int_equal(souk_webhooks_url_parse(url, strlen(url), &t->url, &why), 0);
    t->family = 4;
    assert_int_equal(inet_pton(AF_INET, pinned, t->addr), 1);
    snprintf(t->addr_text, sizeof t->addr_text, "%s", pinned);
}

static int post(const char *url, const souk_webhooks_target *t, souk__webhooks_response *res)
{
    souk__webhooks_request rq = {.url = url,
                                 .target = t,
                                 .msg_id = "whd_TEST",
                                 .signature = "v1,abc=",
                                 .timestamp = 1700000000,
                                 .body = "{\"type\":\"x\"}",
                                 .len = 12,
                                 .timeout_ms = 5000};
    return souk__webhooks_send(&rq, res);
}

static void a_name_goes_to_the_pinned_address(void **state)
{
    (void)state;
    stub s;
    stub_start(&s, 0);
    char url[128];
    snprintf(url, sizeof url, "http://hooks.nowhere.invalid:%d/in", s.port); /* .invalid never resolves */
    souk_webhooks_target t;
    pin(&t, url, "127.0.0.1");
    souk__webhooks_response res;
    assert_int_equal(post(url, &t, &res), 0);
    assert_int_equal(res.code, 200);
    assert_string_equal(res.body, "ok");
    assert_int_equal(s.served, 1);
    char host[96];
    snprintf(host, sizeof host, "Host: hooks.nowhere.invalid:%d\r\n", s.port);
    assert_non_null(strstr(s.request, host));
    assert_non_null(strstr(s.request, "POST /in HTTP/1.1\r\n"));
    assert_non_null(strstr(s.request, "webhook-id: whd_TEST\r\n"));
    assert_non_null(strstr(s.request, "webhook-timestamp: 1700000000\r\n"));
    assert_non_null(strstr(s.request, "webhook-signature: v1,abc=\r\n"));
    assert_non_null(strstr(s.request, "Content-Type: application/json\r\n"));
    assert_non_null(strstr(s.request, "\r\n\r\n{\"type\":\"x\"}"));
    stub_stop(&s);
}

static void another_address_than_the_pinned_one_is_refused(void **state)
{
    (void)state;
    stub s;
    stub_start(&s, 0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/in", s.port);
    souk_webhooks_target t;
    pin(&t, url, "127.0.0.2"); /* checked one address, the connection would go to another */
    souk__webhooks_response res;
    assert_int_equal(post(url, &t, &res), -1);
    assert_int_equal(res.code, 0);
    assert_int_equal(s.served, 0);
    t.family = 0; /* nothing checked: nothing sent */
    assert_int_equal(post(url, &t, &res), -1);
    assert_int_equal(s.served, 0);
    stub_stop(&s);
}

static void big_answers_and_redirects_fail(void **state)
{
    (void)state;
    stub s;
    stub_start(&s, 1);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/in", s.port);
    souk_webhooks_target t;
    pin(&t, url, "127.0.0.1");
    souk__webhooks_response res;
    assert_int_equal(post(url, &t, &res), -1);
    assert_non_null(strstr(res.error, "larger than 64 KiB"));
    assert_true(res.body_len <= SOUK_WEBHOOKS_LOG_BODY_MAX);
    s.mode = 2;
    int before = s.served;
    assert_int_equal(post(url, &t, &res), -1);
    assert_int_equal(res.code, 302);
    assert_non_null(strstr(res.error, "redirects are not followed"));
    assert_int_equal(s.served, before + 1); /* /elsewhere was not asked for */
    stub_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_name_goes_to_the_pinned_address),
        cmocka_unit_test(another_address_than_the_pinned_one_is_refused),
        cmocka_unit_test(big_answers_and_redirects_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
