/* queue.h - a Queue that many processes share: Python's
 * multiprocessing.Queue, in C, kept simple enough to read in one sitting.
 *
 * Chapter 04 teaches it (chapters/04-queue/README.md). Chapter 11 measures
 * it, beside a faster version that trades simplicity for speed.
 *
 * THE MODEL. queue_new() maps one block of shared memory (shared_alloc)
 * holding a ring of fixed-size slots, one lock and two counting
 * semaphores. Create the queue BEFORE fork(): every child inherits the
 * same mapping, so all of them see one queue.
 *  - A slot holds one message: its length (QUEUE_HEADER bytes), then its
 *    bytes. Messages are bytes: pass values, never pointers.
 *  - ONE process-shared robust mutex guards the ring's head, tail and count.
 *  - Semaphore `items` counts the messages, `slots` the free slots: get
 *    waits on items, put waits on slots.
 *
 * WHAT IT PROMISES. A message is delivered once, whole, to one consumer, up
 * to queue_max_message() bytes (a bigger one is refused with EMSGSIZE,
 * never cut). FIFO: messages leave in the order they were put.
 *
 * TIMEOUTS, as Python's put/get take block and timeout:
 *      QUEUE_FOREVER (any negative value)  block=True,  timeout=None
 *      QUEUE_NOWAIT  (0)                   block=False
 *      t > 0                               block=True,  timeout=t
 * A timed wait ends at a moment of CLOCK_REALTIME (sem_timedwait knows no
 * other clock): setting the date during the wait changes its length.
 *
 * RESULTS. QUEUE_OK; QUEUE_EMPTY (queue.Empty); QUEUE_FULL (queue.Full);
 * QUEUE_ERROR with errno set:
 *      EMSGSIZE         put: the message is larger than queue_max_message;
 *                       get: the next message does not fit in cap bytes
 *                       (it stays in the queue)
 *      EOWNERDEAD       a process died holding the lock, perhaps half-way
 *                       through a copy: this call found out, and the queue
 *                       is now broken
 *      ENOTRECOVERABLE  the queue was found broken earlier
 *      EINVAL           a bad argument
 * A broken queue refuses every later put and get, in every process.
 *
 * SNAPSHOTS. queue_qsize, queue_empty and queue_full describe one instant;
 * use them for reports, never to decide whether a put or get will succeed.
 *
 * LIFETIME. The process that called queue_new calls queue_free once the
 * others are done (after joining them). A child may call queue_free too:
 * it only unmaps its own view. Nothing is left in the system afterwards.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef WORKBOOK_QUEUE_H
#define WORKBOOK_QUEUE_H

#include <stddef.h>
#include <sys/types.h>

#define QUEUE_HEADER 4                    /* a slot's bytes for the length */
#define QUEUE_DEFAULT_SLOTS 16            /* when queue_new gets maxsize 0 */
#define QUEUE_DEFAULT_BYTES (64u * 1024)  /* when queue_new gets bytes 0 */
#define QUEUE_MAX_BYTES (1u << 30)        /* all the slots: at most 1 GiB */
#define QUEUE_FOREVER (-1.0)
#define QUEUE_NOWAIT 0.0

enum queue_result {
    QUEUE_OK = 0,
    QUEUE_EMPTY,                        /* nothing to get (queue.Empty) */
    QUEUE_FULL,                         /* no room to put (queue.Full) */
    QUEUE_ERROR                         /* see errno */
};

struct queue;

/* A new queue of maxsize slots (Python's Queue(maxsize); 0:
 * QUEUE_DEFAULT_SLOTS) of `bytes` bytes each (0: QUEUE_DEFAULT_BYTES; at
 * least QUEUE_HEADER). The largest message is bytes - QUEUE_HEADER.
 * NULL with errno EINVAL if all the slots come to more than QUEUE_MAX_BYTES,
 * or the errno of sem_init or pthread_mutex_init. */
struct queue *queue_new(size_t maxsize, size_t bytes);

/* Unmaps this process's view (see LIFETIME). 0, or -1 with errno set. */
int queue_free(struct queue *q);

/* Put one message of len bytes (len may be 0), waiting for a free slot as
 * timeout says. QUEUE_OK, QUEUE_FULL, or QUEUE_ERROR. */
enum queue_result queue_put(struct queue *q, const void *msg, size_t len,
                            double timeout);

/* Get one message into buf (room for cap bytes), its length into *len,
 * waiting for one as timeout says. QUEUE_OK, QUEUE_EMPTY, or QUEUE_ERROR. */
enum queue_result queue_get(struct queue *q, void *buf, size_t cap,
                            size_t *len, double timeout);

/* For a consumer child that waits for a sentinel: queue_get waiting for
 * ever, except that it returns QUEUE_EMPTY once `parent` is no longer this
 * process's parent (main was killed, and no sentinel will come: chapter 01,
 * an orphan gets a new parent). It waits half a second at a time and calls
 * getppid() in between. Pass the pid main had before the fork. */
enum queue_result queue_get_unless_orphaned(struct queue *q, void *buf,
                                            size_t cap, size_t *len,
                                            pid_t parent);

/* Snapshots (see above): messages in the queue; 1 if none; 1 if no slot
 * is free. */
size_t queue_qsize(struct queue *q);
int queue_empty(struct queue *q);
int queue_full(struct queue *q);

/* The largest message a put accepts. */
size_t queue_max_message(const struct queue *q);

/* "OK", "Empty", "Full", "error": for messages. */
const char *queue_result_name(enum queue_result r);

#endif
