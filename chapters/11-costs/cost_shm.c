/* cost_shm.c - what chapter 12's shared memory buys: 1 MiB from a child to
 * its parent through a Queue and through shared memory, and what a shared
 * counter's locked increment costs.
 *
 * Rows:
 *   mib_queue  a child hands 1 MiB to its parent, again and again (the
 *              child stamps its first and last byte with the round's
 *              number, the parent checks them). floor: a pipe, write of
 *              1 MiB, read of 1 MiB: two copies, one into the kernel, one
 *              out; C: chapter 04's Queue, queue_put + queue_get with slots
 *              of 1 MiB: two copies, into a slot and out of it
 *   mib_shm    the same through shared memory: the child copies its 1 MiB
 *              into one of two buffers of a shared_alloc() mapping (two,
 *              as the Queue has two slots) and posts a semaphore; the
 *              parent checks the bytes where they are and posts another
 *              (that buffer is free again): one copy, none out. No floor:
 *              it is made of nothing but a copy and two semaphores
 *   value_inc  a shared counter's += 1, done right, one process. floor: C11
 *              atomic_fetch_add, one instruction (shared_value's atomic
 *              way); C: chapter 06's lock_acquire, += 1, lock_release (its
 *              locked way, Python's `with v.get_lock(): v.value += 1`)
 *
 * Python:  Queue put/get of 1 MiB of bytes; a RawArray('B', 1 MiB) and two
 *          Semaphores; Value('i') with its get_lock() (cost_shm.py)
 * Usage:   ./cost_shm [-r ROW] [-s SCALE] [-p | -a]
 * Look for: the fewer copies, the cheaper: shared memory beats a Queue on
 * size, in C and even more in Python (which also pickles). A locked += 1
 * costs nanoseconds in C; Python's, a good part of a microsecond.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "bench.h"
#include "lock.h"
#include "queue.h"

#define MIB (1024 * 1024)

static const char *const rows[] = { "mib_queue", "mib_shm", "value_inc", NULL };

enum how { PIPE, QUEUE, SHM };

/* What parent and child share (shared_alloc: a mapping made before fork). */
struct shared {
    sem_t ready, room;          /* mib_shm: buffers written; buffers free     */
    struct lock lock;           /* value_inc, C (chapter 06)                  */
    long value;                 /* ... under the lock                         */
    atomic_long atomic;         /* value_inc's floor                          */
    unsigned char data[2][MIB]; /* mib_shm: two buffers, as the Queue's slots */
};

static void wait_sem(sem_t *s)
{
    while (sem_wait(s) == -1)   /* EINTR: a signal came; wait again */
        if (errno != EINTR)
            die("sem_wait");
}

static void post_sem(sem_t *s)
{
    if (sem_post(s) == -1)
        die("sem_post");
}

/* The child: rounds of 1 MiB, each stamped with its number. */
static void produce(enum how how, struct shared *sh, struct queue *q, int out, long rounds)
{
    unsigned char *buf = malloc(MIB);

    if (buf == NULL)
        die_child("malloc");
    memset(buf, 1, MIB);
    for (long i = 0; i < rounds; i++) {
        buf[0] = buf[MIB - 1] = (unsigned char)i;
        if (how == PIPE && write_all(out, buf, MIB) == -1)
            die_child("write");
        if (how == QUEUE && queue_put(q, buf, MIB, QUEUE_FOREVER) != QUEUE_OK)
            die_child("queue_put");
        if (how == SHM) {
            wait_sem(&sh->room);
            memcpy(sh->data[i % 2], buf, MIB);
            post_sem(&sh->ready);
        }
    }
    free(buf);
}

/* The parent: take each round and check its stamps. */
static void consume(enum how how, struct shared *sh, struct queue *q, int in,
                    unsigned char *buf, long from, long rounds)
{
    for (long i = from; i < from + rounds; i++) {
        const unsigned char *got = buf;
        size_t len = MIB;
        if (how == PIPE && read_full(in, buf, MIB) != (ssize_t)MIB)
            fatal("the pipe ended early");
        if (how == QUEUE && queue_get(q, buf, MIB, &len, QUEUE_FOREVER) != QUEUE_OK)
            die("queue_get");
        if (how == SHM) {
            wait_sem(&sh->ready);
            got = sh->data[i % 2];      /* read where it is: no copy */
        }
        if (len != MIB || got[0] != (unsigned char)i || got[MIB - 1] != (unsigned char)i)
            fatal("round %ld: not the bytes the child sent", i);
        if (how == SHM)
            post_sem(&sh->room);
    }
}

/* n rounds of 1 MiB from a child, after a tenth untimed; us per round. */
static double mib(enum how how, struct shared *sh, long n)
{
    long warm = n / 10 + 1;
    struct queue *q = NULL;
    unsigned char *buf;
    int fds[2] = { -1, -1 };
    double start;
    pid_t pid;

    if (how == PIPE && pipe(fds) == -1)
        die("pipe");
    if (how == QUEUE && (q = queue_new(2, MIB + QUEUE_HEADER)) == NULL)
        die("queue_new");
    pid = bench_fork();
    if (pid == 0) {
        if (how == PIPE)
            close(fds[0]);      /* the child only writes */
        produce(how, sh, q, fds[1], warm + n);
        _exit(0);               /* not exit: the parent's stdio is not ours */
    }
    if (how == PIPE)
        close(fds[1]);          /* or the reader would never see the end */
    if ((buf = malloc(MIB)) == NULL)    /* after the fork: the child's is its own */
        die("malloc");
    consume(how, sh, q, fds[0], buf, 0, warm);
    start = now_seconds();
    consume(how, sh, q, fds[0], buf, warm, n);
    double us = bench_us_per_op(start, n);
    bench_wait(pid);
    if (how == PIPE)
        close(fds[0]);
    if (q != NULL && queue_free(q) == -1)
        die("queue_free");
    free(buf);
    return us;
}

/* n increments, after a tenth untimed; nanoseconds each. */
static double increments(struct shared *sh, int locked, long n)
{
    long warm = n / 10 + 1;
    double start = 0;

    sh->value = 0;
    atomic_store(&sh->atomic, 0);
    for (int pass = 0; pass < 2; pass++) {
        long count = pass == 0 ? warm : n;
        start = now_seconds();
        for (long i = 0; i < count; i++) {
            if (locked) {
                lock_acquire(&sh->lock);
                sh->value += 1;
                lock_release(&sh->lock);
            } else {
                atomic_fetch_add(&sh->atomic, 1);
            }
        }
    }
    double ns = bench_us_per_op(start, n) * 1000.0;
    if ((locked ? sh->value : atomic_load(&sh->atomic)) != warm + n)
        fatal("the counter is not %ld", warm + n);
    return ns;
}

int main(int argc, char *argv[])
{
    struct bench b = bench_init(argc, argv, rows, "multiprocessing.Queue, RawArray, "
                                "Value.get_lock() (twin: cost_shm.py)");
    struct shared *sh = shared_alloc(sizeof *sh);

    if (sem_init(&sh->ready, 1, 0) == -1 || sem_init(&sh->room, 1, 2) == -1)
        die("sem_init");
    lock_init(&sh->lock);
    if (bench_wants(&b, "mib_queue")) {
        long n = bench_count(&b, 1000);
        bench_report("mib_queue", "floor", mib(PIPE, sh, n), "us", "1 MiB by write + read, a pipe");
        bench_report("mib_queue", "C", mib(QUEUE, sh, n), "us", "1 MiB by queue_put + queue_get");
    }
    if (bench_wants(&b, "mib_shm"))
        bench_report("mib_shm", "C", mib(SHM, sh, bench_count(&b, 1000)), "us",
                     "1 MiB copied into shared memory, checked in place");
    if (bench_wants(&b, "value_inc")) {
        long n = bench_count(&b, 10000000);
        bench_report("value_inc", "floor", increments(sh, 0, n), "ns", "atomic_fetch_add");
        bench_report("value_inc", "C", increments(sh, 1, n), "ns",
                     "lock_acquire, += 1, lock_release");
    }
    lock_destroy(&sh->lock);
    if (sem_destroy(&sh->ready) == -1 || sem_destroy(&sh->room) == -1)
        die("sem_destroy");
    shared_free(sh, sizeof *sh);
    return 0;
}
