/* pool_callbacks.c - apply_async(callback=, error_callback=) and
 * map_async(callback=): where and when a callback runs.
 *
 * The parent hands a Pool of 2 six tasks with a callback and an error
 * callback each (task 3 fails), and four more as one map_async. Then it is
 * busy elsewhere for a second, calls get() on task 0, and close() and
 * join(). Each callback says which process runs it (its pid: the parent's,
 * never a worker's) and inside which pool call. This pool has no thread:
 * the parent runs each callback inside a pool call of its own, the one
 * that takes the outcome in (get, join, ...), so none runs while the
 * parent is busy elsewhere, even for a task long finished. (Python's Pool
 * runs them in a thread of the parent, its result handler, as results
 * come in.) Either way one at a time: task 1's slow callback holds up the
 * others. map_async is built here from apply_async with callbacks: each
 * item's callback counts down, and the last one calls the map's callback
 * with the whole list.
 *
 * Python:  pool.apply_async(task, (i,), callback=done, error_callback=failed)
 *          pool.map_async(task, items, callback=all_done)  (pool_callbacks.py)
 * Usage:   ./pool_callbacks [-n WORKERS]
 * Look for: every callback line shows the parent's pid; each comes after
 * its task's "end" line and before "join() returned"; none comes before the
 * "busy" line; task 0's runs inside get(task 0). Racy: the order of the
 * workers' lines, and which of get() and join() runs the other callbacks.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "pool.h"

#define TASKS 6                 /* with apply_async: task 3 fails */
#define ITEMS 4                 /* with map_async */
#define FAILING 3
#define SLOW 1                  /* the task whose callback is slow */

struct job { int index, map; };

static const char *inside = "no pool call";    /* what the parent is doing */
static pid_t parent;
static int callbacks, in_parent;               /* the self-check's counts */

static int task(const void *arg, size_t arg_len, void *result, size_t *result_len)
{
    struct job job;
    long value;

    if (arg_len != sizeof job)
        return pool_fail("task: wrong argument size");
    memcpy(&job, arg, sizeof job);
    const char *kind = job.map ? "map item" : "task";
    say("worker %-6ld  %s %d  start", (long)getpid(), kind, job.index);
    pace(0.3);
    if (!job.map && job.index == FAILING) {
        say("worker %-6ld  %s %d  end    (failed)", (long)getpid(), kind, job.index);
        return pool_fail("no input for task %d", job.index);
    }
    value = (long)job.index * job.index;
    say("worker %-6ld  %s %d  end    -> %ld", (long)getpid(), kind, job.index, value);
    memcpy(result, &value, sizeof value);
    *result_len = sizeof value;
    return 0;
}

/* Every callback counts itself, and whether it ran in the parent. */
static void counted(void)
{
    callbacks++;
    in_parent += getpid() == parent;
}

static void done(pool_result *r, void *arg)     /* Python's callback= */
{
    int i = *(const int *)arg;
    long value = *(const long *)pool_value(r, NULL);

    counted();
    say("parent %-6ld  callback        task %d -> %ld  (inside %s)", (long)getpid(), i, value,
        inside);
    if (i == SLOW) {
        say("parent %-6ld  callback        task %d is slow: 1 s, and the whole pool waits",
            (long)getpid(), i);
        pace(1.0);
    }
}

static void failed(pool_result *r, void *arg)   /* Python's error_callback= */
{
    (void)arg;                  /* the task's error says which it was */
    counted();
    say("parent %-6ld  error_callback  %s  (inside %s)", (long)getpid(), pool_result_error(r),
        inside);
}

/* map_async, from apply_async with callbacks: each item's callback puts its
 * value in place; the last one to come calls the map's callback. */
struct map_async {
    long values[ITEMS];
    int left, failed;
};
struct map_item { int index; struct map_async *map; };     /* an item's cb_arg */

static void map_done(struct map_async *m)       /* map_async's callback= */
{
    char list[SAY_MAX / 2] = "";

    for (int i = 0, at = 0; i < ITEMS && at < (int)sizeof list - 24; i++)
        at += snprintf(list + at, sizeof list - (size_t)at, "%s%ld", i ? ", " : "",
                       m->values[i]);
    counted();
    say("parent %-6ld  map callback    [%s]  (inside %s)", (long)getpid(), list, inside);
}

static void item_done(pool_result *r, void *arg)
{
    const struct map_item *item = arg;
    struct map_async *m = item->map;

    if (pool_value(r, NULL) != NULL)
        m->values[item->index] = *(const long *)pool_value(r, NULL);
    else
        m->failed++;            /* Python's map_async: error_callback, once */
    if (--m->left == 0 && m->failed == 0)
        map_done(m);
}

int main(int argc, char *argv[])
{
    long workers = 2;
    int opt;

    prog_init(argc, argv, "[-n WORKERS]\n"
              "  -n WORKERS  worker processes in the pool (default 2)\n"
              "Python: Pool.apply_async(callback=, error_callback=), Pool.map_async "
              "(twin: pool_callbacks.py)");
    while ((opt = get_option(argc, argv, "n:")) != -1)
        workers = arg_long(optarg, opt, 1, 64);
    no_operands(argc, argv);
    parent = getpid();
    long me = (long)parent;

    pool *p = pool_create((int)workers);
    if (p == NULL)
        die("pool_create");
    say("parent %-6ld  Pool(%ld): %d tasks with callbacks (task %d fails), %d map items",
        me, workers, TASKS, FAILING, ITEMS);
    static int index[TASKS];
    pool_result *h[TASKS];
    inside = "apply_async";
    for (int i = 0; i < TASKS; i++) {
        index[i] = i;
        struct job job = { i, 0 };
        if ((h[i] = pool_apply_async_cb(p, task, &job, sizeof job, done, failed,
                                        &index[i])) == NULL)
            die("pool_apply_async_cb");
    }
    static struct map_async m = { .left = ITEMS };
    static struct map_item items[ITEMS];
    inside = "map_async";
    for (int i = 0; i < ITEMS; i++) {
        items[i] = (struct map_item){ i, &m };
        struct job job = { i, 1 };
        pool_result *r = pool_apply_async_cb(p, task, &job, sizeof job, item_done, item_done,
                                             &items[i]);
        if (r == NULL)
            die("pool_apply_async_cb");
        pool_result_free(r);            /* nobody gets it: it goes after its callback */
    }
    /* No pool call here: no callback can run, however many tasks end. */
    inside = "no pool call";
    say("parent %-6ld  busy elsewhere for 1 s: no pool call, so no callback yet", me);
    pace(1.0);
    inside = "get(task 0)";
    say("parent %-6ld  get(task 0): callbacks run inside it", me);
    if (pool_get(h[0], -1) != POOL_OK)
        fatal("task 0 failed: %s", pool_result_error(h[0]));
    inside = "join";
    say("parent %-6ld  close(), join(): the other callbacks run inside join", me);
    pool_close(p);
    int unfetched = pool_join(p);
    inside = "no pool call";
    int by_join = callbacks;
    say("parent %-6ld  join() returned %d: every callback has run, %d in all", me,
        unfetched, by_join);
    for (int i = 0; i < TASKS; i++)
        pool_result_free(h[i]);
    pool_free(p);
    /* The error went to error_callback: join did not count it as unseen. */
    int ok = by_join == TASKS + 1 && callbacks == by_join && in_parent == callbacks &&
             unfetched == 0;
    say("parent %-6ld  self-check: %d callbacks, all in the parent %ld, "
        "before join() returned: %s", me, TASKS + 1, me, ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
