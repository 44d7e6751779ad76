/*
 * paid_write.c — the answer of a checkout that placed and paid its order in
 * one transaction, written straight into a buffer from what the
 * transaction wrote (souk__placed, souk__order): no read back and no jansson
 * tree. It runs on the group committer, whose time every write of the
 * process waits for; building, dumping and freeing the order's tree was an
 * eighth of that thread's work per purchase.
 *
 * The bytes are those souk__order_json + json_dumps(JSON_COMPACT) give for
 * the same order read back (read.c): the same keys in the same order, the
 * same escaping (core/jsonw.h). tests/api/answers_reread.test.js compares
 * the two on every kind of order checkout makes. A change to the order's
 * JSON is made in both places.
 */
#include "orders/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/id.h"
#include "core/jsonw.h"
#include "core/banned.h"

#define LIT(b, s) SOUK_JW_LIT(b, s)

static void put_str(souk_buf *b, const char *s) /* NULL: "" (text_json) */
{
    souk_jw_str(b, s, SOUK_JW_AS_JANSSON);
}

static void put_str_or_null(souk_buf *b, const char *s)
{
    if (s)
        put_str(b, s);
    else
        LIT(b, "null");
}

static void put_ref_or_null(souk_buf *b, const char *prefix, int64_t id, bool present)
{
    if (present)
        souk_jw_id(b, prefix, id);
    else
        LIT(b, "null");
}

static void put_money(souk_buf *b, int64_t amount, const char *cur)
{
    LIT(b, "{\"amount\":");
    souk_jw_int(b, amount);
    LIT(b, ",\"currency\":");
    put_str(b, cur);
    souk_buf_addc(b, '}');
}

/* json_dump_callback's writer */
static int dump_to(const char *s, size_t n, void *b)
{
    return souk_buf_add(b, s, n) < 0 ? -1 : 0;
}

/* the stored address as read.c shows it: parsed and written again, {} when
 * it does not parse */
static void put_address(souk_buf *b, const char *address_json)
{
    json_t *a = address_json ? json_loads(address_json, 0, NULL) : NULL;
    if (!a || json_dump_callback(a, dump_to, b, JSON_COMPACT) < 0)
        LIT(b, "{}");
    json_decref(a);
}

static void put_line(souk_buf *b, const souk__placed_line *l, const char *cur)
{
    LIT(b, "{\"variant_id\":");
    souk_jw_id(b, "var", l->variant);
    LIT(b, ",\"product_id\":");
    souk_jw_id(b, "prod", l->product);
    LIT(b, ",\"vendor_id\":");
    put_ref_or_null(b, "vend", l->vendor, l->vendor != 0);
    LIT(b, ",\"sku\":");
    put_str(b, l->sku);
    LIT(b, ",\"product_title\":");
    put_str(b, l->product_title);
    LIT(b, ",\"variant_title\":");
    put_str(b, l->variant_title);
    LIT(b, ",\"quantity\":");
    souk_jw_int(b, l->quantity);
    LIT(b, ",\"unit_price\":");
    put_money(b, l->unit_amount, cur);
    LIT(b, ",\"line_total\":");
    put_money(b, l->line_total, cur);
    LIT(b, ",\"discount\":");
    put_money(b, l->discount, cur);
    LIT(b, ",\"fulfilled_quantity\":0,\"returned_quantity\":0}");
}

static void put_sub(souk_buf *b, const souk__placed_sub *s, const char *cur)
{
    LIT(b, "{\"id\":");
    souk_jw_id(b, SOUK_PREFIX_SUB_ORDER, s->id);
    LIT(b, ",\"vendor_id\":");
    put_ref_or_null(b, "vend", s->vendor, s->vendor != 0);
    LIT(b, ",\"state\":\"paid\",\"subtotal\":");
    put_money(b, s->subtotal, cur);
    LIT(b, ",\"commission_bp\":");
    souk_jw_int(b, s->commission_bp);
    LIT(b, ",\"commission\":");
    put_money(b, s->commission, cur);
    LIT(b, ",\"carrier\":null,\"tracking\":null}");
}

static void put_history(souk_buf *b, const char *from, const char *to, const char *note, const char *actor, int64_t at)
{
    LIT(b, "{\"from\":");
    put_str_or_null(b, from);
    LIT(b, ",\"to\":");
    put_str(b, to);
    LIT(b, ",\"note\":");
    put_str(b, note);
    LIT(b, ",\"actor\":");
    put_str(b, actor);
    LIT(b, ",\"at\":");
    souk_jw_time(b, at);
    LIT(b, ",\"sub_order_id\":null}");
}

souk_err souk__order_paid_write(const souk__placed *p, const souk__order *o, const char *order_token, souk_buf *b)
{
    if (strcmp(o->state, "paid") != 0 || !o->paid_at || p->o.id != o->id)
        return SOUK_E_INTERNAL; /* our bug: only what this transaction paid is written from memory */
    const char *cur = o->currency;
    char ref[SOUK_ID_TEXT_MAX];
    LIT(b, "{\"id\":");
    put_str(b, souk__order_ref(o->id, ref));
    LIT(b, ",\"state\":");
    put_str(b, o->state);
    LIT(b, ",\"payment_status\":");
    put_str(b, o->payment_status);
    LIT(b, ",\"email\":");
    put_str(b, o->email);
    LIT(b, ",\"customer_id\":");
    put_ref_or_null(b, "usr", o->user_id, o->user_id != 0);
    LIT(b, ",\"currency\":");
    put_str(b, cur);
    /* as souk__order_pay_tx leaves the row: paid, the payment succeeded,
     * no decline, no secret shown */
    static const char *const totals[] = {
        "{\"subtotal\":", ",\"discount\":", ",\"shipping\":", ",\"tax\":", ",\"total\":", ",\"refunded\":"};
    const int64_t amounts[] = {p->subtotal, p->discount, p->shipping, p->tax, o->total, o->refunded};
    LIT(b, ",\"totals\":");
    for (size_t i = 0; i < sizeof totals / sizeof totals[0]; i++) {
        souk_buf_adds(b, totals[i]);
        put_money(b, amounts[i], cur);
    }
    LIT(b, "},\"prices_include_tax\":");
    if (p->prices_include_tax)
        LIT(b, "true");
    else
        LIT(b, "false");
    LIT(b, ",\"shipping_method\":");
    put_str_or_null(b, p->shipping_method);
    LIT(b, ",\"coupon\":");
    put_str_or_null(b, p->coupon);
    LIT(b, ",\"shipping_address\":");
    put_address(b, p->address_json);
    LIT(b, ",\"payment\":{\"gateway\":");
    put_str(b, p->gateway);
    LIT(b, ",\"intent_id\":");
    put_str_or_null(b, o->intent_id[0] ? o->intent_id : NULL);
    LIT(b, ",\"client_secret\":null,\"status\":\"succeeded\",\"decline_code\":null},\"created_at\":");
    souk_jw_time(b, p->created_at);
    LIT(b, ",\"updated_at\":");
    souk_jw_time(b, o->paid_at);
    LIT(b, ",\"paid_at\":");
    souk_jw_time(b, o->paid_at);
    LIT(b, ",\"lines\":[");
    for (size_t i = 0; i < p->nlines; i++) {
        if (i)
            souk_buf_addc(b, ',');
        put_line(b, &p->lines[i], cur);
    }
    LIT(b, "],\"sub_orders\":[");
    for (size_t i = 0; i < p->nsubs; i++) {
        if (i)
            souk_buf_addc(b, ',');
        put_sub(b, &p->subs[i], cur);
    }
    /* the two rows of its life so far: placed, then paid (as place.c and
     * souk__order_pay_tx write them: each at the time of its change) */
    const char *actor = p->actor ? p->actor : "system";
    LIT(b, "],\"history\":[");
    put_history(b, NULL, "pending_payment", "checkout", actor, p->created_at);
    souk_buf_addc(b, ',');
    put_history(b, "pending_payment", "paid", "payment succeeded", actor, o->paid_at);
    /* nothing refunded or returned yet */
    LIT(b, "],\"refunds\":[],\"returns\":[]");
    if (order_token) {
        LIT(b, ",\"order_token\":");
        put_str(b, order_token);
    }
    souk_buf_addc(b, '}');
    return souk_buf_failed(b) ? SOUK_E_INTERNAL : SOUK_OK;
}
