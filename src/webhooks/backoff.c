/*
 * backoff.c — when a failed delivery is tried again. The schedule is a list
 * of delays (the default follows the one the Standard Webhooks
 * specification's authors publish: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
 * 10 h), each moved by up to ±10 % so that a receiver that comes back is not
 * hit by every delivery at the same moment.
 */
#include "webhooks/webhooks.h"

#include "core/banned.h"

const double souk_webhooks_default_schedule_s[] = {5, 300, 1800, 7200, 18000, 36000, 36000};
const size_t souk_webhooks_default_schedule_len =
    sizeof souk_webhooks_default_schedule_s / sizeof souk_webhooks_default_schedule_s[0];

int64_t souk_webhooks_retry_delay_us(const double *schedule, size_t n, int failed, double jitter)
{
    if (failed < 1 || (size_t)failed > n)
        return -1;
    if (!(jitter >= 0 && jitter < 1))
        jitter = 0.5;
    double s = schedule[failed - 1] * (0.9 + 0.2 * jitter);
    if (!(s > 0))
        return 0;
    if (s > 30.0 * 24 * 3600)
        s = 30.0 * 24 * 3600;
    return (int64_t)(s * 1e6);
}
