/* fd_report.c - print which file descriptors this process holds open.
 *
 * A probe for the other programs of this chapter: run it as their command
 * and it tells what the command inherited. A well-behaved parent hands over
 * 0, 1 and 2 and nothing else; a leaked descriptor can keep a pipe from
 * ever reaching end-of-file, or give the command a file it should not see.
 * POSIX has no call that lists open descriptors, so it asks each possible
 * one with fcntl(F_GETFD), which fails with EBADF for a closed one.
 *
 * Python:  no twin; the Python programs of this chapter run this one too.
 *          (In Python: os.listdir('/proc/self/fd') on Linux.)
 * Usage:   ./fd_report
 * Look for: "open file descriptors: 0 1 2" when started by this chapter's
 * programs; run it straight from a shell with `5</dev/null` and the 5 shows.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char *argv[])
{
    char list[SAY_MAX - 64];
    size_t len = 0;
    long max;

    prog_init(argc, argv, "[-h]");
    while (get_option(argc, argv, "") != -1)
        ;                       /* no options: get_option answers -h itself */
    no_operands(argc, argv);

    max = sysconf(_SC_OPEN_MAX);        /* our limit: no fd is at or above it */
    if (max == -1 || max > INT_MAX)
        max = max == -1 ? 1024 : INT_MAX;
    list[0] = '\0';
    for (int fd = 0; fd < (int)max; fd++) {
        if (fcntl(fd, F_GETFD) == -1)
            continue;           /* EBADF: not open */
        if (len + 16 >= sizeof list) {
            snprintf(list + len, sizeof list - len, " ...");
            break;
        }
        len += (size_t)snprintf(list + len, sizeof list - len, " %d", fd);
    }
    say("open file descriptors:%s", list);
    return 0;
}
