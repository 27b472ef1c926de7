/* fd.c - two flags of an open file descriptor: close-on-exec (chapter 10
 * shows what it prevents) and non-blocking (chapter 10's communicate).
 * SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>

#include "common.h"

void set_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);

    if (flags == -1)
        die("fcntl(%d, F_GETFD)", fd);
    if (fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1)
        die("fcntl(%d, F_SETFD)", fd);
}

void set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags == -1)
        die("fcntl(%d, F_GETFL)", fd);
    if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
        die("fcntl(%d, F_SETFL)", fd);
}
