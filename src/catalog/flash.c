/*
 * flash.c — flash-sale prices in product detail, product lists and search
 * hits: the cart context publishes its percent flash sales as the view
 * cart_flash_sales (migration 0097; sets of products, categories with their
 * subtrees, brands or vendors as JSON arrays of ids), and the catalog shows
 * what a unit costs while a sale runs. Every answer that can show one is
 * cached no longer than the next window edge (souk_res.cache_until_us,
 * souk_catalog_flash_next_edge), so a sale price never outlives its window.
 */
#include "catalog/internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

#define SALES_MAX 64
#define ANCESTORS_MAX 16

typedef struct sale {
    int64_t rate_bp, starts, ends;
    char kind[16];
    int n;
    int64_t *ids;
} sale;

struct souk__catalog_flash_set {
    int64_t now;
    int n;
    sale s[SALES_MAX];
    int ncat; /* the category tree (id → parent), sorted by id; loaded when a sale names categories */
    int64_t (*cat)[2];
};

static int cmp_cat(const void *a, const void *b)
{
    int64_t x = ((const int64_t *)a)[0], y = ((const int64_t *)b)[0];
    return (x > y) - (x < y);
}

static int64_t parent_of(const souk__catalog_flash_set *f, int64_t id)
{
    if (!f->ncat) /* no sale names categories: the tree was not loaded (and bsearch wants a non-null base) */
        return 0;
    int64_t key[2] = {id, 0};
    const int64_t(*hit)[2] = bsearch(key, f->cat, (size_t)f->ncat, sizeof f->cat[0], cmp_cat);
    return hit ? (*hit)[1] : 0;
}

souk_err souk__catalog_flash_load(souk_store *db, int64_t now, souk_arena *a, souk__catalog_flash_set **out)
{
    souk__catalog_flash_set *f = souk_arena_calloc(a, sizeof *f);
    *out = f;
    if (!f)
        return SOUK_E_INTERNAL;
    f->now = now;
    bool categories = false;
    souk_stmt *st = souk_store_query(db,
                                     "SELECT value, target_kind, target_ids, starts_at, ends_at FROM cart_flash_sales "
                                     "WHERE ends_at > $1 ORDER BY priority DESC, id LIMIT $2",
                                     SOUK_ARGS(SOUK_I64(now), SOUK_I64(SALES_MAX)));
    int r;
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        sale *s = &f->s[f->n];
        const char *kind = souk_stmt_text(st, 1, NULL);
        snprintf(s->kind, sizeof s->kind, "%s", kind ? kind : "");
        s->rate_bp = souk_stmt_i64(st, 0);
        s->starts = souk_stmt_i64(st, 3);
        s->ends = souk_stmt_i64(st, 4);
        json_t *ids = json_loads(souk_stmt_text(st, 2, NULL) ? souk_stmt_text(st, 2, NULL) : "[]", 0, NULL);
        size_t n = json_array_size(ids);
        s->ids = souk_arena_alloc(a, sizeof *s->ids * (n ? n : 1));
        for (size_t i = 0; s->ids && i < n; i++)
            s->ids[s->n++] = json_integer_value(json_array_get(ids, i));
        json_decref(ids);
        if (!s->ids) {
            souk_stmt_done(st);
            return SOUK_E_INTERNAL;
        }
        categories = categories || strcmp(s->kind, "categories") == 0;
        if (++f->n == SALES_MAX) {
            souk_stmt_done(st);
            r = SOUK_DB_DONE;
            break;
        }
    }
    if (r < 0 || !categories)
        return souk_store_dberr(r);
    int cap = 0;
    st = souk_store_query(db, "SELECT id, coalesce(parent_id, 0) FROM categories ORDER BY id", NULL);
    while ((r = souk_stmt_step(st)) == SOUK_DB_ROW) {
        if (f->ncat == cap) {
            int bigger = cap ? 2 * cap : 256;
            int64_t(*c)[2] = souk_arena_alloc(a, sizeof *c * (size_t)bigger);
            if (!c) {
                souk_stmt_done(st);
                return SOUK_E_INTERNAL;
            }
            if (f->ncat)
                memcpy(c, f->cat, sizeof *c * (size_t)f->ncat);
            f->cat = c;
            cap = bigger;
        }
        f->cat[f->ncat][0] = souk_stmt_i64(st, 0);
        f->cat[f->ncat++][1] = souk_stmt_i64(st, 1);
    }
    return souk_store_dberr(r);
}

static bool lists(const sale *s, int64_t id)
{
    for (int i = 0; id && i < s->n; i++)
        if (s->ids[i] == id)
            return true;
    return false;
}

void souk__catalog_flash_match(const souk__catalog_flash_set *f, int64_t product, int64_t brand, int64_t vendor,
                               int64_t category, souk__catalog_flash_sale *out)
{
    memset(out, 0, sizeof *out);
    if (!f || f->n == 0)
        return;
    int64_t cat[ANCESTORS_MAX];
    int ncat = 0;
    for (int64_t c = category; c && ncat < ANCESTORS_MAX; c = parent_of(f, c))
        cat[ncat++] = c;
    for (int k = 0; k < f->n; k++) {
        const sale *s = &f->s[k];
        bool match = strcmp(s->kind, "all") == 0;
        if (strcmp(s->kind, "products") == 0)
            match = lists(s, product);
        else if (strcmp(s->kind, "brands") == 0)
            match = lists(s, brand);
        else if (strcmp(s->kind, "vendors") == 0)
            match = lists(s, vendor);
        else if (strcmp(s->kind, "categories") == 0)
            for (int i = 0; i < ncat && !match; i++)
                match = lists(s, cat[i]);
        if (!match)
            continue;
        int64_t edge = f->now < s->starts ? s->starts : s->ends;
        if (!out->next_edge || edge < out->next_edge)
            out->next_edge = edge;
        if (f->now >= s->starts && !out->running) { /* the first by priority, as the cart takes it */
            out->running = true;
            out->rate_bp = s->rate_bp;
            out->ends_at = s->ends;
        }
    }
}

int64_t souk__catalog_sale_amount(const souk__catalog_flash_sale *f, int64_t amount)
{
    return amount - (amount * f->rate_bp + 5000) / 10000; /* as the cart rounds: half up */
}

void souk__catalog_put_sale(souk_buf *b, const souk__catalog_flash_sale *f, int64_t amount)
{
    if (!f || !f->running)
        return;
    SOUK_JW_LIT(b, ",\"sale\":{\"amount\":");
    souk_jw_int(b, souk__catalog_sale_amount(f, amount));
    SOUK_JW_LIT(b, ",\"ends_at\":");
    souk_jw_time(b, f->ends_at);
    souk_buf_addc(b, '}');
}

void souk__catalog_put_sale_fx(souk_buf *b, const souk__catalog_flash_sale *f, int64_t base_amount,
                               const souk_fx_quote *fx)
{
    int64_t amount;
    if (!f || !f->running || souk_fx_quote_apply(fx, souk__catalog_sale_amount(f, base_amount), &amount) < 0)
        return;
    SOUK_JW_LIT(b, ",\"sale\":{\"amount\":");
    souk_jw_int(b, amount);
    SOUK_JW_LIT(b, ",\"ends_at\":");
    souk_jw_time(b, f->ends_at);
    souk_buf_addc(b, '}');
}

int64_t souk_catalog_flash_next_edge(souk_store *db, int64_t now)
{
    int64_t edge = 0;
    int r = souk_store_one(db,
                           "SELECT coalesce(min(CASE WHEN starts_at > $1 THEN starts_at ELSE ends_at END), 0) "
                           "FROM cart_flash_sales WHERE ends_at > $1",
                           SOUK_ARGS(SOUK_I64(now)), SOUK_COLS(SOUK_COL_I64(&edge)));
    return r == SOUK_DB_ROW ? edge : r < 0 ? now : 0; /* a failed read: do not cache */
}
