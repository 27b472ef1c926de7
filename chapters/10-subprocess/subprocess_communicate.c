/* subprocess_communicate.c - feed a command its input and read its output
 * at the same time, as Popen.communicate() does, so that neither side ends
 * up waiting for the other forever.
 *
 * A pipe holds only so much (64 KiB on Linux). `cat` writes while it reads:
 * if we write all our input before reading any output, cat fills its
 * stdout pipe and blocks writing, stops reading, its stdin pipe fills, and
 * we block writing too. Each waits for the other: a deadlock. -m naive
 * does exactly that, bounded: a watchdog notices that no byte has gone out
 * for a while, says what each side is blocked on, then kills and reaps
 * the command. -m poll (the default) is the cure: one poll() loop that
 * writes when the stdin pipe has room and reads when the stdout pipe has
 * data. (`sort` reads everything before it writes: it never deadlocks
 * either way. Try both.)
 *
 * Python:  out, _ = Popen(cmd, stdin=PIPE, stdout=PIPE).communicate(data)
 *          (subprocess_communicate.py)
 * Usage:   ./subprocess_communicate [-m poll|naive] [-s KIB] [-i FILE]
 *              [-o FILE] [-t SECONDS] [-- COMMAND [ARG...]]
 *          -s: generate KIB KiB of numbered lines (default 1024: 1 MiB);
 *          -i: feed FILE instead; -o: write the output to FILE;
 *          -t: the naive mode's watchdog (default 1 s without progress).
 *          Default command: cat.
 * Look for: with cat, 1 MiB in and the same 1 MiB out ("identical: yes");
 * with -m naive, the deadlock report, a kill and a reaped child. A command
 * that stops reading early (head -c 10) gives EPIPE, reported, not fatal:
 * we ignore SIGPIPE while writing. How many bytes went in before the
 * deadlock is racy.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "command.h"

#define LINE 16                 /* "line 1234567890\n" */

struct buffer {
    char *data;
    size_t len, cap;
};

/* KIB KiB of 16-byte lines, numbered in a scrambled order (i times an odd
 * constant, modulo 2^32: all different) so that `sort` has work to do. */
static void generate(struct buffer *in, long kib)
{
    in->len = in->cap = (size_t)kib * 1024;
    in->data = malloc(in->cap + 1);     /* +1: snprintf's NUL */
    if (in->data == NULL)
        die("malloc");
    for (size_t i = 0; i < in->len / LINE; i++)
        snprintf(in->data + i * LINE, LINE + 1, "line %010lu\n",
                 (unsigned long)(((uint64_t)i * 2654435761u) & 0xffffffffu));
}

static void load(struct buffer *in, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd == -1)
        die("open %s", path);
    in->len = in->cap = read_to_end(fd, &in->data);
    if (close(fd) == -1)
        die("close");
}

static void save(const struct buffer *out, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd == -1)
        die("open %s", path);
    if (write_all(fd, out->data, out->len) == -1)
        die("write %s", path);
    if (close(fd) == -1)
        die("close %s", path);
}

static void close_fd(int *fd)
{
    if (close(*fd) == -1)
        die("close");
    *fd = -1;
}

/* Write what the pipe takes now. Returns false once the command has closed
 * its stdin (EPIPE), which is its right: `head -c 10` stops reading. */
static bool send_some(struct command *cmd, const struct buffer *in, size_t *sent)
{
    ssize_t n = write(cmd->to_stdin, in->data + *sent, in->len - *sent);

    if (n == -1) {
        if (errno == EAGAIN || errno == EINTR)
            return true;        /* no room after all: poll again */
        if (errno != EPIPE)
            die("write to the command's stdin");
        say("EPIPE: the command stopped reading after %zu of %zu bytes; "
            "SIGPIPE is ignored, so write() said so instead of killing us",
            *sent, in->len);
        return false;
    }
    *sent += (size_t)n;
    return *sent < in->len;
}

/* Read what the pipe holds now. Returns false at end-of-file. */
static bool receive_some(struct command *cmd, struct buffer *out)
{
    ssize_t n;

    if (out->cap - out->len < 65536) {
        out->cap = out->cap * 2 + 65536;
        out->data = realloc(out->data, out->cap);
        if (out->data == NULL)
            die("realloc");
    }
    n = read(cmd->from_stdout, out->data + out->len, out->cap - out->len);
    if (n == -1) {
        if (errno == EAGAIN || errno == EINTR)
            return true;
        die("read from the command's stdout");
    }
    out->len += (size_t)n;
    return n > 0;
}

/* The cure: communicate(). poll() says which pipe is ready; we never block
 * on one while the other needs us. The write end is non-blocking: poll
 * promises room for SOME bytes, and a blocking write of more than that
 * would wait for the rest. A negative fd in the array is skipped by poll,
 * which is how a finished direction drops out. Closing our write end when
 * all is sent is what lets the command see end-of-file on its stdin. */
static void communicate(struct command *cmd, const struct buffer *in,
                        struct buffer *out)
{
    size_t sent = 0;

    set_nonblocking(cmd->to_stdin);
    if (in->len == 0)
        close_fd(&cmd->to_stdin);
    while (cmd->to_stdin != -1 || cmd->from_stdout != -1) {
        struct pollfd fds[2] = {
            { .fd = cmd->to_stdin, .events = POLLOUT },
            { .fd = cmd->from_stdout, .events = POLLIN },
        };

        if (poll(fds, 2, -1) == -1) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        /* POLLERR on the write end: the reader is gone; write() tells. */
        if (fds[0].revents != 0 && !send_some(cmd, in, &sent))
            close_fd(&cmd->to_stdin);
        /* POLLHUP on the read end: the writers are gone; read() returns 0
         * once the pipe is empty. */
        if (fds[1].revents != 0 && !receive_some(cmd, out))
            close_fd(&cmd->from_stdout);
    }
}

/* The mistake, bounded: all the input first, then the output. The write
 * end is non-blocking only so that the watchdog can see we are stuck; a
 * real naive program would simply block in write() forever. Returns false
 * if it got stuck. */
static bool naive(struct command *cmd, const struct buffer *in,
                  struct buffer *out, double watchdog)
{
    size_t sent = 0;
    bool writing = in->len > 0;

    set_nonblocking(cmd->to_stdin);
    while (writing) {
        struct pollfd fd = { .fd = cmd->to_stdin, .events = POLLOUT };
        int ready = poll(&fd, 1, (int)(watchdog * 1000));

        if (ready == -1) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        if (ready == 0) {       /* no room in the pipe for `watchdog` s */
            struct pollfd back = { .fd = cmd->from_stdout, .events = POLLIN };

            say("Stuck for %g s after sending %zu of %zu bytes: "
                "we are blocked writing the command's stdin, and it is not reading.",
                watchdog, sent, in->len);
            if (poll(&back, 1, 0) == 1 && (back.revents & POLLIN))
                say("Deadlocked: the command is blocked writing its stdout, "
                    "which we will not read until all is written.");
            else
                say("Not a deadlock: the command does not read its stdin at all.");
            return false;
        }
        writing = send_some(cmd, in, &sent);
    }
    close_fd(&cmd->to_stdin);   /* EOF for the command: now read */
    while (receive_some(cmd, out))
        ;
    close_fd(&cmd->from_stdout);
    return true;
}

int main(int argc, char *argv[])
{
    static char *default_command[] = { "cat", NULL };
    struct buffer in = { 0 }, out = { 0 };
    struct sigaction ignore;
    struct command cmd;
    const char *mode = "poll", *in_path = NULL, *out_path = NULL;
    char **command, shown[REPR_MAX];
    double watchdog = 1.0;
    long kib = 1024;
    int nopts, opt, err, exitcode;

    prog_init(argc, argv, "[-m poll|naive] [-s KIB] [-i FILE] [-o FILE] "
              "[-t SECONDS] [-- COMMAND [ARG...]]\n"
              "  -m poll|naive  poll: feed and read at once; naive: all input first "
              "(default poll)\n"
              "  -s KIB         generate KIB KiB of numbered lines to feed (default 1024)\n"
              "  -i FILE        feed FILE instead (default: the generated lines)\n"
              "  -o FILE        write the command's output to FILE (default: not written)\n"
              "  -t SECONDS     -m naive's watchdog: how long without progress (default 1)\n"
              "  COMMAND ...    the command to run, after -- (default: cat)\n"
              "Python: subprocess.Popen.communicate (twin: subprocess_communicate.py)");
    command = command_operands(argc, argv, &nopts, default_command);
    while ((opt = get_option(nopts, argv, "m:s:i:o:t:")) != -1) {
        switch (opt) {
        case 'm':
            if (strcmp(optarg, "poll") != 0 && strcmp(optarg, "naive") != 0)
                usage_error("-m wants poll or naive, not '%s'", optarg);
            mode = optarg;
            break;
        case 's':
            kib = arg_long(optarg, opt, 1, 65536);
            break;
        case 'i':
            in_path = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 't':
            watchdog = arg_double(optarg, opt, 0.1, 60);
            break;
        }
    }
    no_operands(nopts, argv);

    if (in_path != NULL)
        load(&in, in_path);
    else
        generate(&in, kib);

    say("Feeding %zu bytes to %s %s", in.len, repr_argv(command, shown, sizeof shown),
        strcmp(mode, "poll") == 0 ? "while reading its output (poll)"
                                  : "first, then reading its output (naive)");
    /* A command may stop reading before we stop writing. Then write()
     * raises SIGPIPE, whose default action ends US. Ignored, write() fails
     * with EPIPE instead, which we can handle. An ignored signal stays
     * ignored across exec: command.c gives the command SIGPIPE back at its
     * default, or a `cat` of ours would see EPIPE where it should die. */
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    if (sigaction(SIGPIPE, &ignore, NULL) == -1)
        die("sigaction");
    err = spawn_command(command, SPAWN_STDIN | SPAWN_STDOUT, &cmd);
    if (err != 0) {
        free(in.data);
        cannot_run(command, err);
    }

    if (strcmp(mode, "poll") == 0) {
        communicate(&cmd, &in, &out);
    } else if (!naive(&cmd, &in, &out, watchdog)) {
        /* Unstick it: kill the command, close our ends, reap it. */
        if (kill(cmd.pid, SIGTERM) == -1)
            die("kill");
        close_fd(&cmd.to_stdin);
        close_fd(&cmd.from_stdout);
        exitcode = join_child(cmd.pid);
        say("Killed the command with SIGTERM and reaped it.");
        say_exit_code(exitcode);
        free(in.data);
        free(out.data);
        return 1;
    }
    exitcode = join_child(cmd.pid);     /* both pipes are closed: it is done
                                           with us, or soon will be */

    if (out_path != NULL)
        save(&out, out_path);
    say("Received %zu bytes.", out.len);
    say("Output identical to input: %s",
        out.len == in.len && (in.len == 0 || memcmp(out.data, in.data, in.len) == 0)
        ? "yes" : "no");
    say_exit_code(exitcode);
    free(in.data);
    free(out.data);
    return shell_status(exitcode);
}
