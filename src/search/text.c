/*
 * text.c — folding, tokenising and stemming (see text.h for the rules).
 *
 * Folding decomposes (NFKD + case fold + lump) into code points, drops the
 * combining marks that follow a Latin, Greek or Cyrillic base, and composes
 * again (NFC), all in one scratch buffer; pure ASCII input takes a fast
 * path (lower-casing, control characters to spaces). The tokeniser then
 * walks the folded UTF-8 once, chunk by chunk.
 */
#include "search/text.h"

#include <libstemmer.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/grow.h"
#include "core/banned.h"

enum { C_SEP, C_LETTER, C_DIGIT, C_CJK, C_CONN, C_MARK };

/* the English stop list (sorted, for bsearch): articles, conjunctions,
 * prepositions and pronouns that carry no product meaning */
static const char *const stop_en[] = {
    "a",     "an",   "and",   "are",   "as",   "at",   "be", "but", "by",   "for",  "from",
    "if",    "in",   "into",  "is",    "it",   "its",  "of", "on",  "or",   "that", "the",
    "their", "then", "there", "these", "they", "this", "to", "was", "were", "will", "with",
};

/* A direct-mapped cache of stems: Snowball costs about a fifth of building
 * an index, and words repeat (Zipf), so a hit saves most of it. Words of
 * up to CACHE_WORD bytes are cached; 8192 slots take about 540 KB. */
#define CACHE_SLOTS 8192
#define CACHE_WORD 31
typedef struct {
    uint8_t wlen, slen; /* wlen 0: empty */
    char word[CACHE_WORD], stem[CACHE_WORD];
} stem_slot;

struct souk__search_stem_cache {
    stem_slot slot[CACHE_SLOTS];
};

static uint32_t word_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h ^ (h >> 15);
}

int souk_search_text_init(souk_search_text *t, const char *language)
{
    memset(t, 0, sizeof *t);
    if (!language)
        language = "english";
    if (strlen(language) >= sizeof t->language)
        return -1;
    memcpy(t->language, language, strlen(language) + 1);
    if (strcmp(language, "none") != 0) {
        t->stemmer = sb_stemmer_new(language, "UTF_8");
        if (!t->stemmer)
            return -1;
    }
    t->stop_english = strcmp(language, "english") == 0 || strcmp(language, "en") == 0 || strcmp(language, "eng") == 0;
    t->pool_cap = (size_t)SOUK_SEARCH_FIELD_TOKENS_MAX * 2 * (SOUK_SEARCH_TOKEN_MAX + 1);
    t->pool = malloc(t->pool_cap);
    t->toks = malloc(sizeof *t->toks * SOUK_SEARCH_FIELD_TOKENS_MAX);
    if (t->stemmer)
        t->stems = calloc(1, sizeof *t->stems); /* optional: without it every word is stemmed afresh */
    if (!t->pool || !t->toks) {
        souk_search_text_release(t);
        return -2;
    }
    return 0;
}

void souk_search_text_release(souk_search_text *t)
{
    sb_stemmer_delete(t->stemmer);
    free(t->cps);
    free(t->fold);
    free(t->pool);
    free(t->toks);
    free(t->stems);
    memset(t, 0, sizeof *t);
}

size_t souk_search_utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* Latin, IPA, Greek, Cyrillic and their extensions: marks on these are accents */
static bool accent_script(int32_t cp)
{
    return cp < 0x0530 || (cp >= 0x1D00 && cp < 0x2000) || (cp >= 0x2C60 && cp < 0x2C80) ||
           (cp >= 0xA640 && cp < 0xA6A0) || (cp >= 0xA720 && cp < 0xA800) || (cp >= 0xFB00 && cp < 0xFB07);
}

static bool is_mark(int32_t cp)
{
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME;
}

long souk_search_text_fold(souk_search_text *t, const char *s, size_t len, const char **out)
{
    if (len > SOUK_SEARCH_FIELD_BYTES_MAX) {
        len = SOUK_SEARCH_FIELD_BYTES_MAX;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--; /* cut at a character boundary */
    }
    bool ascii = true;
    for (size_t i = 0; i < len && ascii; i++)
        ascii = (unsigned char)s[i] < 0x80;
    if (souk_grow(&t->fold, &t->fold_cap, len + 1, 1) < 0)
        return -1;
    if (ascii) {
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)s[i];
            t->fold[i] = c < 0x20 || c == 0x7F ? ' ' : (c >= 'A' && c <= 'Z') ? (char)(c + 32) : (char)c;
        }
        t->fold[len] = '\0';
        t->fold_len = len;
        *out = t->fold;
        return (long)len;
    }
    /* invalid sequences become spaces, so that utf8proc accepts the rest */
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t l = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (l <= 0 || cp == 0) {
            t->fold[n++] = ' ';
            i++;
            continue;
        }
        memcpy(t->fold + n, s + i, (size_t)l);
        n += (size_t)l;
        i += (size_t)l;
    }
    const utf8proc_option_t opts = UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD |
                                   UTF8PROC_IGNORE | UTF8PROC_STRIPCC | UTF8PROC_LUMP;
    utf8proc_ssize_t m;
    for (;;) {
        m = utf8proc_decompose((const utf8proc_uint8_t *)t->fold, (utf8proc_ssize_t)n, t->cps,
                               (utf8proc_ssize_t)t->cps_cap, opts);
        if (m < 0)
            return -1; /* cannot happen on sanitised input but for memory */
        if ((size_t)m < t->cps_cap)
            break; /* reencode needs one spare slot */
        if (souk_grow(&t->cps, &t->cps_cap, (size_t)m + 1, sizeof *t->cps) < 0)
            return -1;
    }
    size_t k = 0;
    bool strip = true; /* a mark before any base is dropped */
    for (utf8proc_ssize_t i = 0; i < m; i++) {
        int32_t cp = t->cps[i];
        if (is_mark(cp)) {
            if (strip)
                continue;
        } else {
            strip = accent_script(cp);
        }
        t->cps[k++] = cp;
    }
    utf8proc_ssize_t bytes = utf8proc_reencode(t->cps, (utf8proc_ssize_t)k, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (bytes < 0)
        return -1;
    if (souk_grow(&t->fold, &t->fold_cap, (size_t)bytes + 1, 1) < 0)
        return -1;
    memcpy(t->fold, t->cps, (size_t)bytes);
    t->fold[bytes] = '\0';
    t->fold_len = (size_t)bytes;
    *out = t->fold;
    return (long)bytes;
}

static bool is_cjk(int32_t cp)
{
    if (cp == 0x30FB) /* katakana middle dot: punctuation */
        return false;
    return (cp >= 0x1100 && cp < 0x1200) || (cp >= 0x2E80 && cp < 0x2FE0) || (cp >= 0x3040 && cp < 0x3190) ||
           (cp >= 0x31F0 && cp < 0x3200) || (cp >= 0x3400 && cp < 0x4DC0) || (cp >= 0x4E00 && cp < 0xA000) ||
           (cp >= 0xA960 && cp < 0xA980) || (cp >= 0xAC00 && cp < 0xD7B0) || (cp >= 0xF900 && cp < 0xFB00) ||
           (cp >= 0xFF66 && cp < 0xFFA0) || (cp >= 0x20000 && cp < 0x31350);
}

static int classify(int32_t cp)
{
    if (cp < 0x80) {
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'))
            return C_LETTER;
        if (cp >= '0' && cp <= '9')
            return C_DIGIT;
        return strchr("-/._'&,", (int)cp) && cp ? C_CONN : C_SEP;
    }
    if (is_cjk(cp))
        return C_CJK;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: return C_LETTER;
    case UTF8PROC_CATEGORY_ND: return C_DIGIT;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME: return C_MARK;
    default: return C_SEP;
    }
}

/* the class of the code point at I of the folded text, its length in *L */
static int class_at(const souk_search_text *t, size_t i, size_t *l)
{
    if (i >= t->fold_len) {
        *l = 0;
        return C_SEP;
    }
    if ((unsigned char)t->fold[i] < 0x80) {
        *l = 1;
        return classify((unsigned char)t->fold[i]);
    }
    utf8proc_int32_t cp;
    utf8proc_ssize_t n =
        utf8proc_iterate((const utf8proc_uint8_t *)t->fold + i, (utf8proc_ssize_t)(t->fold_len - i), &cp);
    if (n <= 0) {
        *l = 1;
        return C_SEP;
    }
    *l = (size_t)n;
    return classify(cp);
}

int souk_search_text_is_stop(const souk_search_text *t, const char *w, size_t len)
{
    if (!t->stop_english || len > 8)
        return 0;
    char key[9];
    memcpy(key, w, len);
    key[len] = '\0';
    size_t lo = 0, hi = sizeof stop_en / sizeof stop_en[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(key, stop_en[mid]);
        if (c == 0)
            return 1;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

typedef struct {
    souk_search_text *t;
    unsigned flags;
    uint32_t chunk;
    bool full;
} emitter;

/* Copies LEN bytes at S into the pool, NUL-terminated. */
static const char *pool_put(souk_search_text *t, const char *s, size_t len)
{
    char *p = t->pool + t->pool_len;
    memcpy(p, s, len);
    p[len] = '\0';
    t->pool_len += len + 1;
    return p;
}

/* Adds a token for SURFACE (LEN bytes), stemmed when STEM. */
static void emit(emitter *e, const char *surface, size_t len, int kind, unsigned flags, uint32_t pos, bool stem)
{
    souk_search_text *t = e->t;
    if (len == 0 || len > SOUK_SEARCH_TOKEN_MAX)
        return;
    if (t->ntoks >= SOUK_SEARCH_FIELD_TOKENS_MAX) {
        e->full = true;
        return;
    }
    if (kind == SOUK_SEARCH_TOK_WORD && (e->flags & SOUK_SEARCH_TEXT_STOPWORDS) &&
        souk_search_text_is_stop(t, surface, len))
        return;
    souk_search_token *tok = &t->toks[t->ntoks++];
    tok->surface = pool_put(t, surface, len);
    tok->surface_len = (uint8_t)len;
    tok->text = tok->surface;
    tok->len = (uint8_t)len;
    if (stem && t->stemmer && !(e->flags & SOUK_SEARCH_TEXT_NOSTEM)) {
        const char *st;
        int sl;
        stem_slot *c = NULL;
        if (t->stems && len <= CACHE_WORD) {
            c = &t->stems->slot[word_hash(surface, len) & (CACHE_SLOTS - 1)];
            if (c->wlen == len && memcmp(c->word, surface, len) == 0) {
                st = c->stem, sl = c->slen;
                goto stemmed;
            }
        }
        st = (const char *)sb_stemmer_stem(t->stemmer, (const sb_symbol *)surface, (int)len);
        sl = st ? sb_stemmer_length(t->stemmer) : 0;
        if (c && st && sl > 0 && sl <= CACHE_WORD) {
            c->wlen = (uint8_t)len, c->slen = (uint8_t)sl;
            memcpy(c->word, surface, len);
            memcpy(c->stem, st, (size_t)sl);
        }
    stemmed:
        if (st && sl > 0 && sl <= SOUK_SEARCH_TOKEN_MAX && ((size_t)sl != len || memcmp(st, surface, len) != 0)) {
            tok->text = pool_put(t, st, (size_t)sl);
            tok->len = (uint8_t)sl;
        }
    }
    tok->kind = (uint8_t)kind;
    tok->flags = (uint8_t)flags;
    tok->pos = pos;
    tok->chunk = e->chunk;
}

typedef struct {
    size_t start, end; /* bytes in the folded text */
    bool digit;
} atom;

/* Emits the tokens of one chunk of atoms; returns the positions it takes. */
static uint32_t emit_chunk(emitter *e, const atom *a, size_t nat, size_t start, size_t end, const char *conns,
                           size_t nconn, uint32_t pos)
{
    const char *f = e->t->fold;
    bool has_digit = false, has_letter = false, only_apos = nconn > 0, only_numsep = nconn > 0;
    for (size_t i = 0; i < nat; i++) {
        has_digit |= a[i].digit;
        has_letter |= !a[i].digit;
    }
    for (size_t i = 0; i < nconn; i++) {
        only_apos &= conns[i] == '\'';
        only_numsep &= conns[i] == '.' || conns[i] == ',';
    }
    if (nat == 1) {
        if (a[0].digit)
            emit(e, f + start, end - start, SOUK_SEARCH_TOK_NUMBER, SOUK_SEARCH_TOKF_QUERY | SOUK_SEARCH_TOKF_NOTYPO,
                 pos, false);
        else
            emit(e, f + start, end - start, SOUK_SEARCH_TOK_WORD, SOUK_SEARCH_TOKF_QUERY, pos, true);
        return 1;
    }
    if (!has_letter && only_numsep && nconn == nat - 1) {
        emit(e, f + start, end - start, SOUK_SEARCH_TOK_NUMBER, SOUK_SEARCH_TOKF_QUERY | SOUK_SEARCH_TOKF_NOTYPO, pos,
             false);
        return 1;
    }
    if (!has_digit && only_apos && nconn == nat - 1) {
        emit(e, f + start, end - start, SOUK_SEARCH_TOK_WORD, SOUK_SEARCH_TOKF_QUERY, pos, true);
        return 1;
    }
    /* the joined form: the atoms without connectors */
    char joined[SOUK_SEARCH_TOKEN_MAX + 1];
    size_t jl = 0;
    bool fits = true;
    for (size_t i = 0; i < nat && fits; i++) {
        size_t l = a[i].end - a[i].start;
        if (jl + l > SOUK_SEARCH_TOKEN_MAX)
            fits = false;
        else {
            memcpy(joined + jl, f + a[i].start, l);
            jl += l;
        }
    }
    if (!has_digit) {
        /* letters joined by connectors: the joined word, then the parts as words */
        if (fits)
            emit(e, joined, jl, SOUK_SEARCH_TOK_JOINED, SOUK_SEARCH_TOKF_QUERY, pos, true);
        for (size_t i = 0; i < nat; i++)
            emit(e, f + a[i].start, a[i].end - a[i].start, SOUK_SEARCH_TOK_WORD, 0, pos + (uint32_t)i, true);
        return (uint32_t)nat;
    }
    /* a code: whole, joined, parts */
    unsigned cf = SOUK_SEARCH_TOKF_QUERY | SOUK_SEARCH_TOKF_NOTYPO;
    emit(e, f + start, end - start, SOUK_SEARCH_TOK_CODE, cf, pos, false);
    if (fits && jl != end - start)
        emit(e, joined, jl, SOUK_SEARCH_TOK_JOINED, cf, pos, false);
    for (size_t i = 0; i < nat; i++)
        emit(e, f + a[i].start, a[i].end - a[i].start, SOUK_SEARCH_TOK_PART, a[i].digit ? SOUK_SEARCH_TOKF_NOTYPO : 0,
             pos + (uint32_t)i, false);
    return (uint32_t)nat;
}

long souk_search_text_analyse(souk_search_text *t, const char *s, size_t len, unsigned flags, uint32_t first_pos)
{
    const char *folded;
    if (souk_search_text_fold(t, s, len, &folded) < 0)
        return -1;
    t->ntoks = 0;
    t->pool_len = 0;
    emitter e = {t, flags, 0, false};
    uint32_t pos = first_pos;
    size_t i = 0, l;
    while (i < t->fold_len && !e.full) {
        int c = class_at(t, i, &l);
        if (c == C_CJK) {
            /* overlapping bigrams over the run */
            size_t prev = i, prev_len = l, run = 1;
            size_t j = i + l, l2;
            while (!e.full && class_at(t, j, &l2) == C_CJK) {
                emit(&e, t->fold + prev, prev_len + l2, SOUK_SEARCH_TOK_CJK, SOUK_SEARCH_TOKF_QUERY, pos++, false);
                e.chunk++;
                prev = j;
                prev_len = l2;
                j += l2;
                run++;
            }
            if (run == 1) {
                emit(&e, t->fold + i, l, SOUK_SEARCH_TOK_CJK, SOUK_SEARCH_TOKF_QUERY, pos++, false);
                e.chunk++;
            }
            i = j;
            continue;
        }
        if (c != C_LETTER && c != C_DIGIT) {
            i += l;
            continue;
        }
        /* a chunk: atoms split at connectors and at letter/digit changes */
        atom a[SOUK_SEARCH_CHUNK_PARTS_MAX];
        char conns[SOUK_SEARCH_CHUNK_PARTS_MAX];
        size_t nat = 0, nconn = 0, start = i, j = i;
        for (;;) {
            bool digit = c == C_DIGIT;
            size_t as = j;
            while (c == (digit ? C_DIGIT : C_LETTER) || (!digit && c == C_MARK)) {
                j += l;
                c = class_at(t, j, &l);
            }
            a[nat++] = (atom){as, j, digit};
            if (nat == SOUK_SEARCH_CHUNK_PARTS_MAX)
                break;
            if (c == C_LETTER || c == C_DIGIT)
                continue; /* a letter/digit change */
            if (c != C_CONN)
                break;
            size_t l3;
            int after = class_at(t, j + l, &l3);
            char conn = t->fold[j];
            if ((after != C_LETTER && after != C_DIGIT) || (conn == ',' && (!digit || after != C_DIGIT)))
                break;
            conns[nconn++] = conn;
            j += l;
            c = after;
            l = l3;
        }
        pos += emit_chunk(&e, a, nat, start, j, conns, nconn, pos);
        e.chunk++;
        i = j;
    }
    return (long)t->ntoks;
}
