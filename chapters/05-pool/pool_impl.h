/* pool_impl.h - what the three files of the Pool share, and nobody else:
 * the layouts behind pool.h's opaque types, and the functions one file
 * calls in another. Read in this order:
 *
 *   pool.c         the API: create, apply_async/get, map, close/join/terminate
 *   pool_tasks.c   the parent's side: hand out tasks, take in answers,
 *                  a worker that died
 *   pool_worker.c  the worker's side: fork one, its loop, running a task
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef POOL_IMPL_H
#define POOL_IMPL_H

#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

#include "frame.h"
#include "pool.h"

struct task_head { pool_fn *fn; uint32_t count, arg_size, result_cap, pad; };
struct item_head { uint32_t failed, len; };

enum { PENDING, DONE_OK, DONE_FAILED };        /* a task's state */
enum { RUNNING, CLOSED, ENDED };               /* the pool's */

struct map_job {                /* one pool_map call, waiting for its chunks */
    unsigned char *results;
    size_t result_size, chunks_left, first_failed;
    char error[POOL_ERROR_MAX];
};

struct pool_result {            /* a task, then its outcome */
    pool *pool;
    pool_result *prev, *next;   /* all the pool's handles, for pool_free */
    pool_result *queued;        /* the next task waiting for a worker */
    unsigned char *msg;         /* the framed task message, until it is sent */
    size_t msg_len, count;
    struct map_job *job;        /* a chunk of map: its call, its first item */
    size_t first;
    int state, fetched, freed;
    pool_callback *on_result, *on_error;       /* apply_async_cb's */
    void *cb_arg;
    void *value;
    size_t len;
    char error[POOL_ERROR_MAX];
};

struct worker {
    pid_t pid;
    int fd;                     /* the parent's end of the worker's Pipe() */
    pool_result *running;       /* NULL: idle */
    int given;                  /* tasks it was sent (maxtasks: no more after) */
};

struct pool {
    int size, state, replaced, unfetched;
    int maxtasks;               /* per worker (maxtasksperchild); 0: no limit */
    struct worker *workers;
    struct pollfd *fds;
    pool_result *handles, *head, *tail;        /* all; those waiting, in order */
    void (*init)(void *);
    void *init_arg;
    char last_error[POOL_ERROR_MAX];
};

/* pool_worker.c */
void pool_spawn(pool *p, int slot);     /* fork a worker into workers[slot] */
void pool_reap(struct worker *w, char *how, size_t n);  /* wait; how it ended */

/* pool_tasks.c */
extern unsigned char pool_answer[FRAME_MAX];   /* the parent's receive buffer */
void *pool_xcalloc(size_t n, size_t size);
pool_result *pool_new_task(pool *p, pool_fn *fn, const void *args, size_t count,
                           size_t arg_size, size_t room);
void pool_dispatch(pool *p);
int pool_pump(pool *p, double timeout);      /* -1: a signal came (EINTR) */
void pool_store_answer(pool_result *r, size_t len);
void pool_fail_task(pool_result *r, const char *why);
void pool_free_handle(pool_result *r);

#endif
