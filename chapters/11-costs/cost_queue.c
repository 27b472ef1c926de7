/* cost_queue.c - how many small messages per second a Queue moves, with
 * one producer and one consumer, and with two of each.
 *
 * Rows (in thousands of messages per second):
 *   queue_1x1  one producer puts n 8-byte messages, one consumer gets them
 *   queue_2x2  two producers put n/2 each, two consumers share them
 * Built twice from this file. cost_queue links chapter 04's Queue
 * (chapters/04-queue/queue.c: fixed slots, one lock, a semaphore wait and
 * post on every put and get), reported as "C", beside the floor: a bare
 * pipe, one write(2) and one read(2) per message. cost_queue_fast links
 * this chapter's fast Queue (fast/: a byte ring, a lock per side, a
 * semaphore only to sleep on), reported as "fast"; the floor is the same
 * pipe either way, so only cost_queue measures it.
 * The clock runs from the moment every process is ready until the last
 * consumer has got its last message. Then the work is checked: each
 * consumer got every producer's messages in that producer's order (the
 * FIFO promise), and all the consumers together got each message once
 * (their count and the sum of the values).
 *
 * Python:  multiprocessing.Queue put(i) / get() (cost_queue.py)
 * Usage:   ./cost_queue [-r ROW] [-s SCALE] [-p | -a]     (cost_queue_fast too)
 * Look for: a pipe pays two system calls per message. Chapter 04's Queue
 * pays none while neither side waits, but with its 16 slots one side
 * nearly always does: it sleeps on a semaphore and the other wakes it, two
 * system calls. The fast ring holds thousands of messages and spins before
 * it sleeps, so it rarely has to: most of its cost is then two locks and a
 * copy. Two producers and two consumers fight over each lock.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "bench.h"
#include "queue.h"

#ifndef QUEUE_IMPL
#define QUEUE_IMPL "C"          /* chapter 04's queue.h names none */
#endif

static const char *const rows[] = { "queue_1x1", "queue_2x2", NULL };

/* Producer i's k-th message is k * MAXPROD + i: a consumer can tell whose
 * it is (v % MAXPROD) and where it comes in that producer's order. */
#define MAXPROD 2               /* producers in a row, at most */
#define STOP UINT64_MAX         /* the sentinel: no more messages */

/* One channel: a pipe (the floor) or the queue. */
struct channel {
    int fds[2];                 /* the pipe; unused for a queue */
    struct queue *q;            /* the queue; NULL for a pipe */
};

static void put(struct channel *ch, uint64_t v)
{
    if (ch->q == NULL) {
        /* 8 bytes <= PIPE_BUF: the write is atomic, so two producers'
         * messages never mix, and each read below gets one whole. */
        if (write_all(ch->fds[1], &v, sizeof v) == -1)
            die("write");
    } else if (queue_put(ch->q, &v, sizeof v, QUEUE_FOREVER) != QUEUE_OK) {
        die("queue_put");
    }
}

static uint64_t get(struct channel *ch)
{
    uint64_t v;
    size_t len;

    if (ch->q == NULL) {
        if (read_full(ch->fds[0], &v, sizeof v) != (ssize_t)sizeof v)
            die("read");
    } else if (queue_get(ch->q, &v, sizeof v, &len, QUEUE_FOREVER) != QUEUE_OK
               || len != sizeof v) {
        die("queue_get");
    }
    return v;
}

/* What a consumer tells the parent once it has stopped. */
struct tally {
    long count;                 /* messages got */
    uint64_t sum;               /* of their values (wrapping is fine) */
    uint64_t late, before;      /* the first message out of its producer's
                                   order, and the one it came after (late
                                   is STOP if none) */
};

static void consume(struct channel *ch, int tallies)
{
    struct tally t = { 0, 0, STOP, 0 };
    uint64_t next[MAXPROD] = { 0 };     /* each producer's lowest value to come */
    uint64_t v;

    while ((v = get(ch)) != STOP) {
        uint64_t *n = &next[v % MAXPROD];

        if (v < *n && t.late == STOP) {
            t.late = v;
            t.before = *n - MAXPROD;
        }
        *n = v + MAXPROD;
        t.count++;
        t.sum += v;
    }
    if (write_all(tallies, &t, sizeof t) == -1)
        die_child("write");
}

/* The sum of producer i's values, for `mine` messages: sum k * MAXPROD + i. */
static uint64_t sum_of(uint64_t mine, int i)
{
    return MAXPROD * (mine * (mine - 1) / 2) + (uint64_t)i * mine;
}

/* The starting line: each process writes a byte to `ready` and reads one
 * from `go`; the parent starts the clock, then writes one byte per process. */
struct start { int ready[2], go[2]; };

static void wait_for_go(struct start *st)
{
    char c = 'r';

    if (write(st->ready[1], &c, 1) != 1 || read(st->go[0], &c, 1) != 1)
        die_child("starting line");
}

/* Messages per second, in thousands, through nprod producers and ncons
 * consumers, n messages in all; dies if the consumers did not get each
 * message once, in each producer's order. */
static double run(int use_queue, int nprod, int ncons, long n)
{
    struct channel ch = { { -1, -1 }, NULL };
    struct start st;
    int tallies[2];
    pid_t prod[MAXPROD], cons[2];
    long total = 0;
    uint64_t sum = 0, expected = 0;
    double start, secs;
    char c;

    if (use_queue) {
        if ((ch.q = queue_new(0, 0)) == NULL)
            die("queue_new");
    } else if (pipe(ch.fds) == -1) {
        die("pipe");
    }
    if (pipe(st.ready) == -1 || pipe(st.go) == -1 || pipe(tallies) == -1)
        die("pipe");

    for (int i = 0; i < ncons; i++) {
        cons[i] = bench_fork();
        if (cons[i] == 0) {
            wait_for_go(&st);
            consume(&ch, tallies[1]);
            _exit(0);           /* not exit: the parent's stdio is not ours */
        }
    }
    for (int i = 0; i < nprod; i++) {
        uint64_t mine = (uint64_t)(n / nprod + (i < n % nprod));

        expected += sum_of(mine, i);
        prod[i] = bench_fork();
        if (prod[i] == 0) {
            wait_for_go(&st);
            for (uint64_t k = 0; k < mine; k++)
                put(&ch, k * MAXPROD + (uint64_t)i);
            _exit(0);
        }
    }
    for (int i = 0; i < nprod + ncons; i++)
        if (read(st.ready[0], &c, 1) != 1)
            die("read");
    start = now_seconds();
    for (int i = 0; i < nprod + ncons; i++)
        if (write(st.go[1], "g", 1) != 1)
            die("write");
    /* Once every producer has ended, all their messages are in: one
     * sentinel per consumer follows them (FIFO), and each consumer stops
     * at the first it gets. */
    for (int i = 0; i < nprod; i++)
        bench_wait(prod[i]);
    for (int i = 0; i < ncons; i++)
        put(&ch, STOP);
    for (int i = 0; i < ncons; i++)
        bench_wait(cons[i]);
    secs = now_seconds() - start;

    for (int i = 0; i < ncons; i++) {
        struct tally t;
        if (read_full(tallies[0], &t, sizeof t) != (ssize_t)sizeof t)
            die("read");
        if (t.late != STOP && t.late == t.before)
            fatal("%s: producer %d's message %llu arrived twice", QUEUE_IMPL,
                  (int)(t.late % MAXPROD), (unsigned long long)(t.late / MAXPROD));
        if (t.late != STOP)
            fatal("%s: producer %d's message %llu arrived after its message %llu: not FIFO",
                  QUEUE_IMPL, (int)(t.late % MAXPROD),
                  (unsigned long long)(t.late / MAXPROD),
                  (unsigned long long)(t.before / MAXPROD));
        total += t.count;
        sum += t.sum;
    }
    if (total != n)
        fatal("%s: the consumers got %ld messages, not %ld", QUEUE_IMPL, total, n);
    if (sum != expected)
        fatal("%s: the consumers got %ld messages, but not the ones put (their sum differs)",
              QUEUE_IMPL, total);
    if (close(st.ready[0]) == -1 || close(st.ready[1]) == -1 || close(st.go[0]) == -1
        || close(st.go[1]) == -1 || close(tallies[0]) == -1 || close(tallies[1]) == -1)
        die("close");
    if (use_queue) {
        if (queue_free(ch.q) == -1)
            die("queue_free");
    } else if (close(ch.fds[0]) == -1 || close(ch.fds[1]) == -1) {
        die("close");
    }
    return (double)n / secs / 1000.0;
}

int main(int argc, char *argv[])
{
    /* The fast build has no twin of its own: cost_queue.py is beside both. */
    struct bench b = bench_init(argc, argv, rows, strcmp(QUEUE_IMPL, "C") == 0
                                ? "multiprocessing.Queue, put and get (twin: cost_queue.py)"
                                : "multiprocessing.Queue, put and get (cost_queue's twin: "
                                  "cost_queue.py)");
    /* The floor is the same pipe whichever Queue is linked: measured once. */
    int with_floor = strcmp(QUEUE_IMPL, "C") == 0;

    if (bench_wants(&b, "queue_1x1")) {
        if (with_floor)
            bench_report("queue_1x1", "floor", run(0, 1, 1, bench_count(&b, 300000)), "k/s",
                         "8-byte messages, one write + one read each, one pipe");
        bench_report("queue_1x1", QUEUE_IMPL, run(1, 1, 1, bench_count(&b, 2000000)), "k/s",
                     "8-byte messages, queue_put + queue_get");
    }
    if (bench_wants(&b, "queue_2x2")) {
        if (with_floor)
            bench_report("queue_2x2", "floor", run(0, 2, 2, bench_count(&b, 300000)), "k/s",
                         "2 producers, 2 consumers, one pipe");
        bench_report("queue_2x2", QUEUE_IMPL, run(1, 2, 2, bench_count(&b, 2000000)), "k/s",
                     "2 producers, 2 consumers, queue_put + queue_get");
    }
    return 0;
}
