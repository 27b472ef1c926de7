/* pool_imap.c - imap and imap_unordered: results as they come, with a window.
 *
 * map() hands out every task and returns when the last is done. imap()
 * gives back each result as soon as it is its turn: in TASK order, so a
 * slow first task holds back the results behind it. imap_unordered() gives
 * each back as soon as it is ready: in COMPLETION order (as the parent
 * takes the answers in: of several already in, the lowest index in its
 * set first). Here task 0 takes
 * five times as long as the others, and both run on the same pool.
 *
 * Both keep at most a window of tasks outstanding (handed out, result not
 * yet taken): a new task goes out only when a result comes back, so an
 * input of a million tasks needs the memory of a window, not of a million,
 * and the first result is printed before the last task has even started.
 * (Python's imap takes its input as fast as it can: the twin bounds it
 * with a semaphore.) Like Python's imap, one task per message (chunksize
 * 1; map computes a chunksize instead).
 *
 * Python:  for value in pool.imap(task, items): ...            (in order)
 *          for value in pool.imap_unordered(task, items): ...  (as done)
 *          (pool_imap.py)
 * Usage:   ./pool_imap [-n WORKERS] [-c TASKS] [-s SLOTS] [-m both|imap|unordered]
 * Look for: imap's results in task order, tasks 1-5 "ready" long before
 * they are printed (held back by task 0); imap_unordered's in the order
 * they became ready, task 0 late. With imap a full window of held-back
 * results leaves workers idle. Racy: the order of imap_unordered's results
 * among tasks of the same length, and which worker runs which task.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "pool.h"

struct job {
    int index;
    double seconds;             /* how long it works (times WORKBOOK_PACE) */
};

struct answer {
    int index;
    long value;
    double ready;               /* CLOCK_MONOTONIC: one clock in every process */
};

static int task(const void *arg, size_t arg_len, void *result, size_t *result_len)
{
    struct job job;
    struct answer a;

    if (arg_len != sizeof job || *result_len < sizeof a)
        return pool_fail("task: wrong sizes");
    memcpy(&job, arg, sizeof job);
    say("worker %-6ld  task %2d  start (%.1f s)", (long)getpid(), job.index, job.seconds);
    pace(job.seconds);
    memset(&a, 0, sizeof a);            /* padding too: it travels */
    a.index = job.index;
    a.value = (long)job.index * job.index;
    a.ready = now_seconds();
    say("worker %-6ld  task %2d  done", (long)getpid(), job.index);
    memcpy(result, &a, sizeof a);
    *result_len = sizeof a;
    return 0;
}

static pool_result *hand_out(pool *p, int i)
{
    struct job job;

    memset(&job, 0, sizeof job);
    job.index = i;
    job.seconds = i == 0 ? 1.0 : 0.2;   /* the first task is the slow one */
    pool_result *r = pool_apply_async(p, task, &job, sizeof job);
    if (r == NULL)
        die("pool_apply_async");
    return r;
}

/* One imap (ordered) or imap_unordered over tasks 0..tasks-1, at most
 * `window` outstanding. `out` holds them: for imap a ring in task order
 * (task i in slot i % window), for imap_unordered a set, in any order.
 * Returns how many results did not match their task (or, for imap, came
 * out of task order): 0, for the self-check. */
static int run(pool *p, int ordered, long tasks, long window)
{
    const char *name = ordered ? "imap" : "imap_unordered";
    pool_result **out = calloc((size_t)window, sizeof *out);
    long next = 0, taken = 0;
    size_t in_set = 0;
    int wrong = 0;
    double waited = 0;          /* results ready, waiting for their turn */
    double began;

    if (out == NULL)
        die("calloc");
    began = now_seconds();
    while (taken < tasks) {
        /* Fill the window: a new task only when a result has come back. */
        for (; next < tasks && next - taken < window; next++) {
            if (ordered)
                out[next % window] = hand_out(p, (int)next);
            else
                out[in_set++] = hand_out(p, (int)next);
        }
        pool_result *r;
        if (ordered) {                  /* the next in task order, however long */
            r = out[taken % window];
        } else {                        /* whichever is ready first */
            int i = pool_wait_any(out, in_set, -1);
            if (i == -1)
                die("pool_wait_any");
            r = out[i];
            out[i] = out[--in_set];
        }
        if (pool_get(r, -1) != POOL_OK)
            fatal("%s: a task failed: %s", name, pool_result_error(r));
        struct answer a;
        memcpy(&a, pool_value(r, NULL), sizeof a);
        pool_result_free(r);
        double now = now_seconds() - began;
        say("parent %-6ld  %-14s  task %2d -> %3ld  at %.2f s (ready at %.2f s)",
            (long)getpid(), name, a.index, a.value, now, a.ready - began);
        wrong += a.value != (long)a.index * a.index || (ordered && a.index != taken);
        waited += now - (a.ready - began);
        taken++;
    }
    say("parent %-6ld  %s: %ld results in %s order in %.2f s; held back %.2f s",
        (long)getpid(), name, tasks, ordered ? "task" : "completion", now_seconds() - began,
        waited);
    free(out);
    return wrong;
}

int main(int argc, char *argv[])
{
    long workers = 3, tasks = 10, window = 6;
    int opt, ordered = 1, unordered = 1;

    prog_init(argc, argv, "[-n WORKERS] [-c TASKS] [-s SLOTS] [-m both|imap|unordered]\n"
              "  -n WORKERS  worker processes in the pool (default 3)\n"
              "  -c TASKS    tasks, task 0 five times as long as the others (default 10)\n"
              "  -s SLOTS    tasks outstanding at most: the window (default 6)\n"
              "  -m both|imap|unordered  which to run (default both)\n"
              "Python: Pool.imap, Pool.imap_unordered (twin: pool_imap.py)");
    while ((opt = get_option(argc, argv, "n:c:s:m:")) != -1) {
        if (opt == 'n')
            workers = arg_long(optarg, opt, 1, 64);
        else if (opt == 'c')
            tasks = arg_long(optarg, opt, 1, 1000000);
        else if (opt == 's')
            window = arg_long(optarg, opt, 1, 1000);
        else if (strcmp(optarg, "both") == 0 || strcmp(optarg, "imap") == 0 ||
                 strcmp(optarg, "unordered") == 0) {
            ordered = strcmp(optarg, "unordered") != 0;
            unordered = strcmp(optarg, "imap") != 0;
        } else {
            usage_error("-m wants one of both, imap, unordered, not '%s'", optarg);
        }
    }
    no_operands(argc, argv);

    pool *p = pool_create((int)workers);
    if (p == NULL)
        die("pool_create");
    say("parent %-6ld  Pool(%ld), %ld tasks (task 0: 1.0 s, the others 0.2 s), "
        "at most %ld outstanding", (long)getpid(), workers, tasks, window);
    int wrong = 0;
    if (ordered)
        wrong += run(p, 1, tasks, window);
    if (unordered)
        wrong += run(p, 0, tasks, window);
    pool_close(p);
    int unseen = pool_join(p);
    pool_free(p);
    say("parent %-6ld  self-check: every result once, matching its task%s: %s", (long)getpid(),
        ordered ? ", imap's in task order" : "", wrong == 0 && unseen == 0 ? "OK" : "FAILED");
    return wrong == 0 && unseen == 0 ? 0 : 1;
}
