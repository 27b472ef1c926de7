/* pool.c - a process pool: Python's multiprocessing.Pool, in C (see pool.h).
 *
 * The parent owns everything: a queue of tasks waiting for a worker, and for
 * each worker the tasks it has been sent, in order. A worker runs its tasks
 * one after the other and answers each with one result frame, in the same
 * order, so the first task on a worker's list is always the one it is
 * running. Nothing happens behind the caller's back: no threads, no signal
 * handlers. The pool moves only inside its own calls, in pump(): send what
 * waits, poll(2) the result pipes, take in results, notice dead workers.
 *
 * Messages (framed with common/frame.h; both ends are one program on one
 * machine, so numbers and structs travel in the machine's own layout):
 *   parent -> worker  struct task_head, then count * arg_size bytes of
 *                     arguments; an empty frame means "stop".
 *   worker -> parent  for each item: struct item_head, then len bytes (the
 *                     result, or the error text if status is not 0).
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "frame.h"
#include "pool.h"

/* How much map work a worker may have queued: always two chunks (one
 * running, one waiting in its pipe, so that it does not idle while the
 * parent wakes up), and more while they hold at most ITEM_WINDOW items in
 * all (small chunks of small tasks then travel many to a system call).
 * More would only bind work to a worker before it is known to be free.
 * A one-off task (apply_async) goes to an idle worker only, so it never
 * waits behind a long task while another worker is free. */
#define MAP_WINDOW 2
#define ITEM_WINDOW 32

struct task_head {
    pool_fn *fn;                /* valid in the worker: fork copied the program */
    uint32_t count;             /* items in this message */
    uint32_t arg_size;          /* bytes per item */
    uint32_t result_cap;        /* room per item's result */
    uint32_t pad;
};

struct item_head {
    uint32_t status;            /* 0: ok; else the bytes are an error message */
    uint32_t len;
};

enum { PENDING, DONE_OK, DONE_FAILED };
enum { RUNNING, CLOSED, TERMINATED, JOINED };

struct map_job {
    unsigned char *results;
    size_t result_size;
    size_t chunks_left;
    size_t first_failed;        /* lowest failed item; SIZE_MAX if none */
    char error[POOL_ERROR_MAX];
};

struct task {
    struct task *next;
    pool_fn *fn;
    size_t count, arg_size, result_cap;
    const unsigned char *args;  /* count * arg_size bytes */
    unsigned char *own_args;    /* apply_async's private copy (args points here) */
    pool_result *result;        /* a one-off task: its handle */
    struct map_job *job;        /* a map chunk: its job, and its first item */
    size_t first;
};

struct pool_result {
    pool *pool;
    pool_result *prev, *next;   /* the pool's list of handles not yet freed */
    int state;
    int user_freed;             /* freed by the caller while still pending */
    int seen;                   /* its error was fetched, or needs no fetching */
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
    struct buffer out;          /* bytes for its task pipe, not yet written */
    struct buffer in;           /* bytes from its result pipe, not yet parsed */
};

struct pool {
    int size, state, replaced;
    struct worker *workers;
    struct pollfd *fds;         /* room for two per worker */
    int *fd_owner;              /* fds[k] belongs to workers[fd_owner[k]] */
    pid_t *fd_pid;              /* ... as it was when poll began */
    struct task *pending, *pending_tail;
    pool_result *results;
    int unseen;                 /* failures whose handle was freed unfetched */
    char first_unseen[POOL_ERROR_MAX];
    void (*init)(void *);
    void *init_arg;
    int next_worker;
    char last_error[POOL_ERROR_MAX];
};

/* ---- small helpers ------------------------------------------------------ */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        die("malloc %zu", n);
    return p;
}

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

static void buffer_free(struct buffer *b)
{
    free(b->data);
    *b = (struct buffer){ 0 };
}

static char *text_copy(const char *s, size_t n)
{
    char *t = xmalloc(n + 1);

    memcpy(t, s, n);
    t[n] = '\0';
    return t;
}

/* Close *fd, if open, and mark it closed: -1 with errno set if close fails.
 * EINTR is no failure: the descriptor is gone all the same on Linux and
 * most systems, and a close is never retried (the number may already be
 * someone else's). Anything else (EBADF) is a bug worth stopping for. */
static int close_fd(int *fd)
{
    int r = 0;

    if (*fd >= 0 && close(*fd) == -1 && errno != EINTR)
        r = -1;
    *fd = -1;
    return r;
}

/* ---- the worker's side -------------------------------------------------- */

/* pool_fail's message lives in the worker process: one worker runs one task
 * at a time, so one buffer per process is enough. */
static char fail_message[POOL_ERROR_MAX];
static int fail_set;

int pool_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(fail_message, sizeof fail_message, fmt, ap);
    va_end(ap);
    fail_set = 1;
    return -1;
}

/* Run the items of one task message and append the answer, one frame, to
 * out. */
static void run_task(const unsigned char *msg, struct buffer *out, void *arg, void *res)
{
    struct task_head h;
    size_t start = out->len;

    memcpy(&h, msg, sizeof h);
    out->len += FRAME_HEADER;
    for (uint32_t i = 0; i < h.count; i++) {
        size_t room = h.result_cap, got = room;
        struct item_head ih;
        int rc;

        /* The task gets its argument and its room in buffers from malloc,
         * aligned for any type, wherever the item sits in the message. */
        memcpy(arg, msg + sizeof h + (size_t)i * h.arg_size, h.arg_size);
        fail_set = 0;
        rc = h.fn(arg, h.arg_size, res, &got);
        if (rc == 0 && got > room)
            rc = pool_fail("the task wrote %zu bytes of result; its room was %zu", got, room);
        if (rc != 0) {
            if (!fail_set)
                pool_fail("the task failed (it returned %d)", rc);
            ih = (struct item_head){ 1, (uint32_t)strlen(fail_message) };
            memcpy(out->data + out->len + sizeof ih, fail_message, ih.len);
        } else {
            ih = (struct item_head){ 0, (uint32_t)got };
            memcpy(out->data + out->len + sizeof ih, res, got);
        }
        memcpy(out->data + out->len, &ih, sizeof ih);
        out->len += sizeof ih + ih.len;
    }
    frame_put_header(out->data + start, (uint32_t)(out->len - start - FRAME_HEADER));
}

/* The worker: run the tasks of each message in the order they come, and
 * answer each message with one message, sent before the next task starts:
 * if a task kills the worker, every answer before it has reached the
 * parent, so the parent knows which task it died in. It reads whatever the
 * pipe holds, which may be several task messages (one read(2) for a batch
 * of small tasks). It ends at the stop message, or at end of file (the
 * parent is gone). */
/* The worker's buffers. They live at file scope, not on worker_main's
 * stack, so that they stay reachable (for valgrind) even when a task ends
 * the worker in the middle: _exit() in a task, or terminate's SIGTERM. */
static struct {
    struct buffer in, out;
    void *arg, *res;
} wk;

static noreturn void worker_main(int task_fd, int result_fd)
{
    /* Room for the largest message each way. The pages are touched only as
     * they are used. */
    const size_t most = FRAME_HEADER + FRAME_MAX;

    wk.in = (struct buffer){ .data = xmalloc(2 * most), .cap = 2 * most };
    wk.out = (struct buffer){ .data = xmalloc(most), .cap = most };
    wk.arg = xmalloc(POOL_MAX_ARG);
    wk.res = xmalloc(POOL_MAX_RESULT);

    for (;;) {
        size_t len;
        int r;

        /* Run every whole message in the buffer, answering each. */
        while ((r = frame_parse(wk.in.data + wk.in.off, wk.in.len - wk.in.off,
                                FRAME_MAX, &len)) == 1) {
            if (len == 0)
                goto stop;                      /* the stop message */
            run_task(wk.in.data + wk.in.off + FRAME_HEADER, &wk.out, wk.arg, wk.res);
            wk.in.off += FRAME_HEADER + len;
            /* If the parent has died, this write raises SIGPIPE, whose
             * default action ends the worker: nobody wants the result. */
            if (write_all(result_fd, wk.out.data, wk.out.len) == -1)
                die_child("worker %ld: send a result", (long)getpid());
            wk.out.len = 0;
        }
        if (r == -1) {
            errno = EPROTO;
            die_child("worker %ld: a malformed task message", (long)getpid());
        }
        /* Then wait for more. Slide what is left of a message to the
         * front first, so that the largest message always fits. */
        memmove(wk.in.data, wk.in.data + wk.in.off, wk.in.len - wk.in.off);
        wk.in.len -= wk.in.off;
        wk.in.off = 0;
        ssize_t n;
        do
            n = read(task_fd, wk.in.data + wk.in.len, wk.in.cap - wk.in.len);
        while (n == -1 && errno == EINTR);
        if (n == -1)
            die_child("worker %ld: read tasks", (long)getpid());
        if (n == 0)
            break;                              /* end of file: parent gone */
        wk.in.len += (size_t)n;
    }
stop:
    free(wk.in.data);
    free(wk.out.data);
    free(wk.arg);
    free(wk.res);
    /* _exit, not exit: the worker is a copy of the parent, and must neither
     * flush the parent's stdio buffers nor run its atexit handlers. */
    _exit(0);
}

/* ---- starting and reaping workers --------------------------------------- */

static void set_flag(int fd, int get, int set, int flag)
{
    int flags = fcntl(fd, get);

    if (flags == -1 || fcntl(fd, set, flags | flag) == -1)
        die("fcntl");
}

static void spawn(pool *p, int slot)
{
    struct worker *w = &p->workers[slot];
    int task[2], result[2];
    pid_t pid;

    if (pipe(task) == -1 || pipe(result) == -1)
        die("pipe");
    /* Close-on-exec: a program the parent runs later (chapter 10) must not
     * hold the pool's pipes open. */
    for (int i = 0; i < 2; i++) {
        set_flag(task[i], F_GETFD, F_SETFD, FD_CLOEXEC);
        set_flag(result[i], F_GETFD, F_SETFD, FD_CLOEXEC);
    }
    pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        /* The worker. The parent's signal handlers would do the parent's
         * cleanup here (remove its files, say goodbye): put back the
         * defaults, so that terminate's SIGTERM simply ends the worker. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGPIPE);
        if (signal(SIGINT, SIG_DFL) == SIG_ERR || signal(SIGTERM, SIG_DFL) == SIG_ERR ||
            signal(SIGPIPE, SIG_DFL) == SIG_ERR)
            die_child("signal");
        if (sigprocmask(SIG_UNBLOCK, &set, NULL) == -1)
            die_child("sigprocmask");
        /* Keep only our own two ends. Every other end must go: a copy of
         * another worker's task pipe here would keep that worker from ever
         * seeing end of file if the parent died. */
        for (int i = 0; i < p->size; i++)
            if (close_fd(&p->workers[i].task_fd) == -1 ||
                close_fd(&p->workers[i].result_fd) == -1)
                die_child("close");
        if (close(task[1]) == -1 || close(result[0]) == -1)
            die_child("close");
        if (p->init)
            p->init(p->init_arg);
        worker_main(task[0], result[1]);
    }
    /* The parent keeps the other two ends, and closes the worker's: the
     * parent sees end of file on the result pipe only when every write end
     * is closed, its own copy included. */
    if (close(task[0]) == -1 || close(result[1]) == -1)
        die("close");
    set_flag(task[1], F_GETFL, F_SETFL, O_NONBLOCK);
    w->pid = pid;
    w->task_fd = task[1];
    w->result_fd = result[0];
    w->head = w->tail = NULL;
    w->inflight = w->inflight_oneoff = 0;
    w->inflight_items = 0;
    w->stopping = 0;
}

/* Wait for a worker known to be ending (its result pipe is at end of file,
 * or it was sent SIGTERM) and describe how it ended. */
static void reap(struct worker *w, char *how, size_t n)
{
    int status;
    pid_t r;

    while ((r = waitpid(w->pid, &status, 0)) == -1 && errno == EINTR)
        continue;
    if (r == -1) {
        if (errno != ECHILD)
            die("waitpid %ld", (long)w->pid);
        /* Somebody else reaped it (a SIGCHLD handler, or SIGCHLD ignored). */
        snprintf(how, n, "worker %ld died", (long)w->pid);
    } else if (WIFSIGNALED(status)) {
        snprintf(how, n, "worker %ld was killed by %s", (long)w->pid,
                 signal_name(WTERMSIG(status)));
    } else {
        snprintf(how, n, "worker %ld exited with status %d", (long)w->pid,
                 WEXITSTATUS(status));
    }
}

/* ---- results ------------------------------------------------------------ */

static void set_error(char *dst, const char *fmt, ...) WB_PRINTF(2, 3);
static void set_error(char *dst, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(dst, POOL_ERROR_MAX, fmt, ap);
    va_end(ap);
}

static void unlink_result(pool_result *r)
{
    pool *p = r->pool;

    if (r->prev)
        r->prev->next = r->next;
    else
        p->results = r->next;
    if (r->next)
        r->next->prev = r->prev;
}

static void free_result(pool_result *r)
{
    unlink_result(r);
    free(r->value);
    free(r->error);
    free(r);
}

/* A failure nobody can fetch any more: count it for pool_join. */
static void count_unseen(pool *p, const char *error)
{
    if (p->unseen++ == 0)
        snprintf(p->first_unseen, sizeof p->first_unseen, "%s", error);
}

/* One item's outcome arrived (or was decided: a dead worker, terminate). */
static void finish_item(pool *p, struct task *t, size_t i, int ok,
                        const unsigned char *bytes, size_t len, int quiet)
{
    if (t->result) {
        pool_result *r = t->result;

        if (ok) {
            r->value = xmalloc(len);    /* malloc: aligned for any type */
            memcpy(r->value, bytes, len);
            r->len = len;
            r->state = DONE_OK;
        } else {
            r->error = text_copy((const char *)bytes, len);
            r->state = DONE_FAILED;
            r->seen = quiet;
        }
        if (r->user_freed) {
            if (r->state == DONE_FAILED && !r->seen)
                count_unseen(p, r->error);
            free_result(r);
        }
        t->result = NULL;
        return;
    }
    struct map_job *job = t->job;
    size_t item = t->first + i;
    unsigned char *slot = job->results + item * job->result_size;

    if (ok) {
        if (len > job->result_size)
            fatal("pool: a result larger than its room from a worker");
        memcpy(slot, bytes, len);
        memset(slot + len, 0, job->result_size - len);
    } else {
        memset(slot, 0, job->result_size);
        if (item < job->first_failed) {
            job->first_failed = item;
            set_error(job->error, "item %zu: %.*s", item, (int)len, (const char *)bytes);
        }
    }
}

static void free_task(struct task *t)
{
    free(t->own_args);
    free(t);
}

/* A task is over: its items are decided. Leave the worker's list. */
static struct task *pop_running(struct worker *w)
{
    struct task *t = w->head;

    w->head = t->next;
    if (w->head == NULL)
        w->tail = NULL;
    w->inflight--;
    w->inflight_items -= t->count;
    if (t->result)
        w->inflight_oneoff--;
    return t;
}

static void task_done(struct task *t)
{
    if (t->job)
        t->job->chunks_left--;
    free_task(t);
}

/* Fail every item of a task with one message. */
static void fail_task(pool *p, struct task *t, const char *msg, int quiet)
{
    for (size_t i = 0; i < t->count; i++)
        finish_item(p, t, i, 0, (const unsigned char *)msg, strlen(msg), quiet);
    task_done(t);
}

/* One result message from worker w: the answer to its oldest task. */
static void take_result(pool *p, struct worker *w, const unsigned char *body, size_t len)
{
    struct task *t = w->head;
    size_t at = 0;

    if (t == NULL)
        fatal("pool: worker %ld answered a task it was never sent", (long)w->pid);
    pop_running(w);
    for (size_t i = 0; i < t->count; i++) {
        struct item_head ih;

        if (len - at < sizeof ih)
            fatal("pool: a short result from worker %ld", (long)w->pid);
        memcpy(&ih, body + at, sizeof ih);
        at += sizeof ih;
        if (len - at < ih.len)
            fatal("pool: a short result from worker %ld", (long)w->pid);
        finish_item(p, t, i, ih.status == 0, body + at, ih.len, 0);
        at += ih.len;
    }
    task_done(t);
}

/* Parse every whole frame in the worker's input buffer. */
static void parse_results(pool *p, struct worker *w)
{
    struct buffer *b = &w->in;
    size_t len;
    int r;

    while ((r = frame_parse(b->data + b->off, b->len - b->off, FRAME_MAX, &len)) == 1) {
        take_result(p, w, b->data + b->off + FRAME_HEADER, len);
        b->off += FRAME_HEADER + len;
    }
    if (r == -1)
        fatal("pool: a malformed message from worker %ld", (long)w->pid);
}

/* Read what the result pipe holds. Returns 0 at end of file. */
static int read_results(pool *p, struct worker *w)
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

static void forget_worker(struct worker *w)
{
    if (close_fd(&w->task_fd) == -1 || close_fd(&w->result_fd) == -1)
        die("close");
    buffer_free(&w->out);
    buffer_free(&w->in);
    w->pid = 0;
}

/* The worker's result pipe is at end of file: it has ended. Whatever it
 * was running failed; what it had not started goes back to the queue; a
 * new worker takes its place unless the pool is stopping. */
static void worker_ended(pool *p, int slot)
{
    struct worker *w = &p->workers[slot];
    char how[POOL_ERROR_MAX / 2];

    reap(w, how, sizeof how);
    if (w->head != NULL) {
        struct task *t = pop_running(w);
        char msg[POOL_ERROR_MAX];

        if (t->job && t->count > 1)
            set_error(msg, "%s while running items %zu..%zu (one chunk)", how,
                      t->first, t->first + t->count - 1);
        else
            set_error(msg, "%s while running this task", how);
        fail_task(p, t, msg, 0);
        requeue(p, w);
    }
    int stopping = w->stopping;
    forget_worker(w);
    if (!stopping && p->state != TERMINATED) {
        spawn(p, slot);
        p->replaced++;
    }
}

/* ---- sending tasks ------------------------------------------------------ */

static void send_task(pool *p, struct worker *w, struct task *t)
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
    if (t->result)
        w->inflight_oneoff++;
    (void)p;
}

/* May worker w take task t now? */
static int can_take(const struct worker *w, const struct task *t)
{
    if (w->pid == 0 || w->stopping)
        return 0;
    if (t->result)              /* a one-off task: an idle worker only */
        return w->inflight == 0;
    return w->inflight_oneoff == 0 &&
           (w->inflight < MAP_WINDOW || w->inflight_items + t->count <= ITEM_WINDOW);
}

/* Hand waiting tasks to workers that may take them, the least busy first. */
static void dispatch(pool *p)
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
        p->pending = t->next;
        if (p->pending == NULL)
            p->pending_tail = NULL;
        send_task(p, best, t);
    }
}

/* Write what waits for each task pipe, as much as each pipe takes now.
 * A worker that has just died would make write(2) raise SIGPIPE, whose
 * default action would end the parent too: SIGPIPE is held back around the
 * writes, and one raised by them is taken away (sigwait) before it is let
 * through. The write then fails with EPIPE; the worker's end of file on
 * its result pipe tells the rest. */
static void flush(pool *p)
{
    sigset_t pipe_only, old, pending;
    int blocked = 0, raised = 0, was_pending = 0;

    for (int i = 0; i < p->size; i++) {
        struct worker *w = &p->workers[i];
        struct buffer *b = &w->out;

        while (w->pid != 0 && b->off < b->len) {
            if (!blocked) {
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

/* ---- the pump ----------------------------------------------------------- */

/* One round: send, wait up to timeout seconds (negative: no limit) for a
 * result, an end of file or room in a task pipe, and deal with it. */
static void pump(pool *p, double timeout)
{
    int nfds = 0, n, ms;

    dispatch(p);
    flush(p);
    for (int i = 0; i < p->size; i++) {
        struct worker *w = &p->workers[i];
        if (w->pid == 0)
            continue;
        p->fds[nfds] = (struct pollfd){ .fd = w->result_fd, .events = POLLIN };
        p->fd_owner[nfds] = i;
        p->fd_pid[nfds++] = w->pid;
        if (w->out.off < w->out.len) {
            p->fds[nfds] = (struct pollfd){ .fd = w->task_fd, .events = POLLOUT };
            p->fd_owner[nfds] = i;
            p->fd_pid[nfds++] = w->pid;
        }
    }
    if (nfds == 0)
        return;
    if (timeout < 0)
        ms = -1;
    else if (timeout > INT_MAX / 1000)
        ms = INT_MAX;
    else
        ms = (int)ceil(timeout * 1000);
    n = poll(p->fds, (nfds_t)nfds, ms);
    if (n == -1) {
        if (errno == EINTR)
            return;             /* a signal: the caller looks again */
        die("poll");
    }
    for (int k = 0; n > 0 && k < nfds; k++) {
        struct pollfd *f = &p->fds[k];
        int slot = p->fd_owner[k];
        struct worker *w = &p->workers[slot];

        if (f->revents == 0)
            continue;
        n--;
        if (f->events != POLLIN)
            continue;           /* room in a task pipe: flush() below */
        if (w->pid != p->fd_pid[k])
            continue;           /* that worker ended in this round: its
                                   successor may have the same fd numbers */
        /* POLLHUP without POLLIN means end of file; read() tells which. */
        if (!read_results(p, w))
            worker_ended(p, slot);
    }
    dispatch(p);
    flush(p);
}

/* ---- the API ------------------------------------------------------------ */

pool *pool_create_with(int workers, void (*init)(void *), void *init_arg)
{
    pool *p;

    if (workers == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        workers = cpus < 1 ? 1 : cpus > POOL_MAX_WORKERS ? POOL_MAX_WORKERS : (int)cpus;
    }
    if (workers < 0 || workers > POOL_MAX_WORKERS) {
        errno = EINVAL;
        return NULL;
    }
    p = xmalloc(sizeof *p);
    *p = (struct pool){ .size = workers, .state = RUNNING, .init = init,
                        .init_arg = init_arg };
    p->workers = xmalloc(sizeof *p->workers * (size_t)workers);
    p->fds = xmalloc(sizeof *p->fds * 2 * (size_t)workers);
    p->fd_owner = xmalloc(sizeof *p->fd_owner * 2 * (size_t)workers);
    p->fd_pid = xmalloc(sizeof *p->fd_pid * 2 * (size_t)workers);
    for (int i = 0; i < workers; i++)
        p->workers[i] = (struct worker){ .task_fd = -1, .result_fd = -1 };
    /* All the workers now, once: they are reused for every task. */
    for (int i = 0; i < workers; i++)
        spawn(p, i);
    return p;
}

pool *pool_create(int workers)
{
    return pool_create_with(workers, NULL, NULL);
}

int pool_size(const pool *p)
{
    return p->size;
}

pid_t pool_worker_pid(const pool *p, int i)
{
    return i >= 0 && i < p->size ? p->workers[i].pid : 0;
}

int pool_replaced(const pool *p)
{
    return p->replaced;
}

static void enqueue(pool *p, struct task *t)
{
    t->next = NULL;
    if (p->pending_tail)
        p->pending_tail->next = t;
    else
        p->pending = t;
    p->pending_tail = t;
}

static pool_result *submit(pool *p, pool_fn *fn, const void *arg, size_t arg_len,
                           size_t room)
{
    struct task *t;
    pool_result *r;

    if (p == NULL || fn == NULL || (arg == NULL && arg_len > 0) || p->state != RUNNING) {
        errno = EINVAL;
        return NULL;
    }
    if (arg_len > POOL_MAX_ARG) {
        errno = EMSGSIZE;
        return NULL;
    }
    r = xmalloc(sizeof *r);
    *r = (struct pool_result){ .pool = p, .state = PENDING, .next = p->results };
    if (p->results)
        p->results->prev = r;
    p->results = r;

    t = xmalloc(sizeof *t);
    *t = (struct task){ .fn = fn, .count = 1, .arg_size = arg_len,
                        .result_cap = room, .result = r };
    t->own_args = xmalloc(arg_len);     /* the caller may reuse its buffer */
    if (arg_len > 0)
        memcpy(t->own_args, arg, arg_len);
    t->args = t->own_args;
    enqueue(p, t);
    /* Start it now if a worker is free: the task runs while the caller
     * does other things. (One waiting for a worker starts at the next call
     * into the pool: there is no thread to start it sooner.) */
    dispatch(p);
    flush(p);
    return r;
}

pool_result *pool_apply_async(pool *p, pool_fn *fn, const void *arg, size_t arg_len)
{
    return submit(p, fn, arg, arg_len, POOL_MAX_RESULT);
}

int pool_get(pool_result *r, double timeout)
{
    double deadline;

    if (r == NULL || isnan(timeout)) {
        errno = EINVAL;
        return -1;
    }
    deadline = now_seconds() + timeout;
    while (r->state == PENDING) {
        double left = timeout < 0 ? -1 : deadline - now_seconds();
        if (timeout >= 0 && left <= 0) {
            pump(r->pool, 0);   /* one last look, without waiting */
            if (r->state == PENDING)
                return POOL_TIMEOUT;
            break;
        }
        pump(r->pool, left);
    }
    if (r->state == DONE_OK)
        return POOL_OK;
    r->seen = 1;
    return POOL_FAILED;
}

int pool_ready(pool_result *r)
{
    if (r->state == PENDING)
        pump(r->pool, 0);
    return r->state != PENDING;
}

const void *pool_value(const pool_result *r, size_t *len)
{
    if (r->state != DONE_OK)
        return NULL;
    if (len)
        *len = r->len;
    return r->value;
}

const char *pool_result_error(const pool_result *r)
{
    if (r->state != DONE_FAILED)
        return NULL;
    ((pool_result *)r)->seen = 1;
    return r->error;
}

void pool_result_free(pool_result *r)
{
    if (r == NULL)
        return;
    if (r->state == PENDING) {
        r->user_freed = 1;      /* freed when its task ends */
        return;
    }
    if (r->state == DONE_FAILED && !r->seen)
        count_unseen(r->pool, r->error);
    free_result(r);
}

int pool_apply(pool *p, pool_fn *fn, const void *arg, size_t arg_len,
               void *result, size_t *result_len)
{
    size_t room = *result_len < POOL_MAX_RESULT ? *result_len : POOL_MAX_RESULT;
    pool_result *r = submit(p, fn, arg, arg_len, room);
    int status;

    if (r == NULL)
        return -1;
    status = pool_get(r, -1);
    if (status == POOL_OK) {
        memcpy(result, r->value, r->len);
        *result_len = r->len;
    } else {
        snprintf(p->last_error, sizeof p->last_error, "%s", r->error);
    }
    free_result(r);
    return status;
}

int pool_map(pool *p, pool_fn *fn, const void *args, size_t arg_size,
             void *results, size_t result_size, size_t count, size_t chunksize)
{
    struct map_job job = { .results = results, .result_size = result_size,
                           .first_failed = SIZE_MAX };
    size_t most;

    if (p == NULL || fn == NULL || p->state != RUNNING || arg_size == 0 ||
        result_size == 0 || (count > 0 && (args == NULL || results == NULL))) {
        errno = EINVAL;
        return -1;
    }
    if (arg_size > POOL_MAX_ARG || result_size > POOL_MAX_RESULT) {
        errno = EMSGSIZE;
        return -1;
    }
    if (chunksize == 0) {       /* Python's rule: about four chunks per worker */
        size_t per = 4 * (size_t)p->size;
        chunksize = count / per + (count % per != 0);
    }
    /* A chunk, and the answer to it, must fit in one message. */
    most = (FRAME_MAX - sizeof(struct task_head)) / arg_size;
    size_t answer = sizeof(struct item_head) +
                    (result_size > POOL_ERROR_MAX ? result_size : POOL_ERROR_MAX);
    if (most > FRAME_MAX / answer)
        most = FRAME_MAX / answer;
    if (chunksize > most)
        chunksize = most;
    if (chunksize == 0)
        chunksize = 1;

    for (size_t first = 0; first < count; first += chunksize) {
        struct task *t = xmalloc(sizeof *t);
        size_t n = count - first < chunksize ? count - first : chunksize;

        *t = (struct task){ .fn = fn, .count = n, .arg_size = arg_size,
                            .result_cap = result_size,
                            .args = (const unsigned char *)args + first * arg_size,
                            .job = &job, .first = first };
        enqueue(p, t);
        job.chunks_left++;
    }
    /* Like Python's map, wait for all of it. (The chunks point into the
     * caller's arrays and at `job`: they must all be done before return.) */
    while (job.chunks_left > 0)
        pump(p, -1);
    if (job.first_failed != SIZE_MAX) {
        snprintf(p->last_error, sizeof p->last_error, "%s", job.error);
        return POOL_FAILED;
    }
    return POOL_OK;
}

const char *pool_last_error(const pool *p)
{
    return p->last_error;
}

void pool_close(pool *p)
{
    if (p->state == RUNNING)
        p->state = CLOSED;
}

static int busy(const pool *p)
{
    if (p->pending != NULL)
        return 1;
    for (int i = 0; i < p->size; i++)
        if (p->workers[i].inflight > 0)
            return 1;
    return 0;
}

static int alive(const pool *p)
{
    for (int i = 0; i < p->size; i++)
        if (p->workers[i].pid != 0)
            return 1;
    return 0;
}

/* The failed tasks nobody fetched, counted once: after this they count as
 * reported. */
static int report_unseen(pool *p)
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

int pool_join(pool *p)
{
    if (p->state == RUNNING) {
        errno = EINVAL;         /* Python: "Pool is still running" */
        return -1;
    }
    if (p->state == CLOSED) {
        while (busy(p))
            pump(p, -1);
        /* Every task is done: tell each worker to stop (an empty message),
         * then wait for the end of file that its exit causes, and reap it. */
        for (int i = 0; i < p->size; i++) {
            struct worker *w = &p->workers[i];
            if (w->pid != 0 && !w->stopping) {
                buffer_reserve(&w->out, FRAME_HEADER);
                frame_put_header(w->out.data + w->out.len, 0);
                w->out.len += FRAME_HEADER;
                w->stopping = 1;
            }
        }
        while (alive(p))
            pump(p, -1);
        p->state = JOINED;
    }
    return report_unseen(p);
}

void pool_terminate(pool *p)
{
    char how[POOL_ERROR_MAX / 2];

    if (p->state == JOINED || p->state == TERMINATED)
        return;
    p->state = TERMINATED;
    /* SIGTERM to every worker first, so that they all end at once. */
    for (int i = 0; i < p->size; i++)
        if (p->workers[i].pid != 0 && kill(p->workers[i].pid, SIGTERM) == -1)
            die("kill %ld", (long)p->workers[i].pid);
    for (int i = 0; i < p->size; i++) {
        struct worker *w = &p->workers[i];
        if (w->pid == 0)
            continue;
        reap(w, how, sizeof how);
        /* Results it finished before the signal are still in the pipe. */
        while (read_results(p, w))
            continue;
        while (w->head != NULL)
            fail_task(p, pop_running(w), "pool terminated while this task was running", 1);
        forget_worker(w);
    }
    while (p->pending != NULL) {
        struct task *t = p->pending;
        p->pending = t->next;
        fail_task(p, t, "pool terminated before this task started", 1);
    }
    p->pending_tail = NULL;
}

void pool_free(pool *p)
{
    int n;

    if (p == NULL)
        return;
    if (alive(p))
        pool_terminate(p);
    /* The safety net for errors nobody asked about: say so on stderr. */
    n = report_unseen(p);
    if (n > 0)
        say_to(STDERR_FILENO, "%s: pool: %d failed task%s never fetched%s%s",
               prog_name(), n, n == 1 ? " was" : "s were",
               p->first_unseen[0] ? "; the first: " : "", p->first_unseen);
    while (p->results != NULL)
        free_result(p->results);
    free(p->workers);
    free(p->fds);
    free(p->fd_owner);
    free(p->fd_pid);
    free(p);
}
