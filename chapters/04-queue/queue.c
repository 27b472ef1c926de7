/* queue.c - the Queue of queue.h: a ring of slots in shared memory, one
 * lock, two counting semaphores.
 *
 * put:  wait for a free slot (sem `slots`)      get:  wait for a message (sem `items`)
 *       lock; copy into the tail slot; unlock         lock; copy out of the head slot; unlock
 *       one more message (post `items`)               one more free slot (post `slots`)
 *
 * The semaphores do the waiting, so the lock is only ever held for one
 * copy: nobody sleeps while holding it. The chapter's README walks through
 * this file; queue.h says what it promises.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "queue.h"

/* Everything lives in the one shared block, the slots right after this
 * header: slot i starts at ring + i * slot_bytes. */
struct queue {
    pthread_mutex_t lock;       /* guards head, tail, count and the slots */
    sem_t items;                /* how many messages can be got */
    sem_t slots;                /* how many slots are free */
    size_t nslots, slot_bytes;  /* fixed by queue_new */
    size_t head;                /* the next slot to get from */
    size_t tail;                /* the next slot to put into */
    size_t count;               /* messages in the ring */
    size_t total;               /* bytes mapped, for queue_free */
    pid_t creator;              /* who destroys the semaphores and lock */
    unsigned char ring[];
};

const char *queue_result_name(enum queue_result r)
{
    switch (r) {
    case QUEUE_OK: return "OK";
    case QUEUE_EMPTY: return "Empty";
    case QUEUE_FULL: return "Full";
    case QUEUE_ERROR: return "error";
    }
    return "?";
}

struct queue *queue_new(size_t maxsize, size_t bytes)
{
    pthread_mutexattr_t attr;
    struct queue *q;
    size_t nslots = maxsize ? maxsize : QUEUE_DEFAULT_SLOTS;
    size_t slot_bytes = bytes ? bytes : QUEUE_DEFAULT_BYTES;
    int err;

    if (slot_bytes < QUEUE_HEADER || slot_bytes - QUEUE_HEADER > UINT32_MAX
        || nslots > QUEUE_MAX_BYTES / slot_bytes) {
        errno = EINVAL;
        return NULL;
    }
    q = shared_alloc(sizeof *q + nslots * slot_bytes);
    q->nslots = nslots;
    q->slot_bytes = slot_bytes;
    q->total = sizeof *q + nslots * slot_bytes;
    q->creator = getpid();

    /* PTHREAD_PROCESS_SHARED: the lock works between processes (it lives
     * in shared memory). PTHREAD_MUTEX_ROBUST: if its holder dies, the next
     * locker is told so (EOWNERDEAD) instead of waiting for ever. */
    err = pthread_mutexattr_init(&attr);
    if (err == 0)
        err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (err == 0)
        err = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    if (err == 0)
        err = pthread_mutex_init(&q->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    if (err != 0) {
        shared_free(q, q->total);
        errno = err;
        return NULL;
    }
    /* pshared = 1: shared between processes. No message yet; every slot free. */
    if (sem_init(&q->items, 1, 0) == -1 || sem_init(&q->slots, 1, (unsigned)nslots) == -1) {
        err = errno;                    /* nslots above SEM_VALUE_MAX: EINVAL */
        pthread_mutex_destroy(&q->lock);
        shared_free(q, q->total);
        errno = err;
        return NULL;
    }
    return q;
}

int queue_free(struct queue *q)
{
    if (getpid() == q->creator) {
        pthread_mutex_destroy(&q->lock);
        sem_destroy(&q->items);
        sem_destroy(&q->slots);
    }
    shared_free(q, q->total);
    return 0;
}

/* Take one unit of semaphore s, waiting as timeout says. 1 when taken; 0
 * when the timeout passed first (nothing to take, for QUEUE_NOWAIT). */
static int take(sem_t *s, double timeout)
{
    struct timespec deadline;
    int rc;

    if (timeout < 0) {
        while ((rc = sem_wait(s)) == -1 && errno == EINTR)
            continue;                   /* a signal handler ran: wait on */
    } else if (timeout == 0) {
        rc = sem_trywait(s);
    } else {
        /* sem_timedwait takes a moment of CLOCK_REALTIME, not a duration:
         * computed once, so an interrupted wait does not start again. */
        deadline = deadline_in(CLOCK_REALTIME, timeout);
        while ((rc = sem_timedwait(s, &deadline)) == -1 && errno == EINTR)
            continue;
    }
    if (rc == 0)
        return 1;
    if (errno != EAGAIN && errno != ETIMEDOUT)
        die("sem_wait");                /* EINVAL: not a semaphore */
    return 0;
}

/* A broken queue: wake one sleeper on each semaphore. Whoever wakes fails
 * to lock, calls this again, and so wakes the next: nobody sleeps on a
 * broken queue for ever. (sem_post may fail with EOVERFLOW after very many
 * failed calls: the count is already high enough to wake everyone.) */
static void wake_all(struct queue *q)
{
    sem_post(&q->items);
    sem_post(&q->slots);
}

/* Lock the queue. 0, or -1 with errno EOWNERDEAD or ENOTRECOVERABLE.
 *
 * EOWNERDEAD: the lock's last holder died holding it. We hold it now, and
 * pthread_mutex_consistent() would make it usable again; but the lock was
 * not the only thing the dead process was changing. It may have been
 * half-way through copying a message, or between moving the tail and
 * counting the message: nothing here can tell. So we do NOT call
 * pthread_mutex_consistent. Unlocking without it marks the mutex
 * "not recoverable" for good: every later pthread_mutex_lock, in every
 * process, returns ENOTRECOVERABLE. That is the queue's "broken" flag. */
static int lock(struct queue *q)
{
    int err = pthread_mutex_lock(&q->lock);

    if (err == 0)
        return 0;
    if (err == EOWNERDEAD)
        pthread_mutex_unlock(&q->lock);     /* and never consistent */
    else if (err != ENOTRECOVERABLE)
        check_pthread(err, "pthread_mutex_lock");   /* a bug: dies */
    wake_all(q);
    errno = err;
    return -1;
}

static void unlock(struct queue *q)
{
    check_pthread(pthread_mutex_unlock(&q->lock), "pthread_mutex_unlock");
}

enum queue_result queue_put(struct queue *q, const void *msg, size_t len,
                            double timeout)
{
    unsigned char *slot;
    uint32_t n = (uint32_t)len;

    if (len > queue_max_message(q)) {
        errno = EMSGSIZE;               /* refused whole, never cut */
        return QUEUE_ERROR;
    }
    if (!take(&q->slots, timeout))
        return QUEUE_FULL;              /* no slot came free in time */
    if (lock(q) == -1)
        return QUEUE_ERROR;
    slot = q->ring + q->tail * q->slot_bytes;
    memcpy(slot, &n, QUEUE_HEADER);     /* the length, then the bytes */
    memcpy(slot + QUEUE_HEADER, msg, len);
    q->tail = (q->tail + 1) % q->nslots;
    q->count++;
    unlock(q);
    sem_post(&q->items);                /* wakes one waiting get, if any */
    return QUEUE_OK;
}

enum queue_result queue_get(struct queue *q, void *buf, size_t cap,
                            size_t *len, double timeout)
{
    unsigned char *slot;
    uint32_t n;

    if (!take(&q->items, timeout))
        return QUEUE_EMPTY;             /* no message came in time */
    if (lock(q) == -1)
        return QUEUE_ERROR;
    slot = q->ring + q->head * q->slot_bytes;
    memcpy(&n, slot, QUEUE_HEADER);
    if (n > cap) {
        /* Too big for the caller's buffer: leave it where it is, and give
         * back the unit of `items` we took for it. */
        unlock(q);
        sem_post(&q->items);
        errno = EMSGSIZE;
        return QUEUE_ERROR;
    }
    memcpy(buf, slot + QUEUE_HEADER, n);
    q->head = (q->head + 1) % q->nslots;
    q->count--;
    unlock(q);
    sem_post(&q->slots);                /* wakes one waiting put, if any */
    *len = n;
    return QUEUE_OK;
}

enum queue_result queue_get_unless_orphaned(struct queue *q, void *buf,
                                            size_t cap, size_t *len,
                                            pid_t parent)
{
    for (;;) {
        enum queue_result r = queue_get(q, buf, cap, len, 0.5);

        if (r != QUEUE_EMPTY)
            return r;
        if (getppid() != parent)
            return QUEUE_EMPTY;         /* orphaned: no sentinel will come */
    }
}

/* The snapshots read count under the lock; a broken queue reports 0. */
size_t queue_qsize(struct queue *q)
{
    size_t n;

    if (lock(q) == -1)
        return 0;
    n = q->count;
    unlock(q);
    return n;
}

int queue_empty(struct queue *q)
{
    return queue_qsize(q) == 0;
}

int queue_full(struct queue *q)
{
    return queue_qsize(q) == q->nslots;
}

size_t queue_max_message(const struct queue *q)
{
    return q->slot_bytes - QUEUE_HEADER;
}
