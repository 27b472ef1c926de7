/* creds.h - who is at the other end of a Unix-domain socket, and how to
 * become someone else: the corner of chapter 09 that POSIX leaves out.
 *
 * POSIX lets a server accept a connection on a Unix-domain socket but
 * offers no way to ask which user made it. Every system adds one:
 * Linux has getsockopt(SO_PEERCRED); the BSDs and macOS have getpeereid().
 * creds.c picks what the system offers, by feature macros, and is the only
 * file of the chapter compiled without _POSIX_C_SOURCE (say why there).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef WORKBOOK_CREDS_H
#define WORKBOOK_CREDS_H

#include <sys/types.h>

/* The effective user id of the process that connected the socket fd, as it
 * was when that process called connect(). Returns 0 and sets *uid, or -1
 * with errno set: ENOSYS where the system offers no way to ask. */
int peer_uid(int fd, uid_t *uid);

/* A name for the mechanism peer_uid() uses here ("SO_PEERCRED",
 * "getpeereid", or "none"), for the lessons' output. */
const char *peer_uid_how(void);

/* Become user uid, group gid, for good (root only): supplementary groups
 * first, then the group, then the user (the other order would leave no
 * right to change the group). Returns 0, or -1 with errno set; it also
 * fails (EPERM) if root could be regained afterwards. */
int drop_privileges(uid_t uid, gid_t gid);

#endif
