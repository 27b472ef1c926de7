/* subprocess_check.c - what subprocess.run() does with its keywords, in
 * four parts: check=True (a failing command becomes CalledProcessError,
 * with its status and its stderr); env= and cwd= (the child's, not ours);
 * stdout=DEVNULL; stdout=PIPE and stderr=PIPE at once, two pipes read
 * together with poll(), as communicate() does, so that neither can fill up
 * while we wait on the other.
 *
 * All four start their command with start(): fork, then in the child
 * chdir() (cwd=), the pipes or /dev/null onto 1 and 2, SIGPIPE back to its
 * default, the new environment (env=), exec (posix_spawn cannot chdir); a
 * failed exec or chdir comes back through a report pipe, as in command.c.
 *
 * Python:  subprocess.run(cmd, capture_output=True, check=True) raises
 *          CalledProcessError; run(cmd, env={**os.environ, ...}, cwd='/');
 *          run(cmd, stdout=DEVNULL)                  (subprocess_check.py)
 * Usage:   ./subprocess_check [-c LINES] [-- COMMAND [ARG...]]
 *          -c: lines part 4's command writes to each stream (default
 *          20000: more than a pipe holds). COMMAND: part 1's (default:
 *          sh -c 'echo "disk full" >&2; exit 3').
 * Look for: Python's CalledProcessError message, word for word, and the
 * command's stderr; the child in / with WB_GREETING set, the parent
 * neither; nothing from part 3; in part 4 every line of both streams.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "command.h"

extern char **environ;

enum stream { INHERIT, PIPE, DEVNULL };  /* what the child's stdout/stderr is */

struct options {                /* the keywords of subprocess.run() */
    enum stream out, err;       /* stdout=, stderr= */
    char **env;                 /* env=: NULL for ours */
    const char *cwd;            /* cwd=: NULL for ours */
};

struct result {                 /* CompletedProcess, or CalledProcessError */
    int returncode;
    char *out, *err;            /* what came through the pipes, NUL-ended */
    size_t out_len, err_len;
};

#ifndef PATH_MAX
#define PATH_MAX 4096           /* POSIX lets limits.h leave it out */
#endif

/* SIGINT, SIGTERM: run() ends the command, reaps it, then dies of it. */
static volatile sig_atomic_t stop_signal;
static void on_stop(int sig) { stop_signal = sig; }

static noreturn void stop_command(pid_t pid)
{
    (void)kill(pid, SIGTERM);   /* unreaped, so it exists: no ESRCH */
    (void)join_child(pid);
    signal(stop_signal, SIG_DFL);
    raise(stop_signal);
    _exit(128 + stop_signal);   /* not reached */
}

/* In the child: a set-up step or the exec failed. Its errno goes back to
 * the parent through the report pipe (4 bytes: one atomic write). */
static noreturn void child_failed(int report)
{
    int err = errno;

    if (write(report, &err, sizeof err) == -1) {
        /* nothing left to try: the parent will see the exit status */
    }
    _exit(cannot_run_status(err));      /* _exit: the parent's atexit
                                           handlers are not ours to run */
}

/* fork, set up, exec; returns the pid, or the exec's errno as -errno. The
 * parent keeps the read ends of the pipes asked for in fds[1] and fds[2]. */
static pid_t start(char *const argv[], const struct options *o, int fds[3])
{
    int report[2], pipes[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
    int null = -1, err = 0;
    enum stream how[3] = { INHERIT, o->out, o->err };
    ssize_t got;
    pid_t pid;

    if (o->out == DEVNULL || o->err == DEVNULL)
        if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1)
            die("open /dev/null");
    for (int i = 1; i <= 2; i++)
        if (how[i] == PIPE)
            cloexec_pipe(pipes[i]);
    cloexec_pipe(report);
    if ((pid = fork()) == -1)
        die("fork");
    if (pid == 0) {
        struct sigaction dfl;

        /* Between fork and exec: async-signal-safe calls only (and
         * execvp, fine in a program with one thread: command.c says why). */
        if (o->cwd != NULL && chdir(o->cwd) == -1)
            child_failed(report[1]);
        for (int i = 1; i <= 2; i++) {
            int fd = how[i] == PIPE ? pipes[i][1] : how[i] == DEVNULL ? null : -1;

            if (fd != -1 && dup2(fd, i) == -1)  /* the copy is inherited */
                child_failed(report[1]);
        }
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;       /* restore_signals=True */
        sigemptyset(&dfl.sa_mask);
        (void)sigaction(SIGPIPE, &dfl, NULL);
        if (o->env != NULL)
            environ = o->env;           /* execvp passes environ on */
        execvp(argv[0], argv);
        child_failed(report[1]);
    }
    if (close(report[1]) == -1 || (null != -1 && close(null) == -1))
        die("close");
    for (int i = 1; i <= 2; i++) {
        if (pipes[i][1] != -1 && close(pipes[i][1]) == -1)
            die("close");       /* the child's: we keep the read end only */
        fds[i] = pipes[i][0];
    }
    got = read_full(report[0], &err, sizeof err);   /* EOF: the exec worked */
    if (got == -1 || close(report[0]) == -1)
        die("read");
    if (got == 0)
        return pid;
    (void)join_child(pid);      /* it failed: reap it, close what we kept */
    for (int i = 1; i <= 2; i++)
        if (fds[i] != -1 && close(fds[i]) == -1)
            die("close");
    return -err;
}

/* Add what fd has now to *buf. Returns 0 at end of file. */
static ssize_t take(int fd, char **buf, size_t *len)
{
    char chunk[65536], *bigger;
    ssize_t n = read(fd, chunk, sizeof chunk);

    if (n == -1) {
        if (errno != EINTR)
            die("read");
        return 1;               /* interrupted: nothing yet, not the end */
    }
    if ((bigger = realloc(*buf, *len + (size_t)n + 1)) == NULL)
        die("realloc");
    memcpy(bigger + *len, chunk, (size_t)n);
    *len += (size_t)n;
    bigger[*len] = '\0';
    *buf = bigger;
    return n;
}

/* subprocess.run(): start, then communicate(): one poll() over both pipes,
 * reading whichever has data, until both are at end of file; then wait.
 * Reading stdout to its end first would hang as soon as the command had
 * filled the stderr pipe (64 KiB): it blocks writing there, and never
 * closes its stdout. A negative fd is skipped by poll. */
static void run(char *const argv[], const struct options *o, struct result *r)
{
    int fds[3] = { -1, -1, -1 };
    pid_t pid = start(argv, o, fds);

    if (pid < 0)
        cannot_run(argv, (int)-pid);
    r->out = r->err = NULL;
    r->out_len = r->err_len = 0;
    while (fds[1] != -1 || fds[2] != -1) {
        struct pollfd p[2] = { { .fd = fds[1], .events = POLLIN },
                               { .fd = fds[2], .events = POLLIN } };

        int n = poll(p, 2, -1);
        if (n == -1 && errno != EINTR)
            die("poll");
        if (stop_signal != 0)
            stop_command(pid);
        if (n == -1)
            continue;
        for (int i = 0; i < 2; i++)
            if (p[i].revents != 0
                && take(fds[i + 1], i == 0 ? &r->out : &r->err,
                        i == 0 ? &r->out_len : &r->err_len) == 0) {
                if (close(fds[i + 1]) == -1)
                    die("close");
                fds[i + 1] = -1;        /* end of file: drop it from poll */
            }
    }
    r->returncode = join_child(pid);
}

static void forget(struct result *r)
{
    free(r->out);
    free(r->err);
}

static size_t count_lines(const char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++)
        n += s[i] == '\n';
    return n;
}

/* Part 1: check=True. The message is CalledProcessError's, word for word. */
static void part_check(char **command)
{
    struct options o = { PIPE, PIPE, NULL, NULL };
    struct result r;
    char shown[REPR_MAX], text[2][REPR_MAX];

    say("1. check=True, capture_output=True: a command that fails raises CalledProcessError");
    say("   argv: %s", repr_argv(command, shown, sizeof shown));
    run(command, &o, &r);
    if (r.returncode == 0) {
        say("   returned 0: no exception, a CompletedProcess");
    } else {
        say("   CalledProcessError:");
        if (r.returncode > 0)
            say("   Command '%s' returned non-zero exit status %d.", shown, r.returncode);
        else
            say("   Command '%s' died with <Signals.%s: %d>.", shown,
                signal_name(-r.returncode), -r.returncode);
    }
    say("   returncode = %d, stdout = %s, stderr = %s", r.returncode,
        repr_str(r.out ? r.out : "", text[0], sizeof text[0]),
        repr_str(r.err ? r.err : "", text[1], sizeof text[1]));
    forget(&r);
}

/* Part 2: env= replaces the whole environment: copy ours, add one. cwd=
 * is a chdir() in the child, after the fork. Ours stay as they were. */
static void part_env_cwd(void)
{
    static char greeting[] = "WB_GREETING=hello";
    static char *argv[] = { "sh", "-c", "echo \"WB_GREETING=$WB_GREETING, in $(pwd)\"", NULL };
    struct options o = { PIPE, INHERIT, NULL, "/" };
    struct result r;
    char before[PATH_MAX], after[PATH_MAX], shown[REPR_MAX];
    size_t n = 0, kept = 0;
    const char *mine;

    while (environ[n] != NULL)
        n++;
    if ((o.env = malloc((n + 2) * sizeof *o.env)) == NULL)
        die("malloc");
    for (size_t i = 0; i < n; i++)      /* ours, but for an old WB_GREETING */
        if (strncmp(environ[i], "WB_GREETING=", 12) != 0)
            o.env[kept++] = environ[i];
    o.env[kept++] = greeting;
    o.env[kept] = NULL;
    if (getcwd(before, sizeof before) == NULL)
        die("getcwd");

    say("2. env= and cwd=: the child's environment and working folder, not ours");
    say("   argv: %s", repr_argv(argv, shown, sizeof shown));
    say("   env: a copy of ours plus WB_GREETING='hello'; cwd='/'");
    run(argv, &o, &r);
    if (r.out_len > 0 && r.out[r.out_len - 1] == '\n')
        r.out[--r.out_len] = '\0';
    say("   | %s", r.out ? r.out : "");
    if (getcwd(after, sizeof after) == NULL)
        die("getcwd");
    mine = getenv("WB_GREETING");
    say("   parent: WB_GREETING %s%s, working folder unchanged: %s",
        mine ? "= " : "not set", mine ? repr_str(mine, shown, sizeof shown) : "",
        strcmp(before, after) == 0 ? "yes" : "no");
    forget(&r);
    free(o.env);
}

/* Part 3: stdout=DEVNULL: /dev/null dup2'd onto the child's stdout. */
static void part_devnull(void)
{
    static char *argv[] = { "sh", "-c", "echo nobody will read this", NULL };
    struct options o = { DEVNULL, INHERIT, NULL, NULL };
    struct result r;
    char shown[REPR_MAX];

    say("3. stdout=DEVNULL: what the command prints goes nowhere");
    say("   argv: %s", repr_argv(argv, shown, sizeof shown));
    run(argv, &o, &r);
    say("   exit code %d; nothing came to us (its stdout was /dev/null)", r.returncode);
    forget(&r);
}

/* Part 4: stdout=PIPE and stderr=PIPE, both busy: lines to each, in turn. */
static void part_both(long lines)
{
    static char program[128];
    static char *argv[] = { "awk", program, NULL };
    struct options o = { PIPE, PIPE, NULL, NULL };
    struct result r;

    snprintf(program, sizeof program, "BEGIN { for (i = 1; i <= %ld; i++) "
             "{ print \"out \" i; print \"err \" i > \"/dev/stderr\" } }", lines);
    say("4. stdout=PIPE, stderr=PIPE: two pipes, read together with poll (communicate)");
    say("   awk writes %ld lines to each, in turn", lines);
    run(argv, &o, &r);
    say("   stdout: %zu lines, %zu bytes; stderr: %zu lines, %zu bytes; exit code %d",
        count_lines(r.out, r.out_len), r.out_len, count_lines(r.err, r.err_len),
        r.err_len, r.returncode);
    forget(&r);
}

int main(int argc, char *argv[])
{
    static char *default_command[] = { "sh", "-c", "echo \"disk full\" >&2; exit 3", NULL };
    char **command;
    long lines = 20000;
    int nopts, opt;

    prog_init(argc, argv, "[-c LINES] [-- COMMAND [ARG...]]\n"
              "  -c LINES     lines part 4's command writes to stdout and to stderr "
              "(default 20000)\n"
              "  COMMAND ...  part 1's command, after -- (default: sh -c 'echo \"disk full\" "
              ">&2; exit 3')\n"
              "Python: subprocess.run(check=True, env=, cwd=, stdout=DEVNULL, stderr=PIPE) "
              "(twin: subprocess_check.py)");
    command = command_operands(argc, argv, &nopts, default_command);
    while ((opt = get_option(nopts, argv, "c:")) != -1)
        lines = arg_long(optarg, opt, 1, 1000000);
    no_operands(nopts, argv);
    (void)mark_inherited_cloexec();     /* the commands get 0, 1, 2 only */
    struct sigaction sa = { .sa_handler = on_stop };    /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
        die("sigaction");

    part_check(command);
    part_env_cwd();
    part_devnull();
    part_both(lines);
    return 0;
}
