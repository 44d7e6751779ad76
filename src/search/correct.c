/*
 * correct.c — "did you mean": a corrected query built from the segment's
 * word dictionary (see query.h, souk_search_correct).
 *
 * Each unquoted word of letters the shopper searched for is looked up in
 * the dictionary of folded words (the typo walk, typo.c). Its neighbours
 * within a budget a little wider than matching's (1 edit from 3
 * characters, 2 from 8: a suggestion is shown, not applied) compete by
 * distance, then by how many documents hold them; the best replaces the
 * word when it is in more documents than the word itself. Everything else
 * (numbers, codes, phrases, exclusions) is kept as the parser read it.
 */
#include <string.h>

#include "search/internal.h"
#include "core/banned.h"

typedef struct best {
    const souk_search_segment *const *parts; /* every part of the segment: a word's documents are summed */
    size_t nparts;
    size_t part;      /* the part being walked */
    const char *word; /* the best so far (in its part's dictionary) */
    int dist;
    uint32_t df;
    bool found;
} best;

static uint32_t term_df(const souk_search_segment *s, uint32_t term)
{
    return s->term_post[term + 1] - s->term_post[term];
}

/* The documents of every part whose word dictionary has W (LEN bytes). */
static uint32_t word_df(const best *b, const char *w, size_t len)
{
    uint32_t df = 0;
    for (size_t p = 0; p < b->nparts; p++) {
        const souk_search_segment *s = b->parts[p];
        long i = souk__search_strs_find(&s->words, w, len);
        if (i >= 0)
            df += term_df(s, s->word_term[i]);
    }
    return df;
}

static void on_neighbour(uint32_t i, int d, void *arg)
{
    best *b = arg;
    size_t l;
    const char *w = souk__search_str(&b->parts[b->part]->words, i, &l);
    for (size_t k = 0; k < l; k++)
        if (w[k] >= '0' && w[k] <= '9')
            return; /* never correct into a code or number */
    if (d == 0 || (b->found && d > b->dist))
        return;
    uint32_t df = b->nparts > 1 ? word_df(b, w, l) : term_df(b->parts[0], b->parts[0]->word_term[i]);
    if (b->found && d == b->dist && df <= b->df)
        return;
    b->word = w;
    b->dist = d;
    b->df = df;
    b->found = true;
}

/* Edits a suggestion may make to a word of CHARS code points. */
static int budget(size_t chars)
{
    return chars >= 8 ? 2 : chars >= 3 ? 1 : 0;
}

/* The documents holding the word QW itself (its term), 0 when the index lacks it. */
static uint32_t own_df(const best *b, const souk_search_qword *qw)
{
    uint32_t df = 0;
    for (size_t p = 0; p < b->nparts; p++) {
        const souk_search_segment *s = b->parts[p];
        long t = souk__search_strs_find(&s->terms, qw->text, strlen(qw->text));
        df += t < 0 ? 0 : term_df(s, (uint32_t)t);
    }
    return df;
}

const char *souk_search_correct(const souk_search_segment *seg, souk_search_text *t, const char *q, size_t len,
                                souk_arena *a)
{
    souk_search_query parsed;
    if (souk_search_query_parse(&parsed, q, len, t, SOUK_SEARCH_Q_NO_PREFIX, a) != SOUK_SEARCH_OK)
        return NULL;
    const char *out[SOUK_SEARCH_QUERY_TERMS_MAX];
    bool changed = false;
    const souk_search_segment *parts[2];
    const roaring_bitmap_t *tomb;
    size_t nparts = souk__search_parts(seg, parts, &tomb);
    for (size_t i = 0; i < parsed.nwords; i++)
        out[i] = parsed.words[i].surface;
    for (size_t c = 0; c < parsed.nclauses; c++) {
        const souk_search_clause *cl = &parsed.clauses[c];
        if (cl->negated || cl->type != SOUK_SEARCH_CLAUSE_WORD)
            continue; /* only what was searched for, word by word, is corrected */
        const souk_search_qword *w = &parsed.words[cl->first];
        if (w->kind != SOUK_SEARCH_TOK_WORD || w->notypo)
            continue;
        size_t slen = strlen(w->surface);
        int k = budget(souk_search_utf8_chars(w->surface, slen));
        if (k == 0 || slen > SOUK_SEARCH_TOKEN_MAX)
            continue;
        best b = {.parts = parts, .nparts = nparts};
        for (b.part = 0; b.part < nparts; b.part++)
            souk__search_typo_walk(&parts[b.part]->words, w->surface, slen, k, on_neighbour, &b);
        if (b.found && b.df > own_df(&b, w)) {
            out[cl->first] = b.word;
            changed = true;
        }
    }
    if (!changed)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < parsed.nwords; i++)
        n += strlen(out[i]) + 4;
    char *text = souk_arena_alloc(a, n + 1), *p = text;
    if (!text)
        return NULL;
    bool any = false;
    for (size_t c = 0; c < parsed.nclauses; c++) {
        const souk_search_clause *cl = &parsed.clauses[c];
        if (any)
            *p++ = ' ';
        any = true;
        if (cl->negated)
            *p++ = '-';
        bool phrase = cl->type == SOUK_SEARCH_CLAUSE_PHRASE;
        if (phrase)
            *p++ = '"';
        for (size_t i = cl->first; i < (size_t)cl->first + cl->n; i++) {
            if (i > cl->first)
                *p++ = ' ';
            size_t l = strlen(out[i]);
            memcpy(p, out[i], l);
            p += l;
        }
        if (phrase)
            *p++ = '"';
    }
    *p = '\0';
    return text;
}
