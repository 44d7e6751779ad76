/*
 * account_loyalty.c — the account overview's loyalty points: loyalty's own
 * handler called in process (GET /api/v1/users/me/loyalty), its balances
 * and latest entries shown as a short table — when the shop runs a
 * programme, or the customer has entries from when it did.
 */
#include "web/internal.h"

#include <string.h>

#include "loyalty/api.h"
#include "loyalty/loyalty.h"
#include "core/banned.h"

static const char *entry_label(const char *kind)
{
    static const char *const names[][2] = {
        {"earn", "Earned (pending)"},
        {"release", "Now available"},
        {"redeem", "Spent at checkout"},
        {"redeem_reversal", "Given back"},
        {"clawback", "Taken back (refund)"},
        {"debt_payment", "Debt paid"},
        {"expire", "Expired"},
        {"adjust", "Adjusted by the shop"},
    };
    for (size_t i = 0; kind && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i][0], kind) == 0)
            return names[i][1];
    return kind ? kind : "";
}

void souk__web_loyalty_section(souk_req *req, souk_buf *b, const souk_principal *who)
{
    souk__web_call c;
    souk__web_call_run(req, NULL, souk_loyalty_api_me, who, NULL, NULL, 0, NULL, "limit=10", &c);
    /* a shop without a programme shows nothing, unless the customer has points from before */
    souk_loyalty_settings s;
    bool shown = c.answer && (json_array_size(json_object_get(c.answer, "entries")) > 0 ||
                              (souk_loyalty_settings_read(req->store, &s) == SOUK_OK && s.ncurrencies > 0));
    if (!c.err && shown) {
        const json_t *a = c.answer;
        SOUK_HTML_LIT(b, "<section aria-labelledby=\"loyalty-h\">\n<h2 id=\"loyalty-h\">Loyalty points</h2>\n"
                         "<p id=\"loyalty-balance\"><strong>");
        souk_html_int(b, json_integer_value(json_object_get(a, "available")));
        SOUK_HTML_LIT(b, "</strong> points to spend at checkout; ");
        souk_html_int(b, json_integer_value(json_object_get(a, "pending")));
        SOUK_HTML_LIT(b, " pending until their orders' return window ends");
        if (json_integer_value(json_object_get(a, "debt")) > 0) {
            SOUK_HTML_LIT(b, "; ");
            souk_html_int(b, json_integer_value(json_object_get(a, "debt")));
            SOUK_HTML_LIT(b, " owed from refunds, paid from your next points");
        }
        SOUK_HTML_LIT(b, ".</p>\n");
        const json_t *entries = json_object_get(a, "entries");
        if (json_array_size(entries)) {
            SOUK_HTML_LIT(b, "<table id=\"loyalty-history\">\n<caption>Latest changes</caption>\n<thead><tr><th "
                             "scope=\"col\">Date</th><th scope=\"col\">What</th><th scope=\"col\">Points</th><th "
                             "scope=\"col\">Pending</th></tr></thead>\n<tbody>\n");
            size_t i;
            const json_t *e;
            json_array_foreach(entries, i, e)
            {
                const char *at = json_string_value(json_object_get(e, "created_at"));
                SOUK_HTML_LIT(b, "<tr><td>");
                souk_html_textn(b, at ? at : "", at && strlen(at) >= 10 ? 10 : 0);
                SOUK_HTML_LIT(b, "</td><td>");
                souk_html_text(b, entry_label(json_string_value(json_object_get(e, "kind"))));
                SOUK_HTML_LIT(b, "</td><td>");
                souk_html_int(b, json_integer_value(json_object_get(e, "points")));
                SOUK_HTML_LIT(b, "</td><td>");
                souk_html_int(b, json_integer_value(json_object_get(e, "pending")));
                SOUK_HTML_LIT(b, "</td></tr>\n");
            }
            SOUK_HTML_LIT(b, "</tbody>\n</table>\n");
        }
        SOUK_HTML_LIT(b, "</section>\n");
    }
    souk__web_call_done(&c);
}
