/* start_fork.c - the fork start method: the child is a copy of its parent.
 *
 * fork() copies the whole process: its memory (globals included, with the
 * values they have at that moment), its open descriptors, its signal
 * handlers. Python's "fork" start method is exactly this: the child runs
 * the target in a copy of the parent, so nothing has to be sent to it. The
 * parent here changes a global just before it starts the children, and
 * each child reports the value it sees, computes its task and writes the
 * answer to a pipe that the PARENT opened: the child inherited it.
 *
 * Python:  ctx = multiprocessing.get_context("fork")
 *          ctx.Process(target=square, args=(k, conn)).start()
 *          (start_fork.py)
 * Usage:   ./start_fork [-n CHILDREN]
 * Look for: every child sees "setting = 2", the parent's change made just
 *          before fork(); each answer comes back on a descriptor the child
 *          never opened. Racy: the order of the children's lines.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define MAX_CHILDREN 16

/* The global of the lesson: 1 in the program file; the parent sets it to 2
 * before it starts the children. */
static int setting = 1;

struct answer {                 /* what a child writes back */
    int setting;                /* the value of the global it saw */
    long result;                /* square(k) */
};

static volatile sig_atomic_t stop_signal;       /* as in chapter 07 */

static void on_stop(int sig)
{
    stop_signal = sig;
}

static void handle_stops(void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;    /* no SA_RESTART: a wait is interrupted */
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
        die("sigaction");
}

static long square(long k)
{
    return k * k;
}

/* The child: nothing was sent to it. It has the parent's globals as they
 * were at fork(), and the parent's open descriptors, answer_fd among them. */
static void child(long k, int answer_fd)
{
    struct answer a;
    char role[16];

    memset(&a, 0, sizeof a);    /* the padding too: every byte we write is set */
    a.setting = setting;

    snprintf(role, sizeof role, "child %ld", k);
    say("%-9s %-6ld  setting = %d (%s)", role, (long)getpid(), setting,
        setting == 2 ? "the parent's change IS here: I am its copy" : "not the parent's value?");
    pace(0.5);                  /* the work */
    a.result = square(k);
    say("%-9s %-6ld  square(%ld) = %ld, written to descriptor %d, which the parent opened",
        role, (long)getpid(), k, a.result, answer_fd);
    if (write_all(answer_fd, &a, sizeof a) == -1)
        die_child("write");
}

int main(int argc, char *argv[])
{
    long n = 3;
    pid_t pids[MAX_CHILDREN];
    int readers[MAX_CHILDREN];
    long started = 0, good = 0;
    sigset_t stops, old;
    int opt;

    prog_init(argc, argv, "[-n CHILDREN]\n"
              "  -n CHILDREN  child processes, each started with fork() (default 3)\n"
              "Python: multiprocessing.get_context(\"fork\").Process (twin: start_fork.py)");
    while ((opt = get_option(argc, argv, "n:")) != -1)
        n = arg_long(optarg, opt, 1, MAX_CHILDREN);
    no_operands(argc, argv);

    handle_stops(on_stop);
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);

    say("%-9s %-6ld  setting = %d (its value in the program file)", "parent",
        (long)getpid(), setting);
    setting = 2;                /* just before the start: does the child see it? */
    say("%-9s %-6ld  setting = 2 now; starting %ld children with fork()", "parent",
        (long)getpid(), n);

    for (long k = 1; k <= n && stop_signal == 0; k++) {
        int fds[2];

        if (pipe(fds) == -1)    /* the child's answer comes back on it */
            die("pipe");
        /* Signals blocked across fork(): the child must not run our handler
         * (it puts back the default first). Chapter 07 says why. */
        if (sigprocmask(SIG_BLOCK, &stops, &old) == -1)
            die("sigprocmask");
        pids[started] = fork();
        if (pids[started] == -1)
            die("fork");
        if (pids[started] == 0) {
            handle_stops(SIG_DFL);
            if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
                die_child("sigprocmask");
            close(fds[0]);      /* the child only writes */
            for (long j = 0; j < started; j++)
                close(readers[j]);      /* its elder siblings' pipes: not its own */
            child(k, fds[1]);
            _exit(0);           /* not the parent's code, not its stdio buffers */
        }
        close(fds[1]);          /* ours is the read end: EOF once the child ends */
        readers[started++] = fds[0];
        if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
            die("sigprocmask");
    }

    /* Reap each child, then read its answer (it wrote it before it ended,
     * and the pipe keeps it). A stop signal interrupts waitpid: the children
     * not yet reaped get SIGTERM, and are still reaped. */
    for (long i = 0; i < started; i++) {
        struct answer a;
        int status;
        ssize_t got;

        if (waitpid(pids[i], &status, 0) == -1) {
            if (errno != EINTR)
                die("waitpid");
            for (long j = i; j < started; j++)
                if (kill(pids[j], SIGTERM) == -1 && errno != ESRCH)
                    die("kill");
            i--;                /* wait for this one again */
            continue;
        }
        got = read_full(readers[i], &a, sizeof a);
        if (got == -1)
            die("read");
        close(readers[i]);
        if (stop_signal != 0)
            continue;
        if (got != (ssize_t)sizeof a || exitcode_of(status) != 0) {
            say("%-9s %-6ld  child %ld (%ld) gave no answer; exitcode %d", "parent",
                (long)getpid(), i + 1, (long)pids[i], exitcode_of(status));
            continue;
        }
        say("%-9s %-6ld  child %ld (%ld): square(%ld) = %ld (expected %ld), it saw setting = %d",
            "parent", (long)getpid(), i + 1, (long)pids[i], i + 1, a.result, square(i + 1),
            a.setting);
        good += a.result == square(i + 1) && a.setting == 2;
    }

    if (stop_signal != 0) {
        say("%-9s %-6ld  stopped by %s: every child reaped", "parent", (long)getpid(),
            signal_name(stop_signal));
        handle_stops(SIG_DFL);  /* die of it, so that the shell sees how we ended */
        raise(stop_signal);
    }
    say("%-9s %-6ld  self-check: %ld of %ld children saw setting = 2 and answered right: %s",
        "parent", (long)getpid(), good, n, good == n ? "OK" : "FAILED");
    return good == n ? 0 : 1;
}
