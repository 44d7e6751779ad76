/*
 * campaigns.h — audiences (customer segments saved as rules over the
 * analytics read model, with their member sets precomputed), campaigns
 * ("win-back" and "VIP" e-mails to an audience through the mail outbox,
 * only with current marketing consent, each with a signed unsubscribe link)
 * and their results (redemptions, orders and revenue).
 *
 * Files: audience.c (definitions, selection from the facts, the refresh),
 * send.c (the send job and its mail), token.c (the unsubscribe token and
 * opt-outs), results.c (what a campaign brought), api.c (the HTTP handlers,
 * api.h). Design: docs/internals/campaigns.md; user guide: docs/campaigns.md.
 *
 * Storage: campaign_audiences, campaign_audience_members, campaigns,
 * campaign_recipients, campaign_optouts, campaign_keys of migration 0175,
 * and the views identity, the cart and orders publish to it there. The cart
 * reads the member sets through the view cart_audience_members. Times are µs
 * since the Unix epoch.
 */
#ifndef SOUK_CAMPAIGNS_H
#define SOUK_CAMPAIGNS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analytics/analytics.h"
#include "core/err.h"
#include "store/store.h"

#define SOUK_PREFIX_AUDIENCE "aud"
#define SOUK_PREFIX_CAMPAIGN "camp"

#define SOUK_CAMPAIGNS_UNSUB_MAX 80 /* bytes of an unsubscribe token with its NUL */
#define SOUK_CAMPAIGNS_REFRESH_JOB "campaigns.audiences"
#define SOUK_CAMPAIGNS_SEND_JOB "campaigns.send"
#define SOUK_CAMPAIGNS_SEND_BATCH 200    /* recipients per send transaction */
#define SOUK_CAMPAIGNS_AUDIENCES_MAX 100 /* audiences a shop may have */
#define SOUK_CAMPAIGNS_DAYS_MAX 3660     /* the history an audience reads, in days */

/* What an audience selects (the kinds of docs/campaigns.md). */
typedef enum souk_campaigns_kind {
    SOUK_CAMPAIGNS_RFM,    /* customers whose RFM segment is one of SEGMENTS */
    SOUK_CAMPAIGNS_KMEANS, /* customers in k-means cluster CLUSTER of K clusters */
    SOUK_CAMPAIGNS_CHURN,  /* customers whose churn probability is in [MIN_P, MAX_P) */
    SOUK_CAMPAIGNS_FILTER, /* customers whose recency, orders and revenue are within the bounds */
} souk_campaigns_kind;

/* An audience's rule, as stored (JSON) and as the selection reads it. */
typedef struct souk_campaigns_def {
    souk_campaigns_kind kind;
    int days;            /* the history read: the last DAYS days up to today (rfm, kmeans, filter) */
    char currency[4];    /* "" = the currency with the most revenue */
    unsigned segments;   /* rfm: bit i = souk_campaigns_rfm_names[i] */
    int k, cluster;      /* kmeans: 2..10 clusters, 1..k */
    int horizon;         /* churn: days (7..365) */
    double min_p, max_p; /* churn: the band (high 0.7..1, medium 0.4..0.7, low 0..0.4) */
    int64_t min_orders, max_orders, min_revenue, max_revenue, min_recency, max_recency; /* filter; -1: no bound */
} souk_campaigns_def;

/* The RFM segment names, in bit order; NULL-terminated. */
extern const char *const souk_campaigns_rfm_names[];

/* Decodes the definition of an audience of KIND ("rfm", "kmeans", "churn",
 * "filter") from O into *D. Returns NULL, or a message naming the field and
 * what is wrong (*FIELD gets the field's name: a literal, or for an unknown
 * key that key of O, valid while O is). Bounded: unknown keys, wrong types
 * and values out of range are refused. */
const char *souk_campaigns_def_parse(const char *kind, const json_t *o, souk_campaigns_def *d, const char **field);

/* D as JSON (the definition the admin API shows; new reference). */
json_t *souk_campaigns_def_json(const souk_campaigns_def *d);

/* The kind's name ("rfm" …). */
const char *souk_campaigns_kind_name(souk_campaigns_kind k);

/* The customers (account ids) of D in facts F as of NOW_US, ascending, into
 * *OUT (malloc'd, caller frees; NULL when none) and *N. Reads F without a
 * lock. Returns 0, or -1 when memory ran out or a report failed. */
int souk_campaigns_select(const souk_analytics_facts *f, const souk_campaigns_def *d, int64_t now_us, int64_t **out,
                          size_t *n);

/* Replaces the members of audience AUDIENCE with the N ids of USERS (only
 * active accounts are kept) and records the refresh time and count, inside
 * the caller's write transaction. *KEPT (optional): members stored. Returns
 * 0 or a negative souk_db_status. */
int souk_campaigns_store_members_tx(souk_store *db, int64_t audience, const int64_t *users, size_t n, int64_t now_us,
                                    int64_t *kept);

/* Recomputes every audience (AUDIENCE ≠ 0: that one) from facts F (NULL:
 * the served facts, else built from DB as the CLI does) and stores the
 * member sets, each in its own transaction. Returns the number refreshed, or
 * a negative souk_db_status / -1 memory. Inside a job it keeps the job's
 * lease between audiences (and stops when the lease was lost). */
int souk_campaigns_refresh(souk_store *db, const souk_analytics_facts *f, int64_t audience);

/* Registers the jobs campaigns.audiences (hourly) and campaigns.send.
 * Called by src/app's souk_background_register. Returns 0 or -1. */
int souk_campaigns_register(void);

/* Queues the refresh of AUDIENCE (0: all) inside the caller's transaction.
 * Returns 0 or a negative souk_db_status. */
int souk_campaigns_refresh_enqueue_tx(souk_store *db, int64_t audience);

/* Sends what is left to send of campaign CAMPAIGN (the send job's work):
 * batches of SOUK_CAMPAIGNS_SEND_BATCH members of its audience that have
 * current marketing consent, an active account and no opt-out and have not
 * had this campaign yet, each batch's recipient rows and mails in one
 * transaction, resuming after the campaign's cursor (members are walked
 * in account order; a member added to the audience below the cursor during
 * the send is not reached); the campaign becomes "sent" when none is left.
 * Inside a job it keeps the job's lease between batches. Returns the mails
 * queued, or a negative souk_db_status. */
int64_t souk_campaigns_send(souk_store *db, int64_t campaign);

/* ---- unsubscribe (token.c) ---- */

/* The unsubscribe token of USER for CAMPAIGN under KEY (32 bytes) into OUT:
 * "c" decimal(campaign) "u" decimal(user) "." base64url(BLAKE2b-128(KEY,
 * "campaign-unsub:" campaign ":" user)). */
void souk_campaigns_token_sign(const unsigned char key[32], int64_t campaign, int64_t user,
                               char out[SOUK_CAMPAIGNS_UNSUB_MAX]);

/* The campaign and user of TOKEN when its MAC under KEY is right (constant
 * time): returns 1 and sets *CAMPAIGN, *USER; else 0. Any bytes are safe. */
int souk_campaigns_token_verify(const unsigned char key[32], const char *token, int64_t *campaign, int64_t *user);

/* USER's token for CAMPAIGN into OUT (the key is made on first use).
 * Returns SOUK_OK or a storage error. */
souk_err souk_campaigns_unsub_token(souk_store *db, int64_t campaign, int64_t user, char out[SOUK_CAMPAIGNS_UNSUB_MAX]);

/* Inside the caller's write transaction: checks TOKEN and records its
 * customer's opt-out of campaign mail (counted once for the campaign whose
 * link it was). *USER (optional): whose. SOUK_OK (also when already out),
 * SOUK_E_NOT_FOUND for a token that is not ours. */
souk_err souk_campaigns_unsubscribe_tx(souk_store *db, const char *token, int64_t *user);

/* GDPR erasure (an identity privacy step): removes USER from every
 * audience, recipient list and the opt-outs inside the caller's
 * transaction. Returns 0 or a negative souk_db_status. */
int souk_campaigns_erase_tx(souk_store *db, int64_t user, const char *email);

/* GDPR export: {audiences: [names], campaigns: [{name, sent_at}], unsubscribed}
 * (new reference; NULL on error). */
json_t *souk_campaigns_export_json(souk_store *db, int64_t user);

/* ---- results (results.c) ---- */

/* Campaign CAMPAIGN's results into *OUT (new object): recipients, skipped,
 * unsubscribed, redemptions {count, discount per currency}, orders and
 * revenue (per currency) of recipients' paid orders within its attribution
 * window after their mail. Returns SOUK_OK or a storage error. */
souk_err souk_campaigns_results_json(souk_store *db, int64_t campaign, json_t **out);

#endif
