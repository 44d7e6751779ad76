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
    const souk_search_segment *s;
    uint32_t word;
    int dist;
    uint32_t df;
    bool found;
} best;

static uint32_t term_df(const souk_search_segment *s, uint32_t term)
{
    return s->term_post[term + 1] - s->term_post[term];
}

static void on_neighbour(uint32_t i, int d, void *arg)
{
    best *b = arg;
    size_t l;
    const char *w = souk__search_str(&b->s->words, i, &l);
    for (size_t k = 0; k < l; k++)
        if (w[k] >= '0' && w[k] <= '9')
            return; /* never correct into a code or number */
    uint32_t df = term_df(b->s, b->s->word_term[i]);
    if (d == 0 || (b->found && (d > b->dist || (d == b->dist && df <= b->df))))
        return;
    *b = (best){b->s, i, d, df, true};
}

/* Edits a suggestion may make to a word of CHARS code points. */
static int budget(size_t chars)
{
    return chars >= 8 ? 2 : chars >= 3 ? 1 : 0;
}

/* The documents holding the word QW itself (its term), 0 when the index lacks it. */
static uint32_t own_df(const souk_search_segment *s, const souk_search_qword *qw)
{
    long t = souk__search_strs_find(&s->terms, qw->text, strlen(qw->text));
    return t < 0 ? 0 : term_df(s, (uint32_t)t);
}

const char *souk_search_correct(const souk_search_segment *seg, souk_search_text *t, const char *q, size_t len,
                                souk_arena *a)
{
    souk_search_query parsed;
    if (souk_search_query_parse(&parsed, q, len, t, SOUK_SEARCH_Q_NO_PREFIX, a) != SOUK_SEARCH_OK)
        return NULL;
    const char *out[SOUK_SEARCH_QUERY_TERMS_MAX];
    bool changed = false;
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
        best b = {.s = seg};
        souk__search_typo_walk(&seg->words, w->surface, slen, k, on_neighbour, &b);
        if (b.found && b.df > own_df(seg, w)) {
            out[cl->first] = souk__search_str(&seg->words, b.word, NULL);
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
