/* condition_demo.c - a producer and consumers share a small buffer,
 * guarded by one mutex, with two condition variables to sleep on.
 *
 * The producer waits on "not full" while the buffer is full; a consumer
 * waits on "not empty" while it is empty. Whoever changes the buffer
 * signals the other side. Every change, and the line that reports it, is
 * made while holding the mutex, so the output is the true history of the
 * buffer: an item is consumed only after the line that produced it, the
 * items come out in the order they went in, and the buffer never holds
 * more than SLOTS. When all items are made, the producer says so and
 * wakes every consumer (broadcast), and each leaves once the buffer is
 * empty. The producer is quicker than the consumers, so the buffer
 * usually fills up and the producer has to wait too (at the default pace:
 * likely, not guaranteed).
 *
 * Python:  multiprocessing.Condition(lock), twice on one Lock, with
 *          wait() and notify() (condition_demo.py)
 * Usage:   ./condition_demo [-n CONSUMERS] [-c ITEMS] [-s SLOTS]
 * Look for: "produced item K" before "consumed item K"; items consumed in
 * order 1, 2, 3...; never more than SLOTS in the buffer. Racy: which
 * consumer takes which item.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "event.h"              /* shared_cond_init, start_line_* */
#include "lock.h"               /* shared_mutex_init: chapter 06 */

#define MAX_SLOTS 16
#define MAX_CONSUMERS 16

struct shared {
    pthread_mutex_t mutex;      /* guards everything below */
    pthread_cond_t not_empty;   /* consumers sleep on it */
    pthread_cond_t not_full;    /* the producer sleeps on it */
    long items[MAX_SLOTS];      /* a ring buffer: first, then count items */
    int first, count, slots;
    bool done;                  /* the producer has made its last item */
    long consumed;              /* for main's self-check */
};

static void lock(struct shared *s)
{
    check_pthread(pthread_mutex_lock(&s->mutex), "pthread_mutex_lock");
}

static void unlock(struct shared *s)
{
    check_pthread(pthread_mutex_unlock(&s->mutex), "pthread_mutex_unlock");
}

static void producer(struct shared *s, long items)
{
    for (long item = 1; item <= items; item++) {
        pace(0.2);              /* making an item takes time */
        lock(s);
        /* A while, not an if: wake-ups can be spurious, and pthread_cond_wait
         * releases the mutex while it sleeps and takes it back before it
         * returns, so the test is made again with the mutex held. */
        while (s->count == s->slots) {
            say("%-10s (%ld): the buffer is full: waiting", "producer", (long)getpid());
            check_pthread(pthread_cond_wait(&s->not_full, &s->mutex), "pthread_cond_wait");
        }
        s->items[(s->first + s->count) % s->slots] = item;
        s->count++;
        say("%-10s (%ld): produced item %ld (%d in the buffer)", "producer",
            (long)getpid(), item, s->count);
        /* One new item is work for one consumer: wake one. */
        check_pthread(pthread_cond_signal(&s->not_empty), "pthread_cond_signal");
        unlock(s);
    }
    lock(s);
    s->done = true;
    say("%-10s (%ld): no more items", "producer", (long)getpid());
    /* Every sleeping consumer must hear this one: wake them all. */
    check_pthread(pthread_cond_broadcast(&s->not_empty), "pthread_cond_broadcast");
    unlock(s);
}

static void consumer(struct shared *s, int n)
{
    char label[16];
    long took = 0;

    snprintf(label, sizeof label, "consumer %d", n);
    for (;;) {
        long item;

        lock(s);
        while (s->count == 0 && !s->done)
            check_pthread(pthread_cond_wait(&s->not_empty, &s->mutex), "pthread_cond_wait");
        if (s->count == 0) {    /* empty, and nothing more will come */
            say("%-10s (%ld): the buffer is empty and the producer is done: "
                "leaving, after %ld item%s", label, (long)getpid(), took, took == 1 ? "" : "s");
            unlock(s);
            return;
        }
        item = s->items[s->first];
        s->first = (s->first + 1) % s->slots;
        s->count--;
        s->consumed++;
        took++;
        say("%-10s (%ld): consumed item %ld (%d in the buffer)", label,
            (long)getpid(), item, s->count);
        check_pthread(pthread_cond_signal(&s->not_full), "pthread_cond_signal");
        unlock(s);
        pace(1.0);              /* using the item takes time, without the mutex */
    }
}

int main(int argc, char *argv[])
{
    long consumers = 2, items = 6, slots = 2;
    pid_t pids[1 + MAX_CONSUMERS];
    struct shared *s;
    int start[2];
    int opt;

    prog_init(argc, argv, "[-n CONSUMERS] [-c ITEMS] [-s SLOTS]\n"
              "  -n CONSUMERS  consumer processes (default 2)\n"
              "  -c ITEMS      items the producer makes (default 6)\n"
              "  -s SLOTS      items the buffer holds at most (default 2)\n"
              "Python: multiprocessing.Condition, wait and notify (twin: condition_demo.py)");
    while ((opt = get_option(argc, argv, "n:c:s:")) != -1) {
        if (opt == 'n')
            consumers = arg_long(optarg, opt, 1, MAX_CONSUMERS);
        else if (opt == 'c')
            items = arg_long(optarg, opt, 1, 1000);
        else
            slots = arg_long(optarg, opt, 1, MAX_SLOTS);
    }
    no_operands(argc, argv);

    /* Mutex, condition variables and buffer all in shared memory, the
     * first three made process-shared (shared_mutex_init in lock.c,
     * shared_cond_init in event.c). */
    s = shared_alloc(sizeof *s);
    shared_mutex_init(&s->mutex, false);
    shared_cond_init(&s->not_empty);
    shared_cond_init(&s->not_full);
    s->slots = (int)slots;

    say("%-10s (%ld): 1 producer makes %ld items for %ld consumer%s, through %ld slots",
        "main", (long)getpid(), items, consumers, consumers == 1 ? "" : "s", slots);
    /* They all wait at a starting line (event.c) until all exist: if main
     * died after starting only some, a producer without consumers would
     * wait for ever on a full buffer, consumers without a producer on an
     * empty one. */
    start_line_open(start);
    for (long i = 0; i <= consumers; i++) {
        pids[i] = fork();
        if (pids[i] == -1)
            die("fork");
        if (pids[i] == 0) {
            if (!start_line_wait(start))
                _exit(1);       /* main died before the start: leave */
            if (i == 0)
                producer(s, items);
            else
                consumer(s, (int)i);
            _exit(0);           /* the child's work is done: not the parent's code */
        }
    }
    start_line_go(start, (int)(consumers + 1));
    if (join_all(pids, consumers + 1) != 0)
        fatal("a process failed: the others were stopped and joined");

    say("%-10s (%ld): %ld items consumed (expected %ld)", "main", (long)getpid(),
        s->consumed, items);
    if (s->consumed != items)
        fatal("items were lost or taken twice");
    check_pthread(pthread_cond_destroy(&s->not_full), "pthread_cond_destroy");
    check_pthread(pthread_cond_destroy(&s->not_empty), "pthread_cond_destroy");
    check_pthread(pthread_mutex_destroy(&s->mutex), "pthread_mutex_destroy");
    shared_free(s, sizeof *s);
    return 0;
}
