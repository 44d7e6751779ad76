/*
 * select.c — bench/campaigns.sh's timing program: audience selection over
 * BENCH_CAMP_CUSTOMERS (100,000) customers. It fills the analytics facts in
 * memory with a synthetic history (1 to 8 orders per customer over the last
 * year, skewed so that every RFM segment is populated), then times, each
 * BENCH_CAMP_REPEAT times (best and median printed):
 *   - souk_campaigns_select for an RFM segment pair, a filter, a k-means
 *     cluster (k fixed) and a churn band (the churn models are trained inside:
 *     the slow one, printed for the record);
 *   - storing the largest member set into a migrated SQLite database holding
 *     that many accounts (souk_campaigns_store_members_tx in one transaction:
 *     what a refresh writes).
 * "Selection" is the first plus the second: what the campaigns.audiences job
 * does per audience. No assertion: it prints the numbers (goal: under 1 s).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaigns/campaigns.h"
#include "core/log.h"
#include "core/time.h"

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint64_t state = 0x9E3779B97F4A7C15u;
static uint64_t next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

typedef struct members_ctx {
    const int64_t *ids;
    size_t n;
    int64_t kept;
} members_ctx;
static souk_err members_body(souk_store *db, void *arg)
{
    members_ctx *c = arg;
    return souk_store_dberr(souk_campaigns_store_members_tx(db, 1, c->ids, c->n, souk_time_now_us(), &c->kept));
}

typedef struct users_ctx {
    int n;
} users_ctx;
static souk_err users_body(souk_store *db, void *arg)
{
    users_ctx *c = arg;
    int64_t now = souk_time_now_us();
    for (int i = 0; i < c->n; i++) {
        char email[48];
        snprintf(email, sizeof email, "b%d@bench.example", i);
        int r = souk_store_exec(db,
                                "INSERT INTO users (id, email, role, status, created_at, updated_at, "
                                "password_changed_at) VALUES ($1, $2, 'customer', 'active', $3, $3, $3)",
                                SOUK_ARGS(SOUK_I64(100000 + i), SOUK_TEXT(email), SOUK_I64(now)));
        if (r < 0)
            return souk_store_dberr(r);
    }
    return souk_store_dberr(souk_store_exec(db,
                                            "INSERT INTO campaign_audiences (id, name, kind, definition, created_at, "
                                            "updated_at) VALUES (1, 'bench', 'filter', '{}', $1, $1)",
                                            SOUK_ARGS(SOUK_I64(now))));
}

int main(int argc, char **argv)
{
    int customers = argc > 1 ? atoi(argv[1]) : 100000, repeat = argc > 2 ? atoi(argv[2]) : 5;
    const char *dbpath = argc > 3 ? argv[3] : "/tmp/souk-bench-campaigns.db";
    const char *only = argc > 4 ? argv[4] : ""; /* run only the cases whose name holds this */
    souk_log_set_level(SOUK_LOG_WARN);
    int64_t now = souk_time_now_us();
    souk_analytics_facts f;
    if (souk_analytics_facts_init(&f, NULL) < 0)
        return 1;
    pthread_mutex_lock(&f.write_mu);
    int64_t order = 1, lines = 0;
    for (int c = 0; c < customers; c++) {
        int orders = 1 + (int)(next() % 8) * (int)(next() % 2); /* half buy once */
        int span = 1 + (int)(next() % 365);                     /* their most recent purchase, days ago */
        for (int k = 0; k < orders; k++) {
            souk_analytics_line_in l = {.product_id = 1 + (int64_t)(next() % 500),
                                        .category_id = 1 + (int64_t)(next() % 12),
                                        .quantity = 1,
                                        .amount = 500 + (int64_t)(next() % 20000)};
            int64_t days = span + (int64_t)(next() % 200);
            souk_analytics_order_in o = {.order_id = order++,
                                         .user_id = 100000 + c,
                                         .paid_at = now - days * 86400 * INT64_C(1000000),
                                         .currency = "USD",
                                         .lines = &l,
                                         .nlines = 1};
            if (souk_analytics_add_order(&f, &o) != 1)
                return 1;
            lines++;
        }
    }
    pthread_mutex_unlock(&f.write_mu);
    printf("facts: %d customers, %lld orders\n", customers, (long long)lines);
    static const struct {
        const char *name, *kind, *json;
    } cases[] = {
        {"rfm champions+loyal", "rfm", "{\"segments\":[\"champions\",\"loyal\"]}"},
        {"rfm at_risk+cant_lose_them+hibernating", "rfm",
         "{\"segments\":[\"at_risk\",\"cant_lose_them\",\"hibernating\"]}"},
        {"filter orders>=1 (everyone)", "filter", "{\"min_orders\":1}"},
        {"filter orders>=3, recency>=90d", "filter", "{\"min_orders\":3,\"min_recency_days\":90}"},
        {"kmeans k=4 cluster 1", "kmeans", "{\"k\":4,\"cluster\":1}"},
        {"churn high (models trained)", "churn", "{\"band\":\"high\"}"},
    };
    int64_t *largest = NULL;
    size_t nlargest = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!strstr(cases[i].name, only))
            continue;
        json_t *o = json_loads(cases[i].json, 0, NULL);
        souk_campaigns_def d;
        const char *field;
        if (souk_campaigns_def_parse(cases[i].kind, o, &d, &field))
            return 1;
        json_decref(o);
        int reps = strcmp(cases[i].kind, "churn") == 0 ? 1 : repeat;
        double t[32];
        size_t n = 0;
        for (int r = 0; r < reps && r < 32; r++) {
            int64_t *ids = NULL;
            double a = souk_time_mono_s();
            if (souk_campaigns_select(&f, &d, now, &ids, &n) < 0)
                return 1;
            t[r] = souk_time_mono_s() - a;
            if (n > nlargest) {
                free(largest);
                largest = ids;
                nlargest = n;
            } else
                free(ids);
        }
        qsort(t, (size_t)reps, sizeof t[0], cmp_d);
        printf("select %-42s %7zu members  best %7.1f ms  median %7.1f ms\n", cases[i].name, n, t[0] * 1000,
               t[reps / 2] * 1000);
    }
    unlink(dbpath);
    char dsn[300], err[256];
    snprintf(dsn, sizeof dsn, "sqlite:%s", dbpath);
    souk_store *db = NULL;
    if (souk_store_open(&db, dsn, err, sizeof err) < 0 || souk_store_migrate(db, NULL) < 0) {
        fprintf(stderr, "database: %s\n", err);
        return 1;
    }
    users_ctx u = {customers};
    if (souk_store_run(db, users_body, &u, NULL))
        return 1;
    double t[32];
    members_ctx m = {largest, nlargest, 0};
    for (int r = 0; r < repeat && r < 32; r++) {
        double a = souk_time_mono_s();
        if (souk_store_run(db, members_body, &m, NULL))
            return 1;
        t[r] = souk_time_mono_s() - a;
    }
    qsort(t, (size_t)repeat, sizeof t[0], cmp_d);
    printf("store %zu members (SQLite, one transaction)            best %7.1f ms  median %7.1f ms\n", (size_t)m.kept,
           t[0] * 1000, t[repeat / 2] * 1000);
    souk_store_close(db);
    unlink(dbpath);
    free(largest);
    souk_analytics_facts_release(&f);
    return 0;
}
