/* log.c — see log.h. */
#include "core/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/time.h"
#include "core/trace.h"
#include "core/banned.h"

static _Atomic int min_level = SOUK_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void souk_log_set_level(souk_log_level lvl)
{
    atomic_store(&min_level, (int)lvl);
}

int souk_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

void souk_log(souk_log_level lvl, const char *request_id, const char *user_id, json_t *context, const char *fmt, ...)
{
    if ((int)lvl < atomic_load(&min_level)) {
        json_decref(context);
        return;
    }
    char msg[1024], ts[SOUK_RFC3339_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    souk_buf b;
    souk_buf_init(&b, 64 * 1024);
    souk_buf_adds(&b, "{\"timestamp\":\"");
    souk_buf_adds(&b, souk_time_format(souk_time_now_us(), ts));
    souk_buf_printf(&b, "\",\"level\":\"%s\",\"service\":\"souk\"", level_names[lvl]);
    if (request_id) {
        souk_buf_adds(&b, ",\"request_id\":");
        souk_buf_add_json_string(&b, request_id, strlen(request_id));
    }
    const souk_trace *trace = souk_trace_current();
    if (trace) { /* the request or job this thread works for */
        char tid[SOUK_TRACE_ID_HEX + 1], sid[SOUK_SPAN_ID_HEX + 1];
        souk_trace_hex(trace, tid, sid);
        souk_buf_printf(&b, ",\"trace_id\":\"%s\",\"span_id\":\"%s\"", tid, sid);
    }
    if (user_id) {
        souk_buf_adds(&b, ",\"user_id\":");
        souk_buf_add_json_string(&b, user_id, strlen(user_id));
    }
    souk_buf_adds(&b, ",\"message\":");
    souk_buf_add_json_string(&b, msg, strlen(msg));
    if (context) {
        char *c = json_dumps(context, JSON_COMPACT);
        if (c) {
            souk_buf_adds(&b, ",\"context\":");
            souk_buf_adds(&b, c);
            free(c);
        }
        json_decref(context);
    }
    souk_buf_adds(&b, "}\n");
    if (!souk_buf_failed(&b)) {
        ssize_t off = 0;
        while ((size_t)off < b.len) {
            ssize_t n = write(STDERR_FILENO, b.data + off, b.len - (size_t)off);
            if (n <= 0)
                break;
            off += n;
        }
    }
    souk_buf_release(&b);
}
