/*
 * text.h — the search text pipeline: folding, tokenising, stemming.
 *
 * One analyser turns the text of one field (or one query) into terms:
 *
 *   1. Folding (utf8proc): NFKC compatibility forms ("ﬁ" → "fi", full-width
 *      → ASCII, half-width katakana → full-width), case folding ("ß" → "ss"),
 *      dashes and quotes lumped to ASCII, default-ignorable and control
 *      characters dropped, and accents stripped — but only from Latin, Greek
 *      and Cyrillic letters ("Crème" → "creme"); marks of other scripts
 *      (Devanagari vowel signs, kana voicing) are part of the letter and kept.
 *   2. Tokenising: a chunk is a run of letters and digits joined by single
 *      connectors (- / . _ ' & and, between digits, ','). A chunk that
 *      mixes letters and digits, or digits with connectors other than '.'
 *      or ',', is a model number or SKU: it is kept whole ("wx-200",
 *      "3/4in": SOUK_SEARCH_TOK_CODE), without its connectors ("wx200":
 *      JOINED) and as its parts split at connectors and letter/digit
 *      changes ("wx", "200": PART). Letters joined by connectors
 *      ("t-shirt", "u.s.a") give their parts as words plus the joined word
 *      ("tshirt"); letters joined only by apostrophes stay one word
 *      ("men's", which the English stemmer makes "men"). Digits alone, or
 *      with '.'/',' inside, are one NUMBER ("2.5"). Han, kana and Hangul
 *      runs pass through unstemmed as overlapping bigrams ("東京タワー" →
 *      東京 京タ タワ ワー), a lone character as itself.
 *   3. Stemming (Snowball via libstemmer, language chosen at init) of words
 *      and of the word parts of letter compounds; codes, numbers and CJK
 *      are never stemmed.
 *   4. Optional stop words (SOUK_SEARCH_TEXT_STOPWORDS; an English list,
 *      none for other languages): dropped, but their position is kept so
 *      phrase distances stay right.
 *
 * Limits: a field is read up to SOUK_SEARCH_FIELD_BYTES_MAX bytes; a token
 * longer than SOUK_SEARCH_TOKEN_MAX bytes after folding is skipped; at most
 * SOUK_SEARCH_FIELD_TOKENS_MAX tokens (of every kind) come out of one call,
 * the rest of the field is ignored; a chunk gives at most
 * SOUK_SEARCH_CHUNK_PARTS_MAX parts. Invalid UTF-8 bytes are separators.
 *
 * An analyser is not thread-safe (the stemmer keeps state): one per thread.
 */
#ifndef SOUK_SEARCH_TEXT_H
#define SOUK_SEARCH_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define SOUK_SEARCH_TOKEN_MAX 64
#define SOUK_SEARCH_FIELD_BYTES_MAX 65536
#define SOUK_SEARCH_FIELD_TOKENS_MAX 1024
#define SOUK_SEARCH_CHUNK_PARTS_MAX 16

typedef enum souk_search_tok_kind {
    SOUK_SEARCH_TOK_WORD = 0, /* letters (apostrophes inside): stemmed */
    SOUK_SEARCH_TOK_NUMBER,   /* digits, '.' or ',' inside: "2.5" */
    SOUK_SEARCH_TOK_CODE,     /* a model number or SKU, whole: "wx-200" */
    SOUK_SEARCH_TOK_JOINED,   /* a compound without connectors: "wx200", "tshirt" */
    SOUK_SEARCH_TOK_PART,     /* a part of a CODE: "wx", "200" */
    SOUK_SEARCH_TOK_CJK,      /* a CJK bigram, or a lone CJK character */
} souk_search_tok_kind;

/* Token flags. */
enum {
    /* the token stands for its chunk in a query (tokens of one chunk with
     * this flag are alternatives of one query term: a CODE and its JOINED
     * form); PARTs and the word parts of compounds do not have it */
    SOUK_SEARCH_TOKF_QUERY = 1u << 0,
    /* never matched with typos: numbers, codes and anything with a digit */
    SOUK_SEARCH_TOKF_NOTYPO = 1u << 1,
};

typedef struct souk_search_token {
    const char *text;    /* the term: folded, stemmed where it applies; NUL-terminated */
    const char *surface; /* the folded, unstemmed form; NUL-terminated */
    uint8_t len;         /* bytes of text (1..SOUK_SEARCH_TOKEN_MAX) */
    uint8_t surface_len; /* bytes of surface */
    uint8_t kind;        /* souk_search_tok_kind */
    uint8_t flags;       /* SOUK_SEARCH_TOKF_* */
    uint32_t pos;        /* position: parts of a chunk take one each; its whole and joined forms share the first */
    uint32_t chunk;      /* index of the chunk in this call (0, 1, …): tokens of one chunk share it */
} souk_search_token;

/* Analyser flags. */
enum {
    SOUK_SEARCH_TEXT_STOPWORDS = 1u << 0, /* drop stop words (positions kept) */
    SOUK_SEARCH_TEXT_NOSTEM = 1u << 1,    /* do not stem (for this call) */
};

typedef struct souk_search_text {
    char language[32];          /* as given to init ("english" for NULL) */
    struct sb_stemmer *stemmer; /* NULL: language without a stemmer ("none") */
    int stop_english;           /* the language has the English stop list */
    int32_t *cps;               /* folding scratch: code points */
    size_t cps_cap;
    char *fold; /* the folded text of the last call */
    size_t fold_len, fold_cap;
    char *pool; /* token texts */
    size_t pool_len, pool_cap;
    souk_search_token *toks;
    size_t ntoks;
    struct souk__search_stem_cache *stems; /* recent stems (text.c), NULL if it could not be had */
} souk_search_text;

/* Sets up caller-owned T for LANGUAGE: a Snowball algorithm name or ISO 639
 * code as libstemmer knows them ("english", "en", "german", "fr", …), NULL
 * for English, or "none" for no stemming. Returns 0, -1 when the language is
 * unknown (or 32 bytes or longer), -2 when memory runs out; T needs no release after a failure. */
int souk_search_text_init(souk_search_text *t, const char *language);

/* Frees what T holds. A zeroed T is allowed. */
void souk_search_text_release(souk_search_text *t);

/* Folds LEN bytes at S (see the file comment; at most
 * SOUK_SEARCH_FIELD_BYTES_MAX are read) into T's buffer and returns its
 * length; *OUT points to it (NUL-terminated) until the next call on T.
 * Returns -1 when memory runs out. */
long souk_search_text_fold(souk_search_text *t, const char *s, size_t len, const char **out);

/* Analyses LEN bytes at S with FLAGS (SOUK_SEARCH_TEXT_*): folds, tokenises
 * and stems. Positions start at FIRST_POS. Returns the number of tokens
 * (0..SOUK_SEARCH_FIELD_TOKENS_MAX), stored in T->toks, valid until the next
 * call on T; -1 when memory runs out. */
long souk_search_text_analyse(souk_search_text *t, const char *s, size_t len, unsigned flags, uint32_t first_pos);

/* Nonzero when the folded word W (LEN bytes) is a stop word of T's
 * language. */
int souk_search_text_is_stop(const souk_search_text *t, const char *w, size_t len);

/* Code points in LEN bytes of valid UTF-8 at S (bytes that are not valid
 * UTF-8 count one each). */
size_t souk_search_utf8_chars(const char *s, size_t len);

#endif
