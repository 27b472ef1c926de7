/* lock.h - a Lock that several processes share (chapter 06).
 *
 * Python's multiprocessing.Lock is a named POSIX semaphore (sem_open, its
 * name unlinked at once under fork) whose value is 1 or 0. This one is the
 * same counter, unnamed: sem_init with pshared = 1, in a page that every
 * process using it maps with MAP_SHARED. A process that
 * inherits the page through fork() sees the same semaphore, so the same
 * lock. The chapter's README compares it with a process-shared pthread mutex
 * and a file lock.
 *
 * The Lock lives in memory from shared_alloc (common.h). Reused by
 * chapter 08 (shared_mutex_init) and chapter 11, which measures what
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

/* ---- a file with no name ---------------------------------------------------
 * unnamed_file("lock_demo") creates a file in $TMPDIR (or /tmp), opens it
 * for reading and writing, and removes its name at once: the descriptor
 * keeps the file alive for this process and the children that inherit it,
 * and nothing is left behind however the program ends. Dies on failure. */
int unnamed_file(const char *prefix);

/* ---- a mutex that processes share ------------------------------------------
 * shared_mutex_init(&m, robust): a pthread mutex that several processes can
 * use; it must itself be in shared memory (shared_alloc). robust: if its
 * owner dies holding it, the next pthread_mutex_lock() says so (EOWNERDEAD)
 * instead of waiting for ever (lock_robust shows it). Destroy it with
 * pthread_mutex_destroy(). */
void shared_mutex_init(pthread_mutex_t *mutex, bool robust);

/* ---- the Lock -----------------------------------------------------------
 * struct lock must itself live in shared memory (shared_alloc, common.h): a lock in
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
