/*
 * highlight.h — marking what a query matched in a hit's title and in a
 * snippet of its description, as HTML a naive client may insert as is.
 *
 * Output: the text HTML-escaped (& < > " ' become entities) and every
 * matched word wrapped in <mark>…</mark>; nothing else is ever markup, so
 * a title like "<script>alert(1)</script>" comes out as inert text.
 *
 * A word of the text matches when the analyser (text.h) gives it a term
 * the query searched for: a positive word of the query (stemmed as the
 * index stems, so "mugs" marks "mug"), a code's joined form, a synonym of
 * one (from the table given), a completion of the last word when the query
 * completes it, or a typo neighbour within the query's typo budget (query.h,
 * souk_search_typo_budget). Excluded words are never marked. The text is
 * cut into words the way the tokeniser chunks it (letters and digits
 * joined by single - / . _ ' &; any non-ASCII byte counts as a letter), and
 * each word is analysed alone: robust against folding that changes
 * lengths, at a cost of one analysis per word (hence the scan limits).
 */
#ifndef SOUK_SEARCH_HIGHLIGHT_H
#define SOUK_SEARCH_HIGHLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "search/query.h"
#include "search/text.h"

#define SOUK_SEARCH_HL_TITLE_MAX 1000    /* bytes of a title marked (the rest is cut, with "…") */
#define SOUK_SEARCH_HL_SCAN_MAX 4000     /* bytes of a description searched for the snippet */
#define SOUK_SEARCH_HL_SNIPPET_CHARS 160 /* characters of a snippet, about */
#define SOUK_SEARCH_HL_TERMS_MAX 256     /* terms a query marks (words, forms, synonyms) */
#define SOUK_SEARCH_HL_MEMO 1024         /* words whose verdict a highlighter remembers (a power of two) */

typedef struct souk__search_hl_word {
    const char *surface; /* folded, unstemmed */
    size_t surface_len;
    bool prefix; /* completed: a text word starting with surface matches */
    int typo;    /* edits allowed */
} souk__search_hl_word;

/* What a query marks; set up by souk_search_highlight_init, strings in
 * the arena given there. */
typedef struct souk_search_highlighter {
    const char *terms[SOUK_SEARCH_HL_TERMS_MAX]; /* exact terms: words, forms, synonyms */
    size_t nterms;
    souk__search_hl_word words[SOUK_SEARCH_QUERY_TERMS_MAX];
    size_t nwords;
    /* words seen and whether they matched: a direct-mapped memo by a 64-bit
     * hash of the word's bytes (0 = empty), so a word repeated across the
     * page's texts is analysed once */
    uint64_t memo_key[SOUK_SEARCH_HL_MEMO];
    bool memo_match[SOUK_SEARCH_HL_MEMO];
} souk_search_highlighter;

/* Sets up H for the query Q (LEN bytes) as souk_search_run reads it with
 * FLAGS (SOUK_SEARCH_Q_*), analysed by T (the index's language), with the
 * synonym table SYN (NULL = none). Strings go to arena A. Returns
 * SOUK_SEARCH_OK, or the parser's status (then H marks nothing). */
souk_search_status souk_search_highlight_init(souk_search_highlighter *h, souk_search_text *t, const char *q,
                                              size_t len, unsigned flags, const souk_search_synonyms *syn,
                                              souk_arena *a);

/* True when H marks something (a query with positive words). */
bool souk_search_highlight_any(const souk_search_highlighter *h);

/* Appends TEXT (LEN bytes, UTF-8; at most SOUK_SEARCH_HL_TITLE_MAX are
 * used, then "…") to OUT, HTML-escaped, its matched words in <mark>.
 * Returns how many words it marked, or -1 when memory runs out (T). H
 * remembers the verdict on each word (its memo), hence not const. */
int souk_search_highlight_text(souk_search_highlighter *h, souk_search_text *t, const char *text, size_t len,
                               souk_buf *out);

/* Appends a snippet of TEXT (LEN bytes; the first SOUK_SEARCH_HL_SCAN_MAX
 * searched) to OUT, escaped and marked as above: about MAX_CHARS characters
 * at word boundaries around the stretch with the most matched words,
 * starting a few words before the first of them; "…" where text was cut.
 * Without a match, the start of TEXT. Returns the words marked, or -1. */
int souk_search_highlight_snippet(souk_search_highlighter *h, souk_search_text *t, const char *text, size_t len,
                                  size_t max_chars, souk_buf *out);

/* Appends {"title": the marked TITLE, "snippet": a marked snippet of
 * DESCRIPTION (SOUK_SEARCH_HL_SNIPPET_CHARS)} to OUT as JSON (strings
 * escaped for HTML contexts too), using SCRATCH (reset here) for the
 * marked text. 0, or -1 when memory runs out. */
int souk_search_highlight_json(souk_search_highlighter *h, souk_search_text *t, const char *title, size_t title_len,
                               const char *description, size_t description_len, souk_buf *scratch, souk_buf *out);

#endif
