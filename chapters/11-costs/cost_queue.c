/* cost_queue.c - how many small messages per second a Queue moves, with
 * one producer and one consumer, and with two of each.
 *
 * Rows (in thousands of messages per second):
 *   queue_1x1  one producer puts n 8-byte messages, one consumer gets them
 *   queue_2x2  two producers put n/2 each, two consumers share them
 * floor: a bare pipe, one write(2) per message and one read(2) per
 * message; C: queue_put + queue_get (chapters/04-queue/queue.c: a ring
 * buffer in shared memory, a lock per side, a semaphore only to sleep on).
 * The clock runs from the moment every process is ready until the last
 * consumer has counted its last message; the counts are checked.
 *
 * Python:  multiprocessing.Queue put(i) / get() (cost_queue.py)
 * Usage:   ./cost_queue [-r ROW] [-s SCALE] [-p | -a]
 * Look for: a pipe pays two system calls per message; the ring pays none
 * while neither side has to sleep, and most of its cost is then two locks
 * and a copy. Two producers and two consumers fight over each side's lock.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <unistd.h>

#include "common.h"
#include "bench.h"
#include "queue.h"

static const char *const rows[] = { "queue_1x1", "queue_2x2", NULL };

#define STOP (-1L)              /* the sentinel: no more messages */

/* One channel: a pipe (the floor) or the workbook's queue. */
struct channel {
    int fds[2];                 /* the pipe; unused for a queue */
    struct queue *q;            /* the queue; NULL for a pipe */
};

static void put(struct channel *ch, long v)
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

static long get(struct channel *ch)
{
    long v;
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
 * consumers, n messages in all. */
static double run(int use_queue, int nprod, int ncons, long n)
{
    struct channel ch = { { -1, -1 }, NULL };
    struct start st;
    int counts[2];
    pid_t prod[2], cons[2];
    long total = 0;
    double start, secs;
    char c;

    if (use_queue) {
        if ((ch.q = queue_new(0, 0)) == NULL)
            die("queue_new");
    } else if (pipe(ch.fds) == -1) {
        die("pipe");
    }
    if (pipe(st.ready) == -1 || pipe(st.go) == -1 || pipe(counts) == -1)
        die("pipe");

    for (int i = 0; i < ncons; i++) {
        cons[i] = bench_fork();
        if (cons[i] == 0) {
            long got = 0;
            wait_for_go(&st);
            while (get(&ch) != STOP)
                got++;
            if (write_all(counts[1], &got, sizeof got) == -1)
                die_child("write");
            _exit(0);           /* not exit: the parent's stdio is not ours */
        }
    }
    for (int i = 0; i < nprod; i++) {
        prod[i] = bench_fork();
        if (prod[i] == 0) {
            long mine = n / nprod + (i < n % nprod);
            wait_for_go(&st);
            for (long k = 0; k < mine; k++)
                put(&ch, k);
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
        long got;
        if (read_full(counts[0], &got, sizeof got) != (ssize_t)sizeof got)
            die("read");
        total += got;
    }
    if (total != n)
        fatal("the consumers got %ld messages, not %ld", total, n);
    if (close(st.ready[0]) == -1 || close(st.ready[1]) == -1 || close(st.go[0]) == -1
        || close(st.go[1]) == -1 || close(counts[0]) == -1 || close(counts[1]) == -1)
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
    struct bench b = bench_init(argc, argv, rows);

    if (bench_wants(&b, "queue_1x1")) {
        bench_report("queue_1x1", "floor", run(0, 1, 1, bench_count(&b, 300000)), "k/s",
                     "8-byte messages, one write + one read each, one pipe");
        bench_report("queue_1x1", "C", run(1, 1, 1, bench_count(&b, 2000000)), "k/s",
                     "8-byte messages, queue_put + queue_get");
    }
    if (bench_wants(&b, "queue_2x2")) {
        bench_report("queue_2x2", "floor", run(0, 2, 2, bench_count(&b, 300000)), "k/s",
                     "2 producers, 2 consumers, one pipe");
        bench_report("queue_2x2", "C", run(1, 2, 2, bench_count(&b, 2000000)), "k/s",
                     "2 producers, 2 consumers, queue_put + queue_get");
    }
    return 0;
}
