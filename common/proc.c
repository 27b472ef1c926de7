/* proc.c - start a child running a function, join it. Chapter 02
 * (process_demo) teaches these few lines; later chapters call them.
 * SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
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
