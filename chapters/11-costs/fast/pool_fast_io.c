/* pool_fast_io.c - the fast Pool moving bytes: hand waiting tasks to
 * workers within their windows, frame them into each worker's output
 * buffer, write those without blocking (pool_flush), read whatever the
 * result pipes hold (pool_read_results), and the pump that waits in poll(2)
 * for all of it. Nothing happens behind the caller's back: no threads, no
 * signal handlers; the pool moves only inside its own calls, in pool_pump.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "frame.h"
#include "pool_fast_impl.h"

/* Room for `more` bytes at the end of b: first by dropping the bytes
 * already consumed, then by growing it. */
static void buffer_reserve(struct buffer *b, size_t more)
{
    if (b->off > 0 && b->off == b->len)
        b->off = b->len = 0;
    if (b->len + more <= b->cap)
        return;
    if (b->off > 0) {           /* slide the unconsumed bytes to the front */
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
        if (b->len + more <= b->cap)
            return;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    unsigned char *data = realloc(b->data, cap);
    if (data == NULL)
        die("realloc %zu", cap);
    b->data = data;
    b->cap = cap;
}

/* ---- sending tasks ------------------------------------------------------------ */

/* Frame t into w's output buffer (pool_flush writes it), and put it last
 * on w's list. */
static void send_task(struct worker *w, struct task *t)
{
    struct task_head h = { t->fn, (uint32_t)t->count, (uint32_t)t->arg_size,
                           (uint32_t)t->result_cap, 0 };
    size_t body = sizeof h + t->count * t->arg_size;
    struct buffer *b = &w->out;

    buffer_reserve(b, FRAME_HEADER + body);
    frame_put_header(b->data + b->len, (uint32_t)body);
    memcpy(b->data + b->len + FRAME_HEADER, &h, sizeof h);
    memcpy(b->data + b->len + FRAME_HEADER + sizeof h, t->args, t->count * t->arg_size);
    b->len += FRAME_HEADER + body;

    t->next = NULL;
    if (w->tail)
        w->tail->next = t;
    else
        w->head = t;
    w->tail = t;
    w->inflight++;
    w->inflight_items += t->count;
    if (w->left > 0)
        w->left--;
    if (t->result)
        w->inflight_oneoff++;
}

/* May worker w take task t now? A one-off task (apply_async) goes to an
 * idle worker only, so it never waits behind a long task while another
 * worker is free; a chunk of map, within the window (MAP_WINDOW). */
static int can_take(const struct worker *w, const struct task *t)
{
    if (w->pid == 0 || w->stopping || w->left == 0)
        return 0;           /* (left 0: it has had maxtasks and is ending) */
    if (t->result)
        return w->inflight == 0;
    return w->inflight_oneoff == 0 &&
           (w->inflight < MAP_WINDOW || w->inflight_items + t->count <= ITEM_WINDOW);
}

/* Hand waiting tasks to workers that may take them, the least busy first. */
void pool_dispatch(pool *p)
{
    while (p->pending != NULL) {
        struct task *t = p->pending;
        struct worker *best = NULL;

        for (int k = 0; k < p->size; k++) {
            struct worker *w = &p->workers[(p->next_worker + k) % p->size];
            if (can_take(w, t) && (best == NULL || w->inflight < best->inflight))
                best = w;
        }
        if (best == NULL)
            return;
        p->next_worker = (int)(best - p->workers + 1) % p->size;
        if ((p->pending = t->next) == NULL)
            p->pending_tail = NULL;
        send_task(best, t);
    }
}

/* The stop message, an empty frame, after everything else sent to w. */
void pool_send_stop(struct worker *w)
{
    buffer_reserve(&w->out, FRAME_HEADER);
    frame_put_header(w->out.data + w->out.len, 0);
    w->out.len += FRAME_HEADER;
    w->stopping = 1;
}

/* Write what waits for each task pipe, as much as each pipe takes now.
 * A worker that has just died would make write(2) raise SIGPIPE, whose
 * default action would end the parent too (a socket has MSG_NOSIGNAL; a
 * pipe has no such flag): SIGPIPE is held back around the writes, and one
 * raised by them is taken away (sigwait) before it is let through. The
 * write then fails with EPIPE; the worker's end of file on its result pipe
 * tells the rest. */
void pool_flush(pool *p)
{
    sigset_t pipe_only, old, pending;
    int blocked = 0, raised = 0, was_pending = 0;

    for (int i = 0; i < p->size; i++) {
        struct worker *w = &p->workers[i];
        struct buffer *b = &w->out;

        while (w->pid != 0 && b->off < b->len) {
            if (!blocked) {     /* only when there is something to write */
                sigemptyset(&pipe_only);
                sigaddset(&pipe_only, SIGPIPE);
                if (sigpending(&pending) == -1 ||
                    sigprocmask(SIG_BLOCK, &pipe_only, &old) == -1)
                    die("sigprocmask");
                was_pending = sigismember(&pending, SIGPIPE);
                blocked = 1;
            }
            ssize_t n = write(w->task_fd, b->data + b->off, b->len - b->off);
            if (n >= 0) {
                b->off += (size_t)n;
            } else if (errno == EPIPE) {
                raised = 1;
                b->off = b->len;        /* nobody will read it */
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;                  /* the pipe is full: poll says when */
            } else if (errno != EINTR) {
                die("write to worker %ld", (long)w->pid);
            }
        }
        if (b->off == b->len)
            b->off = b->len = 0;
    }
    if (blocked) {
        int sig;
        /* Take away the SIGPIPE our write raised, if it is pending: when the
         * program ignores SIGPIPE, the system may have discarded it. */
        if (raised && !was_pending && sigpending(&pending) == 0 &&
            sigismember(&pending, SIGPIPE))
            sigwait(&pipe_only, &sig);
        if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
            die("sigprocmask");
    }
}

/* ---- reading results ------------------------------------------------------ */

/* Take in every whole frame in w's input buffer. */
static void parse_results(pool *p, struct worker *w)
{
    struct buffer *b = &w->in;
    size_t len;
    int r;

    while ((r = frame_parse(b->data + b->off, b->len - b->off, FRAME_MAX, &len)) == 1) {
        pool_take_result(p, w, b->data + b->off + FRAME_HEADER, len);
        b->off += FRAME_HEADER + len;
    }
    if (r == -1)
        fatal("pool: a malformed message from worker %ld", (long)w->pid);
}

/* One read(2) of whatever w's result pipe holds, many answers at once.
 * Returns 0 at end of file. */
int pool_read_results(pool *p, struct worker *w)
{
    struct buffer *b = &w->in;
    ssize_t n;

    buffer_reserve(b, 64 * 1024);
    do
        n = read(w->result_fd, b->data + b->len, b->cap - b->len);
    while (n == -1 && errno == EINTR);
    if (n == -1)
        die("read from worker %ld", (long)w->pid);
    if (n == 0)
        return 0;
    b->len += (size_t)n;
    parse_results(p, w);
    return 1;
}

/* ---- the pump --------------------------------------------------------------- */

/* One round: send, wait up to timeout seconds (negative: no limit) for a
 * result, an end of file or room in a task pipe, and deal with it. -1 if
 * a signal handler cut the wait short (poll's EINTR), else 0. */
int pool_pump(pool *p, double timeout)
{
    int nfds = 0, n, ms;

    pool_dispatch(p);
    pool_flush(p);
    for (int i = 0; i < p->size; i++) {
        struct worker *w = &p->workers[i];
        if (w->pid == 0)
            continue;
        p->fds[nfds] = (struct pollfd){ .fd = w->result_fd, .events = POLLIN };
        p->fd_owner[nfds] = i;
        p->fd_pid[nfds++] = w->pid;
        if (w->out.off < w->out.len) {  /* bytes the pipe did not take yet */
            p->fds[nfds] = (struct pollfd){ .fd = w->task_fd, .events = POLLOUT };
            p->fd_owner[nfds] = i;
            p->fd_pid[nfds++] = w->pid;
        }
    }
    if (nfds == 0)
        return 0;
    ms = timeout < 0 ? -1 : timeout > INT_MAX / 1000 ? INT_MAX : (int)ceil(timeout * 1000);
    if ((n = poll(p->fds, (nfds_t)nfds, ms)) == -1) {
        if (errno == EINTR)
            return -1;          /* a signal: the caller looks again */
        die("poll");
    }
    for (int k = 0; n > 0 && k < nfds; k++) {
        struct pollfd *f = &p->fds[k];
        int slot = p->fd_owner[k];

        if (f->revents == 0)
            continue;
        n--;
        if (f->events != POLLIN)
            continue;           /* room in a task pipe: pool_flush below */
        if (p->workers[slot].pid != p->fd_pid[k])
            continue;           /* that worker ended in this round: its
                                   successor may have the same fd numbers */
        /* POLLHUP without POLLIN means end of file; read() tells which. */
        if (!pool_read_results(p, &p->workers[slot]))
            pool_worker_ended(p, slot);
    }
    pool_dispatch(p);
    pool_flush(p);
    return 0;
}

/* pool.h's wait_any, as chapter 05's: the first handle of rs with its
 * outcome, after as many rounds of the pump as that takes. */
int pool_wait_any(pool_result *const rs[], size_t n, double timeout)
{
    if (rs == NULL || n == 0 || n > INT_MAX || isnan(timeout)) {
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
            errno = EINTR;
            return -1;
        }
    }
}
