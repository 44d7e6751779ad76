/*
 * bug.h — our own broken invariants, told apart from bad input (git's BUG(),
 * Taler's GNUNET_break): SOUK_BUG logs an error record naming the file and
 * line, counts it in souk_bugs_total (/metrics), and aborts the process when
 * SOUK_BUG_ABORT=1 is set (the test suite sets it, so a bug fails loudly
 * there). In production the caller goes on with its safe fallback: a broken
 * invariant must never become a crash loop. What a client sent wrong is a
 * warning and a 4xx, never SOUK_BUG.
 */
#ifndef SOUK_BUG_H
#define SOUK_BUG_H

/* Reports a broken invariant (printf-style message). */
#define SOUK_BUG(...) souk__bug(__FILE__, __LINE__, __VA_ARGS__)

void souk__bug(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
