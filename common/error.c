/* error.c - error reporting that names the failed call and errno.
 * SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

/* The program's name, for every message: set by prog_init() (args.c). */
static const char *name = "workbook";

void set_prog_name(const char *text)
{
    name = text;
}

const char *prog_name(void)
{
    return name;
}

#define NAME(e) { e, #e }
static const struct { int value; const char *name; } errnos[] = {
    NAME(EPERM), NAME(ENOENT), NAME(ESRCH), NAME(EINTR), NAME(EIO),
    NAME(ENXIO), NAME(E2BIG), NAME(ENOEXEC), NAME(EBADF), NAME(ECHILD),
    NAME(EAGAIN), NAME(ENOMEM), NAME(EACCES), NAME(EFAULT), NAME(EBUSY),
    NAME(EEXIST), NAME(ENOTDIR), NAME(EISDIR), NAME(EINVAL), NAME(ENFILE),
    NAME(EMFILE), NAME(ENOSPC), NAME(ESPIPE), NAME(EPIPE), NAME(ERANGE),
    NAME(EDEADLK), NAME(ENAMETOOLONG), NAME(ENOSYS), NAME(ENOTEMPTY),
    NAME(ELOOP), NAME(EMSGSIZE), NAME(EPROTO), NAME(ETIMEDOUT),
    NAME(ECONNREFUSED), NAME(ECONNRESET), NAME(EADDRINUSE), NAME(ENOTSOCK),
    NAME(EOWNERDEAD), NAME(ENOTRECOVERABLE), NAME(EOVERFLOW), NAME(ENOTSUP),
    NAME(EBADMSG), NAME(ENOTCONN), NAME(EROFS), NAME(ETXTBSY),
};

static const struct { int value; const char *name; } signals[] = {
    NAME(SIGHUP), NAME(SIGINT), NAME(SIGQUIT), NAME(SIGILL), NAME(SIGTRAP),
    NAME(SIGABRT), NAME(SIGBUS), NAME(SIGFPE), NAME(SIGKILL), NAME(SIGUSR1),
    NAME(SIGSEGV), NAME(SIGUSR2), NAME(SIGPIPE), NAME(SIGALRM), NAME(SIGTERM),
    NAME(SIGCHLD), NAME(SIGCONT), NAME(SIGSTOP), NAME(SIGTSTP), NAME(SIGTTIN),
    NAME(SIGTTOU), NAME(SIGURG), NAME(SIGXCPU), NAME(SIGXFSZ),
};

const char *errno_name(int err)
{
    for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
        if (errnos[i].value == err)
            return errnos[i].name;
    return "E?";
}

const char *signal_name(int sig)
{
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
        if (signals[i].value == sig)
            return signals[i].name;
    return "SIG?";
}

/* Format "prog: <message>[: ENAME (text)]" and write it to stderr in one
 * write(2), so that an error line of a child never tears a parent's line.
 * flush: first send out what stdio holds, so that it comes before the error;
 * never in a child of fork(), whose stdio buffers are the parent's copies
 * (flushing them would print the parent's pending lines a second time). */
static void report(int err, bool flush, const char *fmt, va_list ap)
{
    char msg[SAY_MAX];

    if (flush)
        fflush(stdout);
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (err >= 0)
        say_to(STDERR_FILENO, "%s: %s: %s (%s)", prog_name(), msg,
               errno_name(err), strerror(err));
    else
        say_to(STDERR_FILENO, "%s: %s", prog_name(), msg);
}

void die(const char *fmt, ...)
{
    int err = errno;
    va_list ap;

    va_start(ap, fmt);
    report(err, true, fmt, ap);
    va_end(ap);
    exit(EXIT_FAILURE);
}

void die_child(const char *fmt, ...)
{
    int err = errno;
    va_list ap;

    va_start(ap, fmt);
    report(err, false, fmt, ap);
    va_end(ap);
    _exit(EXIT_FAILURE);        /* a child: leave the parent's buffers alone */
}

void fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report(-1, true, fmt, ap);
    va_end(ap);
    exit(EXIT_FAILURE);
}

void check_pthread(int err, const char *call)
{
    if (err != 0) {
        errno = err;            /* pthread_* return the error, and leave errno */
        die("%s", call);
    }
}
