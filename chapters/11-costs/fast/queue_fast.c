/* queue_fast.c - chapter 11's fast Queue (queue.h has the API, the model,
 * and what it trades for speed): creating and freeing it, the consumer
 * that gives up when orphaned, the snapshots. Moving messages is in
 * queue_fast_ring.c, waiting in queue_fast_wait.c.
 *
 * One shared mapping holds a header and the ring (queue_fast_impl.h).
 * Each side's counters only grow (wrapping around size_t, which unsigned
 * arithmetic handles), are written by that side under its lock, and are
 * read by the other side without any lock: that is what C11 atomics are
 * for.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdatomic.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common.h"
#include "queue_fast_impl.h"

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

/* ---- creating and freeing ------------------------------------------------ */

struct queue *queue_new(size_t maxsize, size_t bytes)
{
    struct queue *q;
    size_t size = QUEUE_DEFAULT_BYTES, map_size;
    int err;

    if (bytes > QUEUE_MAX_BYTES) {
        errno = EINVAL;
        return NULL;
    }
    if (bytes != 0)                     /* a power of two: pos & (size - 1) */
        for (size = 64; size < bytes; size *= 2)
            continue;
    map_size = sizeof *q + size;
    q = shared_alloc(map_size);         /* zero-filled, shared with children */
    /* The counters are read by other processes without a lock: they must
     * be atomic without a hidden lock of their own (which would be private
     * to each process). C11 calls such atomics lock-free and asks them to
     * work between processes too. */
    if (!atomic_is_lock_free(&q->put.pos) || !atomic_is_lock_free(&q->put.bell.sleepers)
        || !atomic_is_lock_free(&q->broken)) {
        shared_free(q, map_size);
        errno = ENOTSUP;
        return NULL;
    }
    q->size = size;
    q->maxsize = maxsize;
    q->map_size = map_size;
    atomic_init(&q->broken, 0);
    if ((err = side_init(&q->put)) != 0 || (err = side_init(&q->get)) != 0) {
        shared_free(q, q->map_size);
        errno = err;
        return NULL;
    }
    return q;
}

int queue_free(struct queue *q)
{
    /* The mutexes and semaphores need no destroy: they hold nothing in the
     * kernel, and the memory they live in goes away with the last mapping. */
    shared_free(q, q->map_size);
    return 0;
}

size_t queue_max_message(const struct queue *q)
{
    return q->size - QUEUE_HEADER;
}

size_t queue_maxsize(const struct queue *q)
{
    return q->maxsize;
}

size_t queue_bytes(const struct queue *q)
{
    return q->size;
}

/* ---- a consumer that waits for a sentinel ------------------------------- */

/* Half a second: short enough that an orphan leaves soon after main dies,
 * long enough that a waiting consumer costs nothing worth measuring. */
#define ORPHAN_CHECK 0.5

enum queue_result queue_get_many_unless_orphaned(struct queue *q, void *buf,
                                                 size_t cap, struct iovec *msgs,
                                                 size_t max, size_t *got,
                                                 pid_t parent)
{
    for (;;) {
        enum queue_result r = queue_get_many(q, buf, cap, msgs, max, got,
                                             ORPHAN_CHECK);

        if (r != QUEUE_EMPTY || getppid() != parent)
            return r;
    }
}

enum queue_result queue_get_unless_orphaned(struct queue *q, void *buf,
                                            size_t cap, size_t *len,
                                            pid_t parent)
{
    struct iovec one;
    enum queue_result r = queue_get_many_unless_orphaned(q, buf, cap, &one, 1,
                                                         NULL, parent);

    if (r == QUEUE_OK && len != NULL)
        *len = one.iov_len;
    return r;
}

/* ---- snapshots ------------------------------------------------------------ */

size_t queue_qsize(const struct queue *q)
{
    struct queue *w = (struct queue *)q;    /* atomic loads do not write */
    /* gets first: every message counted there was counted in puts before,
     * so puts read afterwards is never smaller. */
    size_t gets = atomic_load(&w->get.count);
    size_t puts = atomic_load(&w->put.count);

    return puts - gets;
}

int queue_empty(const struct queue *q)
{
    return queue_qsize(q) == 0;
}

int queue_full(const struct queue *q)
{
    struct queue *w = (struct queue *)q;
    size_t head = atomic_load(&w->get.pos);
    size_t tail = atomic_load(&w->put.pos);

    if (q->maxsize != 0 && queue_qsize(q) >= q->maxsize)
        return 1;
    return q->size - (tail - head) < QUEUE_HEADER;     /* not even an empty one */
}
