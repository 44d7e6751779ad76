/*
 * page.h — one page of a keyset-paginated query as a JSON array.
 *
 * The statement is prepared with LIMIT limit + 1; the extra row only tells
 * whether another page follows. Column 0 must be the key the next page
 * starts after (seq, id, …).
 */
#ifndef SOUK_STORE_PAGE_H
#define SOUK_STORE_PAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* Steps ST and renders up to LIMIT rows with RENDER (NULL = out of memory)
 * into a new array. *LAST gets column 0 of the last rendered row, *MORE
 * whether a further row exists (the statement is then reset). Returns the
 * array (caller decrefs), or NULL: *STATUS is then the souk_db_status of a
 * database error, or 0 when memory ran out. */
json_t *souk_store_page(souk_stmt *st, int limit, json_t *(*render)(souk_stmt *st), int64_t *last, bool *more,
                        int *status);

#endif
