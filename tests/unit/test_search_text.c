/* test_search_text.c — folding, tokenising, stemming and stop words (src/search/text.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "search/text.h"

static souk_search_text T;

static int setup(void **state)
{
    (void)state;
    return souk_search_text_init(&T, NULL);
}

static int teardown(void **state)
{
    (void)state;
    souk_search_text_release(&T);
    return 0;
}

static const char *fold(const char *s)
{
    const char *out;
    assert_true(souk_search_text_fold(&T, s, strlen(s), &out) >= 0);
    return out;
}

/* "text/surface/kind@pos" for every token, space-separated */
static const char *toks(const char *s, unsigned flags)
{
    static char buf[4096];
    long n = souk_search_text_analyse(&T, s, strlen(s), flags, 0);
    assert_true(n >= 0);
    static const char kinds[] = "wncjpk"; /* word number code joined part cjk */
    size_t at = 0;
    buf[0] = '\0';
    for (long i = 0; i < n; i++) {
        const souk_search_token *t = &T.toks[i];
        at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%s/%s/%c@%u", i ? " " : "", t->text, t->surface,
                               kinds[t->kind], t->pos);
    }
    return buf;
}

static void test_fold_accents_case_compat(void **state)
{
    (void)state;
    assert_string_equal(fold("Crème Brûlée"), "creme brulee");
    assert_string_equal(fold("STRASSE Straße"), "strasse strasse");
    assert_string_equal(fold("ﬁne Ｗｘ－２００"), "fine wx-200");    /* ligature, full-width forms */
    assert_string_equal(fold("Ångström Øre ÇA"), "angstrom øre ca"); /* ø is a letter of its own, not an accent */
    assert_string_equal(fold("Ελληνικά Ёлка"), "ελληνικα елка");     /* Greek tonos and Cyrillic diaeresis go */
    assert_string_equal(fold("tab\there\nnew\x7f"), "tab here new ");
    assert_string_equal(fold("soft\xc2\xadhyphen"), "softhyphen"); /* default-ignorable: dropped */
    assert_string_equal(fold("en\xe2\x80\x93"
                             "dash"),
                        "en-dash");                              /* lumped to ASCII */
    assert_string_equal(fold("bad\xff\xfe utf8"), "bad   utf8"); /* invalid bytes are separators */
}

static void test_fold_keeps_other_scripts(void **state)
{
    (void)state;
    assert_string_equal(fold("東京タワー"), "東京タワー");
    assert_string_equal(fold("ガラス"), "ガラス"); /* the voicing mark is part of the kana */
    assert_string_equal(fold("ｶﾞﾗｽ"), "ガラス");   /* half-width katakana composed to full width */
    assert_string_equal(fold("हिन्दी"), "हिन्दी");   /* Devanagari vowel signs kept */
    assert_string_equal(fold("한국어"), "한국어");
}

static void test_codes_stay_whole(void **state)
{
    (void)state;
    assert_string_equal(toks("WX-200", 0), "wx-200/wx-200/c@0 wx200/wx200/j@0 wx/wx/p@0 200/200/p@1");
    assert_string_equal(toks("3/4in pipe", 0), "3/4in/3/4in/c@0 34in/34in/j@0 3/3/p@0 4/4/p@1 in/in/p@2 pipe/pipe/w@3");
    assert_string_equal(toks("85123A", 0), "85123a/85123a/c@0 85123/85123/p@0 a/a/p@1");
    assert_string_equal(toks("2.5 1,000 42", 0), "2.5/2.5/n@0 1,000/1,000/n@1 42/42/n@2");
    /* a trailing connector is no part of the code */
    assert_string_equal(toks("ab-12.", 0), "ab-12/ab-12/c@0 ab12/ab12/j@0 ab/ab/p@0 12/12/p@1");
    /* the query flags: a code and its joined form stand for the chunk, never with typos */
    souk_search_text_analyse(&T, "WX-200", 6, 0, 0);
    assert_int_equal(T.toks[0].flags, SOUK_SEARCH_TOKF_QUERY | SOUK_SEARCH_TOKF_NOTYPO);
    assert_int_equal(T.toks[1].flags, SOUK_SEARCH_TOKF_QUERY | SOUK_SEARCH_TOKF_NOTYPO);
    assert_int_equal(T.toks[2].flags & SOUK_SEARCH_TOKF_QUERY, 0);
    assert_int_equal(T.toks[0].chunk, T.toks[3].chunk);
}

static void test_words_and_compounds(void **state)
{
    (void)state;
    assert_string_equal(toks("Men's T-Shirts", 0), "men/men's/w@0 tshirt/tshirts/j@1 t/t/w@1 shirt/shirts/w@2");
    assert_string_equal(toks("U.S.A. made", 0), "usa/usa/j@0 u/u/w@0 s/s/w@1 a/a/w@2 made/made/w@3");
    assert_string_equal(toks("  ,;  ", 0), "");
}

static void test_cjk_bigrams(void **state)
{
    (void)state;
    assert_string_equal(toks("東京タワー", 0), "東京/東京/k@0 京タ/京タ/k@1 タワ/タワ/k@2 ワー/ワー/k@3");
    assert_string_equal(toks("日 本", 0), "日/日/k@0 本/本/k@1");
    assert_string_equal(toks("iPhone用ケース", 0), "iphon/iphone/w@0 用ケ/用ケ/k@1 ケー/ケー/k@2 ース/ース/k@3");
}

static void test_stemming(void **state)
{
    (void)state;
    assert_string_equal(toks("running pumps ponies", 0), "run/running/w@0 pump/pumps/w@1 poni/ponies/w@2");
    assert_string_equal(toks("running", SOUK_SEARCH_TEXT_NOSTEM), "running/running/w@0");
    /* again, now from the stem cache, and a word the cache holds no stem for beside it */
    assert_string_equal(toks("running runs running", 0), "run/running/w@0 run/runs/w@1 run/running/w@2");
    char w[40];
    for (int i = 0; i < 20000; i++) { /* many words through the 8192 slots: evictions stay right */
        snprintf(w, sizeof w, "walking%dx", i);
        souk_search_text_analyse(&T, w, strlen(w), 0, 0);
    }
    assert_string_equal(toks("running ponies", 0), "run/running/w@0 poni/ponies/w@1");
    souk_search_text de, none, bad;
    assert_int_equal(souk_search_text_init(&de, "german"), 0);
    long n = souk_search_text_analyse(&de, "Häuser", strlen("Häuser"), 0, 0);
    assert_int_equal(n, 1);
    assert_string_equal(de.toks[0].surface, "hauser");
    assert_string_equal(de.toks[0].text, "haus");
    souk_search_text_release(&de);
    assert_int_equal(souk_search_text_init(&none, "none"), 0);
    assert_int_equal(souk_search_text_analyse(&none, "running", 7, 0, 0), 1);
    assert_string_equal(none.toks[0].text, "running");
    souk_search_text_release(&none);
    assert_int_equal(souk_search_text_init(&bad, "klingon"), -1);
}

static void test_stop_words(void **state)
{
    (void)state;
    assert_string_equal(toks("the cup of tea", SOUK_SEARCH_TEXT_STOPWORDS), "cup/cup/w@1 tea/tea/w@3");
    assert_string_equal(toks("the cup of tea", 0), "the/the/w@0 cup/cup/w@1 of/of/w@2 tea/tea/w@3");
    assert_true(souk_search_text_is_stop(&T, "with", 4));
    assert_false(souk_search_text_is_stop(&T, "witch", 5));
}

static void test_limits(void **state)
{
    (void)state;
    /* a 65-byte token is skipped, a 64-byte one kept */
    char big[200];
    memset(big, 'a', 65);
    big[65] = ' ';
    memset(big + 66, 'b', 64);
    big[130] = '\0';
    long n = souk_search_text_analyse(&T, big, strlen(big), SOUK_SEARCH_TEXT_NOSTEM, 0);
    assert_int_equal(n, 1);
    assert_int_equal(T.toks[0].len, 64);
    /* at most SOUK_SEARCH_FIELD_TOKENS_MAX tokens from one field */
    size_t len = 3000 * 3;
    char *many = malloc(len + 1);
    for (size_t i = 0; i < 3000; i++)
        memcpy(many + 3 * i, "ab ", 3);
    many[len] = '\0';
    assert_int_equal(souk_search_text_analyse(&T, many, len, 0, 0), SOUK_SEARCH_FIELD_TOKENS_MAX);
    free(many);
    /* a field is read up to SOUK_SEARCH_FIELD_BYTES_MAX bytes, cut at a character boundary */
    size_t huge = SOUK_SEARCH_FIELD_BYTES_MAX + 100;
    char *h = malloc(huge);
    for (size_t i = 0; i + 2 <= huge; i += 2)
        memcpy(h + i, "\xc3\xa9", 2); /* é */
    const char *out;
    long fl = souk_search_text_fold(&T, h, huge, &out);
    assert_true(fl > 0 && fl <= SOUK_SEARCH_FIELD_BYTES_MAX);
    free(h);
    assert_int_equal(souk_search_utf8_chars("héllo", strlen("héllo")), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_accents_case_compat),
        cmocka_unit_test(test_fold_keeps_other_scripts),
        cmocka_unit_test(test_codes_stay_whole),
        cmocka_unit_test(test_words_and_compounds),
        cmocka_unit_test(test_cjk_bigrams),
        cmocka_unit_test(test_stemming),
        cmocka_unit_test(test_stop_words),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
