/* conn.c - one connection to the manager's server (see server.h): bytes
 * in, whole requests out, replies back, never blocking on the client.
 *
 * Each connection has its own input buffer: a request is acted on only once
 * frame_parse() says it is whole, so a client that sends half a request and
 * stalls holds nothing but its own buffer. And its own output buffer: a
 * reply the client does not read yet waits there, and the server reads no
 * more requests from that client until it has gone (back-pressure).
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server.h"

/* ---- replies ------------------------------------------------------------
 * A reply is built in the client's output buffer: 4 bytes of frame header
 * (filled in by reply_end), then the status, then the result. */
int out_room(struct client *c, size_t more)
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

void reply_begin(struct client *c, enum mgr_status status)
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

int reply_value(struct client *c, const struct mgr_value *v)
{
    if (out_room(c, mgr_value_size(v)) == -1)
        return -1;
    mgr_value_put(c->out + c->out_len, v);
    c->out_len += mgr_value_size(v);
    return 0;
}

void reply_end(struct client *c)
{
    if (c->out_len >= FRAME_HEADER)
        frame_put_header(c->out, (uint32_t)(c->out_len - FRAME_HEADER));
}

void reply_error(struct client *c, enum mgr_status status, const char *fmt, ...)
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

void reply_ok(struct client *c, const struct mgr_value *v)
{
    reply_begin(c, MGR_OK);
    if (v != NULL && reply_value(c, v) == -1) {
        reply_error(c, MGR_E_SIZE, "reply too large");
        return;
    }
    reply_end(c);
}

/* ---- connections ------------------------------------------------------------ */
void client_close(struct client *c)
{
    if (close(c->fd) == -1)
        die_child("close");
    free(c->in);
    free(c->out);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

/* Send what is pending, as far as the socket takes it now. MSG_NOSIGNAL: a
 * client that has gone gives EPIPE, not a SIGPIPE that would kill us. */
void client_flush(struct client *c)
{
    while (c->out_sent < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;                 /* the rest when poll says POLLOUT */
            client_close(c);            /* EPIPE, ECONNRESET: it has gone */
            return;
        }
        c->out_sent += (size_t)n;
    }
    c->out_len = c->out_sent = 0;
    if (c->closing)
        client_close(c);
}

/* Act on the whole requests in the input buffer, one at a time, each reply
 * sent before the next request is looked at: a reply the socket will not
 * take yet, or a wait in q.get(), holds the rest back until poll says. */
void client_work(struct server *s, struct client *c)
{
    size_t at = 0, body;

    while (c->fd != -1 && !c->closing && c->out_len == 0 && c->waiting == 0) {
        int whole = frame_parse(c->in + at, c->in_len - at, MGR_MAX_REQUEST, &body);
        if (whole == 0)
            break;                      /* half a request: wait for more */
        if (whole == -1) {
            /* The header announces more than we accept. The stream is out
             * of step from here: answer, then hang up. */
            uint32_t announced = mgr_get_u32(c->in + at);
            log_line(s, "oversized request refused (%lu bytes announced), connection closed",
                     (unsigned long)announced);
            reply_error(c, MGR_E_SIZE, "request of %lu bytes: at most %d",
                        (unsigned long)announced, MGR_MAX_REQUEST);
            c->closing = 1;
            c->in_len = at = 0;
            break;
        }
        handle_request(s, c, c->in + at + FRAME_HEADER, body);
        at += FRAME_HEADER + body;
        if (c->out_len > 0)
            client_flush(c);            /* may close c: the loop sees fd -1 */
    }
    if (c->fd != -1 && at > 0) {
        c->in_len -= at;                /* keep the start of the next one */
        memmove(c->in, c->in + at, c->in_len);
    }
    if (c->fd != -1 && c->out_len > 0)
        client_flush(c);
    else if (c->fd != -1 && c->closing)
        client_close(c);                /* nothing left to say (out of memory) */
}

/* One read: as much as the buffer takes (usually a whole request, often
 * several). */
void client_read(struct client *c)
{
    ssize_t n;

    if (c->in_len == IN_CAP)
        return;                 /* no room: a whole request waits its turn */
    n = read(c->fd, c->in + c->in_len, IN_CAP - c->in_len);
    if (n == -1) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        client_close(c);                /* ECONNRESET and the like */
        return;
    }
    if (n == 0) {
        /* The client has gone (or shut down its side). A request it left
         * half-sent is dropped with it. */
        client_close(c);
        return;
    }
    c->in_len += (size_t)n;
}
