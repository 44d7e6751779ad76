/*
 * thread.c — thread names and background priority (thread.h). On Linux a
 * nice value belongs to the thread (setpriority on the thread id), so
 * lowering it for one thread leaves the process's other threads as they
 * are.
 */
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/thread.h"
#include "core/banned.h"

void souk_thread_name(const char *name)
{
    char n[16];
    size_t len = strlen(name);
    if (len > sizeof n - 1)
        len = sizeof n - 1;
    memcpy(n, name, len);
    n[len] = '\0';
    pthread_setname_np(pthread_self(), n);
}

void souk_thread_background(const char *name)
{
    souk_thread_name(name);
    (void)setpriority(PRIO_PROCESS, (id_t)gettid(), SOUK_THREAD_BACKGROUND_NICE);
}
