/*
 * row.h — one column of the current row as a JSON value, for code that
 * renders rows as it reads them (admin lists, order parts). Every function
 * returns a new reference, or NULL when memory runs out; text that is not
 * valid UTF-8 (a row written by another tool) never fails a response: it
 * reads as "(invalid UTF-8)".
 */
#ifndef SOUK_STORE_ROW_H
#define SOUK_STORE_ROW_H

#include <jansson.h>

#include "store/store.h"

/* The text of COL; "" for NULL. */
json_t *souk_row_text(souk_stmt *st, int col);

/* The text of COL, or JSON null for NULL. */
json_t *souk_row_text_or_null(souk_stmt *st, int col);

/* COL as an integer, or null for NULL. */
json_t *souk_row_int_or_null(souk_stmt *st, int col);

/* COL (epoch µs) as an RFC 3339 string, or null for NULL. */
json_t *souk_row_time(souk_stmt *st, int col);

/* COL as a typed id string with PREFIX ("ord_…"), or null for NULL. */
json_t *souk_row_id(souk_stmt *st, int col, const char *prefix);

#endif
