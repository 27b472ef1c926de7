/* fd_pass.c - send_fd() and recv_fd(): a descriptor travels in an
 * SCM_RIGHTS control message (fd_pass.h says what for).
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fd_pass.h"

/* A buffer for one control message that carries one int, aligned as a
 * struct cmsghdr must be. */
union control {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
};

int send_fd(int sock, const void *data, size_t len, int fd)
{
    union control control;
    struct iovec iov = { (void *)data, len };   /* sendmsg does not write it */
    struct msghdr msg;
    struct cmsghdr *c;

    memset(&msg, 0, sizeof msg);
    memset(&control, 0, sizeof control);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    while (sendmsg(sock, &msg, 0) == -1)
        if (errno != EINTR)
            return -1;
    return 0;
}

int recv_fd(int sock, void *data, size_t len, int *fd)
{
    union control control;
    struct iovec iov = { data, len };
    struct msghdr msg;
    struct cmsghdr *c;
    ssize_t got;

    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    got = recvmsg(sock, &msg, 0);
    if (got <= 0)
        return (int)got;        /* 0: end of file; -1: errno says why */
    c = CMSG_FIRSTHDR(&msg);
    if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
        errno = EBADMSG;        /* bytes without a descriptor */
        return -1;
    }
    memcpy(fd, CMSG_DATA(c), sizeof *fd);
    if ((size_t)got != len) {   /* a descriptor with too few bytes */
        close(*fd);
        errno = EBADMSG;
        return -1;
    }
    return 1;
}
