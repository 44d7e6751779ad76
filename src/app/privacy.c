/*
 * privacy.c — see privacy.h. Each step adapts the owning context's public
 * functions to identity's callbacks; the export keys and their order are
 * part of GET /api/v1/users/me/export (src/app/openapi.json, "Export").
 */
#include "app/privacy.h"

#include <pthread.h>

#include "audit/audit.h"
#include "behaviour/behaviour.h"
#include "http/server.h"
#include "identity/identity.h"
#include "loyalty/loyalty.h"
#include "subscriptions/subscriptions.h"
#include "mail/mail.h"
#include "orders/orders.h"
#include "reviews/reviews.h"
#include "wishlist/wishlist.h"
#include "campaigns/campaigns.h"
#include "core/banned.h"

#define EXPORT_AUDIT_MAX 10000 /* entries about the account, oldest first */
#define EXPORT_ORDERS_MAX 1000 /* the account's orders, newest first */

/* "audit_entries": the entries about the account or made by it; they hold no
 * personal data, so erasure leaves them (the chain must stay whole) */
static json_t *audit_export(souk_store *db, int64_t user)
{
    json_t *page = souk_audit_about_user_json(db, user, EXPORT_AUDIT_MAX);
    json_t *entries = json_incref(json_object_get(page, "data"));
    json_decref(page);
    return entries;
}

static json_t *orders_export(souk_store *db, int64_t user)
{
    return souk_orders_of_user_json(db, user, EXPORT_ORDERS_MAX);
}

static int orders_erase(souk_store *db, int64_t user, const char *email)
{
    (void)email;
    return souk_orders_erase_tx(db, user);
}

static void drop_cached_lists(void *arg)
{
    (void)arg;
    souk_server_cache_invalidate_recs();
}

/* "behaviour_events": unlinked, not deleted; once that commits, the
 * recommendation lists kept in the response cache go too (an anonymous id
 * of the account's browsers must not keep being answered from its history). */
static int behaviour_erase(souk_store *db, int64_t user, const char *email)
{
    int r = souk_behaviour_erase_tx(db, user, email);
    if (r == 0 && souk_store_after_commit(db, drop_cached_lists, NULL, 0) < 0)
        return SOUK_DB_HARD;
    return r;
}

static const souk_identity_privacy_step steps[] = {
    {"audit_entries", audit_export, NULL},
    {"orders", orders_export, orders_erase},
    {"mail", NULL, souk_mail_erase_tx}, /* the outbox: messages to the account or its address */
    {"behaviour_events", souk_behaviour_export_json, behaviour_erase},
    {"reviews", souk_reviews_export_json, souk_reviews_erase_tx},       /* anonymised; text per the shop's setting */
    {"wishlist", souk_wishlist_export_json, souk_wishlist_erase_tx},    /* the list, its alerts and opt-out: deleted */
    {"campaigns", souk_campaigns_export_json, souk_campaigns_erase_tx}, /* audiences, recipients, opt-out: deleted */
    {"subscriptions", souk_subs_export_json, souk_subs_erase_tx},       /* cancelled, address and saved method wiped */
    {"loyalty", souk_loyalty_export_json, NULL}, /* the points ledger stays for the books, like the orders */
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int result;

static void register_steps(void)
{
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (souk_identity_register_privacy_step(&steps[i]) < 0)
            result = -1;
}

int souk_app_privacy_register(void)
{
    pthread_once(&once, register_steps);
    return result;
}
