/* say.c - whole-line output: one line, one write(2).
 * SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* MSG_NOSIGNAL (POSIX.1-2008, but missing from older macOS SDKs): a send
 * to a socket whose peer has gone fails with EPIPE instead of raising
 * SIGPIPE. Without it, send_all is write_all. */
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

#include "common.h"

void vsay_to(int fd, const char *fmt, va_list ap)
{
    char line[SAY_MAX];
    int n = vsnprintf(line, sizeof line, fmt, ap);

    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof line) {     /* too long: cut it, and say so */
        n = (int)sizeof line - 1;
        memcpy(line + n - 3, "...", 3);
    }
    line[n++] = '\n';
    /* A failed write of a demo's output (stdout closed, disk full) is not
     * worth dying for; a pipe with no reader still raises SIGPIPE. */
    (void)write_all(fd, line, (size_t)n);
}

void say_to(int fd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsay_to(fd, fmt, ap);
    va_end(ap);
}

void say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsay_to(STDOUT_FILENO, fmt, ap);
    va_end(ap);
}

/* The one loop over short writes: write(2), or send(2) on a socket. */
static int put_all(int fd, const void *buf, size_t n, int sock)
{
    const char *p = buf;

    while (n > 0) {
        ssize_t w = sock ? send(fd, p, n, MSG_NOSIGNAL) : write(fd, p, n);
        if (w == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int write_all(int fd, const void *buf, size_t n)
{
    return put_all(fd, buf, n, 0);
}

int send_all(int sock, const void *buf, size_t n)
{
    return put_all(sock, buf, n, 1);
}

ssize_t read_full(int fd, void *buf, size_t n)
{
    char *p = buf;
    size_t got = 0;

    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;              /* end of file: every write end is closed */
        got += (size_t)r;
    }
    return (ssize_t)got;
}
