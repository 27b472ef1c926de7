/* proc.c - start a child running a function, join it. Chapter 02
 * (process_demo) teaches these few lines; later chapters call them.
 * SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

pid_t start_child(void (*run)(void *arg), void *arg)
{
    pid_t pid = fork();

    if (pid == -1)
        die("fork");
    if (pid == 0) {
        run(arg);
        _exit(0);       /* never return into the parent's code, never flush its stdio */
    }
    return pid;
}

int exitcode_of(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return -WTERMSIG(status);
    return 0;           /* stopped or continued: not asked for by join_child */
}

int join_child(pid_t pid)
{
    int status;

    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            die("waitpid %ld", (long)pid);
    return exitcode_of(status);
}

int join_all(pid_t *pids, long n)
{
    int failed = 0, status;

    for (long left = n; left > 0;) {
        pid_t pid = waitpid(-1, &status, 0);
        long i = 0;

        if (pid == -1) {
            if (errno == EINTR)
                continue;
            die("waitpid");
        }
        while (i < n && pids[i] != pid)
            i++;
        if (i == n)
            continue;                   /* not one of these */
        pids[i] = 0;                    /* joined: never signalled again */
        left--;
        if (exitcode_of(status) != 0 && failed++ == 0)
            for (long j = 0; j < n; j++)        /* stop the others */
                if (pids[j] > 0)
                    kill(pids[j], SIGTERM);
    }
    return failed;
}

long cpu_count(void)
{
    long n = -1;

#ifdef _SC_NPROCESSORS_ONLN     /* NOT POSIX: Linux, macOS and the BSDs */
    n = sysconf(_SC_NPROCESSORS_ONLN);
#endif
    return n > 0 ? n : 1;       /* the fallback: POSIX has no way to ask */
}
