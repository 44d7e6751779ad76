/*
 * sentiment.c — the sentiment score of a review text (see reviews.h and
 * docs/internals/reviews.md).
 *
 * The text is cut into sentences (at . ! ? ; and line breaks; not at a dot
 * between digits) and each sentence into clauses (at , : and brackets).
 * Each clause goes through the search text pipeline (search/text.h:
 * folding, tokenising, English Snowball stems), and its words are matched
 * against the lexicon's stemmed entries, longest phrase first. A matched
 * entry's valence is
 *   - flipped and damped (× NEGATION) when a negator stands up to
 *     NEG_WINDOW words before it in the clause, with no other sentiment
 *     word between ("not good", "never works", "no complaints");
 *   - scaled by the intensifiers and diminishers right before it ("very
 *     good" × 1.3, "slightly disappointing" × 0.5);
 * A contrast word (but, however, except; although/though) halves what the
 * sentence said before it and weighs what follows by 1.5 ("Great screen but
 * the battery died" is about the battery); a sentence opening with
 * although/though has its first clause halved instead. Exclamation marks
 * after a sentence scale it up to 1.3. The sum S over the text is squashed
 * to S / sqrt(S² + ALPHA), in (-1, 1); the label is positive at or above
 * SOUK_REVIEWS_NEUTRAL_BAND, negative at or below its negation, else
 * neutral.
 */
#include "reviews/internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "search/text.h"
#include "core/banned.h"

#define NEGATION (-0.7) /* "not good" is weaker than "bad" */
#define NEG_WINDOW 3    /* words a negator reaches */
#define MOD_WINDOW 2    /* words an intensifier reaches */
#define CONTRAST_BEFORE 0.5
#define CONTRAST_AFTER 1.5
#define ALPHA 15.0 /* the squashing constant: a sum of about 4 scores 0.7 */
#define CLAUSE_WORDS 256

/* A lexicon entry as the pipeline sees it. A word whose stem is the word
 * itself or the word less a final "e" (a base form: "love", "break",
 * "adore" → "ador") matches by stem, so its inflections count ("loved",
 * "breaks", "adores"); any other word matches only its own folded form,
 * since its stem may be a different word's ("useful" stems to "use",
 * "helpful" to "help"). */
typedef struct stemmed {
    const char *w[SOUK__REVIEWS_PHRASE_MAX];
    bool by_stem[SOUK__REVIEWS_PHRASE_MAX];
    int n;
    float valence;
} stemmed;

struct souk_reviews_analyser {
    souk_search_text text;
    stemmed *lex;
    size_t nlex;
    char *pool;
    size_t pool_len, pool_cap;
};

const char *souk_reviews_label_name(int label)
{
    switch (label) {
    case SOUK_REVIEWS_NEGATIVE: return "negative";
    case SOUK_REVIEWS_NEUTRAL: return "neutral";
    case SOUK_REVIEWS_POSITIVE: return "positive";
    default: return NULL;
    }
}

int souk_reviews_label_parse(const char *name, size_t len)
{
    static const struct {
        const char *name;
        int label;
    } names[] = {{"negative", SOUK_REVIEWS_NEGATIVE}, {"neg", SOUK_REVIEWS_NEGATIVE},
                 {"neutral", SOUK_REVIEWS_NEUTRAL},   {"neu", SOUK_REVIEWS_NEUTRAL},
                 {"positive", SOUK_REVIEWS_POSITIVE}, {"pos", SOUK_REVIEWS_POSITIVE}};
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == len && memcmp(names[i].name, name, len) == 0)
            return names[i].label;
    return -1;
}

/* the tokens of the last analysis that take part: words, numbers, parts of codes */
static bool usable(const souk_search_token *t)
{
    return t->kind == SOUK_SEARCH_TOK_WORD || t->kind == SOUK_SEARCH_TOK_NUMBER || t->kind == SOUK_SEARCH_TOK_PART;
}

static const char *pool_dup(souk_reviews_analyser *an, const char *s, size_t len)
{
    if (an->pool_len + len + 1 > an->pool_cap)
        return NULL;
    char *d = an->pool + an->pool_len;
    memcpy(d, s, len);
    d[len] = '\0';
    an->pool_len += len + 1;
    return d;
}

static int by_first_then_longest(const void *x, const void *y)
{
    const stemmed *a = x, *b = y;
    int c = strcmp(a->w[0], b->w[0]);
    return c ? c : b->n - a->n;
}

souk_reviews_analyser *souk_reviews_analyser_new(void)
{
    souk_reviews_analyser *an = calloc(1, sizeof *an);
    if (!an)
        return NULL;
    if (souk_search_text_init(&an->text, "english") < 0) {
        free(an);
        return NULL;
    }
    an->pool_cap = souk__reviews_lexicon_count * 64;
    an->pool = malloc(an->pool_cap);
    an->lex = calloc(souk__reviews_lexicon_count, sizeof *an->lex);
    if (!an->pool || !an->lex) {
        souk_reviews_analyser_free(an);
        return NULL;
    }
    for (size_t i = 0; i < souk__reviews_lexicon_count; i++) {
        const souk__reviews_entry *e = &souk__reviews_lexicon[i];
        long n = souk_search_text_analyse(&an->text, e->text, strlen(e->text), 0, 0);
        if (n < 0) {
            souk_reviews_analyser_free(an);
            return NULL;
        }
        stemmed s = {.valence = e->valence};
        for (long k = 0; k < n && s.n < SOUK__REVIEWS_PHRASE_MAX; k++) {
            const souk_search_token *t = &an->text.toks[k];
            if (!usable(t))
                continue;
            s.by_stem[s.n] =
                (t->len == t->surface_len || (t->len + 1 == t->surface_len && t->surface[t->len] == 'e')) &&
                memcmp(t->text, t->surface, t->len) == 0;
            if (!(s.w[s.n] =
                      s.by_stem[s.n] ? pool_dup(an, t->text, t->len) : pool_dup(an, t->surface, t->surface_len))) {
                souk_reviews_analyser_free(an);
                return NULL;
            }
            s.n++;
        }
        if (s.n)
            an->lex[an->nlex++] = s;
    }
    qsort(an->lex, an->nlex, sizeof *an->lex, by_first_then_longest);
    return an;
}

void souk_reviews_analyser_free(souk_reviews_analyser *an)
{
    if (!an)
        return;
    souk_search_text_release(&an->text);
    free(an->lex);
    free(an->pool);
    free(an);
}

static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static int tl_ok;

static void tl_free(void *p)
{
    souk_reviews_analyser_free(p);
}

static void tl_init(void)
{
    tl_ok = pthread_key_create(&tl_key, tl_free) == 0;
}

souk_reviews_analyser *souk_reviews_thread_analyser(void)
{
    pthread_once(&tl_once, tl_init);
    if (!tl_ok)
        return NULL;
    souk_reviews_analyser *an = pthread_getspecific(tl_key);
    if (!an && (an = souk_reviews_analyser_new()) && pthread_setspecific(tl_key, an) != 0) {
        souk_reviews_analyser_free(an);
        an = NULL;
    }
    return an;
}

/* ---- word classes ---- */

static bool in_list(const char *const *list, const char *w)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], w) == 0)
            return true;
    return false;
}

static bool is_negator(const char *w, size_t len)
{
    return (len > 3 && memcmp(w + len - 3, "n't", 3) == 0) || in_list(souk__reviews_negators, w);
}

static double modifier_of(const char *w)
{
    for (size_t i = 0; souk__reviews_modifiers[i].word; i++)
        if (strcmp(souk__reviews_modifiers[i].word, w) == 0)
            return souk__reviews_modifiers[i].scale;
    return 0;
}

/* the longest entry whose first word is KEY (by stem when BY_STEM, else
 * by form) matching the words I..N (STEMS, FORMS), or NULL */
static const stemmed *match_key(const souk_reviews_analyser *an, const char *key, bool by_stem,
                                const char *const *stems, const char *const *forms, int i, int n)
{
    size_t lo = 0, hi = an->nlex;
    while (lo < hi) { /* the first entry whose first word is >= key */
        size_t mid = (lo + hi) / 2;
        if (strcmp(an->lex[mid].w[0], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k < an->nlex && strcmp(an->lex[k].w[0], key) == 0; k++) {
        const stemmed *e = &an->lex[k]; /* longest first */
        if (e->by_stem[0] != by_stem || i + e->n > n)
            continue;
        int j = 1;
        while (j < e->n && strcmp(e->w[j], e->by_stem[j] ? stems[i + j] : forms[i + j]) == 0)
            j++;
        if (j == e->n)
            return e;
    }
    return NULL;
}

/* the longest lexicon entry matching the words I..N, or NULL */
static const stemmed *match(const souk_reviews_analyser *an, const char *const *stems, const char *const *forms, int i,
                            int n)
{
    const stemmed *a = match_key(an, stems[i], true, stems, forms, i, n);
    const stemmed *b = match_key(an, forms[i], false, stems, forms, i, n);
    return !a ? b : !b ? a : b->n > a->n ? b : a;
}

/* ---- scoring ---- */

typedef struct sentence_state {
    double before, after;    /* sums before and after a contrast word */
    bool contrasted;         /* a contrast word was seen */
    bool opening_concession; /* the sentence began with although / though */
    int clause;              /* clauses of the sentence so far */
} sentence_state;

static void add(sentence_state *s, double v)
{
    if (s->contrasted)
        s->after += v;
    else
        s->before += v;
}

/* Scores one clause of LEN bytes at P into S. -1 when memory runs out. */
static int clause_score(souk_reviews_analyser *an, const char *p, size_t len, sentence_state *s, size_t *matched)
{
    long n = souk_search_text_analyse(&an->text, p, len, 0, 0);
    if (n < 0)
        return -1;
    const char *stems[CLAUSE_WORDS], *surf[CLAUSE_WORDS];
    size_t surf_len[CLAUSE_WORDS];
    int m = 0;
    for (long k = 0; k < n && m < CLAUSE_WORDS; k++) {
        const souk_search_token *t = &an->text.toks[k];
        if (!usable(t))
            continue;
        stems[m] = t->text;
        surf[m] = t->surface;
        surf_len[m++] = t->surface_len;
    }
    double concession = 1.0;
    int last_hit_end = 0; /* look-backs stop at the previous sentiment word */
    for (int i = 0; i < m;) {
        if (in_list(souk__reviews_contrasts, surf[i])) {
            bool concessive = strcmp(surf[i], "although") == 0 || strcmp(surf[i], "though") == 0;
            if (concessive && s->clause == 0 && i == 0 && !s->contrasted) {
                s->opening_concession = true; /* "Although X, Y": X counts less */
                concession = CONTRAST_BEFORE;
            } else if (!s->contrasted) {
                s->contrasted = true;
                s->before *= CONTRAST_BEFORE;
            }
            last_hit_end = ++i;
            continue;
        }
        const stemmed *e = match(an, stems, surf, i, m);
        if (!e) {
            i++;
            continue;
        }
        double v = e->valence, scale = 1.0;
        bool negated = false;
        for (int j = i - 1; j >= last_hit_end && j >= i - NEG_WINDOW; j--) {
            if (is_negator(surf[j], surf_len[j]))
                negated = true;
            double mod = i - j <= MOD_WINDOW + (negated ? 1 : 0) ? modifier_of(surf[j]) : 0;
            if (mod > 0)
                scale *= mod;
        }
        /* a phrase that holds its own negation ("not worth", "don't buy") is not negated again */
        if (e->n > 1 && is_negator(surf[i], surf_len[i]))
            negated = false;
        v *= scale;
        if (negated)
            v *= NEGATION;
        add(s, v * concession);
        (*matched)++;
        i += e->n;
        last_hit_end = i;
    }
    return 0;
}

static bool sentence_end(const char *p, size_t i, size_t len)
{
    char c = p[i];
    if (c == '!' || c == '?' || c == ';' || c == '\n')
        return true;
    if (c != '.')
        return false;
    bool digit_before = i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9';
    bool digit_after = i + 1 < len && p[i + 1] >= '0' && p[i + 1] <= '9';
    return !(digit_before && digit_after);
}

static bool clause_end(char c)
{
    return c == ',' || c == ':' || c == '(' || c == ')' || c == '-' || c == '"';
}

int souk_reviews_sentiment_score(souk_reviews_analyser *an, const char *text, size_t len, souk_reviews_sentiment *out)
{
    *out = (souk_reviews_sentiment){0, SOUK_REVIEWS_NEUTRAL, 0};
    if (len > SOUK_REVIEWS_TEXT_BYTES_MAX)
        len = SOUK_REVIEWS_TEXT_BYTES_MAX;
    double total = 0;
    size_t matched = 0;
    sentence_state s = {0};
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        bool end_s = i == len || sentence_end(text, i, len);
        bool end_c = !end_s && clause_end(text[i]) &&
                     !(text[i] == '-' && i > 0 && i + 1 < len && text[i - 1] != ' ' && text[i + 1] != ' ');
        if (!end_s && !end_c)
            continue;
        if (i > start) {
            if (clause_score(an, text + start, i - start, &s, &matched) < 0)
                return -1;
            s.clause++;
        }
        if (end_c && s.opening_concession && !s.contrasted) {
            s.contrasted = true; /* the concession ends at its clause; the main clause weighs more */
        }
        start = i + 1;
        if (end_s) {
            /* the terminator at i and any run of ! ? . after it end the sentence; the loop's i++
             * then moves to the byte after them (always forward: i never goes below where it was) */
            size_t bangs = i < len && text[i] == '!';
            while (i + 1 < len && (text[i + 1] == '!' || text[i + 1] == '?' || text[i + 1] == '.')) {
                bangs += text[i + 1] == '!';
                i++;
            }
            start = i + 1;
            double sum = s.before + s.after * (s.contrasted ? CONTRAST_AFTER : 1.0);
            total += sum * (1.0 + 0.1 * (double)(bangs > 3 ? 3 : bangs));
            s = (sentence_state){0};
        }
    }
    double score = total / sqrt(total * total + ALPHA);
    if (!isfinite(score))
        score = 0;
    if (score > 1)
        score = 1;
    if (score < -1)
        score = -1;
    out->score = score;
    out->matched = matched;
    out->label = score >= SOUK_REVIEWS_NEUTRAL_BAND    ? SOUK_REVIEWS_POSITIVE
                 : score <= -SOUK_REVIEWS_NEUTRAL_BAND ? SOUK_REVIEWS_NEGATIVE
                                                       : SOUK_REVIEWS_NEUTRAL;
    return 0;
}

int souk_reviews_evaluate(souk_reviews_analyser *an, const char *const *texts, const size_t *lens, const int *labels,
                          size_t from, size_t to, souk_reviews_eval *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = from; i < to; i++) {
        souk_reviews_sentiment r;
        if (labels[i] < 0 || labels[i] > 2)
            continue;
        if (souk_reviews_sentiment_score(an, texts[i], lens[i], &r) < 0)
            return -1;
        out->confusion[labels[i]][r.label]++;
        out->n++;
    }
    size_t right = 0;
    for (int c = 0; c < 3; c++) {
        size_t tp = out->confusion[c][c], predicted = 0, actual = 0;
        for (int k = 0; k < 3; k++) {
            predicted += out->confusion[k][c];
            actual += out->confusion[c][k];
        }
        right += tp;
        out->precision[c] = predicted ? (double)tp / (double)predicted : 0;
        out->recall[c] = actual ? (double)tp / (double)actual : 0;
        double pr = out->precision[c] + out->recall[c];
        out->f1[c] = pr > 0 ? 2 * out->precision[c] * out->recall[c] / pr : 0;
    }
    out->accuracy = out->n ? (double)right / (double)out->n : 0;
    return 0;
}
