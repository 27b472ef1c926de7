/* manager.c - the manager's owner side and its server (see manager.h).
 *
 * The server is one process running one poll(2) loop. It never blocks on
 * any one client: every socket is non-blocking, each connection has its own
 * input buffer (a request is acted on only once frame_parse() says it is
 * whole) and its own output buffer (a reply the client does not read yet
 * waits there, and the server reads no more requests from that client
 * until it has gone). A client waiting in q.get() is parked, not waited
 * for: its reply is sent when an item comes or its deadline passes.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "creds.h"
#include "frame.h"
#include "manager.h"

#define SOCKET_NAME "socket"
#define IN_CAP (FRAME_HEADER + MGR_MAX_REQUEST)

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
 * ended too. So every lifeline is closed in every child at fork: the kernel
 * has no "close on fork" flag in POSIX.1-2008 (POSIX.1-2024 adds
 * FD_CLOFORK), but pthread_atfork() runs a function in the child of every
 * fork(). exec() closes it as well (FD_CLOEXEC). */
#define MAX_LIFELINES 16
static int lifelines[MAX_LIFELINES];
static int nlifelines;

static void close_lifelines_in_child(void)
{
    for (int i = 0; i < nlifelines; i++)
        if (close(lifelines[i]) == -1)
            die_child("close lifeline");
    nlifelines = 0;
}

static int remember_lifeline(int fd)
{
    static int registered;

    if (!registered) {
        int err = pthread_atfork(NULL, NULL, close_lifelines_in_child);
        if (err != 0) {
            errno = err;
            return -1;
        }
        registered = 1;
    }
    if (nlifelines == MAX_LIFELINES) {
        errno = EMFILE;
        return -1;
    }
    lifelines[nlifelines++] = fd;
    return 0;
}

static void forget_lifeline(int fd)
{
    for (int i = 0; i < nlifelines; i++)
        if (lifelines[i] == fd) {
            lifelines[i] = lifelines[--nlifelines];
            return;
        }
}

/* ==== the server's state ================================================= */
struct object {
    enum mgr_kind kind;         /* 0: a free slot                        */
    struct mgr_value *items;    /* list, queue: the items; dict: key,    */
    size_t head, count, cap;    /*   value pairs. Queue: items from head */
};

struct client {
    int fd;                     /* -1: a free slot                       */
    unsigned char *in;          /* bytes received, not yet acted on      */
    size_t in_len;
    unsigned char *out;         /* a reply not yet sent                  */
    size_t out_len, out_sent, out_cap;
    int closing;                /* close once the output is sent         */
    uint32_t waiting;           /* in q.get() on this queue (0: not)     */
    double deadline;            /* ... until then (< 0: for ever)        */
    unsigned long wait_order;   /* who asked first                       */
};

struct server {
    int listen_fd, lifeline, sig_fd;
    unsigned flags;
    struct client clients[MGR_MAX_CLIENTS];
    struct object objects[MGR_MAX_OBJECTS + 1];     /* id 0 is not used */
    long bytes;                 /* bytes of strings stored              */
    unsigned long wait_counter;
    const char *stop_reason;
    int stop_signal;
};

static int sig_pipe_w = -1;     /* the signal handler's end of the self-pipe */

static void on_stop_signal(int sig)
{
    unsigned char b = (unsigned char)sig;
    int saved = errno;

    /* Only async-signal-safe work here: one write, which wakes poll(). */
    (void)write(sig_pipe_w, &b, 1);
    errno = saved;
}

static void log_line(const struct server *s, const char *fmt, ...) WB_PRINTF(2, 3);
static void log_line(const struct server *s, const char *fmt, ...)
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

static int try_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
        return -1;
    return 0;
}

static int try_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);

    if (fl == -1 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == -1)
        return -1;
    return 0;
}

/* ---- stored values: the server keeps its own copy of every string ---- */
static int value_keep(struct server *s, const struct mgr_value *v, struct mgr_value *kept)
{
    char *copy;

    *kept = *v;
    if (v->type != MGR_STR)
        return 0;
    if (s->bytes + (long)v->len > MGR_MAX_BYTES)
        return -1;
    copy = malloc(v->len > 0 ? v->len : 1);
    if (copy == NULL)
        return -1;
    if (v->len > 0)
        memcpy(copy, v->str, v->len);
    kept->str = copy;
    s->bytes += (long)v->len;
    return 0;
}

static void value_drop(struct server *s, struct mgr_value *v)
{
    if (v->type == MGR_STR) {
        free((void *)v->str);
        s->bytes -= (long)v->len;
    }
    v->type = MGR_NONE;
}

/* Room for `more` values in o: MGR_MAX_ITEMS items at most. */
static int object_reserve(struct object *o, size_t more)
{
    size_t per_item = o->kind == MGR_DICT ? 2 : 1;
    size_t cap;
    struct mgr_value *items;

    if ((o->count - o->head) / per_item + 1 > MGR_MAX_ITEMS)
        return -1;
    if (o->kind == MGR_QUEUE && o->head > 0 && o->head >= o->count / 2) {
        /* Most of a queue's array has been taken: slide the rest down. */
        memmove(o->items, o->items + o->head, (o->count - o->head) * sizeof *o->items);
        o->count -= o->head;
        o->head = 0;
    }
    if (o->count + more <= o->cap)
        return 0;
    cap = o->cap ? o->cap * 2 : 16;
    while (cap < o->count + more)
        cap *= 2;
    items = realloc(o->items, cap * sizeof *items);
    if (items == NULL)
        return -1;
    o->items = items;
    o->cap = cap;
    return 0;
}

static void object_free(struct server *s, struct object *o)
{
    for (size_t i = o->head; i < o->count; i++)
        value_drop(s, &o->items[i]);
    free(o->items);
    memset(o, 0, sizeof *o);
}

/* The pair index of key in a dict, or -1. A linear search: fine for the
 * workbook's sizes (a real manager would hash). */
static long dict_find(const struct object *o, const struct mgr_value *key)
{
    for (size_t i = 0; i < o->count; i += 2)
        if (mgr_value_equal(&o->items[i], key))
            return (long)i;
    return -1;
}

/* Python's index rules: -1 is the last item. */
static int list_index(const struct object *o, int64_t index, size_t *at)
{
    int64_t n = (int64_t)o->count;

    if (index < 0)
        index += n;
    if (index < 0 || index >= n)
        return -1;
    *at = (size_t)index;
    return 0;
}

static void client_flush(struct server *s, struct client *c);

/* ---- replies ------------------------------------------------------------
 * A reply is built in the client's output buffer: 4 bytes of frame header
 * (filled in by reply_end), then the status, then the result. */
static int out_room(struct client *c, size_t more)
{
    size_t need = c->out_len + more, cap;
    unsigned char *out;

    if (need <= c->out_cap)
        return 0;
    if (need > FRAME_HEADER + MGR_MAX_REPLY)
        return -1;
    /* Double it (a copy of a long list grows value by value), within
     * the largest frame. */
    cap = c->out_cap < 4096 ? 4096 : 2 * c->out_cap;
    if (cap < need)
        cap = need;
    if (cap > FRAME_HEADER + MGR_MAX_REPLY)
        cap = FRAME_HEADER + MGR_MAX_REPLY;
    out = realloc(c->out, cap);
    if (out == NULL)
        return -1;
    c->out = out;
    c->out_cap = cap;
    return 0;
}

static void reply_begin(struct client *c, enum mgr_status status)
{
    c->out_len = 0;
    c->out_sent = 0;
    if (out_room(c, FRAME_HEADER + 1) == -1) {     /* 5 bytes: never fails but for ENOMEM */
        c->closing = 1;
        return;
    }
    c->out[FRAME_HEADER] = (unsigned char)status;
    c->out_len = FRAME_HEADER + 1;
}

static int reply_value(struct client *c, const struct mgr_value *v)
{
    if (out_room(c, mgr_value_size(v)) == -1)
        return -1;
    mgr_value_put(c->out + c->out_len, v);
    c->out_len += mgr_value_size(v);
    return 0;
}

static void reply_end(struct client *c)
{
    if (c->out_len >= FRAME_HEADER)
        frame_put_header(c->out, (uint32_t)(c->out_len - FRAME_HEADER));
}

static void reply_error(struct client *c, enum mgr_status status, const char *fmt, ...) WB_PRINTF(3, 4);
static void reply_error(struct client *c, enum mgr_status status, const char *fmt, ...)
{
    char msg[MGR_MAX_MESSAGE + 1];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof msg)
        n = (int)sizeof msg - 1;
    reply_begin(c, status);
    if (c->out_len == 0 || out_room(c, (size_t)n) == -1)
        return;
    memcpy(c->out + c->out_len, msg, (size_t)n);
    c->out_len += (size_t)n;
    reply_end(c);
}

static void reply_ok(struct client *c, const struct mgr_value *v)
{
    reply_begin(c, MGR_OK);
    if (v != NULL && reply_value(c, v) == -1) {
        reply_error(c, MGR_E_SIZE, "reply too large");
        return;
    }
    reply_end(c);
}

/* ---- acting on one request ------------------------------------------------ */
static void do_create(struct server *s, struct client *c, enum mgr_kind kind)
{
    for (uint32_t id = 1; id <= MGR_MAX_OBJECTS; id++)
        if (s->objects[id].kind == 0) {
            struct mgr_value v = mgr_int(id);
            s->objects[id].kind = kind;
            reply_ok(c, &v);
            return;
        }
    reply_error(c, MGR_E_FULL, "no room for another object (at most %d)", MGR_MAX_OBJECTS);
}

static void do_copy(struct client *c, const struct object *o)
{
    size_t per_item = o->kind == MGR_DICT ? 2 : 1;

    reply_begin(c, MGR_OK);
    if (out_room(c, 4) == -1) {
        reply_error(c, MGR_E_SIZE, "reply too large");
        return;
    }
    mgr_put_u32(c->out + c->out_len, (uint32_t)((o->count - o->head) / per_item));
    c->out_len += 4;
    for (size_t i = o->head; i < o->count; i++)
        if (reply_value(c, &o->items[i]) == -1) {
            reply_error(c, MGR_E_SIZE, "a copy of %zu values exceeds a reply's %u bytes",
                        o->count - o->head, MGR_MAX_REPLY);
            return;
        }
    reply_end(c);
}

/* The first client waiting on queue id, by order of asking; or NULL. */
static struct client *first_waiter(struct server *s, uint32_t id)
{
    struct client *first = NULL;

    for (int i = 0; i < MGR_MAX_CLIENTS; i++) {
        struct client *w = &s->clients[i];
        if (w->fd != -1 && w->waiting == id && (first == NULL || w->wait_order < first->wait_order))
            first = w;
    }
    return first;
}

static void do_put(struct server *s, struct client *c, uint32_t id, const struct mgr_value *v)
{
    struct object *o = &s->objects[id];
    struct client *w = first_waiter(s, id);
    struct mgr_value kept;

    if (w != NULL) {
        /* Someone is waiting, so the queue is empty: hand the item over. */
        w->waiting = 0;
        reply_ok(w, v);
        client_flush(s, w);
        reply_ok(c, NULL);
        return;
    }
    if (object_reserve(o, 1) == -1 || value_keep(s, v, &kept) == -1) {
        reply_error(c, MGR_E_FULL, "the manager's limits are reached");
        return;
    }
    o->items[o->count++] = kept;
    reply_ok(c, NULL);
}

static void do_take(struct server *s, struct client *c, uint32_t id, const struct mgr_value *t)
{
    struct object *o = &s->objects[id];
    double timeout;

    if (o->head < o->count) {
        struct mgr_value v = o->items[o->head];
        o->items[o->head++].type = MGR_NONE;
        reply_ok(c, &v);
        value_drop(s, &v);
        if (o->head == o->count)
            o->head = o->count = 0;
        return;
    }
    timeout = t->type == MGR_NONE ? -1.0 : t->type == MGR_INT ? (double)t->i : t->f;
    if (timeout == 0.0) {
        reply_error(c, MGR_E_EMPTY, "the queue is empty");
        return;
    }
    /* Park the client: its reply comes with the next put, or at its
     * deadline. A day is as long as anyone waits here. */
    c->waiting = id;
    c->wait_order = ++s->wait_counter;
    c->deadline = timeout < 0 ? -1.0 : now_seconds() + fmin(timeout, 86400.0);
}

static void handle_request(struct server *s, struct client *c,
                           const unsigned char *body, size_t len)
{
    struct request rq;
    struct object *o;
    struct mgr_value kept, kept_key;
    long at;
    size_t index;

    if (request_parse(body, len, &rq) == -1) {
        log_line(s, "bad request of %zu bytes refused: %s", len, rq.why);
        reply_error(c, MGR_E_REQUEST, "%s", rq.why);
        return;
    }
    if (rq.op == MGR_OP_CREATE) {
        do_create(s, c, (enum mgr_kind)rq.arg[0].i);
        return;
    }
    if (rq.id > MGR_MAX_OBJECTS || s->objects[rq.id].kind == 0) {
        reply_error(c, MGR_E_OBJECT, "no object with id %lu", (unsigned long)rq.id);
        return;
    }
    o = &s->objects[rq.id];

    switch (rq.op) {
    case MGR_OP_LEN: {
        struct mgr_value n = mgr_int((int64_t)((o->count - o->head) / (o->kind == MGR_DICT ? 2 : 1)));
        reply_ok(c, &n);
        return;
    }
    case MGR_OP_COPY:
        if (o->kind == MGR_QUEUE)
            break;
        do_copy(c, o);
        return;
    case MGR_OP_SET:
    case MGR_OP_GET:
    case MGR_OP_DEL:
        if (o->kind != MGR_DICT)
            break;
        at = dict_find(o, &rq.arg[0]);
        if (rq.op == MGR_OP_GET) {
            if (at < 0)
                goto no_key;
            reply_ok(c, &o->items[at + 1]);
        } else if (rq.op == MGR_OP_DEL) {
            if (at < 0)
                goto no_key;
            value_drop(s, &o->items[at]);
            value_drop(s, &o->items[at + 1]);
            /* Keep insertion order, as Python's dict does. */
            memmove(o->items + at, o->items + at + 2, (o->count - (size_t)at - 2) * sizeof *o->items);
            o->count -= 2;
            reply_ok(c, NULL);
        } else if (at >= 0) {
            if (value_keep(s, &rq.arg[1], &kept) == -1)
                goto full;
            value_drop(s, &o->items[at + 1]);
            o->items[at + 1] = kept;
            reply_ok(c, NULL);
        } else {
            if (object_reserve(o, 2) == -1 || value_keep(s, &rq.arg[0], &kept_key) == -1)
                goto full;
            if (value_keep(s, &rq.arg[1], &kept) == -1) {
                value_drop(s, &kept_key);
                goto full;
            }
            o->items[o->count++] = kept_key;
            o->items[o->count++] = kept;
            reply_ok(c, NULL);
        }
        return;
    case MGR_OP_APPEND:
        if (o->kind != MGR_LIST)
            break;
        if (object_reserve(o, 1) == -1 || value_keep(s, &rq.arg[0], &kept) == -1)
            goto full;
        o->items[o->count++] = kept;
        reply_ok(c, NULL);
        return;
    case MGR_OP_ITEM:
    case MGR_OP_STORE:
        if (o->kind != MGR_LIST)
            break;
        if (list_index(o, rq.arg[0].i, &index) == -1) {
            reply_error(c, MGR_E_INDEX, "list index %lld out of range (%zu items)",
                        (long long)rq.arg[0].i, o->count);
            return;
        }
        if (rq.op == MGR_OP_ITEM) {
            reply_ok(c, &o->items[index]);
            return;
        }
        if (value_keep(s, &rq.arg[1], &kept) == -1)
            goto full;
        value_drop(s, &o->items[index]);
        o->items[index] = kept;
        reply_ok(c, NULL);
        return;
    case MGR_OP_PUT:
        if (o->kind != MGR_QUEUE)
            break;
        do_put(s, c, rq.id, &rq.arg[0]);
        return;
    case MGR_OP_TAKE:
        if (o->kind != MGR_QUEUE)
            break;
        do_take(s, c, rq.id, &rq.arg[0]);
        return;
    default:
        break;
    }
    reply_error(c, MGR_E_TYPE, "operation '%c' does not apply to object %lu",
                (int)rq.op, (unsigned long)rq.id);
    return;
no_key:
    {
        char key[64];
        mgr_value_repr(&rq.arg[0], key, sizeof key);
        reply_error(c, MGR_E_KEY, "%s", key);
    }
    return;
full:
    reply_error(c, MGR_E_FULL, "the manager's limits are reached");
}

/* ---- connections ------------------------------------------------------------ */
static void client_close(struct server *s, struct client *c)
{
    (void)s;
    if (close(c->fd) == -1)
        die_child("close");
    free(c->in);
    free(c->out);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

/* Send what is pending, as far as the socket takes it now. MSG_NOSIGNAL: a
 * client that has gone gives EPIPE, not a SIGPIPE that would kill us. */
static void client_flush(struct server *s, struct client *c)
{
    while (c->out_sent < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;                 /* the rest when poll says POLLOUT */
            client_close(s, c);         /* EPIPE, ECONNRESET: it has gone */
            return;
        }
        c->out_sent += (size_t)n;
    }
    c->out_len = c->out_sent = 0;
    if (c->closing)
        client_close(s, c);
}

/* Act on every whole request in the input buffer, one at a time: a reply
 * waiting to be sent, or a wait in q.get(), holds the next one back.
 * Returns how many requests it acted on. */
static int client_work(struct server *s, struct client *c)
{
    size_t body;
    int done = 0;

    while (c->fd != -1 && !c->closing && c->out_len == 0 && c->waiting == 0) {
        int whole = frame_parse(c->in, c->in_len, MGR_MAX_REQUEST, &body);
        if (whole == 0)
            break;                      /* half a request: wait for more */
        if (whole == -1) {
            /* The header announces more than we accept. The stream is out
             * of step from here: answer, then hang up. */
            log_line(s, "oversized request refused (%u bytes announced), connection closed",
                     (unsigned)mgr_get_u32(c->in));
            reply_error(c, MGR_E_SIZE, "request of %lu bytes: at most %d",
                        (unsigned long)mgr_get_u32(c->in), MGR_MAX_REQUEST);
            c->closing = 1;
            c->in_len = 0;
            break;
        }
        handle_request(s, c, c->in + FRAME_HEADER, body);
        c->in_len -= FRAME_HEADER + body;
        memmove(c->in, c->in + FRAME_HEADER + body, c->in_len);
        done++;
    }
    if (c->fd != -1 && c->out_len > 0)
        client_flush(s, c);
    else if (c->fd != -1 && c->closing)
        client_close(s, c);             /* nothing left to say (out of memory) */
    return done;
}

/* Every client, until none has a whole request it may act on: a reply to
 * one client (an item handed to a waiting q.get()) may free another to go
 * on with requests it had already sent. */
static void sweep(struct server *s)
{
    int done;

    do {
        done = 0;
        for (int i = 0; i < MGR_MAX_CLIENTS; i++)
            if (s->clients[i].fd != -1)
                done += client_work(s, &s->clients[i]);
    } while (done > 0);
}

static void client_read(struct server *s, struct client *c)
{
    ssize_t n;

    if (c->in_len == IN_CAP)
        return;                 /* no room: a whole request waits its turn */
    n = read(c->fd, c->in + c->in_len, IN_CAP - c->in_len);

    if (n == -1) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        client_close(s, c);             /* ECONNRESET and the like */
        return;
    }
    if (n == 0) {
        /* The client has gone (or shut down its side). A request it left
         * half-sent is dropped with it. */
        client_close(s, c);
        return;
    }
    c->in_len += (size_t)n;
}

/* A refusal goes out at once, with no buffer: a new connection's socket
 * buffer always has room for one short frame. */
static void refuse(int fd, const char *fmt, ...) WB_PRINTF(2, 3);
static void refuse(int fd, const char *fmt, ...)
{
    unsigned char frame[FRAME_HEADER + 1 + MGR_MAX_MESSAGE];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf((char *)frame + FRAME_HEADER + 1, MGR_MAX_MESSAGE, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if (n >= MGR_MAX_MESSAGE)
        n = MGR_MAX_MESSAGE - 1;
    frame[FRAME_HEADER] = MGR_E_REFUSED;
    frame_put_header(frame, (uint32_t)n + 1);
    (void)send(fd, frame, FRAME_HEADER + 1 + (size_t)n, MSG_NOSIGNAL);
    if (close(fd) == -1)
        die_child("close");
}

static void accept_clients(struct server *s)
{
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
        if (try_nonblocking(fd) == -1 || try_cloexec(fd) == -1)
            die_child("fcntl");

        /* Who is it? The directory's mode already keeps other users out;
         * this check holds even if the directory is opened (or does not
         * exist: a socket passed some other way). */
        if (peer_uid(fd, &uid) == -1) {
            if (errno != ENOSYS) {
                refuse(fd, "cannot tell who you are (%s)", errno_name(errno));
                continue;
            }
        } else if (uid != geteuid()) {
            log_line(s, "refused a client of uid %ld (not uid %ld)", (long)uid, (long)geteuid());
            refuse(fd, "uid %ld is not the manager's uid %ld", (long)uid, (long)geteuid());
            continue;
        }
        for (int i = 0; i < MGR_MAX_CLIENTS; i++)
            if (s->clients[i].fd == -1) {
                c = &s->clients[i];
                break;
            }
        if (c == NULL) {
            log_line(s, "refused a client: %d clients already", MGR_MAX_CLIENTS);
            refuse(fd, "too many clients (at most %d)", MGR_MAX_CLIENTS);
            continue;
        }
        c->fd = fd;
        c->in = malloc(IN_CAP);
        if (c->in == NULL) {
            client_close(s, c);
            continue;
        }
        {
            struct mgr_value pid = mgr_int(getpid());
            reply_ok(c, &pid);          /* the greeting */
        }
        client_flush(s, c);
    }
}

/* Parked q.get() calls whose deadline has passed get Empty. Returns the
 * poll timeout until the next deadline, in ms (-1: none). */
static int expire_waiters(struct server *s)
{
    double now = now_seconds(), next = -1.0;

    for (int i = 0; i < MGR_MAX_CLIENTS; i++) {
        struct client *c = &s->clients[i];
        if (c->fd == -1 || c->waiting == 0 || c->deadline < 0)
            continue;
        if (c->deadline <= now) {
            c->waiting = 0;
            reply_error(c, MGR_E_EMPTY, "the queue is still empty after the timeout");
            client_flush(s, c);
        } else if (next < 0 || c->deadline < next) {
            next = c->deadline;
        }
    }
    if (next < 0)
        return -1;
    return (int)ceil((next - now) * 1000.0);
}

/* ---- the loop --------------------------------------------------------------- */
static void serve(struct server *s)
{
    struct pollfd fds[3 + MGR_MAX_CLIENTS];
    struct client *who[3 + MGR_MAX_CLIENTS];

    for (;;) {
        int timeout, n = 0;

        timeout = expire_waiters(s);
        sweep(s);

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
            ssize_t r = read(s->lifeline, &b, 1);
            s->stop_reason = r == 1 ? "shutdown asked by the owner"
                                    : "the owner is gone (end-of-file on the lifeline)";
            return;
        }
        if (fds[1].revents != 0) {
            unsigned char sig;
            if (read(s->sig_fd, &sig, 1) == 1) {
                s->stop_signal = sig;
                s->stop_reason = signal_name(sig);
                return;
            }
        }
        for (int i = 3; i < n; i++) {
            struct client *c = who[i];
            if (c->fd == -1 || fds[i].revents == 0)
                continue;
            if (fds[i].revents & POLLOUT)
                client_flush(s, c);
            if (c->fd != -1 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                client_read(s, c);
        }
        if (fds[2].revents & POLLIN)
            accept_clients(s);
    }
}

/* The signals that stop a server, blocked from before the fork until the
 * server's own handlers are in place (see manager_start). */
static void stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
}

/* The server could not even start: remove what the owner made for it. */
static noreturn void server_fail(const char *dir, const char *path, const char *what)
{
    int saved = errno;

    /* Already failing: the first error is the one to report. */
    (void)unlink(path);
    (void)rmdir(dir);
    errno = saved;
    die_child("%s", what);
}

/* The server process: never returns. */
static void server_main(int listen_fd, int lifeline, const char *dir,
                        const char *path, unsigned flags)
{
    static struct server s;     /* static: too large for the stack, and zeroed */
    struct sigaction sa;
    sigset_t stops;
    int sp[2];

    s.listen_fd = listen_fd;
    s.lifeline = lifeline;
    s.flags = flags;
    for (int i = 0; i < MGR_MAX_CLIENTS; i++)
        s.clients[i].fd = -1;

    /* SIGTERM and SIGHUP stop us through a self-pipe, so that the loop
     * cleans up (a handler could not free or unlink safely). SIGINT is the
     * owner's business: a Ctrl-C reaches the whole process group, and the
     * owner decides. A client that vanishes must not kill us: SIGPIPE off. */
    if (pipe(sp) == -1)
        server_fail(dir, path, "pipe");
    if (try_nonblocking(sp[0]) == -1 || try_nonblocking(sp[1]) == -1
        || try_cloexec(sp[0]) == -1 || try_cloexec(sp[1]) == -1)
        server_fail(dir, path, "fcntl");
    s.sig_fd = sp[0];
    sig_pipe_w = sp[1];
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop_signal;
    if (sigaction(SIGTERM, &sa, NULL) == -1 || sigaction(SIGHUP, &sa, NULL) == -1)
        server_fail(dir, path, "sigaction");
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGPIPE, &sa, NULL) == -1)
        server_fail(dir, path, "sigaction");
    /* Only now may the stop signals arrive: one sent while we were being
     * born (a Ctrl-C just after manager_start) waited, blocked, and is
     * handled from here on like any other. */
    stop_signals(&stops);
    if (sigprocmask(SIG_UNBLOCK, &stops, NULL) == -1)
        server_fail(dir, path, "sigprocmask");
    if (try_nonblocking(listen_fd) == -1)
        server_fail(dir, path, "fcntl");

    serve(&s);

    /* Every way out of serve() comes here: remove the name first (no new
     * client can connect then), and so nothing is left if a close fails;
     * then close and free. */
    if (unlink(path) == -1 && errno != ENOENT)
        die_child("unlink %s", path);
    if (rmdir(dir) == -1 && errno != ENOENT)
        die_child("rmdir %s", dir);
    for (int i = 0; i < MGR_MAX_CLIENTS; i++)
        if (s.clients[i].fd != -1)
            client_close(&s, &s.clients[i]);
    for (int id = 1; id <= MGR_MAX_OBJECTS; id++)
        if (s.objects[id].kind != 0)
            object_free(&s, &s.objects[id]);
    if (close(listen_fd) == -1)
        die_child("close");
    log_line(&s, "stopping: %s; %s and its directory removed", s.stop_reason, path);
    if (close(lifeline) == -1)
        die_child("close lifeline");
    if (s.stop_signal != 0) {
        /* Die of the signal that stopped us, so that whoever waits for us
         * sees it (the handler is replaced by the default action first). */
        if (signal(s.stop_signal, SIG_DFL) == SIG_ERR)
            die_child("signal");
        raise(s.stop_signal);
    }
    _exit(0);                   /* a forked child: never the owner's exit handlers */
}

/* ==== the owner's side ===================================================== */
static void undo(manager *m, int fd1, int fd2, int fd3)
{
    int saved = errno;

    /* Already failing: the first error is the one to report. */
    if (fd1 != -1)
        (void)close(fd1);
    if (fd2 != -1)
        (void)close(fd2);
    if (fd3 != -1)
        (void)close(fd3);
    if (m->path[0] != '\0')
        (void)unlink(m->path);
    (void)rmdir(m->dir);
    free(m);
    errno = saved;
}

manager *manager_start(unsigned flags)
{
    const char *base = getenv("TMPDIR");
    struct sockaddr_un addr;
    manager *m = calloc(1, sizeof *m);
    sigset_t stops, old_mask;
    int fd, life[2];

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
     * connect before the server has even started. */
    if (listen(fd, SOMAXCONN) == -1 || try_cloexec(fd) == -1) {
        undo(m, fd, -1, -1);
        return NULL;
    }
    /* The lifeline: a socketpair rather than a pipe, so that the owner can
     * say "stop" with send(MSG_NOSIGNAL) even if the server has died
     * (write() to a pipe with no reader would kill the owner by SIGPIPE). */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, life) == -1) {
        undo(m, fd, -1, -1);
        return NULL;
    }
    if (try_cloexec(life[0]) == -1 || try_cloexec(life[1]) == -1) {
        undo(m, fd, life[0], life[1]);
        return NULL;
    }

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
            server_fail(m->dir, m->path, "close");
        server_main(fd, life[1], m->dir, m->path, flags);
    }
    /* The owner: its own signal mask back (a signal that came meanwhile
     * is delivered now); the listening socket and the server's end are the
     * server's. */
    if (sigprocmask(SIG_SETMASK, &old_mask, NULL) == -1)
        die("sigprocmask");
    if (close(fd) == -1 || close(life[1]) == -1)
        die("close");
    m->lifeline = life[0];
    if (remember_lifeline(m->lifeline) == -1) {
        int saved = errno;
        manager_shutdown(m);
        errno = saved;
        return NULL;
    }
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
    forget_lifeline(m->lifeline);
    if (close(m->lifeline) == -1)
        die("close lifeline");
    while (waitpid(m->server, &status, 0) == -1)
        if (errno != EINTR)
            die("waitpid %ld", (long)m->server);
    /* A server that did not stop cleanly (killed by SIGKILL) may have
     * removed nothing: do it for it. */
    if (exitcode_of(status) != 0) {
        if (unlink(m->path) == -1 && errno != ENOENT)
            die("unlink %s", m->path);
        if (rmdir(m->dir) == -1 && errno != ENOENT)
            die("rmdir %s", m->dir);
    }
    free(m);
    return exitcode_of(status);
}
