/*
 * promo_snapshot.c — the shop's promotions held in memory (see
 * internal.h). One snapshot per process, shared by every worker thread and
 * replaced, never changed: a reader holds a reference while it prices a
 * cart, the last one out frees it. It is reloaded when promotion_state's
 * generation moves (every admin write and every global limit reached or
 * freed bumps it in the same transaction) or when the category tree its
 * category sets were resolved against may have changed (the catalog's
 * SOUK_CATALOG_TREE version moved: every category write counts one; other
 * catalog writes do not reload it, a line's brand, vendor and category come
 * with the line).
 */
#include "cart/internal.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/bug.h"
#include "core/id.h"
#include "core/banned.h"

/* Writers (a thread that loaded a newer snapshot) install it under LOCK;
 * CURRENT holds one reference, PUBLISHED counts the installs. Readers keep
 * a reference to the last snapshot they saw per thread (MINE) and take the
 * lock only when PUBLISHED moved since: pricing a cart never waits. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static souk__promo_snap *current;
static atomic_uint_fast64_t published;
static _Thread_local souk__promo_snap *mine;
static _Thread_local uint_fast64_t mine_at;
static pthread_key_t mine_key; /* its destructor gives a finished thread's reference back */
static pthread_once_t mine_once = PTHREAD_ONCE_INIT;

static void snap_free(souk__promo_snap *s)
{
    for (int i = 0; s->p && i < s->n; i++) {
        free(s->p[i].target.sub);
        free(s->p[i].buy.sub);
    }
    for (int i = 0; i < s->n; i++) {
        if (s->id_json)
            json_decref(s->id_json[i]);
        if (s->name_json)
            json_decref(s->name_json[i]);
    }
    free(s->id_json);
    free(s->name_json);
    free(s->p);
    free(s);
}

/* Each promotion's id and name as JSON strings, made once per snapshot
 * (the cart's answer shares them). -1 when memory ran out. */
static int strings(souk__promo_snap *s)
{
    s->id_json = calloc((size_t)(s->n ? s->n : 1), sizeof *s->id_json);
    s->name_json = calloc((size_t)(s->n ? s->n : 1), sizeof *s->name_json);
    if (!s->id_json || !s->name_json)
        return -1;
    for (int i = 0; i < s->n; i++) {
        char id[SOUK_ID_TEXT_MAX];
        s->id_json[i] = json_string(souk_id_format("promo", s->p[i].id, id));
        size_t n = strlen(s->p[i].name);
        s->name_json[i] = json_stringn(s->p[i].name, n);
        for (int k = 0; !s->name_json[i] && k < 3 && n > 0; k++) /* cut inside a character by the 128-byte copy */
            s->name_json[i] = json_stringn(s->p[i].name, --n);
        if (!s->name_json[i]) /* a row written by another tool */
            s->name_json[i] = json_string("(invalid UTF-8)");
        if (!s->id_json[i] || !s->name_json[i])
            return -1;
    }
    return 0;
}

void souk__promo_snap_release(souk__promo_snap *s)
{
    if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
        snap_free(s);
}

static void thread_done(void *s)
{
    souk__promo_snap_release(s);
}

static void make_key(void)
{
    if (pthread_key_create(&mine_key, thread_done) != 0)
        SOUK_BUG("pthread_key_create failed");
}

/* This thread's reference to the installed snapshot (NULL: none yet),
 * renewed under the lock only after an install. */
static souk__promo_snap *latest(void)
{
    uint_fast64_t at = atomic_load_explicit(&published, memory_order_acquire);
    if (at == mine_at)
        return mine;
    pthread_once(&mine_once, make_key);
    pthread_mutex_lock(&lock);
    souk__promo_snap *s = current;
    if (s)
        atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    at = atomic_load_explicit(&published, memory_order_relaxed);
    pthread_mutex_unlock(&lock);
    souk__promo_snap *old = mine;
    mine = s;
    mine_at = at;
    pthread_setspecific(mine_key, s);
    souk__promo_snap_release(old);
    return s;
}

souk__promo_snap *souk__promo_snap_acquire(void)
{
    /* the thread's own reference keeps S alive while it takes one more */
    souk__promo_snap *s = latest();
    if (s)
        atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

/* JSON array text T of ids into S (at most SOUK_PROMO_MAX_SET). */
static void ids_into(const char *t, const char *kind, souk_promo_set *s)
{
    int k = souk_promo_set_kind_parse(kind);
    s->kind = k < 0 ? SOUK_PROMO_SET_ALL : (souk_promo_set_kind)k;
    s->n = 0;
    json_t *a = t ? json_loads(t, 0, NULL) : NULL;
    for (size_t i = 0; i < json_array_size(a) && s->n < SOUK_PROMO_MAX_SET; i++)
        if (json_is_integer(json_array_get(a, i)))
            s->ids[s->n++] = json_integer_value(json_array_get(a, i));
    json_decref(a);
}

/* One row of promotions into P. */
static void row_into(souk_stmt *st, souk_promo *p)
{
    memset(p, 0, sizeof *p);
    size_t len;
    const char *t;
    p->id = souk_stmt_i64(st, 0);
    t = souk_stmt_text(st, 1, &len);
    snprintf(p->name, sizeof p->name, "%.*s", (int)(t ? len : 0), t ? t : "");
    int k = souk_promo_kind_parse(souk_stmt_text(st, 2, &len));
    p->kind = k < 0 ? SOUK_PROMO_PERCENT : (souk_promo_kind)k;
    ids_into(souk_stmt_text(st, 4, &len), souk_stmt_text(st, 3, &len), &p->target);
    ids_into(souk_stmt_text(st, 6, &len), souk_stmt_text(st, 5, &len), &p->buy);
    p->value = souk_stmt_i64(st, 7);
    p->buy_qty = souk_stmt_i64(st, 8);
    p->get_qty = souk_stmt_i64(st, 9);
    json_t *tiers = json_loads(souk_stmt_text(st, 10, &len), 0, NULL);
    for (size_t i = 0; i < json_array_size(tiers) && p->ntiers < SOUK_PROMO_MAX_TIERS; i++) {
        const json_t *x = json_array_get(tiers, i);
        p->tier_min[p->ntiers] = json_integer_value(json_object_get(x, "min"));
        p->tier_bp[p->ntiers++] = json_integer_value(json_object_get(x, "rate_bp"));
    }
    json_decref(tiers);
    p->min_subtotal = souk_stmt_i64(st, 11);
    t = souk_stmt_text(st, 12, &len);
    snprintf(p->currency, sizeof p->currency, "%s", t && len == 3 ? t : "");
    p->starts_at = souk_stmt_i64(st, 13);
    p->ends_at = souk_stmt_i64(st, 14);
    p->exclusive = souk_stmt_i64(st, 15) != 0;
    p->priority = (int)souk_stmt_i64(st, 16);
    p->needs_code = souk_stmt_i64(st, 17) != 0;
    p->flash = souk_stmt_i64(st, 18) != 0;
    p->used_up = souk_stmt_i64(st, 19) != 0;
    p->limited = souk_stmt_i64(st, 20) != 0;
    p->per_customer = souk_stmt_i64(st, 21) != 0;
    p->audience = souk_stmt_i64(st, 22);
}

static souk_err load(souk_store *db, int64_t gen, int64_t cat_key, souk__promo_snap **out)
{
    souk__promo_snap *s = calloc(1, sizeof *s);
    souk__promo_tree *tree = NULL;
    souk_err e = s ? souk__promo_tree_load(db, &tree) : SOUK_E_INTERNAL;
    if (!e && !(s->p = calloc(SOUK_PROMO_MAX, sizeof *s->p)))
        e = SOUK_E_INTERNAL;
    if (e) {
        souk__promo_tree_free(tree);
        if (s)
            free(s->p);
        free(s);
        return e;
    }
    s->gen = gen;
    s->cat_key = cat_key;
    atomic_init(&s->refs, 1);
    souk_stmt *st = souk_store_query(
        db,
        "SELECT id, name, kind, target_kind, target_ids, buy_kind, buy_ids, value, buy_qty, get_qty, tiers, "
        "min_subtotal, currency, coalesce(starts_at, 0), coalesce(ends_at, 0), exclusive, priority, needs_code, "
        "flash, CASE WHEN usage_limit IS NOT NULL AND used_count >= usage_limit THEN 1 ELSE 0 END, "
        "CASE WHEN usage_limit IS NOT NULL OR per_customer_limit IS NOT NULL THEN 1 ELSE 0 END, "
        "CASE WHEN per_customer_limit IS NOT NULL THEN 1 ELSE 0 END, coalesce(audience_id, 0) "
        "FROM promotions WHERE active = 1 ORDER BY priority DESC, id LIMIT $1",
        SOUK_ARGS(SOUK_I64(SOUK_PROMO_MAX)));
    int r;
    bool oom = false;
    while ((r = souk_stmt_next(st, NULL)) == SOUK_DB_ROW && s->n < SOUK_PROMO_MAX) {
        souk_promo *p = &s->p[s->n++];
        row_into(st, p);
        if (souk__promo_tree_resolve(tree, &p->target) < 0 || souk__promo_tree_resolve(tree, &p->buy) < 0)
            oom = true;
        s->per_customer = s->per_customer || p->per_customer;
        s->audiences = s->audiences || p->audience != 0;
    }
    if (r == SOUK_DB_ROW)
        souk_stmt_done(st);
    souk__promo_tree_free(tree);
    if (r < 0 || oom || strings(s) < 0) {
        snap_free(s);
        return r < 0 ? souk_store_dberr(r) : SOUK_E_INTERNAL;
    }
    *out = s;
    return SOUK_OK;
}

souk_err souk__promo_snap_refresh(souk_store *db, int64_t gen, int64_t cat_key)
{
    const souk__promo_snap *have = latest();
    if (have && have->gen == gen && have->cat_key == cat_key)
        return SOUK_OK;
    souk__promo_snap *s = NULL;
    souk_err e = load(db, gen, cat_key, &s);
    if (e)
        return e;
    pthread_mutex_lock(&lock);
    souk__promo_snap *old = NULL;
    /* both counters only grow: install what is newer than the installed one
     * (another thread may have installed this one or a newer one meanwhile) */
    if (!current || gen > current->gen || (gen == current->gen && cat_key > current->cat_key)) {
        old = current;
        current = s;
        s = NULL;
        atomic_fetch_add_explicit(&published, 1, memory_order_release);
    }
    pthread_mutex_unlock(&lock);
    souk__promo_snap_release(old);
    souk__promo_snap_release(s);
    return SOUK_OK;
}
