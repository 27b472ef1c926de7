/* creds.c - peer credentials and dropping privileges (see creds.h).
 *
 * No _POSIX_C_SOURCE here, unlike every other file of the workbook: what
 * this file needs is outside POSIX, and asking for strict POSIX would hide
 * it. _GNU_SOURCE asks glibc for struct ucred and setgroups(); the BSDs
 * and macOS show getpeereid() and setgroups() by default.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "creds.h"

int peer_uid(int fd, uid_t *uid)
{
#if defined(SO_PEERCRED) && !defined(__OpenBSD__)
    /* Linux: the kernel recorded the client's pid, uid and gid when it
     * called connect(); the client cannot lie about them. */
    struct ucred cred;
    socklen_t len = sizeof cred;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
        return -1;
    *uid = cred.uid;
    return 0;
#elif defined(LOCAL_PEERCRED) || defined(LOCAL_PEEREID) || defined(__OpenBSD__)
    /* FreeBSD, macOS, NetBSD, OpenBSD: the same facts, another name. */
    gid_t gid;

    return getpeereid(fd, uid, &gid);
#else
    /* Nothing to ask: the directory's mode 0700 is the only guard. */
    (void)fd;
    (void)uid;
    errno = ENOSYS;
    return -1;
#endif
}

const char *peer_uid_how(void)
{
#if defined(SO_PEERCRED) && !defined(__OpenBSD__)
    return "SO_PEERCRED";
#elif defined(LOCAL_PEERCRED) || defined(LOCAL_PEEREID) || defined(__OpenBSD__)
    return "getpeereid";
#else
    return "none";
#endif
}

int drop_privileges(uid_t uid, gid_t gid)
{
    /* Supplementary groups first: root's would otherwise stay with us. */
    if (setgroups(1, &gid) == -1)
        return -1;
    if (setgid(gid) == -1)
        return -1;
    if (setuid(uid) == -1)
        return -1;
    /* A real drop is for good: the way back must now be closed. */
    if (uid != 0 && setuid(0) == 0) {
        errno = EPERM;
        return -1;
    }
    return 0;
}
