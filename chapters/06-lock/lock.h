/* lock.h - a Lock that several processes share, and the shared memory it
 * lives in (chapter 06).
 *
 * Python's multiprocessing.Lock is a named POSIX semaphore (sem_open, its
 * name unlinked at once under fork) whose value is 1 or 0. This one is the
 * same counter, unnamed: sem_init with pshared = 1, in a page that every
 * process using it maps with MAP_SHARED. A process that
 * inherits the page through fork() sees the same semaphore, so the same
 * lock. The chapter's README compares it with a process-shared pthread mutex
 * and a file lock.
 *
 * Reused by: chapters 07 and 08 (shared_alloc, shared_mutex_init,
 * check_pthread, deadline_in), and chapter 11, which measures what
 * lock_acquire + lock_release cost.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef WORKBOOK_LOCK_H
#define WORKBOOK_LOCK_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* ---- shared memory ------------------------------------------------------
 * shared_alloc(size): size bytes, zero-filled, that this process and every
 * child it forks AFTERWARDS share: a store by one is seen by all. (Memory
 * from malloc is copied by fork instead: chapter 01, fork_isolation.)
 * Dies if the memory cannot be had. shared_free() unmaps it. */
void *shared_alloc(size_t size);
void shared_free(void *p, size_t size);

/* ---- a file with no name ---------------------------------------------------
 * unnamed_file("lock_demo") creates a file in $TMPDIR (or /tmp), opens it
 * for reading and writing, and removes its name at once: the descriptor
 * keeps the file alive for this process and the children that inherit it,
 * and nothing is left behind however the program ends. Dies on failure. */
int unnamed_file(const char *prefix);

/* ---- pthread results ------------------------------------------------------
 * The pthread_* functions do not set errno: they RETURN the error number
 * (0 for success). check_pthread(err, "pthread_mutex_lock") dies with that
 * number's name and text when err is not 0, like die() after a system call. */
void check_pthread(int err, const char *call);

/* ---- a mutex that processes share ------------------------------------------
 * shared_mutex_init(&m, robust): a pthread mutex that several processes can
 * use; it must itself be in shared memory (shared_alloc). robust: if its
 * owner dies holding it, the next pthread_mutex_lock() says so (EOWNERDEAD)
 * instead of waiting for ever (lock_robust shows it). Destroy it with
 * pthread_mutex_destroy(). */
void shared_mutex_init(pthread_mutex_t *mutex, bool robust);

/* ---- deadlines ------------------------------------------------------------
 * The timed waits of POSIX (sem_timedwait, pthread_mutex_timedlock,
 * pthread_cond_timedwait) take a deadline, a moment on a clock, not a
 * duration. deadline_in(CLOCK_REALTIME, 2.5) is that clock's now + 2.5 s
 * (a negative duration counts as 0). */
struct timespec deadline_in(clockid_t clock, double seconds);

/* ---- the Lock -----------------------------------------------------------
 * struct lock must itself live in shared memory (shared_alloc): a lock in
 * memory that fork copies would be a different lock in each process. */
struct lock {
    sem_t sem;                  /* 1: free, 0: held */
    int held;                   /* written only by the holder: catches a
                                   release of a free lock */
};

void lock_init(struct lock *lock);      /* free; lock_destroy() when done   */
void lock_destroy(struct lock *lock);

/* acquire() blocks until the lock is free, then holds it: Python's
 * lock.acquire(). acquire_timeout() gives up after seconds and returns
 * false: Python's lock.acquire(timeout=seconds). release() frees it; like
 * Python, it refuses to release a lock that is free. A semaphore has no
 * owner: any process may release what another acquired. */
void lock_acquire(struct lock *lock);
bool lock_acquire_timeout(struct lock *lock, double seconds);
void lock_release(struct lock *lock);

/* lock_with(lock, body, arg): Python's `with lock: body(arg)`. C has no
 * `with`, but a function can hold the lock exactly while body runs: the
 * release cannot be forgotten, and body cannot return without it. (A body
 * that calls exit() or is killed still leaves the lock held: lock_robust.) */
void lock_with(struct lock *lock, void (*body)(void *arg), void *arg);

#endif
