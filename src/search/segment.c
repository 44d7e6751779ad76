/*
 * segment.c — segment lifetime (reference counts) and the engine's
 * current-segment pointer.
 *
 * The swap: a reader increments `entering`, loads `current`, takes a
 * reference on what it loaded and decrements `entering`. A publisher
 * stores the new pointer, then waits until `entering` is zero before it
 * drops the engine's reference on the old segment. Every operation is
 * sequentially consistent, so a reader that saw `entering` incremented
 * before the publisher's wait either finishes taking its reference before
 * the wait ends, or loads the new pointer; a reference is never taken on a
 * segment already freed. Readers never wait; publishers wait at most for
 * the few instructions between a reader's load and its increment.
 */
#include <sched.h>
#include <stdlib.h>

#include "search/internal.h"
#include "search/names.h"
#include "core/banned.h"

void souk__search_segment_free(souk_search_segment *s)
{
    if (!s)
        return;
    free(s->ext_id);
    free(s->price);
    free(s->created);
    free(s->popularity);
    free(s->rating);
    free(s->in_stock);
    free(s->flen);
    souk__search_strs_release(&s->terms);
    free(s->term_post);
    free(s->post_doc);
    free(s->post_tf);
    free(s->post_pos);
    free(s->pos);
    souk__search_strs_release(&s->words);
    free(s->word_term);
    free(s->word_chars);
    if (s->fv_bm)
        for (uint32_t i = 0; i < s->fv.n; i++)
            if (s->fv_bm[i])
                roaring_bitmap_free(s->fv_bm[i]);
    free(s->fv_bm);
    free(s->doc_fv_off);
    free(s->doc_fv);
    souk__search_strs_release(&s->fv);
    souk__search_strs_release(&s->dims);
    free(s->dim_first);
    if (s->all)
        roaring_bitmap_free(s->all);
    if (s->in_stock_bm)
        roaring_bitmap_free(s->in_stock_bm);
    souk__search_strs_release(&s->skus);
    free(s->sku_doc);
    if (!s->borrowed) {
        souk_search_synonyms_free(s->synonyms);
        souk_search_names_free(s->names);
    }
    souk_search_segment_unref(s->part[0]);
    souk_search_segment_unref(s->part[1]);
    if (s->tomb)
        roaring_bitmap_free(s->tomb);
    free(s);
}

souk_search_segment *souk_search_segment_ref(souk_search_segment *seg)
{
    atomic_fetch_add(&seg->refs, 1);
    return seg;
}

void souk_search_segment_unref(souk_search_segment *seg)
{
    if (seg && atomic_fetch_sub(&seg->refs, 1) == 1)
        souk__search_segment_free(seg);
}

uint32_t souk_search_segment_docs(const souk_search_segment *seg)
{
    return seg->ndocs;
}

uint32_t souk_search_segment_terms(const souk_search_segment *seg)
{
    if (seg->part[0])
        return seg->part[0]->terms.n; /* the delta's are mostly the base's */
    return seg->terms.n;
}

size_t souk_search_segment_bytes(const souk_search_segment *seg)
{
    return seg->bytes;
}

const char *souk_search_segment_language(const souk_search_segment *seg)
{
    return seg->language;
}

void souk_search_segment_set_settings(souk_search_segment *seg, souk_search_synonyms *synonyms,
                                      const souk_search_weights *weights)
{
    if (seg->borrowed) { /* a composite has its base's settings */
        souk_search_synonyms_free(synonyms);
        return;
    }
    souk_search_synonyms_free(seg->synonyms);
    seg->synonyms = synonyms;
    seg->has_weights = weights != NULL;
    if (weights)
        seg->weights = *weights;
}

const souk_search_synonyms *souk_search_segment_synonyms(const souk_search_segment *seg)
{
    return seg->synonyms;
}

const souk_search_weights *souk_search_segment_weights(const souk_search_segment *seg)
{
    return seg->has_weights ? &seg->weights : &souk_search_weights_default;
}

void souk_search_engine_init(souk_search_engine *e)
{
    atomic_init(&e->current, NULL);
    atomic_init(&e->entering, 0);
    atomic_flag_clear(&e->publishing);
}

void souk_search_engine_release(souk_search_engine *e)
{
    souk_search_segment_unref(atomic_exchange(&e->current, NULL));
}

souk_search_segment *souk_search_engine_acquire(souk_search_engine *e)
{
    atomic_fetch_add(&e->entering, 1);
    souk_search_segment *s = atomic_load(&e->current);
    if (s)
        atomic_fetch_add(&s->refs, 1);
    atomic_fetch_sub(&e->entering, 1);
    return s;
}

void souk_search_engine_publish(souk_search_engine *e, souk_search_segment *seg)
{
    while (atomic_flag_test_and_set(&e->publishing))
        sched_yield();
    souk_search_segment *old = atomic_exchange(&e->current, seg);
    while (atomic_load(&e->entering) != 0)
        sched_yield();
    atomic_flag_clear(&e->publishing);
    souk_search_segment_unref(old);
}
