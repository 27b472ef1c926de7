/* pool_tasks.c - the Pool's parent side (pool.c has the API): hand each
 * waiting task to an idle worker, take in answers, and when a worker dies
 * fail the task it was running and fork a new one in its place.
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

/* Answers come in here, one at a time. Static: a page is touched only when used. */
unsigned char pool_answer[FRAME_MAX];

void *pool_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);

    if (p == NULL)
        die("calloc");
    return p;
}

void pool_free_handle(pool_result *r)
{
    if (r->state == DONE_FAILED && !r->fetched)
        r->pool->unfetched++;           /* an error nobody can fetch any more */
    if (r->prev)
        r->prev->next = r->next;
    else
        r->pool->handles = r->next;
    if (r->next)
        r->next->prev = r->prev;
    free(r->msg);
    free(r->value);
    free(r);
}

/* Item i of task r: its result (bytes, len), or why it failed. After the
 * last item, a chunk of map is done with, and a freed handle goes. */
static void set_item(pool_result *r, size_t i, int failed, const void *bytes, size_t len)
{
    struct map_job *job = r->job;

    if (job == NULL) {                  /* apply_async: the handle keeps it */
        r->state = failed ? DONE_FAILED : DONE_OK;
        r->len = failed ? 0 : len;
        if (failed)
            snprintf(r->error, sizeof r->error, "%.*s", (int)len, (const char *)bytes);
        else if ((r->value = malloc(len ? len : 1)) == NULL)   /* aligned for any type */
            die("malloc");
        else
            memcpy(r->value, bytes, len);
        pool_callback *cb = failed ? r->on_error : r->on_result;
        if (cb != NULL) {               /* here, in the parent, now */
            r->fetched = 1;             /* an error on_error had is not unnoticed */
            cb(r, r->cb_arg);
        }
    } else {                            /* map: into the caller's array */
        size_t item = r->first + i;
        unsigned char *slot = job->results + item * job->result_size;
        memset(slot, 0, job->result_size);
        if (!failed) {
            memcpy(slot, bytes, len < job->result_size ? len : job->result_size);
        } else if (item < job->first_failed) {
            job->first_failed = item;
            snprintf(job->error, sizeof job->error, "item %zu: %.*s", item, (int)len,
                     (const char *)bytes);
        }
    }
    if (i + 1 == r->count && job != NULL)
        job->chunks_left--;
    if (i + 1 == r->count && (job != NULL || r->freed))
        pool_free_handle(r);
}

void pool_fail_task(pool_result *r, const char *why)
{
    for (size_t i = 0, count = r->count; i < count; i++)
        set_item(r, i, 1, why, strlen(why));
}

/* Worker w has ended. Reap it, fail the task it ran with how it ended, and
 * fork a new worker in its place. (Python's Pool forks a new one too, but
 * cannot tell whose task was lost: its workers share one task queue.) A
 * worker that ran maxtasks ends here too, idle: nothing fails. */
static void worker_died(pool *p, struct worker *w)
{
    char how[POOL_ERROR_MAX / 2], why[POOL_ERROR_MAX];
    pool_result *r = w->running;

    pool_reap(w, how, sizeof how);
    snprintf(why, sizeof why, "%s while running this task", how);
    if (r != NULL)
        pool_fail_task(r, why);
    pool_spawn(p, (int)(w - p->workers));
    p->replaced++;
}

/* ---- handing out tasks, collecting answers ------------------------------- */

pool_result *pool_new_task(pool *p, pool_fn *fn, const void *args, size_t count,
                             size_t arg_size, size_t room)
{
    struct task_head h = { fn, (uint32_t)count, (uint32_t)arg_size, (uint32_t)room, 0 };
    pool_result *r = pool_xcalloc(1, sizeof *r);

    *r = (struct pool_result){ .pool = p, .count = count, .next = p->handles,
                               .msg_len = FRAME_HEADER + sizeof h + count * arg_size };
    r->msg = pool_xcalloc(1, r->msg_len);    /* a copy: the caller may reuse its buffer */
    frame_put_header(r->msg, (uint32_t)(r->msg_len - FRAME_HEADER));
    memcpy(r->msg + FRAME_HEADER, &h, sizeof h);
    if (count * arg_size > 0)          /* memcpy from NULL is undefined, even of 0 bytes */
        memcpy(r->msg + FRAME_HEADER + sizeof h, args, count * arg_size);
    if (p->handles)
        p->handles->prev = r;
    p->handles = r;
    if (p->tail)                        /* last in the queue */
        p->tail->queued = r;
    else
        p->head = r;
    p->tail = r;
    return r;
}

/* Give the first waiting task to each idle worker (none to one that has
 * had maxtasks: it is ending). send_all, not write: a worker that has died
 * gives EPIPE, not a SIGPIPE that ends the parent. */
void pool_dispatch(pool *p)
{
    for (int i = 0; i < p->size && p->head != NULL; i++) {
        struct worker *w = &p->workers[i];
        pool_result *r = p->head;

        if (w->running != NULL || (p->maxtasks > 0 && w->given == p->maxtasks))
            continue;
        if (send_all(w->fd, r->msg, r->msg_len) == -1) {
            if (errno != EPIPE && errno != ECONNRESET)
                die("send to worker %ld", (long)w->pid);
            worker_died(p, w);          /* it died idle, before the task: the */
            i--;                        /* task goes to the new worker instead */
            continue;
        }
        if ((p->head = r->queued) == NULL)
            p->tail = NULL;
        free(r->msg);
        r->msg = NULL;
        w->running = r;
        w->given++;
    }
}

/* Take in the answer to task r, in `in`: an item_head and bytes per item. */
void pool_store_answer(pool_result *r, size_t len)
{
    struct item_head ih;

    for (size_t i = 0, at = 0, count = r->count; i < count; i++, at += sizeof ih + ih.len) {
        if (len - at < sizeof ih || (memcpy(&ih, pool_answer + at, sizeof ih), len - at - sizeof ih < ih.len))
            fatal("pool: a short answer from a worker");
        set_item(r, i, ih.failed != 0, pool_answer + at + sizeof ih, ih.len);
    }
}

/* Wait up to timeout seconds (negative: no limit) for answers and ends of
 * file; take in each; hand out what waits. -1 if a signal handler cut the
 * wait short (poll's EINTR), else 0. */
int pool_pump(pool *p, double timeout)
{
    int ms = timeout < 0 ? -1 : timeout > INT_MAX / 1000 ? INT_MAX : (int)(timeout * 1000 + 0.999);
    size_t len;

    for (int i = 0; i < p->size; i++)
        p->fds[i] = (struct pollfd){ .fd = p->workers[i].fd, .events = POLLIN };
    int n = poll(p->fds, (nfds_t)p->size, ms);
    if (n == -1 && errno != EINTR)
        die("poll");
    for (int i = 0; n > 0 && i < p->size; i++) {
        struct worker *w = &p->workers[i];
        /* (A callback above may have replaced worker i: then its revents
         * are the old one's, and the new one has nothing to say yet.) */
        int r = p->fds[i].revents && p->fds[i].fd == w->fd
                ? frame_recv(w->fd, pool_answer, FRAME_MAX, &len) : 2;
        if (r == -1 && errno != EPROTO && errno != ECONNRESET)
            die("receive from worker %ld", (long)w->pid);
        if (r == 0 || r == -1)          /* end of file, maybe inside an answer */
            worker_died(p, w);
        else if (r == 1 && w->running == NULL)
            fatal("pool: worker %ld answered a task it was never given", (long)w->pid);
        else if (r == 1)
            pool_store_answer(w->running, len), w->running = NULL;
    }
    pool_dispatch(p);
    return n == -1 ? -1 : 0;
}
