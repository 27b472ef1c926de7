/* queue_fast_impl.h - what the three files of the fast Queue share, and
 * nobody else: the layout behind queue.h's struct queue, and the functions
 * the other two call in queue_fast_wait.c. Read in this order:
 *
 *   queue_fast.c       new and free, the consumer that gives up when
 *                      orphaned, the snapshots
 *   queue_fast_ring.c  the ring: put and get, one message or a batch
 *   queue_fast_wait.c  the locks and the bells: spinning, sleeping,
 *                      waking, a broken queue
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef QUEUE_FAST_IMPL_H
#define QUEUE_FAST_IMPL_H

#include <pthread.h>
#include <semaphore.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>

#include "queue.h"

#define LINE 64                 /* a cache line, on the machines we know */

/* Where the processes of one side sleep (queue_fast_wait.c). */
struct bell {
    atomic_uint sleepers;       /* registered, and not yet sent a wake-up */
    sem_t sem;                  /* one post = one wake-up */
};

/* One side: the producers' or the consumers'. */
struct side {
    /* Written and read only by this side's lock holder. */
    alignas(LINE) pthread_mutex_t lock;
    size_t other_pos;           /* the other side's pos and count, as last */
    size_t other_count;         /* seen: refreshed only when they say "no" */
    /* Written by this side, read by the other. */
    alignas(LINE) atomic_size_t pos;    /* bytes: tail (put) or head (get) */
    atomic_size_t count;                /* messages put, or got */
    /* Where this side's processes sleep; the other side rings it. */
    alignas(LINE) struct bell bell;
};

/* Fields that different sides write sit on different cache lines, so a
 * producer's store does not slow down a consumer that only reads its own. */
struct queue {
    struct side put, get;
    alignas(LINE) atomic_int broken;    /* 1 once a lock's owner died */
    size_t size;                /* ring bytes, a power of two */
    size_t maxsize;             /* messages, or 0 */
    size_t map_size;            /* the whole mapping, for shared_free */
    alignas(LINE) unsigned char ring[];
};

/* ---- queue_fast_wait.c ---------------------------------------------------
 * side_init: the side's robust process-shared lock and its bell (0, or an
 * errno value). side_lock: 0, or EOWNERDEAD (the holder died: the queue is
 * now broken), ENOTRECOVERABLE (broken before), ETIMEDOUT (a deadline of
 * now_seconds() passed; a negative deadline waits for ever).
 * side_wait: with no lock held, wait until side s can go on (the put side:
 * room for `need` bytes and one more message; the get side: a message),
 * spinning first, then sleeping on s's bell until the deadline. 0 (look
 * again), ETIMEDOUT, or ENOTRECOVERABLE.
 * bell_wake: after publishing, wake up to n sleepers of a bell, if any
 * sleep (no system call if none does). */
int side_init(struct side *s);
int side_lock(struct queue *q, struct side *s, double deadline);
void side_unlock(struct side *s);
int side_wait(struct queue *q, struct side *s, size_t need, double deadline);
void bell_wake(struct bell *b, unsigned n);

#endif
