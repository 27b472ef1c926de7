/* lock.c - a Lock that several processes share (see lock.h; chapter 06).
 * SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
/* MAP_ANONYMOUS is in POSIX.1-2024 but not in POSIX.1-2008, so glibc shows
 * it only with _DEFAULT_SOURCE. Where it is missing, shared_alloc falls back
 * to a POSIX shared-memory object (see below). */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "lock.h"

void *shared_alloc(size_t size)
{
    void *p;

#ifdef MAP_ANONYMOUS
    /* MAP_SHARED: the pages are shared with the children, not copied;
     * MAP_ANONYMOUS: no file behind them, and zero-filled. */
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
#else
    /* Fallback: a POSIX shared-memory object, unlinked as soon as it is
     * mapped, so that no name is left behind (the mapping keeps it alive). */
    char name[64];
    static unsigned serial;
    int fd;

    snprintf(name, sizeof name, "/shared_alloc-%ld-%u", (long)getpid(), serial++);
    fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd == -1)
        die("shm_open %s", name);
    if (shm_unlink(name) == -1)
        die("shm_unlink %s", name);
    if (ftruncate(fd, (off_t)size) == -1)   /* new bytes read as zero */
        die("ftruncate");
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        die("mmap");
    if (close(fd) == -1)
        die("close");
#endif
    return p;
}

void shared_free(void *p, size_t size)
{
    if (munmap(p, size) == -1)
        die("munmap");
}

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

void check_pthread(int err, const char *call)
{
    if (err != 0) {
        errno = err;
        die("%s", call);
    }
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

struct timespec deadline_in(clockid_t clock, double seconds)
{
    struct timespec t;
    time_t whole;

    if (seconds < 0)            /* a time already past: Python treats it as 0 */
        seconds = 0;
    whole = (time_t)seconds;
    if (clock_gettime(clock, &t) == -1)
        die("clock_gettime");
    t.tv_sec += whole;
    t.tv_nsec += (long)((seconds - (double)whole) * 1e9);
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
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
