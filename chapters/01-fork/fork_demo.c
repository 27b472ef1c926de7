/* fork_demo.c - fork() is called once and returns twice.
 *
 * The parent prints its pid and forks. fork() returns 0 in the child and
 * the child's pid in the parent; each side says who it is and who the other
 * is. The parent waits for the child, so the child's getppid() is the
 * parent's pid (it would change if the parent ended first: see
 * zombie_orphan).
 *
 * Python:  pid = os.fork()   (fork_demo.py)
 * Usage:   ./fork_demo [-n CHILDREN]
 * Look for: the start line comes first; the child's "my parent is" equals
 * the parent's pid, and the parent's "created a child" equals the child's
 * pid. Racy: whether the parent's line or the child's comes first.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char *argv[])
{
    long children = 1;
    int opt;

    prog_init(argc, argv, "[-n CHILDREN]\n"
              "  -n CHILDREN  child processes the parent forks (default 1)\n"
              "Python: os.fork (twin: fork_demo.py)");
    while ((opt = get_option(argc, argv, "n:")) != -1)
        children = arg_long(optarg, opt, 1, 64);
    no_operands(argc, argv);

    say("Process (%ld) start...", (long)getpid());

    for (long i = 0; i < children; i++) {
        pid_t pid = fork();     /* from here on, two processes run this code */

        if (pid == -1)
            die("fork");
        if (pid == 0) {
            /* fork() returned 0: this is the child. */
            say("I am child process (%ld) and my parent is %ld.",
                (long)getpid(), (long)getppid());
            _exit(0);           /* leave now: the loop below is the parent's */
        }
        /* fork() returned the child's pid: this is the parent. */
        say("I (%ld) just created a child process (%ld).",
            (long)getpid(), (long)pid);
    }

    /* Reap every child: until then each one is a zombie (see zombie_orphan),
     * and while we wait, each child's parent is still us. */
    for (long i = 0; i < children; i++) {
        if (wait(NULL) == -1)
            die("wait");
    }
    return 0;
}
