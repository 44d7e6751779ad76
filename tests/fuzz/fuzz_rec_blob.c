/*
 * libFuzzer driver for souk_rec_model_load (src/recommend/blob.c): the
 * model registry hands it bytes from the database, which we treat as
 * untrusted. Beyond "no crash / no sanitizer report": a blob that loads
 * must save back to the very same bytes, and the model must answer
 * recommend and similar for its first and last ids and an unknown one.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recommend/recommend.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            __builtin_trap();                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    souk_rec_model *m;
    int rc = souk_rec_model_load(data, size, &m);
    if (rc < 0) {
        CHECK(m == NULL && (rc == SOUK_REC_E_BLOB || rc == SOUK_REC_E_NOMEM));
        return 0;
    }
    unsigned char *b;
    size_t n;
    CHECK(souk_rec_model_save(m, &b, &n) == 0);
    CHECK(n == size && memcmp(b, data, n) == 0);
    free(b);
    souk_rec_scored out[5];
    int64_t probe[3] = {0, INT64_MAX, INT64_MIN};
    if (size >= 64 + 16 && souk_rec_model_users(m) > 0)
        memcpy(&probe[0], data + 64, 8); /* the first user id (little-endian hosts) */
    for (int i = 0; i < 3; i++) {
        long got = souk_rec_model_recommend(m, probe[i], probe, 3, NULL, NULL, 5, out);
        CHECK(got >= 0 && got <= 5);
        got = souk_rec_model_similar(m, probe[i], NULL, NULL, 5, out);
        CHECK(got >= 0 && got <= 5);
    }
    souk_rec_model_free(m);
    return 0;
}
