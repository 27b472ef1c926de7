/* pool.c - a process pool: Python's multiprocessing.Pool, in C (see pool.h).
 *
 *   start a worker    spawn(): a Pipe() (chapter 03's socketpair) and a fork;
 *                     the worker loops in worker_main(): read, run, answer
 *   hand out a task   dispatch(): the first waiting task to an idle worker
 *   collect a result  pump(): poll(2) the workers' ends, take in answers
 *   a worker dies     worker_died(): end of file; fail the task it was
 *                     running, fork a new worker in its place
 * One task in flight per worker: the parent knows which task each worker
 * runs, and so whose task a dead worker took with it. Messages are framed
 * (common/frame.h): to a worker, a struct task_head and count * arg_size
 * bytes of arguments (an empty message: stop); back, per item, a struct
 * item_head and len bytes, the result or the error text.
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
    void *value;
    size_t len;
    char error[POOL_ERROR_MAX];
};

struct worker {
    pid_t pid;
    int fd;                     /* the parent's end of the worker's Pipe() */
    pool_result *running;       /* NULL: idle */
};

struct pool {
    int size, state, replaced, unfetched;
    struct worker *workers;
    struct pollfd *fds;
    pool_result *handles, *head, *tail;        /* all; those waiting, in order */
    void (*init)(void *);
    void *init_arg;
    char last_error[POOL_ERROR_MAX];
};

/* In a worker a task comes in and its answer goes out; in the parent,
 * answers come in. Static: a page is touched only when used. */
static unsigned char in[FRAME_MAX], out[FRAME_MAX];
static char fail_message[POOL_ERROR_MAX];      /* a worker runs one task at a time */

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);

    if (p == NULL)
        die("calloc");
    return p;
}

/* ---- the worker: read a task, run it, send its answer --------------------- */

int pool_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(fail_message, sizeof fail_message, fmt, ap);
    va_end(ap);
    return -1;
}

/* Run each item of the task in `in`; their answers go to `out`, one after
 * the other. Returns the answer's length. */
static size_t run_task(void)
{
    static max_align_t arg[POOL_MAX_ARG / sizeof(max_align_t)];    /* aligned for */
    static max_align_t res[POOL_MAX_RESULT / sizeof(max_align_t)]; /* any type */
    struct task_head h;
    size_t at = 0;

    memcpy(&h, in, sizeof h);
    for (size_t i = 0; i < h.count; i++) {
        size_t got = h.result_cap;
        memcpy(arg, in + sizeof h + i * h.arg_size, h.arg_size);
        fail_message[0] = '\0';
        int rc = h.fn(arg, h.arg_size, res, &got);
        if (rc == 0 && got > h.result_cap)
            rc = pool_fail("the task wrote %zu bytes; its room was %zu", got, (size_t)h.result_cap);
        if (rc != 0 && fail_message[0] == '\0')
            pool_fail("the task failed (it returned %d)", rc);
        struct item_head ih = { rc != 0, (uint32_t)(rc != 0 ? strlen(fail_message) : got) };
        memcpy(out + at, &ih, sizeof ih);
        memcpy(out + at + sizeof ih, rc != 0 ? (void *)fail_message : res, ih.len);
        at += sizeof ih + ih.len;
    }
    return at;
}

/* One task at a time: its answer goes out before the next task is read,
 * so if a task kills its worker, there is no doubt which task it was. */
static noreturn void worker_main(int fd)
{
    size_t len;
    int r;

    while ((r = frame_recv(fd, in, FRAME_MAX, &len)) == 1 && len > 0)
        if (frame_send(fd, out, run_task()) == -1)     /* parent gone: SIGPIPE */
            die_child("worker %ld: send an answer", (long)getpid());
    if (r == -1)
        die_child("worker %ld: read a task", (long)getpid());
    _exit(0);                   /* stop, or end of file: the parent is gone */
}

/* ---- starting workers, and losing them -------------------------------------- */

static void spawn(pool *p, int slot)
{
    int sv[2];
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
        die("socketpair");
    set_cloexec(sv[0]);         /* a command the parent runs (chapter 10) */
    set_cloexec(sv[1]);         /* must not keep a worker's Pipe() open */
    if ((pid = fork()) == -1)
        die("fork");
    if (pid == 0) {
        /* Default actions: a parent's handler (cleanup, a goodbye) must not
         * run in a worker, and SIGTERM must simply end it. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGPIPE);
        if (signal(SIGINT, SIG_DFL) == SIG_ERR || signal(SIGTERM, SIG_DFL) == SIG_ERR ||
            signal(SIGPIPE, SIG_DFL) == SIG_ERR || sigprocmask(SIG_UNBLOCK, &set, NULL) == -1)
            die_child("signal");
        /* Keep only its own end: a copy of another worker's would keep that
         * worker from seeing end of file when the parent dies. */
        for (int i = 0; i < p->size; i++)
            if (p->workers[i].pid != 0 && close(p->workers[i].fd) == -1)
                die_child("close");
        if (close(sv[0]) == -1)
            die_child("close");
        if (p->init)
            p->init(p->init_arg);
        worker_main(sv[1]);
    }
    /* The parent sees end of file when the worker's end is closed in every
     * process: its own copy too. */
    if (close(sv[1]) == -1)
        die("close");
    p->workers[slot] = (struct worker){ pid, sv[0], NULL };
}

/* Wait for a worker that is ending; say how it ended in how. */
static void reap(struct worker *w, char *how, size_t n)
{
    int status;
    pid_t r;

    while ((r = waitpid(w->pid, &status, 0)) == -1 && errno == EINTR)
        continue;
    if (r == -1)
        die("waitpid %ld", (long)w->pid);
    if (WIFSIGNALED(status))
        snprintf(how, n, "worker %ld was killed by %s", (long)w->pid, signal_name(WTERMSIG(status)));
    else
        snprintf(how, n, "worker %ld exited with status %d", (long)w->pid, WEXITSTATUS(status));
    if (close(w->fd) == -1)
        die("close");
    w->pid = 0;
}

static void free_handle(pool_result *r)
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
        free_handle(r);
}

static void fail_task(pool_result *r, const char *why)
{
    for (size_t i = 0, count = r->count; i < count; i++)
        set_item(r, i, 1, why, strlen(why));
}

/* Worker w has ended. Reap it, fail the task it ran with how it ended, and
 * fork a new worker in its place. (Python's Pool forks a new one too, but
 * cannot tell whose task was lost: its workers share one task queue.) */
static void worker_died(pool *p, struct worker *w)
{
    char how[POOL_ERROR_MAX / 2], why[POOL_ERROR_MAX];
    pool_result *r = w->running;

    reap(w, how, sizeof how);
    snprintf(why, sizeof why, "%s while running this task", how);
    if (r != NULL)
        fail_task(r, why);
    spawn(p, (int)(w - p->workers));
    p->replaced++;
}

/* ---- handing out tasks, collecting answers ------------------------------- */

static pool_result *new_task(pool *p, pool_fn *fn, const void *args, size_t count,
                             size_t arg_size, size_t room)
{
    struct task_head h = { fn, (uint32_t)count, (uint32_t)arg_size, (uint32_t)room, 0 };
    pool_result *r = xcalloc(1, sizeof *r);

    *r = (struct pool_result){ .pool = p, .count = count, .next = p->handles,
                               .msg_len = FRAME_HEADER + sizeof h + count * arg_size };
    r->msg = xcalloc(1, r->msg_len);    /* a copy: the caller may reuse its buffer */
    frame_put_header(r->msg, (uint32_t)(r->msg_len - FRAME_HEADER));
    memcpy(r->msg + FRAME_HEADER, &h, sizeof h);
    if (count > 0)
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

/* Give the first waiting task to each idle worker. send_all, not write: a
 * worker that has died gives EPIPE, not a SIGPIPE that ends the parent. */
static void dispatch(pool *p)
{
    for (int i = 0; i < p->size && p->head != NULL; i++) {
        struct worker *w = &p->workers[i];
        pool_result *r = p->head;

        if (w->running != NULL)
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
    }
}

/* Take in the answer to task r, in `in`: an item_head and bytes per item. */
static void store_answer(pool_result *r, size_t len)
{
    struct item_head ih;

    for (size_t i = 0, at = 0, count = r->count; i < count; i++, at += sizeof ih + ih.len) {
        if (len - at < sizeof ih || (memcpy(&ih, in + at, sizeof ih), len - at - sizeof ih < ih.len))
            fatal("pool: a short answer from a worker");
        set_item(r, i, ih.failed != 0, in + at + sizeof ih, ih.len);
    }
}

/* Wait up to timeout seconds (negative: no limit) for answers and ends of
 * file; take in each; hand out what waits. */
static void pump(pool *p, double timeout)
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
        int r = p->fds[i].revents ? frame_recv(w->fd, in, FRAME_MAX, &len) : 2;
        if (r == -1 && errno != EPROTO && errno != ECONNRESET)
            die("receive from worker %ld", (long)w->pid);
        if (r == 0 || r == -1)          /* end of file, maybe inside an answer */
            worker_died(p, w);
        else if (r == 1 && w->running == NULL)
            fatal("pool: worker %ld answered a task it was never given", (long)w->pid);
        else if (r == 1)
            store_answer(w->running, len), w->running = NULL;
    }
    dispatch(p);
}

/* ---- the API ------------------------------------------------------------ */

pool *pool_create_with(int workers, void (*init)(void *), void *init_arg)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    if (workers == 0)                   /* Python's Pool(): one per CPU */
        workers = cpus < 1 ? 1 : cpus > POOL_MAX_WORKERS ? POOL_MAX_WORKERS : (int)cpus;
    if (workers < 0 || workers > POOL_MAX_WORKERS) {
        errno = EINVAL;
        return NULL;
    }
    pool *p = xcalloc(1, sizeof *p);
    *p = (struct pool){ .size = workers, .init = init, .init_arg = init_arg,
                        .workers = xcalloc((size_t)workers, sizeof *p->workers),
                        .fds = xcalloc((size_t)workers, sizeof *p->fds) };
    for (int i = 0; i < workers; i++)   /* all of them now, once */
        spawn(p, i);
    return p;
}

pool *pool_create(int workers) { return pool_create_with(workers, NULL, NULL); }
int pool_size(const pool *p) { return p->size; }
int pool_replaced(const pool *p) { return p->replaced; }
const char *pool_last_error(const pool *p) { return p->last_error; }
pid_t pool_worker_pid(const pool *p, int i) { return i >= 0 && i < p->size ? p->workers[i].pid : 0; }

static pool_result *submit(pool *p, pool_fn *fn, const void *arg, size_t arg_len, size_t room)
{
    if (p == NULL || fn == NULL || (arg == NULL && arg_len > 0) || p->state != RUNNING) {
        errno = EINVAL;
        return NULL;
    }
    if (arg_len > POOL_MAX_ARG) {
        errno = EMSGSIZE;
        return NULL;
    }
    pool_result *r = new_task(p, fn, arg, 1, arg_len, room);
    dispatch(p);                        /* it starts now if a worker is idle */
    return r;
}

pool_result *pool_apply_async(pool *p, pool_fn *fn, const void *arg, size_t arg_len)
{
    return submit(p, fn, arg, arg_len, POOL_MAX_RESULT);
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
        pump(r->pool, timeout < 0 ? -1 : left > 0 ? left : 0);
        if (r->state == PENDING && timeout >= 0 && left <= 0)
            return POOL_TIMEOUT;        /* after one last look */
    }
    r->fetched = 1;
    return r->state == DONE_OK ? POOL_OK : POOL_FAILED;
}

int pool_ready(pool_result *r)
{
    if (r->state == PENDING)
        pump(r->pool, 0);
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
    if (r != NULL && r->state == PENDING)
        r->freed = 1;                   /* freed when its task ends */
    else if (r != NULL)
        free_handle(r);
}

int pool_apply(pool *p, pool_fn *fn, const void *arg, size_t arg_len,
               void *result, size_t *result_len)
{
    pool_result *r = submit(p, fn, arg, arg_len,
                            *result_len < POOL_MAX_RESULT ? *result_len : POOL_MAX_RESULT);
    if (r == NULL)
        return -1;
    int status = pool_get(r, -1);
    if (status == POOL_OK)
        memcpy(result, r->value, *result_len = r->len);
    else
        snprintf(p->last_error, sizeof p->last_error, "%s", r->error);
    free_handle(r);
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
        pool_result *r = new_task(p, fn, (const unsigned char *)args + first * arg_size, n,
                                  arg_size, result_size);
        r->job = &job;
        r->first = first;
        job.chunks_left++;
    }
    dispatch(p);
    while (job.chunks_left > 0)         /* like Python's map: wait for it all */
        pump(p, -1);
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
        pump(p, -1);
    for (int i = 0; p->state == CLOSED && i < p->size; i++) {
        (void)send_all(p->workers[i].fd, stop, sizeof stop);   /* EPIPE: it has ended */
        reap(&p->workers[i], how, sizeof how);
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
        if (w->running != NULL && frame_recv(w->fd, in, FRAME_MAX, &len) == 1)
            store_answer(w->running, len);
        else if (w->running != NULL)
            fail_task(w->running, "pool terminated while this task was running");
        reap(w, how, sizeof how);
    }
    for (pool_result *r = p->head, *next; r != NULL; r = next) {
        next = r->queued;
        fail_task(r, "pool terminated before this task started");
    }
    p->head = p->tail = NULL;
}

void pool_free(pool *p)
{
    if (p == NULL)
        return;
    pool_terminate(p);
    while (p->handles != NULL)
        free_handle(p->handles);
    free(p->workers);
    free(p->fds);
    free(p);
}
