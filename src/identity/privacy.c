/*
 * privacy.c — the steps other contexts register for the GDPR export and
 * erasure (identity.h), and running them. Identity's own tables are
 * exported and erased by api_me.c; this file only knows the steps by the
 * callbacks they gave, never the contexts behind them.
 */
#include "identity/account.h"

#include <string.h>

#include "core/bug.h"
#include "core/banned.h"

static souk_identity_privacy_step steps[SOUK_IDENTITY_PRIVACY_STEPS];
static size_t nsteps;

/* the export keys identity fills itself */
static const char *const own_keys[] = {"exported_at", "profile", "consents", "sessions", "api_keys", "addresses", NULL};

static bool name_taken(const char *name)
{
    for (size_t i = 0; own_keys[i]; i++)
        if (strcmp(own_keys[i], name) == 0)
            return true;
    for (size_t i = 0; i < nsteps; i++)
        if (strcmp(steps[i].name, name) == 0)
            return true;
    return false;
}

int souk_identity_register_privacy_step(const souk_identity_privacy_step *step)
{
    if (!step->name || !*step->name || name_taken(step->name) || nsteps == SOUK_IDENTITY_PRIVACY_STEPS) {
        SOUK_BUG("identity: refusing privacy step '%s' (no name, taken, or too many)", step->name ? step->name : "");
        return -1;
    }
    steps[nsteps++] = *step;
    return 0;
}

int souk__identity_privacy_export(souk_store *db, int64_t user, json_t *out)
{
    for (size_t i = 0; i < nsteps; i++) {
        if (!steps[i].export_json)
            continue;
        json_t *part = steps[i].export_json(db, user);
        if (!part || json_object_set_new(out, steps[i].name, part) < 0)
            return -1;
    }
    return 0;
}

int souk__identity_privacy_erase_tx(souk_store *db, int64_t user, const char *email)
{
    for (size_t i = 0; i < nsteps; i++) {
        int r = steps[i].erase_tx ? steps[i].erase_tx(db, user, email) : 0;
        if (r < 0)
            return r;
    }
    return 0;
}
