/* queue_fast_ring.c - moving messages through the fast Queue's ring: put
 * and get, one message or a batch (queue.h has the API).
 *
 * The ring's counters (queue_fast_impl.h): producers own `tail` (put.pos,
 * bytes written) and `puts` (put.count, messages written); consumers own
 * `head` and `gets`. A producer copies a message into the ring first, then
 * stores `puts` with release order; a consumer loads `puts` with acquire
 * order before it reads the ring. So whoever sees the new count also sees
 * the bytes (and symmetrically for `head`, which tells the producers that
 * bytes may be overwritten). With nothing to do, a side lets go of its
 * lock and waits in side_wait; after publishing, it wakes the other side's
 * sleepers, if there are any (bell_wake): queue_fast_wait.c.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include "common.h"
#include "queue_fast_impl.h"

/* ---- the ring ------------------------------------------------------------ */

static void ring_write(struct queue *q, size_t pos, const void *src, size_t n)
{
    size_t off = pos & (q->size - 1), first = q->size - off;

    if (n <= first) {
        memcpy(q->ring + off, src, n);
    } else {                            /* wraps around the end */
        memcpy(q->ring + off, src, first);
        memcpy(q->ring, (const unsigned char *)src + first, n - first);
    }
}

static void ring_read(const struct queue *q, size_t pos, void *dst, size_t n)
{
    size_t off = pos & (q->size - 1), first = q->size - off;

    if (n <= first) {
        memcpy(dst, q->ring + off, n);
    } else {
        memcpy(dst, q->ring + off, first);
        memcpy((unsigned char *)dst + first, q->ring, n - first);
    }
}

/* ---- put and get ---------------------------------------------------------- */

static double deadline_of(double timeout)
{
    return timeout < 0 ? -1.0 : now_seconds() + timeout;
}

/* Map a failed lock or wait to a result. */
static enum queue_result failed(int err, enum queue_result timed_out)
{
    if (err == ETIMEDOUT)
        return timed_out;
    errno = err;
    return QUEUE_ERROR;
}

/* With the put lock held: is there room for need bytes and one more
 * message? Looks at the consumers' counters only when the values seen last
 * time say no: most puts never touch the consumers' cache lines. */
static int room_for(struct queue *q, size_t tail, size_t puts, size_t need)
{
    struct side *p = &q->put;

    if ((q->maxsize == 0 || puts - p->other_count < q->maxsize)
        && q->size - (tail - p->other_pos) >= need)
        return 1;
    p->other_count = atomic_load_explicit(&q->get.count, memory_order_acquire);
    p->other_pos = atomic_load_explicit(&q->get.pos, memory_order_acquire);
    return (q->maxsize == 0 || puts - p->other_count < q->maxsize)
        && q->size - (tail - p->other_pos) >= need;
}

enum queue_result queue_put_many(struct queue *q, const struct iovec *msgs,
                                 size_t n, size_t *done, double timeout)
{
    double deadline = deadline_of(timeout);
    size_t i = 0;
    enum queue_result result = QUEUE_OK;
    int err;

    for (size_t k = 0; k < n; k++)
        if (msgs[k].iov_len > queue_max_message(q)) {
            /* Refuse the whole call before anything goes in. */
            if (done != NULL)
                *done = 0;
            errno = EMSGSIZE;
            return QUEUE_ERROR;
        }
    while (i < n) {
        err = side_lock(q, &q->put, timeout > 0 ? deadline : -1.0);
        if (err != 0) {
            result = failed(err, QUEUE_FULL);
            break;
        }
        size_t tail = atomic_load_explicit(&q->put.pos, memory_order_relaxed);
        size_t puts = atomic_load_explicit(&q->put.count, memory_order_relaxed);
        size_t first = i;

        /* Copy in as many as fit, then publish them all with one store. */
        while (i < n && room_for(q, tail, puts, QUEUE_HEADER + msgs[i].iov_len)) {
            uint32_t len = (uint32_t)msgs[i].iov_len;

            ring_write(q, tail, &len, QUEUE_HEADER);
            ring_write(q, tail + QUEUE_HEADER, msgs[i].iov_base, len);
            tail += QUEUE_HEADER + len;
            puts++;
            i++;
        }
        if (i > first) {
            atomic_store_explicit(&q->put.pos, tail, memory_order_relaxed);
            /* release: a consumer that sees this count sees the bytes. */
            atomic_store_explicit(&q->put.count, puts, memory_order_release);
            bell_wake(&q->get.bell, (unsigned)(i - first > UINT_MAX ? UINT_MAX : i - first));
        }
        side_unlock(&q->put);
        if (i == n)
            break;
        /* No room for msgs[i]: wait unless told not to. */
        if (timeout == 0) {
            result = QUEUE_FULL;
            break;
        }
        err = side_wait(q, &q->put, QUEUE_HEADER + msgs[i].iov_len, deadline);
        if (err != 0) {
            result = failed(err, QUEUE_FULL);
            break;
        }
    }
    if (done != NULL)
        *done = i;
    return result;
}

enum queue_result queue_put(struct queue *q, const void *msg, size_t len,
                            double timeout)
{
    struct iovec one;

    one.iov_base = (void *)msg;         /* iovec has no const; we only read */
    one.iov_len = len;
    return queue_put_many(q, &one, 1, NULL, timeout);
}

enum queue_result queue_get_many(struct queue *q, void *buf, size_t cap,
                                 struct iovec *msgs, size_t max, size_t *got,
                                 double timeout)
{
    double deadline = deadline_of(timeout);
    struct side *g = &q->get;
    unsigned char *out = buf;
    size_t taken = 0, used = 0;
    enum queue_result result = QUEUE_OK;
    int err;

    if (max == 0) {
        errno = EINVAL;
        if (got != NULL)
            *got = 0;
        return QUEUE_ERROR;
    }
    for (;;) {
        err = side_lock(q, g, timeout > 0 ? deadline : -1.0);
        if (err != 0) {
            result = failed(err, QUEUE_EMPTY);
            break;
        }
        size_t head = atomic_load_explicit(&g->pos, memory_order_relaxed);
        size_t gets = atomic_load_explicit(&g->count, memory_order_relaxed);

        if (g->other_count == gets)     /* empty as last seen: look again */
            g->other_count = atomic_load_explicit(&q->put.count, memory_order_acquire);
        /* Take messages while there are some and they fit in buf. */
        while (taken < max && g->other_count != gets) {
            uint32_t len;

            ring_read(q, head, &len, QUEUE_HEADER);
            if (len > cap - used)
                break;
            ring_read(q, head + QUEUE_HEADER, out + used, len);
            msgs[taken].iov_base = out + used;
            msgs[taken].iov_len = len;
            used += len;
            taken++;
            head += QUEUE_HEADER + len;
            gets++;
        }
        if (taken > 0) {
            atomic_store_explicit(&g->pos, head, memory_order_release);
            atomic_store_explicit(&g->count, gets, memory_order_release);
            /* Producers wait for different amounts of room: wake them all
             * (each one looks again; those that still do not fit sleep). */
            bell_wake(&q->put.bell, UINT_MAX);
            /* Messages are left and consumers sleep: pass one on. */
            if (g->other_count != gets)
                bell_wake(&g->bell, 1);
            side_unlock(g);
            break;
        }
        if (g->other_count != gets) {
            /* A message is there but buf is too small for it: it stays,
             * and another consumer may take it. */
            bell_wake(&g->bell, 1);
            side_unlock(g);
            errno = EMSGSIZE;
            result = QUEUE_ERROR;
            break;
        }
        side_unlock(g);
        if (timeout == 0) {
            result = QUEUE_EMPTY;
            break;
        }
        err = side_wait(q, g, 0, deadline);
        if (err != 0) {
            result = failed(err, QUEUE_EMPTY);
            break;
        }
    }
    if (got != NULL)
        *got = taken;
    return result;
}

enum queue_result queue_get(struct queue *q, void *buf, size_t cap,
                            size_t *len, double timeout)
{
    struct iovec one;
    enum queue_result r = queue_get_many(q, buf, cap, &one, 1, NULL, timeout);

    if (r == QUEUE_OK && len != NULL)
        *len = one.iov_len;
    return r;
}
