/*
 * wishlist.h — wishlists: a customer's (one per account) and a guest
 * browser's (cookie-identified, bounded, merged into the customer's at
 * sign-in), a read-only share link, and e-mail alerts when a wished-for item
 * comes back in stock or its price drops (at most one per item per customer
 * per week, only with marketing consent, with a signed unsubscribe link).
 *
 * Files: list.c (items, the list as JSON, sharing, guest lists and their
 * merge), notify.c (the event subscribers and the alert mail), token.c (the
 * unsubscribe token and opt-outs), api.c (the HTTP handlers, api.h).
 * Design: docs/internals/wishlist.md; user guide: docs/wishlist.md.
 *
 * Storage: wishlists, wishlist_items, wishlist_alerts, wishlist_optouts,
 * wishlist_keys of migration 0155, and the views the catalog, inventory and
 * identity publish to it there. Times are µs since the Unix epoch.
 */
#ifndef SOUK_WISHLIST_H
#define SOUK_WISHLIST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

#define SOUK_PREFIX_WISHLIST_ITEM "wli"

#define SOUK_WISHLIST_ITEMS_MAX 200      /* items of a customer's list */
#define SOUK_WISHLIST_GUEST_ITEMS_MAX 50 /* items of a guest's list */
#define SOUK_WISHLIST_TOKEN_LEN 32       /* characters of a guest or share token (base64url of 24 random bytes) */
#define SOUK_WISHLIST_TOKEN_MAX 33       /* ... with its NUL */
#define SOUK_WISHLIST_UNSUB_MAX 64       /* bytes of an unsubscribe token with its NUL */
#define SOUK_WISHLIST_ALERT_GAP_US (INT64_C(7) * 24 * 3600 * 1000000)  /* one alert per item and customer per week */
#define SOUK_WISHLIST_GUEST_TTL_US (INT64_C(30) * 24 * 3600 * 1000000) /* an untouched guest list is purged */

/* Whose list: a customer (USER_ID) or a guest browser (GUEST_TOKEN, the
 * cookie's value). Exactly one is set. */
typedef struct souk_wishlist_owner {
    int64_t user_id;
    const char *guest_token;
} souk_wishlist_owner;

/* Adds PRODUCT (VARIANT 0: any option) or VARIANT (PRODUCT 0: its own) to
 * OWNER's list inside the caller's write transaction, making the list when
 * it has none (a guest's only through souk_wishlist_guest_create_tx). The
 * item remembers its price in CURRENCY and whether it can be had now, the
 * baselines of its alerts. *ITEM: the item's id; *CREATED: false when it was
 * there already (nothing changed). Returns SOUK_OK; SOUK_E_NOT_FOUND for no
 * such active product, a variant not of it, or a guest token without a list
 * (*WHY says which); SOUK_E_CONFLICT when the list is full; or a storage error. */
souk_err souk_wishlist_add_tx(souk_store *db, const souk_wishlist_owner *owner, int64_t product, int64_t variant,
                              const char *currency, int64_t *item, bool *created, const char **why);

/* Removes item ITEM from OWNER's list (another list's item is not found).
 * Returns SOUK_OK, SOUK_E_NOT_FOUND, or a storage error. */
souk_err souk_wishlist_remove_tx(souk_store *db, const souk_wishlist_owner *owner, int64_t item);

/* OWNER's list as {"items":[{id, product_id, variant_id|null, title,
 * variant_title|null, slug, price {amount,currency}|null, available (bool),
 * active (bool), added_at}], "count", "shared" (bool), "share_token"|null,
 * "alerts" (bool: not unsubscribed)} into *OUT (caller decrefs), newest
 * first, prices in CURRENCY now. A customer without a list, or a guest
 * token that names none, reads as an empty list. Returns SOUK_OK or a storage error. */
souk_err souk_wishlist_json(souk_store *db, const souk_wishlist_owner *owner, const char *currency, json_t **out);

/* The list shared under TOKEN as {"items":[… as above without ids of the
 * owner …], "count"} into *OUT: nothing about its owner. SOUK_E_NOT_FOUND
 * when no list is shared under it (revoked, or never was). */
souk_err souk_wishlist_shared_json(souk_store *db, const char *token, const char *currency, json_t **out);

/* Makes USER's list shareable (creating the list when it has none): a new
 * random token replaces any earlier one, whose link stops working, into
 * TOKEN. Returns SOUK_OK or a storage error. */
souk_err souk_wishlist_share_tx(souk_store *db, int64_t user, char token[SOUK_WISHLIST_TOKEN_MAX]);

/* Revokes USER's share link. SOUK_OK (also when there was none). */
souk_err souk_wishlist_unshare_tx(souk_store *db, int64_t user);

/* Makes a new, empty guest list; its token (for the browser's cookie) into
 * TOKEN. Returns SOUK_OK or a storage error. */
souk_err souk_wishlist_guest_create_tx(souk_store *db, char token[SOUK_WISHLIST_TOKEN_MAX]);

/* At sign-in: moves the items of the guest list of GUEST_TOKEN into USER's
 * list (items there already are kept as they are; the customer's limit
 * holds: what does not fit is dropped) and deletes the guest list, in one
 * transaction of its own. *MOVED (optional): items added. SOUK_OK; also when
 * the token names no list (nothing to do). */
souk_err souk_wishlist_merge_guest(souk_store *db, const char *guest_token, int64_t user, int *moved);

/* Deletes guest lists untouched since before NOW_US - SOUK_WISHLIST_GUEST_TTL_US,
 * at most LIMIT. Returns how many, or a negative souk_db_status. */
int souk_wishlist_purge_guests(souk_store *db, int64_t now_us, int limit);

/* ---- alerts (notify.c, token.c) ---- */

/* Subscribes the alert handlers to the outbox's stock.changed and
 * price.changed events and registers the guest purge job. Called by
 * src/app's souk_background_register. Returns 0 or -1. */
int souk_wishlist_register(void);

/* One event as the dispatcher hands it (exposed for the unit test): TYPE
 * stock.changed or price.changed with its PAYLOAD; alerts due are queued in
 * the mail outbox in the same transaction. Returns 0, or -1 (retry later). */
int souk_wishlist_on_event(souk_store *db, const char *type, const char *aggregate_id, const json_t *payload,
                           int64_t event_id, void *ctx);

/* USER's signed unsubscribe token into OUT (the key is made on first use).
 * Returns SOUK_OK or a storage error. */
souk_err souk_wishlist_unsub_token(souk_store *db, int64_t user, char out[SOUK_WISHLIST_UNSUB_MAX]);

/* Inside the caller's write transaction: checks TOKEN's signature and turns
 * its customer's wishlist alerts off; *USER (optional) is whose. SOUK_OK
 * (also when they were off), SOUK_E_NOT_FOUND for a token that is not ours. */
souk_err souk_wishlist_unsubscribe_tx(souk_store *db, const char *token, int64_t *user);

/* Turns USER's wishlist alerts on or off (inside the caller's transaction).
 * Returns SOUK_OK or a storage error. */
souk_err souk_wishlist_alerts_set_tx(souk_store *db, int64_t user, bool on);

/* GDPR erasure (an identity privacy step): deletes USER's list, items,
 * alerts and opt-out inside the caller's transaction; EMAIL is not used
 * (nothing here is kept by address). Returns 0 or a negative souk_db_status. */
int souk_wishlist_erase_tx(souk_store *db, int64_t user, const char *email);

/* GDPR export (an identity privacy step): USER's list as souk_wishlist_json
 * shows it, without prices (new reference; NULL on error). */
json_t *souk_wishlist_export_json(souk_store *db, int64_t user);

/* ---- pure rules (shared with the unit test) ---- */

typedef enum souk_wishlist_alert {
    SOUK_WISHLIST_NONE = 0,
    SOUK_WISHLIST_BACK_IN_STOCK,
    SOUK_WISHLIST_PRICE_DROP,
} souk_wishlist_alert;

/* What an item's new state means. WAS_IN_STOCK, REF (the lowest price seen;
 * -1 none) before; AVAILABLE, PRICE (-1: none in the item's currency) now.
 * *NEW_IN_STOCK and *NEW_REF: what to store. Back in stock: it was not, it
 * is now. Price drop: a price below REF while it can be had. A price seen
 * for the first time becomes REF without an alert; a higher one leaves REF. */
souk_wishlist_alert souk_wishlist_judge(bool was_in_stock, int64_t ref, int64_t available, int64_t price,
                                        bool *new_in_stock, int64_t *new_ref);

/* The unsubscribe token of USER under KEY (32 bytes) into OUT:
 * "u" + decimal(user) + "." + base64url(BLAKE2b-128(KEY, "wishlist-unsub:" decimal(user))). */
void souk_wishlist_token_sign(const unsigned char key[32], int64_t user, char out[SOUK_WISHLIST_UNSUB_MAX]);

/* The user of TOKEN when its MAC under KEY is right (constant-time compare), else 0. */
int64_t souk_wishlist_token_verify(const unsigned char key[32], const char *token);

#endif
