/* wait_status.c - how a parent learns how its child ended.
 *
 * waitpid() fills in an int "status" that packs either an exit code or a
 * signal number. The W* macros unpack it. The program runs one child per
 * case, one after another, and decodes each status, next to the number
 * Python's Process.exitcode would show for the same ending:
 *
 *   _exit(0)                       WIFEXITED,   WEXITSTATUS 0   exitcode 0
 *   _exit(3)                       WIFEXITED,   WEXITSTATUS 3   exitcode 3
 *   _exit(1): what Python's child does on an uncaught exception    exitcode 1
 *   killed by the parent: SIGTERM  WIFSIGNALED, WTERMSIG 15     exitcode -15
 *   killed by itself: SIGKILL      WIFSIGNALED, WTERMSIG 9      exitcode -9
 *
 * Python:  Process.exitcode (wait_status.py)
 * Usage:   ./wait_status
 * Look for: each case's decoded status. Nothing is racy: each child is
 * reaped before the next one starts.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

enum ending { EXIT_ZERO, EXIT_THREE, EXIT_ONE, KILLED_BY_PARENT, KILLED_ITSELF };

static const char *const descriptions[] = {
    "_exit(0)", "_exit(3)", "_exit(1), as on an uncaught exception",
    "killed by its parent: SIGTERM", "killed by itself: SIGKILL",
};

/* What the child does: end the way the case says. */
static void child(enum ending how, int ready_fd)
{
    switch (how) {
    case EXIT_ZERO:
        _exit(0);
    case EXIT_THREE:
        _exit(3);
    case EXIT_ONE:
        _exit(1);
    case KILLED_BY_PARENT:
        /* Tell the parent we are running, then wait to be killed. Closing
         * the pipe is the signal: the parent's read returns 0 (EOF). */
        if (close(ready_fd) == -1)
            die_child("close");
        for (;;)
            pause();
    case KILLED_ITSELF:
        raise(SIGKILL);
    }
    _exit(99);                  /* not reached */
}

int main(int argc, char *argv[])
{
    prog_init(argc, argv, "\n"
              "Python: multiprocessing.Process.exitcode (twin: wait_status.py)");
    while (get_option(argc, argv, "") != -1)
        ;
    no_operands(argc, argv);

    say("%-38s %-36s %s", "the child ends by", "waitpid() status, decoded", "Python");
    for (enum ending how = EXIT_ZERO; how <= KILLED_ITSELF; how++) {
        int ready[2];
        int status;
        char byte;
        pid_t pid;

        if (pipe(ready) == -1)
            die("pipe");
        pid = fork();
        if (pid == -1)
            die("fork");
        if (pid == 0) {
            if (close(ready[0]) == -1)
                die_child("close");
            child(how, ready[1]);
        }
        /* Keep only the child's copy of the write end. */
        if (close(ready[1]) == -1)
            die("close");

        if (how == KILLED_BY_PARENT) {
            /* Kill the child only once it runs: EOF means it closed the
             * pipe (or died). A signal sent before the child was scheduled
             * would also work; waiting makes the story honest. */
            if (read(ready[0], &byte, 1) == -1)
                die("read");
            if (kill(pid, SIGTERM) == -1)
                die("kill");
        }
        if (close(ready[0]) == -1)
            die("close");

        if (waitpid(pid, &status, 0) == -1)
            die("waitpid");
        if (WIFEXITED(status))
            say("%-38s WIFEXITED   WEXITSTATUS = %2d  exitcode %3d",
                descriptions[how], WEXITSTATUS(status), WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
            say("%-38s WIFSIGNALED WTERMSIG    = %2d  exitcode %3d  (%s)",
                descriptions[how], WTERMSIG(status), -WTERMSIG(status),
                signal_name(WTERMSIG(status)));
        else
            say("%-38s stopped or continued (status %#x)", descriptions[how], (unsigned)status);
    }
    return 0;
}
