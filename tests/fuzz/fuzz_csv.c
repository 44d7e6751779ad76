/*
 * libFuzzer driver for src/core/csv.c.
 *
 * The first input byte selects limits and flags (so small limits and both
 * quote modes get exercised); the rest is CSV read with souk_csv_open_mem.
 * Beyond "no crash / no sanitizer report" it checks invariants:
 *   - fields respect the limits, are NUL-terminated, count >= 1;
 *   - record numbers go up by one per call, lines never go backwards;
 *   - every call that does not return END consumes input (no livelock);
 *   - round trip: re-encoding the accepted records with every field quoted
 *     and parsing that again yields the same records.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"

#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c))                                                                                                      \
            __builtin_trap();                                                                                          \
    } while (0)

typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_put(sbuf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        CHECK(b->p != NULL);
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* Reads everything; appends accepted records (all fields quoted) to OUT if
 * OUT is not NULL.  Returns the number of accepted records. */
static size_t run(const uint8_t *data, size_t size, const souk_csv_limits *lim, sbuf *out)
{
    souk_csv *r = NULL;
    CHECK(souk_csv_open_mem(&r, data, size, lim) == SOUK_CSV_OK);
    size_t maxf = lim->max_field_len ? lim->max_field_len : SOUK_CSV_DEFAULT_MAX_FIELD_LEN;
    size_t maxn = lim->max_fields ? lim->max_fields : SOUK_CSV_DEFAULT_MAX_FIELDS;
    uint64_t prev_line = 0, prev_rec = 0, prev_pos = 0, accepted = 0;
    for (;;) {
        int rc = souk_csv_next(r);
        uint64_t pos = souk_csv_bytes_read(r);
        CHECK(pos <= size);
        if (rc == SOUK_CSV_END) {
            CHECK(souk_csv_field_count(r) == 0);
            CHECK(souk_csv_next(r) == SOUK_CSV_END);
            break;
        }
        CHECK(pos > prev_pos); /* progress */
        prev_pos = pos;
        CHECK(souk_csv_record(r) == prev_rec + 1);
        prev_rec = souk_csv_record(r);
        CHECK(souk_csv_line(r) >= 1 && souk_csv_line(r) >= prev_line);
        prev_line = souk_csv_line(r);
        if (rc < 0) {
            CHECK(souk_csv_is_recoverable(rc)); /* memory input: no I/O */
            CHECK(souk_csv_field_count(r) == 0);
            CHECK(souk_csv_error(r)[0] != '\0');
            continue;
        }
        CHECK(rc == SOUK_CSV_RECORD);
        size_t nf = souk_csv_field_count(r);
        CHECK(nf >= 1 && nf <= maxn);
        for (size_t i = 0; i < nf; i++) {
            size_t len = (size_t)-1;
            const char *f = souk_csv_field(r, i, &len);
            CHECK(f != NULL && len <= maxf && f[len] == '\0');
            if (!(lim->flags & SOUK_CSV_ALLOW_INVALID_UTF8))
                CHECK(strlen(f) == len);
            if (out) {
                if (i)
                    sb_put(out, ",", 1);
                sb_put(out, "\"", 1);
                for (size_t k = 0; k < len; k++) {
                    if (f[k] == '"')
                        sb_put(out, "\"", 1);
                    sb_put(out, &f[k], 1);
                }
                sb_put(out, "\"", 1);
            }
        }
        CHECK(souk_csv_field(r, nf, NULL) == NULL);
        if (out)
            sb_put(out, "\n", 1);
        accepted++;
    }
    souk_csv_free(r);
    return accepted;
}

/* the libFuzzer entry point */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    souk_csv_limits lim = {0};
    if (size > 0) {
        uint8_t sel = data[0];
        data++;
        size--;
        if (sel & 0x01)
            lim.max_field_len = 1 + (sel >> 4); /* 1..16 */
        if (sel & 0x02)
            lim.max_fields = 1 + ((sel >> 2) & 3); /* 1..4 */
        if (sel & 0x04)
            lim.max_record_len = 1 + (sel >> 3); /* 1..32 */
        if (sel & 0x08)
            lim.flags |= SOUK_CSV_LAX_QUOTES;
        if (sel & 0x80)
            lim.flags |= SOUK_CSV_ALLOW_INVALID_UTF8;
    }

    sbuf enc = {0};
    size_t n1 = run(data, size, &lim, &enc);

    /* Re-parse the quoted re-encoding: raw lengths grow (quotes doubled),
     * so lift the record limit; field limits stay as they were. */
    souk_csv_limits lim2 = lim;
    lim2.max_record_len = 4 * enc.len + 16;
    sbuf enc2 = {0};
    size_t n2 = run((const uint8_t *)enc.p, enc.len, &lim2, &enc2);
    CHECK(n1 == n2);
    CHECK(enc.len == enc2.len);
    CHECK(enc.len == 0 || memcmp(enc.p, enc2.p, enc.len) == 0);
    free(enc.p);
    free(enc2.p);
    return 0;
}
