/* say.c - whole-line output: one line, one write(2).
 * SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;

    while (n > 0) {
        ssize_t w = write(fd, p, n);
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
