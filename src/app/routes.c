/* routes.c — the route table and the platform handlers (health, metrics,
 * OpenAPI). Keep it in step with src/app/openapi.json: a unit test checks
 * that every route here is documented there and the other way round —
 * except the storefront's pages (.web, the block at the end), which are
 * HTML for browsers, not API operations. */
#include "app/routes.h"
#include "app/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/api.h"
#include "audit/audit.h"
#include "behaviour/api.h"
#include "cart/api.h"
#include "catalog/api.h"
#include "exchange/api.h"
#include "fx/api.h"
#include "i18n/api.h"
#include "identity/api.h"
#include "inventory/api.h"
#include "jobs/jobs.h"
#include "mail/mail.h"
#include "orders/api.h"
#include "pricing/api.h"
#include "recommend/api.h"
#include "loyalty/api.h"
#include "reviews/api.h"
#include "subscriptions/api.h"
#include "wishlist/api.h"
#include "campaigns/api.h"
#include "search/api.h"
#include "web/web.h"
#include "webhooks/api.h"
#include "core/breaker.h"
#include "core/embed.h"
#include "core/metrics.h"
#include "core/banned.h"

#define PUBLIC SOUK_PERM_PUBLIC
#define AUTHENTICATED "authenticated"
#define SESSION "session" /* an access token: the account owner, never an API key */
#define CATALOG_WRITE "catalog:write"
#define CATALOG_WRITE_OWN "catalog:write:own"
#define PRICING "pricing:manage"
#define INVENTORY "inventory:write"
#define JOBS "jobs:manage"
#define ORDERS_MANAGE "orders:manage"
#define ORDERS_FULFIL "orders:fulfil:own"
#define RECS_MANAGE "recommendations:manage"
#define WEBHOOKS "webhooks:manage"
#define REVIEWS_MODERATE "reviews:moderate"
#define LOYALTY "loyalty:manage"
#define CAMPAIGNS "campaigns:manage"
#define SUBSCRIPTIONS "subscriptions:manage"
#define TRANSLATIONS "translations:manage"
#define CURRENCIES "currencies:manage"
#define DYNPRICE_READ "dynamic_pricing:read"
#define DYNPRICE_APPROVE "dynamic_pricing:approve"
#define ANALYTICS_OWN "analytics:read:own" /* analytics:read implies it; a vendor reads their own slice */
#define LIST_CACHE "public, max-age=300"
#define DETAIL_CACHE "public, max-age=900"

static int healthz(souk_req *req, souk_res *res)
{
    (void)req;
    return souk_res_json(res, 200, json_pack("{s:s}", "status", "ok"));
}

static void breaker_json(souk_breaker *b, void *arg)
{
    int64_t opens = 0;
    souk_breaker_state st = souk_breaker_state_of(b, &opens);
    json_object_set_new(arg, b->name,
                        json_pack("{s:s,s:I}", "state", souk_breaker_state_name(st), "opens", (json_int_t)opens));
}

/* Ready while the database answers. Open circuit breakers are listed but do
 * not make the node unready: a shop whose payment gateway or mail relay is
 * down still serves browsing and carts, and taking every node out of the
 * balancer for it would turn one outage into a total one. */
static int readyz(souk_req *req, souk_res *res)
{
    bool db_ok = souk_store_ping(req->store) == 0;
    json_t *breakers = json_object();
    souk_breaker_each(breaker_json, breakers);
    return souk_res_json(res, db_ok ? 200 : 503,
                         json_pack("{s:s,s:{s:s},s:o}", "status", db_ok ? "ready" : "unavailable", "checks", "database",
                                   db_ok ? "ok" : "error", "breakers", breakers));
}

static int metrics(souk_req *req, souk_res *res)
{
    (void)req;
    souk_metrics_render(&res->body);
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
    res->cache_control = "no-store";
    return 0;
}

static int openapi(souk_req *req, souk_res *res)
{
    (void)req;
    const souk_embedded_file *f = souk_embed_find(souk_assets, souk_assets_count, "openapi.json");
    if (!f)
        return souk_res_error(res, SOUK_E_NOT_FOUND, NULL);
    souk_buf_add(&res->body, f->data, f->len);
    res->cache_control = "public, max-age=300";
    return 0;
}

/* One row: method, pattern, permission and handler, then only the options
 * that differ from the defaults, by name (router.h documents each):
 *   .cache_control  Cache-Control of anonymous 200s (default no-store)
 *   .cacheable      200s may be kept in the response cache
 *   .cache_anonymous  ... only those to anonymous callers
 *   .cache_no_cart  ... that send no cart token
 *   .cache_ttl_s    ... for at most this many seconds
 *   .blocking       runs on the CPU pool (password hashing)
 *   .network        runs on the network pool (it calls a payment gateway)
 *   .unaudited      a write that changes no business state: no audit entry
 *   .rate           rate-limit class (default: per user/key, else per address) */
#define ROUTE(m, p, perm, h, ...)                                                                                      \
    {                                                                                                                  \
        .method = (m), .pattern = (p), .permission = (perm), .handler = (h), __VA_ARGS__                               \
    }
/* a storefront page (src/web): public, HTML, not part of the API */
#define WEB(m, p, h, ...) ROUTE(m, p, PUBLIC, h, .web = true, __VA_ARGS__)
#define WEB_CACHE "public, max-age=60"
/* a recommendation list: anonymous answers are kept up to an hour (PRODUCT.md), and go
 * sooner when the recommendation snapshot is republished (SOUK_CACHE_TAG_RECS) */
#define REC_LIST(p, h, no_cart)                                                                                        \
    ROUTE(SOUK_GET, p, PUBLIC, h, .cacheable = true, .cache_anonymous = true, .cache_no_cart = (no_cart),              \
          .cache_ttl_s = 3600)
/* a public, cacheable catalog read */
#define READ(p, h, cc) ROUTE(SOUK_GET, p, PUBLIC, h, .cache_control = (cc), .cacheable = true)
/* ... in the request's locale (?locale=, Accept-Language: docs/languages.md) */
#define READ_L(p, h, cc) ROUTE(SOUK_GET, p, PUBLIC, h, .cache_control = (cc), .cacheable = true, .localized = true)

souk_route souk_routes[] = {
    ROUTE(SOUK_GET, "/healthz", PUBLIC, healthz, .rate = SOUK_RATE_NONE),
    ROUTE(SOUK_GET, "/readyz", PUBLIC, readyz, .rate = SOUK_RATE_NONE),
    ROUTE(SOUK_GET, "/metrics", PUBLIC, metrics, .rate = SOUK_RATE_NONE),
    ROUTE(SOUK_GET, "/api/v1/openapi.json", PUBLIC, openapi, .cache_control = "public, max-age=300",
          .rate = SOUK_RATE_NONE),
    ROUTE(SOUK_GET, "/.well-known/jwks.json", PUBLIC, souk_identity_api_jwks, .rate = SOUK_RATE_NONE),

    /* catalog */
    READ_L("/api/v1/products", souk_catalog_api_list, LIST_CACHE),
    ROUTE(SOUK_POST, "/api/v1/products", CATALOG_WRITE_OWN, souk_catalog_api_create),
    READ_L("/api/v1/products/{id}", souk_catalog_api_get, DETAIL_CACHE),
    ROUTE(SOUK_PATCH, "/api/v1/products/{id}", CATALOG_WRITE_OWN, souk_catalog_api_update),
    ROUTE(SOUK_DELETE, "/api/v1/products/{id}", CATALOG_WRITE_OWN, souk_catalog_api_archive),
    ROUTE(SOUK_POST, "/api/v1/products/{id}/variants", CATALOG_WRITE_OWN, souk_catalog_api_variant_create),
    ROUTE(SOUK_POST, "/api/v1/products/{id}/images", CATALOG_WRITE, souk_catalog_api_image_upload, .blocking = true,
          .max_body = 10u << 20),
    ROUTE(SOUK_DELETE, "/api/v1/products/{id}/images/{image_id}", CATALOG_WRITE, souk_catalog_api_image_delete),
    ROUTE(SOUK_PATCH, "/api/v1/variants/{id}", CATALOG_WRITE_OWN, souk_catalog_api_variant_update),
    ROUTE(SOUK_DELETE, "/api/v1/variants/{id}", CATALOG_WRITE_OWN, souk_catalog_api_variant_archive),
    ROUTE(SOUK_PUT, "/api/v1/variants/{id}/prices/{currency}", CATALOG_WRITE_OWN, souk_catalog_api_price_put),
    ROUTE(SOUK_DELETE, "/api/v1/variants/{id}/prices/{currency}", CATALOG_WRITE_OWN, souk_catalog_api_price_delete),
    READ_L("/api/v1/categories", souk_catalog_api_categories, LIST_CACHE),
    ROUTE(SOUK_POST, "/api/v1/categories", CATALOG_WRITE, souk_catalog_api_category_create),
    ROUTE(SOUK_PATCH, "/api/v1/categories/{id}", CATALOG_WRITE, souk_catalog_api_category_update),
    ROUTE(SOUK_DELETE, "/api/v1/categories/{id}", CATALOG_WRITE, souk_catalog_api_category_delete),
    READ_L("/api/v1/brands", souk_catalog_api_brands, LIST_CACHE),
    ROUTE(SOUK_POST, "/api/v1/brands", CATALOG_WRITE, souk_catalog_api_brand_create),
    ROUTE(SOUK_PATCH, "/api/v1/brands/{id}", CATALOG_WRITE, souk_catalog_api_brand_update),
    READ("/api/v1/vendors", souk_catalog_api_vendors, LIST_CACHE),
    ROUTE(SOUK_POST, "/api/v1/vendors", CATALOG_WRITE, souk_catalog_api_vendor_create),
    ROUTE(SOUK_PATCH, "/api/v1/vendors/{id}", CATALOG_WRITE, souk_catalog_api_vendor_update),
    /* languages (docs/languages.md): the store's locales, translations of catalog objects */
    READ("/api/v1/locales", souk_i18n_api_locales_get, LIST_CACHE),
    ROUTE(SOUK_GET, "/api/v1/admin/locales", TRANSLATIONS, souk_i18n_api_locales_get),
    ROUTE(SOUK_PUT, "/api/v1/admin/locales", TRANSLATIONS, souk_i18n_api_locales_put),
    ROUTE(SOUK_GET, "/api/v1/admin/translations/{kind}/{id}", TRANSLATIONS, souk_i18n_api_get),
    ROUTE(SOUK_PUT, "/api/v1/admin/translations/{kind}/{id}/{locale}", TRANSLATIONS, souk_i18n_api_put),
    ROUTE(SOUK_DELETE, "/api/v1/admin/translations/{kind}/{id}/{locale}", TRANSLATIONS, souk_i18n_api_delete),

    /* search (the served index; never kept in the response cache: Cache-Control no-store) */
    ROUTE(SOUK_GET, "/api/v1/search", PUBLIC, souk_search_api_search),
    ROUTE(SOUK_GET, "/api/v1/search/suggest", PUBLIC, souk_search_api_suggest),
    ROUTE(SOUK_POST, "/api/v1/search/clicks", PUBLIC, souk_search_api_click),
    ROUTE(SOUK_GET, "/api/v1/admin/search/analytics", "analytics:read", souk_search_api_analytics),
    ROUTE(SOUK_GET, "/api/v1/admin/search/synonyms", CATALOG_WRITE, souk_search_api_synonyms_get),
    ROUTE(SOUK_PUT, "/api/v1/admin/search/synonyms", CATALOG_WRITE, souk_search_api_synonyms_put),
    ROUTE(SOUK_GET, "/api/v1/admin/search/settings", CATALOG_WRITE, souk_search_api_settings_get),
    ROUTE(SOUK_PUT, "/api/v1/admin/search/settings", CATALOG_WRITE, souk_search_api_settings_put),

    /* analytics reports (computed from the in-memory facts on the CPU pool; docs/analytics.md) */
    ROUTE(SOUK_GET, "/api/v1/admin/analytics/kpis", ANALYTICS_OWN, souk_analytics_api_kpis, .blocking = true),
    ROUTE(SOUK_GET, "/api/v1/admin/analytics/timeseries", ANALYTICS_OWN, souk_analytics_api_timeseries,
          .blocking = true),
    ROUTE(SOUK_GET, "/api/v1/admin/analytics/funnel", ANALYTICS_OWN, souk_analytics_api_funnel, .blocking = true),
    ROUTE(SOUK_GET, "/api/v1/admin/analytics/cohorts", ANALYTICS_OWN, souk_analytics_api_cohorts, .blocking = true),
    ROUTE(SOUK_GET, "/api/v1/admin/analytics/rfm", ANALYTICS_OWN, souk_analytics_api_rfm, .blocking = true),
    ROUTE(SOUK_GET, "/api/v1/admin/analytics/segments", ANALYTICS_OWN, souk_analytics_api_segments, .blocking = true),
    ROUTE(SOUK_GET, "/api/v1/admin/analytics/churn", ANALYTICS_OWN, souk_analytics_api_churn, .blocking = true),
    ROUTE(SOUK_GET, "/api/v1/admin/analytics/clv", ANALYTICS_OWN, souk_analytics_api_clv, .blocking = true),
    /* stored by the analytics.predict job; served from the database */
    ROUTE(SOUK_GET, "/api/v1/admin/analytics/forecasts", ANALYTICS_OWN, souk_analytics_api_forecasts, .blocking = true),
    ROUTE(SOUK_GET, "/api/v1/admin/analytics/reorder", ANALYTICS_OWN, souk_analytics_api_reorder, .blocking = true),
    ROUTE(SOUK_GET, "/api/v1/admin/analytics/anomalies", ANALYTICS_OWN, souk_analytics_api_anomalies, .blocking = true),
    /* the orders checkout scored for fraud risk (docs/fraud.md): admins only */
    ROUTE(SOUK_GET, "/api/v1/admin/analytics/fraud", "analytics:read", souk_analytics_api_fraud, .blocking = true),

    /* recommendations (answered from memory): anonymous answers (for-you: without a cart) are kept in the
     * response cache, keyed by the whole URL (anonymous_id, limit, category, ...), until the recommendation
     * snapshot they came from is replaced (model, A/B test, stock, catalog, refresh) or an hour has passed;
     * answers to signed-in shoppers and carted for-you answers are computed each time. Browsers and CDNs are told to keep
     * anonymous trending, similar and bought-together answers an hour; for-you answers no-store. */
    REC_LIST("/api/v1/recommendations/for-you", souk_rec_api_for_you, true), /* it leaves the cart out */
    REC_LIST("/api/v1/recommendations/trending", souk_rec_api_trending, false),
    REC_LIST("/api/v1/products/{id}/similar", souk_rec_api_similar, false),
    REC_LIST("/api/v1/products/{id}/bought-together", souk_rec_api_bought_together, false),
    ROUTE(SOUK_GET, "/api/v1/admin/recommendations/models", RECS_MANAGE, souk_rec_api_models),
    ROUTE(SOUK_POST, "/api/v1/admin/recommendations/models", RECS_MANAGE, souk_rec_api_train),
    ROUTE(SOUK_GET, "/api/v1/admin/recommendations/models/{version}", RECS_MANAGE, souk_rec_api_model),
    ROUTE(SOUK_POST, "/api/v1/admin/recommendations/models/{version}/activate", RECS_MANAGE, souk_rec_api_activate),
    ROUTE(SOUK_POST, "/api/v1/admin/recommendations/rollback", RECS_MANAGE, souk_rec_api_rollback),
    ROUTE(SOUK_GET, "/api/v1/admin/recommendations/ab-tests", RECS_MANAGE, souk_rec_api_ab_list),
    ROUTE(SOUK_POST, "/api/v1/admin/recommendations/ab-tests", RECS_MANAGE, souk_rec_api_ab_start),
    ROUTE(SOUK_GET, "/api/v1/admin/recommendations/ab-tests/{id}", RECS_MANAGE, souk_rec_api_ab_get),
    ROUTE(SOUK_POST, "/api/v1/admin/recommendations/ab-tests/{id}/stop", RECS_MANAGE, souk_rec_api_ab_stop),

    /* reviews (docs/reviews.md): public reads of approved reviews; a signed-in verified buyer writes one per
     * product and votes once per review; moderators approve or reject (the product's aggregate follows) */
    ROUTE(SOUK_GET, "/api/v1/products/{id}/reviews", PUBLIC, souk_reviews_api_list),
    ROUTE(SOUK_POST, "/api/v1/products/{id}/reviews", AUTHENTICATED, souk_reviews_api_create),
    ROUTE(SOUK_POST, "/api/v1/reviews/{id}/helpful", AUTHENTICATED, souk_reviews_api_vote),
    /* dynamic pricing: suggestions, bounds, decisions (docs/pricing.md) */
    ROUTE(SOUK_GET, "/api/v1/admin/pricing/suggestions", DYNPRICE_READ, souk_pricing_api_list),
    ROUTE(SOUK_GET, "/api/v1/admin/pricing/suggestions/{id}", DYNPRICE_READ, souk_pricing_api_get),
    ROUTE(SOUK_POST, "/api/v1/admin/pricing/suggestions/{id}/approve", DYNPRICE_APPROVE, souk_pricing_api_approve),
    ROUTE(SOUK_POST, "/api/v1/admin/pricing/suggestions/{id}/reject", DYNPRICE_APPROVE, souk_pricing_api_reject),
    ROUTE(SOUK_POST, "/api/v1/admin/pricing/suggestions/{id}/rollback", DYNPRICE_APPROVE, souk_pricing_api_rollback),
    ROUTE(SOUK_POST, "/api/v1/admin/pricing/recompute", DYNPRICE_APPROVE, souk_pricing_api_recompute, .blocking = true),
    ROUTE(SOUK_GET, "/api/v1/admin/pricing/bounds", DYNPRICE_READ, souk_pricing_api_bounds_list),
    ROUTE(SOUK_PUT, "/api/v1/admin/pricing/bounds/{id}", DYNPRICE_APPROVE, souk_pricing_api_bounds_put),
    ROUTE(SOUK_DELETE, "/api/v1/admin/pricing/bounds/{id}", DYNPRICE_APPROVE, souk_pricing_api_bounds_delete),
    ROUTE(SOUK_GET, "/api/v1/admin/reviews", REVIEWS_MODERATE, souk_reviews_api_admin_list),
    ROUTE(SOUK_POST, "/api/v1/admin/reviews/{id}/moderation", REVIEWS_MODERATE, souk_reviews_api_moderate),
    /* a grouped scan of every review: on the CPU pool, never on a loop */
    ROUTE(SOUK_GET, "/api/v1/admin/reviews/sentiment", REVIEWS_MODERATE, souk_reviews_api_sentiment, .blocking = true),
    ROUTE(SOUK_GET, "/api/v1/admin/reviews/settings", REVIEWS_MODERATE, souk_reviews_api_settings_get),
    ROUTE(SOUK_PUT, "/api/v1/admin/reviews/settings", REVIEWS_MODERATE, souk_reviews_api_settings_put),

    /* behaviour events from browsers and servers (decoded on the CPU pool; telemetry, not audited) */
    ROUTE(SOUK_POST, "/api/v1/events", PUBLIC, souk_behaviour_api_ingest, .blocking = true, .unaudited = true),

    /* accounts and sessions */
    ROUTE(SOUK_POST, "/api/v1/auth/register", PUBLIC, souk_identity_api_register, .blocking = true,
          .rate = SOUK_RATE_AUTH),
    ROUTE(SOUK_POST, "/api/v1/auth/login", PUBLIC, souk_identity_api_login, .blocking = true, .rate = SOUK_RATE_AUTH),
    ROUTE(SOUK_POST, "/api/v1/auth/refresh", PUBLIC, souk_identity_api_refresh, .rate = SOUK_RATE_AUTH),
    ROUTE(SOUK_POST, "/api/v1/auth/logout", SESSION, souk_identity_api_logout),
    ROUTE(SOUK_POST, "/api/v1/auth/password-reset", PUBLIC, souk_identity_api_reset_request, .rate = SOUK_RATE_AUTH),
    ROUTE(SOUK_POST, "/api/v1/auth/password-reset/confirm", PUBLIC, souk_identity_api_reset_confirm, .blocking = true,
          .rate = SOUK_RATE_AUTH),
    ROUTE(SOUK_GET, "/api/v1/users/me", AUTHENTICATED, souk_identity_api_me),
    ROUTE(SOUK_PATCH, "/api/v1/users/me", SESSION, souk_identity_api_me_update),
    ROUTE(SOUK_DELETE, "/api/v1/users/me", SESSION, souk_identity_api_erase, .blocking = true, .rate = SOUK_RATE_AUTH),
    ROUTE(SOUK_POST, "/api/v1/users/me/password", SESSION, souk_identity_api_password, .blocking = true,
          .rate = SOUK_RATE_AUTH),
    ROUTE(SOUK_GET, "/api/v1/users/me/sessions", SESSION, souk_identity_api_sessions),
    /* loyalty points (docs/loyalty.md): the customer's own; settings and a customer's points for admins */
    ROUTE(SOUK_GET, "/api/v1/users/me/loyalty", SESSION, souk_loyalty_api_me),
    ROUTE(SOUK_GET, "/api/v1/users/me/loyalty/quote", SESSION, souk_loyalty_api_quote),
    ROUTE(SOUK_GET, "/api/v1/admin/loyalty/settings", LOYALTY, souk_loyalty_api_settings_get),
    ROUTE(SOUK_PUT, "/api/v1/admin/loyalty/settings", LOYALTY, souk_loyalty_api_settings_put),
    ROUTE(SOUK_GET, "/api/v1/admin/users/{id}/loyalty", LOYALTY, souk_loyalty_api_admin_get),
    ROUTE(SOUK_POST, "/api/v1/admin/users/{id}/loyalty/adjustments", LOYALTY, souk_loyalty_api_admin_adjust),
    /* subscriptions (docs/subscriptions.md): the customer's own; any, and the settings, for admins */
    ROUTE(SOUK_GET, "/api/v1/users/me/subscriptions", SESSION, souk_subs_api_me_list),
    ROUTE(SOUK_POST, "/api/v1/users/me/subscriptions", SESSION, souk_subs_api_me_create),
    ROUTE(SOUK_GET, "/api/v1/users/me/subscriptions/{id}", SESSION, souk_subs_api_me_get),
    ROUTE(SOUK_PATCH, "/api/v1/users/me/subscriptions/{id}", SESSION, souk_subs_api_me_update),
    ROUTE(SOUK_POST, "/api/v1/users/me/subscriptions/{id}/actions", SESSION, souk_subs_api_me_action),
    ROUTE(SOUK_GET, "/api/v1/admin/subscriptions", SUBSCRIPTIONS, souk_subs_api_admin_list),
    ROUTE(SOUK_GET, "/api/v1/admin/subscriptions/{id}", SUBSCRIPTIONS, souk_subs_api_admin_get),
    ROUTE(SOUK_PATCH, "/api/v1/admin/subscriptions/{id}", SUBSCRIPTIONS, souk_subs_api_admin_update),
    ROUTE(SOUK_POST, "/api/v1/admin/subscriptions/{id}/actions", SUBSCRIPTIONS, souk_subs_api_admin_action),
    ROUTE(SOUK_GET, "/api/v1/admin/subscription-settings", SUBSCRIPTIONS, souk_subs_api_settings_get),
    ROUTE(SOUK_PUT, "/api/v1/admin/subscription-settings", SUBSCRIPTIONS, souk_subs_api_settings_put),
    ROUTE(SOUK_DELETE, "/api/v1/users/me/sessions/{id}", SESSION, souk_identity_api_session_revoke),
    ROUTE(SOUK_POST, "/api/v1/users/me/2fa/totp", SESSION, souk_identity_api_totp_enrol),
    ROUTE(SOUK_POST, "/api/v1/users/me/2fa/totp/confirm", SESSION, souk_identity_api_totp_confirm),
    ROUTE(SOUK_DELETE, "/api/v1/users/me/2fa/totp", SESSION, souk_identity_api_totp_disable, .blocking = true,
          .rate = SOUK_RATE_AUTH),
    ROUTE(SOUK_GET, "/api/v1/users/me/consents", AUTHENTICATED, souk_identity_api_consents),
    ROUTE(SOUK_POST, "/api/v1/users/me/consents", SESSION, souk_identity_api_consent_record),
    ROUTE(SOUK_GET, "/api/v1/users/me/export", SESSION, souk_identity_api_export),
    /* wishlists (docs/wishlist.md): the caller's own list; a shared list is public and read-only;
     * the unsubscribe link's token is its own authority */
    ROUTE(SOUK_GET, "/api/v1/users/me/wishlist", AUTHENTICATED, souk_wishlist_api_get),
    ROUTE(SOUK_POST, "/api/v1/users/me/wishlist/items", SESSION, souk_wishlist_api_add),
    ROUTE(SOUK_DELETE, "/api/v1/users/me/wishlist/items/{id}", SESSION, souk_wishlist_api_remove),
    ROUTE(SOUK_POST, "/api/v1/users/me/wishlist/share", SESSION, souk_wishlist_api_share),
    ROUTE(SOUK_DELETE, "/api/v1/users/me/wishlist/share", SESSION, souk_wishlist_api_unshare),
    ROUTE(SOUK_PUT, "/api/v1/users/me/wishlist/alerts", SESSION, souk_wishlist_api_alerts),
    ROUTE(SOUK_GET, "/api/v1/wishlists/shared/{token}", PUBLIC, souk_wishlist_api_shared),
    ROUTE(SOUK_POST, "/api/v1/wishlists/unsubscribe", PUBLIC, souk_wishlist_api_unsubscribe, .rate = SOUK_RATE_AUTH),
    /* campaigns (docs/campaigns.md): audiences and campaigns for admins; the unsubscribe link is public */
    ROUTE(SOUK_GET, "/api/v1/admin/campaign-audiences", CAMPAIGNS, souk_campaigns_api_audience_list),
    ROUTE(SOUK_POST, "/api/v1/admin/campaign-audiences", CAMPAIGNS, souk_campaigns_api_audience_create),
    ROUTE(SOUK_GET, "/api/v1/admin/campaign-audiences/{id}", CAMPAIGNS, souk_campaigns_api_audience_get),
    ROUTE(SOUK_POST, "/api/v1/admin/campaign-audiences/{id}/refresh", CAMPAIGNS, souk_campaigns_api_audience_refresh),
    ROUTE(SOUK_GET, "/api/v1/admin/campaigns", CAMPAIGNS, souk_campaigns_api_list),
    ROUTE(SOUK_POST, "/api/v1/admin/campaigns", CAMPAIGNS, souk_campaigns_api_create),
    ROUTE(SOUK_GET, "/api/v1/admin/campaigns/{id}", CAMPAIGNS, souk_campaigns_api_get),
    ROUTE(SOUK_POST, "/api/v1/admin/campaigns/{id}/send", CAMPAIGNS, souk_campaigns_api_send),
    ROUTE(SOUK_POST, "/api/v1/campaigns/unsubscribe", PUBLIC, souk_campaigns_api_unsubscribe, .rate = SOUK_RATE_AUTH),
    ROUTE(SOUK_GET, "/api/v1/users/me/addresses", AUTHENTICATED, souk_identity_api_addresses),
    ROUTE(SOUK_POST, "/api/v1/users/me/addresses", SESSION, souk_identity_api_address_create),
    ROUTE(SOUK_GET, "/api/v1/users/me/addresses/{id}", AUTHENTICATED, souk_identity_api_address),
    ROUTE(SOUK_PATCH, "/api/v1/users/me/addresses/{id}", SESSION, souk_identity_api_address_update),
    ROUTE(SOUK_DELETE, "/api/v1/users/me/addresses/{id}", SESSION, souk_identity_api_address_delete),
    ROUTE(SOUK_POST, "/api/v1/api-keys", SESSION, souk_identity_api_keys_create),
    ROUTE(SOUK_GET, "/api/v1/api-keys", SESSION, souk_identity_api_keys_list),
    ROUTE(SOUK_DELETE, "/api/v1/api-keys/{id}", SESSION, souk_identity_api_keys_revoke),

    /* carts (guests: X-Cart-Token; customers: their access token) */
    ROUTE(SOUK_POST, "/api/v1/carts", PUBLIC, souk_cart_api_create),
    ROUTE(SOUK_GET, "/api/v1/carts/current", PUBLIC, souk_cart_api_get),
    ROUTE(SOUK_PATCH, "/api/v1/carts/current", PUBLIC, souk_cart_api_update),
    ROUTE(SOUK_POST, "/api/v1/carts/current/lines", PUBLIC, souk_cart_api_line_add),
    ROUTE(SOUK_PATCH, "/api/v1/carts/current/lines/{variant_id}", PUBLIC, souk_cart_api_line_set),
    ROUTE(SOUK_DELETE, "/api/v1/carts/current/lines/{variant_id}", PUBLIC, souk_cart_api_line_remove),
    ROUTE(SOUK_PUT, "/api/v1/carts/current/coupon", PUBLIC, souk_cart_api_coupon_set),
    ROUTE(SOUK_DELETE, "/api/v1/carts/current/coupon", PUBLIC, souk_cart_api_coupon_remove),
    ROUTE(SOUK_POST, "/api/v1/carts/merge", SESSION, souk_cart_api_merge),
    READ_L("/api/v1/shipping-methods", souk_cart_api_admin_shipping_public, LIST_CACHE),

    /* checkout and orders (the gateway may be called: network) */
    ROUTE(SOUK_POST, "/api/v1/checkout", PUBLIC, souk_orders_api_checkout, .network = true, .localized = true),
    ROUTE(SOUK_GET, "/api/v1/orders", AUTHENTICATED, souk_orders_api_list),
    ROUTE(SOUK_GET, "/api/v1/orders/{id}", PUBLIC, souk_orders_api_get),
    ROUTE(SOUK_POST, "/api/v1/orders/{id}/cancel", AUTHENTICATED, souk_orders_api_cancel, .network = true),
    ROUTE(SOUK_POST, "/api/v1/orders/{id}/fulfil", ORDERS_FULFIL, souk_orders_api_fulfil),
    ROUTE(SOUK_POST, "/api/v1/orders/{id}/ship", ORDERS_FULFIL, souk_orders_api_ship),
    ROUTE(SOUK_POST, "/api/v1/orders/{id}/deliver", ORDERS_FULFIL, souk_orders_api_deliver),
    ROUTE(SOUK_POST, "/api/v1/orders/{id}/refunds", ORDERS_MANAGE, souk_orders_api_refund, .network = true),
    ROUTE(SOUK_POST, "/api/v1/orders/{id}/review", "orders:review", souk_orders_api_review, .network = true),
    ROUTE(SOUK_POST, "/api/v1/orders/{id}/returns", AUTHENTICATED, souk_orders_api_return_request),
    ROUTE(SOUK_POST, "/api/v1/orders/{id}/returns/{return_id}/approve", ORDERS_MANAGE, souk_orders_api_return_approve),
    ROUTE(SOUK_POST, "/api/v1/orders/{id}/returns/{return_id}/receive", ORDERS_MANAGE, souk_orders_api_return_receive,
          .network = true),
    ROUTE(SOUK_POST, "/api/v1/payments/webhook", PUBLIC, souk_orders_api_webhook, .network = true),

    /* inventory */
    ROUTE(SOUK_POST, "/api/v1/warehouses", INVENTORY, souk_inventory_api_warehouse_create),
    ROUTE(SOUK_GET, "/api/v1/warehouses", INVENTORY, souk_inventory_api_warehouses),
    ROUTE(SOUK_PATCH, "/api/v1/warehouses/{id}", INVENTORY, souk_inventory_api_warehouse_update),
    ROUTE(SOUK_GET, "/api/v1/variants/{id}/stock", INVENTORY, souk_inventory_api_stock_get),
    ROUTE(SOUK_PUT, "/api/v1/variants/{id}/stock/{warehouse_id}", INVENTORY, souk_inventory_api_stock_put),
    ROUTE(SOUK_POST, "/api/v1/variants/{id}/stock/{warehouse_id}/adjustments", INVENTORY,
          souk_inventory_api_adjustment_create),
    ROUTE(SOUK_GET, "/api/v1/variants/{id}/stock/{warehouse_id}/adjustments", INVENTORY,
          souk_inventory_api_adjustments),

    /* administration */
    ROUTE(SOUK_GET, "/api/v1/admin/jobs", JOBS, souk_jobs_api_list),
    ROUTE(SOUK_POST, "/api/v1/admin/jobs/{id}/retry", JOBS, souk_jobs_api_retry),
    /* currencies (docs/currencies.md): stored exchange rates, the display currencies */
    READ("/api/v1/currencies", souk_fx_api_public, LIST_CACHE),
    ROUTE(SOUK_GET, "/api/v1/admin/currencies/rates", CURRENCIES, souk_fx_api_rates_list),
    ROUTE(SOUK_PUT, "/api/v1/admin/currencies/{currency}/rates", CURRENCIES, souk_fx_api_rate_put),
    ROUTE(SOUK_DELETE, "/api/v1/admin/currencies/rates/{id}", CURRENCIES, souk_fx_api_rate_delete),
    ROUTE(SOUK_GET, "/api/v1/admin/currencies/settings", CURRENCIES, souk_fx_api_settings_get),
    ROUTE(SOUK_PUT, "/api/v1/admin/currencies/settings", CURRENCIES, souk_fx_api_settings_put),
    ROUTE(SOUK_GET, "/api/v1/admin/tax-rates", PRICING, souk_cart_api_admin_tax_list),
    ROUTE(SOUK_PUT, "/api/v1/admin/tax-rates/{region}", PRICING, souk_cart_api_admin_tax_put),
    ROUTE(SOUK_DELETE, "/api/v1/admin/tax-rates/{region}", PRICING, souk_cart_api_admin_tax_delete),
    ROUTE(SOUK_GET, "/api/v1/admin/shipping-methods", PRICING, souk_cart_api_admin_shipping_list),
    ROUTE(SOUK_POST, "/api/v1/admin/shipping-methods", PRICING, souk_cart_api_admin_shipping_create),
    ROUTE(SOUK_PATCH, "/api/v1/admin/shipping-methods/{id}", PRICING, souk_cart_api_admin_shipping_update),
    ROUTE(SOUK_GET, "/api/v1/admin/coupons", PRICING, souk_cart_api_admin_coupon_list),
    ROUTE(SOUK_POST, "/api/v1/admin/coupons", PRICING, souk_cart_api_admin_coupon_create),
    ROUTE(SOUK_PATCH, "/api/v1/admin/coupons/{id}", PRICING, souk_cart_api_admin_coupon_update),
    ROUTE(SOUK_GET, "/api/v1/admin/promotions", PRICING, souk_cart_api_promo_list),
    ROUTE(SOUK_POST, "/api/v1/admin/promotions", PRICING, souk_cart_api_promo_create),
    ROUTE(SOUK_GET, "/api/v1/admin/promotions/{id}", PRICING, souk_cart_api_promo_get),
    ROUTE(SOUK_PATCH, "/api/v1/admin/promotions/{id}", PRICING, souk_cart_api_promo_update),
    ROUTE(SOUK_DELETE, "/api/v1/admin/promotions/{id}", PRICING, souk_cart_api_promo_delete),
    ROUTE(SOUK_GET, "/api/v1/admin/promotions/{id}/codes", PRICING, souk_cart_api_promo_codes),
    ROUTE(SOUK_POST, "/api/v1/admin/promotions/{id}/codes", PRICING, souk_cart_api_promo_codes_create),
    ROUTE(SOUK_GET, "/api/v1/admin/users", "users:manage", souk_identity_api_admin_users),
    ROUTE(SOUK_GET, "/api/v1/admin/users/{id}", "users:manage", souk_identity_api_admin_user_get),
    ROUTE(SOUK_PATCH, "/api/v1/admin/users/{id}", "users:manage", souk_identity_api_admin_user_update),
    /* a customer's GDPR rights exercised by staff for them (POSTs, so both are audited) */
    ROUTE(SOUK_POST, "/api/v1/admin/customers/{id}/export", "customers:privacy",
          souk_identity_api_admin_customer_export, .blocking = true),
    ROUTE(SOUK_POST, "/api/v1/admin/customers/{id}/erase", "customers:privacy", souk_identity_api_admin_customer_erase,
          .blocking = true),
    ROUTE(SOUK_GET, "/api/v1/admin/audit", "audit:read", souk_audit_api_list),
    ROUTE(SOUK_GET, "/api/v1/admin/audit/verify", "audit:read", souk_audit_api_verify, .blocking = true),
    ROUTE(SOUK_GET, "/api/v1/admin/mail", "mail:read", souk_mail_api_list),

    /* outgoing webhooks (docs/webhooks.md): create and update resolve the URL's host (blocking) */
    /* data in and out (src/exchange): the import runs in a job, the export on the CPU pool */
    ROUTE(SOUK_POST, "/api/v1/admin/imports", CATALOG_WRITE, souk_exchange_api_import, .blocking = true),
    ROUTE(SOUK_GET, "/api/v1/admin/imports/{id}", CATALOG_WRITE, souk_exchange_api_import_get),
    ROUTE(SOUK_GET, "/api/v1/admin/exports/products", CATALOG_WRITE, souk_exchange_api_export_products,
          .blocking = true),
    ROUTE(SOUK_GET, "/api/v1/admin/webhooks", WEBHOOKS, souk_webhooks_api_list),
    ROUTE(SOUK_POST, "/api/v1/admin/webhooks", WEBHOOKS, souk_webhooks_api_create, .blocking = true),
    ROUTE(SOUK_GET, "/api/v1/admin/webhooks/{id}", WEBHOOKS, souk_webhooks_api_get),
    ROUTE(SOUK_PATCH, "/api/v1/admin/webhooks/{id}", WEBHOOKS, souk_webhooks_api_update, .blocking = true),
    ROUTE(SOUK_DELETE, "/api/v1/admin/webhooks/{id}", WEBHOOKS, souk_webhooks_api_delete),
    ROUTE(SOUK_POST, "/api/v1/admin/webhooks/{id}/rotate-secret", WEBHOOKS, souk_webhooks_api_rotate),
    ROUTE(SOUK_GET, "/api/v1/admin/webhooks/{id}/deliveries", WEBHOOKS, souk_webhooks_api_deliveries),
    ROUTE(SOUK_GET, "/api/v1/admin/webhook-deliveries/{id}", WEBHOOKS, souk_webhooks_api_delivery),
    ROUTE(SOUK_POST, "/api/v1/admin/webhook-deliveries/{id}/replay", WEBHOOKS, souk_webhooks_api_replay),

    /* storefront: HTML pages for browsers (src/web, docs/web.md). Not the JSON API: every row is public and
     * .web, outside /api/, and neither in openapi.json nor in the RBAC matrix (the tests check that rule).
     * Catalog pages are cacheable; cart, checkout and order pages answer no-store; the form POSTs check
     * their CSRF token; checkout may call the gateway (network), like POST /api/v1/checkout. */
    WEB(SOUK_GET, "/", souk_web_home, .cache_control = WEB_CACHE, .cacheable = true),
    WEB(SOUK_GET, "/c/{slug}", souk_web_category, .cache_control = WEB_CACHE, .cacheable = true),
    WEB(SOUK_GET, "/search", souk_web_search),
    WEB(SOUK_GET, "/p/{slug}", souk_web_product, .localized = true),
    WEB(SOUK_POST, "/p/{slug}/review", souk_web_review_post),
    WEB(SOUK_GET, "/cart", souk_web_cart),
    WEB(SOUK_POST, "/cart/add", souk_web_cart_add),
    WEB(SOUK_POST, "/cart/update", souk_web_cart_update),
    WEB(SOUK_GET, "/checkout", souk_web_checkout),
    WEB(SOUK_POST, "/checkout", souk_web_checkout_submit, .network = true, .localized = true),
    WEB(SOUK_GET, "/order/{id}", souk_web_order),
    WEB(SOUK_GET, "/account", souk_web_account),
    WEB(SOUK_GET, "/account/signin", souk_web_signin),
    WEB(SOUK_POST, "/account/signin", souk_web_signin_submit, .blocking = true, .rate = SOUK_RATE_AUTH),
    WEB(SOUK_GET, "/account/signup", souk_web_signup),
    WEB(SOUK_POST, "/account/signup", souk_web_signup_submit, .blocking = true, .rate = SOUK_RATE_AUTH),
    WEB(SOUK_GET, "/account/renew", souk_web_renew),
    WEB(SOUK_POST, "/account/renew", souk_web_renew_submit, .rate = SOUK_RATE_AUTH),
    WEB(SOUK_POST, "/account/signout", souk_web_signout),
    WEB(SOUK_GET, "/account/reset", souk_web_reset),
    WEB(SOUK_POST, "/account/reset", souk_web_reset_submit, .rate = SOUK_RATE_AUTH),
    WEB(SOUK_GET, "/account/reset/confirm", souk_web_reset_confirm),
    WEB(SOUK_POST, "/account/reset/confirm", souk_web_reset_confirm_submit, .blocking = true, .rate = SOUK_RATE_AUTH),
    WEB(SOUK_GET, "/account/orders", souk_web_orders),
    WEB(SOUK_GET, "/account/orders/{id}", souk_web_account_order),
    WEB(SOUK_POST, "/account/orders/{id}/return", souk_web_account_return),
    WEB(SOUK_GET, "/track", souk_web_track),
    WEB(SOUK_POST, "/track", souk_web_track_submit, .unaudited = true, .rate = SOUK_RATE_AUTH),
    WEB(SOUK_GET, "/account/profile", souk_web_profile),
    WEB(SOUK_POST, "/account/profile", souk_web_profile_submit),
    WEB(SOUK_GET, "/account/addresses", souk_web_addresses),
    WEB(SOUK_POST, "/account/addresses", souk_web_address_add),
    WEB(SOUK_GET, "/account/addresses/{id}", souk_web_address_edit),
    WEB(SOUK_POST, "/account/addresses/{id}", souk_web_address_save),
    WEB(SOUK_POST, "/account/addresses/{id}/delete", souk_web_address_delete),
    WEB(SOUK_POST, "/account/addresses/{id}/default", souk_web_address_default),
    WEB(SOUK_GET, "/account/privacy", souk_web_privacy),
    WEB(SOUK_POST, "/account/consents", souk_web_consents_submit),
    WEB(SOUK_GET, "/account/export.json", souk_web_export),
    WEB(SOUK_POST, "/account/delete", souk_web_delete_submit, .blocking = true, .rate = SOUK_RATE_AUTH),
    WEB(SOUK_GET, "/account/2fa", souk_web_twofa),
    WEB(SOUK_POST, "/account/2fa/start", souk_web_twofa_start),
    WEB(SOUK_POST, "/account/2fa/confirm", souk_web_twofa_confirm),
    WEB(SOUK_POST, "/account/2fa/disable", souk_web_twofa_disable, .blocking = true, .rate = SOUK_RATE_AUTH),
    WEB(SOUK_POST, "/account/wishlist/add", souk_web_wishlist_add),
    WEB(SOUK_GET, "/account/wishlist", souk_web_wishlist),
    WEB(SOUK_POST, "/account/wishlist/remove", souk_web_wishlist_remove),
    WEB(SOUK_POST, "/account/wishlist/share", souk_web_wishlist_share),
    WEB(SOUK_POST, "/account/wishlist/alerts", souk_web_wishlist_alerts),
    WEB(SOUK_GET, "/wishlist/shared/{token}", souk_web_wishlist_shared),
    WEB(SOUK_GET, "/wishlist/unsubscribe", souk_web_wishlist_unsubscribe),
    WEB(SOUK_POST, "/wishlist/unsubscribe", souk_web_wishlist_unsubscribe_submit, .rate = SOUK_RATE_AUTH),
    WEB(SOUK_GET, "/campaigns/unsubscribe", souk_web_campaigns_unsubscribe),
    WEB(SOUK_POST, "/campaigns/unsubscribe", souk_web_campaigns_unsubscribe_submit, .rate = SOUK_RATE_AUTH),
    WEB(SOUK_POST, "/cart/coupon", souk_web_cart_coupon),
    WEB(SOUK_POST, "/cart/shipping", souk_web_cart_shipping),
    WEB(SOUK_GET, "/admin", souk_web_admin),
    WEB(SOUK_GET, "/vendor", souk_web_vendor),
    WEB(SOUK_GET, "/assets/{name}", souk_web_asset, .rate = SOUK_RATE_NONE),
    WEB(SOUK_GET, "/media/{file}", souk_catalog_media_get, .rate = SOUK_RATE_NONE),
    WEB(SOUK_GET, "/robots.txt", souk_web_robots, .cache_control = "public, max-age=3600", .rate = SOUK_RATE_NONE),
    WEB(SOUK_GET, "/sitemap.xml", souk_web_sitemap, .cache_control = "public, max-age=3600", .cacheable = true),
    WEB(SOUK_GET, "/sitemap-categories.xml", souk_web_sitemap_categories, .cache_control = "public, max-age=3600",
        .cacheable = true),
    WEB(SOUK_GET, "/sitemap-products.xml", souk_web_sitemap_products, .cache_control = "public, max-age=3600",
        .cacheable = true),
};
const size_t souk_routes_count = sizeof souk_routes / sizeof souk_routes[0];

/* `souk routes [--json]` */
int souk_cmd_routes(int argc, char **argv)
{
    bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
    if (argc > 2 || (argc == 2 && !json)) {
        fprintf(stderr, "usage: souk routes [--json]\n");
        return 2;
    }
    static const char *const rates[] = {"default", "auth", "none"};
    json_t *arr = json_array();
    for (size_t i = 0; i < souk_routes_count; i++) {
        const souk_route *r = &souk_routes[i];
        if (json)
            json_array_append_new(arr,
                                  json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:b}", "method", souk_method_name(r->method),
                                            "path", r->pattern, "permission", r->permission, "rate", rates[r->rate],
                                            "blocking", r->blocking, "network", r->network, "web", r->web));
        else
            printf("%-7s %-48s %-26s %s%s%s%s\n", souk_method_name(r->method), r->pattern, r->permission,
                   rates[r->rate], r->blocking ? " blocking" : "", r->network ? " network" : "", r->web ? " web" : "");
    }
    if (json) {
        char *s = json_dumps(arr, JSON_INDENT(2));
        if (s)
            puts(s);
        free(s);
    }
    json_decref(arr);
    return 0;
}
