/* subprocess_pipeline.c - two commands joined by a pipe, as a shell's
 * `writer | reader`: the writer's stdout is the pipe's write end, the
 * reader's stdin its read end, and we read what the reader prints.
 *
 * We make the pipe, so we hold a copy of each end until we close it. The
 * reader sees end of file only when EVERY copy of the write end is closed:
 * keep ours, and it waits for ever. The writer gets SIGPIPE (and dies of
 * it, as `yes` does) only when every copy of the read end is closed: keep
 * ours, and a writer whose reader has quit blocks for ever on a full pipe.
 * -m leak keeps both copies, bounded: after -t seconds it says which side
 * is stuck, then closes them, and the pipeline ends.
 *
 * Python:  p1 = Popen(writer, stdout=PIPE)
 *          p2 = Popen(reader, stdin=p1.stdout, stdout=PIPE)
 *          p1.stdout.close()   # so that p1 gets SIGPIPE if p2 ends first
 *          out = p2.communicate()[0]                (subprocess_pipeline.py)
 * Usage:   ./subprocess_pipeline [-m close|leak] [-c LINES] [-t SECONDS]
 *              [-- WRITER... '|' READER...]
 *          Default: awk printing LINES lines (-c, default 5) | wc -l.
 * Look for: "| 5" (wc counted every line), then each command's exit code,
 * as Python's returncode. `-- yes '|' head -n 3`: yes dies of SIGPIPE,
 * -13 (a shell says 141). -m leak: "never saw end of file", reported
 * after 1 s; both reaped. Our exit status: the reader's, as a shell's
 * (1 with -m leak once it had to report).
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
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

struct child {
    const char *role;           /* "writer" or "reader" */
    pid_t pid;                  /* 0 once reaped */
    int exitcode;               /* Python's returncode, once reaped */
};

static struct child kids[2] = { { "writer", 0, 0 }, { "reader", 0, 0 } };
static int ends[2] = { -1, -1 };        /* our copies of the pipe's ends */
static int out = -1;                    /* the read end of the reader's stdout */
static int wake[2];             /* the self-pipe: signal handlers write, poll reads */
static volatile sig_atomic_t stop_signal = 0;

/* As in subprocess_timeout: record the signal, write one byte. */
static void on_signal(int sig)
{
    int saved = errno;
    char byte = (char)sig;

    if (sig != SIGCHLD)
        stop_signal = sig;
    if (write(wake[1], &byte, 1) == -1) {
        /* EAGAIN: a wake-up is pending anyway */
    }
    errno = saved;
}

static void set_action(int sig, void (*action)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = action;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = sig == SIGCHLD ? SA_RESTART | SA_NOCLDSTOP : SA_RESTART;
    if (sigaction(sig, &sa, NULL) == -1)
        die("sigaction");
}

static void close_end(int *fd)
{
    if (*fd != -1 && close(*fd) == -1)
        die("close");
    *fd = -1;
}

/* fork, plumb, exec. in and out become the command's stdin and stdout
 * (-1: ours). The parent has SIGINT, SIGTERM and SIGCHLD blocked across
 * the fork, so no handler of ours runs in the child: it puts them back to
 * their default (as exec would), and SIGPIPE too, which may have been
 * ignored by whoever started us (Python ignores it; its Popen puts it back:
 * restore_signals=True). Then it unblocks them. */
static pid_t start(char *const argv[], int in, int to)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGCHLD, SIGPIPE };
    pid_t pid = fork();
    struct sigaction dfl;
    sigset_t none;
    int err;

    if (pid != 0) {
        if (pid == -1)
            die("fork");
        return pid;
    }
    /* dup2's copies are not close-on-exec; every pipe end we made is, so
     * the exec closes them all: the command keeps 0, 1 and 2 only. */
    if ((in != -1 && dup2(in, STDIN_FILENO) == -1)
        || (to != -1 && dup2(to, STDOUT_FILENO) == -1))
        die_child("dup2");
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &dfl, NULL) == -1)
            die_child("sigaction");
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
        die_child("sigprocmask");
    execvp(argv[0], argv);
    err = errno;                /* one thread: say_to is safe here */
    say_to(STDERR_FILENO, "%s: cannot run %s: %s (%s)", prog_name(), argv[0],
           errno_name(err), strerror(err));
    _exit(cannot_run_status(err));      /* 127 or 126, as a shell */
}

/* Asked to stop (Ctrl-C, SIGTERM): the children are in our process group,
 * so Ctrl-C reached them too; SIGTERM came to us alone. Pass it on, close
 * our ends, reap both, then die of the same signal (status 128 + N). */
static noreturn void stop_all(void)
{
    int sig = stop_signal, status;

    say("Got %s: stopping the pipeline", signal_name(sig));
    close_end(&ends[0]);
    close_end(&ends[1]);
    close_end(&out);
    for (int i = 0; i < 2; i++)
        if (kids[i].pid != 0 && kill(kids[i].pid, SIGTERM) == -1)
            die("kill");        /* a zombie can be signalled: no ESRCH */
    for (int i = 0; i < 2; i++)
        while (kids[i].pid != 0 && waitpid(kids[i].pid, &status, 0) == -1)
            if (errno != EINTR)
                die("waitpid");
    say("Reaped the writer and the reader");
    set_action(sig, SIG_DFL);
    raise(sig);
    _exit(128 + sig);           /* not reached: the signal is unblocked */
}

/* Sleep until fd (-1: none) has something to read, a signal came (a child
 * ended, or we are asked to stop), or the deadline (-1: none) is past.
 * Returns fd's revents. */
static short wait_event(int fd, double deadline)
{
    struct pollfd fds[2] = { { .fd = wake[0], .events = POLLIN },
                             { .fd = fd, .events = POLLIN } };
    char drain[64];
    int ms = -1;

    if (deadline >= 0) {
        double left = deadline - now_seconds();
        ms = left <= 0 ? 0 : (int)(left * 1000) + 1;
    }
    if (poll(fds, 2, ms) == -1) {
        if (errno != EINTR)
            die("poll");
        fds[1].revents = 0;
    }
    while (read(wake[0], drain, sizeof drain) > 0)
        ;                       /* non-blocking: empty it */
    if (stop_signal != 0)
        stop_all();
    return fds[1].revents;
}

/* Reap a child if it ends before the deadline (-1: wait as long as it
 * takes). Returns true once reaped. */
static bool reap(struct child *c, double deadline)
{
    for (;;) {
        int status;
        pid_t done = waitpid(c->pid, &status, WNOHANG);

        if (done == -1 && errno != EINTR)
            die("waitpid");
        if (done == c->pid) {
            c->exitcode = exitcode_of(status);
            c->pid = 0;
            return true;
        }
        if (deadline >= 0 && now_seconds() >= deadline)
            return false;
        (void)wait_event(-1, deadline);
    }
}

/* Read the reader's output until end of file or the deadline. */
static void read_output(char **buf, size_t *len, size_t *cap, double deadline)
{
    while (out != -1 && (deadline < 0 || now_seconds() < deadline)) {
        ssize_t n;

        if (wait_event(out, deadline) == 0)
            continue;
        if (*cap - *len < 4096) {
            *cap = *cap * 2 + 4096;
            if ((*buf = realloc(*buf, *cap)) == NULL)
                die("realloc");
        }
        n = read(out, *buf + *len, *cap - *len);
        if (n == -1 && errno != EINTR)
            die("read");
        if (n == 0)
            close_end(&out);    /* end of file: the reader has closed its stdout */
        if (n > 0)
            *len += (size_t)n;
    }
}

static void say_ending(const struct child *c, pid_t pid)
{
    if (c->exitcode < 0)
        say("%s, pid %ld: exit code %d (%s; a shell would show %d)", c->role,
            (long)pid, c->exitcode, signal_name(-c->exitcode), shell_status(c->exitcode));
    else
        say("%s, pid %ld: exit code %d", c->role, (long)pid, c->exitcode);
}

int main(int argc, char *argv[])
{
    static char awk_text[80], *default_command[] = { "awk", awk_text, "|", "wc", "-l", NULL };
    char **command, **reader = NULL, shown[2][REPR_MAX], *buf = NULL;
    double timeout = 1.0, deadline = -1;
    size_t len = 0, cap = 0;
    pid_t pids[2];
    bool leak = false, stuck = false;
    long lines = 5;
    int nopts, opt, cap_pipe[2];
    sigset_t guard, old;

    prog_init(argc, argv, "[-m close|leak] [-c LINES] [-t SECONDS] [-- WRITER... '|' READER...]\n"
              "  -m close|leak  close: we close our copies of the pipe's ends; leak: we keep "
              "them (default close)\n"
              "  -c LINES       lines the default writer prints (default 5)\n"
              "  -t SECONDS     -m leak: how long to wait before saying what is stuck (default 1)\n"
              "  WRITER | READER  the two commands, after -- (default: awk printing LINES "
              "lines | wc -l)\n"
              "Python: p2 = Popen(reader, stdin=p1.stdout); p1.stdout.close() "
              "(twin: subprocess_pipeline.py)");
    command = command_operands(argc, argv, &nopts, default_command);
    while ((opt = get_option(nopts, argv, "m:c:t:")) != -1) {
        if (opt == 'm') {
            if (strcmp(optarg, "close") != 0 && strcmp(optarg, "leak") != 0)
                usage_error("-m wants close or leak, not '%s'", optarg);
            leak = strcmp(optarg, "leak") == 0;
        } else if (opt == 'c') {
            lines = arg_long(optarg, opt, 0, 10000000);
        } else {
            timeout = arg_double(optarg, opt, 0.1, 60);
        }
    }
    no_operands(nopts, argv);
    snprintf(awk_text, sizeof awk_text,
             "BEGIN { for (i = 1; i <= %ld; i++) print \"line \" i }", lines);
    /* The words after "--": WRITER..., the word "|", READER... */
    for (int i = 0; command[i] != NULL; i++)
        if (strcmp(command[i], "|") == 0) {
            command[i] = NULL;          /* ends the writer's argv */
            reader = command + i + 1;
            break;
        }
    if (command[0] == NULL || reader == NULL || reader[0] == NULL)
        usage_error("after --, a writer, the word '|' and a reader");

    say("Pipeline: %s | %s", repr_argv(command, shown[0], sizeof shown[0]),
        repr_argv(reader, shown[1], sizeof shown[1]));
    (void)mark_inherited_cloexec();     /* the commands get 0, 1, 2 only */
    cloexec_pipe(wake);
    set_nonblocking(wake[0]);
    set_nonblocking(wake[1]);
    set_action(SIGCHLD, on_signal);
    set_action(SIGINT, on_signal);
    set_action(SIGTERM, on_signal);

    cloexec_pipe(ends);                 /* the pipe between the two */
    cloexec_pipe(cap_pipe);             /* the reader's stdout, to us */
    sigemptyset(&guard);
    sigaddset(&guard, SIGINT);
    sigaddset(&guard, SIGTERM);
    sigaddset(&guard, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &guard, &old) == -1)
        die("sigprocmask");
    kids[0].pid = pids[0] = start(command, -1, ends[1]);
    kids[1].pid = pids[1] = start(reader, ends[0], cap_pipe[1]);
    if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
        die("sigprocmask");
    close_end(&cap_pipe[1]);            /* only the reader writes there */
    out = cap_pipe[0];
    say("Started the writer, pid %ld: its stdout is the pipe's write end", (long)pids[0]);
    say("Started the reader, pid %ld: its stdin is the pipe's read end", (long)pids[1]);

    if (!leak) {
        /* THE step: without it, the reader never sees end of file, and the
         * writer never gets SIGPIPE. (Python: p1.stdout.close(); Popen
         * has already closed its copy of the write end.) */
        close_end(&ends[0]);
        close_end(&ends[1]);
        say("Closed our copies of both ends of the pipe");
    } else {
        say("Kept our copies of both ends of the pipe (the mistake)");
        deadline = now_seconds() + timeout;
    }

    read_output(&buf, &len, &cap, deadline);
    if (leak) {
        if (!reap(&kids[1], deadline)) {
            say("After %g s the reader still runs: it never saw end of file, "
                "as we hold a copy of the write end", timeout);
            stuck = true;
        } else if (!reap(&kids[0], deadline)) {
            say("After %g s the writer runs on, its reader gone: no SIGPIPE, "
                "as we hold a copy of the read end", timeout);
            stuck = true;
        }
        close_end(&ends[0]);            /* the cure, late: now it all ends */
        close_end(&ends[1]);
        say("Closed our copies of both ends of the pipe%s", stuck ? ": now it ends" : "");
        read_output(&buf, &len, &cap, -1);
    }
    for (size_t start_at = 0, i = 0; i < len; i++)
        if (buf[i] == '\n' || i + 1 == len) {
            say("| %.*s", (int)(i - start_at + (buf[i] != '\n')), buf + start_at);
            start_at = i + 1;
        }
    free(buf);
    for (int i = 0; i < 2; i++)
        if (kids[i].pid != 0)
            (void)reap(&kids[i], -1);
    say_ending(&kids[0], pids[0]);
    say_ending(&kids[1], pids[1]);
    if (stop_signal != 0)
        stop_all();             /* one that came during the last reap */
    if (close(wake[0]) == -1 || close(wake[1]) == -1)
        die("close");
    return stuck ? 1 : shell_status(kids[1].exitcode);
}
