/* test_search_query.c — parsing, typo rules, BM25F, synonyms, phrases, exclusions,
 * fallback, prefixes, sorts and limits (src/search/parse.c, exec.c, rank.c, typo.c,
 * synonyms.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "search_fixture.h"
#include "search/internal.h"

static souk_search_text T;
static souk_arena A;
static const souk_search_request NOPREFIX = {.flags = SOUK_SEARCH_Q_NO_PREFIX};

static int setup(void **state)
{
    (void)state;
    souk_arena_init(&A, 0, 0);
    return souk_search_text_init(&T, NULL);
}

static int teardown(void **state)
{
    (void)state;
    souk_search_text_release(&T);
    souk_arena_release(&A);
    return 0;
}

static void test_typo_budget_and_distance(void **state)
{
    (void)state;
    assert_int_equal(souk_search_typo_budget(4), 0);
    assert_int_equal(souk_search_typo_budget(5), 1);
    assert_int_equal(souk_search_typo_budget(8), 1);
    assert_int_equal(souk_search_typo_budget(9), 2);
    assert_int_equal(souk_search_edit_distance("from", 4, "form", 4, 2), 1); /* a transposition is one edit */
    assert_int_equal(souk_search_edit_distance("kitten", 6, "sitting", 7, 3), 3);
    assert_int_equal(souk_search_edit_distance("kitten", 6, "sitting", 7, 2), 3);         /* over the cap: cap + 1 */
    assert_int_equal(souk_search_edit_distance("café", strlen("café"), "cafe", 4, 1), 1); /* by code point */
    assert_int_equal(souk_search_edit_distance("ca", 2, "abc", 3, 3), 3); /* OSA, not full Damerau (2) */
}

typedef struct {
    uint8_t *hit; /* distance + 1 per word, 0 = not reported */
} walk_ctx;

static void on_word(uint32_t i, int d, void *ctx)
{
    walk_ctx *w = ctx;
    assert_int_equal(w->hit[i], 0); /* each word once */
    w->hit[i] = (uint8_t)(d + 1);
}

/* the dictionary walk (shared rows, pruned prefixes) finds exactly the words a
 * brute-force distance over every word finds, with the same distances */
static void test_typo_walk_equals_brute_force(void **state)
{
    (void)state;
    static const char *const alpha[] = {"a", "b", "c", "\xc3\xa9", "d"}; /* é: two bytes, one character */
    uint64_t rng = 12345;
    for (int round = 0; round < 40; round++) {
        souk__search_strtab tab = {0};
        for (int i = 0; i < 300; i++) {
            char w[40] = "";
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            int len = 1 + (int)((rng >> 33) % 8);
            for (int k = 0; k < len; k++) {
                rng = rng * 6364136223846793005ull + 1442695040888963407ull;
                snprintf(w + strlen(w), sizeof w - strlen(w), "%s", alpha[(rng >> 33) % 5]);
            }
            assert_true(souk__search_strtab_intern(&tab, w, strlen(w), NULL) >= 0);
        }
        uint32_t *rank = malloc(sizeof *rank * tab.n);
        souk__search_strs words;
        assert_int_equal(souk__search_strtab_sorted(&tab, &words, rank), 0);
        for (int qn = 0; qn < 20; qn++) {
            char q[40] = "";
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            int len = 1 + (int)((rng >> 33) % 9);
            for (int k = 0; k < len; k++) {
                rng = rng * 6364136223846793005ull + 1442695040888963407ull;
                snprintf(q + strlen(q), sizeof q - strlen(q), "%s", alpha[(rng >> 33) % 5]);
            }
            for (int k = 1; k <= 2; k++) {
                walk_ctx w = {calloc(words.n, 1)};
                souk__search_typo_walk(&words, q, strlen(q), k, on_word, &w);
                for (uint32_t i = 0; i < words.n; i++) {
                    size_t l;
                    const char *x = souk__search_str(&words, i, &l);
                    int d = souk_search_edit_distance(q, strlen(q), x, l, k);
                    assert_int_equal(w.hit[i], d <= k ? d + 1 : 0);
                }
                free(w.hit);
            }
        }
        free(rank);
        souk__search_strs_release(&words);
        souk__search_strtab_release(&tab);
    }
}

static void test_typos_at_the_boundaries(void **state)
{
    (void)state;
    const fx_doc docs[] = {{.title = "lamp"},      {.title = "chair"},      {.title = "backpack"},
                           {.title = "headphone"}, {.title = "model 1234"}, {.title = "pump WX-200"}};
    souk_search_segment *s = fx_build(docs, 6);
    souk_search_result r;
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "lamp", &r, &A), "1");
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "lmap", &r, &A), "");       /* 4 characters: exact only */
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "chiar", &r, &A), "2");     /* 5: one edit */
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "chxxr", &r, &A), "");      /* 5: not two */
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "backpakc", &r, &A), "3");  /* 8: one edit */
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "bcakpakc", &r, &A), "");   /* 8: not two */
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "haedphoen", &r, &A), "4"); /* 9: two edits */
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "haedpxoen", &r, &A), "");  /* 9: not three */
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "12345", &r, &A), "");      /* numbers: exact only */
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "wx-201", &r, &A), "");     /* codes: exact only */
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "wx200", &r, &A), "6");     /* the joined form matches */
    souk_search_request notypo = {.flags = SOUK_SEARCH_Q_NO_PREFIX | SOUK_SEARCH_Q_NO_TYPO};
    assert_string_equal(fx_ids(s, &T, notypo, "chiar", &r, &A), "");
    souk_search_segment_unref(s);
}

/* The numbers below are computed by hand (N = 2 documents, k1 = 1.2):
 *   d1 title "red apple" (2 positions), d2 title "green apple pie" (3) and
 *   description "crisp apple" (2); average lengths: title 2.5, description 1.0.
 *   idf(red) = ln(1 + (2 - 1 + 0.5) / (1 + 0.5)) = ln 2 = 0.693147
 *   idf(appl) = ln(1 + (2 - 2 + 0.5) / (2 + 0.5)) = ln 1.2 = 0.182322
 *   d1: title norm = (1 - 0.75) + 0.75 * 2 / 2.5 = 0.85; tf~ = 3.0 * 1 / 0.85 = 3.529412
 *       s(red) = 0.693147 * 3.529412 / (1.2 + 3.529412) = 0.517274
 *       s(appl) = 0.182322 * 0.746269 = 0.136061
 *   d2: title norm = 0.25 + 0.75 * 3 / 2.5 = 1.15; description norm = 0.25 + 0.75 * 2 / 1 = 1.75
 *       tf~ = 3.0 / 1.15 + 1.0 / 1.75 = 2.608696 + 0.571429 = 3.180124
 *       s(appl) = 0.182322 * 3.180124 / 4.380124 = 0.132372
 *   No popularity (max 0), not in stock: the blend leaves the text score as it is; in stock
 *   multiplies it by 1.1. */
static void test_bm25f_by_hand(void **state)
{
    (void)state;
    const fx_doc docs[] = {{.title = "red apple"}, {.title = "green apple pie", .description = "crisp apple"}};
    souk_search_segment *s = fx_build(docs, 2);
    souk_search_result r;
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "red", &r, &A), "1");
    assert_true(fabs(r.hits[0].score - 0.517274) < 1e-6);
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "apple", &r, &A), "1 2");
    assert_true(fabs(r.hits[0].score - 0.136061) < 1e-6);
    assert_true(fabs(r.hits[1].score - 0.132372) < 1e-6);
    /* d1 has both words; d2, with one, tops the page up */
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "red apple", &r, &A), "1 2");
    assert_int_equal(r.total, 1);
    assert_true(fabs(r.hits[0].score - (0.517274 + 0.136061)) < 2e-6);
    assert_true(fabs(r.hits[1].score - 0.132372) < 1e-6);
    souk_search_segment_unref(s);
    const fx_doc stocked[] = {{.title = "red apple", .in_stock = true},
                              {.title = "green apple pie", .description = "crisp apple"}};
    s = fx_build(stocked, 2);
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "red", &r, &A), "1");
    assert_true(fabs(r.hits[0].score - 0.517274 * 1.1) < 1e-6);
    souk_search_segment_unref(s);
}

static void test_sku_exact_ranks_first(void **state)
{
    (void)state;
    const fx_doc docs[] = {{.title = "WX-200 filter for the WX-200 pump, fits WX-200"},
                           {.title = "Water pump", .sku = "WX-200"}};
    souk_search_segment *s = fx_build(docs, 2);
    souk_search_result r;
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "wx-200", &r, &A), "2 1");
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "wx-200 filter", &r, &A), "1 2"); /* not the whole query */
    assert_int_equal(r.total, 1);
    souk_search_segment_unref(s);
}

static void test_synonyms(void **state)
{
    (void)state;
    const fx_doc docs[] = {
        {.title = "Television stand"}, {.title = "TV remote"}, {.title = "Sweatshirt grey"}, {.title = "Hoodie blue"}};
    souk_search_segment *s = fx_build(docs, 4);
    const char table[] = "# a comment\n\ntv, television\nhoodie => sweatshirt\n";
    souk_search_synonyms *syn;
    char err[200];
    assert_int_equal(souk_search_synonyms_parse(&syn, table, strlen(table), &T, err, sizeof err), 0);
    souk_search_request req = {.flags = SOUK_SEARCH_Q_NO_PREFIX, .synonyms = syn};
    souk_search_result r;
    assert_string_equal(fx_ids(s, &T, req, "tv", &r, &A), "2 1");          /* the exact word first */
    assert_string_equal(fx_ids(s, &T, req, "televisions", &r, &A), "1 2"); /* analysed: stems meet */
    assert_string_equal(fx_ids(s, &T, req, "hoodie", &r, &A), "4 3");      /* one-way ... */
    assert_string_equal(fx_ids(s, &T, req, "sweatshirt", &r, &A), "3");    /* ... not back */
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "tv", &r, &A), "2");       /* no table, no synonyms */
    souk_search_synonyms_free(syn);
    assert_int_equal(souk_search_synonyms_parse(&syn, "tv, flat screen", 15, &T, err, sizeof err), -1);
    assert_string_equal(err, "line 1: 'flat screen' is not one word");
    assert_int_equal(souk_search_synonyms_parse(&syn, "a\n, b", 5, &T, err, sizeof err), -1);
    assert_string_equal(err, "line 2: an empty entry");
    souk_search_segment_unref(s);
}

static void test_phrases_and_exclusions(void **state)
{
    (void)state;
    const fx_doc docs[] = {{.title = "red wine glass"},
                           {.title = "glass of red wine"},
                           {.title = "white wine glass"},
                           {.title = "WX-200 pump kit"}};
    souk_search_segment *s = fx_build(docs, 4);
    souk_search_result r;
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "\"red wine\"", &r, &A), "1 2");
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "\"wine red\"", &r, &A), "");
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "\"red wine glass\"", &r, &A), "1");
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "\"wx-200 pump\"", &r, &A), "4"); /* a code spans two positions */
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "wine -red", &r, &A), "3");
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "glass -\"red wine\"", &r, &A), "3");
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "-red", &r, &A), "3 4");       /* only exclusions: the rest */
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "\"red wine", &r, &A), "1 2"); /* an open quote runs to the end */
    souk_search_segment_unref(s);
}

static void test_fallback_top_up_prefix_concat(void **state)
{
    (void)state;
    const fx_doc docs[] = {{.title = "red glass vase"},
                           {.title = "blue glass bowl"},
                           {.title = "red mug"},
                           {.title = "Doormat union jack"},
                           {.title = "glassware set"}};
    souk_search_segment *s = fx_build(docs, 5);
    souk_search_result r;
    /* no document has both: those with one (the shorter title first), and it says so */
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "red zebra", &r, &A), "3 1");
    assert_true(r.fell_back && r.terms == 2 && r.terms_matched == 1 && r.total == 2);
    souk_search_request strict = {.flags = SOUK_SEARCH_Q_NO_PREFIX | SOUK_SEARCH_Q_NO_FALLBACK};
    assert_string_equal(fx_ids(s, &T, strict, "red zebra", &r, &A), "");
    /* one document has both: it comes first, the page is topped up with one-word matches */
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "red glass", &r, &A), "1 3 2"); /* "red mug" is shorter */
    assert_true(!r.fell_back && r.total == 1 && r.hits[0].words == 2 && r.hits[1].words == 1);
    assert_string_equal(fx_ids(s, &T, strict, "red glass", &r, &A), "1");
    /* the last word is a prefix unless a space follows it */
    souk_search_request dflt = {0};
    assert_string_equal(fx_ids(s, &T, dflt, "glas", &r, &A),
                        "5 1 2"); /* one idf for every completion: the shortest title first */
    assert_string_equal(fx_ids(s, &T, dflt, "glas ", &r, &A), "");
    assert_string_equal(fx_ids(s, &T, dflt, "red gla", &r, &A), "1 3 5 2");
    assert_int_equal(r.total, 1);
    /* adjacent words meet their concatenation */
    assert_string_equal(fx_ids(s, &T, NOPREFIX, "door mat", &r, &A), "4");
    souk_search_segment_unref(s);
}

static void test_filters_sorts_pages(void **state)
{
    (void)state;
    const fx_doc docs[] = {
        {.title = "mug one",
         .price = 500,
         .created = 3,
         .popularity = 1,
         .rating = 4.5,
         .brand = "acme",
         .in_stock = true},
        {.title = "mug two", .price = 0, .created = 1, .popularity = 9, .rating = 0, .brand = "zen"},
        {.title = "mug three", .price = 200, .created = 2, .popularity = 5, .rating = 3.0, .brand = "acme"},
        {.title = "mug four",
         .price = 900,
         .created = 4,
         .popularity = 0,
         .rating = 5.0,
         .brand = "zen",
         .in_stock = true},
    };
    souk_search_segment *s = fx_build(docs, 4);
    souk_search_result r;
    souk_search_request q = NOPREFIX;
    q.sort = SOUK_SEARCH_SORT_PRICE_ASC;
    assert_string_equal(fx_ids(s, &T, q, "mug", &r, &A), "3 1 4 2"); /* no price: last */
    q.sort = SOUK_SEARCH_SORT_PRICE_DESC;
    assert_string_equal(fx_ids(s, &T, q, "mug", &r, &A), "4 1 3 2");
    q.sort = SOUK_SEARCH_SORT_NEWEST;
    assert_string_equal(fx_ids(s, &T, q, "mug", &r, &A), "4 1 3 2");
    q.sort = SOUK_SEARCH_SORT_POPULARITY;
    assert_string_equal(fx_ids(s, &T, q, "mug", &r, &A), "2 3 1 4");
    q.sort = SOUK_SEARCH_SORT_RATING;
    assert_string_equal(fx_ids(s, &T, q, "mug", &r, &A), "4 1 3 2"); /* unrated: last */
    q.sort = SOUK_SEARCH_SORT_PRICE_ASC;
    q.has_price_min = true, q.price_min = 300;
    assert_string_equal(fx_ids(s, &T, q, "mug", &r, &A), "1 4");
    q.has_price_min = false;
    q.in_stock = true;
    assert_string_equal(fx_ids(s, &T, q, "mug", &r, &A), "1 4");
    q.in_stock = false;
    q.rating_min = 4;
    assert_string_equal(fx_ids(s, &T, q, "mug", &r, &A), "1 4");
    q.rating_min = 0;
    const char *zen[] = {"zen"}, *dims[] = {"brand", "nope"};
    souk_search_filter f = {"brand", zen, 1};
    q.filters = &f, q.nfilters = 1, q.facets = dims, q.nfacets = 2;
    assert_string_equal(fx_ids(s, &T, q, "mug", &r, &A), "4 2");
    assert_int_equal(r.nfacets, 2);
    assert_int_equal(r.facets[0].nvalues, 1); /* counted over the result set */
    assert_string_equal(r.facets[0].values[0].value, "zen");
    assert_int_equal(r.facets[0].values[0].count, 2);
    assert_int_equal(r.facets[1].nvalues, 0);
    q.nfilters = 0;
    assert_string_equal(fx_ids(s, &T, q, "", &r, &A), "3 1 4 2"); /* empty query: everything */
    assert_string_equal(r.facets[0].values[0].value, "acme");     /* 2 each: by value */
    /* pages: offset and limit, bounded */
    q.offset = 1, q.limit = 2;
    assert_string_equal(fx_ids(s, &T, q, "mug", &r, &A), "1 4");
    q.offset = 990, q.limit = 10;
    assert_string_equal(fx_ids(s, &T, q, "mug", &r, &A), "");
    assert_int_equal(r.total, 4);
    q.offset = 991;
    assert_string_equal(fx_ids(s, &T, q, "mug", &r, &A), "error -4");
    q.offset = 0, q.limit = 101;
    assert_string_equal(fx_ids(s, &T, q, "mug", &r, &A), "error -4");
    q.limit = 10;
    q.has_price_min = q.has_price_max = true, q.price_min = 5, q.price_max = 4;
    assert_string_equal(fx_ids(s, &T, q, "mug", &r, &A), "error -5");
    souk_search_segment_unref(s);
}

static void test_parser_bounds(void **state)
{
    (void)state;
    souk_search_query q;
    size_t n = SOUK_SEARCH_QUERY_BYTES_MAX + 1;
    char *big = malloc(n);
    memset(big, 'a', n);
    assert_int_equal(souk_search_query_parse(&q, big, n, &T, 0, &A), SOUK_SEARCH_E_TOO_LONG);
    /* 32 words are fine, 33 are refused */
    char words[400] = "";
    for (int i = 0; i < 32; i++)
        snprintf(words + strlen(words), sizeof words - strlen(words), "x%c%c ", 'a' + i / 26, 'a' + i % 26);
    assert_int_equal(souk_search_query_parse(&q, words, strlen(words), &T, 0, &A), SOUK_SEARCH_OK);
    assert_int_equal(q.nwords, 32);
    snprintf(words + strlen(words), sizeof words - strlen(words), "zz");
    assert_int_equal(souk_search_query_parse(&q, words, strlen(words), &T, 0, &A), SOUK_SEARCH_E_TOO_MANY_TERMS);
    assert_int_equal(souk_search_query_parse(&q, "a\xff", 2, &T, 0, &A), SOUK_SEARCH_E_UTF8);
    assert_int_equal(souk_search_query_parse(&q, "a\0b", 3, &T, 0, &A), SOUK_SEARCH_E_UTF8);
    /* odd but valid input parses */
    const char *odd[] = {"\"", "-", "--", "- -\"", "\x01\x02 red\t", "((a|b)*)+$", "\"\"\"\"", "-\"\""};
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++)
        assert_int_equal(souk_search_query_parse(&q, odd[i], strlen(odd[i]), &T, 0, &A), SOUK_SEARCH_OK);
    /* stop words go, unless there is nothing else */
    assert_int_equal(souk_search_query_parse(&q, "the mug ", 8, &T, 0, &A), SOUK_SEARCH_OK);
    assert_int_equal(q.nwords, 1);
    assert_int_equal(souk_search_query_parse(&q, "the ", 4, &T, 0, &A), SOUK_SEARCH_OK);
    assert_int_equal(q.nwords, 1);
    /* clause kinds */
    assert_int_equal(souk_search_query_parse(&q, "red \"wine glass\" -cheap mu", 26, &T, 0, &A), SOUK_SEARCH_OK);
    assert_int_equal(q.nclauses, 4);
    assert_int_equal(q.clauses[1].type, SOUK_SEARCH_CLAUSE_PHRASE);
    assert_int_equal(q.clauses[1].n, 2);
    assert_true(q.clauses[2].negated);
    assert_true(q.clauses[3].prefix && !q.clauses[0].prefix);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typo_budget_and_distance), cmocka_unit_test(test_typo_walk_equals_brute_force),
        cmocka_unit_test(test_typos_at_the_boundaries),  cmocka_unit_test(test_bm25f_by_hand),
        cmocka_unit_test(test_sku_exact_ranks_first),    cmocka_unit_test(test_synonyms),
        cmocka_unit_test(test_phrases_and_exclusions),   cmocka_unit_test(test_fallback_top_up_prefix_concat),
        cmocka_unit_test(test_filters_sorts_pages),      cmocka_unit_test(test_parser_bounds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
