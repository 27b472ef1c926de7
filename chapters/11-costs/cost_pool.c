/* cost_pool.c - what a Pool costs: one task's round trip; map over many
 * trivial tasks, one per message or in chunks; imap over the same tasks.
 *
 * Rows (C: chapter 05's Pool; fast: this chapter's, fast/pool.h; each with
 * one worker per CPU, as Pool()):
 *   apply_rt    pool_apply_async + pool_get of a task that returns its
 *               argument, one at a time. floor: the same 8 bytes sent to a
 *               child and back through two pipes, with no pool around them
 *   map_1       pool_map of 100000 trivial tasks, one task per message
 *               (chunksize 1), in thousands of tasks per second
 *   map_chunks  the same with Python's default chunks (4 per worker)
 *   imap_1      imap over the map_1 tasks, as chapter 05's pool_imap does
 *               it: pool_apply_async within a window of 2 tasks per
 *               worker, results taken in task order with pool_get
 *   imap_first  the same imap: microseconds until the first result is in
 *               hand (map hands back nothing before the last is done)
 *
 * Python:  Pool().apply_async(f, (i,)).get(); Pool().map(f, range(n)[,
 *          chunksize=1]); Pool().imap(f, range(n)) (cost_pool.py)
 * Usage:   ./cost_pool [-r ROW] [-s SCALE] [-p | -a]
 *          ./cost_pool_fast [...]   the same with the fast Pool; no floor
 *                                   (it has no pool in it: cost_pool has it)
 * Look for: a round trip through the pool costs little more than through
 * a bare pipe: the rest is waking the worker and being woken. A message per
 * task caps map at one wake-up per task; chunks spread one over many. The
 * fast pool's window and batched reads and writes lift map_1 most; imap,
 * built on apply_async, which goes to an idle worker only, gets no window.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "bench.h"
#include "pool.h"       /* chapter 05's, or fast/pool.h for cost_pool_fast */

#ifndef POOL_IMPL
#define POOL_IMPL "C"           /* chapter 05's pool.h names none */
#endif

static const char *const rows[] = { "apply_rt", "map_1", "map_chunks", "imap_1", "imap_first",
                                    NULL };

/* The task: give back the argument. Whatever a task does costs the same
 * with or without a pool; what is left is the pool's own cost. */
static int identity(const void *arg, size_t arg_len, void *result, size_t *result_len)
{
    if (arg_len > *result_len)
        return pool_fail("identity: %zu bytes do not fit", arg_len);
    memcpy(result, arg, arg_len);
    *result_len = arg_len;
    return 0;
}

static void apply_many(pool *p, long n)
{
    for (long i = 0; i < n; i++) {
        pool_result *r = pool_apply_async(p, identity, &i, sizeof i);
        const long *back;

        if (r == NULL)
            die("pool_apply_async");
        if (pool_get(r, -1.0) != POOL_OK)
            fatal("identity failed: %s", pool_result_error(r));
        back = pool_value(r, NULL);
        if (*back != i)
            fatal("identity(%ld) gave %ld", i, *back);
        pool_result_free(r);
    }
}

static double apply_rt(long n)
{
    pool *p = pool_create(0);
    double start, us;

    if (p == NULL)
        die("pool_create");
    apply_many(p, n / 10 + 1);          /* warm-up: every worker has run */
    start = now_seconds();
    apply_many(p, n);
    us = bench_us_per_op(start, n);
    pool_close(p);
    if (pool_join(p) != 0)
        fatal("pool_join: a failure went unnoticed");
    pool_free(p);
    return us;
}

/* The floor: 8 bytes to a child and back, through two bare pipes. */
static double pipe_rt(long n)
{
    int down[2], up[2];
    long v = 0;
    pid_t pid;
    double start = 0.0, us;

    if (pipe(down) == -1 || pipe(up) == -1)
        die("pipe");
    pid = bench_fork();
    if (pid == 0) {
        if (close(down[1]) == -1 || close(up[0]) == -1)
            die_child("close");
        while (read_full(down[0], &v, sizeof v) == (ssize_t)sizeof v)
            if (write_all(up[1], &v, sizeof v) == -1)
                die_child("write");
        _exit(0);               /* end of file: the parent is done */
    }
    if (close(down[0]) == -1 || close(up[1]) == -1)
        die("close");
    for (long i = 0; i < n / 10 + 1 + n; i++) {
        if (i == n / 10 + 1)
            start = now_seconds();
        if (write_all(down[1], &i, sizeof i) == -1)
            die("write");
        if (read_full(up[0], &v, sizeof v) != (ssize_t)sizeof v || v != i)
            die("read");
    }
    us = bench_us_per_op(start, n);
    if (close(down[1]) == -1 || close(up[0]) == -1)
        die("close");
    bench_wait(pid);
    return us;
}

/* Thousands of tasks per second through pool_map. */
static double map_rate(long n, size_t chunksize)
{
    long *args = malloc((size_t)n * sizeof *args);
    long *results = malloc((size_t)n * sizeof *results);
    pool *p = pool_create(0);
    double start, secs;

    if (args == NULL || results == NULL)
        die("malloc");
    if (p == NULL)
        die("pool_create");
    for (long i = 0; i < n; i++)
        args[i] = i;
    /* Warm-up: a tenth of the work, the same way. */
    if (pool_map(p, identity, args, sizeof *args, results, sizeof *results,
                 (size_t)(n / 10 + 1), chunksize) != POOL_OK)
        fatal("pool_map: %s", pool_last_error(p));
    start = now_seconds();
    if (pool_map(p, identity, args, sizeof *args, results, sizeof *results,
                 (size_t)n, chunksize) != POOL_OK)
        fatal("pool_map: %s", pool_last_error(p));
    secs = now_seconds() - start;
    for (long i = 0; i < n; i++)
        if (results[i] != i)
            fatal("pool_map: item %ld gave %ld", i, results[i]);
    pool_close(p);
    if (pool_join(p) != 0)
        fatal("pool_join: a failure went unnoticed");
    pool_free(p);
    free(args);
    free(results);
    return (double)n / secs / 1000.0;
}

/* One imap over tasks 0..n-1: at most `window` handed out and not yet
 * taken (out[i % window] holds task i's handle), taken in task order.
 * The microseconds from the first apply_async to the first result in hand
 * go to *first_us. */
static void imap_once(pool *p, pool_result **out, long window, long n, double *first_us)
{
    double start = now_seconds();

    for (long next = 0, taken = 0; taken < n; taken++) {
        for (; next < n && next - taken < window; next++)
            if ((out[next % window] = pool_apply_async(p, identity, &next, sizeof next)) == NULL)
                die("pool_apply_async");
        pool_result *r = out[taken % window];
        if (pool_get(r, -1.0) != POOL_OK)
            fatal("imap: %s", pool_result_error(r));
        const long *back = pool_value(r, NULL);
        if (*back != taken)
            fatal("imap: result %ld is %ld", taken, *back);
        pool_result_free(r);
        if (taken == 0)
            *first_us = (now_seconds() - start) * 1e6;
    }
}

/* Thousands of tasks per second through imap, and its first result's wait. */
static double imap_rate(long n, double *first_us)
{
    pool *p = pool_create(0);
    long window;
    pool_result **out;
    double start, secs;

    if (p == NULL)
        die("pool_create");
    window = 2L * pool_size(p);         /* as pool_imap's default: 6 for 3 */
    if ((out = malloc((size_t)window * sizeof *out)) == NULL)
        die("malloc");
    imap_once(p, out, window, n / 10 + 1, first_us);    /* warm-up */
    start = now_seconds();
    imap_once(p, out, window, n, first_us);
    secs = now_seconds() - start;
    pool_close(p);
    if (pool_join(p) != 0)
        fatal("pool_join: a failure went unnoticed");
    pool_free(p);
    free(out);
    return (double)n / secs / 1000.0;
}

int main(int argc, char *argv[])
{
    /* The fast build has no twin of its own: cost_pool.py is beside both. */
    struct bench b = bench_init(argc, argv, rows, strcmp(POOL_IMPL, "C") == 0
                                ? "multiprocessing.Pool, apply_async, map and imap (twin: "
                                  "cost_pool.py)"
                                : "multiprocessing.Pool, apply_async, map and imap (cost_pool's "
                                  "twin: cost_pool.py)");
    double first_us = 0;

    if (bench_wants(&b, "apply_rt")) {
        long n = bench_count(&b, 3000);
        if (strcmp(POOL_IMPL, "C") == 0)        /* the floor has no pool in it */
            bench_report("apply_rt", "floor", pipe_rt(n), "us",
                         "8 bytes to a child and back, two pipes");
        bench_report("apply_rt", POOL_IMPL, apply_rt(n), "us",
                     "pool_apply_async + pool_get, trivial task");
    }
    if (bench_wants(&b, "map_1"))
        bench_report("map_1", POOL_IMPL, map_rate(bench_count(&b, 100000), 1), "k/s",
                     "pool_map, chunksize 1, trivial tasks");
    if (bench_wants(&b, "map_chunks"))
        bench_report("map_chunks", POOL_IMPL, map_rate(bench_count(&b, 3000000), 0), "k/s",
                     "pool_map, default chunks, trivial tasks");
    if (bench_wants(&b, "imap_1") || bench_wants(&b, "imap_first")) {
        double rate = imap_rate(bench_count(&b, 100000), &first_us);
        if (bench_wants(&b, "imap_1"))
            bench_report("imap_1", POOL_IMPL, rate, "k/s",
                         "apply_async in a window, get in task order");
        if (bench_wants(&b, "imap_first"))
            bench_report("imap_first", POOL_IMPL, first_us, "us",
                         "the same imap: until its first result");
    }
    return 0;
}
