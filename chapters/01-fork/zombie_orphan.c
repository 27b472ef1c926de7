/* zombie_orphan.c - a child that has ended but is not yet reaped (a zombie),
 * and a child whose parent ended first (an orphan).
 *
 * Zombie: the child exits at once. waitid(..., WEXITED | WNOWAIT) tells the
 * parent that it has ended WITHOUT reaping it, so for a while it stays in
 * the process table: its pid is still taken (kill(pid, 0) succeeds) and
 * ps shows its state as Z. Only waitpid() lets it go.
 *
 * Orphan: a middle process forks a grandchild and exits. The grandchild's
 * parent is gone, so the kernel gives it a new one: init (pid 1), or the
 * nearest ancestor that asked to be a "subreaper" (systemd, a container's
 * init, some terminals). The grandchild watches getppid() change.
 *
 * Python:  os.fork and os.waitid in Python (zombie_orphan.py); a Process
 *          that is never joined stays a zombie until the next
 *          Process.start(), active_children() or is_alive() reaps it.
 * Usage:   ./zombie_orphan [-t SECONDS]   (-t: how long the zombie is kept
 *          around for you to look at it with ps, scaled by WORKBOOK_PACE)
 * Look for: state Z before reaping; the orphan's parent changes from the
 * middle process to another pid. Do not expect 1: it may be a subreaper.
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
#include <time.h>
#include <unistd.h>

#include "common.h"

/* The process's state letter from /proc/PID/stat ('Z' for a zombie), or 0
 * where there is no /proc (it is Linux's, not POSIX's: ps works anywhere). */
static char proc_state(pid_t pid)
{
    char path[64], text[256], *paren;
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    /* "PID (COMMAND) STATE ...": the command may hold spaces, so look for
     * the last ')'. */
    paren = strrchr(text, ')');
    return (paren != NULL && paren[1] == ' ') ? paren[2] : 0;
}

static void zombie(double look_seconds)
{
    siginfo_t info;
    char state;
    pid_t pid = fork();

    if (pid == -1)
        die("fork");
    if (pid == 0)
        _exit(7);               /* the child ends at once */

    /* Wait until the child has ended, but leave it unreaped (WNOWAIT). */
    memset(&info, 0, sizeof info);
    while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) == -1)
        if (errno != EINTR)
            die("waitid");
    say("zombie: child %ld has exited with status %d; not reaped yet",
        (long)pid, info.si_status);

    if (kill(pid, 0) == 0)      /* signal 0: only checks that the pid exists */
        say("zombie: kill(%ld, 0) succeeds: its pid is still taken", (long)pid);
    else
        die("kill %ld, 0", (long)pid);
    state = proc_state(pid);
    if (state != 0)
        say("zombie: its state in /proc/%ld/stat is %c%s", (long)pid, state,
            state == 'Z' ? " (zombie)" : "");
    else
        say("zombie: no /proc here; `ps -o pid,stat,comm -p %ld` shows Z", (long)pid);
    if (look_seconds > 0 && pace_factor() > 0)
        say("zombie: look at it now: ps -o pid,stat,comm -p %ld", (long)pid);
    pace(look_seconds);

    if (waitpid(pid, NULL, 0) == -1)    /* reap it: now the pid is free */
        die("waitpid");
    say("zombie: reaped child %ld with waitpid(); it is gone", (long)pid);
}

/* The grandchild: wait (bounded) until the kernel has given us a new
 * parent, and report both. Polling is the portable way to watch getppid().
 * The first parent's pid comes from the middle process itself: a first
 * getppid() here could already see the new parent, if the middle exited
 * before we ran. */
static void orphan(pid_t first, int report_fd)
{
    pid_t now = getppid();
    struct timespec tick = { 0, 1000000 };     /* 1 ms */

    for (int i = 0; i < 10000 && now == first; i++) {
        nanosleep(&tick, NULL);
        now = getppid();
    }
    if (now == first)
        die_child("orphan: my parent %ld did not exit within 10 s", (long)first);
    say("orphan: pid %ld, parent was %ld, is now %ld (%s)", (long)getpid(),
        (long)first, (long)now,
        now == 1 ? "init" : "a subreaper, not init");
    /* Tell the original program who we are and who adopted us. */
    pid_t ids[2] = { getpid(), now };
    if (write_all(report_fd, ids, sizeof ids) == -1)
        die_child("write");
}

int main(int argc, char *argv[])
{
    double look = 2.0;
    int opt, report[2];
    pid_t middle, ids[2];
    ssize_t got;
    char byte;

    prog_init(argc, argv, "[-t SECONDS]\n"
              "  -t SECONDS  how long the zombie is kept for ps, times WORKBOOK_PACE (default 2)\n"
              "Python: os.fork, os.waitid with WNOWAIT, os.getppid (twin: zombie_orphan.py)");
    while ((opt = get_option(argc, argv, "t:")) != -1)
        look = arg_double(optarg, opt, 0, 60);
    no_operands(argc, argv);

    zombie(look);

    say("orphan: main program is %ld", (long)getpid());
    if (pipe(report) == -1)
        die("pipe");
    middle = fork();
    if (middle == -1)
        die("fork");
    if (middle == 0) {
        pid_t grandchild, me = getpid();

        if (close(report[0]) == -1)
            die_child("close");
        grandchild = fork();
        if (grandchild == -1)
            die_child("fork");
        if (grandchild == 0) {
            orphan(me, report[1]);
            _exit(0);
        }
        say("orphan: middle %ld exits, leaving its child %ld behind",
            (long)getpid(), (long)grandchild);
        _exit(0);
    }
    /* Only the grandchild holds a write end now. */
    if (close(report[1]) == -1)
        die("close");

    if (waitpid(middle, NULL, 0) == -1)         /* reap the middle process */
        die("waitpid");

    /* Wait for the orphan's report; EOF without it means it failed. We must
     * not exit before the orphan ends: a program leaves nothing running. */
    got = read_full(report[0], ids, sizeof ids);
    if (got == -1)
        die("read");
    if (got != (ssize_t)sizeof ids)
        fatal("the orphan ended without reporting");
    if (read_full(report[0], &byte, 1) == -1)    /* EOF: the orphan has exited */
        die("read");
    if (close(report[0]) == -1)
        die("close");

    /* Where we are its subreaper, the orphan is our child now: reap it. */
    if (ids[1] == getpid() && waitpid(ids[0], NULL, 0) == -1)
        die("waitpid");
    say("orphan: %ld has ended; its new parent %ld reaps it, not us",
        (long)ids[0], (long)ids[1]);
    return 0;
}
