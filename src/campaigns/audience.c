/*
 * audience.c — audiences: their rules, the selection of their customers
 * from the analytics read model, and the stored member sets.
 *
 * An audience is a rule (an RFM segment, a k-means cluster, a churn-risk
 * band, or bounds on recency, orders and revenue), not a list: its members
 * change as customers buy. Pricing must not run a report, so the members
 * are computed by the campaigns.audiences job (hourly, and at once after an
 * audience is created or changed, or on request) and stored in
 * campaign_audience_members; the cart tests a customer with one indexed
 * lookup through the view cart_audience_members. The set is as stale as its
 * refreshed_at: a customer who entered the segment since waits for the next
 * run, one who left it keeps the price until then (docs/campaigns.md).
 *
 * The selection reads the reports themselves — the RFM scores through
 * souk_analytics_rfm_each (the report's rows without their JSON: an audience
 * of 100,000 customers would spend most of its time building and freeing
 * it), the k-means and churn reports with every row wanted — so an audience
 * holds exactly the customers the dashboard shows in that segment for the
 * same range.
 */
#include "campaigns/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/log.h"
#include "core/money.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "core/banned.h"

const char *const souk_campaigns_rfm_names[] = {
    "champions", "loyal",          "potential_loyalists", "new_customers", "promising", "need_attention",
    "at_risk",   "cant_lose_them", "hibernating",         "lost",          NULL,
};

static const char *const kind_names[] = {"rfm", "kmeans", "churn", "filter"};

const char *souk_campaigns_kind_name(souk_campaigns_kind k)
{
    return (unsigned)k < 4 ? kind_names[k] : "rfm";
}

/* ---- definitions ---- */

/* Integer KEY of O into *OUT (DEF when absent) within [LO, HI]; a message or NULL. */
static const char *int_of(const json_t *o, const char *key, int64_t def, int64_t lo, int64_t hi, int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    *out = def;
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return "must be an integer in range";
    *out = json_integer_value(v);
    return NULL;
}

const char *souk_campaigns_def_parse(const char *kind, const json_t *o, souk_campaigns_def *d, const char **field)
{
    memset(d, 0, sizeof *d);
    d->min_orders = d->max_orders = d->min_revenue = d->max_revenue = d->min_recency = d->max_recency = -1;
    *field = "kind";
    int k = -1;
    for (int i = 0; kind && i < 4; i++)
        if (strcmp(kind, kind_names[i]) == 0)
            k = i;
    if (k < 0)
        return "must be rfm, kmeans, churn or filter";
    d->kind = (souk_campaigns_kind)k;
    *field = "definition";
    if (!json_is_object(o))
        return "must be an object";
    static const char *const allowed[4][9] = {
        {"days", "currency", "segments"},
        {"days", "currency", "k", "cluster"},
        {"horizon", "currency", "band"},
        {"days", "currency", "min_orders", "max_orders", "min_revenue", "max_revenue", "min_recency_days",
         "max_recency_days"},
    };
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)o, key, val)
    {
        bool ok = false;
        for (int i = 0; i < 9 && allowed[k][i] && !ok; i++)
            ok = strcmp(allowed[k][i], key) == 0;
        if (!ok) {
            *field = key;
            return "is not a field of this kind of audience";
        }
    }
    const char *why;
    int64_t v;
    const json_t *cur = json_object_get(o, "currency");
    if (cur && !json_is_null(cur)) {
        const char *c = json_string_value(cur);
        *field = "currency";
        if (!c || strlen(c) != 3 || souk_currency_exponent(c) < 0)
            return "must be an ISO 4217 code";
        memcpy(d->currency, c, 4);
    }
    *field = "days";
    if ((why = int_of(o, "days", 365, 1, SOUK_CAMPAIGNS_DAYS_MAX, &v)))
        return why;
    d->days = (int)v;
    if (d->kind == SOUK_CAMPAIGNS_RFM) {
        const json_t *segs = json_object_get(o, "segments");
        *field = "segments";
        if (!json_is_array(segs) || json_array_size(segs) < 1 || json_array_size(segs) > 10)
            return "must list 1-10 RFM segments";
        size_t i;
        const json_t *s;
        json_array_foreach(segs, i, s)
        {
            int found = -1;
            for (int n = 0; souk_campaigns_rfm_names[n] && json_is_string(s); n++)
                if (strcmp(souk_campaigns_rfm_names[n], json_string_value(s)) == 0)
                    found = n;
            if (found < 0)
                return "names an unknown RFM segment";
            d->segments |= 1u << found;
        }
    } else if (d->kind == SOUK_CAMPAIGNS_KMEANS) {
        *field = "k";
        if ((why = int_of(o, "k", 0, 2, SOUK_ANALYTICS_SEG_K_LIMIT, &v)) || v == 0)
            return why ? why : "is required (2-10)";
        d->k = (int)v;
        *field = "cluster";
        if ((why = int_of(o, "cluster", 0, 1, d->k, &v)) || v == 0)
            return why ? why : "is required (1-k)";
        d->cluster = (int)v;
    } else if (d->kind == SOUK_CAMPAIGNS_CHURN) {
        *field = "horizon";
        if ((why = int_of(o, "horizon", 90, 7, 365, &v)))
            return why;
        d->horizon = (int)v;
        const char *band = json_string_value(json_object_get(o, "band"));
        *field = "band";
        if (band && strcmp(band, "high") == 0)
            d->min_p = 0.7, d->max_p = 2;
        else if (band && strcmp(band, "medium") == 0)
            d->min_p = 0.4, d->max_p = 0.7;
        else if (band && strcmp(band, "low") == 0)
            d->min_p = 0, d->max_p = 0.4;
        else
            return "must be high, medium or low";
    } else {
        static const char *const keys[] = {"min_orders",  "max_orders",       "min_revenue",
                                           "max_revenue", "min_recency_days", "max_recency_days"};
        int64_t *outs[] = {&d->min_orders,  &d->max_orders,  &d->min_revenue,
                           &d->max_revenue, &d->min_recency, &d->max_recency};
        bool any = false;
        for (int i = 0; i < 6; i++) {
            *field = keys[i];
            if ((why = int_of(o, keys[i], -1, 0, i == 2 || i == 3 ? SOUK_MONEY_MAX : 1000000, outs[i])))
                return why;
            any = any || *outs[i] >= 0;
        }
        *field = "definition";
        if (!any)
            return "a filter needs at least one bound";
        if ((d->max_orders >= 0 && d->min_orders > d->max_orders) ||
            (d->max_revenue >= 0 && d->min_revenue > d->max_revenue) ||
            (d->max_recency >= 0 && d->min_recency > d->max_recency))
            return "a minimum is above its maximum";
    }
    return NULL;
}

static void bound(json_t *o, const char *key, int64_t v)
{
    if (v >= 0)
        json_object_set_new(o, key, json_integer((json_int_t)v));
}

json_t *souk_campaigns_def_json(const souk_campaigns_def *d)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (d->currency[0])
        json_object_set_new(o, "currency", json_string(d->currency));
    if (d->kind != SOUK_CAMPAIGNS_CHURN)
        json_object_set_new(o, "days", json_integer(d->days));
    if (d->kind == SOUK_CAMPAIGNS_RFM) {
        json_t *a = json_array();
        for (int i = 0; souk_campaigns_rfm_names[i]; i++)
            if (d->segments & (1u << i))
                json_array_append_new(a, json_string(souk_campaigns_rfm_names[i]));
        json_object_set_new(o, "segments", a);
    } else if (d->kind == SOUK_CAMPAIGNS_KMEANS) {
        json_object_set_new(o, "k", json_integer(d->k));
        json_object_set_new(o, "cluster", json_integer(d->cluster));
    } else if (d->kind == SOUK_CAMPAIGNS_CHURN) {
        json_object_set_new(o, "horizon", json_integer(d->horizon));
        json_object_set_new(o, "band", json_string(d->min_p >= 0.7 ? "high" : d->min_p >= 0.4 ? "medium" : "low"));
    } else {
        bound(o, "min_orders", d->min_orders);
        bound(o, "max_orders", d->max_orders);
        bound(o, "min_revenue", d->min_revenue);
        bound(o, "max_revenue", d->max_revenue);
        bound(o, "min_recency_days", d->min_recency);
        bound(o, "max_recency_days", d->max_recency);
    }
    return o;
}

/* ---- selection ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static bool within(int64_t v, int64_t lo, int64_t hi)
{
    return (lo < 0 || v >= lo) && (hi < 0 || v <= hi);
}

/* Whether row ROW of the k-means or churn report is in D. */
static bool wanted(const souk_campaigns_def *d, const json_t *row)
{
    if (d->kind == SOUK_CAMPAIGNS_KMEANS)
        return json_integer_value(json_object_get(row, "cluster")) == d->cluster;
    double p = json_number_value(json_object_get(row, "churn_probability"));
    return p >= d->min_p && p < d->max_p;
}

/* The ids being collected (RFM and filter audiences read the scores without JSON). */
typedef struct collect {
    const souk_campaigns_def *d;
    int64_t *ids;
    size_t n, cap;
    bool oom;
} collect;

static void on_rfm(void *arg, const souk_analytics_rfm_row *row)
{
    collect *c = arg;
    const souk_campaigns_def *d = c->d;
    bool in;
    if (d->kind == SOUK_CAMPAIGNS_RFM) {
        in = false;
        for (int i = 0; row->segment && souk_campaigns_rfm_names[i] && !in; i++)
            in = (d->segments & (1u << i)) && strcmp(row->segment, souk_campaigns_rfm_names[i]) == 0;
    } else
        in = within(row->frequency, d->min_orders, d->max_orders) &&
             within(row->monetary, d->min_revenue, d->max_revenue) &&
             within(row->recency_days, d->min_recency, d->max_recency);
    if (!in || c->oom)
        return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1024;
        int64_t *more = realloc(c->ids, cap * sizeof *more);
        if (!more) {
            c->oom = true;
            return;
        }
        c->ids = more;
        c->cap = cap;
    }
    c->ids[c->n++] = row->customer_id;
}

int souk_campaigns_select(const souk_analytics_facts *f, const souk_campaigns_def *d, int64_t now_us, int64_t **out,
                          size_t *n)
{
    *out = NULL;
    *n = 0;
    souk_analytics_query q = {.channel = -1, .currency = -1, .limit = INT32_MAX, .threads = 2};
    q.to = souk_analytics_tz_day(&f->tz, now_us);
    q.from = q.to - d->days + 1;
    if (d->currency[0]) {
        q.currency = souk_analytics_currency_find(f, d->currency);
        q.currency_code = d->currency;
        if (q.currency < 0)
            q.currency = -2;
    }
    collect c = {.d = d};
    if (d->kind == SOUK_CAMPAIGNS_RFM || d->kind == SOUK_CAMPAIGNS_FILTER) {
        if (souk_analytics_rfm_each(f, &q, on_rfm, &c) < 0 || c.oom) {
            free(c.ids);
            return -1;
        }
    } else {
        json_t *report = NULL;
        if (d->kind == SOUK_CAMPAIGNS_KMEANS) {
            q.k = d->k;
            report = souk_analytics_segments(f, &q);
        } else {
            q.horizon = d->horizon;
            report = souk_analytics_churn(f, &q);
        }
        if (!report)
            return -1;
        const json_t *rows = json_object_get(report, "rows");
        c.cap = json_array_size(rows);
        c.ids = malloc((c.cap ? c.cap : 1) * sizeof *c.ids);
        if (!c.ids) {
            json_decref(report);
            return -1;
        }
        for (size_t i = 0; i < c.cap; i++) {
            const json_t *row = json_array_get(rows, i);
            const char *cu = json_string_value(json_object_get(row, "customer"));
            int64_t id;
            if (cu && wanted(d, row) && souk_id_parse("usr", cu, strlen(cu), &id) == 0)
                c.ids[c.n++] = id;
        }
        json_decref(report);
    }
    qsort(c.ids, c.n, sizeof *c.ids, cmp_i64);
    size_t uniq = 0;
    for (size_t i = 0; i < c.n; i++)
        if (uniq == 0 || c.ids[uniq - 1] != c.ids[i])
            c.ids[uniq++] = c.ids[i];
    if (!uniq) {
        free(c.ids);
        c.ids = NULL;
    }
    *out = c.ids;
    *n = uniq;
    return 0;
}

/* ---- the stored member sets ---- */

#define CHUNK 60 /* ids per statement: a statement takes at most 64 parameters */

int souk_campaigns_store_members_tx(souk_store *db, int64_t audience, const int64_t *users, size_t n, int64_t now_us,
                                    int64_t *kept)
{
    int r = souk_store_exec(db, "DELETE FROM campaign_audience_members WHERE audience_id = $1",
                            SOUK_ARGS(SOUK_I64(audience)));
    if (r < 0)
        return r;
    /* one statement text for every chunk (the last padded with 0, no account's id): prepared once */
    static char sql[CHUNK * 8 + 256];
    static _Atomic int made;
    if (!made) {
        size_t at = (size_t)snprintf(sql, sizeof sql,
                                     "INSERT INTO campaign_audience_members (audience_id, user_id) SELECT $1, user_id "
                                     "FROM campaign_customers WHERE status = 'active' AND user_id IN (");
        for (int i = 0; i < CHUNK; i++)
            at += (size_t)snprintf(sql + at, sizeof sql - at, "%s$%d", i ? "," : "", i + 2);
        snprintf(sql + at, sizeof sql - at, ")");
        made = 1; /* every thread writes the same text: a race is harmless */
    }
    int64_t stored = 0;
    souk_param args[CHUNK + 2];
    for (size_t at = 0; at < n; at += CHUNK) {
        args[0] = SOUK_I64(audience);
        for (size_t i = 0; i < CHUNK; i++)
            args[i + 1] = SOUK_I64(at + i < n ? users[at + i] : 0);
        args[CHUNK + 1] = (souk_param){.type = SOUK_TYPE_END};
        int64_t c = souk_store_update(db, sql, args);
        if (c < 0)
            return (int)c;
        stored += c;
    }
    r = souk_store_exec(db,
                        "UPDATE campaign_audiences SET members = $2, refreshed_at = $3, refresh_error = NULL "
                        "WHERE id = $1",
                        SOUK_ARGS(SOUK_I64(audience), SOUK_I64(stored), SOUK_I64(now_us)));
    if (r < 0)
        return r;
    if (kept)
        *kept = stored;
    return 0;
}

typedef struct store_ctx {
    int64_t audience, now, kept;
    const int64_t *ids;
    size_t n;
    const char *error;
} store_ctx;

static souk_err store_body(souk_store *db, void *arg)
{
    store_ctx *c = arg;
    if (c->error)
        return souk_store_dberr(souk_store_exec(db, "UPDATE campaign_audiences SET refresh_error = $2 WHERE id = $1",
                                                SOUK_ARGS(SOUK_I64(c->audience), SOUK_TEXT(c->error))));
    return souk_store_dberr(souk_campaigns_store_members_tx(db, c->audience, c->ids, c->n, c->now, &c->kept));
}

typedef struct aud_row {
    int64_t id;
    char kind[16];
    char definition[1024];
} aud_row;

/* The facts to read: the served ones (held), or built from DB (owned). */
static const souk_analytics_facts *facts_get(souk_store *db, const souk_analytics_facts **held,
                                             souk_analytics_facts **own)
{
    *own = NULL;
    if ((*held = souk_analytics_acquire()))
        return *held;
    char tz[SOUK_ANALYTICS_TZ_NAME_MAX];
    souk_analytics_facts *f = malloc(sizeof *f);
    if (!f || souk_analytics_setting_timezone(db, tz) < 0 || souk_analytics_facts_init(f, tz) < 0) {
        free(f);
        return NULL;
    }
    if (souk_analytics_load(db, f, NULL, NULL) < 0) {
        souk_analytics_facts_release(f);
        free(f);
        return NULL;
    }
    *own = f;
    return f;
}

int souk_campaigns_refresh(souk_store *db, const souk_analytics_facts *given, int64_t audience)
{
    aud_row rows[SOUK_CAMPAIGNS_AUDIENCES_MAX];
    int nrows = 0, r;
    souk_stmt *st = souk_store_query(
        db, "SELECT id, kind, definition FROM campaign_audiences WHERE $1 = 0 OR id = $1 ORDER BY id LIMIT $2",
        SOUK_ARGS(SOUK_I64(audience), SOUK_I64(SOUK_CAMPAIGNS_AUDIENCES_MAX)));
    while (nrows < SOUK_CAMPAIGNS_AUDIENCES_MAX &&
           (r = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&rows[nrows].id), SOUK_COL_STR(rows[nrows].kind),
                                             SOUK_COL_STR(rows[nrows].definition)))) == SOUK_DB_ROW)
        nrows++;
    if (nrows == SOUK_CAMPAIGNS_AUDIENCES_MAX)
        souk_stmt_done(st);
    else if (r < 0)
        return r;
    souk_store_idle(db); /* no read snapshot held across the writes below */
    if (!nrows)
        return 0;
    const souk_analytics_facts *held = NULL;
    souk_analytics_facts *own = NULL;
    const souk_analytics_facts *f = given ? given : facts_get(db, &held, &own);
    if (!f)
        return -1;
    int done = 0, rc = 0;
    for (int i = 0; i < nrows && rc == 0; i++) {
        if (souk_job_keep_alive(db) == SOUK_JOB_LEASE_LOST) { /* a churn audience can take seconds */
            rc = SOUK_DB_HARD;
            break;
        }
        souk_campaigns_def d;
        const char *field;
        json_t *o = json_loads(rows[i].definition, 0, NULL);
        const char *why = souk_campaigns_def_parse(rows[i].kind, o, &d, &field);
        json_decref(o);
        store_ctx c = {.audience = rows[i].id, .now = souk_time_now_us()};
        int64_t *ids = NULL;
        if (why)
            c.error = "the stored definition is not valid";
        else if (souk_campaigns_select(f, &d, c.now, &ids, &c.n) < 0)
            c.error = "the selection ran out of memory";
        c.ids = ids;
        souk_err e = souk_store_run(db, store_body, &c, NULL);
        free(ids);
        if (e)
            rc = e == SOUK_E_UNAVAILABLE ? SOUK_DB_SOFT : SOUK_DB_HARD;
        else if (!c.error)
            done++;
    }
    if (held)
        souk_analytics_release(held);
    if (own) {
        souk_analytics_facts_release(own);
        free(own);
    }
    return rc < 0 ? rc : done;
}

/* ---- jobs ---- */

static int refresh_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    int64_t audience = json_integer_value(json_object_get(payload, "audience"));
    int n = souk_campaigns_refresh(db, NULL, audience);
    if (n < 0) {
        snprintf(err, errlen, "cannot refresh the audiences: %s", souk_store_errmsg(db));
        return -1;
    }
    souk_log(SOUK_LOG_INFO, NULL, NULL, json_pack("{s:i}", "audiences", n), "campaign audiences refreshed");
    return 0;
}

static int send_job(souk_store *db, const json_t *payload, char *err, size_t errlen)
{
    int64_t campaign = json_integer_value(json_object_get(payload, "campaign"));
    int64_t n = souk_campaigns_send(db, campaign);
    if (n < 0) {
        snprintf(err, errlen, "cannot send campaign %lld: %s", (long long)campaign, souk_store_errmsg(db));
        return -1;
    }
    return 0;
}

int souk_campaigns_register(void)
{
    if (souk_job_register(SOUK_CAMPAIGNS_REFRESH_JOB, refresh_job, 3) < 0 ||
        souk_job_register(SOUK_CAMPAIGNS_SEND_JOB, send_job, 8) < 0)
        return -1;
    return souk_job_schedule(SOUK_CAMPAIGNS_REFRESH_JOB, "25 * * * *");
}

int souk_campaigns_refresh_enqueue_tx(souk_store *db, int64_t audience)
{
    char key[64];
    snprintf(key, sizeof key, "%s:%lld", SOUK_CAMPAIGNS_REFRESH_JOB, (long long)audience);
    return souk_job_enqueue_tx(db, SOUK_CAMPAIGNS_REFRESH_JOB, json_pack("{s:I}", "audience", (json_int_t)audience), 0,
                               key);
}
