/* server.h - inside the manager's server process (manager.h is the
 * outside). Three files share this state, one idea each:
 *     server.c   the process: its signals, its poll(2) loop, who may connect
 *     conn.c     one connection: bytes in, whole requests out, replies back
 *     objects.c  the objects the server owns, and what each request does
 * manager.c, the owner's side, forks the process and calls server_main().
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef WORKBOOK_SERVER_H
#define WORKBOOK_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "frame.h"
#include "manager.h"

#define IN_CAP (FRAME_HEADER + MGR_MAX_REQUEST)

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
    int woken;                  /* a parked q.get() was answered: its   */
                                /* client may have requests waiting     */
};

/* server.c: the server process; never returns. */
noreturn void server_main(int listen_fd, int lifeline, const char *dir,
                          const char *path, unsigned flags);
void log_line(const struct server *s, const char *fmt, ...) WB_PRINTF(2, 3);
/* The signals that stop a server (SIGINT, SIGTERM, SIGHUP): blocked from
 * before the fork until the server's own handlers are in place. */
void stop_signals(sigset_t *set);

/* conn.c: a connection's buffers. client_work() acts on every whole request
 * in c->in (objects.c's handle_request) and sends the replies. */
void client_read(struct client *c);
void client_work(struct server *s, struct client *c);
void client_flush(struct client *c);
void client_close(struct client *c);
/* A reply is built in c->out: reply_begin, then reply_value or out_room and
 * bytes at c->out + c->out_len, then reply_end; or reply_ok, reply_error. */
int out_room(struct client *c, size_t more);
void reply_begin(struct client *c, enum mgr_status status);
int reply_value(struct client *c, const struct mgr_value *v);
void reply_end(struct client *c);
void reply_ok(struct client *c, const struct mgr_value *v);
void reply_error(struct client *c, enum mgr_status status, const char *fmt, ...) WB_PRINTF(3, 4);

/* objects.c */
void handle_request(struct server *s, struct client *c, const unsigned char *body, size_t len);
void object_free(struct server *s, struct object *o);

#endif
