/* lock_counter.c - a counter in shared memory: updates are lost without a
 * lock, and the total is exact with one.
 *
 * WORKERS processes each add 1 to one shared counter COUNT times. An
 * increment is three steps: load the value, add 1, store it. Two processes
 * that load the same value both store value + 1, and one increment is lost.
 * The Lock makes the three steps one: nobody loads while another holds it.
 *
 * Python:  Value('l', 0, lock=False) and a Lock around `counter.value += 1`
 *          (lock_counter.py)
 * Usage:   ./lock_counter [-n WORKERS] [-c COUNT] [-u]   (-u: unlocked)
 * Look for: with the lock, counter = WORKERS * COUNT, every run. Without it
 * (-u) the total is usually short, by a different amount every run; it may
 * also come out exact by luck (one CPU, or a small COUNT).
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "lock.h"

struct shared {
    struct lock lock;
    /* volatile: make the compiler load and store the counter on every
     * increment, as Python does, instead of adding COUNT once at the end.
     * volatile is NOT synchronisation: without the lock this is a data
     * race (undefined behaviour in C11), and the lost updates show it. */
    volatile long counter;
};

static void add(struct shared *s, long count, bool locked)
{
    for (long i = 0; i < count; i++) {
        if (locked)
            lock_acquire(&s->lock);
        s->counter = s->counter + 1;    /* load, add, store: three steps */
        if (locked)
            lock_release(&s->lock);
    }
}

int main(int argc, char *argv[])
{
    long procs = 4, count = 1000000;
    bool locked = true;
    struct shared *s;
    pid_t pids[64];
    int gate[2];
    long expected;
    char byte;
    int opt;

    prog_init(argc, argv, "[-n WORKERS] [-c COUNT] [-u]\n"
              "  -n WORKERS  processes that add to the counter (default 4)\n"
              "  -c COUNT    increments by each process (default 1000000)\n"
              "  -u          unlocked: let the updates race\n"
              "Python: multiprocessing.Value(lock=False) and a Lock (twin: lock_counter.py)");
    while ((opt = get_option(argc, argv, "n:c:u")) != -1) {
        if (opt == 'n')
            procs = arg_long(optarg, opt, 1, 64);
        else if (opt == 'c')
            count = arg_long(optarg, opt, 1, 10000000);
        else
            locked = false;
    }
    no_operands(argc, argv);
    expected = procs * count;

    /* Counter and lock in one shared block: every child sees the same ones. */
    s = shared_alloc(sizeof *s);
    lock_init(&s->lock);

    say("%-8s (%ld): %ld processes add 1 to a shared counter %ld times each, %s",
        "main", (long)getpid(), procs, count,
        locked ? "holding the lock" : "WITHOUT the lock (-u)");
    /* A start gate: each child waits to read from this pipe, and the
     * parent closes the write end once all are forked, so they all see EOF
     * and start counting together. Otherwise the first child may be done
     * before the last one starts (100000 increments take well under a
     * millisecond), and nothing would ever collide. */
    if (pipe(gate) == -1)
        die("pipe");
    for (long i = 0; i < procs; i++) {
        pids[i] = fork();
        if (pids[i] == -1)
            die("fork");
        if (pids[i] == 0) {
            if (close(gate[1]) == -1)   /* or it would wait for itself */
                die_child("close");
            if (read(gate[0], &byte, 1) == -1)
                die_child("read");
            add(s, count, locked);
            _exit(0);           /* the child's work is done: not the parent's code */
        }
    }
    if (close(gate[1]) == -1)           /* open the gate: every read sees EOF */
        die("close");
    if (close(gate[0]) == -1)
        die("close");
    if (join_all(pids, procs) != 0)
        fatal("a worker failed: the others were stopped and joined");

    /* Every child has been joined: its stores happened before waitpid
     * returned, so this read sees them all. */
    say("%-8s (%ld): counter = %ld (expected %ld)", "main", (long)getpid(),
        s->counter, expected);
    if (s->counter == expected)
        say("%-8s (%ld): exact%s", "main", (long)getpid(),
            locked ? ": no update lost" : " this time, but only by luck");
    else if (locked)
        fatal("%ld updates lost WITH the lock: the lock is broken", expected - s->counter);
    else
        say("%-8s (%ld): %ld updates lost", "main", (long)getpid(), expected - s->counter);

    lock_destroy(&s->lock);
    shared_free(s, sizeof *s);
    return 0;
}
