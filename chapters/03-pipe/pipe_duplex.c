/* pipe_duplex.c - both ends of a Pipe() send and receive; frames keep the
 * messages apart.
 *
 * Part 1, request and reply: the parent sends requests of different
 * lengths (one of them empty) on its end of a socketpair; the child
 * answers each on the same connection, in upper case. Each side waits for
 * the other's message before it goes on, so the whole conversation comes
 * out in one order, every run.
 * Part 2, boundaries: asked for it, the child sends three messages in a
 * row and exits; only then does the parent read, so all three sit in the
 * socket at once.
 * With frames (frame_send/frame_recv, common/frame.c) the parent gets three
 * messages back. Without them (-m raw: plain write() calls), one read()
 * returns all the bytes run together, and nothing says where a message
 * ended: a byte stream has no boundaries of its own.
 *
 * Python:  a, b = Pipe(); a.send_bytes(req); b.recv_bytes(); b.send_bytes(...)
 *                                                         (pipe_duplex.py)
 * Usage:   ./pipe_duplex [-c REQUESTS] [-m framed|raw]
 * Look for: each reply answers the request before it; part 2 gets back
 * exactly the three messages with frames, one lump without.
 * Nothing here is racy: every line waits for the one before it.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "frame.h"

#define MSG_MAX 256

static const char requests[][48] = {
    "apple", "banana split", "", "cherry", "a rather longer request, to vary the length",
};
#define NREQUESTS (sizeof requests / sizeof requests[0])

static const char *const burst[] = { "one", "two", "three" };
#define NBURST (sizeof burst / sizeof burst[0])

/* Receive one frame as a string; dies on error or an unexpected end. */
static size_t recv_text(int fd, char *buf, const char *who, int in_child)
{
    size_t len;
    int r = frame_recv(fd, buf, MSG_MAX - 1, &len);

    if (r == 1) {
        buf[len] = '\0';
        return len;
    }
    if (r == 0)
        errno = EPROTO;         /* end of file where a message was due */
    if (in_child)
        die_child("%s: frame_recv", who);
    die("%s: frame_recv", who);
}

static void child(int fd, long n, int raw)
{
    char buf[MSG_MAX];

    /* Part 1: answer each request, in order. */
    for (long i = 1; i <= n; i++) {
        size_t len = recv_text(fd, buf, "child", 1);

        say("child  (%ld): got request %ld:   '%s' (%zu bytes)", (long)getpid(), i, buf, len);
        for (size_t k = 0; k < len; k++)
            buf[k] = (char)toupper((unsigned char)buf[k]);
        say("child  (%ld): sending reply %ld:  '%s'", (long)getpid(), i, buf);
        if (frame_send(fd, buf, len) == -1)
            die_child("frame_send");
    }

    /* Part 2: when asked, three messages in a row, nothing in between. */
    recv_text(fd, buf, "child", 1);
    for (size_t k = 0; k < NBURST; k++) {
        size_t len = strlen(burst[k]);

        say("child  (%ld): sending '%s' (%zu bytes)%s", (long)getpid(), burst[k], len,
            raw ? " with a plain write()" : " as a frame");
        if (raw ? write_all(fd, burst[k], len) : frame_send(fd, burst[k], len))
            die_child("write");
    }
    if (close(fd) == -1)
        die_child("close");
}

int main(int argc, char *argv[])
{
    long n = 3;
    int raw = 0, sv[2], opt;
    char buf[MSG_MAX];
    pid_t pid;

    prog_init(argc, argv, "[-c REQUESTS] [-m framed|raw]\n"
              "  -c REQUESTS    requests of part 1, each answered in upper case (default 3)\n"
              "  -m framed|raw  part 2's messages as frames or plain write()s (default framed)\n"
              "Python: a duplex Pipe(), send_bytes and recv_bytes both ways "
              "(twin: pipe_duplex.py)");
    while ((opt = get_option(argc, argv, "c:m:")) != -1) {
        if (opt == 'c') {
            n = arg_long(optarg, opt, 1, 1000);
        } else if (strcmp(optarg, "raw") == 0 || strcmp(optarg, "framed") == 0) {
            raw = strcmp(optarg, "raw") == 0;
        } else {
            usage_error("-m wants framed or raw, not '%s'", optarg);
        }
    }
    no_operands(argc, argv);

    /* Pipe() with duplex=True: one connected pair of stream sockets; each
     * end both sends and receives. */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
        die("socketpair");
    pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        if (close(sv[0]) == -1)         /* the parent's end */
            die_child("close");
        child(sv[1], n, raw);
        _exit(0);
    }
    if (close(sv[1]) == -1)             /* the child's end */
        die("close");

    say("parent (%ld): part 1, request and reply", (long)getpid());
    for (long i = 1; i <= n; i++) {
        const char *req = requests[(i - 1) % NREQUESTS];
        size_t len;

        /* Say it BEFORE sending: then this line is written before the
         * child can receive the request and print its own. */
        say("parent (%ld): sending request %ld: '%s' (%zu bytes)", (long)getpid(), i, req,
            strlen(req));
        if (frame_send(sv[0], req, strlen(req)) == -1)
            die("frame_send");
        len = recv_text(sv[0], buf, "parent", 0);
        say("parent (%ld): got reply %ld:      '%s' (%zu bytes)", (long)getpid(), i, buf, len);
    }

    /* Part 2. Ask for the burst, then join the child: once it has exited,
     * every byte it sent is waiting in our end of the socket, all at once. */
    say("parent (%ld): part 2, boundaries: asking for three messages in a row",
        (long)getpid());
    if (frame_send(sv[0], "burst", 5) == -1)
        die("frame_send");
    say("parent (%ld): the child exited with %d; all it sent is waiting: reading",
        (long)getpid(), join_child(pid));
    if (raw) {
        /* One read() with plenty of room: it returns every byte there is. */
        ssize_t got = read(sv[0], buf, sizeof buf - 1);

        if (got == -1)
            die("read");
        buf[got] = '\0';
        say("parent (%ld): one read() returned %zd bytes: '%s': where did each message end?",
            (long)getpid(), got, buf);
    } else {
        size_t len;
        int r, count = 0;

        while ((r = frame_recv(sv[0], buf, sizeof buf - 1, &len)) == 1) {
            buf[len] = '\0';
            say("parent (%ld): got message %d of the burst: '%s' (%zu bytes)",
                (long)getpid(), ++count, buf, len);
        }
        if (r == -1)
            die("frame_recv");
        say("parent (%ld): end of file after %d messages (expected %zu)",
            (long)getpid(), count, NBURST);
    }
    if (close(sv[0]) == -1)
        die("close");
    return 0;
}
