/*
 * eval_churn.c — `souk eval churn --orders FILE --cutoff DATE [--horizon H]`:
 * the churn models of src/analytics measured on a time split of an order
 * history held outside the database. The file is the Online Retail layout
 * (InvoiceNo, Quantity, InvoiceDate, UnitPrice, CustomerID, StockCode when
 * present; plain or gzip): each invoice of a known customer becomes a paid
 * order at its date, with the rules of `souk import online-retail --orders`
 * (cancellations, guests and lines with a quantity or price <= 0 left out).
 * The churn report runs with to = CUTOFF + H: validation fitted at CUTOFF −
 * 2H and judged at CUTOFF − H, the test fitted at CUTOFF − H and measured
 * at CUTOFF (labels from the H days after, which the file must cover).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/analytics.h"
#include "app/cli.h"
#include "app/eval.h"
#include "core/csv.h"
#include "core/grow.h"
#include "core/time.h"
#include "core/banned.h"

static const char usage[] =
    "usage: souk eval churn --orders FILE --cutoff YYYY-MM-DD [--horizon DAYS]\n\n"
    "Measures the churn models of the analytics (docs/analytics.md) on a time split of FILE, an order\n"
    "history in the Online Retail layout (InvoiceNo, Quantity, InvoiceDate, UnitPrice, CustomerID, and\n"
    "StockCode when present; plain or gzip; cancellation invoices (C...) are read as refunds of the\n"
    "customer's order before them; guests and lines with a quantity or price <= 0 are left out). A\n"
    "customer churns at a cutoff when they buy nothing in the HORIZON days after it (default 90).\n"
    "Both models (gradient-boosted trees, logistic regression) and their average are validated\n"
    "(fitted at CUTOFF - 2*HORIZON, judged at CUTOFF - HORIZON: the trees' settings, the\n"
    "regression's L2 and the trees' share in the average are chosen there), then trained at\n"
    "CUTOFF - HORIZON and measured at CUTOFF:\n"
    "prints the three AUCs, the model the report serves (the best on validation) and its AUC,\n"
    "the customers and churn rate of the test set, and the regression's weights. The file must cover\n"
    "HORIZON days past CUTOFF.\n";

static int col_of(souk_csv *r, const char *name)
{
    for (size_t f = 0; f < souk_csv_field_count(r); f++)
        if (strcmp(souk_csv_field(r, f, NULL), name) == 0)
            return (int)f;
    return -1;
}

/* A product id for a stock code: its FNV-1a hash in 1..2^62 (1 without one). */
static int64_t stock_id(const char *code)
{
    if (!code || !*code)
        return 1;
    uint64_t hsh = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)code; *p; p++)
        hsh = (hsh ^ *p) * 1099511628211ULL;
    return (int64_t)(hsh >> 2) + 1;
}

/* A placed order or a cancellation of a customer, for attaching the
 * cancellations to orders as refunds once the file is read. */
typedef struct placed {
    int64_t user, at, id; /* id: the order's, or the cancelled amount (minor units) */
} placed;

static int cmp_placed(const void *a, const void *b)
{
    const placed *x = a, *y = b;
    if (x->user != y->user)
        return x->user < y->user ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* Adds each cancellation of CANCELS (N) as a refund of its customer's
 * latest order placed at or before it (ORDERS, M of them, sorted by
 * cmp_placed); a cancellation before any order of its customer is left
 * out. 0, or -1 out of memory. */
static int attach_cancels(souk_analytics_facts *f, const placed *orders, size_t m, const placed *cancels, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t lo = 0, hi = m; /* the first order after the cancellation */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (cmp_placed(&orders[mid], &cancels[i]) <= 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == 0 || orders[lo - 1].user != cancels[i].user)
            continue;
        if (souk_analytics_add_refund(f, (int64_t)i + 1, orders[lo - 1].id, cancels[i].at, cancels[i].id) < 0)
            return -1;
    }
    return 0;
}

/* Fills the empty facts F from PATH (see souk_eval_retail_open); 0, or -1 after printing why. */
static int retail_facts(souk_analytics_facts *f, const char *path, int32_t *last, size_t *norders, size_t *nlines)
{
    souk_csv *r;
    if (souk_csv_open_file(&r, path, NULL) != SOUK_CSV_OK) {
        fprintf(stderr, "souk: cannot read %s\n", path);
        return -1;
    }
    static const char *names[5] = {"InvoiceNo", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"};
    int ci[5], rc = -1, c, stock;
    souk_analytics_line_in *lines = NULL;
    placed *orders = NULL, *cancels = NULL;
    size_t n = 0, cap = 0, no = 0, ocap = 0, ncan = 0, ccap = 0;
    char cur[32] = "";
    int64_t user = 0, at = 0, next_id = 1;
    *last = INT32_MIN;
    *norders = *nlines = 0;
    if (souk_csv_next(r) != SOUK_CSV_RECORD) {
        fprintf(stderr, "souk: %s: no header\n", path);
        goto done;
    }
    for (int j = 0; j < 5; j++)
        if ((ci[j] = col_of(r, names[j])) < 0) {
            fprintf(stderr, "souk: %s: no %s column; is this the Online Retail layout?\n", path, names[j]);
            goto done;
        }
    stock = col_of(r, "StockCode"); /* optional: products let the churn model read what was bought */
    pthread_mutex_lock(&f->write_mu);
    for (;;) {
        c = souk_csv_next(r);
        if (c < 0 && souk_csv_is_recoverable(c))
            continue;
        if (c < 0) {
            fprintf(stderr, "souk: %s: %s\n", path, souk_csv_error(r));
            pthread_mutex_unlock(&f->write_mu);
            goto done;
        }
        const char *inv = c == SOUK_CSV_END ? "" : souk_csv_field(r, (size_t)ci[0], NULL);
        if (c == SOUK_CSV_END || strcmp(inv, cur) != 0) { /* the invoice before is complete */
            if (n) {
                souk_analytics_order_in o = {.order_id = next_id++,
                                             .user_id = user,
                                             .paid_at = at,
                                             .currency = "GBP",
                                             .channel = SOUK_ANALYTICS_CHANNEL_IMPORT,
                                             .lines = lines,
                                             .nlines = n};
                if (souk_analytics_add_order(f, &o) < 0) {
                    fprintf(stderr, "souk: out of memory\n");
                    pthread_mutex_unlock(&f->write_mu);
                    goto done;
                }
                if (souk_grow(&orders, &ocap, no + 1, sizeof *orders) < 0) {
                    fprintf(stderr, "souk: out of memory\n");
                    pthread_mutex_unlock(&f->write_mu);
                    goto done;
                }
                orders[no++] = (placed){user, at, o.order_id};
                int32_t d = souk_analytics_tz_day(&f->tz, at);
                *last = d > *last ? d : *last;
                (*norders)++;
                *nlines += n;
            }
            n = 0;
            if (c == SOUK_CSV_END)
                break;
            snprintf(cur, sizeof cur, "%s", inv);
        }
        const char *qty = souk_csv_field(r, (size_t)ci[1], NULL), *price = souk_csv_field(r, (size_t)ci[3], NULL);
        const char *cust = souk_csv_field(r, (size_t)ci[4], NULL);
        size_t dlen;
        const char *date = souk_csv_field(r, (size_t)ci[2], &dlen);
        char *end;
        double cid = cust ? strtod(cust, &end) : 0, q = qty ? atof(qty) : 0, p = price ? atof(price) : 0;
        int64_t us;
        if (inv[0] == 'C' && cust && *cust && !*end && cid > 0 && q < 0 && p > 0 && date &&
            souk_time_parse(date, dlen, &us) == 0) { /* a return: a refund of the customer's order before it */
            if (souk_grow(&cancels, &ccap, ncan + 1, sizeof *cancels) < 0) {
                fprintf(stderr, "souk: out of memory\n");
                pthread_mutex_unlock(&f->write_mu);
                goto done;
            }
            cancels[ncan++] = (placed){(int64_t)cid, us, llround(-q * p * 100)};
            continue;
        }
        if (inv[0] == 'C' || !cust || !*cust || *end || cid <= 0 || q <= 0 || p <= 0 || !date ||
            souk_time_parse(date, dlen, &us) < 0)
            continue;
        if (souk_grow(&lines, &cap, n + 1, sizeof *lines) < 0) {
            fprintf(stderr, "souk: out of memory\n");
            pthread_mutex_unlock(&f->write_mu);
            goto done;
        }
        user = (int64_t)cid;
        at = us;
        lines[n++] = (souk_analytics_line_in){stock_id(stock >= 0 ? souk_csv_field(r, (size_t)stock, NULL) : NULL), 0,
                                              0, (int64_t)q, llround(q * p * 100)};
    }
    qsort(orders, no, sizeof *orders, cmp_placed);
    if (attach_cancels(f, orders, no, cancels, ncan) < 0) {
        fprintf(stderr, "souk: out of memory\n");
        pthread_mutex_unlock(&f->write_mu);
        goto done;
    }
    pthread_mutex_unlock(&f->write_mu);
    rc = 0;
done:
    free(orders);
    free(cancels);
    free(lines);
    souk_csv_free(r);
    return rc;
}

/* An AUC of the report as text ("-" for null: one class empty). */
static const char *auc_text(const json_t *v)
{
    static _Thread_local char buf[2][16];
    static _Thread_local int k;
    if (!json_is_number(v))
        return "-";
    k ^= 1;
    snprintf(buf[k], sizeof buf[k], "%.4f", json_number_value(v));
    return buf[k];
}

souk_analytics_facts *souk_eval_retail_open(const char *path, int32_t *last, size_t *norders, size_t *nlines)
{
    souk_analytics_facts *f = malloc(sizeof *f);
    if (!f || souk_analytics_facts_init(f, NULL) < 0) {
        free(f);
        fprintf(stderr, "souk: out of memory\n");
        return NULL;
    }
    if (retail_facts(f, path, last, norders, nlines) < 0) {
        souk_eval_retail_free(f);
        return NULL;
    }
    if (!*norders) {
        fprintf(stderr, "souk: %s holds no order of a known customer\n", path);
        souk_eval_retail_free(f);
        return NULL;
    }
    return f;
}

int souk_eval_cutoff(const char *arg, int32_t *day)
{
    if (strlen(arg) != 10 || souk_analytics_parse_day(arg, day) < 0) {
        fprintf(stderr, "souk: --cutoff takes a date YYYY-MM-DD\n");
        return -1;
    }
    return 0;
}

void souk_eval_retail_free(souk_analytics_facts *f)
{
    if (!f)
        return;
    souk_analytics_facts_release(f);
    free(f);
}

int souk_eval_churn(int argc, char **argv)
{
    static const struct option opts[] = {{"orders", required_argument, NULL, 'o'},
                                         {"cutoff", required_argument, NULL, 'c'},
                                         {"horizon", required_argument, NULL, 'H'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *path = NULL;
    int32_t cutoff = 0;
    bool has_cutoff = false;
    long h = 90;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(usage, stdout); return SOUK_EXIT_OK;
        case 'o': path = optarg; break;
        case 'c':
            if (souk_eval_cutoff(optarg, &cutoff) < 0)
                return SOUK_EXIT_USAGE;
            has_cutoff = true;
            break;
        case 'H': {
            char *end;
            h = strtol(optarg, &end, 10);
            if (!*optarg || *end || h < 7 || h > 365) {
                fprintf(stderr, "souk: --horizon takes a whole number of days from 7 to 365\n");
                return SOUK_EXIT_USAGE;
            }
            break;
        }
        default: fprintf(stderr, "souk: see 'souk eval churn --help'\n"); return SOUK_EXIT_USAGE;
        }
    }
    if (!path || !has_cutoff || optind != argc) {
        fprintf(stderr, "souk: eval churn needs --orders FILE and --cutoff DATE; see 'souk eval churn --help'\n");
        return SOUK_EXIT_USAGE;
    }
    int32_t last;
    size_t norders, nlines;
    double t0 = souk_time_mono_s();
    int rc = SOUK_EXIT_FAIL;
    souk_analytics_facts *f = souk_eval_retail_open(path, &last, &norders, &nlines);
    if (!f)
        return SOUK_EXIT_FAIL;
    char a[11], b[11];
    if (cutoff + h > last) {
        fprintf(stderr, "souk: the file ends on %s: a cutoff of %s needs %ld days after it (up to %s)\n",
                souk_analytics_format_day(last, a), souk_analytics_format_day(cutoff, b), h,
                souk_analytics_format_day(cutoff + (int32_t)h, (char[11]){0}));
        rc = SOUK_EXIT_USAGE;
        goto out;
    }
    souk_analytics_query q = {.to = cutoff + (int32_t)h, .currency = -1, .channel = -1, .limit = 1, .horizon = (int)h};
    q.from = q.to;
    json_t *j = souk_analytics_churn(f, &q);
    if (!j) {
        fprintf(stderr, "souk: out of memory\n");
        goto out;
    }
    double secs = souk_time_mono_s() - t0;
    json_t *auc = json_object_get(j, "auc");
    printf("orders: %zu (%zu lines) up to %s, read and scored in %.1f s\n", norders, nlines,
           souk_analytics_format_day(last, a), secs);
    printf("train cutoff %s (%lld customers), test cutoff %s (%lld customers, churn rate %.4f), horizon %ld days\n",
           json_string_value(json_object_get(j, "train_cutoff")),
           (long long)json_integer_value(json_object_get(j, "train_customers")),
           json_string_value(json_object_get(j, "test_cutoff")),
           (long long)json_integer_value(json_object_get(j, "test_customers")),
           json_number_value(json_object_get(j, "test_churn_rate")), h);
    json_t *models = json_object_get(j, "models"), *lr = json_object_get(models, "logistic_regression"),
           *gb = json_object_get(models, "gradient_boosted_trees");
    printf("validation: fitted at %s, judged at %s (labels up to %s, before the test window)\n",
           json_string_value(json_object_get(j, "validation_cutoff")),
           json_string_value(json_object_get(j, "train_cutoff")), json_string_value(json_object_get(j, "test_cutoff")));
    printf("logistic regression:    validation AUC %s, test AUC %s (L2 %g)\n",
           auc_text(json_object_get(lr, "validation_auc")), auc_text(json_object_get(lr, "test_auc")),
           json_number_value(json_object_get(lr, "l2")));
    printf("gradient-boosted trees: validation AUC %s, test AUC %s (%lld trees, depth %lld, min leaf %lld, shrinkage "
           "%.2f, %lld bins)\n",
           auc_text(json_object_get(gb, "validation_auc")), auc_text(json_object_get(gb, "test_auc")),
           (long long)json_integer_value(json_object_get(gb, "trees")),
           (long long)json_integer_value(json_object_get(gb, "depth")),
           (long long)json_integer_value(json_object_get(gb, "min_leaf")),
           json_number_value(json_object_get(gb, "shrinkage")),
           (long long)json_integer_value(json_object_get(gb, "bins")));
    json_t *av = json_object_get(models, "average");
    printf("their average:          validation AUC %s, test AUC %s (the trees weighted %.2f)\n",
           auc_text(json_object_get(av, "validation_auc")), auc_text(json_object_get(av, "test_auc")),
           json_number_value(json_object_get(av, "trees_weight")));
    printf("model (the best on validation): %s\n", json_string_value(json_object_get(j, "model")));
    if (json_is_number(auc))
        printf("AUC %.4f\n", json_number_value(auc));
    else
        printf("AUC - (one class is empty)\n");
    const char *k;
    json_t *v;
    printf("weights (standardised features):");
    json_object_foreach(json_object_get(j, "coefficients"), k, v) printf(" %s %.4f", k, json_number_value(v));
    printf("\n");
    json_decref(j);
    rc = SOUK_EXIT_OK;
out:
    souk_eval_retail_free(f);
    return rc;
}
