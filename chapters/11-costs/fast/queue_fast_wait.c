/* queue_fast_wait.c - how the fast Queue waits: the locks (spinning before
 * sleeping), the bells (sleeping only when there is nothing to do, and
 * waking only those who sleep), and a broken queue.
 *
 *  - A lock is held only while messages are copied, never while anyone
 *    sleeps: a few tries usually get it without a system call.
 *  - A bell is a counter of sleepers plus a semaphore. A sleeper registers
 *    (sleepers + 1), checks its condition once more, then waits on the
 *    semaphore. The other side, after publishing, looks at the counter and
 *    posts the semaphore only if it is not 0. The two sides each store
 *    then load, with a full fence in between, so at least one of them sees
 *    the other's store: either the sleeper sees the new message and does
 *    not sleep, or the producer sees the sleeper and wakes it. No wake-up
 *    is lost, and none is sent when nobody sleeps.
 *  - The locks are robust mutexes: if a process dies holding one, the next
 *    pthread_mutex_lock returns EOWNERDEAD. The queue then marks itself
 *    broken and wakes every sleeper (queue.h, RESULTS).
 *
 * Why semaphores and not condition variables: glibc's process-shared
 * condition variables (2.25 and later) keep a reference for each waiter
 * that is blocked; a waiter that is killed never drops it, and a later
 * pthread_cond_signal can then wait for it for ever (glibc bug 21422). A
 * semaphore holds nothing for its waiters: a killed sleeper leaves, at
 * worst, one wake-up that someone else receives for nothing.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <time.h>

#include "common.h"
#include "queue_fast_impl.h"

#ifndef SPINS
#define SPINS 100               /* lock attempts before sleeping on a lock */
#endif
#ifndef SPIN_WAIT
#define SPIN_WAIT 4000          /* looks at the other side before sleeping */
#endif
#define LONGEST_WAIT 1e6        /* seconds: keeps a timespec far from overflow */

int side_init(struct side *s)
{
    pthread_mutexattr_t attr;
    int err = pthread_mutexattr_init(&attr);

    /* PROCESS_SHARED: the mutex lives in shared memory and several
     * processes lock it. ROBUST: if its owner dies, the next locker hears
     * about it (EOWNERDEAD) instead of waiting for ever. */
    if (err == 0)
        err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (err == 0)
        err = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    if (err == 0)
        err = pthread_mutex_init(&s->lock, &attr);
    (void)pthread_mutexattr_destroy(&attr);
    if (err != 0)
        return err;
    atomic_init(&s->pos, 0);
    atomic_init(&s->count, 0);
    atomic_init(&s->bell.sleepers, 0);
    /* pshared = 1: the semaphore is shared by processes; value 0: no
     * wake-up pending. */
    if (sem_init(&s->bell.sem, 1, 0) == -1)
        return errno;
    return 0;
}

/* sem_timedwait and pthread_mutex_timedlock take a moment on
 * CLOCK_REALTIME: now + what is left of a deadline on CLOCK_MONOTONIC. */
static struct timespec wall_deadline(double deadline)
{
    double left = deadline - now_seconds();

    return deadline_in(CLOCK_REALTIME, left < LONGEST_WAIT ? left : LONGEST_WAIT);
}

/* ---- a broken queue ------------------------------------------------------ */

/* Wake up to n sleepers of a bell: take them off the sleepers count, then
 * post once for each. */
static void bell_ring(struct bell *b, unsigned n)
{
    unsigned seen = atomic_load_explicit(&b->sleepers, memory_order_relaxed);
    unsigned take;

    do {
        if (seen == 0)
            return;
        take = seen < n ? seen : n;
    } while (!atomic_compare_exchange_weak(&b->sleepers, &seen, seen - take));
    while (take-- > 0)
        (void)sem_post(&b->sem);    /* fails only with EOVERFLOW: enough posts */
}

static void mark_broken(struct queue *q)
{
    atomic_store(&q->broken, 1);
    atomic_thread_fence(memory_order_seq_cst);
    bell_ring(&q->put.bell, UINT_MAX);
    bell_ring(&q->get.bell, UINT_MAX);
}

/* ---- the locks ------------------------------------------------------------ */

/* With a deadline, the wait ends when the holder keeps the lock past it
 * (alive but stopped, say by SIGSTOP). Without one the wait is short: a
 * lock is never held while anyone sleeps. */
int side_lock(struct queue *q, struct side *s, double deadline)
{
    int err = EBUSY;

    if (atomic_load_explicit(&q->broken, memory_order_acquire))
        return ENOTRECOVERABLE;
    /* A few tries usually get the lock without the system call (and the
     * sleep) that pthread_mutex_lock costs when the lock is taken. */
    for (int i = 0; i < SPINS && err == EBUSY; i++)
        err = pthread_mutex_trylock(&s->lock);
    if (err == EBUSY) {
        if (deadline < 0) {
            err = pthread_mutex_lock(&s->lock);
        } else {
            do {                        /* again if the wall clock ran ahead */
                struct timespec until = wall_deadline(deadline);
                err = pthread_mutex_timedlock(&s->lock, &until);
            } while (err == ETIMEDOUT && now_seconds() < deadline);
        }
    }
    if (err == EOWNERDEAD) {
        /* We hold the lock now, but the dead owner may have left a message
         * half-copied. Do not call pthread_mutex_consistent: unlocking
         * makes the mutex unusable (ENOTRECOVERABLE) for everyone after. */
        mark_broken(q);
        side_unlock(s);
        return EOWNERDEAD;
    }
    if (err == 0 && atomic_load_explicit(&q->broken, memory_order_acquire)) {
        side_unlock(s);
        return ENOTRECOVERABLE;
    }
    return err;
}

void side_unlock(struct side *s)
{
    check_pthread(pthread_mutex_unlock(&s->lock), "pthread_mutex_unlock");
}

/* ---- waiting ----------------------------------------------------------- */

/* The conditions sleepers wait for, checked with fresh values. The own
 * side's counters are read without its lock: the caller locks and checks
 * again before it acts. */
static int fits(struct queue *q, size_t need)
{
    size_t gets = atomic_load_explicit(&q->get.count, memory_order_acquire);
    size_t puts = atomic_load_explicit(&q->put.count, memory_order_relaxed);
    size_t head = atomic_load_explicit(&q->get.pos, memory_order_acquire);
    size_t tail = atomic_load_explicit(&q->put.pos, memory_order_relaxed);

    if (q->maxsize != 0 && puts - gets >= q->maxsize)
        return 0;
    return q->size - (tail - head) >= need;
}

static int ready(struct queue *q, struct side *s, size_t need)
{
    if (s == &q->put)
        return fits(q, need);
    return atomic_load_explicit(&q->put.count, memory_order_acquire)
           != atomic_load_explicit(&q->get.count, memory_order_relaxed);
}

/* Sleep on side s's bell until the other side rings it or the deadline
 * passes, unless s is ready once registered. Returns 0 (look again),
 * ETIMEDOUT, or ENOTRECOVERABLE. */
static int sleep_on(struct queue *q, struct side *s, size_t need, double deadline)
{
    struct bell *b = &s->bell;
    unsigned seen;
    int r;

    atomic_fetch_add(&b->sleepers, 1);
    /* Store (sleepers), fence, load (the other side's counter): the other
     * side does store (its counter), fence, load (sleepers). */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&q->broken))
        return ENOTRECOVERABLE;     /* stays registered: harmless now */
    if (ready(q, s, need)) {
        r = 0;
    } else {
        for (;;) {
            if (deadline < 0) {
                r = sem_wait(&b->sem);
            } else if (now_seconds() >= deadline) {
                errno = ETIMEDOUT;
                r = -1;
            } else {
                struct timespec until = wall_deadline(deadline);
                r = sem_timedwait(&b->sem, &until);
            }
            if (r == 0)
                return 0;               /* woken: the waker unregistered us */
            if (errno == EINTR)
                continue;
            if (errno == ETIMEDOUT && deadline >= 0 && now_seconds() < deadline)
                continue;               /* the wall clock ran ahead: wait on */
            break;
        }
        r = ETIMEDOUT;
    }
    /* Not woken by a post: unregister. If the count is already 0, a waker
     * took us off and its post is on the way; it will wake someone later
     * for nothing, which is harmless (every sleeper looks again). */
    seen = atomic_load_explicit(&b->sleepers, memory_order_relaxed);
    while (seen > 0 && !atomic_compare_exchange_weak(&b->sleepers, &seen, seen - 1))
        continue;
    return r;
}

int side_wait(struct queue *q, struct side *s, size_t need, double deadline)
{
    /* Watch the other side's counter for a little while first: on another
     * CPU it is probably about to change, and a sleep costs two system
     * calls and a wake-up that takes tens of microseconds. */
    for (int i = 0; i < SPIN_WAIT; i++)
        if (ready(q, s, need))
            return 0;
    return sleep_on(q, s, need, deadline);
}

/* The fence pairs with the one in sleep_on. */
void bell_wake(struct bell *b, unsigned n)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&b->sleepers, memory_order_relaxed) != 0)
        bell_ring(b, n);
}
