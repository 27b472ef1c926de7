"""pool_imap.py - imap and imap_unordered: results as they come, with a window.

The C twin is pool_imap.c (same options, same lines). imap() yields in task
order, so a slow first task holds back the results behind it;
imap_unordered() yields in completion order. Task 0 takes five times as
long as the others. Python's imap takes its input as fast as its
task-handler thread can hand it to the workers' pipe, whether or not the
results are taken (they pile up in the parent): here the input is a
generator that waits on a semaphore, so that at most a window of tasks is
outstanding, as in C.
Usage: python3 pool_imap.py [-n WORKERS] [-c TASKS] [-s SLOTS] [-m both|imap|unordered]
"""
import argparse
import multiprocessing
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, parse_args, say  # noqa: E402


def task(job):
    index, seconds = job
    say(f"worker {os.getpid():<6}  task {index:2d}  start ({seconds:.1f} s)")
    pace(seconds)
    ready = time.monotonic()        # CLOCK_MONOTONIC: one clock in every process
    say(f"worker {os.getpid():<6}  task {index:2d}  done")
    return index, index * index, ready


def windowed(tasks, window, stopping):
    """The input, one task at a time, each only once the window has room.
    It runs in the Pool's task-handler thread, not in the caller's."""
    for i in range(tasks):
        window.acquire()            # released when a result is taken
        if stopping.is_set():
            return
        yield i, 1.0 if i == 0 else 0.2     # the first task is the slow one


def run(pool, ordered, tasks, slots):
    name = "imap" if ordered else "imap_unordered"
    window, stopping = threading.Semaphore(slots), threading.Event()
    began = time.monotonic()
    wrong, taken, waited = 0, 0, 0.0
    imap = pool.imap if ordered else pool.imap_unordered
    try:
        for index, value, ready in imap(task, windowed(tasks, window, stopping)):  # chunksize 1
            now = time.monotonic() - began
            say(f"parent {os.getpid():<6}  {name:<14}  task {index:2d} -> {value:3d}  "
                f"at {now:.2f} s (ready at {ready - began:.2f} s)")
            wrong += value != index * index or (ordered and index != taken)
            waited += now - (ready - began)
            taken += 1
            window.release()        # room for one more task
    finally:                        # (an exception: let the generator end)
        stopping.set()
        for _ in range(slots):
            window.release()
    order = "task" if ordered else "completion"
    say(f"parent {os.getpid():<6}  {name}: {tasks} results in {order} order in "
        f"{time.monotonic() - began:.2f} s; held back {waited:.2f} s")
    return wrong


def main():
    parser = argparse.ArgumentParser(description="imap and imap_unordered, with a window")
    parser.add_argument("-n", dest="workers", type=int_in(1, 64), default=3, metavar="WORKERS",
                        help="worker processes in the pool (default %(default)s)")
    parser.add_argument("-c", dest="tasks", type=int_in(1, 1000000), default=10, metavar="TASKS",
                        help="tasks, task 0 five times as long as the others (default %(default)s)")
    parser.add_argument("-s", dest="slots", type=int_in(1, 1000), default=6, metavar="SLOTS",
                        help="tasks outstanding at most: the window (default %(default)s)")
    parser.add_argument("-m", dest="mode", choices=("both", "imap", "unordered"), default="both",
                        metavar="both|imap|unordered", help="which to run (default %(default)s)")
    args = parse_args(parser)
    me = os.getpid()
    with multiprocessing.Pool(args.workers) as pool:
        say(f"parent {me:<6}  Pool({args.workers}), {args.tasks} tasks (task 0: 1.0 s, "
            f"the others 0.2 s), at most {args.slots} outstanding")
        wrong = 0
        if args.mode != "unordered":
            wrong += run(pool, True, args.tasks, args.slots)
        if args.mode != "imap":
            wrong += run(pool, False, args.tasks, args.slots)
        pool.close()
        pool.join()
    imap_order = ", imap's in task order" if args.mode != "unordered" else ""
    say(f"parent {me:<6}  self-check: every result once, matching its task{imap_order}: "
        f"{'OK' if wrong == 0 else 'FAILED'}")
    sys.exit(0 if wrong == 0 else 1)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
