/* event_demo.c - one Event, several processes: some wait until it is set,
 * one gives up after a timeout.
 *
 * The "block" waiters call wait() and sleep until main sets the event. The
 * "non-block" waiter calls wait(2 s) and gives up. main sets the event
 * only after the timed waiter has ended (it joins it first), so the timed
 * waiter always reports False, and every blocked waiter, woken by set(),
 * always reports True: the output says only what is guaranteed. (The
 * tutorial's version relies on sleep(5) being long enough, and prints
 * "event is set" after set(), when a woken waiter may already have
 * printed.) Finally main clears the event again.
 *
 * Python:  e = multiprocessing.Event(); e.wait(), e.wait(2), e.set(),
 *          e.is_set(), e.clear()   (event_demo.py)
 * Usage:   ./event_demo [-n WAITERS]
 * Look for: "setting the event" comes after the timed waiter's False and
 * before every blocked waiter's True. Racy: the order of the "starting"
 * lines, and of the blocked waiters' True lines among themselves.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "event.h"
#include "lock.h"               /* shared_alloc, from chapter 06 */

#define TIMEOUT 2.0             /* seconds (times WORKBOOK_PACE), as in the tutorial */

static const char *truth(bool b)
{
    return b ? "True" : "False";        /* as Python prints it */
}

/* The blocked waiter: wait() with no timeout. */
static void wait_for_event(void *arg)
{
    struct event *ev = arg;

    say("%-10s (%ld): wait_for_event: starting", "block", (long)getpid());
    event_wait(ev);
    say("%-10s (%ld): wait_for_event: e.is_set() -> %s", "block", (long)getpid(),
        truth(event_is_set(ev)));
}

/* The timed waiter: wait(TIMEOUT) returns the flag, whether it was set or
 * the time ran out. */
static void wait_for_event_timeout(void *arg)
{
    struct event *ev = arg;
    double timeout = TIMEOUT * pace_factor();
    bool set;

    say("%-10s (%ld): wait_for_event_timeout: starting, timeout %g s", "non-block",
        (long)getpid(), timeout);
    set = event_wait_timeout(ev, timeout);
    say("%-10s (%ld): wait_for_event_timeout: e.wait(%g) -> %s, e.is_set() -> %s",
        "non-block", (long)getpid(), timeout, truth(set), truth(event_is_set(ev)));
}

int main(int argc, char *argv[])
{
    long waiters = 2;
    pid_t blocked[16], timed;
    struct event *ev;
    int opt;

    prog_init(argc, argv, "[-n WAITERS]");
    while ((opt = get_option(argc, argv, "n:")) != -1)
        waiters = arg_long(optarg, opt, 1, 16);
    no_operands(argc, argv);

    /* The event lives in shared memory: each child sees the same one. */
    ev = shared_alloc(sizeof *ev);
    event_init(ev);

    say("%-10s (%ld): starting %ld blocked waiter%s and 1 timed waiter", "main",
        (long)getpid(), waiters, waiters == 1 ? "" : "s");
    for (long i = 0; i < waiters; i++)
        blocked[i] = start_child(wait_for_event, ev);
    timed = start_child(wait_for_event_timeout, ev);

    /* Join the timed waiter BEFORE setting the event: its timeout has then
     * surely run out with the event still clear. */
    if (join_child(timed) != 0)
        fatal("the timed waiter failed");
    say("%-10s (%ld): the timed waiter has given up; e.is_set() -> %s", "main",
        (long)getpid(), truth(event_is_set(ev)));

    pace(1.0);                  /* the blocked waiters are still waiting */
    /* Say it BEFORE doing it: once set, a woken waiter may print at once. */
    say("%-10s (%ld): setting the event", "main", (long)getpid());
    event_set(ev);

    for (long i = 0; i < waiters; i++)
        if (join_child(blocked[i]) != 0)
            fatal("a blocked waiter failed");
    event_clear(ev);
    say("%-10s (%ld): every waiter has ended; after e.clear(), e.is_set() -> %s", "main",
        (long)getpid(), truth(event_is_set(ev)));

    event_destroy(ev);
    shared_free(ev, sizeof *ev);
    return 0;
}
