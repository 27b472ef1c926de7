/* fd_pass.h - sending an open descriptor to another process (SCM_RIGHTS).
 *
 * A descriptor is a number that means something only in the process that
 * holds it. To give another process the same open file, pipe or socket,
 * send it over a Unix-domain socket in an SCM_RIGHTS control message: the
 * kernel installs a copy in the receiver, under a number of its own.
 * Chapter 13's start_forkserver teaches it (its requester hands each child's
 * socket end to the fork server); chapter 11's cost_start measures it.
 * Python: multiprocessing.reduction.sendfds / recvfds.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef WORKBOOK_FD_PASS_H
#define WORKBOOK_FD_PASS_H

#include <stddef.h>

/* send_fd: the len bytes at data (at least one: a message of no bytes
 * carries no control message), and the descriptor fd with them, in one
 * sendmsg(). 0, or -1 with errno set (an EINTR is retried). */
int send_fd(int sock, const void *data, size_t len, int fd);

/* recv_fd: len bytes into data and the descriptor that came with them,
 * into *fd. 1; 0 at end of file; -1 with errno set: EINTR (a signal came,
 * the caller decides), EBADMSG (not len bytes, or no descriptor with them),
 * or recvmsg's own errno. */
int recv_fd(int sock, void *data, size_t len, int *fd);

#endif
