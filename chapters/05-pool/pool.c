/* pool.c - a process pool: Python's multiprocessing.Pool, in C (see pool.h).
 *
 *   start a worker    pool_spawn(): a Pipe() (chapter 03's socketpair) and
 *                     a fork; the worker loops in worker_main(): read, run,
 *                     answer (pool_worker.c)
 *   hand out a task   pool_dispatch(): the first waiting task to an idle
 *                     worker (pool_tasks.c)
 *   collect a result  pool_pump(): poll(2) the workers' ends, take in answers
 *   a worker dies     worker_died(): end of file; fail the task it was
 *                     running, fork a new worker in its place
 * One task in flight per worker: the parent knows which task each worker
 * runs, and so whose task a dead worker took with it. Messages are framed
 * (common/frame.h): to a worker, a struct task_head and count * arg_size
 * bytes of arguments (an empty message: stop); back, per item, a struct
 * item_head and len bytes, the result or the error text.
 *
 * This file is the API; pool_tasks.c hands out tasks and takes in answers,
 * pool_worker.c is what runs in a worker; pool_impl.h holds the layouts.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "frame.h"
#include "pool_impl.h"

pool *pool_create_opts(int workers, void (*init)(void *), void *init_arg, int maxtasks)
{
    long cpus = cpu_count();

    if (workers == 0)                   /* Python's Pool(): one per CPU */
        workers = cpus > POOL_MAX_WORKERS ? POOL_MAX_WORKERS : (int)cpus;
    if (workers < 0 || workers > POOL_MAX_WORKERS || maxtasks < 0) {
        errno = EINVAL;
        return NULL;
    }
    pool *p = pool_xcalloc(1, sizeof *p);
    *p = (struct pool){ .size = workers, .init = init, .init_arg = init_arg, .maxtasks = maxtasks,
                        .workers = pool_xcalloc((size_t)workers, sizeof *p->workers),
                        .fds = pool_xcalloc((size_t)workers, sizeof *p->fds) };
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
pid_t pool_worker_pid(const pool *p, int i) { return i >= 0 && i < p->size ? p->workers[i].pid : 0; }

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
    pool_result *r = pool_new_task(p, fn, arg, 1, arg_len, room);
    r->on_result = on_result;
    r->on_error = on_error;
    r->cb_arg = cb_arg;
    pool_dispatch(p);                        /* it starts now if a worker is idle */
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
    if (r == NULL || timeout != timeout) {      /* NaN */
        errno = EINVAL;
        return -1;
    }
    double deadline = now_seconds() + timeout;
    while (r->state == PENDING) {
        double left = deadline - now_seconds();
        pool_pump(r->pool, timeout < 0 ? -1 : left > 0 ? left : 0);
        if (r->state == PENDING && timeout >= 0 && left <= 0)
            return POOL_TIMEOUT;        /* after one last look */
    }
    r->fetched = 1;
    return r->state == DONE_OK ? POOL_OK : POOL_FAILED;
}

int pool_ready(pool_result *r)
{
    if (r->state == PENDING)
        pool_pump(r->pool, 0);
    return r->state != PENDING;
}

int pool_wait_any(pool_result *const rs[], size_t n, double timeout)
{
    if (rs == NULL || n == 0 || n > INT_MAX || timeout != timeout) {
        errno = EINVAL;
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (rs[i] == NULL || rs[i]->pool != rs[0]->pool) {
            errno = EINVAL;
            return -1;
        }
    double deadline = now_seconds() + timeout;
    for (int looked = 0;; looked = 1) {
        for (size_t i = 0; i < n; i++)
            if (rs[i]->state != PENDING)
                return (int)i;
        double left = deadline - now_seconds();
        if (looked && timeout >= 0 && left <= 0) {
            errno = ETIMEDOUT;          /* after one last look */
            return -1;
        }
        if (pool_pump(rs[0]->pool, timeout < 0 ? -1 : left > 0 ? left : 0) == -1) {
            errno = EINTR;              /* a handler ran: the caller looks first */
            return -1;
        }
    }
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
    if (r != NULL && r->state == PENDING)
        r->freed = 1;                   /* freed when its task ends */
    else if (r != NULL)
        pool_free_handle(r);
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
    pool_free_handle(r);
    return status;
}

int pool_map(pool *p, pool_fn *fn, const void *args, size_t arg_size,
             void *results, size_t result_size, size_t count, size_t chunksize)
{
    struct map_job job = { results, result_size, 0, SIZE_MAX, "" };
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
        pool_result *r = pool_new_task(p, fn, (const unsigned char *)args + first * arg_size, n,
                                  arg_size, result_size);
        r->job = &job;
        r->first = first;
        job.chunks_left++;
    }
    pool_dispatch(p);
    while (job.chunks_left > 0)         /* like Python's map: wait for it all */
        pool_pump(p, -1);
    if (job.first_failed == SIZE_MAX)
        return POOL_OK;
    snprintf(p->last_error, sizeof p->last_error, "%s", job.error);
    return POOL_FAILED;
}

void pool_close(pool *p)
{
    if (p->state == RUNNING)
        p->state = CLOSED;
}

static int busy(const pool *p)
{
    for (int i = 0; i < p->size; i++)
        if (p->workers[i].running != NULL)
            return 1;
    return p->head != NULL;
}

int pool_join(pool *p)
{
    static const unsigned char stop[FRAME_HEADER];     /* an empty message */
    char how[POOL_ERROR_MAX];

    if (p->state == RUNNING) {
        errno = EINVAL;                 /* Python: "Pool is still running" */
        return -1;
    }
    while (p->state == CLOSED && busy(p))
        pool_pump(p, -1);
    for (int i = 0; p->state == CLOSED && i < p->size; i++) {
        (void)send_all(p->workers[i].fd, stop, sizeof stop);   /* EPIPE: it has ended */
        pool_reap(&p->workers[i], how, sizeof how);
    }
    p->state = ENDED;
    int n = p->unfetched;               /* failed tasks freed unread, */
    for (pool_result *r = p->handles; r != NULL; r = r->next)
        if (r->state == DONE_FAILED && !r->fetched)
            r->fetched = 1, n++;        /* and those never fetched at all */
    p->unfetched = 0;
    return n;
}

void pool_terminate(pool *p)
{
    char how[POOL_ERROR_MAX];
    size_t len;

    if (p->state == ENDED)
        return;
    p->state = ENDED;
    for (int i = 0; i < p->size; i++)   /* SIGTERM to all first: they end at once */
        if (kill(p->workers[i].pid, SIGTERM) == -1)
            die("kill %ld", (long)p->workers[i].pid);
    for (int i = 0; i < p->size; i++) {
        struct worker *w = &p->workers[i];
        /* An answer sent before the signal is still there to read. */
        if (w->running != NULL && frame_recv(w->fd, pool_answer, FRAME_MAX, &len) == 1)
            pool_store_answer(w->running, len);
        else if (w->running != NULL)
            pool_fail_task(w->running, "pool terminated while this task was running");
        pool_reap(w, how, sizeof how);
    }
    for (pool_result *r = p->head, *next; r != NULL; r = next) {
        next = r->queued;
        pool_fail_task(r, "pool terminated before this task started");
    }
    p->head = p->tail = NULL;
}

void pool_free(pool *p)
{
    if (p == NULL)
        return;
    pool_terminate(p);
    while (p->handles != NULL)
        pool_free_handle(p->handles);
    free(p->workers);
    free(p->fds);
    free(p);
}
