/*
 * payment_check.c — a payment pays an order only when it is for the order's
 * total. Every path on which the gateway says money was taken (the
 * synchronous confirmation at checkout, a resumed checkout, the webhook)
 * comes here with what the provider reported: the intent's amount, what it
 * took (amount_received) and the currency. A payment that does not match
 * leaves the order as it is (unpaid), flags it for review (orders.review_*,
 * shown to staff), appends an audit entry, is counted in
 * souk_payment_mismatches_total, and — the money having been taken — is
 * refunded through the job queue to the intent that took it, once per
 * intent. See docs/orders.md "Payments that do not match".
 */
#include "orders/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit/audit.h"
#include "core/id.h"
#include "core/metrics.h"
#include "core/time.h"
#include "core/banned.h"

static int metric_webhook = -1, metric_checkout = -1;

void souk__payment_metrics_init(void)
{
    static const char help[] = "Payments refused because their amount or currency differed from the order's total";
    metric_webhook =
        souk_metrics_series("souk_payment_mismatches_total", "source=\"webhook\"", SOUK_METRIC_COUNTER, help);
    metric_checkout =
        souk_metrics_series("souk_payment_mismatches_total", "source=\"checkout\"", SOUK_METRIC_COUNTER, help);
}

void souk__payment_mismatch_count(const char *source)
{
    if (metric_webhook < 0)
        souk__payment_metrics_init();
    souk_metrics_series_add(strcmp(source, "webhook") == 0 ? metric_webhook : metric_checkout, 1);
}

/* What P says was taken: amount_received when it says, else the amount (-1: neither). */
static int64_t taken_of(const souk__payment_report *p)
{
    return p->received >= 0 ? p->received : p->amount;
}

const char *souk__payment_mismatch(const souk__order *o, const souk__payment_report *p, bool taken)
{
    if (!p->currency || strcasecmp(p->currency, o->currency) != 0)
        return "currency_mismatch";
    if (p->amount != o->total || (taken && p->received >= 0 && p->received != o->total))
        return "amount_mismatch";
    return NULL;
}

/* The reported currency in upper case into OUT (17 bytes); "" when none. */
static const char *upper(const char *s, char out[17])
{
    size_t n = 0;
    for (; s && s[n] && n < 16; n++)
        out[n] = (char)toupper((unsigned char)s[n]);
    out[n] = '\0';
    return out;
}

/* Flags O for review after the mismatch WHY of P, audits it and refunds
 * what P took (*REFUND_ID), unless it was refunded already or it is the
 * payment the order was paid with. */
static souk_err flag_tx(souk_store *db, const souk__order *o, const souk__payment_report *p, const char *why,
                        int64_t *refund_id)
{
    *refund_id = 0;
    char currency[17], ref[SOUK_ID_TEXT_MAX], rref[SOUK_ID_TEXT_MAX] = "";
    upper(p->currency, currency);
    int64_t taken = taken_of(p);
    bool paid_by_it = strcmp(o->intent_id, p->intent) == 0 &&
                      (!strcmp(o->payment_status, "succeeded") || !strcmp(o->payment_status, "partially_refunded") ||
                       !strcmp(o->payment_status, "refunded"));
    souk_err e = SOUK_OK;
    if (taken > 0 && !paid_by_it) {
        bool iso = strlen(currency) == 3 && isupper((unsigned char)currency[0]) &&
                   isupper((unsigned char)currency[1]) && isupper((unsigned char)currency[2]);
        e = souk__refund_stray_tx(db, o, p->intent, taken, iso ? currency : NULL,
                                  "a payment that did not match the order total, given back", "system", refund_id);
    }
    if (e)
        return e;
    if (*refund_id)
        souk_id_format(SOUK_PREFIX_REFUND, *refund_id, rref);
    int64_t now = souk_time_now_us();
    int r = souk_store_exec(db,
                            "UPDATE orders SET review_reason = $2, review_source = $3, review_intent_id = $4, "
                            "review_amount = $5, review_currency = $6, review_refund_id = coalesce($7, "
                            "review_refund_id), review_at = $8, updated_at = $8 WHERE id = $1",
                            SOUK_ARGS(SOUK_I64(o->id), SOUK_TEXT(why), SOUK_TEXT(p->source), SOUK_TEXT(p->intent),
                                      taken >= 0 ? SOUK_I64(taken) : SOUK_NULL,
                                      SOUK_TEXT(currency[0] ? currency : NULL), SOUK_REF(*refund_id), SOUK_I64(now)));
    if (r < 0)
        return souk_store_dberr(r);
    json_t *details =
        json_pack("{s:s,s:s,s:s,s:o,s:o,s:I,s:s,s:o}", "reason", why, "source", p->source, "intent_id", p->intent,
                  "reported_amount", taken >= 0 ? json_integer(taken) : json_null(), "reported_currency",
                  currency[0] ? json_string(currency) : json_null(), "order_total", (json_int_t)o->total, "currency",
                  o->currency, "refund_id", rref[0] ? json_string(rref) : json_null());
    char *text = details ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(details);
    if (!text)
        return SOUK_E_INTERNAL;
    souk_audit_entry entry = {.actor_type = "system",
                              .action = "order.payment_mismatch",
                              .object_type = "order",
                              .object_id = souk__order_ref(o->id, ref),
                              .request_id = p->request_id,
                              .details_json = text};
    r = souk_audit_append_tx(db, &entry);
    free(text);
    return souk_store_dberr(r);
}

souk_err souk__payment_succeeded_tx(souk_store *db, souk__order *o, const souk__payment_report *p, const char *actor,
                                    int64_t *refund_id, bool *mismatch)
{
    *refund_id = 0;
    *mismatch = false;
    const char *why = souk__payment_mismatch(o, p, true);
    if (!why)
        return souk__order_payment_succeeded_tx(db, o, actor, refund_id);
    *mismatch = true;
    return flag_tx(db, o, p, why, refund_id);
}
