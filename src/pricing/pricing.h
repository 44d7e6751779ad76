/*
 * pricing.h — dynamic pricing: a suggested price per variant and currency
 * from the shop's own demand (the analytics forecasts and days of cover,
 * analytics.h), a price-elasticity estimate from its sales history, and the
 * admins' bounds per product; applied only when an admin approves, at once
 * or at a scheduled time (the pricing.apply job), and rolled back on demand.
 * Method and flow: docs/pricing.md; design: docs/internals/pricing.md.
 *
 * Files: elasticity.c (the estimate, pure), rule.c (the suggestion rule,
 * pure), compute.c (a recompute from the database), decide.c (approve,
 * reject, apply, roll back; the jobs), api.c (the admin HTTP handlers).
 *
 * Storage: pricing_bounds, pricing_suggestions, pricing_runs (migration
 * 0130); reads the views pricing_sales (orders) and pricing_catalog_prices
 * (catalog); prices change only through souk_catalog_price_set.
 */
#ifndef SOUK_PRICING_H
#define SOUK_PRICING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

#define SOUK_PREFIX_PRICE_SUGGESTION "psug"
#define SOUK_PRICING_RECOMPUTE_JOB "pricing.recompute"
#define SOUK_PRICING_APPLY_JOB "pricing.apply"
#define SOUK_PRICING_SUPERSEDED_KEEP_US (INT64_C(7) * 86400 * 1000000) /* superseded suggestions kept a week */

/* The prior of the elasticity and the rule's defaults (docs/pricing.md). */
#define SOUK_PRICING_PRIOR_ELASTICITY (-1.5) /* a typical retail own-price elasticity */
#define SOUK_PRICING_PRIOR_SD 0.75           /* how far from it a product plausibly lies */
#define SOUK_PRICING_MIN_OBS 5               /* days with sales needed to estimate at all */
#define SOUK_PRICING_MIN_LEVELS 2            /* distinct price levels needed */
#define SOUK_PRICING_MIN_LOG_SD 0.01         /* spread of ln(price) needed (about 1 %) */
#define SOUK_PRICING_ELASTICITY_LO (-6.0)    /* the estimate used is clamped to [LO, HI] */
#define SOUK_PRICING_ELASTICITY_HI (-0.2)
#define SOUK_PRICING_HISTORY_DAYS 365           /* days of sales read */
#define SOUK_PRICING_RECENT_DAYS 28             /* the recent demand the forecast is compared with */
#define SOUK_PRICING_COVER_LOW 14.0             /* days of cover below which stock runs short */
#define SOUK_PRICING_COVER_HIGH 90.0            /* days of cover above which stock is overstock */
#define SOUK_PRICING_TREND_UP 1.25              /* forecast / recent demand above which demand rises */
#define SOUK_PRICING_TREND_DOWN 0.8             /* … below which it falls */
#define SOUK_PRICING_DEFAULT_MAX_CHANGE_BP 1000 /* 10 % per suggestion unless the bounds say otherwise */

/* ---- the elasticity estimate (elasticity.c) ---- */

/* One observation: a day's units of a variant in a currency and the price
 * they were sold at (the day's amount / units, minor units). */
typedef struct souk_pricing_obs {
    double price, units;
} souk_pricing_obs;

typedef struct souk_pricing_elasticity {
    double value;     /* the estimate used: clamped to [ELASTICITY_LO, ELASTICITY_HI] */
    double ols;       /* the log-log least-squares slope; NAN when not estimated */
    double se;        /* its standard error; NAN when not estimated */
    double weight;    /* the data's share of VALUE (0: the prior alone) */
    int observations; /* observations with units > 0 and price > 0 used */
    int price_points; /* distinct price levels among them (1 % apart) */
    bool prior_only;  /* too little data or price variation: VALUE is the prior */
    const char *why;  /* with PRIOR_ONLY: "no_sales", "too_few_observations", "no_price_variation" */
} souk_pricing_elasticity;

/* Estimates the own-price elasticity from OBS[0..N): the slope of
 * ln(units) on ln(price) by least squares, shrunk toward the prior
 * (SOUK_PRICING_PRIOR_ELASTICITY, sd SOUK_PRICING_PRIOR_SD) by precision
 * weighting — the normal posterior mean with the slope's standard error as
 * its likelihood sd. Fewer than SOUK_PRICING_MIN_OBS usable observations,
 * fewer than SOUK_PRICING_MIN_LEVELS price levels or a spread of ln(price)
 * under SOUK_PRICING_MIN_LOG_SD give the prior alone. Pure; never fails. */
void souk_pricing_elasticity_estimate(const souk_pricing_obs *obs, size_t n, souk_pricing_elasticity *out);

/* ---- the suggestion rule (rule.c) ---- */

typedef struct souk_pricing_rule_in {
    int64_t current;      /* the price now, minor units (> 0) */
    double elasticity;    /* < 0 */
    int64_t available;    /* sellable units, every warehouse */
    bool forecast;        /* a stored demand forecast exists */
    double daily_demand;  /* its mean units a day */
    double days_of_cover; /* INFINITY with no forecast demand */
    double recent_daily;  /* units a day sold over the last SOUK_PRICING_RECENT_DAYS */
    int64_t min_amount;   /* bounds; < 0 = none */
    int64_t max_amount;
    int max_change_bp; /* ≤ 0 = SOUK_PRICING_DEFAULT_MAX_CHANGE_BP */
} souk_pricing_rule_in;

typedef struct souk_pricing_rule_out {
    int64_t suggested; /* minor units; == current: no change suggested */
    double factor;     /* suggested / current before rounding (after the bounds) */
    json_t *reasons;   /* a new JSON array of {"code", "message", numbers…}; the caller decrefs */
} souk_pricing_rule_out;

/* The suggested price for IN: the demand change wanted (overstock: stock to
 * last SOUK_PRICING_COVER_HIGH days; low stock: SOUK_PRICING_COVER_LOW;
 * rising or falling demand: half the change in the forecast; no demand at
 * all: the largest allowed cut) turned into a price factor through the
 * elasticity (units ∝ price^e, so factor = m^(1/e)), capped by the largest
 * change, kept within the min/max price and rounded to the minor unit. Every
 * step that shaped the answer is one reason; ELASTICITY (may be NULL) adds
 * its own. -1 when memory runs out (OUT->reasons NULL), else 0. */
int souk_pricing_rule(const souk_pricing_rule_in *in, const souk_pricing_elasticity *elasticity,
                      souk_pricing_rule_out *out);

/* ---- recompute (compute.c) ---- */

typedef struct souk_pricing_run_stats {
    int64_t variants;    /* variant × currency prices looked at */
    int64_t suggestions; /* pending suggestions written */
    int64_t kept;        /* left alone: an approved (scheduled) suggestion is open */
} souk_pricing_run_stats;

/* Computes a suggestion for every explicit price of an active variant of an
 * active product that is not frozen by its bounds, and replaces the pending
 * suggestions (superseded) by the new ones in one transaction; variants with
 * an approved, scheduled suggestion, and those approved or repriced while it
 * computed, are left alone; superseded suggestions older than
 * SOUK_PRICING_SUPERSEDED_KEEP_US are deleted. 0 or a negative
 * souk_db_status (out of memory is SOUK_DB_HARD). Not inside a transaction. */
int souk_pricing_recompute(souk_store *db, souk_pricing_run_stats *out);

/* ---- decisions (decide.c) ---- */

/* Who decides: the audit actor of an entry (audit.h) — "user", "api_key"
 * or "system" — and its id. */
typedef struct souk_pricing_actor {
    const char *type;
    int64_t id;
    int64_t user_id; /* the user recorded as the decider (0 = none) */
    const char *request_id;
} souk_pricing_actor;

/* Approves pending suggestion ID: applied now when APPLY_AT ≤ now (0 = now),
 * else scheduled (the pricing.apply job, run at APPLY_AT). Inside the
 * caller's write transaction or its own. SOUK_OK; NOT_FOUND; CONFLICT when it
 * is not pending, or (applying now) the price changed since it was computed. */
souk_err souk_pricing_approve(souk_store *db, int64_t id, int64_t apply_at, const char *note,
                              const souk_pricing_actor *who);

/* Rejects a pending or approved (not yet applied) suggestion. SOUK_OK,
 * NOT_FOUND, CONFLICT (already applied, rejected …). */
souk_err souk_pricing_reject(souk_store *db, int64_t id, const char *note, const souk_pricing_actor *who);

/* Restores the price an applied suggestion replaced. SOUK_OK, NOT_FOUND,
 * CONFLICT (not applied, or the price changed since it was applied). */
souk_err souk_pricing_rollback(souk_store *db, int64_t id, const souk_pricing_actor *who);

/* Registers pricing.recompute (hourly at :50; it recomputes when the stored
 * predictions are newer than the last recompute or a day has passed) and
 * pricing.apply (one per scheduled approval). With the other job kinds. */
void souk_pricing_register_jobs(void);

#endif
