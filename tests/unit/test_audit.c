/*
 * Unit tests for src/audit: appending to the hash chain, verifying it, the
 * triggers that keep it append-only, tampering of every kind (on a second
 * connection, after dropping the triggers), concurrent appenders, the
 * `souk audit verify` command and the GET /api/v1/admin/audit handler.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "app/cli.h"
#include "audit/audit.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"

#define NENTRIES 5

typedef struct fixture {
    souk_test_db t;
    int64_t user; /* the user id used by entries 1 and 3 */
} fixture;

/* a second connection to F's database */
static souk_store *connect_other(const fixture *f)
{
    souk_store *db = souk_test_db_connect(&f->t);
    if (!db)
        fail_msg("cannot open a second connection to %s", f->t.dsn);
    return db;
}

static void exec_ok(souk_store *db, const char *sql)
{
    int r = souk_store_exec(db, sql, NULL);
    if (r != SOUK_DB_DONE)
        fail_msg("exec %s -> %d (%s)", sql, r, souk_store_errmsg(db));
}

static void append_ok(souk_store *db, const souk_audit_entry *e)
{
    int r = souk_audit_append(db, e);
    if (r != 0)
        fail_msg("append -> %d (%s)", r, souk_store_errmsg(db));
}

/* A fresh, migrated database holding NENTRIES varied entries. */
static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    if (souk_test_db_open(&f.t, "audit") < 0)
        return -1;
    f.user = souk_id_next();
    const souk_audit_entry entries[NENTRIES] = {
        {"user", f.user, "auth.login", "", "", f.user, "req-1", 200, NULL},
        {"api_key", 7, "POST /api/v1/products", "product", "prod_0000000000001", 0, "req-2", 201,
         "{\"fields\":[\"title\",\"price\"]}"},
        {"user", f.user, "auth.refresh_reuse", "session", "ses_1", f.user, NULL, 0, "{\"revoked\":true}"},
        {"system", 0, "retention.purge", NULL, NULL, 0, "", 0, "{}"},
        {"anonymous", 0, "auth.login_failed", "", "", 0, "req-5", 401, "{\"reason\":\"bad_password\"}"},
    };
    for (int i = 0; i < NENTRIES; i++)
        append_ok(f.t.db, &entries[i]);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    souk_test_db_close(&f->t);
    return 0;
}

static int verify(souk_store *db, int64_t *checked, int64_t *bad, char *why)
{
    return souk_audit_verify(db, checked, bad, why, 256);
}

static void assert_intact(souk_store *db, int64_t n)
{
    int64_t checked = -1, bad = -1;
    char why[256];
    int r = verify(db, &checked, &bad, why);
    if (r != 0)
        fail_msg("verify -> %d at %lld: %s", r, (long long)bad, why);
    assert_int_equal(checked, n);
}

static void assert_broken_at(souk_store *db, int64_t seq, const char *why_part)
{
    int64_t checked = -1, bad = -1;
    char why[256];
    int r = verify(db, &checked, &bad, why);
    if (r != 1)
        fail_msg("verify -> %d (checked %lld), expected broken at %lld", r, (long long)checked, (long long)seq);
    if (bad != seq)
        fail_msg("broken at %lld (%s), expected %lld", (long long)bad, why, (long long)seq);
    if (why_part && !strstr(why, why_part))
        fail_msg("why = '%s', expected it to mention '%s'", why, why_part);
}

/* ---- appending and the canonical form ---------------------------------- */

static void test_append_and_verify(void **state)
{
    fixture *f = *state;
    assert_intact(f->t.db, NENTRIES);
    souk_stmt *st = souk_store_query(f->t.db,
                                     "SELECT seq, prev_hash, hash, actor_id, subject_user_id, details, request_id "
                                     "FROM audit_log ORDER BY seq",
                                     NULL);
    char prev[65];
    memset(prev, '0', 64);
    prev[64] = '\0';
    for (int i = 1; i <= NENTRIES; i++) {
        assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
        assert_int_equal(souk_stmt_i64(st, 0), i);
        assert_string_equal(souk_stmt_text(st, 1, NULL), prev);
        const char *h = souk_stmt_text(st, 2, NULL);
        assert_int_equal(strlen(h), 64);
        assert_int_equal(strspn(h, "0123456789abcdef"), 64);
        memcpy(prev, h, 65);
        if (i == 4) { /* system entry: no actor, no subject, NULL strings stored as "" */
            assert_true(souk_stmt_is_null(st, 3));
            assert_true(souk_stmt_is_null(st, 4));
            assert_string_equal(souk_stmt_text(st, 5, NULL), "{}");
        }
        if (i == 1)
            assert_string_equal(souk_stmt_text(st, 5, NULL), "{}"); /* NULL details */
        if (i == 3)
            assert_string_equal(souk_stmt_text(st, 6, NULL), "");
    }
    assert_int_equal(souk_stmt_step(st), SOUK_DB_DONE);

    int64_t seq;
    char head[65];
    assert_int_equal(souk_audit_head(f->t.db, &seq, head), SOUK_DB_ROW);
    assert_int_equal(seq, NENTRIES);
    assert_string_equal(head, prev);
}

/* Recomputes entry 2's hash from the format written down in audit.h, independently
 * of audit.c, so the documented canonical form is the one in use. */
static void test_canonical_form_as_documented(void **state)
{
    fixture *f = *state;
    souk_stmt *st = souk_store_query(f->t.db, "SELECT id, at, prev_hash, hash FROM audit_log WHERE seq = 2", NULL);
    assert_int_equal(souk_stmt_step(st), SOUK_DB_ROW);
    char idt[24], att[24], prev[65], hash[65];
    snprintf(idt, sizeof idt, "%lld", (long long)souk_stmt_i64(st, 0));
    snprintf(att, sizeof att, "%lld", (long long)souk_stmt_i64(st, 1));
    snprintf(prev, sizeof prev, "%s", souk_stmt_text(st, 2, NULL));
    snprintf(hash, sizeof hash, "%s", souk_stmt_text(st, 3, NULL));
    souk_stmt_done(st);
    char input[1024];
    const char *details = "{\"fields\":[\"title\",\"price\"]}";
    int n = snprintf(input, sizeof input,
                     "%ssouk-audit-v1,1:2,%zu:%s,%zu:%s,7:api_key,1:7,21:POST /api/v1/products,7:product,"
                     "18:prod_0000000000001,~,5:req-2,3:201,%zu:%s,",
                     prev, strlen(idt), idt, strlen(att), att, strlen(details), details);
    unsigned char out[32];
    crypto_generichash(out, sizeof out, (const unsigned char *)input, (unsigned long long)n, NULL, 0);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, out, sizeof out);
    assert_string_equal(hex, hash);
}

static void test_bad_entries_are_refused(void **state)
{
    fixture *f = *state;
    souk_log_set_level(SOUK_LOG_ERROR + 1); /* the refusals are logged as errors; keep the output clean */
    const souk_audit_entry bad[] = {
        {"robot", 0, "x", "", "", 0, "", 0, NULL},
        {NULL, 0, "x", "", "", 0, "", 0, NULL},
        {"system", 0, "", "", "", 0, "", 0, NULL},
        {"system", 0, NULL, "", "", 0, "", 0, NULL},
        {"system", 0, "x", "", "", 0, "", 0, "[1,2]"},
        {"system", 0, "x", "", "", 0, "", 0, "{\"a\":1"},
        {"system", 0, "x", "", "", 0, "", 0, "{\"a\":1,\"a\":2}"},
        {"system", 0, "bad \xff utf-8", "", "", 0, "", 0, NULL},
        {"system", -1, "x", "", "", 0, "", 0, NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(souk_audit_append(f->t.db, &bad[i]), SOUK_DB_HARD);
    char *big = malloc(SOUK_AUDIT_TEXT_MAX + 2);
    memset(big, 'a', SOUK_AUDIT_TEXT_MAX + 1);
    big[SOUK_AUDIT_TEXT_MAX + 1] = '\0';
    souk_audit_entry e = {"system", 0, big, "", "", 0, "", 0, NULL};
    assert_int_equal(souk_audit_append(f->t.db, &e), SOUK_DB_HARD);
    big[SOUK_AUDIT_TEXT_MAX] = '\0';
    assert_int_equal(souk_audit_append(f->t.db, &e), 0); /* exactly the maximum is fine */
    free(big);
    souk_log_set_level(SOUK_LOG_INFO);
    assert_intact(f->t.db, NENTRIES + 1);
}

/* Rolled back with its transaction: an entry appended in a failing transaction leaves no gap. */
static int append_then_fail(souk_store *db, void *ctx)
{
    int r = souk_audit_append_tx(db, ctx);
    return r < 0 ? r : SOUK_DB_CONSTRAINT;
}

static void test_append_rolls_back_with_the_transaction(void **state)
{
    fixture *f = *state;
    souk_audit_entry e = {"system", 0, "doomed", "", "", 0, "", 0, NULL};
    assert_int_equal(souk_store_tx(f->t.db, append_then_fail, &e), SOUK_DB_CONSTRAINT);
    souk_audit_entry ok = {"system", 0, "kept", "", "", 0, "", 0, NULL};
    append_ok(f->t.db, &ok);
    assert_intact(f->t.db, NENTRIES + 1);
}

static void test_empty_log_is_intact(void **state)
{
    (void)state;
    souk_test_db t;
    assert_int_equal(souk_test_db_open(&t, "audit-empty"), 0);
    souk_store *db = t.db;
    assert_intact(db, 0);
    int64_t seq = -1;
    char head[65];
    assert_int_equal(souk_audit_head(db, &seq, head), SOUK_DB_DONE);
    assert_int_equal(seq, 0);
    assert_int_equal(strspn(head, "0"), 64);
    souk_test_db_close(&t);
}

/* ---- the triggers -------------------------------------------------------- */

static void test_triggers_forbid_update_and_delete(void **state)
{
    fixture *f = *state;
    souk_store *other = connect_other(f);
    const char *sqls[] = {"UPDATE audit_log SET details = '{\"x\":1}' WHERE seq = 2",
                          "UPDATE audit_log SET hash = prev_hash", "DELETE FROM audit_log WHERE seq = 3",
                          "DELETE FROM audit_log"};
    for (size_t i = 0; i < sizeof sqls / sizeof sqls[0]; i++) {
        int r = souk_store_exec(other, sqls[i], NULL);
        if (r >= 0)
            fail_msg("%s succeeded", sqls[i]);
        assert_non_null(strstr(souk_store_errmsg(other), "append-only"));
    }
    souk_store_close(other);
    assert_intact(f->t.db, NENTRIES);
}

/* ---- tampering ----------------------------------------------------------- */

/* Runs SQL on a second connection after dropping both triggers. */
static void tamper(fixture *f, const char *sql)
{
    souk_store *other = connect_other(f);
    exec_ok(other, "DROP TRIGGER IF EXISTS audit_log_no_update");
    exec_ok(other, "DROP TRIGGER IF EXISTS audit_log_no_delete");
    exec_ok(other, sql);
    souk_store_close(other);
}

static void test_changed_details_detected(void **state)
{
    fixture *f = *state;
    tamper(f, "UPDATE audit_log SET details = '{\"revoked\":false}' WHERE seq = 3");
    assert_broken_at(f->t.db, 3, "hash does not match");
}

static void test_deleted_middle_row_detected(void **state)
{
    fixture *f = *state;
    tamper(f, "DELETE FROM audit_log WHERE seq = 3");
    assert_broken_at(f->t.db, 3, "missing");
}

static void test_edited_last_hash_detected(void **state)
{
    fixture *f = *state;
    tamper(f, "UPDATE audit_log SET hash = '"
              "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' "
              "WHERE seq = 5");
    assert_broken_at(f->t.db, NENTRIES, "hash does not match");
}

/* Every column, and changes that keep the value's text but not its type. */
static void test_every_column_change_detected(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *sql;
        int64_t seq;
    } cases[] = {
        {"UPDATE audit_log SET id = -id WHERE seq = 2", 2},
        {"UPDATE audit_log SET at = at - 1 WHERE seq = 2", 2},
        {"UPDATE audit_log SET actor_type = 'system' WHERE seq = 2", 2},
        {"UPDATE audit_log SET actor_id = 8 WHERE seq = 2", 2},
        {"UPDATE audit_log SET actor_id = NULL WHERE seq = 2", 2},
        {"UPDATE audit_log SET actor_id = 0 WHERE seq = 4", 4}, /* NULL -> 0 */
        {"UPDATE audit_log SET action = 'GET /' WHERE seq = 2", 2},
        {"UPDATE audit_log SET object_type = 'variant' WHERE seq = 2", 2},
        {"UPDATE audit_log SET object_id = '' WHERE seq = 2", 2},
        {"UPDATE audit_log SET subject_user_id = 1 WHERE seq = 2", 2},
        {"UPDATE audit_log SET subject_user_id = NULL WHERE seq = 1", 1},
        {"UPDATE audit_log SET request_id = 'req-x' WHERE seq = 2", 2},
        {"UPDATE audit_log SET result = 200 WHERE seq = 2", 2},
        {"UPDATE audit_log SET result = '201x' WHERE seq = 2", 2}, /* text in an integer column */
        {"UPDATE audit_log SET result = 201.5 WHERE seq = 2", 2},
        {"UPDATE audit_log SET details = CAST(details AS BLOB) WHERE seq = 2", 2}, /* same bytes, other type */
        {"UPDATE audit_log SET details = details || ' ' WHERE seq = 2", 2},
        {"UPDATE audit_log SET prev_hash = upper(prev_hash) WHERE seq = 2", 2},
        {"UPDATE audit_log SET hash = upper(hash) WHERE seq = 2", 2},
        {"UPDATE audit_log SET seq = 6 WHERE seq = 5", 5}, /* renumbered: entry 5 missing */
        {"UPDATE audit_log SET seq = 0 WHERE seq = 1", 0},
        {"DELETE FROM audit_log WHERE seq = 1", 1},
        /* an entry added by hand at the end, with a made-up hash */
        {"INSERT INTO audit_log SELECT 6, -id, at, actor_type, actor_id, action, object_type, object_id, "
         "subject_user_id, request_id, result, details, hash, hash FROM audit_log WHERE seq = 5",
         6},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        teardown(state);
        assert_int_equal(setup(state), 0);
        f = *state;
        tamper(f, cases[i].sql);
        int64_t checked, bad;
        char why[256];
        int r = verify(f->t.db, &checked, &bad, why);
        if (r != 1 || bad != cases[i].seq)
            fail_msg("%s: verify -> %d at %lld (%s), expected broken at %lld", cases[i].sql, r, (long long)bad,
                     r ? why : "", (long long)cases[i].seq);
    }
}

static void test_swapped_rows_detected(void **state)
{
    fixture *f = *state;
    souk_store *other = connect_other(f);
    exec_ok(other, "DROP TRIGGER audit_log_no_update");
    exec_ok(other, "UPDATE audit_log SET seq = 100 WHERE seq = 2");
    exec_ok(other, "UPDATE audit_log SET seq = 2 WHERE seq = 3");
    exec_ok(other, "UPDATE audit_log SET seq = 3 WHERE seq = 100");
    souk_store_close(other);
    assert_broken_at(f->t.db, 2, NULL);
}

/* The documented limit: cutting entries off the end leaves a shorter, valid chain.
 * Only a copy of the head kept elsewhere (souk_audit_head) shows it. */
static void test_truncation_needs_an_anchor(void **state)
{
    fixture *f = *state;
    int64_t seq;
    char anchor[65], head[65];
    assert_int_equal(souk_audit_head(f->t.db, &seq, anchor), SOUK_DB_ROW);
    tamper(f, "DELETE FROM audit_log WHERE seq >= 4");
    assert_intact(f->t.db, 3);
    assert_int_equal(souk_audit_head(f->t.db, &seq, head), SOUK_DB_ROW);
    assert_int_equal(seq, 3);
    assert_string_not_equal(head, anchor);
}

/* Appending after a tampered head keeps chaining to what is stored: verify still
 * names the tampered entry, not the new ones. */
static void test_append_after_tampering_keeps_the_culprit(void **state)
{
    fixture *f = *state;
    tamper(f, "UPDATE audit_log SET hash = 'xyz' WHERE seq = 5");
    souk_log_set_level(SOUK_LOG_ERROR + 1);
    souk_audit_entry e = {"system", 0, "after", "", "", 0, "", 0, NULL};
    append_ok(f->t.db, &e);
    souk_log_set_level(SOUK_LOG_INFO);
    assert_broken_at(f->t.db, 5, "hash does not match");
}

/* ---- concurrency --------------------------------------------------------- */

#define PER_THREAD 60

typedef struct worker {
    const char *path;
    int which;
    int failures;
} worker;

static void *append_many(void *arg)
{
    worker *w = arg;
    souk_store *db;
    char err[256];
    if (souk_store_open(&db, w->path, err, sizeof err) != 0) {
        w->failures = PER_THREAD;
        return NULL;
    }
    for (int i = 0; i < PER_THREAD; i++) {
        char details[64];
        snprintf(details, sizeof details, "{\"thread\":%d,\"i\":%d}", w->which, i);
        souk_audit_entry e = {"system", 0, w->which ? "thread.b" : "thread.a", "", "", 0, "", 0, details};
        if (souk_audit_append(db, &e) != 0)
            w->failures++;
    }
    souk_store_close(db);
    return NULL;
}

static void test_concurrent_appends_keep_the_chain(void **state)
{
    fixture *f = *state;
    worker w[2] = {{f->t.path, 0, 0}, {f->t.path, 1, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, append_many, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(w[0].failures, 0);
    assert_int_equal(w[1].failures, 0);
    assert_intact(f->t.db, NENTRIES + 2 * PER_THREAD);
}

/* ---- souk audit verify --------------------------------------------------- */

/* Runs souk_cmd_audit with ARGS (NULL-terminated, after "audit"); stdout goes to OUT. */
static int run_cli(char *out, size_t outlen, ...)
{
    char *argv[16] = {"audit"};
    int argc = 1;
    va_list ap;
    va_start(ap, outlen);
    char *a;
    while ((a = va_arg(ap, char *)) && argc < 15)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;

    char tmp[] = "/tmp/souk-test-audit-out-XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    fflush(stdout);
    int saved = dup(1);
    dup2(fd, 1);
    int rc = souk_cmd_audit(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, out, outlen - 1);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(tmp);
    return rc;
}

static void test_cli(void **state)
{
    fixture *f = *state;
    char out[1024];
    assert_int_equal(run_cli(out, sizeof out, "verify", "--db", f->t.path, NULL), 0);
    assert_string_equal(out, "audit log intact: 5 entries\n");
    assert_int_equal(run_cli(out, sizeof out, "--db", f->t.path, "verify", NULL), 0);
    assert_int_equal(run_cli(out, sizeof out, "--help", NULL), 0);
    assert_non_null(strstr(out, "usage: souk audit verify"));

    /* usage errors (their complaints go to stderr) */
    assert_int_equal(run_cli(out, sizeof out, NULL), 2);
    assert_int_equal(run_cli(out, sizeof out, "check", "--db", f->t.path, NULL), 2);
    assert_int_equal(run_cli(out, sizeof out, "verify", "extra", "--db", f->t.path, NULL), 2);
    assert_int_equal(run_cli(out, sizeof out, "verify", "--bogus", NULL), 2);
    assert_int_equal(run_cli(out, sizeof out, "verify", "--db", NULL), 2);

    /* a missing database is not created */
    char missing[96];
    snprintf(missing, sizeof missing, "%s-missing", f->t.path);
    assert_int_equal(run_cli(out, sizeof out, "verify", "--db", missing, NULL), 1);
    assert_int_equal(access(missing, F_OK), -1);

    /* a database without the audit log is not migrated */
    souk_test_db bare;
    assert_int_equal(souk_test_db_open_empty(&bare, "audit-bare"), 0);
    assert_int_equal(run_cli(out, sizeof out, "verify", "--db", bare.path, NULL), 1);
    assert_int_equal(souk_store_schema_version(bare.db), 0);
    souk_test_db_close(&bare);

    tamper(f, "UPDATE audit_log SET result = 500 WHERE seq = 3");
    assert_int_equal(run_cli(out, sizeof out, "verify", "--db", f->t.path, NULL), 1);
    assert_string_equal(out, "audit log broken at entry 3: hash does not match the entry's contents\n");
}

/* ---- GET /api/v1/admin/audit -------------------------------------------- */

typedef struct call {
    souk_arena arena;
    souk_req req;
    souk_res res;
    int rc;
    json_t *body;
} call;

static void call_list(call *c, souk_store *db, const char *qs)
{
    memset(c, 0, sizeof *c);
    souk_arena_init(&c->arena, 4096, 0);
    c->req.arena = &c->arena;
    c->req.store = db;
    c->req.method = SOUK_GET;
    c->req.path = "/api/v1/admin/audit";
    c->req.request_id = "test";
    const char *err;
    if (souk_query_parse(&c->req.query, qs, strlen(qs), &c->arena, &err) != 0)
        fail_msg("query %s: %s", qs, err);
    souk_buf_init(&c->res.body, 1 << 20);
    souk_problems_init(&c->res.problems);
    c->rc = souk_audit_api_list(&c->req, &c->res);
    c->body = c->rc == 0 ? json_loadb(c->res.body.data, c->res.body.len, 0, NULL) : NULL;
    if (c->rc == 0 && !c->body)
        fail_msg("response is not JSON: %s", c->res.body.data);
}

static void call_release(call *c)
{
    json_decref(c->body);
    souk_buf_release(&c->res.body);
    souk_arena_release(&c->arena);
}

static size_t list_count(souk_store *db, const char *qs)
{
    call c;
    call_list(&c, db, qs);
    if (c.rc != 0)
        fail_msg("%s -> %d", qs, c.rc);
    size_t n = json_array_size(json_object_get(c.body, "data"));
    call_release(&c);
    return n;
}

static void assert_invalid(souk_store *db, const char *qs, const char *field)
{
    call c;
    call_list(&c, db, qs);
    if (c.rc != SOUK_E_VALIDATION)
        fail_msg("%s -> %d, expected a validation error", qs, c.rc);
    int found = 0;
    for (size_t i = 0; i < c.res.problems.count; i++)
        if (strcmp(c.res.problems.items[i].field, field) == 0)
            found = 1;
    if (!found)
        fail_msg("%s: no problem reported for %s", qs, field);
    call_release(&c);
}

static void test_api_list(void **state)
{
    fixture *f = *state;
    call c;
    call_list(&c, f->t.db, "");
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.res.status, 200);
    json_t *data = json_object_get(c.body, "data");
    assert_int_equal(json_array_size(data), NENTRIES);
    assert_true(json_is_null(json_object_get(c.body, "next_cursor")));
    /* newest first, every field present */
    json_t *e5 = json_array_get(data, 0), *e1 = json_array_get(data, 4), *e2 = json_array_get(data, 3);
    assert_int_equal(json_integer_value(json_object_get(e5, "seq")), 5);
    assert_int_equal(json_integer_value(json_object_get(e1, "seq")), 1);
    const char *keys[] = {"seq",         "id",        "at",
                          "actor_type",  "actor_id",  "action",
                          "object_type", "object_id", "subject_user_id",
                          "request_id",  "result",    "details",
                          "prev_hash",   "hash"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_non_null(json_object_get(e5, keys[i]));
    assert_int_equal(json_object_size(e5), sizeof keys / sizeof keys[0]);
    assert_int_equal(strncmp(json_string_value(json_object_get(e5, "id")), "aud_", 4), 0);
    assert_true(json_is_null(json_object_get(e5, "actor_id")));
    assert_true(json_is_null(json_object_get(e5, "subject_user_id")));
    assert_int_equal(json_integer_value(json_object_get(e5, "result")), 401);
    assert_string_equal(json_string_value(json_object_get(json_object_get(e5, "details"), "reason")), "bad_password");
    char usr[SOUK_ID_TEXT_MAX], key[SOUK_ID_TEXT_MAX];
    souk_id_format("usr", f->user, usr);
    souk_id_format("key", 7, key);
    assert_string_equal(json_string_value(json_object_get(e1, "actor_id")), usr);
    assert_string_equal(json_string_value(json_object_get(e1, "subject_user_id")), usr);
    assert_string_equal(json_string_value(json_object_get(e2, "actor_id")), key);
    assert_string_equal(json_string_value(json_object_get(e2, "object_id")), "prod_0000000000001");
    assert_int_equal(json_array_size(json_object_get(json_object_get(e2, "details"), "fields")), 2);
    assert_string_equal(json_string_value(json_object_get(e2, "hash")),
                        json_string_value(json_object_get(json_array_get(data, 2), "prev_hash")));
    const char *at = json_string_value(json_object_get(e1, "at"));
    int64_t us;
    assert_int_equal(souk_time_parse(at, strlen(at), &us), 0);
    call_release(&c);

    /* filters */
    char qs[256];
    snprintf(qs, sizeof qs, "actor_id=%s", usr);
    assert_int_equal(list_count(f->t.db, qs), 2);
    snprintf(qs, sizeof qs, "actor_type=user&actor_id=%s&action=auth.login", usr);
    assert_int_equal(list_count(f->t.db, qs), 1);
    snprintf(qs, sizeof qs, "subject=%s", usr);
    assert_int_equal(list_count(f->t.db, qs), 2);
    snprintf(qs, sizeof qs, "actor_id=%s", key);
    assert_int_equal(list_count(f->t.db, qs), 1);
    assert_int_equal(list_count(f->t.db, "actor_type=system"), 1);
    assert_int_equal(list_count(f->t.db, "actor_type=anonymous"), 1);
    assert_int_equal(list_count(f->t.db, "object_type=product&object_id=prod_0000000000001"), 1);
    assert_int_equal(list_count(f->t.db, "action=POST+%2Fapi%2Fv1%2Fproducts"), 1);
    assert_int_equal(list_count(f->t.db, "action=nothing"), 0);
    assert_int_equal(list_count(f->t.db, "from=2000-01-01T00:00:00Z&to=2999-01-01T00:00:00Z"), NENTRIES);
    assert_int_equal(list_count(f->t.db, "to=2000-01-01T00:00:00Z"), 0);
    char now[SOUK_RFC3339_LEN];
    souk_time_format(souk_time_now_us() + 1000000, now);
    snprintf(qs, sizeof qs, "from=%s", now);
    assert_int_equal(list_count(f->t.db, qs), 0);
}

static void test_api_pages(void **state)
{
    fixture *f = *state;
    int64_t seen[NENTRIES + 1] = {0};
    char qs[256] = "limit=2";
    int pages = 0;
    for (;;) {
        call c;
        call_list(&c, f->t.db, qs);
        assert_int_equal(c.rc, 0);
        json_t *data = json_object_get(c.body, "data");
        assert_true(json_array_size(data) <= 2);
        for (size_t i = 0; i < json_array_size(data); i++) {
            int64_t s = json_integer_value(json_object_get(json_array_get(data, i), "seq"));
            assert_true(s >= 1 && s <= NENTRIES);
            seen[s]++;
        }
        pages++;
        json_t *next = json_object_get(c.body, "next_cursor");
        if (json_is_null(next)) {
            call_release(&c);
            break;
        }
        snprintf(qs, sizeof qs, "limit=2&cursor=%s", json_string_value(next));
        call_release(&c);
        assert_true(pages < 10);
    }
    assert_int_equal(pages, 3);
    for (int s = 1; s <= NENTRIES; s++)
        assert_int_equal(seen[s], 1);
    /* an exact fit has no next page */
    call c;
    call_list(&c, f->t.db, "limit=5");
    assert_true(json_is_null(json_object_get(c.body, "next_cursor")));
    call_release(&c);
}

static void test_api_bad_parameters(void **state)
{
    fixture *f = *state;
    assert_invalid(f->t.db, "bogus=1", "bogus");
    assert_invalid(f->t.db, "limit=0", "limit");
    assert_invalid(f->t.db, "limit=201", "limit");
    assert_invalid(f->t.db, "limit=ten", "limit");
    assert_invalid(f->t.db, "limit=5&limit=6", "limit");
    assert_invalid(f->t.db, "actor_type=robot", "actor_type");
    assert_invalid(f->t.db, "actor_id=42", "actor_id");
    assert_invalid(f->t.db, "actor_id=prod_0000000000001", "actor_id");
    assert_invalid(f->t.db, "actor_type=system&actor_id=usr_0000000000001", "actor_id");
    assert_invalid(f->t.db, "subject=key_0000000000001", "subject");
    assert_invalid(f->t.db, "action=", "action");
    assert_invalid(f->t.db, "from=yesterday", "from");
    assert_invalid(f->t.db, "from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from");
    assert_invalid(f->t.db, "cursor=abc", "cursor");
    assert_invalid(f->t.db, "cursor=YTF8MA", "cursor"); /* "a1|0" */
    /* several problems at once */
    call c;
    call_list(&c, f->t.db, "limit=0&bogus=1&subject=x");
    assert_int_equal(c.rc, SOUK_E_VALIDATION);
    assert_int_equal(c.res.problems.count, 3);
    call_release(&c);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append_and_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_canonical_form_as_documented, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_entries_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_rolls_back_with_the_transaction, setup, teardown),
        cmocka_unit_test(test_empty_log_is_intact),
        cmocka_unit_test_setup_teardown(test_triggers_forbid_update_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_details_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_middle_row_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edited_last_hash_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_column_change_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_swapped_rows_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncation_needs_an_anchor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_after_tampering_keeps_the_culprit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_appends_keep_the_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_bad_parameters, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
