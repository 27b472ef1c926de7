/* manager.h - a manager: a server process that owns shared data, and the
 * proxies through which other processes use it. Python's
 * multiprocessing.Manager, in C.
 *
 * Chapter 09 teaches it (chapters/09-manager/README.md). Another chapter
 * uses it with, in its Makefile, prog_SRCS naming the chapter's eight
 * sources (see chapters/09-manager/Makefile) and `#include "manager.h"`.
 *
 * THE MODEL. manager_start() forks a server process. The server owns every
 * object (dicts, lists, queues): they live in its memory and nowhere else.
 * Any process, the owner or one of its children, opens a connection to the
 * server with mgr_connect() and then calls mgr_dict_set(), mgr_list_append()
 * and the rest: each call is one request and one reply (protocol.h), so the
 * server applies the calls of all clients one at a time, in the order they
 * arrive. A call returns when the server has done it. No shared memory, no
 * locks: the server's one loop is the lock.
 *
 * ADDRESS AND OBJECT IDS. The server listens on a Unix-domain socket whose
 * path is manager_address(). An object is named by a number, its id. A
 * proxy in Python is exactly this pair (address, id), plus the authkey:
 * that is what Python pickles when you pass a proxy to another process. In
 * C, pass the address and the id (a fork copies them) and let each process
 * open its own connection: two processes must never share one connection,
 * or their requests and replies would mix.
 *
 * WHO MAY CONNECT. The socket lives in a directory of its own made by
 * mkdtemp(), mode 0700: only the owner's user (and root) can reach it. On
 * systems that say who is connecting (creds.h), the server also refuses a
 * client whose user id differs from its own (root's included).
 *
 * LIFETIME. The owner holds one end of a socketpair, the lifeline; the
 * server watches the other end in its poll loop. manager_shutdown() says
 * "stop" on it and reaps the server; if the owner dies instead, by exit or
 * by any signal, SIGKILL included, the kernel closes its end and the server
 * reads end-of-file. Either way the server closes every connection, frees
 * every object and removes its socket file and its directory. Children
 * forked by the owner do not keep the lifeline: it is closed in every child
 * at fork (pthread_atfork), so the server never outlives the owner. SIGTERM
 * and SIGHUP stop the server the same way; it ignores SIGINT, so that a
 * Ctrl-C in the terminal leaves the owner in charge (Python's manager does
 * the same).
 *
 * ROBUSTNESS. One process serves every client with poll(2) and
 * non-blocking sockets: a client that sends half a request and stalls, or
 * never reads its replies, holds only its own connection. A malformed
 * request gets an error reply (MGR_E_REQUEST); an oversized one an error
 * and the connection closed. Limits: MGR_MAX_CLIENTS connections,
 * MGR_MAX_OBJECTS objects, MGR_MAX_ITEMS items per object and
 * MGR_MAX_BYTES bytes of strings in all; beyond them, MGR_E_FULL.
 *
 * ERRORS. Each mgr_* call returns MGR_OK (0); or a status > 0 from
 * protocol.h, the server's answer (MGR_E_KEY for a missing key...), with
 * its message in mgr_error(); or -1 with errno set when the connection
 * itself failed (EPIPE, ECONNRESET: the server is gone; EPROTO: a reply
 * that makes no sense). A value a call returns (a string, a copy) points
 * into the connection's buffer: it stays valid until the next call on the
 * same connection; copy what you want to keep.
 *
 * One thread per connection; the owner's handle belongs to one thread.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef WORKBOOK_MANAGER_H
#define WORKBOOK_MANAGER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "protocol.h"

#define MGR_MAX_CLIENTS 64              /* connections at once           */
#define MGR_MAX_OBJECTS 1024            /* dicts, lists and queues       */
#define MGR_MAX_ITEMS   10000           /* items in one object           */
#define MGR_MAX_BYTES   (64L << 20)     /* bytes of strings, all objects */

/* ---- the owner's side ----------------------------------------------------- */
typedef struct manager manager;

#define MANAGER_LOG 1   /* flag: the server says on stdout when it refuses a
                           client or a request, and when and why it stops */

/* Start a server: make the private directory, bind and listen on the
 * socket, fork the server. When it returns, clients may connect at once
 * (the kernel queues a connection from listen() on, before the server
 * accepts it). NULL with errno set if a step failed (nothing is left
 * behind). */
manager *manager_start(unsigned flags);
/* (One manager at a time per process: EBUSY while it has one.) */

const char *manager_address(const manager *m);  /* the socket's path        */
const char *manager_directory(const manager *m);/* the directory holding it */
pid_t manager_pid(const manager *m);            /* the server's pid         */

/* Stop the server and reap it; remove the socket and directory if the
 * server could not (it was killed by SIGKILL); free m. Returns the
 * server's Python-style exitcode (0 for a clean stop). Only the process
 * that started the manager may call it: -1 with errno EPERM elsewhere (a
 * forked child's copy of m is simply left alone). */
int manager_shutdown(manager *m);

/* ---- the clients' side: proxy.c --------------------------------------- */
typedef struct mgr_conn mgr_conn;

/* Connect to the server at address and read its greeting. NULL with errno
 * set: ENOENT or ECONNREFUSED (no server there), EACCES (the directory
 * keeps you out), EPERM (the server refused you: another user, or too many
 * clients), EPROTO (not a manager). */
mgr_conn *mgr_connect(const char *address);
/* Closes the connection and frees c: 0, or -1 with errno set if close
 * failed (c is freed all the same). */
int mgr_close(mgr_conn *c);
const char *mgr_error(const mgr_conn *c);       /* why the last call failed */

/* manager.dict(), manager.list(), manager.Queue(): make an object; its id
 * goes to *id. */
int mgr_create(mgr_conn *c, enum mgr_kind kind, uint32_t *id);

/* A dict: d[key] = value; *value = d[key] (MGR_E_KEY if the key is
 * missing). Keys and values are any mgr_value (protocol.h). */
int mgr_dict_set(mgr_conn *c, uint32_t id, struct mgr_value key, struct mgr_value value);
int mgr_dict_get(mgr_conn *c, uint32_t id, struct mgr_value key, struct mgr_value *value);

/* A list: l.append(value). */
int mgr_list_append(mgr_conn *c, uint32_t id, struct mgr_value value);

/* len(d), len(l), q.qsize(). */
int mgr_len(mgr_conn *c, uint32_t id, size_t *n);

/* A snapshot of a whole dict or list, taken in one request (so no other
 * client's call lands in the middle of it): a list's items in order, or a
 * dict's keys and values alternating (key, value, key, value...) in
 * insertion order. Up to cap values go to out; *n is how many. MGR_E_SIZE
 * if there are more than cap, or the reply would exceed MGR_MAX_REPLY. */
int mgr_copy(mgr_conn *c, uint32_t id, struct mgr_value *out, size_t cap, size_t *n);

/* A queue: q.put(value); *value = q.get(timeout=timeout). The get waits on
 * the server, not in the client: timeout < 0 waits as long as it takes, 0
 * does not wait (Python's get(block=False)), otherwise up to timeout
 * seconds; then MGR_E_EMPTY. Items come out in the order they went in;
 * several waiting clients are served in the order they asked. */
int mgr_queue_put(mgr_conn *c, uint32_t id, struct mgr_value value);
int mgr_queue_get(mgr_conn *c, uint32_t id, double timeout, struct mgr_value *value);

/* For demos: return if status is MGR_OK; otherwise say what failed on
 * stderr (the call's name, errno or the server's message) and end the
 * process with _exit(1), which is safe in a forked child too. */
void mgr_must(int status, const mgr_conn *c, const char *what);

#endif
