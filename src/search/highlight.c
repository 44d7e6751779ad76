/*
 * highlight.c — marking matched words in titles and description snippets
 * (see highlight.h for what matches and how the output is made safe).
 *
 * The snippet: the description's words (up to SOUK_SEARCH_HL_SCAN_MAX
 * bytes) are listed with their character offsets and whether they match;
 * a sliding window over the matched ones finds the stretch of MAX_CHARS
 * characters holding the most of them, which then starts up to
 * LEAD_CHARS characters earlier, at a word.
 */
#include "search/highlight.h"

#include <string.h>

#include "core/hash.h"
#include "core/jsonw.h"
#include "core/banned.h"

#define LEAD_CHARS 30 /* context shown before the first match of a snippet */
#define SPANS_MAX (SOUK_SEARCH_HL_SCAN_MAX / 2 + 1)
#define ELLIPSIS "\xe2\x80\xa6"

static bool word_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static bool connector(unsigned char c)
{
    return c == '-' || c == '/' || c == '.' || c == '_' || c == '\'' || c == '&';
}

/* The next word of S[0..LEN) at or after *POS into [*START, *END); false when none. */
static bool next_word(const char *s, size_t len, size_t *pos, size_t *start, size_t *end)
{
    size_t i = *pos;
    while (i < len && !word_byte((unsigned char)s[i]))
        i++;
    if (i >= len)
        return false;
    *start = i;
    while (i < len && (word_byte((unsigned char)s[i]) ||
                       (connector((unsigned char)s[i]) && i + 1 < len && word_byte((unsigned char)s[i + 1]))))
        i++;
    *end = *pos = i;
    return true;
}

/* Code points in S[0..LEN) (continuation bytes do not count). */
static size_t chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static void add_term(souk_search_highlighter *h, const char *term)
{
    if (!term || h->nterms == SOUK_SEARCH_HL_TERMS_MAX)
        return;
    for (size_t i = 0; i < h->nterms; i++)
        if (strcmp(h->terms[i], term) == 0)
            return;
    h->terms[h->nterms++] = term;
}

souk_search_status souk_search_highlight_init(souk_search_highlighter *h, souk_search_text *t, const char *q,
                                              size_t len, unsigned flags, const souk_search_synonyms *syn,
                                              souk_arena *a)
{
    memset(h, 0, sizeof *h);
    souk_search_query parsed;
    souk_search_status st = souk_search_query_parse(&parsed, q, len, t, flags, a);
    if (st != SOUK_SEARCH_OK)
        return st;
    for (size_t c = 0; c < parsed.nclauses; c++) {
        const souk_search_clause *cl = &parsed.clauses[c];
        if (cl->negated)
            continue;
        bool phrase = cl->type == SOUK_SEARCH_CLAUSE_PHRASE;
        for (size_t i = cl->first; i < (size_t)cl->first + cl->n; i++) {
            const souk_search_qword *w = &parsed.words[i];
            add_term(h, w->text);
            add_term(h, w->alt);
            if (!phrase && syn && !(flags & SOUK_SEARCH_Q_NO_SYNONYMS)) {
                const char *alts[SOUK_SEARCH_EXPANSIONS_MAX];
                size_t n = souk_search_synonyms_lookup(syn, w->text, alts, SOUK_SEARCH_EXPANSIONS_MAX);
                for (size_t k = 0; k < n; k++)
                    add_term(h, alts[k]);
            }
            souk__search_hl_word *hw = &h->words[h->nwords++];
            hw->surface = w->surface;
            hw->surface_len = strlen(w->surface);
            hw->prefix = cl->prefix && i + 1 == (size_t)cl->first + cl->n;
            hw->typo = phrase || w->notypo || (flags & SOUK_SEARCH_Q_NO_TYPO)
                           ? 0
                           : souk_search_typo_budget(souk_search_utf8_chars(hw->surface, hw->surface_len));
        }
    }
    return SOUK_SEARCH_OK;
}

bool souk_search_highlight_any(const souk_search_highlighter *h)
{
    return h->nterms > 0;
}

static int analyse_match(const souk_search_highlighter *h, souk_search_text *t, const char *s, size_t len);

/* 1 when the word S (LEN bytes) matches H, 0 when not, -1 on memory; the
 * verdict is remembered in H's memo. */
static int matches(souk_search_highlighter *h, souk_search_text *t, const char *s, size_t len)
{
    uint64_t key = souk_hash64(s, len) | 1;
    size_t at = (size_t)(key >> 7) & (SOUK_SEARCH_HL_MEMO - 1);
    if (h->memo_key[at] == key)
        return h->memo_match[at];
    int m = analyse_match(h, t, s, len);
    if (m >= 0) {
        h->memo_key[at] = key;
        h->memo_match[at] = m == 1;
    }
    return m;
}

/* matches(), without the memo. */
static int analyse_match(const souk_search_highlighter *h, souk_search_text *t, const char *s, size_t len)
{
    long n = souk_search_text_analyse(t, s, len, 0, 0);
    if (n < 0)
        return -1;
    for (long k = 0; k < n; k++) {
        const souk_search_token *tok = &t->toks[k];
        for (size_t i = 0; i < h->nterms; i++)
            if (strcmp(tok->text, h->terms[i]) == 0)
                return 1;
        for (size_t i = 0; i < h->nwords; i++) {
            const souk__search_hl_word *w = &h->words[i];
            if (w->prefix && tok->surface_len >= w->surface_len &&
                memcmp(tok->surface, w->surface, w->surface_len) == 0)
                return 1;
            if (w->typo > 0 && !(tok->flags & SOUK_SEARCH_TOKF_NOTYPO) &&
                souk_search_edit_distance(tok->surface, tok->surface_len, w->surface, w->surface_len, w->typo) <=
                    w->typo)
                return 1;
        }
    }
    return 0;
}

/* S[0..LEN) HTML-escaped into OUT. */
static void escape(souk_buf *out, const char *s, size_t len)
{
    size_t from = 0;
    for (size_t i = 0; i < len; i++) {
        const char *ent = NULL;
        switch (s[i]) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default: continue;
        }
        souk_buf_add(out, s + from, i - from);
        souk_buf_adds(out, ent);
        from = i + 1;
    }
    souk_buf_add(out, s + from, len - from);
}

/* The word S[0..LEN) into OUT, marked when MARK. */
static void put_word(souk_buf *out, const char *s, size_t len, bool mark)
{
    if (mark)
        souk_buf_adds(out, "<mark>");
    escape(out, s, len);
    if (mark)
        souk_buf_adds(out, "</mark>");
}

/* The end of the last whole word of S within MAX bytes (or MAX when a word runs through). */
static size_t cut_at_word(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t pos = 0, start, end, last = 0;
    while (next_word(s, len, &pos, &start, &end) && end <= max)
        last = end;
    if (last)
        return last;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) /* inside a character: back to its start */
        max--;
    return max;
}

int souk_search_highlight_text(souk_search_highlighter *h, souk_search_text *t, const char *text, size_t len,
                               souk_buf *out)
{
    size_t n = cut_at_word(text, len, SOUK_SEARCH_HL_TITLE_MAX);
    size_t pos = 0, start, end, done = 0;
    int marked = 0;
    while (next_word(text, n, &pos, &start, &end)) {
        int m = souk_search_highlight_any(h) ? matches(h, t, text + start, end - start) : 0;
        if (m < 0)
            return -1;
        escape(out, text + done, start - done);
        put_word(out, text + start, end - start, m);
        marked += m;
        done = end;
    }
    escape(out, text + done, n - done);
    if (n < len)
        souk_buf_adds(out, ELLIPSIS);
    return marked;
}

typedef struct span {
    uint32_t start, end;   /* bytes */
    uint32_t cstart, cend; /* characters */
    bool match;
} span;

int souk_search_highlight_snippet(souk_search_highlighter *h, souk_search_text *t, const char *text, size_t len,
                                  size_t max_chars, souk_buf *out)
{
    size_t scan = cut_at_word(text, len, SOUK_SEARCH_HL_SCAN_MAX);
    span sp[SPANS_MAX];
    size_t n = 0, pos = 0, start, end, cpos = 0, bpos = 0;
    while (n < SPANS_MAX && next_word(text, scan, &pos, &start, &end)) {
        int m = souk_search_highlight_any(h) ? matches(h, t, text + start, end - start) : 0;
        if (m < 0)
            return -1;
        cpos += chars(text + bpos, start - bpos);
        size_t cs = cpos;
        cpos += chars(text + start, end - start);
        bpos = end;
        sp[n++] = (span){(uint32_t)start, (uint32_t)end, (uint32_t)cs, (uint32_t)cpos, m == 1};
    }
    if (n == 0)
        return 0;
    /* the window of matched words, within MAX_CHARS, holding the most of them */
    size_t best = 0, best_count = 0;
    for (size_t i = 0, j = 0, count = 0; i < n; i++) {
        if (!sp[i].match)
            continue;
        if (j <= i) {
            j = i;
            count = 0;
        }
        while (j < n && (j == i || sp[j].cend - sp[i].cstart <= max_chars)) /* i itself even when longer */
            count += sp[j++].match;
        if (count > best_count) {
            best_count = count;
            best = i;
        }
        count -= 1; /* i leaves the window */
    }
    size_t first = best;
    while (first > 0 && sp[best].cstart - sp[first - 1].cstart <= LEAD_CHARS &&
           sp[best].cend - sp[first - 1].cstart <= max_chars)
        first--;
    size_t last = first;
    while (last + 1 < n && sp[last + 1].cend - sp[first].cstart <= max_chars)
        last++;
    if (first > 0)
        souk_buf_adds(out, ELLIPSIS);
    else
        escape(out, text, sp[0].start); /* what comes before the first word */
    int marked = 0;
    for (size_t i = first; i <= last; i++) {
        if (i > first)
            escape(out, text + sp[i - 1].end, sp[i].start - sp[i - 1].end);
        put_word(out, text + sp[i].start, sp[i].end - sp[i].start, sp[i].match);
        marked += sp[i].match;
    }
    size_t tail = sp[last].end, next = tail;
    while (next < len && !word_byte((unsigned char)text[next]))
        next++;
    if (next < len)
        souk_buf_adds(out, ELLIPSIS);
    else
        escape(out, text + tail, len - tail); /* what comes after the last word */
    return marked;
}

int souk_search_highlight_json(souk_search_highlighter *h, souk_search_text *t, const char *title, size_t title_len,
                               const char *description, size_t description_len, souk_buf *scratch, souk_buf *out)
{
    souk_buf_reset(scratch);
    if (souk_search_highlight_text(h, t, title, title_len, scratch) < 0)
        return -1;
    SOUK_JW_LIT(out, "{\"title\":");
    souk_jw_text(out, scratch->data ? scratch->data : "", scratch->len, SOUK_JW_HTML_SAFE);
    souk_buf_reset(scratch);
    if (souk_search_highlight_snippet(h, t, description, description_len, SOUK_SEARCH_HL_SNIPPET_CHARS, scratch) < 0)
        return -1;
    SOUK_JW_LIT(out, ",\"snippet\":");
    souk_jw_text(out, scratch->data ? scratch->data : "", scratch->len, SOUK_JW_HTML_SAFE);
    souk_buf_addc(out, '}');
    return souk_buf_failed(scratch) || souk_buf_failed(out) ? -1 : 0;
}
