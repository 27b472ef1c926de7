/* process_workers.c - several workers at once: each has a pid and a name,
 * and the parent asks whether each is alive, then joins them all.
 *
 * Python numbers its Process objects Process-1, Process-2, ... as they are
 * created; we do the same. is_alive() must not use kill(pid, 0): that
 * succeeds for a zombie too. The honest question is waitpid(pid, WNOHANG):
 * 0 means still running; the pid means it has ended (and is now reaped).
 *
 * Python:  [Process(target=count, args=(i,)) for i in ...], start, join,
 *          is_alive(), os.cpu_count()   (process_workers.py)
 * Usage:   ./process_workers [-n WORKERS] [-c COUNT]
 * Look for: every worker counts to COUNT; after its join, is_alive is
 * false and exitcode 0. Racy: the order in which the workers' lines
 * interleave, and is_alive right after start (a quick worker may be done).
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

struct worker {
    char name[32];
    pid_t pid;
    bool ended;
    int exitcode;
};

static void count(const char *name, long times)
{
    for (long i = 1; i <= times; i++) {
        say("%-10s (%ld): count %ld/%ld", name, (long)getpid(), i, times);
        pace(0.5);
    }
}

/* is_alive(): ask without blocking. waitpid reaps the child if it ended. */
static bool is_alive(struct worker *w)
{
    int status;
    pid_t r;

    if (w->ended)
        return false;
    while ((r = waitpid(w->pid, &status, WNOHANG)) == -1)
        if (errno != EINTR)
            die("waitpid %ld", (long)w->pid);
    if (r == 0)
        return true;            /* still running */
    w->ended = true;
    w->exitcode = exitcode_of(status);
    return false;
}

static void join(struct worker *w)
{
    if (!w->ended) {
        w->exitcode = join_child(w->pid);
        w->ended = true;
    }
}

int main(int argc, char *argv[])
{
    long workers = 3, times = 3;
    struct worker *w;
    int opt;

    prog_init(argc, argv, "[-n WORKERS] [-c COUNT]\n"
              "  -n WORKERS  worker processes, all running at once (default 3)\n"
              "  -c COUNT    how far each worker counts, 0.5 s a step (default 3)\n"
              "Python: multiprocessing.Process, is_alive, join, os.cpu_count "
              "(twin: process_workers.py)");
    while ((opt = get_option(argc, argv, "n:c:")) != -1) {
        if (opt == 'n')
            workers = arg_long(optarg, opt, 1, 64);
        else
            times = arg_long(optarg, opt, 1, 1000);
    }
    no_operands(argc, argv);

    w = calloc((size_t)workers, sizeof *w);
    if (w == NULL)
        die("calloc");
    long online = cpu_count();  /* common/proc.c: sysconf, where it exists */
    say("%-10s (%ld): %ld CPUs online, starting %ld workers", "main",
        (long)getpid(), online, workers);

    for (long i = 0; i < workers; i++) {
        snprintf(w[i].name, sizeof w[i].name, "Process-%ld", i + 1);
        w[i].pid = fork();
        if (w[i].pid == -1)
            die("fork");
        if (w[i].pid == 0) {
            count(w[i].name, times);
            free(w);            /* the child's copy: valgrind counts it too */
            _exit(0);
        }
        say("%-10s (%ld): started %s, pid %ld, is_alive = %s", "main",
            (long)getpid(), w[i].name, (long)w[i].pid,
            is_alive(&w[i]) ? "true" : "false");
    }

    for (long i = 0; i < workers; i++) {
        join(&w[i]);
        say("%-10s (%ld): joined %s: is_alive = %s, exitcode = %d", "main",
            (long)getpid(), w[i].name, is_alive(&w[i]) ? "true" : "false",
            w[i].exitcode);
    }
    free(w);
    return 0;
}
