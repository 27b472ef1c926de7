/* queue.h - chapter 11's fast Queue: Python's multiprocessing.Queue, in C,
 * built for speed. The same API as chapter 04's queue.h (the Queue the
 * workbook teaches, chapters/04-queue/queue.h), plus batch calls.
 * cost_queue_fast measures it beside chapter 04's (cost_queue).
 *
 * WHAT IT TRADES FOR SPEED, against chapter 04's Queue:
 *  - a ring of bytes instead of fixed slots: a message takes only the room
 *    it needs, the default ring holds thousands of small ones, and maxsize
 *    counts messages, not slots;
 *  - a lock per side instead of one: a producer and a consumer never wait
 *    for the same lock;
 *  - semaphores only to sleep on: chapter 04's put and get each wait on one
 *    semaphore and post the other, and with its few slots one side is
 *    nearly always asleep (a system call to sleep, another to wake it);
 *    here a side touches a semaphore only when it must sleep, so while
 *    nobody waits, put and get make no system call at all;
 *  - spinning: a side that finds its lock taken, or nothing to do, tries
 *    again a while before it sleeps (on another CPU the other side is
 *    probably about to let it go on);
 *  - batches: several messages under one lock and one wake-up.
 * The price: C11 atomics and memory orders to reason about, CPU time burnt
 * while spinning, and more than twice the lines.
 *
 * THE MODEL. queue_new() maps one block of shared memory (shared_alloc)
 * and lays out in it a ring buffer of bytes, two locks and two "bells".
 * Create the queue BEFORE fork(): every child inherits the same mapping,
 * so all of them see one queue. Any number of processes may put and get.
 *  - Each message is copied into the ring as its length (QUEUE_HEADER
 *    bytes) followed by its bytes, and copied out again by get. Messages
 *    are bytes: pass values, never pointers.
 *  - Producers take the put lock, consumers the get lock (a process-shared,
 *    robust pthread mutex each). They meet only through counters in shared
 *    memory (each side's position and count). Python's Queue, too, has one
 *    lock per side.
 *  - A process that must wait (nothing to get, no room to put) sleeps on a
 *    POSIX semaphore, its side's bell; the other side rings the bell only
 *    when someone sleeps there. So when nobody waits, a put or a get is
 *    two atomic steps for the lock, a copy and a store.
 *
 * WHAT IT PROMISES. A message is delivered once, whole, to one consumer,
 * whatever the number of producers and consumers, up to the largest size
 * queue_max_message() reports (a bigger one is refused with EMSGSIZE,
 * never cut). The queue is FIFO: messages leave in the order they were
 * put, so the messages of one producer reach every consumer in that
 * producer's order. Which consumer gets which message is not promised.
 *
 * CAPACITY. The queue is always bounded: by bytes (the ring), and also by
 * the number of messages if maxsize > 0 (Python's Queue(maxsize)). A put
 * that does not fit waits, like Python's put(block=True).
 *
 * TIMEOUTS. Every call that may wait takes a timeout in seconds, as
 * Python's put/get take block and timeout:
 *      QUEUE_FOREVER (any negative value)  block=True,  timeout=None
 *      QUEUE_NOWAIT  (0)                   block=False
 *      t > 0                               block=True,  timeout=t
 * Timeouts are measured on CLOCK_MONOTONIC. The waits inside
 * (sem_timedwait, pthread_mutex_timedlock) take a moment of CLOCK_REALTIME:
 * one that setting the clock forward ends early is restarted with what is
 * left; setting the clock back can stretch one.
 *
 * RESULTS. Each call that moves messages returns a queue_result: QUEUE_OK;
 * QUEUE_EMPTY (nothing to get before the timeout: Python's queue.Empty);
 * QUEUE_FULL (no room before the timeout: queue.Full); QUEUE_ERROR, with
 * errno set:
 *      EMSGSIZE         put: the message is larger than queue_max_message;
 *                       get: the next message does not fit in cap bytes
 *                       (it stays in the queue for a bigger buffer)
 *      EOWNERDEAD       a process died while it held one of the queue's
 *                       locks, perhaps half-way through a copy: this call
 *                       discovered it, and the queue is now broken
 *      ENOTRECOVERABLE  the queue was found broken earlier
 *      EINVAL           a bad argument
 * A broken queue refuses every later put and get, in every process, and
 * wakes everyone who sleeps on it: it cannot know what the dead process
 * was doing, so it does not guess. Stop consumers with sentinels (an agreed
 * message such as an empty one), never by killing them.
 *
 * SNAPSHOTS. queue_qsize, queue_empty and queue_full describe the queue at
 * one instant; by the time the caller looks, another process may have
 * changed it. Use them for reports, never to decide whether a get or put
 * will succeed: use QUEUE_NOWAIT for that.
 *
 * LIFETIME. The process that called queue_new calls queue_free once every
 * other process is done with the queue (after joining them). A child may
 * call queue_free too, or just _exit: its mapping goes with it. Nothing is
 * left in the system afterwards.
 *
 * Not on macOS as it is: it needs unnamed process-shared semaphores
 * (sem_init) and robust mutexes, which macOS does not provide.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef WORKBOOK_QUEUE_H
#define WORKBOOK_QUEUE_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#define QUEUE_IMPL "fast"               /* cost_queue's label for this Queue */

#define QUEUE_HEADER 4                  /* bytes of length before each message */
#define QUEUE_DEFAULT_BYTES (64u * 1024) /* the ring when queue_new gets 0 */
#define QUEUE_MAX_BYTES (1u << 30)      /* the largest ring: 1 GiB */
#define QUEUE_FOREVER (-1.0)
#define QUEUE_NOWAIT 0.0

enum queue_result {
    QUEUE_OK = 0,
    QUEUE_EMPTY,                        /* nothing to get (queue.Empty) */
    QUEUE_FULL,                         /* no room to put (queue.Full) */
    QUEUE_ERROR                         /* see errno */
};

struct queue;

/* A new queue holding at most maxsize messages (0: no limit but the ring)
 * in a ring of `bytes` bytes (0: QUEUE_DEFAULT_BYTES; rounded up to a power
 * of two, at least 64, at most QUEUE_MAX_BYTES). The largest message is
 * then the ring minus QUEUE_HEADER: it fits only into an empty queue.
 * Returns NULL with errno set if the locks cannot be had (EINVAL for a
 * ring above QUEUE_MAX_BYTES; ENOTSUP where atomics would not work between
 * processes); dies, as shared_alloc does, if the memory cannot be had. */
struct queue *queue_new(size_t maxsize, size_t bytes);

/* Unmaps this process's view of the queue (see LIFETIME). Returns 0. */
int queue_free(struct queue *q);

/* Put one message of len bytes (len may be 0). Waits for room as timeout
 * says. QUEUE_OK, QUEUE_FULL, or QUEUE_ERROR. */
enum queue_result queue_put(struct queue *q, const void *msg, size_t len,
                            double timeout);

/* Get one message into buf, which has room for cap bytes; *len is set to
 * its length. Waits for a message as timeout says. QUEUE_OK, QUEUE_EMPTY,
 * or QUEUE_ERROR. */
enum queue_result queue_get(struct queue *q, void *buf, size_t cap,
                            size_t *len, double timeout);

/* Put n messages, msgs[0] first, taking the lock once for as many as fit
 * at a time; waits for room as timeout says. *done (if not NULL) is set to
 * how many went in: all n with QUEUE_OK, fewer with QUEUE_FULL or
 * QUEUE_ERROR. Messages of one call stay in order, but another producer's
 * may come between them when the ring fills up on the way. */
enum queue_result queue_put_many(struct queue *q, const struct iovec *msgs,
                                 size_t n, size_t *done, double timeout);

/* Wait as timeout says for at least one message, then take as many as are
 * there, up to max messages and cap bytes of buf in all. msgs[i] is set to
 * point at message i inside buf; *got to how many were taken (0 with
 * QUEUE_EMPTY). A first message larger than cap is QUEUE_ERROR, EMSGSIZE,
 * and stays in the queue. A consumer that stops at a sentinel may receive
 * several sentinels in one call: put back those it does not use. */
enum queue_result queue_get_many(struct queue *q, void *buf, size_t cap,
                                 struct iovec *msgs, size_t max, size_t *got,
                                 double timeout);

/* For a consumer child that waits for a sentinel: queue_get (or
 * queue_get_many) waiting for ever, except that it gives up when `parent`
 * is no longer this process's parent, and returns QUEUE_EMPTY then. If
 * main is killed, no sentinel will ever come, and a child blocked in a
 * get for ever would be left running as an orphan. It waits in steps of
 * half a second and calls getppid() after each (chapter 01: an orphan
 * gets a new parent). Pass the pid main had before the fork; getppid()
 * in the child might already give the new parent. */
enum queue_result queue_get_unless_orphaned(struct queue *q, void *buf,
                                            size_t cap, size_t *len,
                                            pid_t parent);
enum queue_result queue_get_many_unless_orphaned(struct queue *q, void *buf,
                                                 size_t cap, struct iovec *msgs,
                                                 size_t max, size_t *got,
                                                 pid_t parent);

/* Snapshots (see above): messages in the queue; 1 if it holds none; 1 if
 * it has no room left even for an empty message. */
size_t queue_qsize(const struct queue *q);
int queue_empty(const struct queue *q);
int queue_full(const struct queue *q);

/* The largest message a put accepts, and the limits given to queue_new. */
size_t queue_max_message(const struct queue *q);
size_t queue_maxsize(const struct queue *q);
size_t queue_bytes(const struct queue *q);

/* "OK", "Empty", "Full", "error": for messages. */
const char *queue_result_name(enum queue_result r);

#endif
