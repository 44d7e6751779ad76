/*
 * facts.c — the fact tables: chunked integer columns that only grow, the
 * dictionaries that turn 64-bit ids into dense indexes, and the appends.
 *
 * Publication order (a reader relies on it): dictionary ids, then orders,
 * then lines and refunds, each with a release store of its row count; a
 * reader loads lines and refunds first, then orders, then the dictionaries
 * (souk_analytics_snap in report.h), so every index it meets is below the count it
 * took.
 */
#include "analytics/analytics.h"

#include <stdlib.h>
#include <string.h>

#include "analytics/internal.h"
#include "core/banned.h"

#define EMPTY INT64_MIN

/* ---- tables ---- */

static void table_init(souk_analytics_table *t, size_t chunk_bytes)
{
    memset(t->chunks, 0, sizeof t->chunks);
    atomic_store(&t->n, 0);
    t->chunk_bytes = chunk_bytes;
}

static void table_release(souk_analytics_table *t)
{
    for (size_t i = 0; i < SOUK_ANALYTICS_CHUNKS_MAX && t->chunks[i]; i++)
        free(t->chunks[i]);
    memset(t->chunks, 0, sizeof t->chunks);
}

/* The chunk that row N (not yet published) goes into, allocated when new. */
static void *table_slot(souk_analytics_table *t, size_t n)
{
    size_t c = n >> SOUK_ANALYTICS_CHUNK_BITS;
    if (c >= SOUK_ANALYTICS_CHUNKS_MAX)
        return NULL;
    if (!t->chunks[c])
        t->chunks[c] = calloc(1, t->chunk_bytes);
    return t->chunks[c];
}

static size_t table_bytes(const souk_analytics_table *t)
{
    size_t n = 0;
    for (size_t i = 0; i < SOUK_ANALYTICS_CHUNKS_MAX && t->chunks[i]; i++)
        n += t->chunk_bytes;
    return n;
}

/* ---- the id set and the dictionary (open addressing, linear probing) ---- */

static uint64_t mix(int64_t k)
{
    uint64_t x = (uint64_t)k;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static int set_grow(souk_analytics_set *s)
{
    size_t cap = s->cap ? s->cap * 2 : 1024;
    int64_t *keys = malloc(cap * sizeof *keys);
    if (!keys)
        return -1;
    for (size_t i = 0; i < cap; i++)
        keys[i] = EMPTY;
    for (size_t i = 0; i < s->cap; i++)
        if (s->keys[i] != EMPTY) {
            size_t j = mix(s->keys[i]) & (cap - 1);
            while (keys[j] != EMPTY)
                j = (j + 1) & (cap - 1);
            keys[j] = s->keys[i];
        }
    free(s->keys);
    s->keys = keys;
    s->cap = cap;
    return 0;
}

/* 1 added, 0 there already, -1 out of memory. */
static int set_add(souk_analytics_set *s, int64_t k)
{
    if ((s->used + 1) * 2 > s->cap && set_grow(s) < 0)
        return -1;
    size_t j = mix(k) & (s->cap - 1);
    while (s->keys[j] != EMPTY) {
        if (s->keys[j] == k)
            return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->keys[j] = k;
    s->used++;
    return 1;
}

static bool set_has(const souk_analytics_set *s, int64_t k)
{
    if (!s->cap)
        return false;
    size_t j = mix(k) & (s->cap - 1);
    while (s->keys[j] != EMPTY) {
        if (s->keys[j] == k)
            return true;
        j = (j + 1) & (s->cap - 1);
    }
    return false;
}

static int dict_grow(souk_analytics_dict *d)
{
    size_t cap = d->cap ? d->cap * 2 : 1024;
    int64_t *keys = malloc(cap * sizeof *keys);
    int32_t *vals = malloc(cap * sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return -1;
    }
    for (size_t i = 0; i < cap; i++)
        keys[i] = EMPTY;
    for (size_t i = 0; i < d->cap; i++)
        if (d->keys[i] != EMPTY) {
            size_t j = mix(d->keys[i]) & (cap - 1);
            while (keys[j] != EMPTY)
                j = (j + 1) & (cap - 1);
            keys[j] = d->keys[i];
            vals[j] = d->vals[i];
        }
    free(d->keys);
    free(d->vals);
    d->keys = keys;
    d->vals = vals;
    d->cap = cap;
    return 0;
}

/* The index of K (added, and published, when new); -1 out of memory. */
static int32_t dict_get(souk_analytics_dict *d, int64_t k, bool *added)
{
    if (added)
        *added = false;
    if ((d->used + 1) * 2 > d->cap && dict_grow(d) < 0)
        return -1;
    size_t j = mix(k) & (d->cap - 1);
    while (d->keys[j] != EMPTY) {
        if (d->keys[j] == k)
            return d->vals[j];
        j = (j + 1) & (d->cap - 1);
    }
    size_t n = atomic_load_explicit(&d->ids.n, memory_order_relaxed);
    int64_t *chunk = table_slot(&d->ids, n);
    if (!chunk || n >= INT32_MAX)
        return -1;
    chunk[SOUK_ANALYTICS_ROW_OF(n)] = k;
    atomic_store_explicit(&d->ids.n, n + 1, memory_order_release);
    d->keys[j] = k;
    d->vals[j] = (int32_t)n;
    d->used++;
    if (added)
        *added = true;
    return (int32_t)n;
}

/* The index of K, or -1 (the writer's map). */
static int32_t dict_find(const souk_analytics_dict *d, int64_t k)
{
    if (!d->cap)
        return -1;
    size_t j = mix(k) & (d->cap - 1);
    while (d->keys[j] != EMPTY) {
        if (d->keys[j] == k)
            return d->vals[j];
        j = (j + 1) & (d->cap - 1);
    }
    return -1;
}

int64_t souk_analytics_dict_id(const souk_analytics_dict *d, int32_t i)
{
    const int64_t *chunk = SOUK_ANALYTICS_CHUNK_OF(&d->ids, i);
    return chunk[SOUK_ANALYTICS_ROW_OF(i)];
}

int32_t souk_analytics_dict_scan(const souk_analytics_dict *d, int64_t id)
{
    size_t n = atomic_load_explicit(&d->ids.n, memory_order_acquire);
    for (size_t i = 0; i < n; i++)
        if (souk_analytics_dict_id(d, (int32_t)i) == id)
            return (int32_t)i;
    return -1;
}

static void dict_init(souk_analytics_dict *d)
{
    memset(d, 0, sizeof *d);
    table_init(&d->ids, SOUK_ANALYTICS_CHUNK * sizeof(int64_t));
}

static void dict_release(souk_analytics_dict *d)
{
    free(d->keys);
    free(d->vals);
    table_release(&d->ids);
}

static size_t dict_bytes(const souk_analytics_dict *d)
{
    return d->cap * (sizeof(int64_t) + sizeof(int32_t)) + table_bytes(&d->ids);
}

/* ---- the facts ---- */

int souk_analytics_facts_init(souk_analytics_facts *f, const char *tz_name)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->write_mu, NULL);
    table_init(&f->orders, sizeof(souk_analytics_order_chunk));
    table_init(&f->lines, sizeof(souk_analytics_line_chunk));
    table_init(&f->refunds, sizeof(souk_analytics_refund_chunk));
    table_init(&f->events, sizeof(souk_analytics_event_chunk));
    dict_init(&f->customers);
    dict_init(&f->products);
    dict_init(&f->categories);
    dict_init(&f->vendors);
    dict_init(&f->visitors);
    dict_init(&f->order_rows);
    if (souk_analytics_tz_load(&f->tz, tz_name ? tz_name : "UTC") < 0) {
        pthread_mutex_destroy(&f->write_mu);
        return -1;
    }
    return 0;
}

void souk_analytics_facts_release(souk_analytics_facts *f)
{
    table_release(&f->orders);
    table_release(&f->lines);
    table_release(&f->refunds);
    table_release(&f->events);
    dict_release(&f->customers);
    dict_release(&f->products);
    dict_release(&f->categories);
    dict_release(&f->vendors);
    dict_release(&f->visitors);
    dict_release(&f->order_rows);
    free(f->order_ids.keys);
    free(f->refund_ids.keys);
    souk_analytics_tz_release(&f->tz);
    pthread_mutex_destroy(&f->write_mu);
}

size_t souk_analytics_facts_bytes(const souk_analytics_facts *f)
{
    return table_bytes(&f->orders) + table_bytes(&f->lines) + table_bytes(&f->refunds) + table_bytes(&f->events) +
           dict_bytes(&f->customers) + dict_bytes(&f->products) + dict_bytes(&f->categories) + dict_bytes(&f->vendors) +
           dict_bytes(&f->visitors) + dict_bytes(&f->order_rows) +
           (f->order_ids.cap + f->refund_ids.cap) * sizeof(int64_t);
}

size_t souk_analytics_facts_order_bytes(const souk_analytics_facts *f)
{
    return table_bytes(&f->orders) + table_bytes(&f->lines) + table_bytes(&f->refunds) + dict_bytes(&f->customers) +
           dict_bytes(&f->products) + dict_bytes(&f->categories) + dict_bytes(&f->vendors) +
           dict_bytes(&f->order_rows) + (f->order_ids.cap + f->refund_ids.cap) * sizeof(int64_t);
}

int souk_analytics_currency_find(const souk_analytics_facts *f, const char *code)
{
    int n = atomic_load_explicit(&f->ncurrencies, memory_order_acquire);
    for (int i = 0; i < n; i++)
        if (strcmp(f->currencies[i], code) == 0)
            return i;
    return -1;
}

static int currency_index(souk_analytics_facts *f, const char *code)
{
    if (!code || strlen(code) != 3)
        return -1;
    int i = souk_analytics_currency_find(f, code);
    if (i >= 0)
        return i;
    int n = atomic_load_explicit(&f->ncurrencies, memory_order_relaxed);
    if (n >= SOUK_ANALYTICS_CURRENCIES_MAX)
        return -1;
    memcpy(f->currencies[n], code, 4);
    atomic_store_explicit(&f->ncurrencies, n + 1, memory_order_release);
    return n;
}

/* The dense index of an optional id (0 = none → -1); -2 out of memory. */
static int32_t optional_index(souk_analytics_dict *d, int64_t id)
{
    if (!id)
        return -1;
    int32_t i = dict_get(d, id, NULL);
    return i < 0 ? -2 : i;
}

int souk_analytics_add_order(souk_analytics_facts *f, const souk_analytics_order_in *o)
{
    if (set_has(&f->order_ids, o->order_id))
        return 0;
    int cur = currency_index(f, o->currency);
    int32_t customer = optional_index(&f->customers, o->user_id);
    if (cur < 0 || customer == -2)
        return -1;
    int32_t day = souk_analytics_tz_day(&f->tz, o->paid_at);
    size_t on = atomic_load_explicit(&f->orders.n, memory_order_relaxed);
    size_t ln = atomic_load_explicit(&f->lines.n, memory_order_relaxed);
    souk_analytics_order_chunk *oc = table_slot(&f->orders, on);
    if (!oc || on >= INT32_MAX)
        return -1;
    int64_t sum = 0;
    for (size_t i = 0; i < o->nlines; i++) {
        const souk_analytics_line_in *l = &o->lines[i];
        souk_analytics_line_chunk *lc = table_slot(&f->lines, ln + i);
        int32_t product = optional_index(&f->products, l->product_id);
        int32_t category = optional_index(&f->categories, l->category_id);
        int32_t vendor = optional_index(&f->vendors, l->vendor_id);
        if (!lc || product == -2 || category == -2 || vendor == -2)
            return -1;
        size_t r = SOUK_ANALYTICS_ROW_OF(ln + i);
        lc->order[r] = (int32_t)on;
        lc->day[r] = day;
        lc->customer[r] = customer;
        lc->product[r] = product;
        lc->category[r] = category;
        lc->vendor[r] = vendor;
        lc->quantity[r] = (int32_t)l->quantity;
        lc->amount[r] = l->amount;
        lc->currency[r] = (uint8_t)cur;
        lc->channel[r] = (uint8_t)o->channel;
        if (r == 0 || day < atomic_load_explicit(&lc->min_day, memory_order_relaxed))
            atomic_store_explicit(&lc->min_day, day, memory_order_relaxed);
        if (r == 0 || day > atomic_load_explicit(&lc->max_day, memory_order_relaxed))
            atomic_store_explicit(&lc->max_day, day, memory_order_relaxed);
        sum += l->amount;
    }
    size_t r = SOUK_ANALYTICS_ROW_OF(on);
    oc->day[r] = day;
    oc->customer[r] = customer;
    oc->amount[r] = sum;
    oc->currency[r] = (uint8_t)cur;
    oc->channel[r] = (uint8_t)o->channel;
    bool added;
    if (dict_get(&f->order_rows, o->order_id, &added) != (int32_t)on || set_add(&f->order_ids, o->order_id) < 0)
        return -1;
    atomic_store_explicit(&f->orders.n, on + 1, memory_order_release);
    atomic_store_explicit(&f->lines.n, ln + o->nlines, memory_order_release);
    atomic_fetch_add_explicit(&f->version, 1, memory_order_release);
    return 1;
}

int souk_analytics_add_refund(souk_analytics_facts *f, int64_t refund_id, int64_t order_id, int64_t at, int64_t amount)
{
    int32_t row = dict_find(&f->order_rows, order_id);
    if (row < 0 || set_has(&f->refund_ids, refund_id))
        return 0;
    size_t n = atomic_load_explicit(&f->refunds.n, memory_order_relaxed);
    souk_analytics_refund_chunk *c = table_slot(&f->refunds, n);
    if (!c || set_add(&f->refund_ids, refund_id) < 0)
        return -1;
    size_t r = SOUK_ANALYTICS_ROW_OF(n);
    c->order[r] = row;
    c->day[r] = souk_analytics_tz_day(&f->tz, at);
    c->amount[r] = amount;
    atomic_store_explicit(&f->refunds.n, n + 1, memory_order_release);
    atomic_fetch_add_explicit(&f->version, 1, memory_order_release);
    return 1;
}

int souk_analytics_add_event(souk_analytics_facts *f, int64_t visitor_key, int type, int64_t at)
{
    if (type != SOUK_ANALYTICS_EV_PAGE_VIEW && type != SOUK_ANALYTICS_EV_PRODUCT_VIEW &&
        type != SOUK_ANALYTICS_EV_SEARCH && type != SOUK_ANALYTICS_EV_ADD_TO_CART &&
        type != SOUK_ANALYTICS_EV_CHECKOUT_STARTED && type != SOUK_ANALYTICS_EV_PURCHASE && type != 4 && type != 6 &&
        type != 8 && type != 9)
        return 0;
    int32_t v = dict_get(&f->visitors, visitor_key, NULL);
    size_t n = atomic_load_explicit(&f->events.n, memory_order_relaxed);
    souk_analytics_event_chunk *c = table_slot(&f->events, n);
    if (v < 0 || !c)
        return -1;
    size_t r = SOUK_ANALYTICS_ROW_OF(n);
    c->day[r] = souk_analytics_tz_day(&f->tz, at);
    c->sec[r] = (uint32_t)(at / 1000000);
    c->visitor[r] = v;
    c->type[r] = (uint8_t)type;
    atomic_store_explicit(&f->events.n, n + 1, memory_order_release);
    return 1;
}

void souk__analytics_events_published(souk_analytics_facts *f)
{
    atomic_fetch_add_explicit(&f->version, 1, memory_order_release);
}
