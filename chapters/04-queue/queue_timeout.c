/* queue_timeout.c - a bounded Queue: put and get with timeouts; Full and
 * Empty.
 *
 * Queue(maxsize=3). A producer process puts 1, 2, 3, which fit; put(4)
 * with a timeout waits for room that never comes (nobody gets yet) and
 * reports Full when the timeout has passed; put(5, block=False) reports
 * Full at once. Then the parent, having joined the producer, gets 1, 2, 3;
 * get() with a timeout then waits in vain and reports Empty, and
 * get(block=False) reports Empty at once.
 *
 * Python:  q.put(x, timeout=t) ... except queue.Full;
 *          q.get(timeout=t) ... except queue.Empty         (queue_timeout.py)
 * Usage:   ./queue_timeout [-s MAXSIZE] [-t SECONDS]
 * Look for: Full and Empty after at least the timeout (the waits are
 * measured on CLOCK_MONOTONIC, and never end early); at once without
 * blocking. How much longer than the timeout a wait takes is racy.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "queue.h"

static long maxsize = 3;
static double timeout = 1.0;

/* "OK", or "Full after 1.00 s": the result and how long the call took. */
static void tell(const char *who, const char *call, enum queue_result r, double took)
{
    if (r == QUEUE_OK)
        say("%s (%ld): %s -> OK", who, (long)getpid(), call);
    else
        say("%s (%ld): %s -> %s after %.2f s", who, (long)getpid(), call,
            queue_result_name(r), took);
}

static void producer(void *arg)
{
    struct queue *q = arg;
    char call[64];

    /* maxsize + 2 puts: the last two find the queue full. */
    for (long i = 1; i <= maxsize + 2; i++) {
        double t = i <= maxsize + 1 ? timeout : QUEUE_NOWAIT, start = now_seconds();
        enum queue_result r = queue_put(q, &i, sizeof i, t);

        if (r == QUEUE_ERROR)
            die_child("queue_put");
        if (t > 0)
            snprintf(call, sizeof call, "put(%ld, timeout=%g)", i, t);
        else
            snprintf(call, sizeof call, "put(%ld, block=False)", i);
        tell("producer", call, r, now_seconds() - start);
    }
}

int main(int argc, char *argv[])
{
    struct queue *q;
    int opt, code;
    char call[64];

    prog_init(argc, argv, "[-s MAXSIZE] [-t SECONDS]\n"
              "  -s MAXSIZE  the Queue's maxsize: how many items fit (default 3)\n"
              "  -t SECONDS  how long a put or get with a timeout waits (default 1)\n"
              "Python: multiprocessing.Queue(maxsize), put and get with a timeout "
              "(twin: queue_timeout.py)");
    while ((opt = get_option(argc, argv, "s:t:")) != -1) {
        if (opt == 's')
            maxsize = arg_long(optarg, opt, 1, 1000);
        else
            timeout = arg_double(optarg, opt, 0.01, 60);
    }
    no_operands(argc, argv);

    q = queue_new((size_t)maxsize, 0);
    if (q == NULL)
        die("queue_new");
    say("main     (%ld): Queue(maxsize=%ld), timeouts of %g s", (long)getpid(), maxsize,
        timeout);
    code = join_child(start_child(producer, q));
    say("main     (%ld): producer joined, exitcode %d: qsize() = %zu, full() = %s",
        (long)getpid(), code, queue_qsize(q), queue_full(q) ? "true" : "false");

    /* maxsize + 2 gets: the last two find the queue empty. */
    for (long i = 1; i <= maxsize + 2; i++) {
        double t = i <= maxsize + 1 ? timeout : QUEUE_NOWAIT, start = now_seconds();
        long value;
        size_t len;
        enum queue_result r = queue_get(q, &value, sizeof value, &len, t);

        if (r == QUEUE_ERROR)
            die("queue_get");
        if (t > 0)
            snprintf(call, sizeof call, "get(timeout=%g)", t);
        else
            snprintf(call, sizeof call, "get(block=False)");
        if (r == QUEUE_OK)
            say("main     (%ld): %s -> %ld", (long)getpid(), call, value);
        else
            tell("main    ", call, r, now_seconds() - start);
    }
    if (queue_free(q) == -1)
        die("queue_free");
    return 0;
}
