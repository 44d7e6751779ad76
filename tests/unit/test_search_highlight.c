/* test_search_highlight.c — marking matched words (src/search/highlight.c):
 * stems, completions, typos, synonyms and codes are marked, exclusions are
 * not; hostile text comes out escaped, never as markup; the snippet is
 * about 160 characters around the densest stretch of matches, cut at
 * words, with ellipses where text was left out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "search/highlight.h"

static souk_search_text t;
static souk_arena arena;
static souk_buf out;
static souk_search_synonyms *syn;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(souk_search_text_init(&t, NULL), 0);
    souk_arena_init(&arena, 1 << 16, 1 << 24);
    souk_buf_init(&out, 1 << 20);
    char err[128];
    const char *rules = "tv, television\n";
    assert_int_equal(souk_search_synonyms_parse(&syn, rules, strlen(rules), &t, err, sizeof err), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    souk_search_synonyms_free(syn);
    souk_buf_release(&out);
    souk_arena_release(&arena);
    souk_search_text_release(&t);
    return 0;
}

/* TEXT marked for the query Q. */
static const char *mark(const char *q, const char *text)
{
    souk_search_highlighter h;
    assert_int_equal(souk_search_highlight_init(&h, &t, q, strlen(q), 0, syn, &arena), SOUK_SEARCH_OK);
    souk_buf_reset(&out);
    assert_true(souk_search_highlight_text(&h, &t, text, strlen(text), &out) >= 0);
    return out.data ? out.data : "";
}

static const char *snippet(const char *q, const char *text)
{
    souk_search_highlighter h;
    assert_int_equal(souk_search_highlight_init(&h, &t, q, strlen(q), 0, syn, &arena), SOUK_SEARCH_OK);
    souk_buf_reset(&out);
    assert_true(souk_search_highlight_snippet(&h, &t, text, strlen(text), SOUK_SEARCH_HL_SNIPPET_CHARS, &out) >= 0);
    return out.data ? out.data : "";
}

static void test_marks_what_the_query_matches(void **state)
{
    (void)state;
    assert_string_equal(mark("wool blanket ", "Red Wool Blankets"), "Red <mark>Wool</mark> <mark>Blankets</mark>");
    assert_string_equal(mark("cera", "Ceramic mug"), "<mark>Ceramic</mark> mug");           /* completion */
    assert_string_equal(mark("cera ", "Ceramic mug"), "Ceramic mug");                       /* no completion */
    assert_string_equal(mark("blanket ", "Woolen blankte"), "Woolen <mark>blankte</mark>"); /* one typo */
    assert_string_equal(mark("crème ", "CREME brulee"), "<mark>CREME</mark> brulee");       /* folded */
    assert_string_equal(mark("television ", "Smart TV 55"), "Smart <mark>TV</mark> 55");    /* synonym */
    assert_string_equal(mark("wx200 ", "Drill WX-200, blue"), "Drill <mark>WX-200</mark>, blue");
    assert_string_equal(mark("mug -red ", "Red mug"), "Red <mark>mug</mark>"); /* exclusions are not marked */
    assert_string_equal(mark("", "Red mug"), "Red mug");
    assert_string_equal(mark("\"red mug\" ", "A red mug, red"),
                        "A <mark>red</mark> <mark>mug</mark>, <mark>red</mark>");
}

static void test_hostile_text_is_escaped(void **state)
{
    (void)state;
    assert_string_equal(mark("script ", "<script>alert(1)</script>"),
                        "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;");
    assert_string_equal(mark("mug ", "Tom & Jerry's \"mug\" <b>"),
                        "Tom &amp; Jerry&#39;s &quot;<mark>mug</mark>&quot; &lt;b&gt;");
    assert_string_equal(mark("mark ", "<mark>x</mark>"), "&lt;<mark>mark</mark>&gt;x&lt;/<mark>mark</mark>&gt;");
    assert_string_equal(snippet("img ", "<img src=x onerror=alert(1)>"),
                        "&lt;<mark>img</mark> src=x onerror=alert(1)&gt;");
    /* whatever the text, the only markup is <mark> and </mark> */
    const char *q = "a\"b <c> 'd' &e ";
    const char *s = mark(q, "a\"b <c> 'd' &e");
    for (const char *p = strchr(s, '<'); p; p = strchr(p + 1, '<'))
        assert_true(strncmp(p, "<mark>", 6) == 0 || strncmp(p, "</mark>", 7) == 0);
    assert_null(strchr(s, '"'));
    assert_null(strchr(s, '\''));
}

static void test_snippet_window(void **state)
{
    (void)state;
    char text[4000] = "";
    for (int i = 0; i < 40; i++)
        strcat(text, "filler words here. ");
    strcat(text, "The cosy wool blanket keeps you warm, wool through and through. ");
    for (int i = 0; i < 40; i++)
        strcat(text, "more filler text. ");
    const char *s = snippet("wool ", text);
    assert_true(strncmp(s, "\xe2\x80\xa6", 3) == 0);               /* cut before */
    assert_true(strcmp(s + strlen(s) - 3, "\xe2\x80\xa6") == 0);   /* and after */
    assert_non_null(strstr(s, "cosy <mark>wool</mark> blanket"));  /* context before the match */
    assert_non_null(strstr(s, "warm, <mark>wool</mark> through")); /* both matches in one window */
    assert_true(souk_search_utf8_chars(s, strlen(s)) <= SOUK_SEARCH_HL_SNIPPET_CHARS + 2 + 26);
    /* no match: the start of the text */
    s = snippet("zebra ", text);
    assert_true(strncmp(s, "filler words here.", 18) == 0);
    assert_true(strcmp(s + strlen(s) - 3, "\xe2\x80\xa6") == 0);
    /* a short text whole, no ellipsis */
    assert_string_equal(snippet("mug ", "A small mug."), "A small <mark>mug</mark>.");
    assert_string_equal(snippet("mug ", ""), "");
    /* the densest stretch wins over the first match */
    char dense[4000] = "mug at the start. ";
    for (int i = 0; i < 30; i++)
        strcat(dense, "filler words here. ");
    strcat(dense, "mug mug mug together.");
    s = snippet("mug ", dense);
    assert_non_null(strstr(s, "<mark>mug</mark> <mark>mug</mark> <mark>mug</mark>"));
}

static void test_title_limits(void **state)
{
    (void)state;
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    const char *s = mark("zzz ", big); /* one word longer than the limit: cut inside it, at a character */
    assert_int_equal(strlen(s), SOUK_SEARCH_HL_TITLE_MAX + 3);
    char words[3000] = "";
    for (int i = 0; i < 400; i++)
        strcat(words, "mug ");
    s = mark("mug ", words);
    assert_true(strcmp(s + strlen(s) - 3, "\xe2\x80\xa6") == 0);
    assert_true(strlen(s) < 6000);
    /* multibyte text keeps whole characters */
    s = mark("東京 ", "東京タワー");
    assert_string_equal(s, "<mark>東京タワー</mark>");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marks_what_the_query_matches),
        cmocka_unit_test(test_hostile_text_is_escaped),
        cmocka_unit_test(test_snippet_window),
        cmocka_unit_test(test_title_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
