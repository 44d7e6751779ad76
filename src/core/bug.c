/* bug.c — reporting broken invariants (see bug.h). */
#include "core/bug.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/banned.h"

void souk__bug(const char *file, int line, const char *fmt, ...)
{
    /* idempotent (and rare): no handle cached across threads */
    souk_metrics_series_add(souk_metrics_series("souk_bugs_total", "", SOUK_METRIC_COUNTER,
                                                "Broken invariants detected in souk itself (each is logged)."),
                            1);
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    souk_log(SOUK_LOG_ERROR, NULL, NULL, json_pack("{s:s,s:i}", "file", file, "line", line), "BUG: %s", msg);
    const char *abort_env = getenv("SOUK_BUG_ABORT");
    if (abort_env && strcmp(abort_env, "1") == 0)
        abort();
}
