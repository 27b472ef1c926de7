/* event.h - an Event that several processes share (chapter 08).
 *
 * Python's multiprocessing.Event is a flag, initially false: set() makes it
 * true and wakes every process waiting for it; clear() makes it false
 * again; wait() blocks until it is true; wait(timeout) gives up after
 * timeout seconds and returns the flag either way. Python builds it from a
 * Condition and a Semaphore. This one is the C idiom for "sleep until a
 * condition holds": a flag guarded by a mutex, and a condition variable to
 * sleep on, all three process-shared and in shared memory.
 *
 * Reused by: chapter 11 (which measures an Event round trip).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef WORKBOOK_EVENT_H
#define WORKBOOK_EVENT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

/* shared_cond_init: a condition variable that several processes can use,
 * placed in shared memory (shared_alloc, chapter 06), to be used with a
 * mutex from shared_mutex_init (chapter 06). It measures its timeouts on
 * CLOCK_MONOTONIC, which nobody can set back or forward. Destroy it with
 * pthread_cond_destroy. */
void shared_cond_init(pthread_cond_t *cond);

/* A starting line for processes that must all exist before any begins (a
 * barrier's parties, a producer and its consumers): if the parent died
 * after forking only some of them, those would wait for ever for the
 * others. start_line_open() makes it (a pipe); each child calls
 * start_line_wait() first, which returns true once the parent has called
 * start_line_go(line, n) for all n children, or false if the parent died
 * before that (the pipe's last write end closed): the child must then
 * leave. Both close the ends they no longer need. */
void start_line_open(int line[2]);
bool start_line_wait(int line[2]);
void start_line_go(int line[2], int n);

/* struct event must itself live in shared memory (shared_alloc). */
struct event {
    pthread_mutex_t mutex;      /* held while flag becomes true (see set) */
    pthread_cond_t changed;     /* broadcast when flag becomes true */
    atomic_bool flag;           /* read without the mutex: is_set, spin */
};

void event_init(struct event *ev);      /* not set; event_destroy() when done */
void event_destroy(struct event *ev);
void event_set(struct event *ev);       /* Python: e.set()    */
void event_clear(struct event *ev);     /* Python: e.clear()  */
bool event_is_set(struct event *ev);    /* Python: e.is_set() */
void event_wait(struct event *ev);      /* Python: e.wait()   */
/* Python: e.wait(seconds): true if the event is set, false if the time
 * ran out first. */
bool event_wait_timeout(struct event *ev, double seconds);

/* Like Python's, a set() followed at once by clear() may be missed: a
 * waiter that wakes up after the clear() finds the flag false and goes
 * back to sleep. An Event says "it has happened", not "it happened once":
 * use a Condition or a Barrier for that. */

#endif
