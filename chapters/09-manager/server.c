/* server.c - the manager's server process (see server.h and manager.h).
 *
 * One process runs one poll(2) loop and never blocks on any one client:
 * every socket is non-blocking, and each connection keeps its own buffers
 * (conn.c). Besides the clients' sockets the loop watches three more: the
 * listening socket (a new client: who is it?), the lifeline (the owner
 * says stop, or has died) and a self-pipe that turns SIGTERM and SIGHUP
 * into bytes. A client waiting in q.get() is parked, not waited for: its
 * reply is sent when an item comes or its deadline passes.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "creds.h"
#include "server.h"

static int sig_pipe_w = -1;     /* the signal handler's end of the self-pipe */

static void on_stop_signal(int sig)
{
    unsigned char b = (unsigned char)sig;
    int saved = errno;

    /* Only async-signal-safe work here: one write, which wakes poll(). */
    (void)write(sig_pipe_w, &b, 1);
    errno = saved;
}

void log_line(const struct server *s, const char *fmt, ...)
{
    char line[SAY_MAX];
    va_list ap;

    if (!(s->flags & MANAGER_LOG))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    say("manager (%ld): %s", (long)getpid(), line);
}

/* A refusal goes out at once: a new connection's socket buffer always has
 * room for one short frame. Then the connection is closed. */
static void refuse(int fd, const char *why)
{
    struct client c = { .fd = fd };

    reply_error(&c, MGR_E_REFUSED, "%s", why);
    client_flush(&c);
    if (c.fd != -1)
        client_close(&c);
}

static void accept_clients(struct server *s)
{
    char why[MGR_MAX_MESSAGE];

    for (;;) {
        int fd = accept(s->listen_fd, NULL, NULL);
        struct client *c = NULL;
        uid_t uid;

        if (fd == -1) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED)
                return;
            if (errno == EMFILE || errno == ENFILE)
                return;                 /* out of descriptors: try later */
            die_child("accept");
        }
        set_nonblocking(fd);
        set_cloexec(fd);

        /* Who is it? The directory's mode already keeps other users out;
         * this check holds even if the directory is opened (or does not
         * exist: a socket passed some other way). */
        if (peer_uid(fd, &uid) == -1) {
            if (errno != ENOSYS) {
                snprintf(why, sizeof why, "cannot tell who you are (%s)", errno_name(errno));
                refuse(fd, why);
                continue;
            }
        } else if (uid != geteuid()) {
            log_line(s, "refused a client of uid %ld (not uid %ld)", (long)uid, (long)geteuid());
            snprintf(why, sizeof why, "uid %ld is not the manager's uid %ld",
                     (long)uid, (long)geteuid());
            refuse(fd, why);
            continue;
        }
        for (int i = 0; i < MGR_MAX_CLIENTS && c == NULL; i++)
            if (s->clients[i].fd == -1)
                c = &s->clients[i];
        if (c == NULL) {
            log_line(s, "refused a client: %d clients already", MGR_MAX_CLIENTS);
            snprintf(why, sizeof why, "too many clients (at most %d)", MGR_MAX_CLIENTS);
            refuse(fd, why);
            continue;
        }
        c->fd = fd;
        c->in = malloc(IN_CAP);
        if (c->in == NULL) {
            client_close(c);
            continue;
        }
        {
            struct mgr_value pid = mgr_int(getpid());
            reply_ok(c, &pid);          /* the greeting */
        }
        client_flush(c);
    }
}

/* Parked q.get() calls whose deadline has passed get Empty. Returns the
 * poll timeout until the next deadline, in ms (-1: none). */
static int expire_waiters(struct server *s)
{
    double now = 0.0, next = -1.0;

    for (int i = 0; i < MGR_MAX_CLIENTS; i++) {
        struct client *c = &s->clients[i];
        if (c->fd == -1 || c->waiting == 0 || c->deadline < 0)
            continue;
        if (now == 0.0)
            now = now_seconds();        /* the clock only when someone waits */
        if (c->deadline <= now) {
            c->waiting = 0;
            reply_error(c, MGR_E_EMPTY, "the queue is still empty after the timeout");
            client_flush(c);
            s->woken = 1;
        } else if (next < 0 || c->deadline < next) {
            next = c->deadline;
        }
    }
    if (next < 0)
        return -1;
    return (int)ceil((next - now) * 1000.0);
}

/* ---- the loop ----------------------------------------------------------------
 * Returns why it stopped; *sig is the signal that stopped it, or 0. */
static const char *serve(struct server *s, int *sig)
{
    struct pollfd fds[3 + MGR_MAX_CLIENTS];
    struct client *who[3 + MGR_MAX_CLIENTS];

    for (;;) {
        int timeout, n = 0;

        timeout = expire_waiters(s);
        /* A parked client that got its reply may have sent more requests
         * meanwhile: act on them now (and on those that frees in turn). */
        while (s->woken) {
            s->woken = 0;
            for (int i = 0; i < MGR_MAX_CLIENTS; i++)
                if (s->clients[i].fd != -1)
                    client_work(s, &s->clients[i]);
        }

        fds[n++] = (struct pollfd){ .fd = s->lifeline, .events = POLLIN };
        fds[n++] = (struct pollfd){ .fd = s->sig_fd, .events = POLLIN };
        fds[n++] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
        for (int i = 0; i < MGR_MAX_CLIENTS; i++) {
            struct client *c = &s->clients[i];
            short ev = 0;
            if (c->fd == -1)
                continue;
            if (c->in_len < IN_CAP && !c->closing)
                ev |= POLLIN;           /* room to read: a full buffer is back-pressure */
            if (c->out_sent < c->out_len)
                ev |= POLLOUT;
            who[n] = c;
            fds[n++] = (struct pollfd){ .fd = c->fd, .events = ev };
        }
        if (poll(fds, (nfds_t)n, timeout) == -1) {
            if (errno == EINTR)
                continue;
            die_child("poll");
        }

        if (fds[0].revents != 0) {
            char b;
            return read(s->lifeline, &b, 1) == 1 ? "shutdown asked by the owner"
                   : "the owner is gone (end-of-file on the lifeline)";
        }
        if (fds[1].revents != 0) {
            unsigned char b;
            if (read(s->sig_fd, &b, 1) == 1) {
                *sig = b;
                return signal_name(b);
            }
        }
        for (int i = 3; i < n; i++) {
            struct client *c = who[i];
            if (fds[i].revents == 0)
                continue;
            if (fds[i].revents & POLLOUT)
                client_flush(c);
            if (c->fd != -1 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                client_read(c);
            if (c->fd != -1)
                client_work(s, c);      /* what just came, or what waited */
        }
        if (fds[2].revents & POLLIN)
            accept_clients(s);
    }
}

void stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
}

noreturn void server_main(int listen_fd, int lifeline, const char *dir,
                          const char *path, unsigned flags)
{
    static struct server s;     /* static: too large for the stack, and zeroed */
    struct sigaction sa;
    sigset_t stops;
    const char *why;
    int sp[2], sig = 0;

    s.listen_fd = listen_fd;
    s.lifeline = lifeline;
    s.flags = flags;
    for (int i = 0; i < MGR_MAX_CLIENTS; i++)
        s.clients[i].fd = -1;

    /* SIGTERM and SIGHUP stop us through a self-pipe, so that the loop
     * cleans up (a handler could not free or unlink safely). SIGINT is the
     * owner's business: a Ctrl-C reaches the whole process group, and the
     * owner decides. A client that vanishes must not kill us: SIGPIPE off.
     * (If a step fails, the owner's manager_shutdown removes the files.) */
    if (pipe(sp) == -1)
        die_child("pipe");
    for (int i = 0; i < 2; i++) {
        set_nonblocking(sp[i]);
        set_cloexec(sp[i]);
    }
    s.sig_fd = sp[0];
    sig_pipe_w = sp[1];
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop_signal;
    if (sigaction(SIGTERM, &sa, NULL) == -1 || sigaction(SIGHUP, &sa, NULL) == -1)
        die_child("sigaction");
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGPIPE, &sa, NULL) == -1)
        die_child("sigaction");
    /* Only now may the stop signals arrive: one sent while we were being
     * born (a Ctrl-C just after manager_start) waited, blocked, and is
     * handled from here on like any other. */
    stop_signals(&stops);
    if (sigprocmask(SIG_UNBLOCK, &stops, NULL) == -1)
        die_child("sigprocmask");
    set_nonblocking(listen_fd);

    why = serve(&s, &sig);
    log_line(&s, "stopping: %s", why);

    /* Every way out of serve() comes here: remove the name first (no new
     * client can connect then), and so nothing is left if a close fails;
     * then close and free. */
    if (unlink(path) == -1 && errno != ENOENT)
        die_child("unlink %s", path);
    if (rmdir(dir) == -1 && errno != ENOENT)
        die_child("rmdir %s", dir);
    for (int i = 0; i < MGR_MAX_CLIENTS; i++)
        if (s.clients[i].fd != -1)
            client_close(&s.clients[i]);
    for (int id = 1; id <= MGR_MAX_OBJECTS; id++)
        if (s.objects[id].kind != 0)
            object_free(&s, &s.objects[id]);
    if (close(listen_fd) == -1)
        die_child("close");
    log_line(&s, "removed %s and its directory", path);
    if (close(lifeline) == -1)
        die_child("close lifeline");
    if (sig != 0) {
        /* Die of the signal that stopped us, so that whoever waits for us
         * sees it (the handler is replaced by the default action first). */
        if (signal(sig, SIG_DFL) == SIG_ERR)
            die_child("signal");
        raise(sig);
    }
    _exit(0);                   /* a forked child: never the owner's exit handlers */
}
