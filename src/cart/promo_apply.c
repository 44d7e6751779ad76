/* promo_apply.c — a cart's lines priced under the promotions snapshot, and
 * the "promotions" part of the cart's JSON (see internal.h). */
#include "cart/internal.h"

#include <string.h>

#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

void souk__promo_price(const souk__promo_snap *s, const souk__cart_view *v, const int *idx, int n, souk_promo_result *r)
{
    if (!s || s->n == 0 || n == 0) {
        memset(r, 0, offsetof(souk_promo_result, out)); /* the outcomes are not read when n = 0 */
        r->n = 0;
        return;
    }
    souk_promo_line lines[SOUK_PROMO_MAX_LINES];
    for (int i = 0; i < n && i < SOUK_PROMO_MAX_LINES; i++) {
        const souk__cart_line *l = &v->lines[idx[i]];
        lines[i] = (souk_promo_line){.product = l->product,
                                     .brand = l->brand,
                                     .vendor = l->vendor,
                                     .ncats = l->category ? 1 : 0, /* category sets hold their subtrees */
                                     .cats = {l->category},
                                     .unit = l->unit,
                                     .quantity = l->quantity};
    }
    uint8_t code[SOUK_PROMO_MAX] = {0};
    for (int i = 0; i < s->n && v->h.code_promotion; i++)
        if (s->p[i].id == v->h.code_promotion)
            code[i] = v->h.code_used_up ? SOUK_PROMO_CODE_USED_UP : SOUK_PROMO_CODE_ON;
    for (int i = 0; i < s->n && v->h.nspent; i++) /* the customer's share is used: say so, do not apply */
        for (int k = 0; k < v->h.nspent; k++)
            if (s->p[i].id == v->h.spent[k] && (!s->p[i].needs_code || code[i] == SOUK_PROMO_CODE_ON))
                code[i] = SOUK_PROMO_SPENT;
    for (int i = 0; i < s->n && v->h.naud; i++) /* the customer's audiences */
        for (int k = 0; k < v->h.naud; k++)
            if (s->p[i].audience && s->p[i].audience == v->h.aud[k])
                code[i] |= SOUK_PROMO_MEMBER;
    souk_promo_evaluate(lines, n, v->h.currency, souk_time_now_us(), s->p, s->n, code, r);
}

static json_t *money(int64_t amount, const char *currency)
{
    json_t *m = json_object();
    if (m && (json_object_set_new_nocheck(m, "amount", json_integer((json_int_t)amount)) < 0 ||
              json_object_set_new_nocheck(m, "currency", json_string_nocheck(currency)) < 0)) {
        json_decref(m);
        return NULL;
    }
    return m;
}

/* One outcome O of promotion I of S: {id, name, kind, amount | reason}. The
 * id and name are the snapshot's strings (a reference each: jansson counts
 * them atomically, and nobody changes a string once made), so an entry
 * costs no formatting, copying or UTF-8 check of them. */
static json_t *entry(const souk__promo_snap *s, const souk_promo_outcome *o, const char *currency)
{
    int i = o->promo;
    json_t *one = json_object();
    if (!one || json_object_set_nocheck(one, "id", s->id_json[i]) < 0 ||
        json_object_set_nocheck(one, "name", s->name_json[i]) < 0 ||
        json_object_set_new_nocheck(one, "kind", json_string_nocheck(souk_promo_kind_name(s->p[i].kind))) < 0 ||
        (o->applied ? json_object_set_new_nocheck(one, "amount", money(o->amount, currency))
                    : json_object_set_new_nocheck(one, "reason", json_string_nocheck(o->reason))) < 0) {
        json_decref(one);
        return NULL;
    }
    return one;
}

json_t *souk__promo_json(const souk__promo_snap *s, const souk_promo_result *r, const char *currency, bool why_not)
{
    json_t *applied = json_array(), *not_applied = json_array();
    bool oom = !applied || !not_applied;
    for (int i = 0; s && !oom && i < r->n; i++) {
        const souk_promo_outcome *o = &r->out[i];
        if (!o->applied && !why_not)
            continue;
        if (json_array_append_new(o->applied ? applied : not_applied, entry(s, o, currency)) < 0)
            oom = true;
    }
    if (oom) {
        json_decref(applied);
        json_decref(not_applied);
        return NULL;
    }
    return json_pack("{s:o,s:o}", "applied", applied, "not_applied", not_applied);
}
