"""event_demo.py - one Event, several processes: some wait until it is set,
one gives up after a timeout.

The C twin is event_demo.c. Usage: python3 event_demo.py [-n WAITERS]
The setter sets the event only once the timed waiter has reported (a second
Event, gave_up, tells it so), and says so before it sets it, so every line
printed is guaranteed in its place: the timed waiter's False before "setting
the event", each blocked waiter's True after it. Racy: the order of the
"starting" lines.
"""
import argparse
import multiprocessing
import os
import sys
from multiprocessing import Event, Process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, join_all, pace, pace_factor, parse_args, say  # noqa: E402

TIMEOUT = 2.0       # seconds (times WORKBOOK_PACE), as in the tutorial


def wait_for_event(e):
    me = f"{'block':10} ({os.getpid()})"
    say(f"{me}: wait_for_event: starting")
    e.wait()
    say(f"{me}: wait_for_event: e.is_set() -> {e.is_set()}")


def wait_for_event_timeout(e, gave_up):
    me = f"{'non-block':10} ({os.getpid()})"
    timeout = TIMEOUT * pace_factor()
    say(f"{me}: wait_for_event_timeout: starting, timeout {timeout:g} s")
    was_set = e.wait(timeout)           # the flag, whether set or timed out
    say(f"{me}: wait_for_event_timeout: e.wait({timeout:g}) -> {was_set}, "
        f"e.is_set() -> {e.is_set()}")
    gave_up.set()                       # after the line above: the setter may go on


def setter(e, gave_up):
    me = f"{'setter':10} ({os.getpid()})"
    gave_up.wait()
    say(f"{me}: the timed waiter has given up; e.is_set() -> {e.is_set()}")
    pace(1.0)                           # the blocked waiters are still waiting
    say(f"{me}: setting the event")      # before: a woken waiter prints at once
    e.set()


def main():
    parser = argparse.ArgumentParser(description="an Event: wait, wait with a timeout, set")
    parser.add_argument("-n", dest="waiters", type=int_in(1, 16), default=2, metavar="WAITERS",
                        help="processes blocked in e.wait() until the event is set "
                        "(default %(default)s)")
    args = parse_args(parser)
    me = f"{'main':10} ({os.getpid()})"

    e, gave_up = Event(), Event()
    plural = "" if args.waiters == 1 else "s"
    say(f"{me}: starting {args.waiters} blocked waiter{plural}, 1 timed waiter and 1 setter")
    # In this order, so that whatever was started still ends if main dies
    # half-way: the timed waiter needs nobody, the setter only the timed
    # waiter, a blocked waiter only the setter.
    procs = [Process(target=wait_for_event_timeout, args=(e, gave_up)),
             Process(target=setter, args=(e, gave_up))]
    procs += [Process(target=wait_for_event, args=(e,)) for _ in range(args.waiters)]
    for p in procs:
        p.start()
    if join_all(procs):
        sys.exit("event_demo.py: a process failed: the others were stopped and joined")
    e.clear()
    say(f"{me}: every process has ended; after e.clear(), e.is_set() -> {e.is_set()}")


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
