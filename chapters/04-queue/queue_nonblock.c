/* queue_nonblock.c - get(block=False) until Empty; qsize(), empty(), full().
 *
 * A writer puts 1, 2, 3 on a Queue(maxsize=3). A reader takes items with
 * non-blocking gets until the queue says Empty. The tutorial that shows
 * this starts the reader at the same time as the writer, so the reader
 * often finds the queue empty before the writer has put anything, and
 * quits with nothing: a non-blocking get only reports the queue as it is
 * at that instant. Here the parent joins the writer BEFORE it starts the
 * reader: every item is in the queue by then, so Empty comes only after
 * all of them. -r starts both at once, as the tutorial does, and the
 * parent collects what the reader missed.
 *
 * Python:  q.get(block=False) ... except queue.Empty; q.qsize(), q.empty(),
 *          q.full()                                    (queue_nonblock.py)
 * Usage:   ./queue_nonblock [-c ITEMS] [-r]
 * Look for: without -r, the reader gets every item, then Empty. With -r,
 * how many the reader gets before Empty is racy (often none); the parent's
 * leftovers make up the rest, so nothing is lost.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "queue.h"

static long items = 3;

static void report(struct queue *q, const char *when)
{
    /* Snapshots: true when taken, perhaps not a moment later (here nobody
     * else uses the queue at these points, so they stay true). */
    say("main   (%ld): %s: qsize() = %zu, empty() = %s, full() = %s", (long)getpid(), when,
        queue_qsize(q), queue_empty(q) ? "true" : "false", queue_full(q) ? "true" : "false");
}

static void writer(void *arg)
{
    struct queue *q = arg;

    for (long i = 1; i <= items; i++) {
        say("writer (%ld): put(%ld)", (long)getpid(), i);
        if (queue_put(q, &i, sizeof i, QUEUE_FOREVER) != QUEUE_OK)
            die_child("queue_put");
        pace(0.2);
    }
    say("writer (%ld): all %ld put", (long)getpid(), items);
}

/* Take what is there, without waiting; return how many, or -1 on error. */
static long drain(struct queue *q, const char *who)
{
    long value, got = 0;
    size_t len;
    enum queue_result r;

    while ((r = queue_get(q, &value, sizeof value, &len, QUEUE_NOWAIT)) == QUEUE_OK) {
        say("%s (%ld): get(block=False) -> %ld", who, (long)getpid(), value);
        got++;
    }
    if (r != QUEUE_EMPTY)
        return -1;
    say("%s (%ld): get(block=False) -> Empty, after %ld item%s", who, (long)getpid(), got,
        got == 1 ? "" : "s");
    return got;
}

static void reader(void *arg)
{
    if (drain(arg, "reader") == -1)
        die_child("queue_get");
}

int main(int argc, char *argv[])
{
    struct queue *q;
    pid_t pw, pr;
    int opt, racy = 0;

    prog_init(argc, argv, "[-c ITEMS] [-r]\n"
              "  -c ITEMS  items the writer puts, also the Queue's maxsize (default 3)\n"
              "  -r        start the reader with the writer, as the tutorial does (racy)\n"
              "Python: multiprocessing.Queue, get(block=False), qsize(), empty(), full() "
              "(twin: queue_nonblock.py)");
    while ((opt = get_option(argc, argv, "c:r")) != -1) {
        if (opt == 'c')
            items = arg_long(optarg, opt, 1, 1000);
        else
            racy = 1;
    }
    no_operands(argc, argv);

    q = queue_new((size_t)items, 0);    /* Queue(maxsize=items) */
    if (q == NULL)
        die("queue_new");
    report(q, "a new Queue(maxsize)");
    pw = start_child(writer, q);
    if (racy) {
        /* The tutorial's way: the reader may look before the writer puts. */
        pr = start_child(reader, q);
        say("main   (%ld): writer joined, exitcode %d", (long)getpid(), join_child(pw));
        say("main   (%ld): reader joined, exitcode %d", (long)getpid(), join_child(pr));
        report(q, "both joined");
        long left = drain(q, "main  ");

        if (left == -1)
            die("queue_get");
        say("main   (%ld): %ld items were left for the parent", (long)getpid(), left);
    } else {
        /* Join the writer first: then every item is in the queue. */
        say("main   (%ld): writer joined, exitcode %d", (long)getpid(), join_child(pw));
        report(q, "writer joined");
        pr = start_child(reader, q);
        say("main   (%ld): reader joined, exitcode %d", (long)getpid(), join_child(pr));
    }
    report(q, "at the end");
    if (queue_free(q) == -1)
        die("queue_free");
    return 0;
}
