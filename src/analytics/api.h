/* api.h — the HTTP handlers of the analytics reports (docs/analytics.md).
 *
 * GET /api/v1/admin/analytics/{kpis,timeseries,funnel,cohorts,rfm,segments,churn}, each
 * with permission analytics:read:own (implied by analytics:read): an admin
 * or a key with analytics:read reads the whole store or any slice; a
 * vendor (or their key) only their own vendor's slice (vendor= is theirs
 * whatever it says, another vendor's id answers 403) and no funnel (its
 * events are the whole store's). Query: from, to (YYYY-MM-DD, local days of
 * the store's time zone, inclusive; default the 30 days to today; at most
 * SOUK_ANALYTICS_RANGE_DAYS_MAX), granularity (day|week|month), currency (ISO
 * code; default the one with the most revenue), category (cat_…), vendor
 * (vend_…), channel (api|import|storefront), steps (funnel: comma-separated event
 * types, 2..8), per (visitor|session), limit (rfm, segments: 1..10000,
 * 100), offset, k (segments: 2..10; default chosen by silhouette), horizon
 * (churn: 7..365 days, 90),
 * format (json|csv; or Accept: text/csv). Bad parameters answer 400
 * BAD_REQUEST with details per parameter; 503 with Retry-After while the
 * first build runs. They run on the CPU pool (route flag .blocking). */
#ifndef SOUK_ANALYTICS_API_H
#define SOUK_ANALYTICS_API_H

#include "http/http.h"

int souk_analytics_api_kpis(souk_req *req, souk_res *res);
int souk_analytics_api_timeseries(souk_req *req, souk_res *res);
int souk_analytics_api_funnel(souk_req *req, souk_res *res);
int souk_analytics_api_cohorts(souk_req *req, souk_res *res);
int souk_analytics_api_rfm(souk_req *req, souk_res *res);
int souk_analytics_api_segments(souk_req *req, souk_res *res);
int souk_analytics_api_churn(souk_req *req, souk_res *res);
/* clv: to, horizon (7..365 days, default 365), the slice filters, limit, offset, format. */
int souk_analytics_api_clv(souk_req *req, souk_res *res);

/* The stored predictions (predict_api.c; docs/analytics.md), same
 * permission and CSV rules. Served from what the analytics.predict job
 * stored: 503 with Retry-After while nothing is stored (the job is queued),
 * "stale": true (and the job queued) once a day has closed since.
 * forecasts: scope (store|vendor|category|product), id, granularity
 * (day|week), horizon (1..90 days, 1..26 weeks); a vendor reads their own
 * vendor series and products only. reorder: lead_time (1..90), service_level
 * (0.5..0.999), review (0..30) override the settings; warehouse, limit,
 * offset; a vendor reads their own variants. anomalies: from, to, metric
 * (revenue|orders|visitors); admins only. */
int souk_analytics_api_forecasts(souk_req *req, souk_res *res);
int souk_analytics_api_reorder(souk_req *req, souk_res *res);
int souk_analytics_api_anomalies(souk_req *req, souk_res *res);

/* The orders checkout scored for fraud risk (fraud_api.c; docs/fraud.md),
 * newest first: status (all | held | released | cancelled | unheld; held =
 * paid and waiting for a decision), min_score (0..100), limit (1..1000,
 * 100), offset, format. Rows: order_id, placed_at, customer_id ("" for a
 * guest), email, state, hold, score, total, currency, reasons
 * ("declines:35 country_mismatch:20"). Permission analytics:read (admins:
 * the list spans every vendor's customers; vendors are refused). */
int souk_analytics_api_fraud(souk_req *req, souk_res *res);

/* ---- shared by the handlers of api.c and predict_api.c ---- */

typedef struct souk_query_spec souk_query_spec;

/* Decodes REQ's query by SPEC into OUT (SPEC's struct, its present mask
 * included) and refuses a parameter that is present but not
 * PERMITTED (bit i for SPEC's field i), so that a typo is not silently ignored.
 * Returns 0, or the 400 BAD_REQUEST answered with a detail per bad
 * parameter. */
int souk__analytics_api_decode(souk_req *req, souk_res *res, const souk_query_spec *spec, void *out,
                               uint64_t permitted);

/* The query decoder of a day: exactly YYYY-MM-DD between 1970 and 2200,
 * copied into the arena as the field's const char *. */
const char *souk__analytics_api_parse_day(const char *v, size_t len, void *dst, souk_arena *a);

/* Writes J (released) into RES's body as CSV (souk_analytics_csv) when CSV,
 * else as JSON dumped with JSON_FLAGS. 0, or the 500 answered. */
int souk__analytics_api_body(souk_res *res, json_t *j, bool csv, size_t json_flags);

/* Whether to answer CSV: format=csv when a format was given
 * (FORMAT_GIVEN, FORMAT_CSV), else an Accept header of text/csv. */
bool souk__analytics_api_wants_csv(souk_req *req, bool format_given, bool format_csv);

#endif
