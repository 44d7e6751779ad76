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

/* Steps ST to its end and renders every row with RENDER(ST, CTX) into a new
 * array (caller decrefs). NULL when the database failed or memory ran out. */
json_t *souk_store_rows(souk_stmt *st, json_t *(*render)(souk_stmt *st, void *ctx), void *ctx);

/* Steps ST and collects column 0 of at most MAX rows into IDS (the
 * statement is reset after the MAX-th). Returns how many, or a negative
 * souk_db_status. */
int souk_store_ids(souk_stmt *st, int64_t *ids, int max);

#endif
