/*
 * token.c — the unsubscribe link of campaign mail, the opt-outs, erasure
 * and export.
 *
 * The token is "c<campaign id>u<user id>.<MAC>": BLAKE2b-128 keyed with a
 * 32-byte key kept in campaign_keys (made once, on first use, by whichever
 * node gets there first). As for wishlist alerts (docs/internals/wishlist.md)
 * a MAC rather than a stored random token: no row per mail, no expiry (an
 * old mail's link still works), and it says only which account and which
 * campaign — the campaign, so that unsubscribes are counted per campaign.
 * The opt-out it records stops every later campaign mail, not one campaign's.
 */
#include "campaigns/internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "core/banned.h"

#define MAC_LEN 16

static void mac_of(const unsigned char key[32], int64_t campaign, int64_t user, unsigned char mac[MAC_LEN])
{
    char msg[96];
    int n = snprintf(msg, sizeof msg, "campaign-unsub:%lld:%lld", (long long)campaign, (long long)user);
    crypto_generichash(mac, MAC_LEN, (const unsigned char *)msg, (size_t)n, key, 32);
}

void souk_campaigns_token_sign(const unsigned char key[32], int64_t campaign, int64_t user,
                               char out[SOUK_CAMPAIGNS_UNSUB_MAX])
{
    unsigned char mac[MAC_LEN];
    mac_of(key, campaign, user, mac);
    char b64[32];
    sodium_bin2base64(b64, sizeof b64, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(out, SOUK_CAMPAIGNS_UNSUB_MAX, "c%lldu%lld.%s", (long long)campaign, (long long)user, b64);
}

/* A positive decimal (no leading zero, below 10^18) at *P, moved past it; 0 when there is none. */
static int64_t number(const char **p)
{
    const char *s = *p;
    if (*s < '1' || *s > '9')
        return 0;
    int64_t v = 0;
    for (int digits = 0; *s >= '0' && *s <= '9'; digits++, s++) {
        if (digits == 18)
            return 0;
        v = v * 10 + (*s - '0');
    }
    *p = s;
    return v;
}

int souk_campaigns_token_verify(const unsigned char key[32], const char *token, int64_t *campaign, int64_t *user)
{
    size_t len = token ? strnlen(token, SOUK_CAMPAIGNS_UNSUB_MAX) : 0;
    if (len < 6 || len >= SOUK_CAMPAIGNS_UNSUB_MAX || token[0] != 'c')
        return 0;
    const char *p = token + 1;
    int64_t c = number(&p);
    if (!c || *p != 'u')
        return 0;
    p++;
    int64_t u = number(&p);
    if (!u || *p != '.')
        return 0;
    /* the one spelling of the token, compared whole in constant time */
    char want[SOUK_CAMPAIGNS_UNSUB_MAX];
    souk_campaigns_token_sign(key, c, u, want);
    if (strlen(want) != len || sodium_memcmp(want, token, len) != 0)
        return 0;
    *campaign = c;
    *user = u;
    return 1;
}

/* The signing key into KEY, made when there is none. 0 or an error class. */
static int key_get(souk_store *db, unsigned char key[32])
{
    return souk_store_secret(db, "campaign_keys", key);
}

souk_err souk_campaigns_unsub_token(souk_store *db, int64_t campaign, int64_t user, char out[SOUK_CAMPAIGNS_UNSUB_MAX])
{
    unsigned char key[32];
    int r = key_get(db, key);
    if (r < 0)
        return souk_store_dberr(r);
    souk_campaigns_token_sign(key, campaign, user, out);
    sodium_memzero(key, sizeof key);
    return SOUK_OK;
}

souk_err souk_campaigns_unsubscribe_tx(souk_store *db, const char *token, int64_t *user)
{
    unsigned char key[32];
    int r = key_get(db, key);
    if (r < 0)
        return souk_store_dberr(r);
    int64_t campaign = 0, who = 0;
    int ok = souk_campaigns_token_verify(key, token, &campaign, &who);
    sodium_memzero(key, sizeof key);
    if (!ok)
        return SOUK_E_NOT_FOUND;
    r = souk_store_one(db, "SELECT user_id FROM campaign_customers WHERE user_id = $1", SOUK_ARGS(SOUK_I64(who)), NULL);
    if (r < 0)
        return souk_store_dberr(r);
    if (r == SOUK_DB_DONE)
        return SOUK_E_NOT_FOUND;
    if (user)
        *user = who;
    int64_t n = souk_store_update(db,
                                  "INSERT INTO campaign_optouts (user_id, campaign_id, created_at) VALUES ($1, $2, $3) "
                                  "ON CONFLICT (user_id) DO NOTHING",
                                  SOUK_ARGS(SOUK_I64(who), SOUK_I64(campaign), SOUK_I64(souk_time_now_us())));
    if (n < 0)
        return souk_store_dberr((int)n);
    if (n == 1) /* counted once, for the campaign whose link it was */
        r = souk_store_exec(db, "UPDATE campaigns SET unsubscribed = unsubscribed + 1 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(campaign)));
    return souk_store_dberr(r);
}

int souk_campaigns_erase_tx(souk_store *db, int64_t user, const char *email)
{
    (void)email; /* nothing here is kept by address */
    static const char *const sql[] = {
        "DELETE FROM campaign_audience_members WHERE user_id = $1",
        "DELETE FROM campaign_recipients WHERE user_id = $1",
        "DELETE FROM campaign_optouts WHERE user_id = $1",
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        int r = souk_store_exec(db, sql[i], SOUK_ARGS(SOUK_I64(user)));
        if (r < 0)
            return r;
    }
    return 0;
}

static json_t *names(souk_store *db, const char *sql, int64_t user, bool with_time)
{
    json_t *a = json_array();
    souk_stmt *st = souk_store_query(db, sql, SOUK_ARGS(SOUK_I64(user)));
    int r;
    while (a && (r = souk_stmt_next(st, NULL)) == SOUK_DB_ROW) {
        const char *name = souk_stmt_text(st, 0, NULL);
        char when[40];
        json_array_append_new(a, with_time ? json_pack("{s:s,s:s}", "name", name ? name : "", "sent_at",
                                                       souk_time_format(souk_stmt_i64(st, 1), when))
                                           : json_string(name ? name : ""));
    }
    if (!a || r < 0) {
        json_decref(a);
        return NULL;
    }
    return a;
}

json_t *souk_campaigns_export_json(souk_store *db, int64_t user)
{
    json_t *aud = names(db,
                        "SELECT a.name FROM campaign_audience_members m JOIN campaign_audiences a "
                        "ON a.id = m.audience_id WHERE m.user_id = $1 ORDER BY a.id",
                        user, false);
    json_t *sent = names(db,
                         "SELECT c.name, r.sent_at FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id "
                         "WHERE r.user_id = $1 ORDER BY r.sent_at",
                         user, true);
    int r = souk_store_one(db, "SELECT 1 FROM campaign_optouts WHERE user_id = $1", SOUK_ARGS(SOUK_I64(user)), NULL);
    if (!aud || !sent || r < 0) {
        json_decref(aud);
        json_decref(sent);
        return NULL;
    }
    return json_pack("{s:o,s:o,s:b}", "audiences", aud, "campaigns", sent, "unsubscribed", r == SOUK_DB_ROW);
}
