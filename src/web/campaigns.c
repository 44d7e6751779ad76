/*
 * campaigns.c — the storefront page of a campaign mail's unsubscribe link:
 * GET /campaigns/unsubscribe?t=… shows one button (a GET never writes, and
 * mail scanners follow links), whose POST (CSRF-checked like every form)
 * records the opt-out through src/campaigns (the page is unsubscribe.c's,
 * shared with the wishlist alerts). The signed token is the authority: no
 * sign-in is needed. Never cached (it holds a form).
 */
#include "web/internal.h"

#include "campaigns/campaigns.h"
#include "core/banned.h"

static const souk__web_unsub unsub = {
    .title = "Offers by e-mail",
    .question = "Stop our campaign e-mails (offers for returning and best customers)? E-mails about your orders "
                "and your account still come.",
    .action = "/campaigns/unsubscribe",
    .done = "You are unsubscribed: you will get no more campaign e-mails.",
    .audit_type = "campaign_optout",
    .token_min = 6,
    .token_max = SOUK_CAMPAIGNS_UNSUB_MAX - 1,
    .unsubscribe_tx = souk_campaigns_unsubscribe_tx,
};

int souk_web_campaigns_unsubscribe(souk_req *req, souk_res *res)
{
    return souk__web_unsub_page(req, res, &unsub);
}

int souk_web_campaigns_unsubscribe_submit(souk_req *req, souk_res *res)
{
    return souk__web_unsub_submit(req, res, &unsub);
}
