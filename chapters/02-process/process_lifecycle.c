/* process_lifecycle.c - a process's life as Python's Process shows it:
 * name, pid, daemon, exitcode, is_alive(), join(timeout), terminate().
 *
 * join(timeout) needs a wait that can give up, and waitpid() cannot. The
 * trick Python itself uses: a "sentinel" pipe. The child holds the only
 * write end; when the child ends, the kernel closes it, and the read end
 * in the parent reports end-of-file. poll() on the read end waits with a
 * timeout. Then waitpid() collects the exit status.
 *
 * terminate() is kill(pid, SIGTERM): the child dies at once, and its
 * cleanup (atexit handlers in C, finally blocks in Python) never runs.
 *
 * Python:  p.join(timeout), p.terminate(), p.exitcode, p.is_alive()
 *          (process_lifecycle.py)
 * Usage:   ./process_lifecycle [-t SECONDS]   (join's timeout, seconds,
 *          scaled by WORKBOOK_PACE)
 * Look for: join(timeout) returns while the sleeper is still alive;
 * exitcode None, then -15 after terminate, 0 and 5 for the others; the
 * sleeper's cleanup never runs; kill(pid, 0) is fooled by a zombie.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define NONE INT_MIN            /* exitcode None: not ended, or not joined */

struct process {
    const char *name;
    void (*target)(void);
    pid_t pid;                  /* 0 until started */
    int sentinel;               /* read end; EOF once the child has ended */
    int exitcode;               /* NONE until reaped */
    bool daemon;                /* Python's flag: only what the program does
                                   at exit with it counts (daemon_demo); the
                                   kernel knows nothing of it */
};

static const char *child_name = "?";    /* for the child's atexit handler */

static void cleanup(void)
{
    say("%-8s (%ld): cleanup ran", child_name, (long)getpid());
}

static void process_start(struct process *p)
{
    int fds[2];

    if (pipe(fds) == -1)
        die("pipe");
    p->pid = fork();
    if (p->pid == -1)
        die("fork");
    if (p->pid == 0) {
        /* The child keeps only the write end. */
        if (close(fds[0]) == -1)
            die_child("close");
        child_name = p->name;
        if (atexit(cleanup) != 0)
            die_child("atexit");
        p->target();
        exit(0);                /* exit, not _exit: we WANT atexit handlers here
                                   (say() leaves no stdio buffer to flush twice) */
    }
    /* The parent keeps only the read end. */
    if (close(fds[1]) == -1)
        die("close");
    p->sentinel = fds[0];
    p->exitcode = NONE;
}

/* Reap the child once it is known to have ended. */
static void reap(struct process *p, int flags)
{
    int status;
    pid_t r;

    while ((r = waitpid(p->pid, &status, flags)) == -1)
        if (errno != EINTR)
            die("waitpid %ld", (long)p->pid);
    if (r == p->pid) {
        p->exitcode = exitcode_of(status);
        if (close(p->sentinel) == -1)
            die("close");
        p->sentinel = -1;
    }
}

/* join(timeout): timeout < 0 waits for ever. Returns either way, like
 * Python's: look at is_alive()/exitcode afterwards. */
static void process_join(struct process *p, double timeout)
{
    struct pollfd pfd = { .fd = p->sentinel, .events = POLLIN };
    int ready;

    if (p->exitcode != NONE)
        return;
    while ((ready = poll(&pfd, 1, timeout < 0 ? -1 : (int)(timeout * 1000))) == -1)
        if (errno != EINTR)
            die("poll");
    if (ready == 1)             /* EOF on the sentinel: the child has ended */
        reap(p, 0);
}

/* is_alive(): waitpid with WNOHANG, never kill(pid, 0) (see below). */
static bool process_is_alive(struct process *p)
{
    if (p->pid == 0 || p->exitcode != NONE)
        return false;
    reap(p, WNOHANG);
    return p->exitcode == NONE;
}

static void show(struct process *p, const char *when)
{
    char pid[24] = "None", code[24] = "None";
    bool alive = process_is_alive(p);  /* first: it may reap the child */

    if (p->pid != 0)
        snprintf(pid, sizeof pid, "%ld", (long)p->pid);
    if (p->exitcode != NONE)
        snprintf(code, sizeof code, "%d", p->exitcode);
    say("%-8s %-28s pid = %-6s exitcode = %-4s daemon = %s is_alive = %s", p->name, when,
        pid, code, p->daemon ? "true" : "false", alive ? "true" : "false");
}

static pid_t parent_pid;        /* the program's pid, noted before any fork */

/* "For ever": until a signal ends us (terminate()), or until our parent is
 * gone without terminating us (Ctrl-C, kill, kill -9): an orphan pausing
 * for ever would be left behind. getppid() changes when the parent dies;
 * polling it is the portable way to notice. */
static void sleep_forever(void)
{
    struct timespec tick = { 0, 100000000 };   /* 0.1 s */

    while (getppid() == parent_pid)
        nanosleep(&tick, NULL);
    _exit(0);                   /* orphaned: leave quietly, no cleanup line */
}

static void finish(void)
{
    pace(0.2);
}

static void fail(void)
{
    exit(5);
}

int main(int argc, char *argv[])
{
    struct process sleeper = { .name = "sleeper", .target = sleep_forever, .exitcode = NONE };
    struct process worker = { .name = "worker", .target = finish, .exitcode = NONE };
    struct process failer = { .name = "failer", .target = fail, .exitcode = NONE };
    struct process zombie = { .name = "zombie", .target = finish, .exitcode = NONE };
    double timeout = 1.0;
    siginfo_t info;
    char label[40];
    int opt;

    prog_init(argc, argv, "[-t SECONDS]\n"
              "  -t SECONDS  the sleeper's join(timeout), times WORKBOOK_PACE (default 1)\n"
              "Python: Process.join(timeout), terminate, exitcode, is_alive "
              "(twin: process_lifecycle.py)");
    while ((opt = get_option(argc, argv, "t:")) != -1)
        timeout = arg_double(optarg, opt, 0, 60);
    no_operands(argc, argv);
    parent_pid = getpid();

    show(&sleeper, "before start():");
    process_start(&sleeper);
    show(&sleeper, "after start():");
    process_join(&sleeper, timeout * pace_factor());
    snprintf(label, sizeof label, "after join(timeout=%g):", timeout);
    show(&sleeper, label);
    if (kill(sleeper.pid, SIGTERM) == -1)       /* terminate() */
        die("kill");
    process_join(&sleeper, -1);
    show(&sleeper, "after terminate(), join():");

    process_start(&worker);
    process_join(&worker, -1);
    show(&worker, "after join():");

    process_start(&failer);
    process_join(&failer, -1);
    show(&failer, "after join():");

    /* The zombie trap: once the child has ended but before it is reaped,
     * kill(pid, 0) still succeeds, so it would call the child alive.
     * waitid(WNOWAIT) waits until it has ended without reaping it. */
    process_start(&zombie);
    while (waitid(P_PID, (id_t)zombie.pid, &info, WEXITED | WNOWAIT) == -1)
        if (errno != EINTR)
            die("waitid");
    say("%-8s %-28s kill(pid, 0) = %d: it would look alive", zombie.name,
        "ended, not yet reaped:", kill(zombie.pid, 0));
    show(&zombie, "is_alive() by waitpid:");
    return 0;
}
