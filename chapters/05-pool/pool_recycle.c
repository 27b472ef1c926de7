/* pool_recycle.c - maxtasksperchild and initializer: a worker that grows is
 * replaced after N tasks, and each new worker runs the initializer again.
 *
 * Each task adds a block to a cache in a global variable that it never
 * empties (a leak, as a library that caches for ever would make). Each
 * worker has its own copy of that global (chapter 01), so the cache grows
 * task after task in each worker. With maxtasks = 3 (Python's
 * maxtasksperchild=3), a worker exits after its third task and the pool
 * forks a fresh one in its place, with an empty cache: the growth stops at
 * 3 blocks. The initializer runs once in every worker as it starts, the
 * replacements too: one "initializer" line per worker started.
 *
 * Python:  Pool(2, initializer=init, initargs=(256,), maxtasksperchild=3)
 *          (pool_recycle.py)
 * Usage:   ./pool_recycle [-n WORKERS] [-c TASKS] [-r MAXTASKS]
 * Look for: no pid runs more than 3 tasks; each pid's "initializer" line
 * comes before its first task; the cache never passes 3 blocks (with
 * -r 0 it grows with every task); the initializer lines are as many as the
 * workers started, up front and in place of others, and all are reaped.
 * Racy: which worker runs which task, and so how many replacements (a
 * worker is replaced after 3 tasks even when no task is left for it).
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "pool.h"

#define MAX_TASKS 1000

struct settings { int block_kib; };     /* the initializer's argument (initargs) */

struct answer {
    int index;                  /* which task this answers */
    int nth;                    /* the how-manieth task of its worker */
    pid_t pid;                  /* the worker that ran it */
    long cache_kib;             /* its cache after the task */
};

/* The worker's globals: each worker has its own copy, from fork. */
static size_t block_size;       /* set by the initializer */
static unsigned char *cache;    /* grows with every task, never emptied */
static size_t cache_size;
static int tasks_here;

/* The initializer: runs in each worker as it starts, before its first
 * task. Its argument points into the parent's memory, valid here because
 * the worker is a copy of the parent (Python pickles initargs instead). */
static void init(void *arg)
{
    const struct settings *s = arg;

    block_size = (size_t)s->block_kib * 1024;
    say("worker %-6ld  initializer(%d): a fresh worker, its cache empty", (long)getpid(),
        s->block_kib);
}

static int task(const void *arg, size_t arg_len, void *result, size_t *result_len)
{
    struct answer a;
    int index;

    if (arg_len != sizeof index || *result_len < sizeof a)
        return pool_fail("task: wrong sizes");
    memcpy(&index, arg, sizeof index);
    /* The leak: one more block, kept for ever (realloc keeps the pointer
     * in a global, so it is still reachable when the worker exits). */
    unsigned char *grown = realloc(cache, cache_size + block_size);
    if (grown == NULL)
        return pool_fail("realloc %zu bytes: out of memory", cache_size + block_size);
    memset(grown + cache_size, index, block_size);      /* touch it: really used */
    cache = grown;
    cache_size += block_size;
    memset(&a, 0, sizeof a);    /* padding too: it travels byte for byte */
    a.index = index;
    a.nth = ++tasks_here;
    a.pid = getpid();
    a.cache_kib = (long)(cache_size / 1024);
    say("worker %-6ld  task %2d  (its task %d)  cache now %ld KiB", (long)a.pid, index,
        a.nth, a.cache_kib);
    pace(0.2);
    memcpy(result, &a, sizeof a);
    *result_len = sizeof a;
    return 0;
}

int main(int argc, char *argv[])
{
    long workers = 2, tasks = 10, maxtasks = 3;
    struct settings settings = { 256 };
    long me = (long)getpid();
    int opt;

    prog_init(argc, argv, "[-n WORKERS] [-c TASKS] [-r MAXTASKS]\n"
              "  -n WORKERS   worker processes in the pool (default 2)\n"
              "  -c TASKS     tasks handed to the pool (default 10)\n"
              "  -r MAXTASKS  tasks a worker runs before it is replaced, 0 for never "
              "(default 3)\n"
              "Python: multiprocessing.Pool(initializer=, initargs=, maxtasksperchild=) "
              "(twin: pool_recycle.py)");
    while ((opt = get_option(argc, argv, "n:c:r:")) != -1) {
        if (opt == 'n')
            workers = arg_long(optarg, opt, 1, 64);
        else if (opt == 'c')
            tasks = arg_long(optarg, opt, 1, MAX_TASKS);
        else
            maxtasks = arg_long(optarg, opt, 0, MAX_TASKS);
    }
    no_operands(argc, argv);

    char limit[64] = "None";            /* -r 0: Python's maxtasksperchild=None */
    if (maxtasks > 0)
        snprintf(limit, sizeof limit, "%ld", maxtasks);
    say("parent %-6ld  Pool(%ld, maxtasksperchild=%s): each worker adds %d KiB to its cache "
        "per task", me, workers, limit, settings.block_kib);
    pool *p = pool_create_opts((int)workers, init, &settings, (int)maxtasks);
    if (p == NULL)
        die("pool_create_opts");

    pool_result **h = calloc((size_t)tasks, sizeof *h);
    struct answer *answers = calloc((size_t)tasks, sizeof *answers);
    pid_t *pids = calloc((size_t)tasks, sizeof *pids);     /* each worker once */
    if (h == NULL || answers == NULL || pids == NULL)
        die("calloc");
    for (int i = 0; i < tasks; i++)
        if ((h[i] = pool_apply_async(p, task, &i, sizeof i)) == NULL)
            die("pool_apply_async");
    int failed = 0, over = 0, npids = 0;
    long largest = 0;
    for (int i = 0; i < tasks; i++) {
        if (pool_get(h[i], -1) != POOL_OK) {
            say("parent %-6ld  task %2d  FAILED: %s", me, i, pool_result_error(h[i]));
            failed++;
            continue;
        }
        memcpy(&answers[i], pool_value(h[i], NULL), sizeof answers[i]);
        over += maxtasks > 0 && answers[i].nth > maxtasks;
        largest = answers[i].cache_kib > largest ? answers[i].cache_kib : largest;
        int seen = 0;
        for (int j = 0; j < npids && !seen; j++)
            seen = pids[j] == answers[i].pid;
        if (!seen)
            pids[npids++] = answers[i].pid;
    }
    pool_close(p);
    int unfetched = pool_join(p);       /* stops and reaps the workers left */
    int started = pool_size(p) + pool_replaced(p);

    /* Who ran what, and proof that each worker is gone: waitpid says
     * ECHILD for a pid that is no child of ours any more (a zombie would
     * still be one: it is reaped, not merely ended). */
    int reaped = 0;
    for (int j = 0; j < npids; j++) {
        char list[SAY_MAX / 2] = "";
        int n = 0, status;
        for (int i = 0, at = 0; i < tasks && at < (int)sizeof list - 8; i++)
            if (answers[i].pid == pids[j])
                at += snprintf(list + at, sizeof list - (size_t)at, " %d", i), n++;
        int gone = waitpid(pids[j], &status, WNOHANG) == -1 && errno == ECHILD;
        reaped += gone;
        say("parent %-6ld  worker %ld ran %d task%s:%s; %s", me, (long)pids[j], n,
            n == 1 ? "" : "s", list, gone ? "reaped" : "NOT REAPED");
    }
    say("parent %-6ld  workers started: %d up front + %d in place of others = %d",
        me, pool_size(p), pool_replaced(p), started);
    long blocks = largest / settings.block_kib;
    say("parent %-6ld  largest cache: %ld KiB (%ld block%s)", me, largest, blocks,
        blocks == 1 ? "" : "s");
    int ok = failed == 0 && over == 0 && unfetched == 0 && reaped == npids &&
             (maxtasks == 0 || largest <= maxtasks * settings.block_kib);
    snprintf(limit, sizeof limit, maxtasks > 0 ? "none over %ld on a worker" : "no limit",
             maxtasks);
    say("parent %-6ld  self-check: %ld tasks once each; %s; every worker reaped: %s",
        me, tasks, limit, ok ? "OK" : "FAILED");

    for (int i = 0; i < tasks; i++)
        pool_result_free(h[i]);
    free(h);
    free(answers);
    free(pids);
    pool_free(p);
    return ok ? 0 : 1;
}
