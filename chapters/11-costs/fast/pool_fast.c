/* pool_fast.c - chapter 11's fast process pool: the API of chapter 05's
 * pool.h, with the speed-ups that fast/pool.h lists.
 *
 * The parent owns everything: a queue of tasks waiting for a worker, and
 * for each worker the tasks it has been sent (its window), in order. A
 * worker runs its tasks one after the other and answers each with one
 * message, in the same order, so the first task on a worker's list is the
 * one it is running, and a worker that dies fails that task only.
 *
 *   start a worker    pool_spawn(): two pipes and a fork; the worker runs
 *                     worker_main() (pool_fast_worker.c)
 *   hand out tasks    pool_dispatch(): to the least busy worker whose
 *                     window has room; pool_flush() writes them
 *   collect results   pool_pump(): poll(2), read, take in each answer
 *                     (pool_fast_io.c; pool_take_result in pool_fast_tasks.c)
 *   a worker dies     pool_worker_ended(): fail its task, requeue the rest
 *                     of its window, fork a new worker (pool_fast_tasks.c)
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "frame.h"
#include "pool_fast_impl.h"

pool *pool_create_opts(int workers, void (*init)(void *), void *init_arg, int maxtasks)
{
    long cpus = cpu_count();

    if (workers == 0)                   /* Python's Pool(): one per CPU */
        workers = cpus > POOL_MAX_WORKERS ? POOL_MAX_WORKERS : (int)cpus;
    if (workers < 0 || workers > POOL_MAX_WORKERS || maxtasks < 0) {
        errno = EINVAL;
        return NULL;
    }
    pool *p = pool_xmalloc(sizeof *p);
    size_t n = (size_t)workers;
    *p = (struct pool){ .size = workers, .state = RUNNING, .init = init, .init_arg = init_arg,
                        .maxtasks = maxtasks,
                        .workers = pool_xmalloc(n * sizeof *p->workers),
                        .fds = pool_xmalloc(2 * n * sizeof *p->fds),  /* results, tasks */
                        .fd_owner = pool_xmalloc(2 * n * sizeof *p->fd_owner),
                        .fd_pid = pool_xmalloc(2 * n * sizeof *p->fd_pid) };
    for (int i = 0; i < workers; i++)
        p->workers[i] = (struct worker){ .task_fd = -1, .result_fd = -1 };
    for (int i = 0; i < workers; i++)   /* all of them now, once */
        pool_spawn(p, i);
    return p;
}

pool *pool_create_with(int workers, void (*init)(void *), void *init_arg)
{
    return pool_create_opts(workers, init, init_arg, 0);
}

pool *pool_create(int workers) { return pool_create_with(workers, NULL, NULL); }
int pool_size(const pool *p) { return p->size; }
int pool_replaced(const pool *p) { return p->replaced; }
const char *pool_last_error(const pool *p) { return p->last_error; }
pid_t pool_worker_pid(const pool *p, int i)
{
    return i >= 0 && i < p->size ? p->workers[i].pid : 0;
}

/* ---- one task ------------------------------------------------------------- */

static pool_result *submit(pool *p, pool_fn *fn, const void *arg, size_t arg_len, size_t room,
                           pool_callback *on_result, pool_callback *on_error, void *cb_arg)
{
    if (p == NULL || fn == NULL || (arg == NULL && arg_len > 0) || p->state != RUNNING) {
        errno = EINVAL;
        return NULL;
    }
    if (arg_len > POOL_MAX_ARG) {
        errno = EMSGSIZE;
        return NULL;
    }
    pool_result *r = pool_new_result(p);
    struct task *t = pool_new_task(fn, NULL, 1, arg_len, room);

    t->own_args = pool_xmalloc(arg_len);        /* the caller may reuse its buffer */
    if (arg_len > 0)            /* memcpy from NULL is undefined, even of 0 bytes */
        memcpy(t->own_args, arg, arg_len);
    t->args = t->own_args;
    t->result = r;
    r->on_result = on_result;
    r->on_error = on_error;
    r->cb_arg = cb_arg;
    pool_enqueue(p, t);
    /* Start it now if a worker is free: the task runs while the caller
     * does other things. (One waiting for a worker starts at the next call
     * into the pool: there is no thread to start it sooner.) */
    pool_dispatch(p);
    pool_flush(p);
    return r;
}

pool_result *pool_apply_async(pool *p, pool_fn *fn, const void *arg, size_t arg_len)
{
    return submit(p, fn, arg, arg_len, POOL_MAX_RESULT, NULL, NULL, NULL);
}

pool_result *pool_apply_async_cb(pool *p, pool_fn *fn, const void *arg, size_t arg_len,
                                 pool_callback *on_result, pool_callback *on_error,
                                 void *cb_arg)
{
    return submit(p, fn, arg, arg_len, POOL_MAX_RESULT, on_result, on_error, cb_arg);
}

int pool_get(pool_result *r, double timeout)
{
    if (r == NULL || isnan(timeout)) {
        errno = EINVAL;
        return -1;
    }
    double deadline = now_seconds() + timeout;
    while (r->state == PENDING) {
        double left = timeout < 0 ? -1 : deadline - now_seconds();
        if (timeout >= 0 && left <= 0) {
            pool_pump(r->pool, 0);      /* one last look, without waiting */
            if (r->state == PENDING)
                return POOL_TIMEOUT;
            break;
        }
        pool_pump(r->pool, left);
    }
    if (r->state == DONE_OK)
        return POOL_OK;
    r->seen = 1;
    return POOL_FAILED;
}

int pool_ready(pool_result *r)
{
    if (r->state == PENDING)
        pool_pump(r->pool, 0);
    return r->state != PENDING;
}

const void *pool_value(const pool_result *r, size_t *len)
{
    if (r->state == DONE_OK && len != NULL)
        *len = r->len;
    return r->state == DONE_OK ? r->value : NULL;
}

const char *pool_result_error(const pool_result *r)
{
    return r->state == DONE_FAILED ? r->error : NULL;
}

void pool_result_free(pool_result *r)
{
    if (r == NULL)
        return;
    if (r->state == PENDING) {
        r->user_freed = 1;              /* freed when its task ends */
        return;
    }
    if (r->state == DONE_FAILED && !r->seen)
        pool_count_unseen(r->pool, r->error);
    pool_free_result(r);
}

int pool_apply(pool *p, pool_fn *fn, const void *arg, size_t arg_len,
               void *result, size_t *result_len)
{
    pool_result *r = submit(p, fn, arg, arg_len,
                            *result_len < POOL_MAX_RESULT ? *result_len : POOL_MAX_RESULT,
                            NULL, NULL, NULL);
    if (r == NULL)
        return -1;
    int status = pool_get(r, -1);
    if (status == POOL_OK)
        memcpy(result, r->value, *result_len = r->len);
    else
        snprintf(p->last_error, sizeof p->last_error, "%s", r->error);
    pool_free_result(r);
    return status;
}

/* ---- many tasks ------------------------------------------------------------- */

int pool_map(pool *p, pool_fn *fn, const void *args, size_t arg_size,
             void *results, size_t result_size, size_t count, size_t chunksize)
{
    struct map_job job = { .results = results, .result_size = result_size,
                           .first_failed = SIZE_MAX };
    size_t item_answer = sizeof(struct item_head) +
                         (result_size > POOL_ERROR_MAX ? result_size : POOL_ERROR_MAX);

    if (p == NULL || fn == NULL || p->state != RUNNING || arg_size == 0 || result_size == 0 ||
        (count > 0 && (args == NULL || results == NULL))) {
        errno = EINVAL;
        return -1;
    }
    if (arg_size > POOL_MAX_ARG || result_size > POOL_MAX_RESULT) {
        errno = EMSGSIZE;
        return -1;
    }
    if (chunksize == 0)                 /* Python's default: 4 chunks per worker */
        chunksize = (count + 4 * (size_t)p->size - 1) / (4 * (size_t)p->size);
    /* A chunk must fit in one message, and so must its answer. */
    if (chunksize > (FRAME_MAX - sizeof(struct task_head)) / arg_size)
        chunksize = (FRAME_MAX - sizeof(struct task_head)) / arg_size;
    if (chunksize > FRAME_MAX / item_answer)
        chunksize = FRAME_MAX / item_answer;
    for (size_t first = 0; first < count; first += chunksize) {  /* one task per chunk */
        size_t n = count - first < chunksize ? count - first : chunksize;
        /* No copy: a chunk's arguments go from the caller's array straight
         * into the output buffer. */
        struct task *t = pool_new_task(fn, (const unsigned char *)args + first * arg_size,
                                       n, arg_size, result_size);
        t->job = &job;
        t->first = first;
        pool_enqueue(p, t);
        job.chunks_left++;
    }
    /* Like Python's map, wait for all of it. (The chunks point into the
     * caller's arrays and at `job`: they must all be done before return.) */
    while (job.chunks_left > 0)
        pool_pump(p, -1);
    if (job.first_failed == SIZE_MAX)
        return POOL_OK;
    snprintf(p->last_error, sizeof p->last_error, "%s", job.error);
    return POOL_FAILED;
}

/* ---- the end ------------------------------------------------------------------ */

void pool_close(pool *p)
{
    if (p->state == RUNNING)
        p->state = CLOSED;
}

static int busy(const pool *p)
{
    for (int i = 0; i < p->size; i++)
        if (p->workers[i].inflight > 0)
            return 1;
    return p->pending != NULL;
}

static int alive(const pool *p)
{
    for (int i = 0; i < p->size; i++)
        if (p->workers[i].pid != 0)
            return 1;
    return 0;
}

int pool_join(pool *p)
{
    if (p->state == RUNNING) {
        errno = EINVAL;                 /* Python: "Pool is still running" */
        return -1;
    }
    if (p->state == CLOSED) {
        while (busy(p))
            pool_pump(p, -1);
        /* Every task is done: the stop message to each worker, behind what
         * it was sent; then wait for the end of file its exit causes (the
         * pump reaps it and, as it is stopping, forks no successor). */
        for (int i = 0; i < p->size; i++)
            if (p->workers[i].pid != 0 && !p->workers[i].stopping)
                pool_send_stop(&p->workers[i]);
        while (alive(p))
            pool_pump(p, -1);
        p->state = JOINED;
    }
    return pool_report_unseen(p);
}

void pool_terminate(pool *p)
{
    char how[POOL_ERROR_MAX / 2];

    if (p->state == JOINED || p->state == TERMINATED)
        return;
    p->state = TERMINATED;
    for (int i = 0; i < p->size; i++)   /* SIGTERM to all first: they end at once */
        if (p->workers[i].pid != 0 && kill(p->workers[i].pid, SIGTERM) == -1)
            die("kill %ld", (long)p->workers[i].pid);
    for (int i = 0; i < p->size; i++) {
        struct worker *w = &p->workers[i];
        if (w->pid == 0)
            continue;
        pool_reap(w, how, sizeof how);
        while (pool_read_results(p, w)) /* answers sent before the signal */
            continue;
        while (w->head != NULL)         /* quiet: join does not count them */
            pool_fail_task(p, pool_pop_running(w),
                           "pool terminated while this task was running", 1);
        pool_forget_worker(w);
    }
    while (p->pending != NULL) {
        struct task *t = p->pending;
        p->pending = t->next;
        pool_fail_task(p, t, "pool terminated before this task started", 1);
    }
    p->pending_tail = NULL;
}

void pool_free(pool *p)
{
    if (p == NULL)
        return;
    if (alive(p))
        pool_terminate(p);
    /* The safety net for errors nobody asked about: say so on stderr. */
    int n = pool_report_unseen(p);
    if (n > 0)
        say_to(STDERR_FILENO, "%s: pool: %d failed task%s never fetched%s%s",
               prog_name(), n, n == 1 ? " was" : "s were",
               p->first_unseen[0] ? "; the first: " : "", p->first_unseen);
    while (p->results != NULL)
        pool_free_result(p->results);
    free(p->workers);
    free(p->fds);
    free(p->fd_owner);
    free(p->fd_pid);
    free(p);
}
