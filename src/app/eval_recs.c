/*
 * eval_recs.c — `souk eval recs`: offline quality of every recommender of
 * src/recommend on a time split, beside the popularity baseline, from an
 * interactions CSV, the Online Retail data set or synthetic data; and
 * `--train-only` to time ALS training alone (bench/recommend.sh).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/eval.h"
#include "core/csv.h"
#include "core/grow.h"
#include "core/time.h"
#include "recommend/recommend.h"
#include "core/banned.h"

static const char usage[] =
    "usage: souk eval recs (--interactions FILE | --online-retail FILE | --synthetic N) [options]\n\n"
    "Splits the interactions by time (the last --test-days days are the test window), trains every\n"
    "recommender on the rest (implicit ALS, item-item cosine, frequently-bought-together lift, a hybrid\n"
    "of ALS, cosine and TF-IDF content, and the popularity baseline), ranks each known user's top k\n"
    "among the items new to them, and prints precision, recall, NDCG, MAP and catalog coverage @k with\n"
    "each recommender's NDCG relative to popularity, and the training times.\n\n"
    "  --interactions FILE   CSV with a header user,item,timestamp[,weight] (integers; Unix seconds or\n"
    "                        ISO-8601; weight > 0, default 1); may be gzip-compressed\n"
    "  --online-retail FILE  the UCI Online Retail CSV(.gz): CustomerID as user, StockCode as item,\n"
    "                        InvoiceDate as time, one interaction per invoice line; cancellations,\n"
    "                        returns and guest rows skipped; descriptions feed the hybrid's content part\n"
    "  --synthetic N         N deterministic power-law interactions (--users, --items)\n"
    "  --k N                 cut-off, 1-1000 (default 10)\n"
    "  --test-days N         test window, 1-3650 days (default 30)\n"
    "  --factors N           ALS factors, 1-512 (default 64)\n"
    "  --iterations N        ALS iterations, 1-1000 (default 15)\n"
    "  --alpha X             ALS confidence slope (default 40)\n"
    "  --lambda X            ALS regularisation (default 0.1)\n"
    "  --cg-steps N          ALS conjugate-gradient steps per row and half iteration, 1-512 (default 3)\n"
    "  --log-scale           ALS confidence 1 + alpha*log(1 + r) instead of 1 + alpha*r\n"
    "  --threads N           ALS threads (default: the online CPUs)\n"
    "  --users N, --items N  sizes for --synthetic (default 50000 and 20000)\n"
    "  --hybrid A,C,T        the hybrid's weights of ALS, item-cosine and TF-IDF content (default 0.5,0.3,0.2)\n"
    "  --until TIME          drop the interactions at or after TIME (Unix seconds or ISO-8601): tune on a\n"
    "                        validation window that ends where the real test window starts\n"
    "  --train-only          train ALS on all the interactions, print the loss per iteration and the time\n";

/* CPU seconds of the process, all threads: on a shared machine wall time
 * says little, CPU time what the work costs. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- Online Retail ---- */

typedef struct {
    int64_t user, time;
    char code[16];
} retail_row;

typedef struct {
    char code[16];
    char *description;
} retail_item;

static int cmp_code(const void *a, const void *b)
{
    return strcmp(((const retail_item *)a)->code, ((const retail_item *)b)->code);
}

static long find_code(const retail_item *items, size_t n, const char *code)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(items[mid].code, code);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

typedef struct {
    souk_rec_interaction *in;
    size_t n;
    souk_rec_doc *docs;
    retail_item *items;
    size_t nitems;
    size_t skipped_cancel, skipped_guest, skipped_bad;
} retail;

static void retail_release(retail *r)
{
    free(r->in);
    free(r->docs);
    for (size_t i = 0; i < r->nitems; i++)
        free(r->items[i].description);
    free(r->items);
}

static int col_of(souk_csv *r, const char *name)
{
    for (size_t f = 0; f < souk_csv_field_count(r); f++)
        if (strcmp(souk_csv_field(r, f, NULL), name) == 0)
            return (int)f;
    return -1;
}

/* Reads the Online Retail CSV at PATH into R; prints problems; 0 or -1. */
static int retail_load(retail *out, const char *path)
{
    memset(out, 0, sizeof *out);
    souk_csv *r;
    if (souk_csv_open_file(&r, path, NULL) != SOUK_CSV_OK) {
        fprintf(stderr, "souk: cannot read %s\n", path);
        return -1;
    }
    retail_row *rows = NULL;
    size_t nrows = 0, cap = 0, icap = 0;
    int ci[6] = {-1, -1, -1, -1, -1, -1}, rc = -1;
    static const char *names[6] = {"InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "CustomerID"};
    if (souk_csv_next(r) != SOUK_CSV_RECORD) {
        fprintf(stderr, "souk: %s: no header\n", path);
        goto done;
    }
    for (int j = 0; j < 6; j++)
        if ((ci[j] = col_of(r, names[j])) < 0) {
            fprintf(stderr, "souk: %s: no %s column; is this the Online Retail data set?\n", path, names[j]);
            goto done;
        }
    int c;
    while ((c = souk_csv_next(r)) != SOUK_CSV_END) {
        if (c < 0) {
            if (!souk_csv_is_recoverable(c)) {
                fprintf(stderr, "souk: %s: %s\n", path, souk_csv_error(r));
                goto done;
            }
            out->skipped_bad++;
            continue;
        }
        const char *inv = souk_csv_field(r, (size_t)ci[0], NULL), *code = souk_csv_field(r, (size_t)ci[1], NULL);
        const char *qty = souk_csv_field(r, (size_t)ci[3], NULL), *cust = souk_csv_field(r, (size_t)ci[5], NULL);
        size_t dlen;
        const char *date = souk_csv_field(r, (size_t)ci[4], &dlen);
        if (!inv || !code || !qty || !cust || !date) {
            out->skipped_bad++;
            continue;
        }
        if (inv[0] == 'C' || atol(qty) <= 0) {
            out->skipped_cancel++;
            continue;
        }
        if (!*cust) {
            out->skipped_guest++;
            continue;
        }
        int64_t us;
        char *end;
        double cid = strtod(cust, &end);
        if (*end || cid < 0 || cid > 1e15 || strlen(code) == 0 || strlen(code) >= sizeof rows->code ||
            souk_time_parse(date, dlen, &us) < 0) {
            out->skipped_bad++;
            continue;
        }
        if (souk_grow(&rows, &cap, nrows + 1, sizeof *rows) < 0)
            goto nomem;
        retail_row *row = &rows[nrows++];
        row->user = (int64_t)cid;
        row->time = us / 1000000;
        snprintf(row->code, sizeof row->code, "%s", code);
        /* the catalogue: codes with their first non-empty description */
        const char *desc = souk_csv_field(r, (size_t)ci[2], NULL);
        if (out->nitems == 0 || strcmp(out->items[out->nitems - 1].code, code) != 0) {
            if (souk_grow(&out->items, &icap, out->nitems + 1, sizeof *out->items) < 0)
                goto nomem;
            retail_item *it = &out->items[out->nitems++];
            snprintf(it->code, sizeof it->code, "%s", code);
            it->description = desc && *desc ? strdup(desc) : NULL;
        }
    }
    /* unique codes, each with a description when any of its rows had one */
    if (out->nitems > 1)
        qsort(out->items, out->nitems, sizeof *out->items, cmp_code);
    size_t m = 0;
    for (size_t i = 0; i < out->nitems; i++) {
        if (m && strcmp(out->items[m - 1].code, out->items[i].code) == 0) {
            if (!out->items[m - 1].description) {
                out->items[m - 1].description = out->items[i].description;
                out->items[i].description = NULL;
            }
            free(out->items[i].description);
            continue;
        }
        out->items[m++] = out->items[i];
    }
    out->nitems = m;
    out->in = malloc((nrows ? nrows : 1) * sizeof *out->in);
    out->docs = malloc((m ? m : 1) * sizeof *out->docs);
    if (!out->in || !out->docs)
        goto nomem;
    for (size_t j = 0; j < nrows; j++) {
        long i = find_code(out->items, m, rows[j].code);
        out->in[out->n++] = (souk_rec_interaction){rows[j].user, i + 1, rows[j].time, 1.0};
    }
    for (size_t i = 0; i < m; i++)
        out->docs[i] = (souk_rec_doc){.item = (int64_t)i + 1, .title = out->items[i].description};
    rc = 0;
    goto done;
nomem:
    fprintf(stderr, "souk: out of memory reading %s\n", path);
done:
    free(rows);
    souk_csv_free(r);
    if (rc < 0)
        retail_release(out);
    return rc;
}

/* ---- the command ---- */

static int progress(void *ctx, unsigned it, unsigned total, double loss)
{
    char tail[64];
    snprintf(tail, sizeof tail, "loss %.6g", loss);
    souk_cli_progress(stderr, ctx ? (const char *)ctx : "ALS", it, total, tail, it == total);
    return 0;
}

static int train_only(const souk_rec_interaction *in, size_t n, const souk_rec_als_params *als)
{
    double t0 = souk_time_mono_s();
    souk_rec_data d;
    int rc = souk_rec_data_build(&d, in, n);
    if (rc < 0) {
        fprintf(stderr, "souk: %s\n", souk_rec_strerror(rc));
        return SOUK_EXIT_FAIL;
    }
    double t1 = souk_time_mono_s(), c1 = cpu_s();
    souk_rec_model *m;
    rc = souk_rec_als_train(&d, als, &m);
    double t2 = souk_time_mono_s(), c2 = cpu_s();
    if (rc < 0) {
        fprintf(stderr, "souk: ALS: %s\n", souk_rec_strerror(rc));
        souk_rec_data_release(&d);
        return SOUK_EXIT_FAIL;
    }
    printf("interactions: %zu (%zu users, %zu items, %zu distinct pairs)\n", n, d.nusers, d.nitems, d.nnz);
    printf("matrix built in %.3f s; ALS (%u factors, %u iterations, %u threads) trained in %.3f s (%.3f s of CPU); "
           "final loss %.6g\n",
           t1 - t0, als->factors, als->iterations, als->threads, t2 - t1, c2 - c1, souk_rec_model_loss(m));
    souk_rec_model_free(m);
    souk_rec_data_release(&d);
    return SOUK_EXIT_OK;
}

static const char *row_name[SOUK_REC_EVAL_N] = {"popularity", "als", "item-cosine", "fbt", "hybrid"};

static int evaluate(const souk_rec_interaction *in, size_t n, const souk_rec_eval_params *p)
{
    souk_rec_eval_report rep;
    double t0 = souk_time_mono_s();
    int rc = souk_rec_eval_run(in, n, p, &rep);
    if (rc < 0) {
        if (rc == SOUK_REC_E_INVAL)
            fprintf(stderr,
                    "souk: cannot evaluate: %s (one side of the time split is empty, or no known user "
                    "has anything new in the test window; try another --test-days)\n",
                    rep.ntrain == 0 ? "nothing before the test window" : "nothing to evaluate");
        else
            fprintf(stderr, "souk: %s\n", souk_rec_strerror(rc));
        return SOUK_EXIT_FAIL;
    }
    char cut[SOUK_RFC3339_LEN];
    souk_time_format(rep.cut * 1000000, cut);
    printf("interactions: %zu (train %zu before %.19sZ, test %zu after)\n", n, rep.ntrain, cut, rep.ntest);
    printf("train: %zu users, %zu items, %zu distinct pairs\n", rep.train_users, rep.train_items, rep.train_nnz);
    printf("test: %zu users (%zu unknown in training, %zu with nothing new: not evaluated); %zu evaluated with %zu "
           "held-out items (dropped: %zu pairs of items unseen in training, %zu repeats of training items)\n",
           rep.test_users, rep.cold_users, rep.no_new_users, rep.eval_users, rep.relevant, rep.unseen_item_pairs,
           rep.repeat_pairs);
    printf("ALS: %u factors, %u iterations, alpha %g, lambda %g%s; final loss %.6g\n\n", p->als.factors,
           p->als.iterations, p->als.alpha, p->als.lambda, p->als.log_scale ? ", log-scaled" : "", rep.als_loss);
    size_t k = p->k;
    char h[5][16];
    snprintf(h[0], sizeof h[0], "P@%zu", k);
    snprintf(h[1], sizeof h[1], "R@%zu", k);
    snprintf(h[2], sizeof h[2], "NDCG@%zu", k);
    snprintf(h[3], sizeof h[3], "MAP@%zu", k);
    snprintf(h[4], sizeof h[4], "cov@%zu", k);
    printf("%-12s %9s %9s %9s %9s %9s %9s %9s\n", "recommender", h[0], h[1], h[2], h[3], h[4], "NDCG/pop", "train_s");
    double base = rep.row[SOUK_REC_EVAL_POPULAR].ndcg;
    for (int r = 0; r < SOUK_REC_EVAL_N; r++) {
        const souk_rec_metrics *m = &rep.row[r];
        printf("%-12s %9.4f %9.4f %9.4f %9.4f %9.4f %9.2f %9.3f\n", row_name[r], m->precision, m->recall, m->ndcg,
               m->map, m->coverage, base > 0 ? m->ndcg / base : 0.0, m->train_s);
    }
    printf("\ntotal %.3f s\n", souk_time_mono_s() - t0);
    return SOUK_EXIT_OK;
}

/* Parses option OPT's value S into *OUT, a number in [LO, HI] (a whole
 * number when LO is 1 or more: counts and sizes); prints why not and returns -1. */
static int number(const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    int whole = lo >= 1;
    if (!*s || *end || !(v >= lo && v <= hi) || (whole && v != (double)(long long)v)) {
        fprintf(stderr, "souk: --%s takes a %s from %g to %g\n", opt, whole ? "whole number" : "number", lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int souk_eval_recs(int argc, char **argv)
{
    static const struct option long_opts[] = {{"interactions", required_argument, NULL, 'i'},
                                              {"online-retail", required_argument, NULL, 'o'},
                                              {"synthetic", required_argument, NULL, 's'},
                                              {"k", required_argument, NULL, 'k'},
                                              {"test-days", required_argument, NULL, 'd'},
                                              {"factors", required_argument, NULL, 'f'},
                                              {"iterations", required_argument, NULL, 'n'},
                                              {"alpha", required_argument, NULL, 'a'},
                                              {"lambda", required_argument, NULL, 'l'},
                                              {"log-scale", no_argument, NULL, 'L'},
                                              {"threads", required_argument, NULL, 't'},
                                              {"users", required_argument, NULL, 'U'},
                                              {"items", required_argument, NULL, 'I'},
                                              {"train-only", no_argument, NULL, 'T'},
                                              {"until", required_argument, NULL, 'u'},
                                              {"hybrid", required_argument, NULL, 'H'},
                                              {"cg-steps", required_argument, NULL, 'g'},
                                              {"help", no_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};
    souk_config cfg;
    if (souk_cli_config_getopt(&cfg, false) < 0)
        return SOUK_EXIT_USAGE;
    const char *interactions = NULL, *online = NULL;
    double synthetic = 0, users = 50000, items = 20000, v;
    bool only_train = false, has_until = false;
    int64_t until = 0;
    souk_rec_eval_params p;
    souk_rec_eval_params_default(&p);
    int c;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(usage, stdout); return SOUK_EXIT_OK;
        case 'i': interactions = optarg; break;
        case 'o': online = optarg; break;
        case 'L': p.als.log_scale = true; break;
        case 'T': only_train = true; break;
        case 'H': {
            double w[3];
            char *at = optarg, *end;
            for (int j = 0; j < 3; j++) {
                w[j] = strtod(at, &end);
                if (end == at || !(w[j] >= 0 && w[j] <= 1) || (j < 2 ? *end != ',' : *end != '\0')) {
                    fprintf(stderr, "souk: --hybrid takes three weights from 0 to 1: A,C,T (ALS, cosine, content)\n");
                    return SOUK_EXIT_USAGE;
                }
                at = end + 1;
            }
            p.hybrid_als = w[0];
            p.hybrid_cosine = w[1];
            p.hybrid_content = w[2];
            break;
        }
        case 'u': {
            int64_t us;
            char *end;
            long long secs = strtoll(optarg, &end, 10);
            if (*optarg && !*end)
                until = secs;
            else if (souk_time_parse(optarg, strlen(optarg), &us) == 0)
                until = us / 1000000;
            else {
                fprintf(stderr, "souk: --until takes Unix seconds or an ISO-8601 time (2011-11-09T12:50:00Z)\n");
                return SOUK_EXIT_USAGE;
            }
            has_until = true;
            break;
        }
        case 's':
            if (number("synthetic", optarg, 1, 1e8, &synthetic) < 0)
                return SOUK_EXIT_USAGE;
            break;
        case 'U':
            if (number("users", optarg, 1, 1e7, &users) < 0)
                return SOUK_EXIT_USAGE;
            break;
        case 'I':
            if (number("items", optarg, 32, 1e7, &items) < 0)
                return SOUK_EXIT_USAGE;
            break;
        case 'k':
            if (number("k", optarg, 1, SOUK_REC_K_MAX, &v) < 0)
                return SOUK_EXIT_USAGE;
            p.k = (size_t)v;
            break;
        case 'd':
            if (number("test-days", optarg, 1, 3650, &v) < 0)
                return SOUK_EXIT_USAGE;
            p.test_seconds = (int64_t)(v * 86400);
            break;
        case 'f':
            if (number("factors", optarg, 1, SOUK_REC_FACTORS_MAX, &v) < 0)
                return SOUK_EXIT_USAGE;
            p.als.factors = (unsigned)v;
            break;
        case 'n':
            if (number("iterations", optarg, 1, SOUK_REC_ITERATIONS_MAX, &v) < 0)
                return SOUK_EXIT_USAGE;
            p.als.iterations = (unsigned)v;
            break;
        case 'a':
            if (number("alpha", optarg, 0, 1e6, &p.als.alpha) < 0)
                return SOUK_EXIT_USAGE;
            break;
        case 'l':
            if (number("lambda", optarg, 1e-9, 1e6, &p.als.lambda) < 0)
                return SOUK_EXIT_USAGE;
            break;
        case 'g':
            if (number("cg-steps", optarg, 1, SOUK_REC_FACTORS_MAX, &v) < 0)
                return SOUK_EXIT_USAGE;
            p.als.cg_steps = (unsigned)v;
            break;
        case 't':
            if (number("threads", optarg, 1, SOUK_REC_THREADS_MAX, &v) < 0)
                return SOUK_EXIT_USAGE;
            p.als.threads = (unsigned)v;
            break;
        default: fprintf(stderr, "souk: see 'souk eval recs --help'\n"); return SOUK_EXIT_USAGE;
        }
    }
    if (optind != argc || (!!interactions + !!online + (synthetic > 0)) != 1) {
        fprintf(stderr, "souk: eval recs needs exactly one of --interactions, --online-retail and --synthetic; see "
                        "'souk eval recs --help'\n");
        return SOUK_EXIT_USAGE;
    }
    if (isatty(fileno(stderr)) || only_train) {
        p.als.progress = progress;
        p.als.progress_ctx = NULL;
    }
    souk_rec_interaction *in = NULL;
    size_t n = 0;
    retail rt = {0};
    int rc = SOUK_EXIT_FAIL;
    if (interactions) {
        char err[512];
        if (souk_rec_read_csv_file(interactions, 0, &in, &n, err, sizeof err) < 0) {
            fprintf(stderr, "souk: %s: %s\n", interactions, err);
            return SOUK_EXIT_FAIL;
        }
    } else if (online) {
        if (retail_load(&rt, online) < 0)
            return SOUK_EXIT_FAIL;
        printf("online retail: %zu purchase lines of %zu stock codes kept; skipped %zu cancellations/returns, %zu "
               "guest rows, %zu unreadable\n",
               rt.n, rt.nitems, rt.skipped_cancel, rt.skipped_guest, rt.skipped_bad);
        in = rt.in;
        n = rt.n;
        rt.in = NULL;
        p.docs = rt.docs;
        p.ndocs = rt.nitems;
    } else {
        int r = souk_rec_synthetic((size_t)synthetic, (size_t)users, (size_t)items, 1, &in);
        if (r < 0) {
            fprintf(stderr, "souk: synthetic data: %s\n", souk_rec_strerror(r));
            return SOUK_EXIT_FAIL;
        }
        n = (size_t)synthetic;
        printf("synthetic: %zu interactions, %zu users, %zu items (power law, 32 latent clusters)\n", n, (size_t)users,
               (size_t)items);
    }
    if (has_until) {
        size_t kept = 0;
        for (size_t j = 0; j < n; j++)
            if (in[j].time < until)
                in[kept++] = in[j];
        printf("until: %zu of %zu interactions are before %lld\n", kept, n, (long long)until);
        n = kept;
    }
    if (only_train) {
        if (!p.als.threads) {
            long nc = sysconf(_SC_NPROCESSORS_ONLN);
            p.als.threads = nc < 1 ? 1 : nc > SOUK_REC_THREADS_MAX ? SOUK_REC_THREADS_MAX : (unsigned)nc;
        }
        rc = train_only(in, n, &p.als);
    } else {
        rc = evaluate(in, n, &p);
    }
    free(in);
    retail_release(&rt);
    return rc;
}
