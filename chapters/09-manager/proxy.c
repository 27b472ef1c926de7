/* proxy.c - the clients' side of a manager (see manager.h): every call is
 * one request sent and one reply received on the caller's own connection.
 * Python's BaseProxy._callmethod() does the same: send (id, method, args),
 * wait for ('#RETURN', value) or ('#ERROR', exception).
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "common.h"
#include "frame.h"
#include "manager.h"

struct mgr_conn {
    int fd;
    pid_t server;
    unsigned char *buf;         /* the request going out, then the reply */
    size_t cap;
    unsigned char *reply;       /* the reply's body, in buf ... */
    size_t len;                 /* ... and its length */
    char error[MGR_MAX_MESSAGE + 1];
};

/* Receive one reply frame into c->buf; its body is then c->reply, c->len
 * bytes long. Returns the status byte, or -1 with errno set.
 * One read() usually brings the whole reply, header and body: we ask for
 * as much as the buffer holds. That can never swallow the start of the
 * next reply: a connection has one request outstanding at a time. */
static int receive_reply(mgr_conn *c)
{
    size_t have = 0, body = 0;

    for (;;) {
        struct pollfd ready = { .fd = c->fd, .events = POLLIN };
        ssize_t got;
        if (have >= FRAME_HEADER) {
            int whole = frame_parse(c->buf, have, MGR_MAX_REPLY, &body);
            if (whole == -1) {
                errno = EPROTO;         /* longer than any reply may be */
                return -1;
            }
            if (whole == 1)
                break;
            if (FRAME_HEADER + (size_t)mgr_get_u32(c->buf) > c->cap) {
                size_t need = FRAME_HEADER + (size_t)mgr_get_u32(c->buf);
                unsigned char *bigger = realloc(c->buf, need);
                if (bigger == NULL)
                    return -1;
                c->buf = bigger;
                c->cap = need;
            }
        }
        /* Sleep in poll() until the reply is there, then read it. A
         * blocking read() alone would wait too, but on Linux a process
         * blocked in read() on a Unix stream socket is also woken when its
         * peer reads what it sent (there is room to write again): here,
         * when the server takes our request. It wakes for nothing and
         * sleeps again: on one CPU, often two more context switches per
         * call. poll() for POLLIN sleeps through that wake-up. */
        if (poll(&ready, 1, -1) == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got = read(c->fd, c->buf + have, c->cap - have);
        if (got == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (got == 0) {
            errno = ECONNRESET;         /* the server has gone */
            return -1;
        }
        have += (size_t)got;
    }
    if (body == 0 || have != FRAME_HEADER + body) {
        errno = EPROTO;                 /* no status, or bytes nobody asked for */
        return -1;
    }
    c->reply = c->buf + FRAME_HEADER;
    c->len = body;
    c->error[0] = '\0';
    if (c->reply[0] != MGR_OK) {
        size_t n = body - 1 < MGR_MAX_MESSAGE ? body - 1 : MGR_MAX_MESSAGE;
        memcpy(c->error, c->reply + 1, n);
        c->error[n] = '\0';
    }
    return c->reply[0];
}

/* One call: encode, send, wait for the reply. Returns the status or -1. */
static int call(mgr_conn *c, enum mgr_op op, uint32_t id,
                const struct mgr_value *args, int nargs)
{
    size_t len = request_encode(c->buf + FRAME_HEADER, c->cap - FRAME_HEADER, op, id, args, nargs);

    if (len == 0) {
        snprintf(c->error, sizeof c->error, "request larger than %d bytes", MGR_MAX_REQUEST);
        return MGR_E_SIZE;
    }
    /* Header and body in one send: one system call per request. */
    frame_put_header(c->buf, (uint32_t)len);
    if (send_all(c->fd, c->buf, FRAME_HEADER + len) == -1)
        return -1;
    return receive_reply(c);
}

/* The single value after the status of an OK reply. */
static int result_value(mgr_conn *c, struct mgr_value *out)
{
    size_t pos = 1;

    if (mgr_value_get(c->reply, c->len, &pos, out) == -1 || pos != c->len) {
        errno = EPROTO;
        return -1;
    }
    return MGR_OK;
}

static int result_int(mgr_conn *c, int64_t *out)
{
    struct mgr_value v;

    if (result_value(c, &v) == -1)
        return -1;
    if (v.type != MGR_INT) {
        errno = EPROTO;
        return -1;
    }
    *out = v.i;
    return MGR_OK;
}

mgr_conn *mgr_connect(const char *address)
{
    struct sockaddr_un addr;
    mgr_conn *c;
    int64_t pid;
    int status;

    if (strlen(address) >= sizeof addr.sun_path) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->cap = FRAME_HEADER + MGR_MAX_REQUEST;
    c->buf = malloc(c->cap);
    c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (c->buf == NULL || c->fd == -1)
        goto fail;
    set_cloexec(c->fd);         /* not inherited by a program we may exec */
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, address);
    /* EACCES here: the directory (mode 0700) is not ours. */
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) == -1)
        goto fail;
    /* The server speaks first: its pid, or why it will not serve us. */
    status = receive_reply(c);
    if (status == -1)
        goto fail;
    if (status == MGR_E_REFUSED) {
        errno = EPERM;
        goto fail;
    }
    if (status != MGR_OK || result_int(c, &pid) == -1) {
        errno = EPROTO;
        goto fail;
    }
    c->server = (pid_t)pid;
    return c;
fail:
    {
        int saved = errno;
        if (c->fd != -1)
            (void)close(c->fd);         /* the first error is the one to report */
        free(c->buf);
        free(c);
        errno = saved;
    }
    return NULL;
}

int mgr_close(mgr_conn *c)
{
    int r, err;

    if (c == NULL)
        return 0;
    r = close(c->fd);   /* the server sees end-of-file and forgets us */
    err = errno;
    free(c->buf);
    free(c);
    errno = err;
    return r;
}

const char *mgr_error(const mgr_conn *c)
{
    return c->error;
}

int mgr_create(mgr_conn *c, enum mgr_kind kind, uint32_t *id)
{
    struct mgr_value arg = mgr_int(kind);
    int64_t n;
    int st = call(c, MGR_OP_CREATE, 0, &arg, 1);

    if (st != MGR_OK)
        return st;
    if (result_int(c, &n) == -1)
        return -1;
    *id = (uint32_t)n;
    return MGR_OK;
}

int mgr_dict_set(mgr_conn *c, uint32_t id, struct mgr_value key, struct mgr_value value)
{
    struct mgr_value args[2] = { key, value };

    return call(c, MGR_OP_SET, id, args, 2);
}

int mgr_dict_get(mgr_conn *c, uint32_t id, struct mgr_value key, struct mgr_value *value)
{
    int st = call(c, MGR_OP_GET, id, &key, 1);

    return st != MGR_OK ? st : result_value(c, value);
}

int mgr_list_append(mgr_conn *c, uint32_t id, struct mgr_value value)
{
    return call(c, MGR_OP_APPEND, id, &value, 1);
}

int mgr_len(mgr_conn *c, uint32_t id, size_t *n)
{
    int64_t len;
    int st = call(c, MGR_OP_LEN, id, NULL, 0);

    if (st != MGR_OK)
        return st;
    if (result_int(c, &len) == -1)
        return -1;
    *n = (size_t)len;
    return MGR_OK;
}

int mgr_copy(mgr_conn *c, uint32_t id, struct mgr_value *out, size_t cap, size_t *n)
{
    size_t pos = 5, count, per_item = 1, values;
    int st = call(c, MGR_OP_COPY, id, NULL, 0);

    if (st != MGR_OK)
        return st;
    if (c->len < 5) {
        errno = EPROTO;
        return -1;
    }
    count = mgr_get_u32(c->reply + 1);
    /* A dict's copy is key, value pairs: the values tell which it is. */
    for (values = 0; pos < c->len; values++) {
        struct mgr_value v;
        if (mgr_value_get(c->reply, c->len, &pos, &v) == -1) {
            errno = EPROTO;
            return -1;
        }
        if (values < cap)
            out[values] = v;
    }
    if (values == 2 * count && count > 0)
        per_item = 2;
    if (values != count * per_item) {
        errno = EPROTO;
        return -1;
    }
    if (values > cap) {
        snprintf(c->error, sizeof c->error, "%zu values, room for %zu", values, cap);
        return MGR_E_SIZE;
    }
    *n = values;
    return MGR_OK;
}

int mgr_queue_put(mgr_conn *c, uint32_t id, struct mgr_value value)
{
    return call(c, MGR_OP_PUT, id, &value, 1);
}

int mgr_queue_get(mgr_conn *c, uint32_t id, double timeout, struct mgr_value *value)
{
    struct mgr_value arg = timeout < 0 ? mgr_none() : mgr_float(timeout);
    int st = call(c, MGR_OP_TAKE, id, &arg, 1);

    return st != MGR_OK ? st : result_value(c, value);
}

void mgr_must(int status, const mgr_conn *c, const char *what)
{
    if (status == MGR_OK)
        return;
    if (status == -1)
        die_child("%s", what);
    say_to(STDERR_FILENO, "%s: %s: %s: %s", prog_name(), what, mgr_status_name(status),
           c != NULL ? c->error : "");
    _exit(1);           /* safe in a forked child: no stdio buffers, no exit handlers */
}
