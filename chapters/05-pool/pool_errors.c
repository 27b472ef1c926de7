/* pool_errors.c - when a task fails, or its worker dies, the pool goes on.
 *
 * 1. A Pool of 2 runs 8 tasks. Task 3 fails (it cannot open its input),
 *    task 5's worker is killed by SIGKILL (as the out-of-memory killer
 *    would), task 6's worker exits with status 3. Each of the three is
 *    reported as THAT task's error; the pool forks a worker in place of
 *    each dead one and finishes the others.
 * 2. A failing task whose result nobody fetches: pool_join() counts it, so
 *    the error is not lost (Python's join() says nothing).
 * 3. terminate() while a task runs and another waits: both are reported as
 *    ended by terminate (in Python, get() would wait for them forever).
 *
 * Python:  pool.apply_async(...).get() re-raises the task's exception; a
 *          task whose worker dies never gets a result (pool_errors.py shows
 *          it, with get(timeout)); pool.terminate().
 * Usage:   ./pool_errors [-n WORKERS]
 * Look for: the pid in "killed by SIGKILL" is the pid that started task 5;
 * the other tasks all give their results; "2 workers replaced"; join()
 * returning 1 in part 2. Racy: which worker runs which task, and the order
 * of the workers' lines.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "pool.h"

#define TASKS 8

static int started_pipe[2], go_pipe[2];     /* part 3 */

/* Tasks 0..7: i squared, except for three that go wrong on purpose. */
static int task(const void *arg, size_t arg_len, void *result, size_t *result_len)
{
    int i;
    long value;

    if (arg_len != sizeof i)
        return pool_fail("task: wrong argument size");
    memcpy(&i, arg, sizeof i);
    say("worker %-6ld  task %d  start", (long)getpid(), i);
    if (i == 3) {
        /* An ordinary failure: the task says what went wrong, the pool
         * carries the message back to whoever asks for the result. */
        char path[64];
        snprintf(path, sizeof path, "/nonexistent/input-%d", i);
        int fd = open(path, O_RDONLY);
        if (fd == -1)
            return pool_fail("open %s: %s", path, strerror(errno));
        if (close(fd) == -1)
            return pool_fail("close %s: %s", path, strerror(errno));
    }
    if (i == 5)
        raise(SIGKILL);         /* the worker dies mid-task, with no word */
    if (i == 6)
        _exit(3);               /* a task that ends its process (exit(3) would too) */
    value = (long)i * i;
    memcpy(result, &value, sizeof value);
    *result_len = sizeof value;
    return 0;
}

/* Part 3's task: tell the parent it runs, then wait for a byte that never
 * comes. The pipes were made before the pool, so every worker has them. */
static int wait_forever(const void *arg, size_t arg_len, void *result, size_t *result_len)
{
    char byte = 1;

    (void)arg, (void)arg_len, (void)result;
    *result_len = 0;
    say("worker %-6ld  long task  start (it waits for a go that never comes)", (long)getpid());
    if (write(started_pipe[1], &byte, 1) != 1)
        return pool_fail("write: %s", strerror(errno));
    if (read(go_pipe[0], &byte, 1) == -1)
        return pool_fail("read: %s", strerror(errno));
    return 0;
}

int main(int argc, char *argv[])
{
    long workers = 2;
    int opt, ok = 1;
    long me = (long)getpid();

    prog_init(argc, argv, "[-n WORKERS]\n"
              "  -n WORKERS  worker processes in the pool (default 2)\n"
              "Python: multiprocessing.Pool, a task that raises, a worker that dies "
              "(twin: pool_errors.py)");
    while ((opt = get_option(argc, argv, "n:")) != -1)
        workers = arg_long(optarg, opt, 1, 64);
    no_operands(argc, argv);

    /* ---- 1. failures, each reported for its own task -------------------- */
    say("--- 1. Pool(%ld), %d tasks: task 3 fails, task 5's worker is killed, "
        "task 6's worker exits", workers, TASKS);
    pool *p = pool_create((int)workers);
    if (p == NULL)
        die("pool_create");
    pool_result *h[TASKS];
    for (int i = 0; i < TASKS; i++)
        if ((h[i] = pool_apply_async(p, task, &i, sizeof i)) == NULL)
            die("pool_apply_async");
    int good = 0, failed = 0;
    for (int i = 0; i < TASKS; i++) {
        if (pool_get(h[i], -1) == POOL_OK) {
            long v = *(const long *)pool_value(h[i], NULL);
            say("parent %-6ld  task %d  result %ld (expected %ld)", me, i, v, (long)i * i);
            good += v == (long)i * i;
        } else {
            say("parent %-6ld  task %d  FAILED: %s", me, i, pool_result_error(h[i]));
            failed++;
        }
        pool_result_free(h[i]);
    }
    pool_close(p);
    int unseen = pool_join(p);
    say("parent %-6ld  %d tasks: %d results, %d failed, each reported for its own task",
        me, TASKS, good, failed);
    say("parent %-6ld  %d workers replaced; join() returned %d", me, pool_replaced(p), unseen);
    ok &= good == TASKS - 3 && failed == 3 && pool_replaced(p) == 2 && unseen == 0;
    pool_free(p);

    /* ---- 2. an error that nobody fetches -------------------------------- */
    say("--- 2. a task fails and nobody fetches its result");
    p = pool_create(1);
    if (p == NULL)
        die("pool_create");
    int three = 3;
    pool_result *forgotten = pool_apply_async(p, task, &three, sizeof three);
    if (forgotten == NULL)
        die("pool_apply_async");
    pool_result_free(forgotten);        /* the handle is dropped, unread */
    pool_close(p);
    unseen = pool_join(p);
    say("parent %-6ld  join() returned %d: %d failed task%s whose error nobody fetched",
        me, unseen, unseen, unseen == 1 ? "" : "s");
    ok &= unseen == 1;
    pool_free(p);

    /* ---- 3. terminate ----------------------------------------------------- */
    say("--- 3. terminate() while a task runs and another waits");
    if (pipe(started_pipe) == -1 || pipe(go_pipe) == -1)
        die("pipe");
    p = pool_create(1);
    if (p == NULL)
        die("pool_create");
    pool_result *running = pool_apply_async(p, wait_forever, NULL, 0);
    pool_result *waiting = pool_apply_async(p, wait_forever, NULL, 0);
    if (running == NULL || waiting == NULL)
        die("pool_apply_async");
    char byte;
    /* Wait until the first task really runs (a read, not a sleep). */
    if (read_full(started_pipe[0], &byte, 1) != 1)
        die("read");
    pool_terminate(p);
    say("parent %-6ld  terminate(): SIGTERM to the worker, which is reaped", me);
    int r1 = pool_get(running, -1), r2 = pool_get(waiting, -1);
    say("parent %-6ld  long task  %s", me,
        r1 == POOL_FAILED ? pool_result_error(running) : "finished?");
    say("parent %-6ld  next task  %s", me,
        r2 == POOL_FAILED ? pool_result_error(waiting) : "finished?");
    ok &= r1 == POOL_FAILED && r2 == POOL_FAILED;
    pool_free(p);                       /* frees the handles too */
    for (int i = 0; i < 2; i++)
        if (close(started_pipe[i]) == -1 || close(go_pipe[i]) == -1)
            die("close");

    say("parent %-6ld  self-check: each failure reported for its own task, the others done, "
        "no hang: %s", me, ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
