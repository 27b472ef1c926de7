/* daemon_demo.c - a daemonic child is stopped when its parent ends; a
 * normal child is waited for.
 *
 * Python's Process(daemon=True) is a flag on the CHILD, set before start().
 * When the Python program ends, multiprocessing terminates its daemonic
 * children (SIGTERM) and joins the rest. The kernel does none of this: a C
 * program that just returns from main leaves both children running as
 * orphans. So here the "at exit" step is written out, as Python does it.
 *
 * The daemon's work is to wait until it is told to stop: it blocks reading
 * a pipe whose only write end the parent holds. It would print its last
 * line only on end-of-file, which comes only if the parent vanishes
 * without stopping it (-k: the parent kills itself with SIGKILL, as a
 * crash would; then the daemon is orphaned, not stopped, and notices).
 *
 * Python:  Process(target=..., daemon=True)   (daemon_demo.py)
 * Usage:   ./daemon_demo [-c STEPS] [-k]
 * Look for: the worker's "finished" line before "main: exit"; the daemon
 * never prints its last line (except with -k). Racy: how the worker's and
 * the daemon's first lines interleave with main's.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static void daemon_main(int stop_fd)
{
    char byte;
    ssize_t n;

    say("daemon (%ld): started, working until told to stop", (long)getpid());
    n = read_full(stop_fd, &byte, 1);   /* blocks: the parent never writes */
    if (n == -1)
        die_child("read");
    /* EOF: every write end is closed, so the parent is gone. */
    say("daemon (%ld): last line: my parent is gone and nobody stopped me",
        (long)getpid());
}

static void worker_main(long steps)
{
    for (long i = 1; i <= steps; i++) {
        pace(0.5);
        say("worker (%ld): step %ld/%ld", (long)getpid(), i, steps);
    }
    say("worker (%ld): finished", (long)getpid());
}

int main(int argc, char *argv[])
{
    long steps = 3;
    bool crash = false;
    int opt, stop[2];
    pid_t daemon, worker;

    prog_init(argc, argv, "[-c STEPS] [-k]\n"
              "  -c STEPS  steps of the normal worker, 0.5 s each (default 3)\n"
              "  -k        the parent kills itself with SIGKILL: nobody stops the daemon\n"
              "Python: Process(daemon=True), and what multiprocessing does at exit "
              "(twin: daemon_demo.py)");
    while ((opt = get_option(argc, argv, "c:k")) != -1) {
        if (opt == 'c')
            steps = arg_long(optarg, opt, 1, 100);
        else
            crash = true;
    }
    no_operands(argc, argv);

    if (pipe(stop) == -1)
        die("pipe");

    daemon = fork();
    if (daemon == -1)
        die("fork");
    if (daemon == 0) {
        /* Only the read end: or we would wait for our own write end. */
        if (close(stop[1]) == -1)
            die_child("close");
        daemon_main(stop[0]);
        _exit(0);
    }
    if (close(stop[0]) == -1)
        die("close");

    worker = fork();
    if (worker == -1)
        die("fork");
    if (worker == 0) {
        /* Only the parent may hold the write end. */
        if (close(stop[1]) == -1)
            die_child("close");
        worker_main(steps);
        _exit(0);
    }

    say("main   (%ld): started daemon %ld and worker %ld", (long)getpid(),
        (long)daemon, (long)worker);
    pace(0.3);
    say("main   (%ld): main work done", (long)getpid());

    if (crash) {
        say("main   (%ld): crashing with SIGKILL: nobody stops the daemon",
            (long)getpid());
        raise(SIGKILL);
    }

    /* What Python does at exit: terminate daemonic children, then join
     * the others. */
    say("main   (%ld): at exit: terminating daemon %ld", (long)getpid(), (long)daemon);
    if (kill(daemon, SIGTERM) == -1)
        die("kill");
    if (waitpid(daemon, NULL, 0) == -1)
        die("waitpid");
    say("main   (%ld): at exit: joining worker %ld", (long)getpid(), (long)worker);
    if (waitpid(worker, NULL, 0) == -1)
        die("waitpid");
    /* Only now: the daemon is dead, it sees no EOF. */
    if (close(stop[1]) == -1)
        die("close");
    say("main   (%ld): exit", (long)getpid());
    return 0;
}
