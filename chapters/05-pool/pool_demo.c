/* pool_demo.c - a Pool of 4 workers runs 10 tasks: the others wait.
 *
 * The parent starts a Pool of 4 worker processes (all of them now, once),
 * hands it 10 tasks with apply_async, and collects the results. Each task
 * says when it starts and ends, on which worker, and how long it waited for
 * a free worker. Only 4 tasks can run at once: task 4 starts when one of
 * the first four ends, on the worker that became free. Each task returns
 * its number squared; the parent prints each result's VALUE (not the
 * handle, which is what one tutorial prints), then checks what the pool
 * promises and says so on the last line.
 *
 * Python:  with Pool(4) as pool:
 *              handles = [pool.apply_async(task, (i,)) for i in range(10)]
 *              pool.close(); pool.join()
 *              print([h.get() for h in handles])      (pool_demo.py)
 * Usage:   ./pool_demo [-n WORKERS] [-c TASKS]
 * Look for: never more than 4 "start" lines open at once; each task starts
 * and ends once; a task's "waited" time is the time until a worker was
 * free; the worker pids are the 4 started up front, reused. The results
 * come back in task order, each matching its task. Racy: which worker runs
 * which task, and the order of the lines of different workers.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "pool.h"

/* What travels to the worker, and back: plain values, copied byte for byte,
 * padding included; so each struct is zeroed before it is filled (valgrind
 * reports the uninitialised padding bytes that a write(2) would send). */
struct job {
    int index;
    double given;               /* when the parent handed the task over */
    double seconds;             /* how long the task takes (at pace 1) */
};

struct answer {
    int index;                  /* which task this answers */
    long value;                 /* index squared */
    pid_t pid;                  /* the worker that ran it */
    double started, ended;      /* CLOCK_MONOTONIC: the same clock in every process */
};

/* The task. It runs in a worker process, so getpid() is the worker's. */
static int task(const void *arg, size_t arg_len, void *result, size_t *result_len)
{
    struct job job;
    struct answer a;

    if (arg_len != sizeof job || *result_len < sizeof a)
        return pool_fail("task: wrong sizes");
    memcpy(&job, arg, sizeof job);
    memset(&a, 0, sizeof a);
    a.index = job.index;
    a.pid = getpid();
    a.started = now_seconds();
    say("worker %-6ld  task %2d  start  (waited %.2f s)", (long)a.pid, job.index,
        a.started - job.given);
    pace(job.seconds);          /* the work: here, just time passing */
    a.value = (long)job.index * job.index;
    a.ended = now_seconds();
    /* Printed before the result is sent: this line comes before the start
     * line of the worker's next task, so the test can count tasks running. */
    say("worker %-6ld  task %2d  end    (ran %.2f s) -> %ld", (long)a.pid, job.index,
        a.ended - a.started, a.value);
    memcpy(result, &a, sizeof a);
    *result_len = sizeof a;
    return 0;
}

/* The most intervals open at once, from the times the workers measured. */
/* One summary line: the tasks whose result came from worker pid, and
 * whether it is still one of the pool's workers. */
static void list_tasks(const pool *p, const struct answer *a, int tasks, pid_t pid)
{
    char list[SAY_MAX / 2] = "";
    int alive = 0;

    for (int i = 0, at = 0; i < tasks && at < (int)sizeof list - 8; i++)
        if (a[i].pid == pid)
            at += snprintf(list + at, sizeof list - (size_t)at, " %d", i);
    for (int w = 0; w < pool_size(p); w++)
        alive |= pool_worker_pid(p, w) == pid;
    say("parent %-6ld  worker %ld ran tasks:%s%s", (long)getpid(), (long)pid,
        list[0] ? list : " none", alive ? "" : " (then died; replaced)");
}

static int max_running(const struct answer *a, int n)
{
    int most = 0;

    for (int i = 0; i < n; i++) {
        /* Count the tasks running at the moment task i started. */
        int open = 0;
        for (int j = 0; j < n; j++)
            if (a[j].started <= a[i].started && a[i].started < a[j].ended)
                open++;
        if (open > most)
            most = open;
    }
    return most;
}

int main(int argc, char *argv[])
{
    long workers = 4, tasks = 10;
    int opt;

    prog_init(argc, argv, "[-n WORKERS] [-c TASKS]\n"
              "  -n WORKERS  worker processes in the pool (default 4)\n"
              "  -c TASKS    tasks handed to the pool with apply_async (default 10)\n"
              "Python: multiprocessing.Pool, apply_async (twin: pool_demo.py)");
    while ((opt = get_option(argc, argv, "n:c:")) != -1) {
        if (opt == 'n')
            workers = arg_long(optarg, opt, 1, 64);
        else
            tasks = arg_long(optarg, opt, 1, 1000);
    }
    no_operands(argc, argv);

    double began = now_seconds();
    pool *p = pool_create((int)workers);
    if (p == NULL)
        die("pool_create");
    char pids[SAY_MAX / 2] = "";
    for (int i = 0, at = 0; i < pool_size(p) && at < (int)sizeof pids - 12; i++)
        at += snprintf(pids + at, sizeof pids - (size_t)at, " %ld", (long)pool_worker_pid(p, i));
    say("parent %-6ld  Pool(%ld) started its workers up front:%s", (long)getpid(), workers, pids);

    pool_result **handles = calloc((size_t)tasks, sizeof *handles);
    struct answer *answers = calloc((size_t)tasks, sizeof *answers);
    if (handles == NULL || answers == NULL)
        die("calloc");
    for (int i = 0; i < tasks; i++) {
        struct job job;
        memset(&job, 0, sizeof job);
        job.index = i;
        job.given = now_seconds();
        /* Durations from 0.3 to 1.0 s, mixed, the same on every run. */
        job.seconds = 0.3 + 0.7 * ((i * 7 + 3) % 10) / 10.0;
        handles[i] = pool_apply_async(p, task, &job, sizeof job);
        if (handles[i] == NULL)
            die("pool_apply_async");
    }
    say("parent %-6ld  gave %ld tasks with apply_async: at most %ld run at once, the others wait",
        (long)getpid(), tasks, workers);

    /* get() each result in task order. The pool does its work while the
     * parent waits here: it hands a waiting task to each worker that frees. */
    int failed = 0, wrong = 0, joined, ok;
    for (int i = 0; i < tasks; i++) {
        if (pool_get(handles[i], -1) != POOL_OK) {
            say("parent %-6ld  task %2d  FAILED: %s", (long)getpid(), i,
                pool_result_error(handles[i]));
            failed++;
            continue;
        }
        memcpy(&answers[i], pool_value(handles[i], NULL), sizeof answers[i]);
        int right = answers[i].index == i && answers[i].value == (long)i * i;
        say("parent %-6ld  task %2d  result %3ld (expected %ld)%s", (long)getpid(), i,
            answers[i].value, (long)i * i, right ? "" : "  WRONG");
        wrong += !right;
    }
    /* Which tasks each worker ran: the same few processes, reused. Each
     * worker that sent a result, once (one that died since, too), then
     * each worker of the pool that ran none. */
    for (int i = 0; i < tasks; i++) {
        int seen = answers[i].pid == 0;
        for (int j = 0; j < i && !seen; j++)
            seen = answers[j].pid == answers[i].pid;
        if (!seen)
            list_tasks(p, answers, (int)tasks, answers[i].pid);
    }
    for (int w = 0; w < pool_size(p); w++) {
        int ran = 0;
        for (int i = 0; i < tasks; i++)
            ran |= answers[i].pid == pool_worker_pid(p, w);
        if (!ran)
            list_tasks(p, answers, (int)tasks, pool_worker_pid(p, w));
    }
    pool_close(p);              /* no more tasks... */
    joined = pool_join(p) == 0; /* ...then wait for the workers to end */
    double busy = 0;
    for (int i = 0; i < tasks; i++)
        busy += answers[i].ended - answers[i].started;
    say("parent %-6ld  close() and join(): the workers have ended; %.2f s of tasks took %.2f s",
        (long)getpid(), busy, now_seconds() - began);

    int most = max_running(answers, (int)tasks);
    ok = joined && failed == 0 && wrong == 0;
    say("parent %-6ld  self-check: %ld tasks, each result back once and matching its task: %s",
        (long)getpid(), tasks, ok ? "OK" : "FAILED");
    say("parent %-6ld  self-check: at most %d ran at once (limit %ld): %s", (long)getpid(),
        most, workers, most <= workers ? "OK" : "FAILED");
    ok &= most <= workers;
    if (!ok)
        say("parent %-6ld  FAILED because: %d failed, %d wrong, %s the limit, join() %s",
            (long)getpid(), failed, wrong, most > workers ? "over" : "within",
            joined ? "returned 0" : "failed");

    for (int i = 0; i < tasks; i++)
        pool_result_free(handles[i]);
    free(handles);
    free(answers);
    pool_free(p);
    return ok ? 0 : 1;
}
