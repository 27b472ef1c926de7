/* subprocess_group.c - stopping a whole tree of processes: a command that
 * starts children of its own, `sh -c 'sleep 30 & ... wait'`.
 *
 * kill(pid, sig) reaches ONE process. Kill the shell alone and its two
 * sleeps run on, orphans, re-parented to init or a subreaper (part 1).
 * A process group collects the tree: the sleeps inherit the shell's group,
 * and kill(-pgid, sig) (killpg(), os.killpg()) reaches every member.
 * Two ways to give a command a group of its own: setpgid(0, 0) (Python's
 * process_group=0, 3.11) keeps our session, and so our terminal; setsid()
 * (start_new_session=True) makes a new session too, with no controlling
 * terminal at all (part 2). Either way the terminal's Ctrl-C, which goes
 * to its FOREGROUND group only, ours, no longer reaches the command: we
 * catch SIGINT and SIGTERM and pass them on to the group ourselves.
 *
 * How do we know the whole tree has ended? The command's stdout is a pipe
 * to us; the sleeps inherit it. End of file comes when the last process
 * holding its write end has gone: the whole tree, whoever reaps it.
 *
 * Python:  p = Popen(cmd, stdout=PIPE, process_group=0); p.terminate()
 *          p = Popen(cmd, stdout=PIPE, start_new_session=True)
 *          os.killpg(p.pid, signal.SIGTERM)           (subprocess_group.py)
 * Usage:   ./subprocess_group [-t SECONDS]
 *          -t: how long each sleep lasts (default 30): long enough to
 *          outlast the demo, which ends them. Only a kill -9 of this
 *          program leaves them to end by themselves.
 * Look for: after kill() of sh, "still running" for both sleeps; after
 * kill(-pgid), end of file: nothing of the tree is left. The group ids and
 * session ids: the same session in part 1, a new one in part 2.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "command.h"

static char script[80];         /* sleep 30 & echo $!; sleep 30 & echo $!; wait */
static char *command[] = { "sh", "-c", script, NULL };

struct tree {
    pid_t pid;                  /* the shell; 0 once reaped */
    pid_t group;                /* its process group: its pid; 0 once all gone */
    int out;                    /* the read end of the tree's stdout; -1 at EOF */
};
static struct tree tree = { 0, 0, -1 };
static volatile sig_atomic_t stop_signal = 0;

/* No SA_RESTART: a read() or waitpid() that was waiting returns EINTR,
 * and the loop around it looks at stop_signal. */
static void on_stop(int sig)
{
    stop_signal = sig;
}

static void set_action(int sig, void (*action)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = action;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) == -1)
        die("sigaction");
}

static void check_stop(void);

/* One line of the tree's output (a pid); false at end of file. */
static bool read_line(char *buf, size_t size)
{
    size_t len = 0;

    while (len + 1 < size) {
        ssize_t n = read(tree.out, buf + len, 1);       /* one byte: no more */

        if (n == -1 && errno == EINTR) {
            check_stop();
            continue;
        }
        if (n == -1)
            die("read");
        if (n == 0 || buf[len] == '\n')
            break;
        len++;
    }
    buf[len] = '\0';
    return len > 0;
}

/* Read to end of file: every process that held the pipe has exited. */
static void until_gone(void)
{
    char buf[64];
    ssize_t n;

    while ((n = read(tree.out, buf, sizeof buf)) != 0) {
        if (n == -1 && errno != EINTR)
            die("read");
        check_stop();
    }
    if (close(tree.out) == -1)
        die("close");
    tree.out = -1;
    tree.group = 0;             /* its id may now be reused: never signal it */
}

static const char *ending(int code)    /* exit code 3, or -15 (SIGTERM) */
{
    static char text[48];

    if (code < 0)
        snprintf(text, sizeof text, "exit code %d (%s)", code, signal_name(-code));
    else
        snprintf(text, sizeof text, "exit code %d", code);
    return text;
}

static int reap_shell(void)
{
    int status;

    while (waitpid(tree.pid, &status, 0) == -1) {
        if (errno != EINTR)
            die("waitpid");
        check_stop();
    }
    tree.pid = 0;
    return exitcode_of(status);
}

/* SIGINT or SIGTERM came: SIGKILL to the command's group (nothing there can
 * ignore it: background jobs of sh ignore SIGINT), wait for end of file,
 * reap the shell, then die of the same signal (status 128 + N). */
static void check_stop(void)
{
    int sig = stop_signal;

    if (sig == 0)
        return;
    stop_signal = 0;            /* once: the waits below may be interrupted */
    set_action(SIGINT, SIG_IGN);
    set_action(SIGTERM, SIG_IGN);
    say("Got %s: SIGKILL to the command's process group", signal_name(sig));
    /* ESRCH: no such group yet, if the child has not called setsid() yet
     * (then it has no children either): kill it alone. (Never kill(0):
     * that would be OUR group.) */
    if (tree.group != 0 && kill(-tree.group, SIGKILL) == -1
        && (errno != ESRCH || (tree.pid != 0 && kill(tree.pid, SIGKILL) == -1)))
        die("kill");
    if (tree.out != -1)
        until_gone();
    if (tree.pid != 0)
        (void)reap_shell();
    say("Nothing of the tree is left; reaped the shell");
    set_action(sig, SIG_DFL);
    raise(sig);
}

/* fork; the child takes a group (session: and a session) of its own, makes
 * the pipe its stdout, and becomes sh. Returns once sh has printed its two
 * sleeps' pids: they exist, and are in its group. */
static void start_tree(bool session, pid_t sleeps[2])
{
    int fds[2];
    char line[32];
    pid_t pid;

    cloexec_pipe(fds);
    if ((pid = fork()) == -1)
        die("fork");
    if (pid == 0) {
        if (session ? setsid() == -1 : setpgid(0, 0) == -1)
            die_child(session ? "setsid" : "setpgid");
        if (dup2(fds[1], STDOUT_FILENO) == -1)
            die_child("dup2");
        set_action(SIGPIPE, SIG_DFL);   /* as Python's restore_signals */
        execvp(command[0], command);    /* SIGINT, SIGTERM: caught, so reset */
        die_child("exec %s", command[0]);
    }
    /* setpgid in the parent too (APUE 9.4): whichever runs first, the group
     * exists when either goes on. EACCES: the child has exec'd, and did it. */
    if (!session && setpgid(pid, pid) == -1 && errno != EACCES)
        die("setpgid");
    tree.pid = tree.group = pid;
    if (close(fds[1]) == -1)    /* ours: or end of file would never come */
        die("close");
    tree.out = fds[0];
    for (int i = 0; i < 2; i++) {
        if (!read_line(line, sizeof line))
            fatal("sh ended before it said its children's pids");
        sleeps[i] = (pid_t)strtol(line, NULL, 10);
    }
    say("   sh, pid %ld: process group %ld (ours: %ld), session %ld (ours: %ld)",
        (long)pid, (long)getpgid(pid), (long)getpgrp(), (long)getsid(pid), (long)getsid(0));
    say("   its children: sleep %ld, sleep %ld", (long)sleeps[0], (long)sleeps[1]);
    pace(1);                    /* time to look: ps -o pid,pgid,sid,tty,comm */
    check_stop();
}

int main(int argc, char *argv[])
{
    char shown[REPR_MAX];
    pid_t sleeps[2];
    long seconds = 30;
    int code;

    prog_init(argc, argv, "[-t SECONDS]\n"
              "  -t SECONDS  how long each of the shell's two sleeps lasts (default 30)\n"
              "Python: Popen(process_group=0 | start_new_session=True), os.killpg "
              "(twin: subprocess_group.py)");
    while (get_option(argc, argv, "t:") != -1)
        seconds = arg_long(optarg, 't', 1, 3600);
    no_operands(argc, argv);
    snprintf(script, sizeof script, "sleep %ld & echo $!; sleep %ld & echo $!; wait",
             seconds, seconds);
    (void)mark_inherited_cloexec();     /* sh gets 0, 1, 2 only */
    set_action(SIGINT, on_stop);
    set_action(SIGTERM, on_stop);

    say("Command: %s", repr_argv(command, shown, sizeof shown));
    say("1. process_group=0 (setpgid): a group of its own, in our session; kill() the shell");
    start_tree(false, sleeps);
    if (kill(tree.pid, SIGTERM) == -1)
        die("kill");
    code = reap_shell();
    say("   kill(%ld, SIGTERM), the shell alone: %s, reaped", (long)tree.group, ending(code));
    /* The sleeps have not ended: their write ends keep our pipe open, and
     * their group keeps its id (POSIX reuses no pid while its group has a
     * member), so kill(-group) below cannot hit anybody else. */
    for (int i = 0; i < 2; i++)
        say("   sleep %ld: %s", (long)sleeps[i], kill(sleeps[i], 0) == 0
            ? "still running, an orphan now" : "gone");
    pace(1);
    check_stop();
    if (kill(-tree.group, SIGTERM) == 0)
        say("   kill(-%ld, SIGTERM), the whole group (os.killpg): the rest of it",
            (long)tree.group);
    else if (errno == ESRCH)    /* a short -t: the sleeps ended on their own */
        say("   kill(-%ld, SIGTERM): ESRCH, nobody left in the group", (long)tree.group);
    else
        die("kill");
    until_gone();
    say("   end of file on their stdout: every process of the tree has ended");

    say("2. start_new_session=True (setsid): a session and a group of its own; kill the group");
    start_tree(true, sleeps);
    if (kill(-tree.group, SIGTERM) == -1)   /* sh is ours, unreaped: the group exists */
        die("kill");
    say("   kill(-%ld, SIGTERM), the whole group: sh and both sleeps at once", (long)tree.group);
    until_gone();
    code = reap_shell();
    say("   sh: %s, reaped; end of file: every process of the tree has ended", ending(code));
    check_stop();               /* one that came during the last wait */
    return 0;
}
