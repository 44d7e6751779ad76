/* row.c — columns of the current row as JSON values (see row.h). */
#include "store/row.h"

#include "core/id.h"
#include "core/time.h"
#include "core/banned.h"

static json_t *text_json(const char *s, size_t n)
{
    json_t *j = json_stringn(s ? s : "", s ? n : 0);
    return j ? j : json_string("(invalid UTF-8)");
}

json_t *souk_row_text(souk_stmt *st, int col)
{
    size_t n = 0;
    const char *s = souk_stmt_text(st, col, &n);
    return text_json(s, n);
}

json_t *souk_row_text_or_null(souk_stmt *st, int col)
{
    return souk_stmt_is_null(st, col) ? json_null() : souk_row_text(st, col);
}

json_t *souk_row_int_or_null(souk_stmt *st, int col)
{
    return souk_stmt_is_null(st, col) ? json_null() : json_integer(souk_stmt_i64(st, col));
}

json_t *souk_row_time(souk_stmt *st, int col)
{
    char buf[SOUK_RFC3339_LEN];
    return souk_stmt_is_null(st, col) ? json_null() : json_string(souk_time_format(souk_stmt_i64(st, col), buf));
}

json_t *souk_row_id(souk_stmt *st, int col, const char *prefix)
{
    char buf[SOUK_ID_TEXT_MAX];
    return souk_stmt_is_null(st, col) ? json_null() : json_string(souk_id_format(prefix, souk_stmt_i64(st, col), buf));
}
