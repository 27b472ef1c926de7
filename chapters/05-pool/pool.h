/* pool.h - a process pool: Python's multiprocessing.Pool, in C.
 *
 * Chapter 05 teaches it (chapters/05-pool/README.md); chapter 09 builds on
 * it (`prog_SRCS := ../05-pool/pool.c` in a Makefile, `#include "pool.h"`).
 * Chapter 11 shows a faster pool with the same API, and what its speed
 * costs in code.
 *
 * THE MODEL. pool_create(n) forks n workers at once and keeps them for the
 * pool's whole life (a pool never forks a process per task). Each worker
 * has a task pipe (parent -> worker) and a result pipe (worker -> parent).
 * A worker runs ONE task at a time, and the parent gives a task only to an
 * idle worker, so it always knows which worker runs which task. Tasks that
 * find no idle worker wait in the parent, in order. There are no threads:
 * the pool moves only inside its own calls (apply_async, apply, get, ready,
 * wait_any, map, join), where the parent waits in poll(2) on the result pipes.
 *
 * A TASK is a function of type pool_fn, run in a worker:
 *
 *     int square(const void *arg, size_t arg_len, void *result, size_t *result_len)
 *     {
 *         long n;
 *         if (arg_len != sizeof n)
 *             return pool_fail("square wants a long, got %zu bytes", arg_len);
 *         memcpy(&n, arg, sizeof n);
 *         n = n * n;
 *         memcpy(result, &n, sizeof n);      // *result_len holds the room:
 *         *result_len = sizeof n;            // set it to the bytes written
 *         return 0;                          // 0: success
 *     }
 *
 * The function pointer itself travels to the worker: it is valid there
 * because fork copied the whole program, at the same addresses. (Python
 * pickles the function's name instead.) The argument and the result are
 * BYTES, COPIED through the pipes (at most POOL_MAX_ARG and POOL_MAX_RESULT):
 * pass values, never pointers into the parent's memory. Both buffers a task
 * sees are aligned for any type.
 *
 * ERRORS. A task that returns nonzero has failed; `return pool_fail(fmt,
 * ...)` says why. A worker that dies while running a task (a crash, a
 * signal, exit()) fails that task, and only that task ("worker 4242 was
 * killed by SIGKILL while running this task"), and a new worker takes its
 * place. The caller sees POOL_FAILED and the message. pool_join() returns
 * how many failed tasks nobody asked about (Python's Pool drops the error
 * of an apply_async nobody fetches). Misuse (a task for a closed pool, join
 * before close, an argument too large) returns -1 or NULL with errno
 * EINVAL or EMSGSIZE, as Python raises ValueError. A failed system call
 * that leaves the pool unusable (fork, pipe, poll) ends the program through
 * die(), like the rest of the workbook's helpers.
 *
 * TIMEOUTS are in seconds: 0 checks without waiting, a negative value waits
 * as long as it takes (Python's None).
 *
 * WORKERS inherit what the parent had when they were forked; each puts back
 * the default actions of SIGINT, SIGTERM and SIGPIPE (a parent's cleanup
 * handler must not run in a worker), and keeps only its own two pipe ends.
 * A worker whose parent dies sees end of file on its task pipe and exits.
 * One thread only: the pool is not thread-safe.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef WORKBOOK_POOL_H
#define WORKBOOK_POOL_H

#include <stddef.h>
#include <sys/types.h>

#include "common.h"             /* WB_PRINTF */

#define POOL_MAX_ARG    (64 * 1024)     /* bytes of argument per task */
#define POOL_MAX_RESULT (64 * 1024)     /* bytes of result per task */
#define POOL_ERROR_MAX  256             /* bytes of error message, '\0' included */
#define POOL_MAX_WORKERS 256

/* What pool_get, pool_apply and pool_map return (or -1 for misuse). */
enum pool_status {
    POOL_OK      = 0,           /* the task ran and returned 0 */
    POOL_FAILED  = 1,           /* the task failed, or its worker died */
    POOL_TIMEOUT = 2            /* pool_get only: not finished in time */
};

typedef struct pool pool;
typedef struct pool_result pool_result;

/* A task. In: arg_len bytes at arg; *result_len = the room at result.
 * Out: the result at result, its length in *result_len; return 0, or
 * nonzero (best: return pool_fail(...)) for a failure. Runs in a worker. */
typedef int pool_fn(const void *arg, size_t arg_len, void *result, size_t *result_len);

/* In a task: record why it failed, printf-style; returns -1. */
int pool_fail(const char *fmt, ...) WB_PRINTF(1, 2);

/* Fork `workers` workers now (0: one per online CPU, as Python's Pool()),
 * at most POOL_MAX_WORKERS; NULL with errno EINVAL for a bad count.
 * pool_create_with also runs init(init_arg) in each worker as it starts,
 * replacements included (Python's initializer=, initargs=). init_arg may
 * point into the parent's memory: the worker has a copy of it (fork).
 * pool_create_opts also takes maxtasks (Python's maxtasksperchild): a
 * worker that has run that many tasks (a chunk of map is one) exits, and
 * the parent, which gives it no more, reaps it and forks another in its
 * place, which runs init again. 0: no limit (Python's None); negative:
 * NULL with EINVAL. */
pool *pool_create(int workers);
pool *pool_create_with(int workers, void (*init)(void *init_arg), void *init_arg);
pool *pool_create_opts(int workers, void (*init)(void *init_arg), void *init_arg,
                       int maxtasks);

int pool_size(const pool *p);                   /* the number of workers */
pid_t pool_worker_pid(const pool *p, int i);    /* worker i's pid now, 0 <= i < size */
int pool_replaced(const pool *p);   /* workers forked in place of others: of dead
                                       ones, and of those that ran maxtasks */

/* apply_async: queue fn(arg) and return a handle at once (NULL with errno
 * EINVAL after close, EMSGSIZE if arg_len > POOL_MAX_ARG). The task starts
 * now if a worker is idle, else at a later call into the pool. */
pool_result *pool_apply_async(pool *p, pool_fn *fn, const void *arg, size_t arg_len);

/* apply_async with callbacks (Python's callback=, error_callback=): when
 * the outcome is in, on_result(r, cb_arg) is called if the task succeeded,
 * on_error(r, cb_arg) if it failed (pool_result_error(r) says why: its
 * error, its worker's death, terminate), and the error counts as fetched.
 * Either may be NULL. They run IN THE PARENT, one at a time, inside the
 * pool call that takes the outcome in (get, ready, wait_any, apply, map,
 * join, terminate): no thread, so no callback runs while the parent is
 * elsewhere, and a slow one holds up the whole pool. A callback may read
 * r and call pool_apply_async; it must not free r or wait on the pool.
 * The handle is the caller's, as any: freed right away, it goes after
 * its callback. */
typedef void pool_callback(pool_result *r, void *cb_arg);
pool_result *pool_apply_async_cb(pool *p, pool_fn *fn, const void *arg, size_t arg_len,
                                 pool_callback *on_result, pool_callback *on_error,
                                 void *cb_arg);

/* get: wait up to timeout seconds for the outcome: POOL_OK, POOL_FAILED or
 * POOL_TIMEOUT (-1 with EINVAL for a NULL handle or a NaN timeout). */
int pool_get(pool_result *r, double timeout);

/* ready: 1 if the outcome is known (get would not wait), else 0. */
int pool_ready(pool_result *r);

/* wait_any: wait up to timeout seconds until one of the n handles at rs
 * has its outcome, and return the lowest index of one that has (without
 * fetching it: pool_get(rs[i], 0) does). -1 with errno ETIMEDOUT if none
 * finished in time; EINTR if a signal handler ran while it waited (look
 * at what the handler set, then call again); EINVAL for n == 0, a NULL
 * handle, handles of two pools or a NaN timeout. One poll(2) waits on
 * every worker at once: imap_unordered, as_completed and
 * wait(FIRST_COMPLETED) are built on it, and none of them spins. */
int pool_wait_any(pool_result *const rs[], size_t n, double timeout);

/* After POOL_OK: the result (owned by the handle, aligned for any type),
 * its length in *len if len is not NULL. NULL otherwise. */
const void *pool_value(const pool_result *r, size_t *len);

/* After POOL_FAILED: why, owned by the handle. NULL otherwise. */
const char *pool_result_error(const pool_result *r);

/* Free a handle. A task still waiting or running goes on; if it fails,
 * pool_join counts its error as one nobody fetched. pool_free frees every
 * handle not freed. */
void pool_result_free(pool_result *r);

/* apply: apply_async + get: run fn(arg) and wait for it. *result_len: in,
 * the room at result; out, the bytes written. POOL_OK, POOL_FAILED (why:
 * pool_last_error), or -1 with errno as for pool_apply_async. */
int pool_apply(pool *p, pool_fn *fn, const void *arg, size_t arg_len,
               void *result, size_t *result_len);

/* map: fn over `count` arguments of arg_size bytes each, an array at args;
 * item i's result goes to results + i * result_size (bytes it leaves
 * unwritten are zero). Blocks until every item is done. Items travel in
 * chunks of `chunksize`, one message per chunk each way (0: Python's
 * default, count / (4 * workers) rounded up; a chunk is also kept small
 * enough for one message); a worker dying in a chunk fails that chunk.
 * POOL_OK when every item succeeded; POOL_FAILED when some failed (every
 * item still ran once; pool_last_error names the first failed item and
 * why; its result is zero); -1 with errno EINVAL (closed pool, zero sizes)
 * or EMSGSIZE (arg_size > POOL_MAX_ARG or result_size > POOL_MAX_RESULT). */
int pool_map(pool *p, pool_fn *fn, const void *args, size_t arg_size,
             void *results, size_t result_size, size_t count, size_t chunksize);

/* The message of the last POOL_FAILED from pool_apply or pool_map. */
const char *pool_last_error(const pool *p);

/* close: accept no more tasks; those already given still run. */
void pool_close(pool *p);

/* join: after close, wait for every task, then stop and reap every worker.
 * Returns the number of failed tasks whose outcome nobody fetched with
 * pool_get, pool_apply or pool_map (0: nothing went unnoticed); -1 with
 * errno EINVAL if the pool was not closed. */
int pool_join(pool *p);

/* terminate: SIGTERM every worker now and reap them; tasks not finished
 * fail with "pool terminated ...". The pool takes no more tasks. */
void pool_terminate(pool *p);

/* free: terminate if workers remain; free everything, handles included. */
void pool_free(pool *p);

#endif
