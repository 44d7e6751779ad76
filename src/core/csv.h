/*
 * souk core: streaming, bounded RFC 4180 CSV reader.
 *
 * Reads one record at a time from a file (plain or gzip, detected
 * transparently) or from a caller-owned memory buffer.  Every buffer the
 * reader allocates is bounded by souk_csv_limits, so hostile input cannot make
 * it grow without limit.  Most per-record errors are recoverable: the reader
 * has already skipped the rest of the bad record when it reports the error, so
 * an importer can log "record N (line L): message" and call souk_csv_next()
 * again.
 *
 * Typical use:
 *
 *     souk_csv *r;
 *     if (souk_csv_open_file(&r, path, NULL) != SOUK_CSV_OK) ...;
 *     int rc;
 *     while ((rc = souk_csv_next(r)) != SOUK_CSV_END) {
 *         if (rc < 0) {
 *             report(souk_csv_record(r), souk_csv_line(r), souk_csv_error(r));
 *             if (!souk_csv_is_recoverable(rc)) break;
 *             continue;
 *         }
 *         for (size_t i = 0; i < souk_csv_field_count(r); i++)
 *             use(souk_csv_field(r, i, NULL));
 *     }
 *     souk_csv_free(r);
 *
 * Syntax accepted:
 *   - separator ',' ; quote '"' ; "" inside a quoted field is one '"'.
 *   - quoted fields may contain ',', CR and LF (kept verbatim).
 *   - records end at LF, CRLF or a lone CR, or at end of input (a final record
 *     without a line break is returned normally).
 *   - a UTF-8 byte order mark at the very start of the input is skipped.
 *   - blank lines (nothing between two line breaks) are skipped; they still
 *     count for souk_csv_line().  An empty field must be written as "" or
 *     with a separator (",") to form a record.
 *   - by default a '"' inside an unquoted field, or anything other than ',',
 *     a line break or end of input after a closing quote, is an error
 *     (SOUK_CSV_E_QUOTE); see SOUK_CSV_LAX_QUOTES.
 *   - by default every field must be valid UTF-8 without NUL bytes
 *     (SOUK_CSV_E_UTF8); see SOUK_CSV_ALLOW_INVALID_UTF8.
 *
 * Not thread-safe per reader; distinct readers are independent.
 */
#ifndef SOUK_CORE_CSV_H
#define SOUK_CORE_CSV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque reader. */
typedef struct souk_csv souk_csv;

/* Return codes.  souk_csv_next() returns SOUK_CSV_RECORD, SOUK_CSV_END or a
 * negative code; the open functions return SOUK_CSV_OK or a negative code.
 *
 * Recoverable codes (-1 .. -6): the offending record has been consumed up to
 * its end (quotes are still honoured while skipping, so a quoted line break
 * does not end it), souk_csv_record()/souk_csv_line() describe it,
 * souk_csv_field_count() is 0, and the next souk_csv_next() call continues
 * with the following record.
 *
 * Fatal codes (<= -20): the reader is unusable; every later souk_csv_next()
 * returns the same code. */
enum souk_csv_status {
    SOUK_CSV_OK = 0,     /* open succeeded */
    SOUK_CSV_END = 0,    /* next: end of input, no record */
    SOUK_CSV_RECORD = 1, /* next: a record is available */

    SOUK_CSV_E_FIELD_TOO_LONG = -1,  /* a field exceeds max_field_len bytes */
    SOUK_CSV_E_TOO_MANY_FIELDS = -2, /* more than max_fields fields */
    SOUK_CSV_E_RECORD_TOO_LONG = -3, /* record exceeds max_record_len bytes */
    SOUK_CSV_E_QUOTE = -4,           /* stray or misplaced '"' */
    SOUK_CSV_E_UNTERMINATED = -5,    /* quoted field still open at end of input */
    SOUK_CSV_E_UTF8 = -6,            /* field is not valid UTF-8 or has NUL */

    SOUK_CSV_E_IO = -20,    /* open/read/decompress failure (errno may tell) */
    SOUK_CSV_E_NOMEM = -21, /* allocation failed */
    SOUK_CSV_E_INVAL = -22  /* bad argument or unusable limits */
};

/* Flags for souk_csv_limits.flags. */
enum souk_csv_flag {
    /* Treat a '"' inside an unquoted field as a literal character, and text
     * after a closing quote as part of the field (`"ab"cd` -> `abcd`),
     * instead of failing with SOUK_CSV_E_QUOTE. */
    SOUK_CSV_LAX_QUOTES = 1u << 0,
    /* Do not check fields for UTF-8 validity / NUL bytes. */
    SOUK_CSV_ALLOW_INVALID_UTF8 = 1u << 1
};

/* Limits; a 0 member selects its default.  Lengths are in bytes.
 *   max_field_len : decoded bytes of one field (without NUL); default 64 KiB.
 *   max_fields    : fields per record; default 256.
 *   max_record_len: raw input bytes of one record, quotes and separators
 *                   included, final line break excluded; default 1 MiB.
 *   flags         : bitwise OR of enum souk_csv_flag; 0 = strict.
 * Memory held by a reader is about max_record_len + max_fields *
 * (1 + sizeof(size_t)) + a fixed 64 KiB input buffer for files, at most. */
typedef struct {
    size_t max_field_len;
    size_t max_fields;
    size_t max_record_len;
    unsigned flags;
} souk_csv_limits;

#define SOUK_CSV_DEFAULT_MAX_FIELD_LEN ((size_t)64 * 1024)
#define SOUK_CSV_DEFAULT_MAX_FIELDS ((size_t)256)
#define SOUK_CSV_DEFAULT_MAX_RECORD_LEN ((size_t)1024 * 1024)

/* Opens PATH for reading; gzip-compressed and plain files are both accepted
 * (zlib detects the format).  LIM may be NULL for all defaults; it is copied.
 * On success stores a new reader in *OUT and returns SOUK_CSV_OK.  On failure
 * *OUT is set to NULL and SOUK_CSV_E_INVAL (NULL argument, directory, limits
 * too large), SOUK_CSV_E_IO (open failed; errno is preserved) or
 * SOUK_CSV_E_NOMEM is returned. */
int souk_csv_open_file(souk_csv **out, const char *path, const souk_csv_limits *lim);

/* Opens a reader over LEN bytes at DATA (plain CSV, not compressed).  The
 * buffer is not copied and must outlive the reader; DATA may be NULL only if
 * LEN is 0.  LIM as for souk_csv_open_file.  Returns SOUK_CSV_OK with *OUT
 * set, or SOUK_CSV_E_INVAL / SOUK_CSV_E_NOMEM with *OUT set to NULL. */
int souk_csv_open_mem(souk_csv **out, const void *data, size_t len, const souk_csv_limits *lim);

/* Advances to the next record.  Returns SOUK_CSV_RECORD (1) when a record is
 * available, SOUK_CSV_END (0) at end of input (and on every later call), or a
 * negative enum souk_csv_status code; see souk_csv_is_recoverable() and
 * souk_csv_error().  Invalidates all pointers from souk_csv_field(). */
int souk_csv_next(souk_csv *r);

/* Returns nonzero if RC (a souk_csv_next() result) is an error after which
 * souk_csv_next() may be called again to continue with the next record. */
int souk_csv_is_recoverable(int rc);

/* Number of fields in the current record; 0 before the first record, after
 * an error and at end of input.  A record always has at least one field. */
size_t souk_csv_field_count(const souk_csv *r);

/* Field I (0-based) of the current record, NUL-terminated, with quotes
 * removed and "" collapsed.  If LEN is not NULL it receives the length in
 * bytes (without the NUL).  The pointer stays valid until the next
 * souk_csv_next() or souk_csv_free().  Returns NULL (and *LEN = 0) if I is
 * out of range. */
const char *souk_csv_field(const souk_csv *r, size_t i, size_t *len);

/* 1-based physical line on which the current (or failed) record starts;
 * LF, CRLF and lone CR each count as one line break, including those inside
 * quoted fields.  0 before the first record. */
uint64_t souk_csv_line(const souk_csv *r);

/* 1-based number of the current (or failed) record; failed records count,
 * skipped blank lines do not.  A header row is record 1. */
uint64_t souk_csv_record(const souk_csv *r);

/* Input bytes consumed so far: compressed bytes read from the file (zlib
 * gzoffset) for files, bytes parsed for memory readers.  For progress bars;
 * it runs ahead of the parser by up to one input buffer. */
uint64_t souk_csv_bytes_read(const souk_csv *r);

/* Size of the input in the units of souk_csv_bytes_read(): the file size of
 * a regular file, LEN for memory readers, 0 if unknown (pipes etc.). */
uint64_t souk_csv_total_bytes(const souk_csv *r);

/* Human-readable message (e.g. "field 3 (line 12): longer than 65536 bytes")
 * for the error returned by the latest souk_csv_next() call, or "" if that
 * call succeeded.  Owned by R; valid until the next souk_csv_next(). */
const char *souk_csv_error(const souk_csv *r);

/* Static description of a status code (never NULL). */
const char *souk_csv_strerror(int rc);

/* Frees R and everything it owns (closes the file).  NULL is a no-op. */
void souk_csv_free(souk_csv *r);

#ifdef __cplusplus
}
#endif

#endif /* SOUK_CORE_CSV_H */
