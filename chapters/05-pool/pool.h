/* pool.h - a process pool: Python's multiprocessing.Pool, in C.
 *
 * Chapter 05 teaches it (chapters/05-pool/README.md); later chapters link
 * it with `LOCAL_SRCS := ../05-pool/pool.c` in their Makefile and
 * `#include "pool.h"`.
 *
 * The model, in one paragraph. pool_create(n) forks n worker processes at
 * once and keeps them for the pool's whole life (Python does the same; a
 * pool never forks one process per task). Each worker has a task pipe
 * (parent -> worker) and a result pipe (worker -> parent) carrying framed
 * messages (common/frame.h, chapter 03). The parent keeps a queue of tasks
 * that wait, and gives a task to a worker only when that worker is free
 * (pool_map lets a chunk wait in a busy worker's pipe, to save a round
 * trip), so it always knows which worker runs which task, and a worker runs
 * its tasks one at a time, in order. There are no threads: the pool makes
 * progress only inside its own calls (pool_apply_async, pool_apply,
 * pool_get, pool_ready, pool_map, pool_join), where the parent waits in
 * poll(2) on the result pipes; a task waiting for a worker starts at the
 * next such call. A worker that dies shows as end-of-file on its result pipe:
 * the parent reaps it, fails the task it was running with an error that
 * names the signal or the exit status, and forks a replacement; the other
 * tasks go on.
 *
 * TASKS. A task is a function of this type, called in a worker:
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
 * pickles the function's name instead; a C pool needs no name.)
 *
 * ARGUMENTS AND RESULTS ARE BYTES, COPIED THROUGH PIPES. The worker receives
 * a private copy of the arg_len bytes at arg (at most POOL_MAX_ARG), and
 * sends back a copy of the *result_len bytes it wrote at result (at most the
 * room it was given, never more than POOL_MAX_RESULT). So pass values, never
 * pointers into the parent's memory: the worker's copy of the parent's heap
 * is a snapshot taken when the worker was forked, and a worker started
 * later as a replacement has a later snapshot. Structs of plain values,
 * numbers and text travel well (both ends are the same program on the same
 * machine, so the byte order and the struct layout agree). Both buffers are
 * aligned for any type.
 *
 * ERRORS. A task that returns nonzero has failed; `return pool_fail(fmt,
 * ...)` records a message (at most POOL_ERROR_MAX bytes) and returns -1. A
 * worker that dies while running a task (a crash, a signal, exit()) fails
 * that task, and only that task, with a message such as
 * "worker 4242 was killed by SIGKILL while running this task". The caller
 * sees a failure as POOL_FAILED plus the message: pool_result_error() for a
 * handle, pool_last_error() for pool_apply and pool_map.
 * An error that nobody fetched is not lost: pool_join() returns how many
 * failed tasks nobody asked about, and pool_free() writes a line on stderr
 * if some were never reported either way. (Python's Pool drops the error
 * of an apply_async whose result is never fetched.)
 * Misuse (a task for a closed pool, join before close, an argument too
 * large) returns -1 or NULL with errno set (EINVAL, EMSGSIZE), as Python
 * raises ValueError. A failed system call that leaves the pool unusable
 * (fork, pipe, poll) ends the program through die(), like the rest of the
 * workbook's helpers (common/README.md says what that trades away).
 *
 * TIMEOUTS are in seconds, as a double: 0 checks without waiting, and a
 * negative value waits as long as it takes (Python's None).
 *
 * LIFETIME, as in Python: pool_close() (no more tasks), then pool_join()
 * (wait for every task, then stop and reap every worker). pool_terminate()
 * stops the workers at once with SIGTERM and reaps them; tasks not finished
 * fail with "pool terminated". pool_free() of a pool that still has workers
 * terminates it first, as leaving Python's `with Pool() as p:` block does.
 * The pool never leaves a zombie or an orphan: a worker whose parent dies
 * sees end-of-file on its task pipe and exits.
 *
 * WORKERS inherit what the parent had when they were forked. The pool
 * resets SIGINT, SIGTERM and SIGPIPE to their default actions in each
 * worker (a parent's cleanup handler must not run in a worker), closes
 * every pipe end of the other workers, and nothing else. A child you fork
 * yourself after pool_create() inherits the pool's pipe ends too; that is
 * harmless for the pool (it stops its workers with an explicit message,
 * not by end-of-file), but such a child should not use them.
 *
 * One thread only: the pool is not thread-safe, and the result handles of
 * one pool belong to the thread that made it.
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
 * Out: the result's bytes at result, their number in *result_len; return 0,
 * or nonzero (best: return pool_fail(...)) for a failure. Runs in a worker. */
typedef int pool_fn(const void *arg, size_t arg_len, void *result, size_t *result_len);

/* In a task: record why it failed, printf-style; returns -1, so that a task
 * can `return pool_fail("cannot open %s", path);`. */
int pool_fail(const char *fmt, ...) WB_PRINTF(1, 2);

/* ---- the pool ------------------------------------------------------------ */

/* Fork `workers` workers now (0: one per online CPU, as Python's Pool());
 * at most POOL_MAX_WORKERS. NULL with errno EINVAL for a bad count.
 * pool_create_with also runs init(init_arg) in each worker as it starts
 * (Python's initializer=, initargs=), before its first task. An init that
 * ends its worker makes the pool fork replacements for ever (as Python's
 * does): keep init simple. */
pool *pool_create(int workers);
pool *pool_create_with(int workers, void (*init)(void *init_arg), void *init_arg);

int pool_size(const pool *p);                   /* the number of workers */
pid_t pool_worker_pid(const pool *p, int i);    /* worker i's pid now, 0 <= i < size */
int pool_replaced(const pool *p);               /* workers forked to replace dead ones */

/* ---- one task ------------------------------------------------------------ */

/* apply_async: queue fn(arg) and return at once with a handle (NULL, errno
 * EINVAL after close/terminate, EMSGSIZE if arg_len > POOL_MAX_ARG). The
 * task starts when a worker is free. The result may be as large as
 * POOL_MAX_RESULT. */
pool_result *pool_apply_async(pool *p, pool_fn *fn, const void *arg, size_t arg_len);

/* get: wait up to timeout seconds for the task's outcome: POOL_OK,
 * POOL_FAILED or POOL_TIMEOUT (-1, errno EINVAL, for a NULL handle or a NaN
 * timeout). May be called again, e.g. after a timeout. */
int pool_get(pool_result *r, double timeout);

/* ready: 1 if the outcome is known (pool_get would not wait), else 0. It
 * lets the pool make progress without waiting. */
int pool_ready(pool_result *r);

/* After pool_get returned POOL_OK: the result's bytes (aligned for any
 * type, owned by the handle) and their number in *len (if len is not NULL).
 * NULL if the task did not succeed. */
const void *pool_value(const pool_result *r, size_t *len);

/* After POOL_FAILED: why, as text owned by the handle; NULL otherwise. */
const char *pool_result_error(const pool_result *r);

/* Free a handle. A task still queued or running goes on; if it fails, its
 * error is counted by pool_join as one nobody fetched. Every handle not
 * freed is freed by pool_free. */
void pool_result_free(pool_result *r);

/* apply: run fn(arg) and wait for it (it blocks: it is apply_async + get).
 * *result_len: in, the room at result (the task is given that much, at most
 * POOL_MAX_RESULT); out, the bytes written. POOL_OK, POOL_FAILED (message:
 * pool_last_error), or -1 with errno as for pool_apply_async. */
int pool_apply(pool *p, pool_fn *fn, const void *arg, size_t arg_len,
               void *result, size_t *result_len);

/* ---- many tasks ---------------------------------------------------------- */

/* map: fn over `count` arguments of arg_size bytes each, laid out as an
 * array at args; item i's result goes to results + i * result_size (the
 * task gets result_size bytes of room; bytes it leaves unwritten are zero).
 * Blocks until every item is done, like Python's Pool.map. Items travel in
 * chunks of `chunksize` items, one message per chunk each way (0: Python's
 * default, count / (4 * workers), rounded up); a chunk is the unit a worker
 * takes, so a worker dying in a chunk fails that chunk's items.
 * Returns POOL_OK when every item succeeded; POOL_FAILED when some failed
 * (every item still ran once; pool_last_error names the first failed item
 * and why; its result bytes are zero); -1 with errno EINVAL (closed pool,
 * zero sizes) or EMSGSIZE (arg_size > POOL_MAX_ARG or result_size >
 * POOL_MAX_RESULT). */
int pool_map(pool *p, pool_fn *fn, const void *args, size_t arg_size,
             void *results, size_t result_size, size_t count, size_t chunksize);

/* The message of the last POOL_FAILED from pool_apply or pool_map. */
const char *pool_last_error(const pool *p);

/* ---- the end ------------------------------------------------------------- */

/* close: accept no more tasks; those already given still run. */
void pool_close(pool *p);

/* join: after close, wait for every task, then stop and reap every worker.
 * Returns the number of failed tasks whose error nobody fetched (with
 * pool_get, pool_result_error, pool_apply or pool_map): 0 when nothing
 * went unnoticed. -1 with errno EINVAL if the pool was not closed. */
int pool_join(pool *p);

/* terminate: SIGTERM every worker now and reap them; tasks not finished
 * fail with "pool terminated". The pool takes no more tasks. */
void pool_terminate(pool *p);

/* free: terminate if workers remain, free everything, handles included. */
void pool_free(pool *p);

#endif
