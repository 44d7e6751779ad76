/*
 * Unit tests for src/recommend/blob.c: a trained model survives the round
 * trip bit for bit, and the loader refuses every truncation, every flipped
 * byte, another version, and blobs whose checksum is right but whose
 * content is not (ids out of order, a NaN factor, sizes that lie).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recommend/recommend.h"
#include "recommend/internal.h"

static souk_rec_model *small_model(void)
{
    souk_rec_interaction in[] = {{1, 10, 0, 1}, {1, 11, 0, 2}, {2, 11, 0, 1}, {3, 12, 0, 1}, {3, 10, 0, 3}};
    souk_rec_data d;
    assert_int_equal(souk_rec_data_build(&d, in, 5), 0);
    souk_rec_als_params p;
    souk_rec_als_params_default(&p);
    p.factors = 3;
    p.iterations = 5;
    p.log_scale = true;
    souk_rec_model *m;
    assert_int_equal(souk_rec_als_train(&d, &p, &m), 0);
    souk_rec_data_release(&d);
    return m;
}

/* FNV-1a 64 as blob.c computes it, to forge blobs with a right checksum */
static void reseal(unsigned char *b, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len - 8; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    for (int i = 0; i < 8; i++)
        b[len - 8 + i] = (unsigned char)(h >> (8 * i));
}

static void round_trip_is_exact(void **state)
{
    (void)state;
    souk_rec_model *m = small_model();
    unsigned char *b1, *b2;
    size_t n1, n2;
    assert_int_equal(souk_rec_model_save(m, &b1, &n1), 0);
    /* header 64 + ids 8·3 + 8·3 + popularity 4·3 + factors 8·3·3 · 2 + checksum 8 */
    assert_int_equal(n1, 64 + 24 + 24 + 12 + 72 + 72 + 8);
    assert_memory_equal(b1, "SOUKREC", 8);
    souk_rec_model *l;
    assert_int_equal(souk_rec_model_load(b1, n1, &l), 0);
    assert_int_equal(souk_rec_model_save(l, &b2, &n2), 0);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    assert_int_equal(souk_rec_model_factors(l), 3);
    assert_true(souk_rec_model_loss(l) == souk_rec_model_loss(m));
    assert_int_equal(l->log_scale, 1);
    souk_rec_scored a[3], c[3];
    for (int64_t u = 0; u <= 4; u++) { /* 0 and 4 unknown: popularity */
        long na = souk_rec_model_recommend(m, u, NULL, 0, NULL, NULL, 3, a);
        long nc = souk_rec_model_recommend(l, u, NULL, 0, NULL, NULL, 3, c);
        assert_int_equal(na, nc);
        assert_memory_equal(a, c, (size_t)na * sizeof *a);
    }
    assert_int_equal(souk_rec_model_similar(m, 10, NULL, NULL, 3, a), 2);
    assert_int_equal(souk_rec_model_similar(l, 10, NULL, NULL, 3, c), 2);
    assert_memory_equal(a, c, 2 * sizeof *a);
    free(b1);
    free(b2);
    souk_rec_model_free(l);
    souk_rec_model_free(m);
}

static void truncations_and_flipped_bytes_are_refused(void **state)
{
    (void)state;
    souk_rec_model *m = small_model();
    unsigned char *b;
    size_t n;
    assert_int_equal(souk_rec_model_save(m, &b, &n), 0);
    souk_rec_model *l = (souk_rec_model *)1;
    for (size_t len = 0; len < n; len++) {
        assert_int_equal(souk_rec_model_load(b, len, &l), SOUK_REC_E_BLOB);
        assert_null(l);
    }
    unsigned char *longer = malloc(n + 1);
    memcpy(longer, b, n);
    longer[n] = 0;
    assert_int_equal(souk_rec_model_load(longer, n + 1, &l), SOUK_REC_E_BLOB);
    free(longer);
    for (size_t i = 0; i < n; i++)
        for (int bit = 0; bit < 8; bit += 3) {
            b[i] ^= (unsigned char)(1u << bit);
            if (souk_rec_model_load(b, n, &l) != SOUK_REC_E_BLOB)
                fail_msg("byte %zu bit %d flipped was accepted", i, bit);
            b[i] ^= (unsigned char)(1u << bit);
        }
    assert_int_equal(souk_rec_model_load(NULL, n, &l), SOUK_REC_E_BLOB);
    assert_int_equal(souk_rec_model_load(b, n, &l), 0);
    souk_rec_model_free(l);
    free(b);
    souk_rec_model_free(m);
}

static void sealed_but_wrong_blobs_are_refused(void **state)
{
    (void)state;
    souk_rec_model *m = small_model();
    unsigned char *b, *w;
    size_t n;
    assert_int_equal(souk_rec_model_save(m, &b, &n), 0);
    w = malloc(n);
    souk_rec_model *l;
    /* another version */
    memcpy(w, b, n);
    w[8] = 2;
    reseal(w, n);
    assert_int_equal(souk_rec_model_load(w, n, &l), SOUK_REC_E_BLOB);
    /* user ids out of order: swap the first two */
    memcpy(w, b, n);
    memcpy(w + 64, b + 72, 8);
    memcpy(w + 72, b + 64, 8);
    reseal(w, n);
    assert_int_equal(souk_rec_model_load(w, n, &l), SOUK_REC_E_BLOB);
    /* a NaN user factor */
    memcpy(w, b, n);
    double nan = NAN;
    memcpy(w + 64 + 24 + 24 + 12, &nan, 8);
    reseal(w, n);
    assert_int_equal(souk_rec_model_load(w, n, &l), SOUK_REC_E_BLOB);
    /* sizes that do not match the length: one more user, or k = 0, or a huge k */
    memcpy(w, b, n);
    w[16] = 4;
    reseal(w, n);
    assert_int_equal(souk_rec_model_load(w, n, &l), SOUK_REC_E_BLOB);
    memcpy(w, b, n);
    memset(w + 12, 0, 4);
    reseal(w, n);
    assert_int_equal(souk_rec_model_load(w, n, &l), SOUK_REC_E_BLOB);
    memcpy(w, b, n);
    memset(w + 16, 0xff, 8); /* 2⁶⁴ − 1 users: must not overflow into a small size */
    reseal(w, n);
    assert_int_equal(souk_rec_model_load(w, n, &l), SOUK_REC_E_BLOB);
    /* unknown flags */
    memcpy(w, b, n);
    w[60] = 2;
    reseal(w, n);
    assert_int_equal(souk_rec_model_load(w, n, &l), SOUK_REC_E_BLOB);
    /* the unchanged copy, resealed, still loads */
    memcpy(w, b, n);
    reseal(w, n);
    assert_int_equal(souk_rec_model_load(w, n, &l), 0);
    souk_rec_model_free(l);
    free(w);
    free(b);
    souk_rec_model_free(m);
}

static void empty_model_round_trips(void **state)
{
    (void)state;
    souk_rec_data d;
    assert_int_equal(souk_rec_data_build(&d, NULL, 0), 0);
    souk_rec_model *m;
    assert_int_equal(souk_rec_als_train(&d, NULL, &m), 0);
    unsigned char *b;
    size_t n;
    assert_int_equal(souk_rec_model_save(m, &b, &n), 0);
    assert_int_equal(n, 72);
    souk_rec_model *l;
    assert_int_equal(souk_rec_model_load(b, n, &l), 0);
    souk_rec_scored out[1];
    assert_int_equal(souk_rec_model_recommend(l, 1, NULL, 0, NULL, NULL, 1, out), 0);
    souk_rec_model_free(l);
    souk_rec_model_free(m);
    free(b);
    souk_rec_data_release(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_is_exact),
        cmocka_unit_test(truncations_and_flipped_bytes_are_refused),
        cmocka_unit_test(sealed_but_wrong_blobs_are_refused),
        cmocka_unit_test(empty_model_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
