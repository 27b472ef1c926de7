/* say.c - whole-line output: one line, one write(2).
 * SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Set once the reader of stdout has gone (`./demo | head`): see put_line. */
static int gone;

int output_gone(void)
{
    return gone;
}

/* The reader of stdout or stderr may go away before the program ends
 * (`./demo | head -3`). The default then is death by SIGPIPE, wherever the
 * process is: in the middle of a critical section, holding a lock or a
 * semaphore's slot that others wait on for ever. So a line for the terminal
 * is written with SIGPIPE blocked: a gone reader is an EPIPE here, the
 * signal it raised is taken back (sigwait), and the descriptor is pointed
 * at /dev/null. The process then prints nothing more and, once stdout is
 * gone, pauses no more (pace() asks output_gone(): nobody is watching), and
 * runs on to its normal end, quickly: every lock released, every child
 * reaped, every named object removed by the program's own code. Any other
 * descriptor (a pipe that is the lesson) keeps the default: SIGPIPE. */
static void put_line(int fd, const char *line, size_t n)
{
    sigset_t pipe_only, old, pending;
    int sig, err, null;

    if (fd != STDOUT_FILENO && fd != STDERR_FILENO) {
        (void)write_all(fd, line, n);
        return;
    }
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigprocmask(SIG_BLOCK, &pipe_only, &old);
    err = write_all(fd, line, n) == -1 ? errno : 0;
    if (err == EPIPE) {
        /* Pending unless SIGPIPE is ignored, or was blocked already. */
        if (!sigismember(&old, SIGPIPE) && sigpending(&pending) == 0
            && sigismember(&pending, SIGPIPE))
            sigwait(&pipe_only, &sig);
        null = open("/dev/null", O_WRONLY);
        if (null != -1 && null != fd) {
            dup2(null, fd);
            close(null);
        }
        if (fd == STDOUT_FILENO)
            gone = 1;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Colour is not the lesson, but it helps a class follow who said what: on
 * a terminal, each process's lines on stdout come in a colour of its own,
 * chosen by its pid (pid % 5: processes forked one after another get
 * different colours, unless other pids come in between). The pid and role
 * stay in the text. No colour when stdout is not a terminal (a pipe, a
 * file, the tests), or when NO_COLOR is set to anything but "" (the
 * no-color.org convention). workbook.py picks the same colours. */
static const char *colour_of_line(int fd)
{
    static const char *const colours[] = {
        "\033[36m", "\033[32m", "\033[33m", "\033[35m", "\033[34m"  /* cyan .. blue */
    };
    const char *no = getenv("NO_COLOR");

    if (fd != STDOUT_FILENO || (no != NULL && no[0] != '\0') || !isatty(fd))
        return NULL;
    return colours[getpid() % 5];
}

void vsay_to(int fd, const char *fmt, va_list ap)
{
    char line[SAY_MAX + 16];
    const char *colour = colour_of_line(fd);
    size_t at = colour != NULL ? strlen(colour) : 0;
    int n = vsnprintf(line + at, SAY_MAX, fmt, ap);

    if (n < 0)
        n = 0;
    if (n >= SAY_MAX) {                 /* too long: cut it, and say so */
        n = SAY_MAX - 1;
        memcpy(line + at + n - 3, "...", 3);
    }
    if (colour != NULL) {
        memcpy(line, colour, at);
        memcpy(line + at + n, "\033[0m", 4);
        n += 4;
    }
    line[at + (size_t)n] = '\n';
    /* Any other failed write of a demo's line (disk full) is not worth
     * dying for. */
    put_line(fd, line, at + (size_t)n + 1);
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
