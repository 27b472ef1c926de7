/* pool_apply.c - apply() blocks; apply_async() returns at once.
 *
 * 1. apply(): the parent hands a task to the pool and waits for its result
 *    before it can hand over the next, so the tasks run one at a time even
 *    on a Pool of 3. (One tutorial says apply runs its tasks concurrently:
 *    it does not.)
 * 2. apply_async(): each call returns a handle at once; the tasks run side
 *    by side, and get() collects each value.
 * 3. get(timeout) and ready(): a task that waits for the parent's "go" is
 *    not ready, and get() with a timeout gives up; after the go, get()
 *    returns its value.
 *
 * Python:  pool.apply(task, (i,))                  -> the value
 *          h = pool.apply_async(task, (i,)); h.get(timeout=0.5); h.ready()
 *          (pool_apply.py)
 * Usage:   ./pool_apply [-n WORKERS] [-c TASKS]
 * Look for: in part 1 each task ends before the next starts, and apply
 * returns only after its task's end line; part 1 takes about the sum of the
 * tasks' times, part 2 about the longest. Racy: the order of the workers'
 * lines in part 2, and which worker runs which task.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "pool.h"

#define SECONDS 0.5             /* each task's work, at pace 1 */
#define MAX_TASKS 100

static int go_pipe[2];          /* part 3: made before the pool, so every worker has it */

struct job {
    int index;
    char kind[8];               /* "apply" or "async": which part it belongs to */
};

static int task(const void *arg, size_t arg_len, void *result, size_t *result_len)
{
    struct job job;
    long value;

    if (arg_len != sizeof job)
        return pool_fail("task: wrong argument size");
    memcpy(&job, arg, sizeof job);
    say("worker %-6ld  %s task %d  start", (long)getpid(), job.kind, job.index);
    pace(SECONDS);
    value = 10L * job.index;
    say("worker %-6ld  %s task %d  end    -> %ld", (long)getpid(), job.kind, job.index, value);
    memcpy(result, &value, sizeof value);
    *result_len = sizeof value;
    return 0;
}

/* Part 3: wait for the parent's go (a byte on the pipe), then answer 42. */
static int wait_for_go(const void *arg, size_t arg_len, void *result, size_t *result_len)
{
    char byte;
    long value = 42;

    (void)arg, (void)arg_len;
    say("worker %-6ld  slow task  start (waits for the parent's go)", (long)getpid());
    if (read(go_pipe[0], &byte, 1) != 1)
        return pool_fail("read the go: %s", strerror(errno));
    say("worker %-6ld  slow task  end    -> %ld", (long)getpid(), value);
    memcpy(result, &value, sizeof value);
    *result_len = sizeof value;
    return 0;
}

int main(int argc, char *argv[])
{
    long workers = 3, tasks = 3;
    long me = (long)getpid();
    int opt, ok = 1;

    prog_init(argc, argv, "[-n WORKERS] [-c TASKS]\n"
              "  -n WORKERS  worker processes in the pool (default 3)\n"
              "  -c TASKS    tasks run by each of apply and apply_async (default 3)\n"
              "Python: multiprocessing.Pool, apply and apply_async (twin: pool_apply.py)");
    while ((opt = get_option(argc, argv, "n:c:")) != -1) {
        if (opt == 'n')
            workers = arg_long(optarg, opt, 1, 64);
        else
            tasks = arg_long(optarg, opt, 1, MAX_TASKS);
    }
    no_operands(argc, argv);

    if (pipe(go_pipe) == -1)
        die("pipe");
    pool *p = pool_create((int)workers);
    if (p == NULL)
        die("pool_create");

    /* ---- 1. apply: one task at a time ------------------------------------ */
    say("--- 1. apply(): blocks until the result is back");
    double t0 = now_seconds();
    for (int i = 0; i < tasks; i++) {
        struct job job = { i, "apply" };
        long value;
        size_t len = sizeof value;
        double t = now_seconds();

        if (pool_apply(p, task, &job, sizeof job, &value, &len) != POOL_OK)
            fatal("apply: %s", pool_last_error(p));
        say("parent %-6ld  apply(task %d) returned %ld after %.2f s", me, i, value,
            now_seconds() - t);
        ok &= value == 10L * i;
    }
    say("parent %-6ld  %ld tasks with apply() took %.2f s: one after the other",
        me, tasks, now_seconds() - t0);

    /* ---- 2. apply_async: a handle at once, the tasks side by side ------- */
    say("--- 2. apply_async(): returns a handle at once");
    pool_result *h[MAX_TASKS];
    t0 = now_seconds();
    for (int i = 0; i < tasks; i++) {
        struct job job = { i, "async" };
        if ((h[i] = pool_apply_async(p, task, &job, sizeof job)) == NULL)
            die("pool_apply_async");
        say("parent %-6ld  apply_async(task %d) returned a handle after %.2f s",
            me, i, now_seconds() - t0);
    }
    for (int i = 0; i < tasks; i++) {
        if (pool_get(h[i], -1) != POOL_OK)
            fatal("get: %s", pool_result_error(h[i]));
        long value = *(const long *)pool_value(h[i], NULL);
        say("parent %-6ld  get() of task %d -> %ld", me, i, value);
        ok &= value == 10L * i;
        pool_result_free(h[i]);
    }
    say("parent %-6ld  %ld tasks with apply_async() took %.2f s: side by side, %ld workers",
        me, tasks, now_seconds() - t0, workers);

    /* ---- 3. get(timeout) and ready() -------------------------------------- */
    say("--- 3. get(timeout) and ready()");
    pool_result *slow = pool_apply_async(p, wait_for_go, NULL, 0);
    if (slow == NULL)
        die("pool_apply_async");
    /* Nothing can finish the task before the go: these two are certain. */
    int ready = pool_ready(slow);
    say("parent %-6ld  ready() -> %s", me, ready ? "true" : "false");
    double timeout = 0.5 * pace_factor();
    int got = pool_get(slow, timeout);
    say("parent %-6ld  get(timeout=%.2f s) -> %s", me, timeout,
        got == POOL_TIMEOUT ? "timed out: the task still runs" : "a result?");
    ok &= !ready && got == POOL_TIMEOUT;
    say("parent %-6ld  go!", me);
    if (write(go_pipe[1], "g", 1) != 1)
        die("write");
    got = pool_get(slow, -1);
    long value = got == POOL_OK ? *(const long *)pool_value(slow, NULL) : -1;
    ready = pool_ready(slow);
    say("parent %-6ld  get() -> %ld; ready() -> %s", me, value, ready ? "true" : "false");
    ok &= value == 42 && ready;
    pool_result_free(slow);

    pool_close(p);
    if (pool_join(p) != 0)
        ok = 0;
    pool_free(p);
    if (close(go_pipe[0]) == -1 || close(go_pipe[1]) == -1)
        die("close");
    say("parent %-6ld  self-check: apply()'s and get()'s values, the timeout and ready() "
        "as expected: %s", me, ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
