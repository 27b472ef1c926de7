/* shared_array.c - Array('d', n) in C: workers fill one shared array, each
 * its own slice, and the parent reads every element after join. Nothing is
 * copied through a pipe. With -m sharing: false sharing, measured.
 *
 * -m fill (the default): SIZE doubles in a MAP_SHARED mapping made before
 * fork (shared_alloc, common/shared.c, chapter 04). Worker k writes
 * a[i] = i + 0.5 for the i of its own slice: no two workers write the same
 * element, so they need no lock. The parent joins them all, then reads and
 * checks every element: join (waitpid) is the happens-before that makes a
 * worker's writes visible; before join nothing is promised. A Queue would
 * have carried the same numbers through a pipe, copied into the kernel and
 * out again; here the parent reads the very bytes the workers wrote.
 *
 * -m sharing: two processes each add 1 to their OWN counter COUNT times:
 * no data is shared, no lock is needed. First the two counters sit side by
 * side (8 bytes apart: one 64-byte cache line), then 128 bytes apart. A CPU
 * writes a whole cache line at a time, so two CPUs writing one line take
 * it from each other on every write: "false sharing". The times are
 * measured here and depend on the machine (how many CPUs, how their caches
 * are shared); on one CPU there is nothing to see.
 *
 * Python:  a = Array('d', n); a[i] = x in each worker; p.join(); a[:]
 *          (shared_array.py)
 * Usage:   ./shared_array [-n WORKERS] [-s SIZE] [-c COUNT] [-m fill|sharing]
 * Look for: every element as the workers wrote it, after join; 0 bytes
 * through a pipe. Racy: the order of the workers' lines, and the times.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"

#define MAX_WORKERS 64
#define LINE 64                 /* a cache line on most CPUs of today */

static pid_t pids[MAX_WORKERS];

/* A start gate, as chapter 06's lock_counter: each child blocks reading
 * the pipe until the parent closes the write end. */
static void wait_at_gate(int gate[2])
{
    char byte;

    if (close(gate[1]) == -1)           /* or it would wait for itself */
        die_child("close");
    if (read(gate[0], &byte, 1) == -1)
        die_child("read");
}

static void open_gate(int gate[2])
{
    if (close(gate[1]) == -1 || close(gate[0]) == -1)
        die("close");
}

static bool fill(long nworkers, long size)
{
    double *a;
    long bad = 0;

    /* Python: a = Array('d', size, lock=False) (Array's lock is not needed:
     * no element is written by two workers). Made BEFORE fork. */
    a = shared_alloc((size_t)size * sizeof *a);
    say("main      (%ld): Array('d', %ld) in shared memory: %ld workers fill a slice each",
        (long)getpid(), size, nworkers);
    for (long k = 0; k < nworkers; k++) {
        long from = size * k / nworkers, to = size * (k + 1) / nworkers;

        pids[k] = fork();
        if (pids[k] == -1)
            die("fork");
        if (pids[k] == 0) {
            for (long i = from; i < to; i++)
                a[i] = (double)i + 0.5;
            say("worker %-2ld (%ld): wrote a[%ld:%ld]", k + 1, (long)getpid(), from, to);
            _exit(0);           /* the child's work is done: not the parent's code */
        }
    }
    if (join_all(pids, nworkers) != 0)
        fatal("a worker failed: the others were stopped and joined");

    /* Every worker has been joined: all its writes happened before. */
    for (long i = 0; i < size; i++)
        if (a[i] != (double)i + 0.5)
            bad++;
    say("main      (%ld): after join: a[0] = %.1f, a[%ld] = %.1f", (long)getpid(), a[0],
        size - 1, a[size - 1]);
    say("main      (%ld): a Queue would have carried %zu bytes of doubles through a pipe,",
        (long)getpid(), (size_t)size * sizeof *a);
    say("main      (%ld): each copied into the kernel and out; here: 0 bytes, 0 copies",
        (long)getpid());
    shared_free(a, (size_t)size * sizeof *a);
    say("main      (%ld): self-check: all %ld elements as the workers wrote them: %s",
        (long)getpid(), size, bad == 0 ? "OK" : "FAILED");
    return bad == 0;
}

/* Two processes, each adding 1 COUNT times to its own counter, the second
 * counter `apart` bytes after the first. Returns the seconds from the gate
 * to the last join; sets *ok when both counters hold COUNT. */
static double hammer(unsigned char *block, size_t apart, long count, bool *ok)
{
    atomic_long *c[2];
    int gate[2];
    double start, took;

    c[0] = (atomic_long *)block;
    c[1] = (atomic_long *)(block + apart);
    atomic_store(c[0], 0);
    atomic_store(c[1], 0);
    if (pipe(gate) == -1)
        die("pipe");
    for (int k = 0; k < 2; k++) {
        pids[k] = fork();
        if (pids[k] == -1)
            die("fork");
        if (pids[k] == 0) {
            wait_at_gate(gate);
            /* A relaxed load and store: only this process writes its
             * counter, so no update can be lost; atomic, so that the
             * compiler really writes memory COUNT times. */
            for (long i = 0; i < count; i++)
                atomic_store_explicit(c[k], atomic_load_explicit(c[k],
                                      memory_order_relaxed) + 1, memory_order_relaxed);
            _exit(0);           /* the child's work is done: not the parent's code */
        }
    }
    start = now_seconds();
    open_gate(gate);
    if (join_all(pids, 2) != 0)
        fatal("a worker failed: the others were stopped and joined");
    took = now_seconds() - start;
    *ok = atomic_load(c[0]) == count && atomic_load(c[1]) == count;
    return took;
}

static bool sharing(long count)
{
    unsigned char *block;
    bool ok1, ok2;
    double near, far;

    block = shared_alloc(4 * LINE);     /* page-aligned: offset 0 starts a line */
    say("main      (%ld): 2 processes add 1 to their own counter, %ld times each "
        "(%ld CPUs)", (long)getpid(), count, cpu_count());
    near = hammer(block, sizeof(atomic_long), count, &ok1);
    say("main      (%ld): counters %2zu bytes apart (one cache line):  %.3f s",
        (long)getpid(), sizeof(atomic_long), near);
    far = hammer(block, 2 * LINE, count, &ok2);
    say("main      (%ld): counters %2d bytes apart (two cache lines): %.3f s",
        (long)getpid(), 2 * LINE, far);
    say("main      (%ld): apart is %.1f times as fast here (machine-dependent)",
        (long)getpid(), far > 0 ? near / far : 0.0);
    shared_free(block, 4 * LINE);
    say("main      (%ld): self-check: each counter = %ld in both runs: %s",
        (long)getpid(), count, ok1 && ok2 ? "OK" : "FAILED");
    return ok1 && ok2;
}

int main(int argc, char *argv[])
{
    long nworkers = 4, size = 1000000, count = 10000000;
    bool share = false;
    int opt;

    prog_init(argc, argv, "[-n WORKERS] [-s SIZE] [-c COUNT] [-m fill|sharing]\n"
              "  -n WORKERS       processes that fill the array (default 4)\n"
              "  -s SIZE          elements in the array (default 1000000)\n"
              "  -c COUNT         -m sharing: increments by each process (default 10000000)\n"
              "  -m fill|sharing  fill the array, or measure false sharing (default fill)\n"
              "Python: multiprocessing.Array, RawArray (twin: shared_array.py)");
    while ((opt = get_option(argc, argv, "n:s:c:m:")) != -1) {
        if (opt == 'n')
            nworkers = arg_long(optarg, opt, 1, MAX_WORKERS);
        else if (opt == 's')
            size = arg_long(optarg, opt, 1, 100000000);
        else if (opt == 'c')
            count = arg_long(optarg, opt, 1, 1000000000);
        else if (strcmp(optarg, "fill") == 0 || strcmp(optarg, "sharing") == 0)
            share = optarg[0] == 's';
        else
            usage_error("-m wants fill or sharing, not '%s'", optarg);
    }
    no_operands(argc, argv);
    return (share ? sharing(count) : fill(nworkers, size)) ? 0 : 1;
}
