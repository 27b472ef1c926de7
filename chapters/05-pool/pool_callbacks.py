"""pool_callbacks.py - apply_async(callback=, error_callback=) and
map_async(callback=): where and when a callback runs.

The C twin is pool_callbacks.c (same options, nearly the same lines). Here
each callback runs in the parent too (its pid), but in a thread of the
parent: the Pool's result handler, which takes each result in as it comes,
while the main thread does something else. One thread for every result: a
slow callback holds up the callbacks and get()s of all the others.
Usage: python3 pool_callbacks.py [-n WORKERS]
Racy: the order of the workers' lines, and where the callback lines fall
among the main thread's.
"""
import argparse
import functools
import multiprocessing
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, parse_args, say  # noqa: E402

TASKS, ITEMS, FAILING, SLOW = 6, 4, 3, 1
parent = os.getpid()
callbacks = in_parent = 0       # the self-check's counts (one thread updates them)


def task(index, is_map=False):
    kind = "map item" if is_map else "task"
    say(f"worker {os.getpid():<6}  {kind} {index}  start")
    pace(0.3)
    if not is_map and index == FAILING:
        say(f"worker {os.getpid():<6}  {kind} {index}  end    (failed)")
        raise ValueError(f"no input for task {index}")
    say(f"worker {os.getpid():<6}  {kind} {index}  end    -> {index * index}")
    return index * index


def item(index):
    return task(index, True)


def counted():
    global callbacks, in_parent
    callbacks += 1
    in_parent += os.getpid() == parent
    return f"({threading.current_thread().name})"


def done(index, value):                 # callback=, with the index bound by partial
    where = counted()
    say(f"parent {os.getpid():<6}  callback        task {index} -> {value}  {where}")
    if index == SLOW:
        say(f"parent {os.getpid():<6}  callback        task {index} is slow: 1 s, "
            "and the other results wait")
        pace(1.0)


def failed(err):                        # error_callback=: the task's exception, alone
    where = counted()
    say(f"parent {os.getpid():<6}  error_callback  {type(err).__name__}: {err}  {where}")


def map_done(values):                   # map_async's callback=: the whole list
    where = counted()
    say(f"parent {os.getpid():<6}  map callback    {values}  {where}")


def main():
    parser = argparse.ArgumentParser(description="where and when Pool callbacks run")
    parser.add_argument("-n", dest="workers", type=int_in(1, 64), default=2, metavar="WORKERS",
                        help="worker processes in the pool (default %(default)s)")
    args = parse_args(parser)
    me = os.getpid()

    pool = multiprocessing.Pool(args.workers)
    say(f"parent {me:<6}  Pool({args.workers}): {TASKS} tasks with callbacks "
        f"(task {FAILING} fails), {ITEMS} map items")
    handles = [pool.apply_async(task, (i,), callback=functools.partial(done, i),
                                error_callback=failed)
               for i in range(TASKS)]
    pool.map_async(item, range(ITEMS), callback=map_done)
    say(f"parent {me:<6}  busy elsewhere for 1 s: the callbacks run meanwhile, "
        "in another thread")
    pace(1.0)
    say(f"parent {me:<6}  get(task 0)")
    handles[0].get()
    say(f"parent {me:<6}  close(), join(): join waits for the result handler too")
    pool.close()
    pool.join()
    by_join = callbacks
    say(f"parent {me:<6}  join() returned None: every callback has run, {by_join} in all")
    ok = by_join == TASKS + 1 and in_parent == by_join
    say(f"parent {me:<6}  self-check: {TASKS + 1} callbacks, all in the parent {me}, "
        f"before join() returned: {'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
