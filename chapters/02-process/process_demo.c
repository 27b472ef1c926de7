/* process_demo.c - Process(target, args): start a child running a function,
 * then join it.
 *
 * Python's Process(target=f, args=(x,)) is, underneath, fork() with the
 * child calling f(x) and then exiting; p.join() is waitpid(). Here those
 * are written out. Without join (-J) the parent goes on at once, and its
 * "Child process end." usually comes out BEFORE the child's line: the
 * parent finished its own work first, not the child's.
 *
 * Python:  p = Process(target=run_proc, args=('test',)); p.start(); p.join()
 *          (process_demo.py; common/proc.c keeps these lines as
 *          start_child()/join_child() for the chapters after this one)
 * Usage:   ./process_demo [-J]     (-J: print "end" without joining first)
 * Look for: with join, the child's line comes before "Child process end.".
 * Racy: without join, either order can happen.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

/* The target: what the child runs. */
static void run_proc(const char *name)
{
    pace(0.5);                  /* a little work, so that the order shows */
    say("Run child process %s (%ld)...", name, (long)getpid());
}

int main(int argc, char *argv[])
{
    bool join = true;
    int opt, status;
    pid_t pid;

    prog_init(argc, argv, "[-J]\n"
              "  -J  print \"Child process end.\" without joining the child first\n"
              "Python: multiprocessing.Process, start and join (twin: process_demo.py)");
    while ((opt = get_option(argc, argv, "J")) != -1)
        join = false;
    no_operands(argc, argv);

    say("Parent process %ld.", (long)getpid());
    say("Child process will start.");

    /* p.start(): fork, and the child runs the target, then exits. */
    pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        run_proc("test");
        _exit(0);               /* never fall back into main()'s code */
    }

    /* p.join(): wait for that child to end. */
    if (join && waitpid(pid, &status, 0) == -1)
        die("waitpid");
    say("Child process end.");

    /* Python joins every non-daemonic child when the program ends; C does
     * nothing of the sort: with -J we still must reap the child here, or
     * it would be a zombie until we exit, and could outlive us. */
    if (!join && waitpid(pid, &status, 0) == -1)
        die("waitpid");
    return 0;
}
