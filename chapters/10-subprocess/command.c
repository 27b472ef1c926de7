/* command.c - fork + exec done properly: what Python's subprocess module does
 * underneath (Lib/subprocess.py and Modules/_posixsubprocess.c), written
 * out in C for the programs of chapter 10. Its declarations are in command.h.
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "command.h"

/* ---- the command line ---------------------------------------------------- */

char **command_operands(int argc, char *argv[], int *nopts,
                        char **default_command)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            *nopts = i;         /* getopt sees the words before "--" only */
            if (i + 1 == argc)
                usage_error("'--' must be followed by a command");
            return argv + i + 1;
        }
    *nopts = argc;
    return default_command;
}

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

int spawn_command(char *const argv[], int flags, struct command *cmd)
{
    static bool inherited_marked = false;
    int in[2] = { -1, -1 }, out[2] = { -1, -1 }, report[2];
    int err;
    ssize_t got;

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
    /* The report pipe: close-on-exec, so a successful exec closes the
     * child's write end and the parent reads end-of-file; a failed exec
     * leaves the child alive long enough to write its errno into it. */
    cloexec_pipe(report);

    cmd->pid = fork();
    if (cmd->pid == -1)
        die("fork");
    if (cmd->pid == 0)
        exec_child(argv, flags, in[0], out[1], report[1]);

    /* The parent keeps its own ends only: above all, it must close the
     * write end of the report pipe, or it would never read EOF. */
    close_if_open(&in[0]);
    close_if_open(&out[1]);
    close_if_open(&report[1]);
    cmd->to_stdin = in[1];
    cmd->from_stdout = out[0];

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

    /* It could not be run: the child has exited (or is about to); reap it,
     * so that no zombie is left, and give the pipes back. */
    (void)join_child(cmd->pid);
    close_if_open(&cmd->to_stdin);
    close_if_open(&cmd->from_stdout);
    cmd->pid = -1;
    return err;
}

void cannot_run(char *const argv[], int err)
{
    char shown[REPR_MAX];

    say_to(STDERR_FILENO, "%s: cannot run %s: %s (%s)", prog_name(),
           repr_argv(argv, shown, sizeof shown), errno_name(err), strerror(err));
    exit(cannot_run_status(err));
}

/* ---- the end of a command ------------------------------------------------ */

void say_exit_code(int exitcode)
{
    if (exitcode < 0)
        say("Exit code: %d (%s)", exitcode, signal_name(-exitcode));
    else
        say("Exit code: %d", exitcode);
}

int shell_status(int exitcode)
{
    return exitcode < 0 ? 128 - exitcode : exitcode;
}

/* ---- reading a pipe to its end -------------------------------------------- */

size_t read_to_end(int fd, char **buf)
{
    size_t cap = 65536, len = 0;
    char *data = malloc(cap);

    if (data == NULL)
        die("malloc");
    for (;;) {
        ssize_t n;

        if (len == cap) {
            char *bigger = realloc(data, cap * 2);
            if (bigger == NULL)
                die("realloc");
            data = bigger;
            cap *= 2;
        }
        n = read(fd, data + len, cap - len);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            die("read");
        }
        if (n == 0)
            break;              /* EOF: every write end is closed */
        len += (size_t)n;
    }
    *buf = data;
    return len;
}
