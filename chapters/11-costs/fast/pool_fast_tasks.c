/* pool_fast_tasks.c - the fast Pool's bookkeeping in the parent: result
 * handles, tasks, the answer to a task, and a worker that died with tasks
 * in its window.
 *
 * A worker runs the tasks it was sent one after the other and answers each
 * with one message, in the same order, so the first task on a worker's
 * list is always the one it is running: that is how the parent knows whose
 * task a dead worker took with it, though it sent it several.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "pool_fast_impl.h"

void *pool_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        die("malloc %zu", n);
    return p;
}

/* ---- result handles -------------------------------------------------------- */

pool_result *pool_new_result(pool *p)
{
    pool_result *r = pool_xmalloc(sizeof *r);

    *r = (struct pool_result){ .pool = p, .state = PENDING, .next = p->results };
    if (p->results)
        p->results->prev = r;
    p->results = r;
    return r;
}

void pool_free_result(pool_result *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        r->pool->results = r->next;
    if (r->next)
        r->next->prev = r->prev;
    free(r->value);
    free(r->error);
    free(r);
}

/* A failure nobody can fetch any more: counted for pool_join. */
void pool_count_unseen(pool *p, const char *error)
{
    if (p->unseen++ == 0)
        snprintf(p->first_unseen, sizeof p->first_unseen, "%s", error);
}

/* The failed tasks nobody fetched, counted once: after this they count as
 * reported. */
int pool_report_unseen(pool *p)
{
    int n = p->unseen;

    for (pool_result *r = p->results; r != NULL; r = r->next)
        if (r->state == DONE_FAILED && !r->seen) {
            if (n++ == 0)
                snprintf(p->first_unseen, sizeof p->first_unseen, "%s", r->error);
            r->seen = 1;
        }
    p->unseen = 0;
    return n;
}

/* ---- tasks ------------------------------------------------------------------ */

struct task *pool_new_task(pool_fn *fn, const void *args, size_t count,
                           size_t arg_size, size_t result_cap)
{
    struct task *t = pool_xmalloc(sizeof *t);

    *t = (struct task){ .fn = fn, .args = args, .count = count, .arg_size = arg_size,
                        .result_cap = result_cap };
    return t;
}

/* Last in the queue of tasks waiting for a worker. */
void pool_enqueue(pool *p, struct task *t)
{
    t->next = NULL;
    if (p->pending_tail)
        p->pending_tail->next = t;
    else
        p->pending = t;
    p->pending_tail = t;
}

/* Its oldest task leaves the worker's list: answered, or lost with it. */
struct task *pool_pop_running(struct worker *w)
{
    struct task *t = w->head;

    if ((w->head = t->next) == NULL)
        w->tail = NULL;
    w->inflight--;
    w->inflight_items -= t->count;
    if (t->result)
        w->inflight_oneoff--;
    return t;
}

/* One item's outcome arrived (or was decided: a dead worker, terminate):
 * ok, and its result's bytes; or failed, and the error's. quiet: a failure
 * nobody needs to fetch (terminate's). */
static void finish_item(pool *p, struct task *t, size_t i, int ok,
                        const unsigned char *bytes, size_t len, int quiet)
{
    pool_result *r = t->result;

    if (r != NULL) {                    /* apply_async: the handle keeps it */
        if (ok) {
            r->value = pool_xmalloc(len);       /* malloc: aligned for any type */
            memcpy(r->value, bytes, len);
            r->len = len;
            r->state = DONE_OK;
        } else {
            r->error = pool_xmalloc(len + 1);
            memcpy(r->error, bytes, len);
            r->error[len] = '\0';
            r->state = DONE_FAILED;
            r->seen = quiet;
        }
        pool_callback *cb = ok ? r->on_result : r->on_error;
        if (cb != NULL) {               /* here, in the parent, now */
            r->seen = 1;                /* an error on_error had is not unnoticed */
            cb(r, r->cb_arg);
        }
        if (r->user_freed) {
            if (r->state == DONE_FAILED && !r->seen)
                pool_count_unseen(p, r->error);
            pool_free_result(r);
        }
        t->result = NULL;
        return;
    }
    struct map_job *job = t->job;       /* map: into the caller's array */
    size_t item = t->first + i;
    unsigned char *slot = job->results + item * job->result_size;

    if (ok) {
        if (len > job->result_size)
            fatal("pool: a result larger than its room from a worker");
        memcpy(slot, bytes, len);
        memset(slot + len, 0, job->result_size - len);
        return;
    }
    memset(slot, 0, job->result_size);
    if (item < job->first_failed) {
        job->first_failed = item;
        snprintf(job->error, sizeof job->error, "item %zu: %.*s", item, (int)len,
                 (const char *)bytes);
    }
}

/* Every item of t is decided: a chunk counts down its map call. */
static void task_done(struct task *t)
{
    if (t->job)
        t->job->chunks_left--;
    free(t->own_args);
    free(t);
}

/* Fail every item of a task with one message. */
void pool_fail_task(pool *p, struct task *t, const char *msg, int quiet)
{
    for (size_t i = 0; i < t->count; i++)
        finish_item(p, t, i, 0, (const unsigned char *)msg, strlen(msg), quiet);
    task_done(t);
}

/* One result message from worker w: the answer to its oldest task, an
 * item_head and bytes per item. */
void pool_take_result(pool *p, struct worker *w, const unsigned char *body, size_t len)
{
    struct task *t = w->head;
    size_t at = 0;

    if (t == NULL)
        fatal("pool: worker %ld answered a task it was never sent", (long)w->pid);
    pool_pop_running(w);
    for (size_t i = 0; i < t->count; i++) {
        struct item_head ih;

        if (len - at < sizeof ih)
            fatal("pool: a short result from worker %ld", (long)w->pid);
        memcpy(&ih, body + at, sizeof ih);
        at += sizeof ih;
        if (len - at < ih.len)
            fatal("pool: a short result from worker %ld", (long)w->pid);
        finish_item(p, t, i, ih.failed == 0, body + at, ih.len, 0);
        at += ih.len;
    }
    task_done(t);
}

/* ---- a worker that died ----------------------------------------------------- */

/* Put a worker's unstarted tasks back at the front of the queue, in order:
 * they were sent, but a worker runs its tasks one at a time, so the ones
 * after the task it died in never started. */
static void requeue(pool *p, struct worker *w)
{
    if (w->head == NULL)
        return;
    w->tail->next = p->pending;
    if (p->pending == NULL)
        p->pending_tail = w->tail;
    p->pending = w->head;
    w->head = w->tail = NULL;
    w->inflight = w->inflight_oneoff = 0;
    w->inflight_items = 0;
}

/* The worker's result pipe is at end of file: it has ended. The task it
 * was running fails with how it ended; what it had not started goes back
 * to the queue; a new worker takes its place unless the pool is stopping.
 * (Python's Pool forks a new one too, but cannot tell whose task was lost:
 * its workers share one task queue.) A worker that ran maxtasks ends here
 * too, every task answered: nothing fails. */
void pool_worker_ended(pool *p, int slot)
{
    struct worker *w = &p->workers[slot];
    char how[POOL_ERROR_MAX / 2], msg[POOL_ERROR_MAX];
    int stopping = w->stopping;

    pool_reap(w, how, sizeof how);
    if (w->head != NULL) {
        struct task *t = pool_pop_running(w);

        if (t->job && t->count > 1)
            snprintf(msg, sizeof msg, "%s while running items %zu..%zu (one chunk)", how,
                     t->first, t->first + t->count - 1);
        else
            snprintf(msg, sizeof msg, "%s while running this task", how);
        pool_fail_task(p, t, msg, 0);
        requeue(p, w);
    }
    pool_forget_worker(w);
    if (!stopping && p->state != TERMINATED) {
        pool_spawn(p, slot);
        p->replaced++;
    }
}
