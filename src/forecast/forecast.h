/*
 * forecast.h — souk's forecasting engine: a pure library over arrays of
 * doubles (one value per period, oldest first). Nothing here touches the
 * database, HTTP or the clock; the analytics layer feeds it series and
 * stores what it returns. Design: docs/internals/forecast.md.
 *
 *   y[0..n)  ── souk_forecast_ets_fit      ETS (error, trend, season) by maximum likelihood
 *            │    souk_forecast_ets_select  every admissible class, the lowest AICc
 *            ├─ souk_forecast_fit           one method (ETS, seasonal naive, Croston, SBA)
 *            ├─ souk_forecast_auto          candidates on the training part, chosen by holdout error,
 *            │                               refitted on all of y
 *            └─ souk_forecast_predict       h point forecasts with 80% and 95% intervals
 *   forecast ── souk_forecast_days_of_cover, souk_forecast_reorder (safety stock from forecast error)
 *   ETS fit  ── souk_forecast_ets_anomalies (one-step residuals outside the 95% interval)
 *   CSV      ── souk_forecast_csv_read      series_id,date,value for `souk eval forecast`
 *
 * Conventions: functions return 0 or a negative SOUK_FORECAST_E_* code;
 * results go into caller-owned structs (no allocation needed to keep them).
 * Fitting allocates nothing; interval simulation allocates one block per
 * call. Every function is reentrant; fitted structs are read-only after
 * fitting and may be shared between threads.
 */
#ifndef SOUK_FORECAST_H
#define SOUK_FORECAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    SOUK_FORECAST_E_NOMEM = -1, /* out of memory */
    SOUK_FORECAST_E_INVAL = -2, /* an argument out of its documented range (non-finite value, h = 0, ...) */
    SOUK_FORECAST_E_SHORT = -3, /* too few points for the method asked */
    SOUK_FORECAST_E_NOFIT = -4, /* no admissible model (e.g. multiplicative on non-positive data) */
};

#define SOUK_FORECAST_N_MAX 20000     /* points per series */
#define SOUK_FORECAST_H_MAX 366       /* forecast horizon */
#define SOUK_FORECAST_M_MAX 52        /* seasonal period (seasonal naive); 1 = none */
#define SOUK_FORECAST_ETS_M_MAX 24    /* seasonal period ETS models a season for (larger: no seasonal ETS) */
#define SOUK_FORECAST_VALUE_MAX 1e12  /* |y| bound */
#define SOUK_FORECAST_ETS_WINDOW 1000 /* souk_forecast_ets_select fits the most recent this many points */

/* ---- ETS: exponential smoothing in state-space form (Hyndman et al. 2008) ---- */

typedef enum { SOUK_FORECAST_ERR_ADD, SOUK_FORECAST_ERR_MUL } souk_forecast_err;
typedef enum { SOUK_FORECAST_TREND_NONE, SOUK_FORECAST_TREND_ADD, SOUK_FORECAST_TREND_DAMPED } souk_forecast_trend;
typedef enum { SOUK_FORECAST_SEASON_NONE, SOUK_FORECAST_SEASON_ADD, SOUK_FORECAST_SEASON_MUL } souk_forecast_season;

typedef struct souk_forecast_ets_class {
    souk_forecast_err error;
    souk_forecast_trend trend;
    souk_forecast_season season;
} souk_forecast_ets_class;

/* A fitted ETS model. The states are those after the last observation
 * (season[j] is the seasonal state of periods t with t mod m == j, t
 * counted from 0 at the first observation). */
typedef struct souk_forecast_ets {
    souk_forecast_ets_class cls;
    int m;                                  /* seasonal period; 1 when cls.season is NONE */
    double alpha, beta, gamma, phi;         /* beta 0 without trend, gamma 0 without season, phi 1 unless damped */
    double level, slope;                    /* end states */
    double season[SOUK_FORECAST_ETS_M_MAX]; /* end seasonal states */
    double init_level, init_slope;          /* the fitted initial states (before the first observation) */
    double init_season[SOUK_FORECAST_ETS_M_MAX];
    size_t n;      /* observations fitted */
    size_t start;  /* index in the caller's series of the first one fitted */
    int k;         /* parameters counted by the information criteria (incl. sigma) */
    double sigma2; /* innovation variance: SSE/(n - k + 1) of the errors (relative for ERR_MUL) */
    double loglik, aic, aicc, bic;
    double mse; /* mean squared one-step residual y - yhat (absolute, both error types) */
    int evals;  /* likelihood evaluations the optimiser spent */
} souk_forecast_ets;

/* Writes "ETS(A,Ad,M)" style name of CLS into BUF (at least 12 bytes); returns BUF. */
char *souk_forecast_ets_name(souk_forecast_ets_class cls, char *buf);

/* Fits the ETS class CLS with period M (1..SOUK_FORECAST_ETS_M_MAX; ignored
 * without season) to Y[0..N) by maximum likelihood: smoothing parameters
 * and initial states by a bounded Nelder–Mead search, see the design note.
 * Needs N >= 3 + k (k the parameter count) and, with a season, N >= 2M;
 * multiplicative error or season need every y > 0. Returns 0 and fills
 * OUT, or SOUK_FORECAST_E_INVAL / E_SHORT / E_NOFIT. */
int souk_forecast_ets_fit(const double *y, size_t n, int m, souk_forecast_ets_class cls, souk_forecast_ets *out);

/* Fits every admissible ETS class (additive error with any trend and
 * additive or no season; multiplicative error with any trend and season;
 * additive error with multiplicative season is left out, as in Hyndman et
 * al., for its numerical instability) and keeps the lowest AICc in OUT.
 * M <= 1 or M > SOUK_FORECAST_ETS_M_MAX fits non-seasonal classes only.
 * A series longer than SOUK_FORECAST_ETS_WINDOW is fitted on its last
 * SOUK_FORECAST_ETS_WINDOW points (OUT->start says where they begin): the
 * cost grows with the length, and old history says little about the next
 * weeks. Returns 0 or a negative code (E_SHORT when no class could be
 * fitted). */
int souk_forecast_ets_select(const double *y, size_t n, int m, souk_forecast_ets *out);

/* Point forecasts of a fitted model for periods n+1..n+H into MEAN[0..H),
 * and when LO80..HI95 are not NULL their 80% and 95% prediction intervals:
 * analytic for the linear classes (additive error, no multiplicative
 * season), otherwise from 2000 simulated sample paths with a fixed seed
 * (deterministic). H in 1..SOUK_FORECAST_H_MAX. Returns 0, E_INVAL or
 * E_NOMEM (simulation only). */
int souk_forecast_ets_predict(const souk_forecast_ets *m, size_t h, double *mean, double *lo80, double *hi80,
                              double *lo95, double *hi95);

/* Re-runs the fitted model M from its initial states over Y[0..N), the
 * series it was fitted on (from index m->start; N may exceed the fitted
 * length: later points are judged by the same recursion), and sets
 * FLAGS[t] to 1
 * where y[t] lies outside the 95% one-step prediction interval (|error| >
 * 1.96 sigma; the relative error for multiplicative errors), 0 elsewhere.
 * Points before m->start and the first max(m, 1) fitted ones are never
 * flagged (the states are still settling). FLAGS may be NULL. Returns the number of flagged points, or
 * E_INVAL (a non-finite value, N = 0 or > SOUK_FORECAST_N_MAX). */
long souk_forecast_ets_anomalies(const souk_forecast_ets *m, const double *y, size_t n, uint8_t *flags);

/* The one-step forecasts behind souk_forecast_ets_anomalies: re-runs M
 * from its initial states over Y[0..N) (as there) and writes each point's
 * one-step forecast into YHAT[t] and, when not NULL, its 95% interval
 * (yhat ± 1.96 sigma; × |yhat| for multiplicative errors) into LO95/HI95.
 * Points not judged (before m->start, the first max(m, 1) fitted ones,
 * after a multiplicative state went non-positive) get NAN. Returns the
 * number of points judged, or E_INVAL. */
long souk_forecast_ets_onestep(const souk_forecast_ets *m, const double *y, size_t n, double *yhat, double *lo95,
                               double *hi95);

/* ---- every method, and the automatic choice ---- */

typedef enum {
    SOUK_FORECAST_SNAIVE,  /* seasonal naive: the value one period m ago (naive when m = 1 or n < m) */
    SOUK_FORECAST_ETS,     /* the ETS class of lowest AICc */
    SOUK_FORECAST_CROSTON, /* Croston's method, alpha 0.1, for intermittent demand */
    SOUK_FORECAST_SBA,     /* Syntetos–Boylan approximation: Croston times (1 - alpha/2) */
    SOUK_FORECAST_METHODS
} souk_forecast_method;

/* "snaive", "ets", "croston", "sba". */
const char *souk_forecast_method_name(souk_forecast_method method);

/* A fitted method, whatever it is. */
typedef struct souk_forecast_model {
    souk_forecast_method method;
    int m;                            /* period used (1 = none) */
    size_t n;                         /* observations fitted */
    double sigma;                     /* sd of the one-step in-sample forecast error (absolute) */
    souk_forecast_ets ets;            /* ETS only */
    double last[SOUK_FORECAST_M_MAX]; /* seasonal naive: the last m values, oldest first */
    double snaive_sigma;              /* seasonal naive: sd of y_t - y_{t-m} */
    double demand, interval, rate;    /* Croston/SBA: smoothed size, smoothed interval, forecast rate */
    bool nonneg;                      /* every y >= 0: lower interval bounds clipped at 0 */
} souk_forecast_model;

/* Fits METHOD to Y[0..N) with period M (1..SOUK_FORECAST_M_MAX). Seasonal
 * naive needs N >= 1, Croston/SBA N >= 2 with at least one non-zero value
 * and no negative one, ETS as souk_forecast_ets_select. Returns 0 or a
 * negative code. */
int souk_forecast_fit(souk_forecast_method method, const double *y, size_t n, int m, souk_forecast_model *out);

/* H point forecasts of F into MEAN and, when not NULL, 80% / 95% intervals
 * (ETS: as souk_forecast_ets_predict; seasonal naive: normal with variance
 * sigma^2 (1 + floor((h-1)/m)); Croston/SBA: normal with the one-step
 * sigma at every horizon, an approximation). Lower bounds are clipped at
 * 0 when the series had no negative value. Returns 0 or a negative code. */
int souk_forecast_predict(const souk_forecast_model *f, size_t h, double *mean, double *lo80, double *hi80,
                          double *lo95, double *hi95);

/* What souk_forecast_auto measured. */
typedef struct souk_forecast_auto_report {
    size_t holdout;                      /* points held out of Y to choose (0: too short, ETS taken) */
    double mase[SOUK_FORECAST_METHODS];  /* holdout MASE of each candidate (NAN: not fitted) */
    double smape[SOUK_FORECAST_METHODS]; /* holdout sMAPE, percent */
} souk_forecast_auto_report;

/* The automatic choice: holds out the last HOLD = min(H, N/4) points of Y,
 * fits every method on the rest and forecasts them, and, when Y has at
 * least 2 HOLD + (2M + 2, or 8 without season) points, does the same at
 * a second origin HOLD points earlier; picks the lowest mean MASE (ties
 * and undefined MASE: mean sMAPE), then fits the chosen method on all of
 * Y into OUT. Croston and SBA are candidates only when at least a quarter
 * of the values are zero and none is negative. Too short for a holdout:
 * ETS (seasonal naive when ETS cannot fit). REPORT may be NULL. Returns 0
 * or a negative code. */
int souk_forecast_auto(const double *y, size_t n, int m, size_t h, souk_forecast_model *out,
                       souk_forecast_auto_report *report);

/* ---- accuracy ---- */

/* Symmetric MAPE in percent over N pairs: mean of 200 |a - f| / (|a| + |f|),
 * a pair with a = f = 0 counting 0. NAN when N is 0. */
double souk_forecast_smape(const double *actual, const double *fc, size_t n);

/* MASE: mean |a - f| over N pairs divided by the in-sample mean absolute
 * error of the seasonal naive method (lag M, lag 1 when M <= 1 or the
 * training part is shorter than M + 1) on TRAIN[0..NTRAIN). NAN when that
 * scale is 0 or cannot be computed. */
double souk_forecast_mase(const double *actual, const double *fc, size_t n, const double *train, size_t ntrain, int m);

/* ---- stock ---- */

/* How many periods STOCK units last against the demand forecast
 * FC[0..H) (periods, fractional: stock used linearly within a period).
 * Past the horizon the mean of FC is assumed to continue. 0 when STOCK
 * <= 0; INFINITY when the forecast demand is all zero (or negative). */
double souk_forecast_days_of_cover(double stock, const double *fc, size_t h);

typedef struct souk_forecast_reorder_in {
    const double *fc; /* demand forecast per period, FC[0..h) */
    size_t h;         /* must cover lead_time + review periods */
    double sigma;     /* sd of the one-step forecast error (souk_forecast_model.sigma) */
    double on_hand;   /* units in stock */
    double on_order;  /* units ordered and not yet received */
    int lead_time;    /* periods from order to receipt, 1..H */
    int review;       /* periods until the next chance to order (0: continuous review) */
    double service;   /* cycle service level, 0.5 <= service < 1 (e.g. 0.95) */
} souk_forecast_reorder_in;

typedef struct souk_forecast_reorder_out {
    double lead_demand;   /* forecast demand over lead_time + review periods */
    double safety_stock;  /* z(service) * sigma * sqrt(lead_time + review) */
    double reorder_point; /* lead_demand + safety_stock */
    double position;      /* on_hand + on_order */
    double quantity;      /* suggested order: reorder_point - position rounded up to whole units, or 0 */
    bool reorder;         /* position < reorder_point */
} souk_forecast_reorder_out;

/* The reorder suggestion for one variant (an order-up-to policy on the
 * forecast; see docs/forecasting.md). Returns 0 or E_INVAL when an input
 * is out of its range. */
int souk_forecast_reorder(const souk_forecast_reorder_in *in, souk_forecast_reorder_out *out);

/* The standard normal quantile of P (0 < P < 1; Acklam's rational
 * approximation refined by one Newton step, |error| < 1e-12). */
double souk_forecast_norm_quantile(double p);

/* ---- the optimiser, for other maximum-likelihood fits ---- */

/* Minimises F over R^D (1 <= D <= 30) from X (overwritten with the best
 * point found) by Nelder–Mead (reflection 1, expansion 2, contraction and
 * shrink 1/2) with initial steps STEP[0..D); stops when the simplex's
 * values agree within TOL (relative; absolute below 1) or after MAX_EVALS
 * evaluations of F (*EVALS, may be NULL, gets how many). F may return
 * +INFINITY for an inadmissible point. Returns the best value (NAN when D is
 * out of range). Allocates nothing; reentrant. */
double souk_forecast_minimize(double (*f)(const double *x, void *ctx), void *ctx, double *x, const double *step, int d,
                              double tol, int max_evals, int *evals);

/* ---- series from CSV ---- */

#define SOUK_FORECAST_ID_MAX 64         /* bytes of a series id */
#define SOUK_FORECAST_SERIES_MAX 100000 /* series per file */
#define SOUK_FORECAST_ROWS_MAX 5000000  /* rows per file */

typedef struct souk_forecast_series {
    char id[SOUK_FORECAST_ID_MAX + 1];
    size_t n;
    int32_t first_day; /* days since 1970-01-01 of y[0] */
    int32_t *day;      /* day of every point, increasing */
    double *y;
} souk_forecast_series;

typedef struct souk_forecast_series_set {
    souk_forecast_series *series; /* sorted by id */
    size_t nseries;
    size_t nrows;
} souk_forecast_series_set;

/* Reads CSV text DATA[0..LEN) with a header naming the columns series_id,
 * date and value (any order, other columns ignored): date YYYY-MM-DD
 * (a time after it is ignored), value a finite number with |value| <=
 * SOUK_FORECAST_VALUE_MAX, id 1..SOUK_FORECAST_ID_MAX bytes. Rows may come
 * in any order; each series is sorted by date, and one date twice in a
 * series is an error. Points are taken as consecutive periods (a gap in
 * the dates is not filled). On error returns E_INVAL (E_NOMEM) and writes
 * "line N: what" into ERR[0..ERRLEN); on success fills OUT (release with
 * souk_forecast_series_set_release). */
int souk_forecast_csv_read(const void *data, size_t len, souk_forecast_series_set *out, char *err, size_t errlen);

/* The same from a file (plain or gzip). */
int souk_forecast_csv_read_file(const char *path, souk_forecast_series_set *out, char *err, size_t errlen);

/* Frees what SET holds; SET may be zeroed or filled. */
void souk_forecast_series_set_release(souk_forecast_series_set *set);

#endif
