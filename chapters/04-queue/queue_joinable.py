"""queue_joinable.py - JoinableQueue: join() waits until every item put has
been marked done with task_done().

The C twin is queue_joinable.c.
Usage: python3 queue_joinable.py [-m ok|forget|extra] [-n CONSUMERS] [-c ITEMS] [-t SECONDS]

Main starts the consumers, puts ITEMS numbers and calls q.join(); a consumer
gets a number, works on it, says "done", then calls q.task_done(). After
join(), main puts one None per consumer (a task too, marked done like the
others). -m forget: every 4th item is never marked done, and q.join() would
wait for ever. It takes no timeout, so main calls it in a thread and stops
waiting for that thread after -t seconds. -m extra: every 4th item is marked
done twice; a later task_done() finds the count at 0: ValueError.
JoinableQueue has no public way to read its count (CPython keeps it in a
semaphore, q._unfinished_tasks): the consumers report how many task_done()
calls succeeded, and main subtracts.
"""
import argparse
import multiprocessing
import os
import sys
import threading
from multiprocessing import JoinableQueue, Process, Queue

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import float_in, int_in, join_all, pace, parse_args, say  # noqa: E402

MAX_CONSUMERS = 16


def mark_done(q, me, item):
    """q.task_done(); True if it was accepted."""
    try:
        q.task_done()
        return True
    except ValueError as err:                # more task_done() calls than puts
        what = "the sentinel" if item is None else f"item {item}"
        say(f"consumer {me} ({os.getpid()}): task_done() for {what} -> ValueError: {err}")
        return False


def consumer(q, results, me, mode):
    pid = os.getpid()
    marked = 0
    while True:
        item = q.get()
        if item is None:                     # the sentinel
            say(f"consumer {me} ({pid}): got the sentinel: task_done(), and stop")
            marked += mark_done(q, me, item)
            break
        say(f"consumer {me} ({pid}): got item {item}")
        pace(0.5)                            # the work
        if mode == "forget" and item % 4 == 0:
            say(f"consumer {me} ({pid}): done with item {item}, and forgot task_done()")
            continue
        # Said BEFORE task_done(): join() cannot return before this line.
        say(f"consumer {me} ({pid}): done with item {item}: task_done()")
        marked += mark_done(q, me, item)
        if mode == "extra" and item % 4 == 0:
            say(f"consumer {me} ({pid}): task_done() again for item {item}, by mistake")
            marked += mark_done(q, me, item)
    results.put(marked)


def main():
    parser = argparse.ArgumentParser(description="JoinableQueue: task_done() and join()")
    parser.add_argument("-m", dest="mode", choices=("ok", "forget", "extra"), default="ok",
                        metavar="ok|forget|extra",
                        help="task_done() once an item; never, or twice, every 4th "
                        "(default %(default)s)")
    parser.add_argument("-n", dest="consumers", type=int_in(1, MAX_CONSUMERS), default=2,
                        metavar="CONSUMERS", help="consumer processes (default %(default)s)")
    parser.add_argument("-c", dest="items", type=int_in(1, 10000), default=8, metavar="ITEMS",
                        help="items main puts (default %(default)s)")
    parser.add_argument("-t", dest="timeout", type=float_in(0.01, 60), default=3.0,
                        metavar="SECONDS",
                        help="-m forget: how long join() waits before giving up (default 3)")
    args = parse_args(parser)
    me = os.getpid()

    q, results = JoinableQueue(), Queue()
    say(f"main       ({me}): JoinableQueue, {args.consumers} consumers, {args.items} items, "
        f"-m {args.mode}")
    # The consumers first: the first put starts the queue's feeder thread,
    # and a fork after that would copy a process with two threads.
    consumers = [Process(target=consumer, args=(q, results, i, args.mode))
                 for i in range(args.consumers)]
    for p in consumers:
        p.start()

    say(f"main       ({me}): put items 1 to {args.items}; join() waits until each is marked done")
    for item in range(1, args.items + 1):
        q.put(item)
    if args.mode == "forget":
        # q.join() takes no timeout: wait for it in a thread, for a while.
        # A daemon thread: the program may end while it still waits.
        waiter = threading.Thread(target=q.join, daemon=True)
        waiter.start()
        waiter.join(args.timeout)
        joined = not waiter.is_alive()
    else:
        q.join()
        joined = True
    if joined:
        say(f"main       ({me}): join() returned: the count of unfinished tasks came down to 0")
    else:
        say(f"main       ({me}): join() still waiting after {args.timeout:g} s: giving up")

    say(f"main       ({me}): putting {args.consumers} sentinels")
    for _ in consumers:
        q.put(None)
    # The reports BEFORE joining: a process that has put something on a
    # queue cannot end until it has been read (queue_workers.py says more).
    marked = sum(results.get() for _ in consumers)
    if join_all(consumers) != 0:
        sys.exit(f"{os.path.basename(sys.argv[0])}: a consumer failed: "
                 "the others were stopped and joined")

    # Every consumer is joined: nobody is left to call task_done().
    unfinished = args.items + args.consumers - marked
    expected = args.items // 4 if args.mode == "forget" else 0
    if unfinished > 0:
        say(f"main       ({me}): join() would wait for ever: {unfinished} "
            f"task{'' if unfinished == 1 else 's'} never marked done (expected {expected})")
    else:
        say(f"main       ({me}): consumers joined: 0 tasks never marked done "
            f"(expected {expected})")
    sys.exit(0 if unfinished == expected else 1)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
