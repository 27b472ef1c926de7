/* lock.c - a Lock that several processes share (see lock.h; chapter 06).
 * SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "lock.h"

int unnamed_file(const char *prefix)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    int fd;

    if (dir == NULL || dir[0] == '\0')
        dir = "/tmp";
    if (snprintf(path, sizeof path, "%s/%s-XXXXXX", dir, prefix) >= (int)sizeof path)
        fatal("TMPDIR is too long");
    fd = mkstemp(path);         /* a new file with a unique name, 0600 */
    if (fd == -1)
        die("mkstemp %s", path);
    if (unlink(path) == -1)
        die("unlink %s", path);
    return fd;
}

void shared_mutex_init(pthread_mutex_t *mutex, bool robust)
{
    pthread_mutexattr_t attr;

    check_pthread(pthread_mutexattr_init(&attr), "pthread_mutexattr_init");
    /* Without PTHREAD_PROCESS_SHARED a mutex is only promised to work
     * between the threads of one process. */
    check_pthread(pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED),
                  "pthread_mutexattr_setpshared");
    /* ROBUST: if the owner dies holding it, the next locker is told so
     * (EOWNERDEAD) instead of waiting for ever. The kernel helps: each
     * thread keeps a list of the robust mutexes it holds, which the kernel
     * walks when the thread dies. */
    if (robust)
        check_pthread(pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST),
                      "pthread_mutexattr_setrobust");
    check_pthread(pthread_mutex_init(mutex, &attr), "pthread_mutex_init");
    check_pthread(pthread_mutexattr_destroy(&attr), "pthread_mutexattr_destroy");
}

void lock_init(struct lock *lock)
{
    /* pshared = 1: the semaphore is used by several processes, through
     * memory they share; initial value 1: free. */
    if (sem_init(&lock->sem, 1, 1) == -1)
        die("sem_init");
}

void lock_destroy(struct lock *lock)
{
    if (sem_destroy(&lock->sem) == -1)
        die("sem_destroy");
}

void lock_acquire(struct lock *lock)
{
    /* sem_wait: if the value is 1, make it 0 and return (one atomic step,
     * no system call); if it is 0, sleep in the kernel until a post. A
     * signal handler interrupts the sleep with EINTR: just wait again. */
    while (sem_wait(&lock->sem) == -1)
        if (errno != EINTR)
            die("sem_wait");
    lock->held = 1;
}

bool lock_acquire_timeout(struct lock *lock, double seconds)
{
    /* sem_timedwait measures its deadline on CLOCK_REALTIME, so setting
     * the clock moves it. (POSIX.1-2008 has no monotonic sem_timedwait:
     * sem_clockwait, which takes CLOCK_MONOTONIC, came with POSIX.1-2024,
     * and glibc has it since 2.30.) */
    struct timespec deadline = deadline_in(CLOCK_REALTIME, seconds);

    while (sem_timedwait(&lock->sem, &deadline) == -1) {
        if (errno == ETIMEDOUT)
            return false;
        if (errno != EINTR)
            die("sem_timedwait");
    }
    lock->held = 1;
    return true;
}

void lock_release(struct lock *lock)
{
    /* Python refuses to release a free lock ("released too many times");
     * so do we: a post on a free lock would make the value 2 and let two
     * holders in at once. held is written only while the lock is held, so
     * reading it costs no system call. (Python asks sem_getvalue instead.
     * Neither check is airtight: two processes releasing a free lock at
     * the same instant both get past it.) */
    if (!lock->held)
        fatal("lock_release: the lock is not held");
    lock->held = 0;
    if (sem_post(&lock->sem) == -1)
        die("sem_post");
}

void lock_with(struct lock *lock, void (*body)(void *arg), void *arg)
{
    lock_acquire(lock);
    body(arg);
    lock_release(lock);
}
