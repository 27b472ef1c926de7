/* pool_interrupt.c - Ctrl-C while a Pool works: stop cleanly, say what was done.
 *
 * A Pool of 3 runs 9 slow tasks. Press Ctrl-C while they run. The terminal
 * sends SIGINT to its whole foreground process GROUP: the parent AND every
 * worker get it. The clean design (default, -m clean): each worker ignores
 * SIGINT (the pool's initializer), so only the parent acts on it. Its
 * handler sets a flag; pool_wait_any() returns EINTR; the parent hands out
 * no more tasks, terminates and reaps the workers, lists the tasks whose
 * results it has, and dies of SIGINT, as a shell expects (status 130).
 * SIGTERM (kill PID) takes the same way out, and dies of SIGTERM (143).
 * With -m naive the workers keep SIGINT's default action: Ctrl-C kills
 * each one in the middle of its task, before the parent has decided
 * anything, and the pool reports those tasks as killed by SIGINT (or, if
 * the parent's terminate comes first, as terminated: a race).
 *
 * Python:  def ignore_sigint(): signal.signal(signal.SIGINT, signal.SIG_IGN)
 *          pool = Pool(3, initializer=ignore_sigint)
 *          try: ... h.get() ...
 *          except KeyboardInterrupt: pool.terminate(); pool.join()
 *          (pool_interrupt.py; without the initializer every worker prints
 *          a KeyboardInterrupt traceback: bpo-8296)
 * Usage:   ./pool_interrupt [-n WORKERS] [-c TASKS] [-t SECONDS] [-m clean|naive]
 * Look for: after ^C, "finished" lists only tasks whose "done" line came
 * out; no worker line after "terminate()" (all are reaped by then);
 * `echo $?` says 130. Racy: which tasks are running at the ^C, and whether
 * a task that printed "done" got its result back before the SIGTERM (if
 * not, it is listed as cut off).
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "pool.h"

struct job {
    int index;
    double seconds;             /* how long the task works (times WORKBOOK_PACE) */
};

static volatile sig_atomic_t stop_signal;   /* the signal that asked us to stop */
static pid_t parent_pid;

/* The parent's handler only records the signal. (A worker never runs it:
 * the pool forks each worker with SIGINT and SIGTERM blocked, and lets
 * them in only after the defaults and the initializer are in place.) */
static void on_stop(int sig)
{
    stop_signal = sig;
}

/* The initializer (Python's initializer=): runs in each worker as it
 * starts. Ctrl-C is then the parent's business alone. */
static void ignore_sigint(void *unused)
{
    (void)unused;
    if (signal(SIGINT, SIG_IGN) == SIG_ERR)
        die_child("signal");
}

static int task(const void *arg, size_t arg_len, void *result, size_t *result_len)
{
    struct job job;

    if (arg_len != sizeof job || *result_len < sizeof(long))
        return pool_fail("task: wrong sizes");
    memcpy(&job, arg, sizeof job);
    say("worker %-6ld  task %d  start", (long)getpid(), job.index);
    pace(job.seconds);          /* the work: slow enough to press Ctrl-C */
    long value = (long)job.index * job.index;
    /* Before the result goes back: a task the parent lists as finished has
     * always printed this line first. */
    say("worker %-6ld  task %d  done -> %ld", (long)getpid(), job.index, value);
    memcpy(result, &value, sizeof value);
    *result_len = sizeof value;
    return 0;
}

/* "0 1 2" into list: the tasks i for which want(i) (or "none"). */
static void task_list(char *list, size_t n, pool_result **h, int tasks, int want)
{
    size_t at = 0;

    list[0] = '\0';
    for (int i = 0; i < tasks && at + 8 < n; i++)
        if ((pool_get(h[i], 0) == POOL_OK) == want)
            at += (size_t)snprintf(list + at, n - at, " %d", i);
    if (at == 0)
        snprintf(list, n, " none");
}

/* Die of the signal itself: a shell (or a script's loop) then knows the
 * program was interrupted, not that it failed. */
static int die_of(int sig)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, sig);
    if (signal(sig, SIG_DFL) == SIG_ERR || sigprocmask(SIG_UNBLOCK, &set, NULL) == -1)
        die("signal");
    raise(sig);
    return 128 + sig;           /* not reached: the signal ends the process */
}

int main(int argc, char *argv[])
{
    long workers = 3, tasks = 9;
    double seconds = 1.0;
    int opt, naive = 0;
    struct sigaction sa;

    prog_init(argc, argv, "[-n WORKERS] [-c TASKS] [-t SECONDS] [-m clean|naive]\n"
              "  -n WORKERS       worker processes in the pool (default 3)\n"
              "  -c TASKS         tasks handed to the pool (default 9)\n"
              "  -t SECONDS       how long each task works, times WORKBOOK_PACE (default 1)\n"
              "  -m clean|naive   workers ignore SIGINT, or keep its default (default clean)\n"
              "Python: Pool(initializer=ignore SIGINT), terminate() on KeyboardInterrupt "
              "(twin: pool_interrupt.py)");
    while ((opt = get_option(argc, argv, "n:c:t:m:")) != -1) {
        if (opt == 'n')
            workers = arg_long(optarg, opt, 1, 64);
        else if (opt == 'c')
            tasks = arg_long(optarg, opt, 1, 1000);
        else if (opt == 't')
            seconds = arg_double(optarg, opt, 0, 3600);
        else if (strcmp(optarg, "clean") == 0 || strcmp(optarg, "naive") == 0)
            naive = strcmp(optarg, "naive") == 0;
        else
            usage_error("-m wants one of clean, naive, not '%s'", optarg);
    }
    no_operands(argc, argv);

    /* No SA_RESTART (poll is never restarted anyway): the wait for results
     * returns EINTR, and the parent looks at stop_signal. */
    parent_pid = getpid();
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
        die("sigaction");

    pool *p = pool_create_with((int)workers, naive ? NULL : ignore_sigint, NULL);
    if (p == NULL)
        die("pool_create_with");
    say("parent %-6ld  Pool(%ld), %ld tasks; workers %s; press Ctrl-C while they run",
        (long)parent_pid, workers, tasks, naive ? "keep SIGINT's default (naive)"
        : "ignore SIGINT (initializer)");

    pool_result **h = calloc((size_t)tasks, sizeof *h);
    pool_result **waiting = calloc((size_t)tasks, sizeof *waiting);
    if (h == NULL || waiting == NULL)
        die("calloc");
    for (int i = 0; i < tasks; i++) {
        struct job job;
        memset(&job, 0, sizeof job);        /* padding too: it travels */
        job.index = i;
        job.seconds = seconds;
        if ((h[i] = waiting[i] = pool_apply_async(p, task, &job, sizeof job)) == NULL)
            die("pool_apply_async");
    }

    /* Take each result as it comes, until all are in or a signal came. */
    size_t left = (size_t)tasks;
    while (left > 0 && stop_signal == 0) {
        int i = pool_wait_any(waiting, left, -1);
        if (i == -1 && errno == EINTR)
            continue;                   /* the handler ran: look at the flag */
        if (i == -1)
            die("pool_wait_any");
        waiting[i] = waiting[--left];   /* done: out of the set */
    }

    char list[SAY_MAX / 2];
    if (stop_signal == 0) {
        pool_close(p);
        int unseen = pool_join(p);
        task_list(list, sizeof list, h, (int)tasks, 1);
        say("parent %-6ld  no Ctrl-C: finished:%s", (long)parent_pid, list);
        task_list(list, sizeof list, h, (int)tasks, 0);
        say("parent %-6ld  failed:%s; join() returned %d", (long)parent_pid, list, unseen);
        pool_free(p);
        free(h);
        free(waiting);
        if (stop_signal != 0) {         /* it came after the last result */
            say("parent %-6ld  got %s after the last result; all workers reaped; now dying "
                "of it (%d)", (long)parent_pid, signal_name(stop_signal), 128 + stop_signal);
            return die_of(stop_signal);
        }
        return unseen == 0 ? 0 : 1;
    }

    /* Stop: no task is handed out any more; SIGTERM to every worker, and
     * each is reaped. An answer already sent is still taken in. */
    int sig = stop_signal;
    pool_terminate(p);
    say("parent %-6ld  got %s; terminate(): no more tasks, SIGTERM to the workers, all reaped",
        (long)parent_pid, signal_name(sig));
    task_list(list, sizeof list, h, (int)tasks, 1);
    say("parent %-6ld  finished (result in hand):%s", (long)parent_pid, list);
    int unstarted = 0;
    for (int i = 0; i < tasks; i++) {
        const char *why = pool_result_error(h[i]);
        if (why != NULL && strstr(why, "before this task started") != NULL)
            unstarted++;
        else if (why != NULL)
            say("parent %-6ld  task %d  cut off: %s", (long)parent_pid, i, why);
    }
    say("parent %-6ld  never started: %d task%s; replaced workers: %d", (long)parent_pid,
        unstarted, unstarted == 1 ? "" : "s", pool_replaced(p));
    say("parent %-6ld  all workers reaped; now dying of %s, as the shell expects (%d)",
        (long)parent_pid, signal_name(sig), 128 + sig);
    pool_free(p);
    free(h);
    free(waiting);

    return die_of(sig);
}
