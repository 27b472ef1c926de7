/* manager_queue_pool.c - a Pool whose tasks share a queue served by a
 * manager.
 *
 * A Pool's task gets its argument as bytes, copied to a worker that was
 * forked long before (chapter 05). A pipe or a queue made now cannot go
 * that way: the worker never inherited it. (Python says so too: passing a
 * multiprocessing.Queue to a Pool task raises RuntimeError, "Queue objects
 * should only be shared between processes through inheritance".) A queue
 * that lives in a manager can: the task gets the manager's address and the
 * queue's id, plain bytes, and connects from the worker. Here the reader
 * task starts first and waits in q.get() (on the server, not in the
 * worker); the writer task puts 1..ITEMS, then None to say "no more".
 *
 * Python:  q = Manager().Queue(); pool = Pool(2)
 *          pool.apply_async(reader, (q,)); pool.apply_async(writer, (q,))
 *          (manager_queue_pool.py)
 * Usage:   ./manager_queue_pool [-c ITEMS]
 * Look for: the reader's "got" lines in the order the writer put them, and
 * the reader's result checked by main on the last line. Racy: how the
 * writer's and the reader's lines interleave.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "manager.h"
#include "pool.h"

#define MAX_ITEMS 1000
#define READER_PATIENCE 30.0    /* seconds the reader waits for one item */

/* A task's argument: everything travels by value. */
struct job {
    char address[108];          /* the manager's socket path */
    uint32_t queue;             /* the queue's id in the manager */
    long items;
};

static mgr_conn *connect_or_fail(const struct job *job)
{
    mgr_conn *c = mgr_connect(job->address);

    if (c == NULL)
        pool_fail("mgr_connect %s: %s", job->address, errno_name(errno));
    return c;
}

/* The writer task: puts 1..items, then None. Its result: how many. */
static int writer(const void *arg, size_t arg_len, void *result, size_t *result_len)
{
    struct job job;
    mgr_conn *c;
    long n;

    if (arg_len != sizeof job || *result_len < sizeof n)
        return pool_fail("writer: wrong sizes");
    memcpy(&job, arg, sizeof job);
    if ((c = connect_or_fail(&job)) == NULL)
        return -1;
    for (n = 1; n <= job.items; n++) {
        pace(0.2);
        if (mgr_queue_put(c, job.queue, mgr_int(n)) != MGR_OK)
            break;
        say("writer (%ld): put %ld", (long)getpid(), n);
    }
    if (n <= job.items || mgr_queue_put(c, job.queue, mgr_none()) != MGR_OK) {
        pool_fail("writer: q.put: %s", mgr_error(c));
        (void)mgr_close(c);     /* already failing: the put is what went wrong */
        return -1;
    }
    say("writer (%ld): put None: no more items", (long)getpid());
    if (mgr_close(c) == -1)
        return pool_fail("writer: close: %s", strerror(errno));
    n--;
    memcpy(result, &n, sizeof n);
    *result_len = sizeof n;
    return 0;
}

/* The reader task: gets items until None. Its result: the items, in the
 * order they came. */
static int reader(const void *arg, size_t arg_len, void *result, size_t *result_len)
{
    struct job job;
    int64_t got[MAX_ITEMS];
    size_t n = 0;
    mgr_conn *c;

    if (arg_len != sizeof job || *result_len < sizeof got)
        return pool_fail("reader: wrong sizes");
    memcpy(&job, arg, sizeof job);
    if ((c = connect_or_fail(&job)) == NULL)
        return -1;
    for (;;) {
        struct mgr_value v;
        /* Blocks until an item comes: the server parks this request and
         * answers it when the writer's put arrives. */
        int st = mgr_queue_get(c, job.queue, READER_PATIENCE, &v);
        if (st != MGR_OK) {
            pool_fail("reader: q.get: %s", st == -1 ? errno_name(errno) : mgr_error(c));
            (void)mgr_close(c); /* already failing: the get is what went wrong */
            return -1;
        }
        if (v.type == MGR_NONE)
            break;
        if (v.type != MGR_INT || n == MAX_ITEMS) {
            (void)mgr_close(c); /* already failing */
            return pool_fail("reader: an item that is not expected");
        }
        say("reader (%ld): got %lld", (long)getpid(), (long long)v.i);
        got[n++] = v.i;
    }
    say("reader (%ld): got None: %zu items", (long)getpid(), n);
    if (mgr_close(c) == -1)
        return pool_fail("reader: close: %s", strerror(errno));
    memcpy(result, got, n * sizeof got[0]);
    *result_len = n * sizeof got[0];
    return 0;
}

int main(int argc, char *argv[])
{
    long items = 3, written = 0;
    int opt, ok = 1;
    struct job job;
    pool_result *r, *w;
    manager *m;
    mgr_conn *c;
    pool *p;

    prog_init(argc, argv, "[-c ITEMS]\n"
              "  -c ITEMS  items the writer task puts on the queue (default 3)\n"
              "Python: multiprocessing.Manager().Queue(), passed to Pool tasks "
              "(twin: manager_queue_pool.py)");
    while ((opt = get_option(argc, argv, "c:")) != -1)
        items = arg_long(optarg, opt, 1, MAX_ITEMS);
    no_operands(argc, argv);

    /* The manager first, then the pool, as in Python. */
    m = manager_start(0);
    if (m == NULL)
        die("manager_start");
    say("main   (%ld): manager server %ld at %s", (long)getpid(), (long)manager_pid(m),
        manager_address(m));
    c = mgr_connect(manager_address(m));
    if (c == NULL)
        die("mgr_connect");
    memset(&job, 0, sizeof job);
    strcpy(job.address, manager_address(m));    /* fits: it is a sun_path */
    job.items = items;
    mgr_must(mgr_create(c, MGR_QUEUE, &job.queue), c, "manager.Queue()");
    say("main   (%ld): q = manager.Queue(): queue id %lu", (long)getpid(),
        (unsigned long)job.queue);

    p = pool_create(2);
    if (p == NULL)
        die("pool_create");
    say("main   (%ld): Pool(2) started: workers %ld and %ld", (long)getpid(),
        (long)pool_worker_pid(p, 0), (long)pool_worker_pid(p, 1));

    /* The reader first: it waits on the server while the writer puts. */
    r = pool_apply_async(p, reader, &job, sizeof job);
    w = pool_apply_async(p, writer, &job, sizeof job);
    if (r == NULL || w == NULL)
        die("pool_apply_async");
    pool_close(p);

    if (pool_get(w, -1) == POOL_OK) {
        memcpy(&written, pool_value(w, NULL), sizeof written);
        say("main   (%ld): the writer put %ld items", (long)getpid(), written);
    } else {
        say("main   (%ld): the writer failed: %s", (long)getpid(), pool_result_error(w));
        ok = 0;
    }
    if (pool_get(r, -1) == POOL_OK) {
        size_t len;
        const int64_t *got = pool_value(r, &len);
        struct mgr_value shown[MAX_ITEMS];
        char text[SAY_MAX];
        size_t n = len / sizeof got[0];

        for (size_t i = 0; i < n; i++)
            shown[i] = mgr_int(got[i]);
        mgr_values_repr(shown, n, 0, text, 200);
        say("main   (%ld): the reader got %s", (long)getpid(), text);
        ok = ok && (long)n == written;
        for (size_t i = 0; ok && i < n; i++)
            ok = got[i] == (int64_t)i + 1;
    } else {
        say("main   (%ld): the reader failed: %s", (long)getpid(), pool_result_error(r));
        ok = 0;
    }
    if (pool_join(p) != 0)
        ok = 0;
    pool_free(p);

    if (mgr_close(c) == -1)
        die("mgr_close");
    if (manager_shutdown(m) != 0)
        ok = 0;
    say("main   (%ld): check: the reader got every item the writer put, in order: %s",
        (long)getpid(), ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
