/* event_demo.c - one Event, several processes: some wait until it is set,
 * one gives up after a timeout.
 *
 * The "block" waiters call wait() and sleep until the event is set. The
 * "non-block" waiter calls wait(2 s), gives up, and reports it. The setter
 * sets the event only once the timed waiter has reported (a second event,
 * gave_up, tells it so), so the timed waiter always reports False, and
 * every blocked waiter, woken by set(), always reports True: the output
 * says only what is guaranteed. (The tutorial's version relies on sleep(5)
 * being long enough, and prints "event is set" after set(), when a woken
 * waiter may already have printed.) At the end main clears the event.
 * Every process waits for a sibling, never for main: if main is killed, the
 * others still finish.
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

#define TIMEOUT 2.0             /* seconds (times WORKBOOK_PACE), as in the tutorial */

struct events {
    struct event e;             /* the event of the demo */
    struct event gave_up;       /* set by the timed waiter once it has reported */
};

static const char *truth(bool b)
{
    return b ? "True" : "False";        /* as Python prints it */
}

/* The blocked waiter: wait() with no timeout. */
static void wait_for_event(void *arg)
{
    struct event *ev = &((struct events *)arg)->e;

    say("%-10s (%ld): wait_for_event: starting", "block", (long)getpid());
    event_wait(ev);
    say("%-10s (%ld): wait_for_event: e.is_set() -> %s", "block", (long)getpid(),
        truth(event_is_set(ev)));
}

/* The timed waiter: wait(TIMEOUT) returns the flag, whether it was set or
 * the time ran out. */
static void wait_for_event_timeout(void *arg)
{
    struct events *evs = arg;
    struct event *ev = &evs->e;
    double timeout = TIMEOUT * pace_factor();
    bool set;

    say("%-10s (%ld): wait_for_event_timeout: starting, timeout %g s", "non-block",
        (long)getpid(), timeout);
    set = event_wait_timeout(ev, timeout);
    say("%-10s (%ld): wait_for_event_timeout: e.wait(%g) -> %s, e.is_set() -> %s",
        "non-block", (long)getpid(), timeout, truth(set), truth(event_is_set(ev)));
    event_set(&evs->gave_up);   /* after the line above: the setter may go on */
}

/* The setter: once the timed waiter has given up, set the event. */
static void setter(void *arg)
{
    struct events *evs = arg;

    event_wait(&evs->gave_up);
    say("%-10s (%ld): the timed waiter has given up; e.is_set() -> %s", "setter",
        (long)getpid(), truth(event_is_set(&evs->e)));
    pace(1.0);                  /* the blocked waiters are still waiting */
    /* Say it BEFORE doing it: once set, a woken waiter may print at once. */
    say("%-10s (%ld): setting the event", "setter", (long)getpid());
    event_set(&evs->e);
}

int main(int argc, char *argv[])
{
    long waiters = 2;
    pid_t pids[16 + 2];
    struct events *evs;
    long n;
    int opt;

    prog_init(argc, argv, "[-n WAITERS]\n"
              "  -n WAITERS  processes blocked in e.wait() until the event is set (default 2)\n"
              "Python: multiprocessing.Event, wait, set, clear (twin: event_demo.py)");
    while ((opt = get_option(argc, argv, "n:")) != -1)
        waiters = arg_long(optarg, opt, 1, 16);
    no_operands(argc, argv);

    /* The events live in shared memory: each child sees the same ones. */
    evs = shared_alloc(sizeof *evs);
    event_init(&evs->e);
    event_init(&evs->gave_up);

    say("%-10s (%ld): starting %ld blocked waiter%s, 1 timed waiter and 1 setter", "main",
        (long)getpid(), waiters, waiters == 1 ? "" : "s");
    /* In this order, so that if main dies after starting only some, those
     * still end: the timed waiter needs nobody, the setter needs only the
     * timed waiter, a blocked waiter only the setter. */
    n = 0;
    pids[n++] = start_child(wait_for_event_timeout, evs);
    pids[n++] = start_child(setter, evs);
    for (long i = 0; i < waiters; i++)
        pids[n++] = start_child(wait_for_event, evs);

    if (join_all(pids, n) != 0)
        fatal("a process failed: the others were stopped and joined");
    event_clear(&evs->e);
    say("%-10s (%ld): every process has ended; after e.clear(), e.is_set() -> %s", "main",
        (long)getpid(), truth(event_is_set(&evs->e)));

    event_destroy(&evs->gave_up);
    event_destroy(&evs->e);
    shared_free(evs, sizeof *evs);
    return 0;
}
