/* roles.c — the role → permission table (see identity.h). */
#include "identity/identity.h"

#include <string.h>

#include "core/banned.h"

const char *const souk_permissions[] = {
    "catalog:write",            /* every product, category, brand, vendor, price */
    "catalog:write:own",        /* products of the principal's own vendor */
    "catalog:read:unpublished", /* draft and archived products, archived variants */
    "inventory:write",
    "orders:read:any",
    "orders:manage",      /* act on any order: cancel, fulfil, ship, refund, returns */
    "orders:fulfil:own",  /* fulfil, ship and deliver the principal's vendor's sub-orders */
    "orders:review",      /* release or cancel orders held for fraud review */
    "analytics:read",     /* every report of the whole store and any slice */
    "analytics:read:own", /* the reports of the principal's own vendor */
    "users:manage",
    "customers:privacy", /* a customer's data export and erasure, done by staff at their request */
    "audit:read",
    "mail:read",
    "pricing:manage",          /* tax rates, shipping methods, coupons, promotions */
    "jobs:manage",             /* the job queue: list, retry dead jobs */
    "recommendations:manage",  /* models: train, activate, roll back; A/B tests */
    "webhooks:manage",         /* outgoing webhook subscriptions, their secrets and delivery log */
    "reviews:moderate",        /* the review moderation queue, sentiment report, review settings */
    "currencies:manage",       /* stored exchange rates and the display currencies */
    "dynamic_pricing:read",    /* price suggestions, their reasons and the bounds */
    "dynamic_pricing:approve", /* recompute, set bounds, approve, reject, roll back price suggestions */
    "loyalty:manage",          /* loyalty settings, customers' points and adjustments */
    "campaigns:manage",        /* campaign audiences, campaigns, their sending and results */
    "subscriptions:manage", /* every customer's subscriptions (skip, pause, resume, cancel, change), their settings */
    "translations:manage",  /* the store's locales and translations of catalog texts */
    NULL,
};

static const struct {
    const char *role;
    const char *permissions;
} roles[] = {
    {"customer", ""},
    {"vendor", "catalog:write:own orders:fulfil:own analytics:read:own"},
    {"inventory_manager", "catalog:read:unpublished inventory:write orders:read:any orders:manage analytics:read "
                          "dynamic_pricing:read"},
    {"admin", "*"},
};

const char *souk_role_permissions(const char *role)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (role && strcmp(roles[i].role, role) == 0)
            return roles[i].permissions;
    return NULL;
}

bool souk_role_valid(const char *role)
{
    return souk_role_permissions(role) != NULL;
}

const char *souk_identity_role_vendor_rule(const char *role, bool has_vendor)
{
    bool vendor = role && strcmp(role, "vendor") == 0;
    if (vendor && !has_vendor)
        return SOUK_IDENTITY_VENDOR_NEEDED;
    if (!vendor && has_vendor)
        return SOUK_IDENTITY_VENDOR_ONLY;
    return NULL;
}

bool souk_permission_known(const char *permission)
{
    for (size_t i = 0; souk_permissions[i]; i++)
        if (strcmp(souk_permissions[i], permission) == 0)
            return true;
    return false;
}
