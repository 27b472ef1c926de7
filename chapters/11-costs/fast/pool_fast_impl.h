/* pool_fast_impl.h - what the files of the fast Pool share, and nobody
 * else: the layouts behind pool.h's opaque types, and the functions one
 * file calls in another. Read in this order:
 *
 *   pool_fast.c         the API: create, apply_async/get, map, close/join/terminate
 *   pool_fast_tasks.c   the parent's bookkeeping: tasks, their results, a
 *                       worker that died
 *   pool_fast_io.c      moving bytes: the windows, the output buffers,
 *                       flush, reading results, the pump
 *   pool_fast_worker.c  the worker's side: fork one, its loop; reap one
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef POOL_FAST_IMPL_H
#define POOL_FAST_IMPL_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "frame.h"
#include "pool.h"

/* How much map work a worker may have queued: always two chunks (one
 * running, one waiting in its pipe, so that it does not idle while the
 * parent wakes up), and more while they hold at most ITEM_WINDOW items in
 * all (small chunks of small tasks then travel many to a system call).
 * More would only bind work to a worker before it is known to be free. */
#ifndef MAP_WINDOW              /* -DMAP_WINDOW=1 -DITEM_WINDOW=1: one task */
#define MAP_WINDOW 2            /* in flight per worker, as chapter 05's    */
#endif
#ifndef ITEM_WINDOW
#define ITEM_WINDOW 32
#endif

/* Messages, framed (frame.h). Both ends are one program on one machine, so
 * numbers and structs travel in the machine's own layout.
 *   parent -> worker  a task_head, then count * arg_size bytes of
 *                     arguments; an empty message means "stop".
 *   worker -> parent  per item: an item_head, then len bytes (the result,
 *                     or the error text if failed is not 0). */
struct task_head {
    pool_fn *fn;                /* valid in the worker: fork copied the program */
    uint32_t count, arg_size, result_cap, pad;
};
struct item_head { uint32_t failed, len; };

enum { PENDING, DONE_OK, DONE_FAILED };                 /* a task's outcome */
enum { RUNNING, CLOSED, TERMINATED, JOINED };           /* the pool's state */

struct map_job {                /* one pool_map call, waiting for its chunks */
    unsigned char *results;
    size_t result_size, chunks_left;
    size_t first_failed;        /* the lowest failed item; SIZE_MAX if none */
    char error[POOL_ERROR_MAX];
};

struct task {                   /* a message's worth of work */
    struct task *next;          /* in the pool's queue, or its worker's list */
    pool_fn *fn;
    size_t count, arg_size, result_cap;
    const unsigned char *args;  /* count * arg_size bytes */
    unsigned char *own_args;    /* apply_async's private copy (args points here) */
    pool_result *result;        /* a one-off task: its handle */
    struct map_job *job;        /* a chunk of map: its call, and its first item */
    size_t first;
};

struct pool_result {
    pool *pool;
    pool_result *prev, *next;   /* the pool's handles not yet freed */
    int state;
    int user_freed;             /* freed by the caller while still pending */
    int seen;                   /* its error was fetched, or needs no fetching */
    pool_callback *on_result, *on_error;        /* apply_async_cb's */
    void *cb_arg;
    void *value;
    size_t len;
    char *error;
};

struct buffer {
    unsigned char *data;
    size_t len, cap, off;       /* off: bytes already consumed from data */
};

struct worker {
    pid_t pid;                  /* 0: no worker in this slot */
    int task_fd;                /* write end of its task pipe (non-blocking) */
    int result_fd;              /* read end of its result pipe */
    struct task *head, *tail;   /* sent, not answered yet; head is running */
    int inflight, inflight_oneoff;
    size_t inflight_items;
    int stopping;               /* the stop message is queued */
    int left;                   /* tasks it may still be sent (maxtasks); -1: no limit */
    struct buffer out;          /* bytes for its task pipe, not yet written */
    struct buffer in;           /* bytes from its result pipe, not yet parsed */
};

struct pool {
    int size, state, replaced;
    int maxtasks;               /* per worker (maxtasksperchild); 0: no limit */
    struct worker *workers;
    struct pollfd *fds;         /* room for two per worker */
    int *fd_owner;              /* fds[k] belongs to workers[fd_owner[k]] */
    pid_t *fd_pid;              /* ... as it was when poll began */
    struct task *pending, *pending_tail;        /* waiting for a worker */
    pool_result *results;
    int unseen;                 /* failures whose handle was freed unfetched */
    char first_unseen[POOL_ERROR_MAX];
    void (*init)(void *);
    void *init_arg;
    int next_worker;            /* where dispatch starts looking */
    char last_error[POOL_ERROR_MAX];
};

/* pool_fast_tasks.c */
void *pool_xmalloc(size_t n);
pool_result *pool_new_result(pool *p);
void pool_free_result(pool_result *r);
void pool_count_unseen(pool *p, const char *error);
int pool_report_unseen(pool *p);
struct task *pool_new_task(pool_fn *fn, const void *args, size_t count,
                           size_t arg_size, size_t result_cap);
void pool_enqueue(pool *p, struct task *t);
struct task *pool_pop_running(struct worker *w);
void pool_fail_task(pool *p, struct task *t, const char *msg, int quiet);
void pool_take_result(pool *p, struct worker *w, const unsigned char *body, size_t len);
void pool_worker_ended(pool *p, int slot);

/* pool_fast_io.c */
void pool_dispatch(pool *p);
void pool_flush(pool *p);
int pool_pump(pool *p, double timeout);      /* -1: a signal came (EINTR) */
int pool_read_results(pool *p, struct worker *w);
void pool_send_stop(struct worker *w);

/* pool_fast_worker.c */
void pool_spawn(pool *p, int slot);     /* fork a worker into workers[slot] */
void pool_reap(struct worker *w, char *how, size_t n);  /* wait; how it ended */
void pool_forget_worker(struct worker *w);              /* close and free its slot */

#endif
