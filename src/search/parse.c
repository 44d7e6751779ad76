/*
 * parse.c — the query parser: pieces split at white space and quotes,
 * each analysed as documents are, grouped into word and phrase clauses.
 */
#include <string.h>
#include <utf8proc.h>

#include "search/query.h"
#include "core/banned.h"

static bool space(char c)
{
    return c == ' ' || ((unsigned char)c < 0x20) || c == 0x7F;
}

static souk_search_status check_utf8(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t l = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (l <= 0 || cp == 0)
            return SOUK_SEARCH_E_UTF8;
        i += (size_t)l;
    }
    return SOUK_SEARCH_OK;
}

typedef struct {
    souk_search_query *q;
    souk_search_text *t;
    souk_arena *a;
} parser;

/* Analyses one piece into clauses. PHRASE: one phrase clause; else one
 * word clause per chunk (a CJK run: one phrase of its bigrams). */
static souk_search_status piece(parser *p, const char *s, size_t len, bool phrase, bool negated, unsigned tflags)
{
    souk_search_query *q = p->q;
    long n = souk_search_text_analyse(p->t, s, len, tflags, 0);
    if (n < 0)
        return SOUK_SEARCH_E_NOMEM;
    bool cjk = false;
    for (long i = 0; i < n; i++)
        cjk |= p->t->toks[i].kind == SOUK_SEARCH_TOK_CJK;
    bool one_clause = phrase || cjk;
    size_t first = q->nwords;
    uint32_t last_chunk = UINT32_MAX;
    for (long i = 0; i < n; i++) {
        const souk_search_token *tok = &p->t->toks[i];
        if (!(tok->flags & SOUK_SEARCH_TOKF_QUERY))
            continue;
        if (tok->chunk == last_chunk) {
            /* a second form of the same chunk: the alternative */
            souk_search_qword *w = &q->words[q->nwords - 1];
            if (!w->alt && !(w->alt = souk_arena_strndup(p->a, tok->text, tok->len)))
                return SOUK_SEARCH_E_NOMEM;
            continue;
        }
        if (q->nwords == SOUK_SEARCH_QUERY_TERMS_MAX)
            return SOUK_SEARCH_E_TOO_MANY_TERMS;
        souk_search_qword *w = &q->words[q->nwords++];
        w->text = souk_arena_strndup(p->a, tok->text, tok->len);
        w->surface = souk_arena_strndup(p->a, tok->surface, tok->surface_len);
        if (!w->text || !w->surface)
            return SOUK_SEARCH_E_NOMEM;
        w->alt = NULL;
        w->qpos = tok->pos;
        w->kind = tok->kind;
        w->notypo = (tok->flags & SOUK_SEARCH_TOKF_NOTYPO) || tok->kind == SOUK_SEARCH_TOK_CJK;
        last_chunk = tok->chunk;
        if (!one_clause) {
            souk_search_clause *c = &q->clauses[q->nclauses++];
            *c = (souk_search_clause){SOUK_SEARCH_CLAUSE_WORD, negated, false, (uint16_t)(q->nwords - 1), 1};
        }
    }
    if (one_clause && q->nwords > first) {
        souk_search_clause *c = &q->clauses[q->nclauses++];
        *c = (souk_search_clause){SOUK_SEARCH_CLAUSE_PHRASE, negated, false, (uint16_t)first,
                                  (uint16_t)(q->nwords - first)};
    }
    return SOUK_SEARCH_OK;
}

static souk_search_status parse(souk_search_query *q, const char *s, size_t len, souk_search_text *t, unsigned flags,
                                souk_arena *a, bool keep_stop)
{
    memset(q, 0, sizeof *q);
    parser p = {q, t, a};
    bool want_prefix = !(flags & SOUK_SEARCH_Q_NO_PREFIX) && len > 0 && !space(s[len - 1]) && s[len - 1] != '"';
    size_t i = 0;
    while (i < len) {
        while (i < len && space(s[i]))
            i++;
        if (i == len)
            break;
        bool negated = false;
        if (s[i] == '-' && i + 1 < len && !space(s[i + 1]) && s[i + 1] != '-') {
            negated = true;
            i++;
        }
        bool phrase = s[i] == '"';
        size_t start, end;
        if (phrase) {
            start = ++i;
            while (i < len && s[i] != '"')
                i++;
            end = i;
            if (i < len)
                i++; /* the closing quote */
        } else {
            start = i;
            while (i < len && !space(s[i]) && s[i] != '"')
                i++;
            end = i;
        }
        bool last = i == len && !phrase;
        unsigned tflags = 0;
        if (!keep_stop && !phrase && !negated && !(flags & SOUK_SEARCH_Q_NO_STOPWORDS) && !(last && want_prefix))
            tflags |= SOUK_SEARCH_TEXT_STOPWORDS;
        size_t before = q->nclauses;
        souk_search_status st = piece(&p, s + start, end - start, phrase, negated, tflags);
        if (st != SOUK_SEARCH_OK)
            return st;
        if (last && want_prefix && q->nclauses > before) {
            souk_search_clause *c = &q->clauses[q->nclauses - 1];
            if (c->type == SOUK_SEARCH_CLAUSE_WORD && !c->negated)
                c->prefix = true;
        }
    }
    return SOUK_SEARCH_OK;
}

souk_search_status souk_search_query_parse(souk_search_query *q, const char *s, size_t len, souk_search_text *t,
                                           unsigned flags, souk_arena *a)
{
    memset(q, 0, sizeof *q);
    if (!s)
        s = "", len = 0;
    if (len > SOUK_SEARCH_QUERY_BYTES_MAX)
        return SOUK_SEARCH_E_TOO_LONG;
    souk_search_status st = check_utf8(s, len);
    if (st != SOUK_SEARCH_OK)
        return st;
    st = parse(q, s, len, t, flags, a, false);
    if (st != SOUK_SEARCH_OK)
        return st;
    bool positive = false;
    for (size_t i = 0; i < q->nclauses; i++)
        positive |= !q->clauses[i].negated;
    if (!positive && !(flags & SOUK_SEARCH_Q_NO_STOPWORDS)) {
        /* nothing but stop words (or nothing): keep them after all */
        st = parse(q, s, len, t, flags, a, true);
        if (st != SOUK_SEARCH_OK)
            return st;
    }
    const char *folded;
    long fl = souk_search_text_fold(t, s, len, &folded);
    if (fl < 0)
        return SOUK_SEARCH_E_NOMEM;
    size_t b = 0, e = (size_t)fl;
    while (b < e && folded[b] == ' ')
        b++;
    while (e > b && folded[e - 1] == ' ')
        e--;
    q->sku = souk_arena_strndup(a, folded + b, e - b);
    return q->sku ? SOUK_SEARCH_OK : SOUK_SEARCH_E_NOMEM;
}
