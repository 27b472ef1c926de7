/* pool_map.c - Pool.map over CPU-bound work: the same answers, sooner.
 *
 * Count the primes below a limit, cut into slices, by trial division (pure
 * CPU work, no I/O). First serially in this process, then with Pool.map on
 * one worker per CPU; print both times, the speed-up, and check that map
 * returned exactly the serial results, in order.
 *
 * map sends the slices in chunks (Python's default chunksize: about four
 * chunks per worker), one message per chunk each way, so the cost of a
 * round trip is paid per chunk, not per slice. The slices are not equally
 * hard (bigger numbers take longer to test), so the chunks are not either:
 * that is why there are several per worker.
 *
 * Python:  with Pool() as pool: counts = pool.map(count_primes, slices)   (pool_map.py)
 * Usage:   ./pool_map [-n WORKERS] [-s LIMIT] [-c SLICES] [-k CHUNKSIZE]
 * Look for: the speed-up approaches the number of CPUs (not beyond it); the
 * results are identical to the serial ones. Not guaranteed: the times and
 * the speed-up, which depend on the machine and on what else runs on it.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "pool.h"

struct slice {
    long lo, hi;                /* count the primes n with lo <= n < hi */
};

static long count_primes(long lo, long hi)
{
    long count = 0;

    for (long n = lo < 2 ? 2 : lo; n < hi; n++) {
        int prime = 1;
        for (long d = 2; d * d <= n; d++)
            if (n % d == 0) {
                prime = 0;
                break;
            }
        count += prime;
    }
    return count;
}

/* The task: one slice in, one count out. */
static int count_slice(const void *arg, size_t arg_len, void *result, size_t *result_len)
{
    struct slice s;
    long count;

    if (arg_len != sizeof s)
        return pool_fail("count_slice: wrong argument size");
    memcpy(&s, arg, sizeof s);
    count = count_primes(s.lo, s.hi);
    memcpy(result, &count, sizeof count);
    *result_len = sizeof count;
    return 0;
}

int main(int argc, char *argv[])
{
    long workers = 0, limit = 1000000, slices = 40, chunksize = 0;
    long me = (long)getpid();
    int opt;

    prog_init(argc, argv, "[-n WORKERS] [-s LIMIT] [-c SLICES] [-k CHUNKSIZE]\n"
              "  -n WORKERS    worker processes in the pool (default: one per CPU)\n"
              "  -s LIMIT      count the primes below LIMIT (default 1000000)\n"
              "  -c SLICES     cut 0..LIMIT into SLICES tasks (default 40)\n"
              "  -k CHUNKSIZE  tasks sent to a worker at a time (default: Python's rule)\n"
              "Python: multiprocessing.Pool, map (twin: pool_map.py)");
    while ((opt = get_option(argc, argv, "n:s:c:k:")) != -1) {
        switch (opt) {
        case 'n': workers = arg_long(optarg, opt, 1, 64); break;
        case 's': limit = arg_long(optarg, opt, 2, 100000000); break;
        case 'c': slices = arg_long(optarg, opt, 1, 10000); break;
        default:  chunksize = arg_long(optarg, opt, 1, 10000); break;
        }
    }
    no_operands(argc, argv);
    if (slices > limit)
        usage_error("-c %ld: more slices than numbers below %ld", slices, limit);

    struct slice *in = malloc(sizeof *in * (size_t)slices);
    long *serial = malloc(sizeof *serial * (size_t)slices);
    long *mapped = malloc(sizeof *mapped * (size_t)slices);
    if (in == NULL || serial == NULL || mapped == NULL)
        die("malloc");
    for (long i = 0; i < slices; i++)
        in[i] = (struct slice){ limit * i / slices, limit * (i + 1) / slices };

    /* 0 workers: one per online CPU, as Python's Pool() does. */
    pool *p = pool_create((int)workers);
    if (p == NULL)
        die("pool_create");
    int n = pool_size(p);
    say("parent %-6ld  counting the primes below %ld in %ld slices, serially and with Pool(%d).map",
        me, limit, slices, n);

    double t0 = now_seconds();
    for (long i = 0; i < slices; i++)
        serial[i] = count_primes(in[i].lo, in[i].hi);
    double t_serial = now_seconds() - t0;
    say("parent %-6ld  serial, in this process:   %7.3f s", me, t_serial);

    t0 = now_seconds();
    if (pool_map(p, count_slice, in, sizeof in[0], mapped, sizeof mapped[0],
                 (size_t)slices, (size_t)chunksize) != POOL_OK)
        fatal("map: %s", pool_last_error(p));
    double t_pool = now_seconds() - t0;
    long per = 4L * n, k = chunksize ? chunksize : slices / per + (slices % per != 0);
    say("parent %-6ld  Pool(%d).map, chunksize %ld: %7.3f s  (speed-up %.2fx with %d worker%s)",
        me, n, k, t_pool, t_pool > 0 ? t_serial / t_pool : 0.0, n, n == 1 ? "" : "s");

    /* The results, ten to a line, as map returned them. */
    long total = 0;
    int same = 1;
    for (long i = 0; i < slices; i += 10) {
        char row[SAY_MAX / 2];
        int at = 0;
        for (long j = i; j < i + 10 && j < slices; j++)
            at += snprintf(row + at, sizeof row - (size_t)at, " %ld", mapped[j]);
        long last = i + 9 < slices ? i + 9 : slices - 1;
        say("parent %-6ld  slices %3ld to %3ld:%s", me, i, last, row);
    }
    for (long i = 0; i < slices; i++) {
        total += mapped[i];
        same &= mapped[i] == serial[i];
    }
    say("parent %-6ld  total: %ld primes below %ld", me, total, limit);
    say("parent %-6ld  self-check: Pool.map's %ld results equal the serial ones, in order: %s",
        me, slices, same ? "OK" : "FAILED");

    pool_close(p);
    if (pool_join(p) != 0)
        same = 0;
    pool_free(p);
    free(in);
    free(serial);
    free(mapped);
    return same ? 0 : 1;
}
