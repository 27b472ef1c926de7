/* command.c - starting a command done properly: what Python's subprocess
 * module does underneath (Lib/subprocess.py, Modules/_posixsubprocess.c),
 * written out in C for the programs of chapter 10: posix_spawnp where it
 * can, fork + exec with a report pipe where it cannot. See command.h.
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "command.h"

extern char **environ;          /* the environment a command inherits */

/* ---- repr ---------------------------------------------------------------
 * A bounded string builder: once the text no longer fits, it ends in "...". */
struct text {
    char *buf;
    size_t size;                /* at least 4: room for "..." and the NUL */
    size_t len;
    bool cut;
};

static void add(struct text *t, const char *s, size_t n)
{
    if (t->cut)
        return;
    if (n > t->size - 4 - t->len) {
        memcpy(t->buf + t->len, "...", 3);
        t->len += 3;
        t->cut = true;
    } else {
        memcpy(t->buf + t->len, s, n);
        t->len += n;
    }
    t->buf[t->len] = '\0';
}

/* Python's repr() of a str, for ASCII text: single quotes, unless the text
 * holds a ' and no "; a backslash before \ and the quote; \n, \t, \r and
 * \xNN for control characters. Other bytes are copied as they are. */
static void add_repr(struct text *t, const char *s)
{
    char quote = (strchr(s, '\'') != NULL && strchr(s, '"') == NULL) ? '"' : '\'';

    add(t, &quote, 1);
    for (const char *p = s; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        char esc[8];

        if (c == '\\' || c == (unsigned char)quote)
            snprintf(esc, sizeof esc, "\\%c", c);
        else if (c == '\n')
            snprintf(esc, sizeof esc, "\\n");
        else if (c == '\t')
            snprintf(esc, sizeof esc, "\\t");
        else if (c == '\r')
            snprintf(esc, sizeof esc, "\\r");
        else if (c < 0x20 || c == 0x7f)
            snprintf(esc, sizeof esc, "\\x%02x", c);
        else
            snprintf(esc, sizeof esc, "%c", c);
        add(t, esc, strlen(esc));
    }
    add(t, &quote, 1);
}

const char *repr_str(const char *text, char *buf, size_t size)
{
    struct text t = { buf, size, 0, false };

    buf[0] = '\0';
    add_repr(&t, text);
    return buf;
}

const char *repr_argv(char *const argv[], char *buf, size_t size)
{
    struct text t = { buf, size, 0, false };

    buf[0] = '\0';
    add(&t, "[", 1);
    for (size_t i = 0; argv[i] != NULL; i++) {
        if (i > 0)
            add(&t, ", ", 2);
        add_repr(&t, argv[i]);
    }
    add(&t, "]", 1);
    return buf;
}

/* ---- close-on-exec ------------------------------------------------------ */

/* pipe(), then FD_CLOEXEC on each end, so that no command we start ever
 * inherits one of our pipes. Linux and the BSDs do it in one step with
 * pipe2(fds, O_CLOEXEC) (POSIX only from its 2024 edition). The two steps
 * are safe here because these programs have one thread. In a threaded
 * program, another thread could fork and exec between pipe() and fcntl():
 * its command would inherit both ends, and a reader waiting for EOF on
 * this pipe would wait for that unrelated command to end. That window is
 * why O_CLOEXEC at creation exists (open, pipe2, socket, accept4, dup3).
 *
 * An end that lands on 0, 1 or 2 (only if we were started with one of
 * them closed) is moved higher: in the child, dup2(in, 0) would otherwise
 * close the other pipe's end before it was copied. (Python does the same.) */
void cloexec_pipe(int fds[2])
{
    if (pipe(fds) == -1)
        die("pipe");
    for (int i = 0; i < 2; i++) {
        if (fds[i] <= STDERR_FILENO) {
            int high = fcntl(fds[i], F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
            if (high == -1)
                die("fcntl(F_DUPFD_CLOEXEC)");
            if (close(fds[i]) == -1)
                die("close");
            fds[i] = high;
        } else {
            set_cloexec(fds[i]);
        }
    }
}

/* Whoever started us may have left descriptors open without FD_CLOEXEC:
 * a shell's `exec 5<file`, bats' fd 3 for its reports. A command we start
 * should not receive them: it could hold a pipe open (its reader would
 * never see EOF) or read a file it was never meant to see. Python's
 * close_fds=True (the default since 3.2) closes every fd above 2 in the
 * child. We mark them close-on-exec in the parent instead, which works the
 * same for fork + exec and for posix_spawn, and costs the child nothing.
 *
 * Which fds are open? POSIX has no list: ask each possible one with
 * fcntl(F_GETFD), which fails with EBADF for a closed fd, up to the
 * process's limit. (Linux answers faster: close_range(2), or reading
 * /proc/self/fd, which is what Python does there.) */
int mark_inherited_cloexec(void)
{
    long max = sysconf(_SC_OPEN_MAX);
    int marked = 0;

    if (max == -1 || max > INT_MAX)     /* no limit: look at the usual range */
        max = max == -1 ? 1024 : INT_MAX;
    for (int fd = STDERR_FILENO + 1; fd < (int)max; fd++) {
        int flags = fcntl(fd, F_GETFD);

        if (flags == -1 || (flags & FD_CLOEXEC))
            continue;           /* not open (EBADF), or already marked */
        if (fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1)
            die("fcntl(%d, F_SETFD)", fd);
        marked++;
    }
    return marked;
}

/* ---- starting a command ------------------------------------------------- */

int cannot_run_status(int err)
{
    return err == ENOENT ? 127 : 126;
}

/* The child's side, from fork to exec. Between the two, a child of a
 * threaded parent may only make async-signal-safe calls (another thread
 * may have held malloc's lock at the fork); every call here is one, except
 * execvp, which searches PATH and may allocate: harmless with one thread.
 * Each failure, the exec's included, goes back to the parent as an errno
 * through the report pipe. */
static noreturn void exec_child(char *const argv[], int flags,
                                int in, int out, int report)
{
    struct sigaction dfl;
    sigset_t none;
    int err;

    /* A new session is also a new process group, with the child as its
     * leader: a timeout can then kill the command AND its children at once
     * (kill(-pid, sig)). Done here, before exec, so it is in place by the
     * time the parent learns that the exec succeeded. */
    if ((flags & SPAWN_SESSION) && setsid() == -1)
        goto failed;
    /* dup2 makes 0 and 1 the pipes' ends. The copy it makes does NOT carry
     * FD_CLOEXEC, so it survives the exec; the originals (close-on-exec)
     * vanish with it, and so does every other pipe end of the parent's. */
    if (in != -1 && dup2(in, STDIN_FILENO) == -1)
        goto failed;
    if (out != -1 && dup2(out, STDOUT_FILENO) == -1)
        goto failed;
    if ((flags & SPAWN_STDERR) && dup2(STDOUT_FILENO, STDERR_FILENO) == -1)
        goto failed;
    /* exec resets caught signals to their default, but an IGNORED signal
     * stays ignored, and the mask of blocked signals is kept. A parent that
     * ignores SIGPIPE (subprocess_communicate does) would hand a `cat` that
     * ignores it too. Python's restore_signals=True resets SIGPIPE (and
     * SIGXFSZ); we reset SIGPIPE and unblock everything. */
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    if (sigaction(SIGPIPE, &dfl, NULL) == -1)
        goto failed;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
        goto failed;

    execvp(argv[0], argv);      /* returns only if it failed */

failed:
    err = errno;
    /* 4 bytes: one write, atomic on a pipe. If even this fails, the parent
     * sees EOF, believes the exec worked, and then finds exit status 127 or
     * 126: the answer a shell gives, which is all it can do then. */
    if (write(report, &err, sizeof err) != (ssize_t)sizeof err) {
        /* nothing left to try */
    }
    _exit(cannot_run_status(err));      /* _exit: the parent's stdio
                                           buffers and atexit handlers are
                                           not ours to run */
}

static void close_if_open(int *fd)
{
    if (*fd != -1 && close(*fd) == -1)
        die("close");
    *fd = -1;
}

/* fork + exec, for SPAWN_FORK (subprocess_call's default) and SPAWN_SESSION
 * (the FALLBACK: POSIX.1-2008's posix_spawn cannot call setsid). */
static int fork_exec(char *const argv[], int flags, int in, int out,
                     pid_t *pid)
{
    int report[2], err;
    ssize_t got;

    /* The report pipe: close-on-exec, so a successful exec closes the
     * child's write end and the parent reads end-of-file; a failed exec
     * leaves the child alive long enough to write its errno into it. */
    cloexec_pipe(report);
    *pid = fork();
    if (*pid == -1)
        die("fork");
    if (*pid == 0)
        exec_child(argv, flags, in, out, report[1]);
    close_if_open(&report[1]);  /* or the read below never sees EOF */

    /* The verdict. read() blocks until the child either execs (EOF: no
     * write end is left) or writes its errno. */
    got = read_full(report[0], &err, sizeof err);
    if (got == -1)
        die("read");
    close_if_open(&report[0]);
    if (got == 0)
        return 0;               /* the command is running */
    if (got != (ssize_t)sizeof err)
        fatal("a %zd-byte report from the child: expected %zu", got, sizeof err);
    (void)join_child(*pid);     /* it has exited (or is about to): reap it */
    return err;
}

/* posix_spawnp, told in advance what exec_child does by hand: the file
 * actions dup2 the pipes onto 0, 1 (and 2), the attributes put SIGPIPE
 * back to its default and block nothing. glibc runs the child in a
 * vfork-like clone that shares our memory until the exec: no page table
 * is copied, however big we are. These functions return an error number
 * (0: done), never -1 and errno.
 * A failed exec: glibc (2.24 and later), musl and macOS return its errno
 * and leave no child. POSIX also allows success and a child that exits
 * with status 127, which the caller's wait then finds (see command.h). */
static int spawn_posix(char *const argv[], int flags, int in, int out,
                       pid_t *pid)
{
    posix_spawn_file_actions_t acts;
    posix_spawnattr_t attr;
    sigset_t pipe_only, none;
    int rc, err;

    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigemptyset(&none);
    if ((rc = posix_spawn_file_actions_init(&acts)) != 0
        || (in != -1 && (rc = posix_spawn_file_actions_adddup2(&acts, in, 0)) != 0)
        || (out != -1 && (rc = posix_spawn_file_actions_adddup2(&acts, out, 1)) != 0)
        || ((flags & SPAWN_STDERR)
            && (rc = posix_spawn_file_actions_adddup2(&acts, 1, 2)) != 0)
        || (rc = posix_spawnattr_init(&attr)) != 0
        || (rc = posix_spawnattr_setsigdefault(&attr, &pipe_only)) != 0
        || (rc = posix_spawnattr_setsigmask(&attr, &none)) != 0
        || (rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF
                                                 | POSIX_SPAWN_SETSIGMASK)) != 0)
        fatal("posix_spawn set-up: %s", strerror(rc));
    err = posix_spawnp(pid, argv[0], &acts, &attr, argv, environ);
    (void)posix_spawnattr_destroy(&attr);
    (void)posix_spawn_file_actions_destroy(&acts);
    return err;
}

int spawn_command(char *const argv[], int flags, struct command *cmd)
{
    static bool inherited_marked = false;
    int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err;

    if (!inherited_marked) {
        /* Once is enough: every fd these programs open themselves is
         * close-on-exec from the moment it exists. */
        (void)mark_inherited_cloexec();
        inherited_marked = true;
    }
    if (flags & SPAWN_STDIN)
        cloexec_pipe(in);
    if (flags & SPAWN_STDOUT)
        cloexec_pipe(out);
    if (flags & (SPAWN_FORK | SPAWN_SESSION))
        err = fork_exec(argv, flags, in[0], out[1], &cmd->pid);
    else
        err = spawn_posix(argv, flags, in[0], out[1], &cmd->pid);
    /* The parent keeps its own ends only. */
    close_if_open(&in[0]);
    close_if_open(&out[1]);
    cmd->to_stdin = in[1];
    cmd->from_stdout = out[0];
    if (err != 0) {             /* it could not be run: no pipe left open */
        close_if_open(&cmd->to_stdin);
        close_if_open(&cmd->from_stdout);
        cmd->pid = -1;
    }
    return err;
}

void cannot_run(char *const argv[], int err)
{
    char shown[REPR_MAX];

    say_to(STDERR_FILENO, "%s: cannot run %s: %s (%s)", prog_name(),
           repr_argv(argv, shown, sizeof shown), errno_name(err), strerror(err));
    exit(cannot_run_status(err));
}
