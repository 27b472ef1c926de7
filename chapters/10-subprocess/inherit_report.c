/* inherit_report.c - print what this process inherited across exec that a
 * parent may hand over by accident: open file descriptors, ignored
 * signals, blocked signals.
 *
 * A probe for the other programs of this chapter: run it as their command
 * and it tells what the command received. A careful parent hands over 0, 1
 * and 2 and nothing else (a leaked descriptor can keep a pipe from ever
 * reaching end-of-file, or give the command a file it should not see), no
 * signal it ignores for its own reasons (an ignored signal stays ignored
 * across exec), and an empty signal mask (the mask is kept too). Caught
 * signals need no care: exec resets them to their default.
 * POSIX has no call that lists open descriptors, so it asks each possible
 * one with fcntl(F_GETFD), which fails with EBADF for a closed one.
 *
 * Python:  no twin; the Python programs of this chapter run this one too.
 * Usage:   ./inherit_report
 * Look for: "open file descriptors: 0 1 2", "blocked signals: none", and
 * no SIGPIPE among the ignored signals, when started by this chapter's
 * programs. Run it from a shell with `5</dev/null` and the 5 shows. A
 * shell starts background jobs (`&`) with SIGINT and SIGQUIT ignored: that
 * is inherited too, and not the business of the programs here.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

#define SIG_LAST 64             /* beyond every signal number in use */

struct list {
    char text[SAY_MAX - 64];
    size_t len;
};

static void add(struct list *l, const char *item)
{
    if (l->len + strlen(item) + 6 >= sizeof l->text) {
        if (strstr(l->text, " ...") == NULL)
            l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len, " ...");
        return;
    }
    l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len, " %s", item);
}

static const char *or_none(struct list *l)
{
    return l->len == 0 ? " none" : l->text;
}

static void add_signal(struct list *l, int sig)
{
    char number[16];
    const char *name = signal_name(sig);

    if (strcmp(name, "SIG?") == 0) {    /* a real-time signal, or unusual */
        snprintf(number, sizeof number, "%d", sig);
        name = number;
    }
    add(l, name);
}

int main(int argc, char *argv[])
{
    struct list fds = { "", 0 }, ignored = { "", 0 }, blocked = { "", 0 };
    sigset_t mask;
    long max;

    prog_init(argc, argv, "\n"
              "Python: no Python twin: the twins of this chapter run this program too");
    while (get_option(argc, argv, "") != -1)
        ;                       /* no options: get_option answers -h itself */
    no_operands(argc, argv);

    max = sysconf(_SC_OPEN_MAX);        /* our limit: no fd is at or above it */
    if (max == -1 || max > INT_MAX)
        max = max == -1 ? 1024 : INT_MAX;
    for (int fd = 0; fd < (int)max; fd++) {
        char number[16];

        if (fcntl(fd, F_GETFD) == -1)
            continue;           /* EBADF: not open */
        snprintf(number, sizeof number, "%d", fd);
        add(&fds, number);
    }

    if (sigprocmask(SIG_BLOCK, NULL, &mask) == -1)      /* NULL: only ask */
        die("sigprocmask");
    for (int sig = 1; sig <= SIG_LAST; sig++) {
        struct sigaction now;

        if (sigaction(sig, NULL, &now) == -1)
            continue;           /* EINVAL: no such signal */
        if (now.sa_handler == SIG_IGN)
            add_signal(&ignored, sig);
        if (sigismember(&mask, sig) == 1)
            add_signal(&blocked, sig);
    }

    say("open file descriptors:%s", or_none(&fds));
    say("ignored signals:%s", or_none(&ignored));
    say("blocked signals:%s", or_none(&blocked));
    return 0;
}
