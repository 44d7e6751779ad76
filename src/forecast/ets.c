/*
 * ets.c — the exponential-smoothing family in the innovations state-space
 * form of Hyndman, Koehler, Ord & Snyder (2008): the recursion, the
 * likelihood, the fit by Nelder–Mead over a box of admissible parameters,
 * and the choice of class by AICc. Design: docs/internals/forecast.md.
 *
 * Written as the one-step error r = y - yhat, the state updates of the
 * additive- and the multiplicative-error version of a class are the same
 * (Hyndman et al. 2008, table 2.3, with e = r for additive and e = r/yhat
 * for multiplicative errors); the two differ only in the likelihood. So
 * one recursion serves all fifteen classes.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "forecast/internal.h"
#include "core/banned.h"

#define ALPHA_LO 1e-4
#define ALPHA_HI 0.9999
#define PHI_LO 0.8
#define PHI_HI 0.98

char *souk_forecast_ets_name(souk_forecast_ets_class cls, char *buf)
{
    static const char *t[] = {"N", "A", "Ad"}, *s[] = {"N", "A", "M"};
    snprintf(buf, 12, "ETS(%s,%s,%s)", cls.error == SOUK_FORECAST_ERR_MUL ? "M" : "A", t[cls.trend], s[cls.season]);
    return buf;
}

/* the smoothing parameters and states of one run of the recursion */
typedef struct {
    souk_forecast_ets_class cls;
    int m;
    double alpha, beta, gamma, phi;
    double l, b, s[SOUK_FORECAST_ETS_M_MAX];
} run_state;

/* One period: the forecast of y at time T from the states, then the update
 * with the observed Y. Returns the forecast; *OK false when a
 * multiplicative component met a non-positive value. */
static inline double step(run_state *st, size_t t, double y, bool *ok)
{
    int j = st->m > 1 ? (int)(t % (size_t)st->m) : 0;
    double lb = st->l + st->phi * st->b;
    double mu, r;
    switch (st->cls.season) {
    case SOUK_FORECAST_SEASON_MUL: {
        double s = st->s[j];
        if (!(lb > 0) || !(s > 0)) {
            *ok = false;
            return lb * s;
        }
        mu = lb * s;
        r = y - mu;
        st->l = lb + st->alpha * r / s;
        st->b = st->phi * st->b + st->beta * r / s;
        st->s[j] = s + st->gamma * r / lb;
        return mu;
    }
    case SOUK_FORECAST_SEASON_ADD:
        mu = lb + st->s[j];
        r = y - mu;
        st->s[j] += st->gamma * r;
        break;
    default: mu = lb; r = y - mu;
    }
    st->l = lb + st->alpha * r;
    st->b = st->phi * st->b + st->beta * r;
    return mu;
}

/* what one pass over the data gives */
typedef struct {
    double sse_abs, sse_rel, sumlog;
    bool ok;
} pass;

static pass run(run_state *st, const double *y, size_t n)
{
    pass p = {0, 0, 0, true};
    bool mul = st->cls.error == SOUK_FORECAST_ERR_MUL;
    for (size_t t = 0; t < n && p.ok; t++) {
        double mu = step(st, t, y[t], &p.ok);
        double r = y[t] - mu;
        p.sse_abs += r * r;
        if (mul) {
            if (!(mu > 0)) {
                p.ok = false;
                break;
            }
            double e = r / mu;
            p.sse_rel += e * e;
            p.sumlog += log(mu);
        }
    }
    if (!isfinite(p.sse_abs) || !isfinite(p.sse_rel) || !isfinite(p.sumlog))
        p.ok = false;
    return p;
}

/* ---- fitting ---- */

typedef struct {
    const double *y;
    size_t n;
    souk_forecast_ets_class cls;
    int m;                                      /* period of the season (1 without) */
    double l0, b0, s0[SOUK_FORECAST_ETS_M_MAX]; /* heuristic initial states */
    double scale;                               /* spread of the data, for the state offsets */
    double floor_abs;                           /* smallest SSE counted (a perfect fit is not -infinity) */
} fit_ctx;

static double sigmoid(double x)
{
    return 1 / (1 + exp(-x));
}

static double logit(double p)
{
    return log(p / (1 - p));
}

/* the smoothing parameters of X mapped into the admissible box; returns how many X held */
static int decode_smoothing(const fit_ctx *c, const double *x, run_state *st)
{
    int i = 0;
    st->cls = c->cls;
    st->m = c->m;
    st->alpha = ALPHA_LO + (ALPHA_HI - ALPHA_LO) * sigmoid(x[i++]);
    st->beta = 0;
    st->gamma = 0;
    st->phi = 1;
    if (c->cls.trend != SOUK_FORECAST_TREND_NONE)
        st->beta = st->alpha * sigmoid(x[i++]);
    if (c->cls.season != SOUK_FORECAST_SEASON_NONE)
        st->gamma = (1 - st->alpha) * sigmoid(x[i++]);
    if (c->cls.trend == SOUK_FORECAST_TREND_DAMPED)
        st->phi = PHI_LO + (PHI_HI - PHI_LO) * sigmoid(x[i++]);
    if (c->cls.trend == SOUK_FORECAST_TREND_NONE)
        st->phi = 0; /* no slope: l + phi b is l */
    return i;
}

/* the parameters X of the search: smoothing parameters, then offsets of the initial states from c's */
static void decode(const fit_ctx *c, const double *x, run_state *st)
{
    int i = decode_smoothing(c, x, st);
    st->l = c->l0 + c->scale * x[i++];
    st->b = 0;
    if (c->cls.trend != SOUK_FORECAST_TREND_NONE)
        st->b = c->b0 + 0.1 * c->scale * x[i++];
    memset(st->s, 0, sizeof st->s);
    if (c->cls.season == SOUK_FORECAST_SEASON_ADD) {
        double sum = 0;
        for (int j = 0; j < c->m - 1; j++) {
            st->s[j] = c->s0[j] + c->scale * x[i++];
            sum += st->s[j];
        }
        st->s[c->m - 1] = -sum; /* the seasonal states sum to 0 */
    } else if (c->cls.season == SOUK_FORECAST_SEASON_MUL) {
        double sum = 0;
        for (int j = 0; j < c->m; j++) {
            st->s[j] = c->s0[j] * (j < c->m - 1 ? exp(x[i++]) : 1);
            sum += st->s[j];
        }
        for (int j = 0; j < c->m; j++)
            st->s[j] *= c->m / sum; /* and average 1 */
    }
}

/* Sets the initial states of ST (smoothing parameters given, no
 * multiplicative season) to those of least one-step squared error. The
 * recursion is then linear in (initial states, data), so the forecasts are
 * those from zero states plus a combination of the responses to unit
 * initial states; their normal equations are accumulated in one pass of
 * all the runs side by side and solved by Cholesky. Allocates nothing. */
static void solve_states(const fit_ctx *c, run_state *st)
{
    int ns = c->cls.season == SOUK_FORECAST_SEASON_ADD ? c->m - 1 : 0;
    int p = 1 + (c->cls.trend != SOUK_FORECAST_TREND_NONE) + ns;
    run_state r[SOUK_FORECAST__DIM_MAX + 1];
    double ata[SOUK_FORECAST__DIM_MAX][SOUK_FORECAST__DIM_MAX] = {{0}}, atb[SOUK_FORECAST__DIM_MAX] = {0};
    double g[SOUK_FORECAST__DIM_MAX];
    for (int k = 0; k <= p; k++) {
        r[k] = *st;
        r[k].l = r[k].b = 0;
        memset(r[k].s, 0, sizeof r[k].s);
        if (k == 1)
            r[k].l = 1;
        else if (k == 2 && c->cls.trend != SOUK_FORECAST_TREND_NONE)
            r[k].b = 1;
        else if (k >= 2) {
            int j = k - 2 - (c->cls.trend != SOUK_FORECAST_TREND_NONE);
            r[k].s[j] = 1;
            r[k].s[c->m - 1] = -1;
        }
    }
    bool ok = true;
    for (size_t t = 0; t < c->n; t++) {
        double a = c->y[t] - step(&r[0], t, c->y[t], &ok);
        for (int k = 0; k < p; k++)
            g[k] = step(&r[k + 1], t, 0, &ok);
        for (int i = 0; i < p; i++) {
            atb[i] += g[i] * a;
            for (int j = 0; j <= i; j++)
                ata[i][j] += g[i] * g[j];
        }
    }
    /* Cholesky of ata (+ a ridge of 1e-10 of its largest diagonal, for a singular case) */
    double dmax = 0;
    for (int i = 0; i < p; i++)
        dmax = fmax(dmax, ata[i][i]);
    double ridge = 1e-10 * dmax + 1e-300, x[SOUK_FORECAST__DIM_MAX];
    for (int i = 0; i < p; i++) {
        ata[i][i] += ridge;
        for (int j = 0; j <= i; j++) {
            double sum = ata[i][j];
            for (int k = 0; k < j; k++)
                sum -= ata[i][k] * ata[j][k];
            ata[i][j] = i == j ? sqrt(fmax(sum, ridge)) : sum / ata[j][j];
        }
    }
    for (int i = 0; i < p; i++) {
        double sum = atb[i];
        for (int k = 0; k < i; k++)
            sum -= ata[i][k] * x[k];
        x[i] = sum / ata[i][i];
    }
    for (int i = p - 1; i >= 0; i--) {
        double sum = x[i];
        for (int k = i + 1; k < p; k++)
            sum -= ata[k][i] * x[k];
        x[i] = sum / ata[i][i];
    }
    int i = 0;
    st->l = x[i++];
    st->b = c->cls.trend != SOUK_FORECAST_TREND_NONE ? x[i++] : 0;
    memset(st->s, 0, sizeof st->s);
    if (ns) {
        double sum = 0;
        for (int j = 0; j < ns; j++) {
            st->s[j] = x[i++];
            sum += st->s[j];
        }
        st->s[c->m - 1] = -sum;
    }
}

static int nparams(souk_forecast_ets_class cls, int m)
{
    int k = 2; /* alpha, level */
    if (cls.trend != SOUK_FORECAST_TREND_NONE)
        k += 2;
    if (cls.trend == SOUK_FORECAST_TREND_DAMPED)
        k += 1;
    if (cls.season != SOUK_FORECAST_SEASON_NONE)
        k += 1 + (m - 1);
    return k;
}

static double likelihood(const fit_ctx *c, run_state *st);

/* -2 log likelihood up to a constant in n over smoothing parameters and initial states */
static double objective(const double *x, void *ctx)
{
    const fit_ctx *c = ctx;
    run_state st;
    decode(c, x, &st);
    return likelihood(c, &st);
}

/* the same over the smoothing parameters, the initial states by least squares */
static double objective_conc(const double *x, void *ctx)
{
    const fit_ctx *c = ctx;
    run_state st;
    decode_smoothing(c, x, &st);
    solve_states(c, &st);
    return likelihood(c, &st);
}

/* -2 log likelihood up to a constant in n: n log SSE (+ 2 sum log yhat for multiplicative errors) */
static double likelihood(const fit_ctx *c, run_state *st)
{
    pass p = run(st, c->y, c->n);
    if (!p.ok)
        return INFINITY;
    if (c->cls.error == SOUK_FORECAST_ERR_MUL)
        return (double)c->n * log(fmax(p.sse_rel, 1e-20 * (double)c->n)) + 2 * p.sumlog;
    return (double)c->n * log(fmax(p.sse_abs, c->floor_abs));
}

/* heuristic initial states (a classical decomposition of the first cycles) */
static void initial_states(fit_ctx *c)
{
    const double *y = c->y;
    size_t n = c->n;
    int m = c->m;
    double mean = 0, dev = 0;
    for (size_t t = 0; t < n; t++)
        mean += y[t];
    mean /= (double)n;
    for (size_t t = 0; t < n; t++)
        dev += fabs(y[t] - mean);
    dev /= (double)n;
    c->scale = dev > 0 ? dev : fmax(fabs(mean), 1) * 0.01;
    double ref = fmax(fabs(mean), dev);
    c->floor_abs = (double)n * (1e-9 * ref) * (1e-9 * ref) + 1e-300;
    if (c->cls.season != SOUK_FORECAST_SEASON_NONE) {
        size_t k = n / (size_t)m > 3 ? 3 : n / (size_t)m;
        double cm[3] = {0, 0, 0};
        for (size_t i = 0; i < k; i++) {
            for (int j = 0; j < m; j++)
                cm[i] += y[i * (size_t)m + (size_t)j];
            cm[i] /= m;
        }
        bool mul = c->cls.season == SOUK_FORECAST_SEASON_MUL;
        double sum = 0;
        for (int j = 0; j < m; j++) {
            double s = 0;
            for (size_t i = 0; i < k; i++)
                s += mul ? y[i * (size_t)m + (size_t)j] / cm[i] : y[i * (size_t)m + (size_t)j] - cm[i];
            c->s0[j] = s / (double)k;
            sum += c->s0[j];
        }
        for (int j = 0; j < m; j++)
            c->s0[j] = mul ? c->s0[j] * m / sum : c->s0[j] - sum / m;
        c->b0 = k >= 2 ? (cm[k - 1] - cm[0]) / ((double)(k - 1) * m) : 0;
        c->l0 = cm[0] - c->b0 * (m + 1) / 2.0;
    } else {
        /* least squares line through the first (up to) ten points */
        size_t k = n < 10 ? n : 10;
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (size_t t = 0; t < k; t++) {
            sx += (double)t;
            sy += y[t];
            sxx += (double)t * (double)t;
            sxy += (double)t * y[t];
        }
        double den = (double)k * sxx - sx * sx;
        double slope = den > 0 ? ((double)k * sxy - sx * sy) / den : 0;
        double icept = (sy - slope * sx) / (double)k;
        if (c->cls.trend == SOUK_FORECAST_TREND_NONE) {
            c->l0 = sy / (double)k;
            c->b0 = 0;
        } else {
            c->b0 = slope;
            c->l0 = icept - slope;
        }
    }
    if (c->cls.trend == SOUK_FORECAST_TREND_NONE)
        c->b0 = 0;
}

static bool all_positive(const double *y, size_t n)
{
    for (size_t t = 0; t < n; t++)
        if (!(y[t] > 0))
            return false;
    return true;
}

/* the search's start for the smoothing parameters (alpha 0.3, beta 0.1 alpha, gamma 0.05 (1 - alpha),
 * phi 0.95) and its first steps; returns how many */
static int start_smoothing(souk_forecast_ets_class cls, double *x, double *stepv)
{
    int d = 0;
    x[d] = logit((0.3 - ALPHA_LO) / (ALPHA_HI - ALPHA_LO));
    stepv[d++] = 1.5;
    if (cls.trend != SOUK_FORECAST_TREND_NONE) {
        x[d] = logit(0.1);
        stepv[d++] = 1.5;
    }
    if (cls.season != SOUK_FORECAST_SEASON_NONE) {
        x[d] = logit(0.05);
        stepv[d++] = 1.5;
    }
    if (cls.trend == SOUK_FORECAST_TREND_DAMPED) {
        x[d] = logit((0.95 - PHI_LO) / (PHI_HI - PHI_LO));
        stepv[d++] = 1.0;
    }
    return d;
}

/* Nelder-Mead from X, restarted from its own result with halved steps
 * while that still helps (at most 3 restarts); returns the best value */
static double search(souk_forecast__objective f, fit_ctx *c, double *x, double *stepv, int d, int *evals)
{
    int spent;
    double best = souk_forecast__nelder_mead(f, c, x, stepv, d, 1e-10, 300 * d, &spent);
    *evals += spent;
    for (int r = 0; r < 3; r++) {
        for (int i = 0; i < d; i++)
            stepv[i] *= 0.5;
        double again = souk_forecast__nelder_mead(f, c, x, stepv, d, 1e-10, 200 * d, &spent);
        *evals += spent;
        bool better = again < best - 1e-7 * fmax(1, fabs(best));
        best = fmin(best, again);
        if (!better)
            break;
    }
    return best;
}

int souk_forecast_ets_fit(const double *y, size_t n, int m, souk_forecast_ets_class cls, souk_forecast_ets *out)
{
    if (!y || !out || n > SOUK_FORECAST_N_MAX || cls.error > SOUK_FORECAST_ERR_MUL ||
        cls.trend > SOUK_FORECAST_TREND_DAMPED || cls.season > SOUK_FORECAST_SEASON_MUL)
        return SOUK_FORECAST_E_INVAL;
    for (size_t t = 0; t < n; t++)
        if (!isfinite(y[t]) || fabs(y[t]) > SOUK_FORECAST_VALUE_MAX)
            return SOUK_FORECAST_E_INVAL;
    if (cls.season == SOUK_FORECAST_SEASON_NONE)
        m = 1;
    else if (m < 2 || m > SOUK_FORECAST_ETS_M_MAX)
        return SOUK_FORECAST_E_INVAL;
    int k = nparams(cls, m) + 1; /* + sigma */
    if (n < (size_t)k + 3 || (m > 1 && n < 2 * (size_t)m))
        return SOUK_FORECAST_E_SHORT;
    if ((cls.error == SOUK_FORECAST_ERR_MUL || cls.season == SOUK_FORECAST_SEASON_MUL) && !all_positive(y, n))
        return SOUK_FORECAST_E_NOFIT;

    fit_ctx c = {.y = y, .n = n, .cls = cls, .m = m};
    initial_states(&c);
    double x[SOUK_FORECAST__DIM_MAX] = {0}, stepv[SOUK_FORECAST__DIM_MAX];
    int ds = start_smoothing(cls, x, stepv), evals = 0;
    int d = nparams(cls, m);
    double best;
    if (cls.season != SOUK_FORECAST_SEASON_MUL) {
        /* the smoothing parameters by Nelder-Mead, the initial states by least squares at each step */
        best = search(objective_conc, &c, x, stepv, ds, &evals);
        run_state st;
        decode_smoothing(&c, x, &st);
        solve_states(&c, &st);
        c.l0 = st.l;
        c.b0 = st.b;
        memcpy(c.s0, st.s, sizeof c.s0);
    } else {
        /* start from the additive-season analogue's fit, its seasonal states made factors */
        fit_ctx ca = c;
        ca.cls.error = SOUK_FORECAST_ERR_ADD;
        ca.cls.season = SOUK_FORECAST_SEASON_ADD;
        best = search(objective_conc, &ca, x, stepv, ds, &evals);
        run_state st;
        decode_smoothing(&ca, x, &st);
        solve_states(&ca, &st);
        double lv = st.l > 0 ? st.l : c.l0, sum = 0;
        double s0[SOUK_FORECAST_ETS_M_MAX];
        for (int j = 0; j < m; j++) {
            s0[j] = fmax((lv + st.s[j]) / lv, 0.05);
            sum += s0[j];
        }
        if (st.l > 0 && isfinite(sum)) {
            for (int j = 0; j < m; j++)
                c.s0[j] = s0[j] * m / sum;
            c.l0 = st.l;
            c.b0 = st.b;
        }
    }
    /* then all parameters together (the likelihood of multiplicative components is not least squares) */
    if (cls.error == SOUK_FORECAST_ERR_MUL || cls.season == SOUK_FORECAST_SEASON_MUL) {
        for (int i = 0; i < ds; i++)
            stepv[i] = 0.5;
        for (int i = ds; i < d; i++) {
            x[i] = 0;
            stepv[i] = cls.season == SOUK_FORECAST_SEASON_MUL && i >= ds + 1 + (cls.trend != SOUK_FORECAST_TREND_NONE)
                           ? 0.02
                           : 0.05;
        }
        int spent = 0;
        best = search(objective, &c, x, stepv, d, &spent);
        evals += spent;
    }
    if (!isfinite(best))
        return SOUK_FORECAST_E_NOFIT;

    run_state st;
    decode(&c, x, &st);
    if (cls.season == SOUK_FORECAST_SEASON_NONE)
        memset(st.s, 0, sizeof st.s);
    memset(out, 0, sizeof *out);
    out->cls = cls;
    out->m = m;
    out->alpha = st.alpha;
    out->beta = st.beta;
    out->gamma = st.gamma;
    out->phi = cls.trend == SOUK_FORECAST_TREND_DAMPED ? st.phi : 1;
    out->init_level = st.l;
    out->init_slope = st.b;
    memcpy(out->init_season, st.s, sizeof st.s);
    pass p = run(&st, y, n);
    if (!p.ok)
        return SOUK_FORECAST_E_NOFIT;
    out->level = st.l;
    out->slope = st.b;
    memcpy(out->season, st.s, sizeof st.s);
    out->n = n;
    out->k = k;
    double dn = (double)n;
    double sse = cls.error == SOUK_FORECAST_ERR_MUL ? fmax(p.sse_rel, 1e-20 * dn) : fmax(p.sse_abs, c.floor_abs);
    out->sigma2 = sse / (dn - (k - 1));
    out->mse = p.sse_abs / dn;
    out->loglik = -0.5 * (dn * log(2 * M_PI * sse / dn) + dn) - p.sumlog;
    out->aic = -2 * out->loglik + 2 * k;
    out->aicc = out->aic + 2.0 * k * (k + 1) / (dn - k - 1);
    out->bic = out->aic + k * (log(dn) - 2);
    out->evals = evals;
    return 0;
}

int souk_forecast_ets_select(const double *y, size_t n, int m, souk_forecast_ets *out)
{
    if (!y || !out)
        return SOUK_FORECAST_E_INVAL;
    if (n > SOUK_FORECAST_N_MAX)
        return SOUK_FORECAST_E_INVAL;
    for (size_t t = 0; t < n; t++)
        if (!isfinite(y[t]) || fabs(y[t]) > SOUK_FORECAST_VALUE_MAX)
            return SOUK_FORECAST_E_INVAL;
    size_t start = n > SOUK_FORECAST_ETS_WINDOW ? n - SOUK_FORECAST_ETS_WINDOW : 0;
    y += start;
    n -= start;
    bool seasonal = m > 1 && m <= SOUK_FORECAST_ETS_M_MAX && n >= 2 * (size_t)m;
    int got = 0, last = SOUK_FORECAST_E_SHORT;
    souk_forecast_ets cand;
    for (int e = 0; e <= SOUK_FORECAST_ERR_MUL; e++)
        for (int t = 0; t <= SOUK_FORECAST_TREND_DAMPED; t++)
            for (int s = 0; s <= SOUK_FORECAST_SEASON_MUL; s++) {
                if (s != SOUK_FORECAST_SEASON_NONE && !seasonal)
                    continue;
                if (e == SOUK_FORECAST_ERR_ADD && s == SOUK_FORECAST_SEASON_MUL)
                    continue; /* unstable (Hyndman et al. 2008, section 7.2) */
                souk_forecast_ets_class cls = {(souk_forecast_err)e, (souk_forecast_trend)t, (souk_forecast_season)s};
                int rc = souk_forecast_ets_fit(y, n, m, cls, &cand);
                if (rc == SOUK_FORECAST_E_INVAL)
                    return rc;
                if (rc < 0) {
                    last = rc;
                    continue;
                }
                if (!isfinite(cand.aicc))
                    continue;
                cand.start = start;
                if (!got || cand.aicc < out->aicc - 1e-9)
                    *out = cand;
                got++;
            }
    return got ? 0 : last;
}

long souk_forecast_ets_anomalies(const souk_forecast_ets *m, const double *y, size_t n, uint8_t *flags)
{
    if (!m || !y || n == 0 || n > SOUK_FORECAST_N_MAX || !(m->sigma2 >= 0) || m->start >= n)
        return SOUK_FORECAST_E_INVAL;
    if (flags)
        memset(flags, 0, m->start);
    run_state st = {.cls = m->cls,
                    .m = m->m,
                    .alpha = m->alpha,
                    .beta = m->beta,
                    .gamma = m->gamma,
                    .phi = m->cls.trend == SOUK_FORECAST_TREND_NONE ? 0 : m->phi,
                    .l = m->init_level,
                    .b = m->init_slope};
    memcpy(st.s, m->init_season, sizeof st.s);
    double bound = 1.959963984540054 * sqrt(m->sigma2);
    size_t settle = m->start + (m->m > 1 ? (size_t)m->m : 1);
    long count = 0;
    bool ok = true;
    for (size_t t = m->start; t < n; t++) {
        if (!isfinite(y[t]))
            return SOUK_FORECAST_E_INVAL;
        double mu = step(&st, t - m->start, y[t], &ok);
        double r = y[t] - mu;
        double e = m->cls.error == SOUK_FORECAST_ERR_MUL ? (mu > 0 ? r / mu : INFINITY) : r;
        bool out = ok && t >= settle && fabs(e) > bound;
        if (!ok) /* a multiplicative state went non-positive: nothing more can be judged */
            out = false;
        if (flags)
            flags[t] = out;
        count += out;
    }
    return count;
}

long souk_forecast_ets_onestep(const souk_forecast_ets *m, const double *y, size_t n, double *yhat, double *lo95,
                               double *hi95)
{
    if (!m || !y || !yhat || n == 0 || n > SOUK_FORECAST_N_MAX || !(m->sigma2 >= 0) || m->start >= n)
        return SOUK_FORECAST_E_INVAL;
    run_state st = {.cls = m->cls,
                    .m = m->m,
                    .alpha = m->alpha,
                    .beta = m->beta,
                    .gamma = m->gamma,
                    .phi = m->cls.trend == SOUK_FORECAST_TREND_NONE ? 0 : m->phi,
                    .l = m->init_level,
                    .b = m->init_slope};
    memcpy(st.s, m->init_season, sizeof st.s);
    double z = 1.959963984540054 * sqrt(m->sigma2);
    bool mul = m->cls.error == SOUK_FORECAST_ERR_MUL, ok = true;
    size_t settle = m->start + (m->m > 1 ? (size_t)m->m : 1);
    long judged = 0;
    for (size_t t = 0; t < n; t++) {
        yhat[t] = NAN;
        if (lo95)
            lo95[t] = NAN;
        if (hi95)
            hi95[t] = NAN;
        if (t < m->start)
            continue;
        if (!isfinite(y[t]))
            return SOUK_FORECAST_E_INVAL;
        double mu = step(&st, t - m->start, y[t], &ok);
        if (!ok || t < settle)
            continue;
        yhat[t] = mu;
        double half = mul ? z * fabs(mu) : z;
        if (lo95)
            lo95[t] = mu - half;
        if (hi95)
            hi95[t] = mu + half;
        judged++;
    }
    return judged;
}
