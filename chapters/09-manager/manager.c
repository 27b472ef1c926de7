/* manager.c - the manager's owner side (see manager.h): make the private
 * directory and the socket, fork the server (server.c), and later stop it
 * and reap it. The lifeline that ties the server to its owner lives here.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server.h"

#define SOCKET_NAME "socket"

struct manager {
    pid_t owner;                /* only this process may shut it down   */
    pid_t server;
    int lifeline;               /* our end; the server watches the other */
    char dir[sizeof ((struct sockaddr_un *)0)->sun_path];
    char path[sizeof ((struct sockaddr_un *)0)->sun_path];
};

/* ==== the lifeline is the owner's alone ==================================
 * A child forked by the owner would inherit the owner's end of the
 * lifeline, and the server would then see end-of-file only when that child
 * ended too. So the lifeline is closed in every child at fork: the kernel
 * has no "close on fork" flag in POSIX.1-2008 (POSIX.1-2024 adds
 * FD_CLOFORK), but pthread_atfork() runs a function in the child of every
 * fork(). exec() closes it as well (FD_CLOEXEC). One manager at a time per
 * process: every program here needs one. */
static int lifeline = -1;

static void close_lifeline_in_child(void)
{
    if (lifeline != -1 && close(lifeline) == -1)
        die_child("close lifeline");
    lifeline = -1;
}

/* Undo a start that failed half-way; errno stays the first error's. */
static void undo(manager *m, int fd1, int fd2, int fd3)
{
    int saved = errno;
    int fds[3] = { fd1, fd2, fd3 };

    for (int i = 0; i < 3; i++)
        if (fds[i] != -1)
            (void)close(fds[i]);        /* already failing */
    if (m->path[0] != '\0')
        (void)unlink(m->path);
    (void)rmdir(m->dir);
    free(m);
    errno = saved;
}

manager *manager_start(unsigned flags)
{
    static int registered;
    const char *base = getenv("TMPDIR");
    struct sockaddr_un addr;
    manager *m;
    sigset_t stops, old_mask;
    int fd, life[2];

    if (lifeline != -1) {
        errno = EBUSY;                  /* this process has one already */
        return NULL;
    }
    if (!registered) {
        int err = pthread_atfork(NULL, NULL, close_lifeline_in_child);
        if (err != 0) {
            errno = err;
            return NULL;
        }
        registered = 1;
    }
    m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->lifeline = -1;
    /* The socket's path must fit sun_path (about 100 bytes): a long
     * TMPDIR falls back to /tmp. */
    if (base == NULL || base[0] != '/' || strlen(base) > 60)
        base = "/tmp";
    snprintf(m->dir, sizeof m->dir, "%s/wb-manager-XXXXXX", base);
    /* mkdtemp: a new directory with a name nobody could guess, mode 0700
     * (a umask can only take bits away): only our user may look inside or
     * connect. */
    if (mkdtemp(m->dir) == NULL) {
        free(m);
        return NULL;
    }
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    /* dir is at most 60 + 18 bytes long: dir/socket fits sun_path. */
    strcpy(addr.sun_path, m->dir);
    strcat(addr.sun_path, "/" SOCKET_NAME);

    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd == -1) {
        undo(m, -1, -1, -1);
        return NULL;
    }
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) == -1) {
        undo(m, fd, -1, -1);
        return NULL;
    }
    strcpy(m->path, addr.sun_path);
    /* From listen() on the kernel queues connections: a client may
     * connect before the server has even started. The lifeline: a
     * socketpair rather than a pipe, so that the owner can say "stop" with
     * send(MSG_NOSIGNAL) even if the server has died (write() to a pipe
     * with no reader would kill the owner by SIGPIPE). */
    if (listen(fd, SOMAXCONN) == -1) {
        undo(m, fd, -1, -1);
        return NULL;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, life) == -1) {
        undo(m, fd, -1, -1);
        return NULL;
    }
    set_cloexec(fd);
    set_cloexec(life[0]);
    set_cloexec(life[1]);

    /* Block the stop signals across the fork: a Ctrl-C that came between
     * fork() and the server's sigaction() would otherwise kill the new
     * server with SIGINT's default action, before it could clean up. */
    stop_signals(&stops);
    if (sigprocmask(SIG_BLOCK, &stops, &old_mask) == -1) {
        undo(m, fd, life[0], life[1]);
        return NULL;
    }
    m->owner = getpid();
    m->server = fork();
    if (m->server == -1) {
        (void)sigprocmask(SIG_SETMASK, &old_mask, NULL);   /* failing already */
        undo(m, fd, life[0], life[1]);
        return NULL;
    }
    if (m->server == 0) {
        /* The server. Keep the server's end of the lifeline only: holding
         * the owner's end too, we would never see it close. */
        if (close(life[0]) == -1)
            die_child("close");
        server_main(fd, life[1], m->dir, m->path, flags);
    }
    /* The owner: its own signal mask back (a signal that came meanwhile
     * is delivered now); the listening socket and the server's end are the
     * server's. */
    if (sigprocmask(SIG_SETMASK, &old_mask, NULL) == -1)
        die("sigprocmask");
    if (close(fd) == -1 || close(life[1]) == -1)
        die("close");
    m->lifeline = lifeline = life[0];
    return m;
}

const char *manager_address(const manager *m)
{
    return m->path;
}

const char *manager_directory(const manager *m)
{
    return m->dir;
}

pid_t manager_pid(const manager *m)
{
    return m->server;
}

int manager_shutdown(manager *m)
{
    int status;

    if (getpid() != m->owner) {
        errno = EPERM;
        return -1;
    }
    /* Say "stop" (the server may already be gone: EPIPE, no signal), then
     * close our end: end-of-file would stop it too. */
    (void)send(m->lifeline, "q", 1, MSG_NOSIGNAL);
    lifeline = -1;
    if (close(m->lifeline) == -1)
        die("close lifeline");
    while (waitpid(m->server, &status, 0) == -1)
        if (errno != EINTR)
            die("waitpid %ld", (long)m->server);
    /* A server that did not stop cleanly (killed by SIGKILL, or failed to
     * start) may have removed nothing: do it for it. */
    if (exitcode_of(status) != 0) {
        if (unlink(m->path) == -1 && errno != ENOENT)
            die("unlink %s", m->path);
        if (rmdir(m->dir) == -1 && errno != ENOENT)
            die("rmdir %s", m->dir);
    }
    free(m);
    return exitcode_of(status);
}
