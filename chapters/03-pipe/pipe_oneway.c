/* pipe_oneway.c - Pipe(duplex=False) is pipe(2); the reader sees end of file
 * only when every write end is closed.
 *
 * The parent writes a few framed messages into a pipe and closes its write
 * end; the child reads until end of file (Python raises EOFError there).
 * But fork() gave the child a copy of the write end too, and end of file
 * comes only when EVERY copy of it is closed. Forget one close and the
 * reader waits forever: -m parent keeps the parent's copy open, -m child
 * the child's own. So that the demo ends instead of hanging, the reader
 * waits in poll(2) for at most -t seconds each time, as a careful reader
 * would (Python: conn.poll(timeout)), and reports when nothing came.
 *
 * Python:  r, w = Pipe(duplex=False); w.send_bytes(...); w.close();
 *          r.recv_bytes() ... EOFError                    (pipe_oneway.py)
 * Usage:   ./pipe_oneway [-c MESSAGES] [-m none|parent|child] [-t SECONDS]
 * Look for: with -m none, "end of file" right after the last message;
 * with -m parent or -m child, "no end of file after T s" instead.
 * Racy: where the child's lines fall among the parent's "sending" lines.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "frame.h"

enum forget { FORGET_NONE, FORGET_PARENT, FORGET_CHILD };

static void reader(int rfd, double timeout, enum forget forget)
{
    char buf[128];
    size_t len;
    long count = 0;

    for (;;) {
        struct pollfd pfd = { .fd = rfd, .events = POLLIN };
        int ready = poll(&pfd, 1, (int)(timeout * 1000));

        if (ready == -1) {
            if (errno == EINTR)
                continue;
            die_child("poll");
        }
        if (ready == 0) {
            /* Nothing for `timeout` seconds, and no end of file either:
             * somebody still holds a write end open. */
            say("child  (%ld): no end of file after %g s: a write end is still open (%s)",
                (long)getpid(), timeout,
                forget == FORGET_CHILD ? "this reader's own copy, from fork()"
                : forget == FORGET_PARENT ? "the parent's" : "the parent's: slow, or stuck?");
            break;
        }
        /* Readable: a message, or end of file (poll says POLLHUP when the
         * last writer has gone; read() then returns 0). */
        int r = frame_recv(rfd, buf, sizeof buf - 1, &len);
        if (r == -1)
            die_child("frame_recv");
        if (r == 0) {
            say("child  (%ld): end of file after %ld messages: every write end is closed"
                " (Python: EOFError)", (long)getpid(), count);
            break;
        }
        buf[len] = '\0';
        say("child  (%ld): got '%s'", (long)getpid(), buf);
        count++;
    }
    if (close(rfd) == -1)
        die_child("close");
}

int main(int argc, char *argv[])
{
    long n = 3;
    double timeout = 2.0;
    enum forget forget = FORGET_NONE;
    int fds[2], opt, code;
    pid_t pid, me = getpid();

    prog_init(argc, argv, "[-c MESSAGES] [-m none|parent|child] [-t SECONDS]\n"
              "  -c MESSAGES           messages the parent sends (default 3)\n"
              "  -m none|parent|child  who forgets to close a write end (default none)\n"
              "  -t SECONDS            how long the reader waits for a message or end of file "
              "(default 2)\n"
              "Python: Pipe(duplex=False), EOFError, poll(timeout) (twin: pipe_oneway.py)");
    while ((opt = get_option(argc, argv, "c:m:t:")) != -1) {
        if (opt == 'c') {
            n = arg_long(optarg, opt, 0, 1000);
        } else if (opt == 't') {
            timeout = arg_double(optarg, opt, 0.01, 60);
        } else if (strcmp(optarg, "none") == 0) {
            forget = FORGET_NONE;
        } else if (strcmp(optarg, "parent") == 0) {
            forget = FORGET_PARENT;
        } else if (strcmp(optarg, "child") == 0) {
            forget = FORGET_CHILD;
        } else {
            usage_error("-m wants none, parent or child, not '%s'", optarg);
        }
    }
    no_operands(argc, argv);

    /* Pipe(duplex=False): fds[0] is the read end, fds[1] the write end. */
    if (pipe(fds) == -1)
        die("pipe");
    pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        /* The child reads. It got copies of BOTH ends from fork(); while
         * its copy of the write end is open, it can never see end of file:
         * it would be waiting for itself. */
        if (forget == FORGET_CHILD)
            say("child  (%ld): forgets to close its copy of the write end", (long)getpid());
        else if (close(fds[1]) == -1)
            die_child("close");
        reader(fds[0], timeout, forget);
        _exit(0);
    }

    /* A write to a pipe that nobody can read kills the writer with SIGPIPE;
     * ignored, it fails with EPIPE instead (Python ignores it from the
     * start: BrokenPipeError). It happens here only if -t is shorter than
     * the pause between messages. */
    if (sigaction(SIGPIPE, &(struct sigaction){ .sa_handler = SIG_IGN }, NULL) == -1)
        die("sigaction");
    /* The parent writes, and has no use for the read end. */
    if (close(fds[0]) == -1)
        die("close");
    for (long i = 1; i <= n; i++) {
        char msg[64];
        int len = snprintf(msg, sizeof msg, "message %ld", i);

        say("parent (%ld): sending '%s'", (long)me, msg);
        if (frame_send(fds[1], msg, (size_t)len) == -1) {
            if (errno != EPIPE)
                die("frame_send");
            /* No read end is open any more: the child gave up waiting. */
            say("parent (%ld): EPIPE: nobody reads this pipe any more; stopping", (long)me);
            break;
        }
        pace(0.5);
    }
    if (forget == FORGET_PARENT) {
        say("parent (%ld): forgets to close its write end, and waits for the child",
            (long)me);
    } else {
        /* Say it first: the child's "end of file" can come the moment the
         * last write end is closed. */
        say("parent (%ld): closes its write end, and waits for the child", (long)me);
        if (close(fds[1]) == -1)
            die("close");
    }
    code = join_child(pid);
    say("parent (%ld): the child exited with %d", (long)me, code);
    if (forget == FORGET_PARENT && close(fds[1]) == -1)     /* late, but closed */
        die("close");
    return 0;
}
