/* shared_value.c - Value('i', 0) and RawValue('i', 0) in C: an int in
 * memory that the workers share, with and without a lock of its own.
 *
 * The int lives in a MAP_SHARED mapping made before fork (shared_alloc,
 * common/shared.c, taught in chapter 04), so every worker adds to the same
 * bytes. WORKERS processes each add 1 to it COUNT times, three ways:
 *   raw     RawValue: the bare int, no lock. Updates are lost.
 *   value   Value: the int carries a lock (chapter 06's Lock, lock.c) and
 *           every read and every write of v.value takes it, as Python's
 *           does. `v.value += 1` is still a read, then a write: two
 *           processes can read the same number between them, and both
 *           write number + 1. Updates are lost here too.
 *   locked  `with v.get_lock(): v.value += 1`: the lock held around the
 *           read AND the write. Exact.
 * (-m atomic adds one more, C only: atomic_fetch_add, one indivisible
 * read-add-write, exact without any lock. Python has no such operation.)
 *
 * Python:  v = Value('i', 0); v.value += 1; with v.get_lock(): v.value += 1;
 *          RawValue('i', 0) (shared_value.py)
 * Usage:   ./shared_value [-n WORKERS] [-c COUNT] [-m all|raw|value|locked|atomic]
 * Look for: "locked" and "atomic" come out exact, every run. "raw" and
 * "value" are usually short, by a different number each run (racy: on one
 * CPU, or with a small COUNT, they may come out exact by luck).
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
#include "lock.h"               /* chapter 06: the Lock */

#define MAX_WORKERS 64

/* Python's Value('i', 0) is a C int in shared memory plus a lock:
 * v.get_lock() is the lock, and v.value reads or writes the int with the
 * lock held for that one read or write. The int is an atomic_int read and
 * written with memory_order_relaxed: each load and each store is whole
 * (as Python's are), but nothing makes the pair of them one step. (A plain
 * int, read and written by two processes at once, would be a data race:
 * undefined behaviour in C11, not just lost updates.) */
struct value {
    struct lock lock;           /* get_lock() */
    atomic_int value;
};

/* v.value, read and written as Python's synchronized Value does it. */
static int value_get(struct value *v)
{
    int x;

    lock_acquire(&v->lock);
    x = atomic_load_explicit(&v->value, memory_order_relaxed);
    lock_release(&v->lock);
    return x;
}

static void value_set(struct value *v, int x)
{
    lock_acquire(&v->lock);
    atomic_store_explicit(&v->value, x, memory_order_relaxed);
    lock_release(&v->lock);
}

/* RawValue('i', 0): the int and nothing else. */
static int raw_get(atomic_int *raw)
{
    return atomic_load_explicit(raw, memory_order_relaxed);
}

static void raw_set(atomic_int *raw, int x)
{
    atomic_store_explicit(raw, x, memory_order_relaxed);
}

enum way { RAW, VALUE, LOCKED, ATOMIC };
static const char *const ways[] = { "raw", "value", "locked", "atomic" };
static const char *const python[] = {
    "r.value += 1           (RawValue)",
    "v.value += 1           (Value)",
    "with v.get_lock(): v.value += 1",
    "atomic_fetch_add       (C only)",
};

struct shared {
    struct value v;             /* Value('i', 0) */
    atomic_int raw;             /* RawValue('i', 0) */
};

static void add(struct shared *s, enum way way, long count)
{
    for (long i = 0; i < count; i++) {
        switch (way) {
        case RAW:               /* r.value += 1: read, then write */
            raw_set(&s->raw, raw_get(&s->raw) + 1);
            break;
        case VALUE:             /* v.value += 1: each half locked, not both */
            value_set(&s->v, value_get(&s->v) + 1);
            break;
        case LOCKED:            /* with v.get_lock(): v.value += 1 */
            lock_acquire(&s->v.lock);
            atomic_store_explicit(&s->v.value,
                atomic_load_explicit(&s->v.value, memory_order_relaxed) + 1,
                memory_order_relaxed);
            lock_release(&s->v.lock);
            break;
        case ATOMIC:            /* one indivisible read-add-write */
            atomic_fetch_add(&s->raw, 1);
            break;
        }
    }
}

/* One way: fork the workers, open the start gate, join them all, and
 * return the total they left. */
static int run_way(struct shared *s, enum way way, long nworkers, long count)
{
    pid_t pids[MAX_WORKERS];
    int gate[2];
    char byte;

    atomic_store(&s->raw, 0);
    atomic_store(&s->v.value, 0);
    /* A start gate (as chapter 06's lock_counter): each worker waits to
     * read from this pipe, and the parent closes the write end once all
     * are forked, so they all see EOF and start together. Otherwise the
     * first may be done before the last one starts, and nothing collides. */
    if (pipe(gate) == -1)
        die("pipe");
    for (long i = 0; i < nworkers; i++) {
        pids[i] = fork();
        if (pids[i] == -1)
            die("fork");
        if (pids[i] == 0) {
            if (close(gate[1]) == -1)   /* or it would wait for itself */
                die_child("close");
            if (read(gate[0], &byte, 1) == -1)
                die_child("read");
            add(s, way, count);
            say("worker %-4ld (%ld): %-6s added 1, %ld times", i + 1, (long)getpid(),
                ways[way], count);
            _exit(0);           /* the child's work is done: not the parent's code */
        }
    }
    if (close(gate[1]) == -1)           /* open the gate: every read sees EOF */
        die("close");
    if (close(gate[0]) == -1)
        die("close");
    if (join_all(pids, nworkers) != 0)
        fatal("a worker failed: the others were stopped and joined");
    /* Every worker has been joined: its stores happened before waitpid
     * returned, so these loads see them all. */
    return atomic_load(way == VALUE || way == LOCKED ? &s->v.value : &s->raw);
}

int main(int argc, char *argv[])
{
    long nworkers = 4, count = 100000, expected;
    const char *mode = "all";
    bool exact = true;
    struct shared *s;
    int opt;

    prog_init(argc, argv, "[-n WORKERS] [-c COUNT] [-m all|raw|value|locked|atomic]\n"
              "  -n WORKERS  processes that add to the shared int (default 4)\n"
              "  -c COUNT    increments by each process (default 100000)\n"
              "  -m all|raw|value|locked|atomic  which ways to add 1 (default all)\n"
              "Python: multiprocessing.Value, RawValue, get_lock() (twin: shared_value.py)");
    while ((opt = get_option(argc, argv, "n:c:m:")) != -1) {
        if (opt == 'n') {
            nworkers = arg_long(optarg, opt, 1, MAX_WORKERS);
        } else if (opt == 'c') {
            count = arg_long(optarg, opt, 1, 10000000);
        } else {
            mode = optarg;
            if (strcmp(mode, "all") != 0 && strcmp(mode, "raw") != 0 &&
                strcmp(mode, "value") != 0 && strcmp(mode, "locked") != 0 &&
                strcmp(mode, "atomic") != 0)
                usage_error("-m wants one of all, raw, value, locked, atomic, not '%s'", mode);
        }
    }
    no_operands(argc, argv);
    /* The total must fit an int, Python's 'i'. */
    if (nworkers * count > 2147483647L)
        usage_error("-n times -c must be at most 2147483647, not %ld", nworkers * count);
    expected = nworkers * count;

    /* Made BEFORE fork: every worker forked after this maps the same pages. */
    s = shared_alloc(sizeof *s);
    lock_init(&s->v.lock);
    say("main        (%ld): %ld workers add 1 to a shared int, %ld times each",
        (long)getpid(), nworkers, count);

    for (int w = RAW; w <= ATOMIC; w++) {
        int total;

        if (strcmp(mode, "all") != 0 && strcmp(mode, ways[w]) != 0)
            continue;
        total = run_way(s, (enum way)w, nworkers, count);
        if (total == expected)
            say("main        (%ld): %-6s %s: %d (expected %ld): exact", (long)getpid(),
                ways[w], python[w], total, expected);
        else
            say("main        (%ld): %-6s %s: %d (expected %ld): %ld lost", (long)getpid(),
                ways[w], python[w], total, expected, expected - total);
        /* Only the ways that hold the lock around the whole update, or do
         * it in one atomic step, are bound to be exact. */
        if ((w == LOCKED || w == ATOMIC) && total != expected)
            exact = false;
    }

    lock_destroy(&s->v.lock);
    shared_free(s, sizeof *s);
    if (strcmp(mode, "raw") == 0 || strcmp(mode, "value") == 0) {
        say("main        (%ld): self-check: nothing to check (a lost count is racy): OK",
            (long)getpid());
        return 0;
    }
    say("main        (%ld): self-check: lock held around += (or atomic): total %ld: %s",
        (long)getpid(), expected, exact ? "OK" : "FAILED");
    return exact ? 0 : 1;
}
