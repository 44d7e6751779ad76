/*
 * thread.h — what a thread says about itself to the operating system: its
 * name (what `top -H`, perf and /proc show) and, for background rebuilds,
 * a lower CPU priority so that they take the cores only when serving does
 * not need them (docs/internals/http.md, "Threads").
 */
#ifndef SOUK_CORE_THREAD_H
#define SOUK_CORE_THREAD_H

/* Names the calling thread NAME (at most 15 bytes are kept). */
void souk_thread_name(const char *name);

/* Names the calling thread NAME and lowers its CPU priority by
 * SOUK_THREAD_BACKGROUND_NICE (the nice value of this thread only; an
 * unprivileged process may always lower its own priority). For threads
 * whose work is a background rebuild (a search index merge, recommendation
 * snapshots): under load they yield to the event loops, the committer and
 * the freshness path; on an idle machine they run at full speed. Failure to
 * change the priority is ignored (the thread merely keeps the default). */
void souk_thread_background(const char *name);

#define SOUK_THREAD_BACKGROUND_NICE 10

#endif
