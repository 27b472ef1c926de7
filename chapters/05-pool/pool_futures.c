/* pool_futures.c - concurrent.futures in C: submit, as_completed, wait, and
 * an executor that a dying worker breaks.
 *
 * Python's ProcessPoolExecutor hands back a FUTURE for each submit(): a
 * handle to a result that will be there later. as_completed() yields the
 * futures in the order they finish; wait(return_when=FIRST_COMPLETED)
 * returns as soon as one has, with the sets of those done and not done.
 * Here a future is a thin layer over the Pool's handle (pool_result), and
 * both waits are pool_wait_any(): one poll(2) on every worker at once.
 *
 * 1. submit() 6 tasks of mixed lengths; as_completed() gives each future as
 *    it finishes, so the short tasks come first.
 * 2. wait(FIRST_COMPLETED) on a quick task and two that wait for a "go"
 *    from the parent: it returns the quick one alone, guaranteed.
 * 3. A task kills its own worker (SIGKILL, as the out-of-memory killer
 *    would), at the parent's word, once the other tasks are submitted (a
 *    broken executor refuses submit()). ProcessPoolExecutor's answer: the
 *    executor is BROKEN; every future not yet done fails with
 *    BrokenProcessPool, the running ones and the waiting ones, and
 *    submit() is refused from then on. (Chapter 05's Pool itself, in
 *    pool_errors, fails that task alone and replaces the worker;
 *    multiprocessing.Pool's get() waits for the lost task for ever.)
 *
 * Python:  with ProcessPoolExecutor(2) as ex:
 *              fs = [ex.submit(task, i) for i in ...]
 *              for f in as_completed(fs): f.result()
 *              done, not_done = wait(fs, return_when=FIRST_COMPLETED)
 *          (pool_futures.py)
 * Usage:   ./pool_futures [-n WORKERS]
 * Look for: as_completed's order is the tasks' finishing order, not their
 * order of submission; part 2's "done: task 10; not done: tasks 11 12";
 * in part 3, tasks 20 and 21 keep their results, and 22-24 all fail with
 * the same BrokenProcessPool. Racy: the order of tasks of equal length,
 * and whether the task waiting in part 3 starts on a replacement worker
 * before the executor gives up.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "pool.h"

enum kind { WORK, WAIT_FOR_GO, KILL_WORKER };
struct job { int id, kind; double seconds; };

/* Made before the pools: every worker has them. */
static int go_pipe[2];          /* part 2's go; part 3's never comes */
static int die_pipe[2];         /* part 3: the word for task 22 to die */

/* Every worker's initializer: it only reads the go and the word, so it
 * keeps no write end. Then a worker waiting for one sees end of file if
 * the parent dies (SIGTERM, SIGKILL): no worker is left waiting for ever. */
static void keep_read_ends(void *unused)
{
    (void)unused;
    if (close(go_pipe[1]) == -1 || close(die_pipe[1]) == -1)
        die_child("close");
}

static int task(const void *arg, size_t arg_len, void *result, size_t *result_len)
{
    struct job job;
    char byte;

    if (arg_len != sizeof job || *result_len < sizeof(long))
        return pool_fail("task: wrong sizes");
    memcpy(&job, arg, sizeof job);
    if (job.kind == KILL_WORKER) {      /* once every task is submitted */
        say("worker %-6ld  task %d  start: kills its worker (SIGKILL) at the parent's word",
            (long)getpid(), job.id);
        if (read(die_pipe[0], &byte, 1) != 1)
            return pool_fail("read word: %s", strerror(errno));
        raise(SIGKILL);
    }
    say("worker %-6ld  task %d  start%s", (long)getpid(), job.id,
        job.kind == WAIT_FOR_GO ? ": waits for the parent's go" : "");
    if (job.kind == WAIT_FOR_GO && read(go_pipe[0], &byte, 1) != 1)
        return pool_fail("read go: %s", strerror(errno));
    pace(job.seconds);
    long value = (long)job.id * job.id;
    say("worker %-6ld  task %d  done", (long)getpid(), job.id);
    memcpy(result, &value, sizeof value);
    *result_len = sizeof value;
    return 0;
}

/* ---- the futures layer: an executor over the Pool ------------------------- */

enum { F_PENDING, F_DONE, F_FAILED };
struct future {
    int id, state;
    pool_result *r;             /* the Pool's handle, until it is settled */
    long value;
    char error[POOL_ERROR_MAX + 32];
};

#define MAX_FUTURES 16
struct executor {
    pool *pool;
    int broken;                 /* a worker died: BrokenProcessPool */
    char why[POOL_ERROR_MAX];
    struct future *fs[MAX_FUTURES];     /* every future submitted */
    int n;
};

static void settle(struct executor *ex, struct future *f);

/* The executor breaks: the Pool is terminated (SIGTERM to each worker, all
 * reaped), and every future still pending fails with the same error. */
static void break_executor(struct executor *ex, const char *why)
{
    ex->broken = 1;
    snprintf(ex->why, sizeof ex->why, "%s", why);
    pool_terminate(ex->pool);
    for (int i = 0; i < ex->n; i++)
        settle(ex, ex->fs[i]);          /* each has its outcome now */
}

/* Take in f's outcome, which the Pool has (pool_get does not wait). A task
 * whose worker died breaks the whole executor, as in Python. */
static void settle(struct executor *ex, struct future *f)
{
    if (f->state != F_PENDING)
        return;
    int status = pool_get(f->r, 0);
    if (status == POOL_OK) {
        memcpy(&f->value, pool_value(f->r, NULL), sizeof f->value);
        f->state = F_DONE;
    } else if (status == POOL_FAILED && ex->broken) {
        f->state = F_FAILED;
        snprintf(f->error, sizeof f->error, "BrokenProcessPool: %s", ex->why);
    } else if (status == POOL_FAILED) {
        const char *why = pool_result_error(f->r);
        f->state = F_FAILED;
        snprintf(f->error, sizeof f->error, "%s", why);
        /* "worker 4242 was killed by SIGKILL while running this task" */
        const char *how = strncmp(why, "worker ", 7) == 0 ? strchr(why + 7, ' ') : NULL;
        const char *end = strstr(why, " while running this task");
        if (how != NULL && end != NULL && how < end) {         /* its worker died */
            char died[POOL_ERROR_MAX];
            snprintf(died, sizeof died, "task %d's worker%.*s", f->id, (int)(end - how), how);
            f->state = F_PENDING;       /* it fails with the others, */
            break_executor(ex, died);   /* as BrokenProcessPool */
            return;
        }
    } else {
        return;                         /* still running */
    }
    pool_result_free(f->r);
    f->r = NULL;
}

/* submit(): a future for task `id`; NULL after the executor broke. */
static struct future *submit(struct executor *ex, int id, int kind, double seconds)
{
    struct job job;

    if (ex->broken || ex->n == MAX_FUTURES)
        return NULL;
    struct future *f = calloc(1, sizeof *f);
    if (f == NULL)
        die("calloc");
    memset(&job, 0, sizeof job);        /* padding too: it travels */
    job.id = id;
    job.kind = kind;
    job.seconds = seconds;
    f->id = id;
    if ((f->r = pool_apply_async(ex->pool, task, &job, sizeof job)) == NULL)
        die("pool_apply_async");
    ex->fs[ex->n++] = f;
    return f;
}

/* The heart of as_completed() and wait(FIRST_COMPLETED): wait until one of
 * the n futures at fs is no longer pending, and return it. */
static struct future *first_completed(struct executor *ex, struct future **fs, int n)
{
    pool_result *rs[MAX_FUTURES];
    struct future *which[MAX_FUTURES];
    int k = 0;

    for (int i = 0; i < n; i++) {
        if (fs[i]->state != F_PENDING)
            return fs[i];
        rs[k] = fs[i]->r;
        which[k++] = fs[i];
    }
    int i = pool_wait_any(rs, (size_t)k, -1);
    if (i == -1)
        die("pool_wait_any");
    settle(ex, which[i]);
    return which[i];
}

/* as_completed(): each future as it finishes; prints it. */
static void as_completed(struct executor *ex, struct future **fs, int n)
{
    struct future *left[MAX_FUTURES];

    memcpy(left, fs, (size_t)n * sizeof *fs);
    while (n > 0) {
        struct future *f = first_completed(ex, left, n);
        if (f->state == F_DONE)
            say("parent %-6ld  as_completed: task %d -> %ld", (long)getpid(), f->id, f->value);
        else
            say("parent %-6ld  as_completed: task %d  %s", (long)getpid(), f->id, f->error);
        for (int i = 0; i < n; i++)
            if (left[i] == f) {         /* out, the others in their order */
                memmove(left + i, left + i + 1, (size_t)(n - i - 1) * sizeof *left);
                n--;
                break;
            }
    }
}

/* wait(ALL_COMPLETED): until none of the n futures at fs is pending. */
static void wait_all(struct executor *ex, struct future **fs, int n)
{
    struct future *pending[MAX_FUTURES];
    int k;

    do {
        k = 0;
        for (int i = 0; i < n; i++)
            if (fs[i]->state == F_PENDING)
                pending[k++] = fs[i];
        if (k > 0)
            first_completed(ex, pending, k);
    } while (k > 0);
}

/* " 10 11" into list: the ids of the futures that are (done != 0) or are not done. */
static void ids(char *list, size_t size, struct future **fs, int n, int done)
{
    size_t at = 0;

    list[0] = '\0';
    for (int i = 0; i < n && at + 8 < size; i++)
        if ((fs[i]->state != F_PENDING) == done)
            at += (size_t)snprintf(list + at, size - at, " %d", fs[i]->id);
    if (at == 0)
        snprintf(list, size, " none");
}

static void executor_shutdown(struct executor *ex)
{
    if (!ex->broken) {
        pool_close(ex->pool);
        if (pool_join(ex->pool) != 0)
            fatal("an error nobody fetched");
    }
    pool_free(ex->pool);
    for (int i = 0; i < ex->n; i++)
        free(ex->fs[i]);                /* their handles went with the pool */
}

int main(int argc, char *argv[])
{
    long workers = 2, me = (long)getpid();
    int opt, ok = 1;
    char done[128], not_done[128];

    prog_init(argc, argv, "[-n WORKERS]\n"
              "  -n WORKERS  worker processes in each executor (default 2)\n"
              "Python: concurrent.futures.ProcessPoolExecutor, as_completed, wait, "
              "BrokenProcessPool (twin: pool_futures.py)");
    while ((opt = get_option(argc, argv, "n:")) != -1)
        workers = arg_long(optarg, opt, 2, 64);
    no_operands(argc, argv);
    if (pipe(go_pipe) == -1 || pipe(die_pipe) == -1)
        die("pipe");

    say("--- 1. submit() 6 tasks; as_completed() gives each future as it finishes");
    struct executor ex = { .pool = pool_create_with((int)workers, keep_read_ends, NULL) };
    if (ex.pool == NULL)
        die("pool_create_with");
    for (int i = 0; i < 6; i++)         /* 0.6, 0.2, 0.4, 0.6, 0.2, 0.4 s */
        submit(&ex, i, WORK, 0.2 * (3 - i % 3));
    as_completed(&ex, ex.fs, ex.n);
    for (int i = 0; i < ex.n; i++)
        ok &= ex.fs[i]->state == F_DONE && ex.fs[i]->value == (long)i * i;
    executor_shutdown(&ex);

    say("--- 2. wait(return_when=FIRST_COMPLETED): one quick task, two that wait for a go");
    ex = (struct executor){ .pool = pool_create_with((int)workers, keep_read_ends, NULL) };
    if (ex.pool == NULL)
        die("pool_create_with");
    submit(&ex, 10, WORK, 0.2);
    submit(&ex, 11, WAIT_FOR_GO, 0.2);
    submit(&ex, 12, WAIT_FOR_GO, 0.2);
    first_completed(&ex, ex.fs, ex.n);
    ids(done, sizeof done, ex.fs, ex.n, 1);
    ids(not_done, sizeof not_done, ex.fs, ex.n, 0);
    say("parent %-6ld  wait(FIRST_COMPLETED) -> done:%s; not done:%s", me, done, not_done);
    ok &= strcmp(done, " 10") == 0 && strcmp(not_done, " 11 12") == 0;
    /* Said before the go is given: so it comes before their "done" lines. */
    say("parent %-6ld  go! then wait(ALL_COMPLETED)", me);
    if (write(go_pipe[1], "gg", 2) != 2)
        die("write");
    wait_all(&ex, ex.fs, ex.n);
    ids(done, sizeof done, ex.fs, ex.n, 1);
    ids(not_done, sizeof not_done, ex.fs, ex.n, 0);
    say("parent %-6ld  wait(ALL_COMPLETED) -> done:%s; not done:%s", me, done, not_done);
    ok &= strcmp(not_done, " none") == 0;
    executor_shutdown(&ex);

    say("--- 3. a worker dies: the executor is broken, every pending future fails");
    ex = (struct executor){ .pool = pool_create_with((int)workers, keep_read_ends, NULL) };
    if (ex.pool == NULL)
        die("pool_create_with");
    submit(&ex, 20, WORK, 0.2);
    submit(&ex, 21, WORK, 0.2);
    as_completed(&ex, ex.fs, 2);        /* both done before anything breaks */
    submit(&ex, 22, KILL_WORKER, 0);
    for (int id = 23; id < 23 + workers; id++)  /* one runs beside 22, one waits */
        submit(&ex, id, WAIT_FOR_GO, 0.2);
    say("parent %-6ld  all submitted: the word to task 22", me);
    if (write(die_pipe[1], "k", 1) != 1)
        die("write");
    as_completed(&ex, ex.fs + 2, ex.n - 2);
    int broken = 0;
    for (int i = 2; i < ex.n; i++)
        broken += strncmp(ex.fs[i]->error, "BrokenProcessPool: ", 19) == 0;
    struct future *late = submit(&ex, 30, WORK, 0.2);
    say("parent %-6ld  submit() after that: %s", me,
        late == NULL ? "refused: BrokenProcessPool" : "accepted?");
    say("parent %-6ld  (chapter 05's Pool, in pool_errors: task 22 alone fails, its worker is "
        "replaced)", me);
    ok &= ex.fs[0]->state == F_DONE && ex.fs[1]->state == F_DONE && late == NULL &&
          broken == ex.n - 2;
    executor_shutdown(&ex);
    for (int i = 0; i < 2; i++)
        if (close(go_pipe[i]) == -1 || close(die_pipe[i]) == -1)
            die("close");
    say("parent %-6ld  self-check: as_completed, FIRST_COMPLETED, BrokenProcessPool as "
        "expected: %s", me, ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
