/*
 * eval_fts.c — the baseline of `souk eval search`: plain BM25 as SQLite's
 * FTS5 computes it (bm25(), every column weighted 1), on an in-memory
 * database opened through the storage port.
 *
 * The query is its words OR-ed, each quoted (so that FTS5 operators in it
 * are plain words): BM25 ranks every document with any of them, which is
 * the usual baseline; FTS5's implicit AND would return nothing for many
 * queries. Tokeniser: unicode61 with diacritics removed, Porter stemming.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/eval.h"
#include "store/store.h"
#include "core/banned.h"

struct souk_eval_fts {
    souk_store *db;
};

static int insert_all(souk_store *db, void *ctx)
{
    const souk_eval_set *set = ctx;
    for (size_t i = 0; i < set->ndocs; i++) {
        char *const *c = set->docs[i].col;
        int rc = souk_store_exec(db,
                                 "INSERT INTO eval_docs (rowid, title, description, brand, category, attributes) "
                                 "VALUES ($1, $2, $3, $4, $5, $6)",
                                 SOUK_ARGS(SOUK_I64(i + 1), SOUK_TEXT(c[SOUK_EVAL_TITLE]),
                                           SOUK_TEXT(c[SOUK_EVAL_DESCRIPTION]), SOUK_TEXT(c[SOUK_EVAL_BRAND]),
                                           SOUK_TEXT(c[SOUK_EVAL_CATEGORY]), SOUK_TEXT(c[SOUK_EVAL_ATTRIBUTES])));
        if (rc != SOUK_DB_DONE)
            return rc;
    }
    return 0;
}

souk_eval_fts *souk_eval_fts_build(const souk_eval_set *set)
{
    souk_eval_fts *f = calloc(1, sizeof *f);
    char err[512];
    if (!f) {
        fprintf(stderr, "souk: out of memory\n");
        return NULL;
    }
    if (souk_store_open(&f->db, "sqlite::memory:", err, sizeof err) < 0) {
        fprintf(stderr, "souk: cannot open an in-memory database: %s\n", err);
        free(f);
        return NULL;
    }
    if (souk_store_exec(f->db,
                        "CREATE VIRTUAL TABLE eval_docs USING fts5(title, description, brand, category, attributes, "
                        "tokenize = 'porter unicode61 remove_diacritics 2')",
                        NULL) != SOUK_DB_DONE ||
        souk_store_tx(f->db, insert_all, (void *)set) < 0) {
        fprintf(stderr, "souk: cannot build the FTS5 baseline: %s\n", souk_store_errmsg(f->db));
        souk_eval_fts_free(f);
        return NULL;
    }
    return f;
}

static bool word_byte(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* QUERY's words, each quoted, joined by JOIN (" OR " or " ": FTS5's AND),
 * the last one a prefix when PREFIX; malloc'd, NULL without words or memory */
static char *expression(const char *query, const char *join, bool prefix)
{
    size_t len = strlen(query), jl = strlen(join);
    char *expr = malloc(len * (jl + 3) + 2);
    if (!expr)
        return NULL;
    size_t n = 0, words = 0;
    for (size_t i = 0; i < len;) {
        if (!word_byte((unsigned char)query[i])) {
            i++;
            continue;
        }
        if (words++)
            memcpy(expr + n, join, jl), n += jl;
        expr[n++] = '"';
        while (i < len && word_byte((unsigned char)query[i]))
            expr[n++] = query[i++];
        expr[n++] = '"';
    }
    if (prefix && words)
        expr[n++] = '*';
    expr[n] = '\0';
    if (words == 0) {
        free(expr);
        return NULL;
    }
    return expr;
}

/* The top K rowids for the FTS5 expression EXPR by bm25() into OUT: how
 * many, or -1 */
static long top_k(souk_eval_fts *f, const char *expr, size_t k, int64_t *out)
{
    souk_stmt *st = souk_store_query(f->db,
                                     "SELECT rowid FROM eval_docs WHERE eval_docs MATCH $1 "
                                     "ORDER BY bm25(eval_docs) LIMIT $2",
                                     SOUK_ARGS(SOUK_TEXT(expr), SOUK_I64(k)));
    long got = 0;
    int64_t id;
    int rc;
    while ((rc = souk_stmt_next(st, SOUK_COLS(SOUK_COL_I64(&id)))) == SOUK_DB_ROW)
        if ((size_t)got < k)
            out[got++] = id;
    return rc == SOUK_DB_DONE ? got : -1;
}

long souk_eval_fts_rank(souk_eval_fts *f, const char *query, size_t k, int64_t *out)
{
    char *expr = expression(query, " OR ", false);
    if (!expr)
        return 0;
    long got = top_k(f, expr, k, out);
    free(expr);
    return got;
}

long souk_eval_fts_search(souk_eval_fts *f, const char *query, bool prefix, size_t k, int64_t *out, bool facets)
{
    char *expr = expression(query, " ", prefix);
    if (!expr)
        return 0;
    long got = top_k(f, expr, k, out);
    int rc = got < 0 ? SOUK_DB_HARD : SOUK_DB_DONE;
    /* facet counts over the whole result set, ten values each, as souk gives them */
    static const char *const facet_sql[] = {
        "SELECT brand, count(*) FROM eval_docs WHERE eval_docs MATCH $1 AND brand <> '' GROUP BY brand "
        "ORDER BY 2 DESC, 1 LIMIT 10",
        "SELECT category, count(*) FROM eval_docs WHERE eval_docs MATCH $1 AND category <> '' GROUP BY category "
        "ORDER BY 2 DESC, 1 LIMIT 10"};
    for (size_t i = 0; facets && rc == SOUK_DB_DONE && i < sizeof facet_sql / sizeof facet_sql[0]; i++) {
        souk_stmt *st = souk_store_query(f->db, facet_sql[i], SOUK_ARGS(SOUK_TEXT(expr)));
        while ((rc = souk_stmt_next(st, NULL)) == SOUK_DB_ROW)
            ;
    }
    free(expr);
    return rc == SOUK_DB_DONE ? got : -1;
}

void souk_eval_fts_free(souk_eval_fts *f)
{
    if (!f)
        return;
    souk_store_close(f->db);
    free(f);
}
