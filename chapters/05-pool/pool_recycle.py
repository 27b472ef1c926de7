"""pool_recycle.py - maxtasksperchild and initializer: a worker that grows is
replaced after N tasks, and each new worker runs the initializer again.

The C twin is pool_recycle.c (same options, same lines). Each task adds a
block to a module-level cache that it never empties; each worker has its
own. maxtasksperchild=3 ends a worker after its third task, and the pool
starts a fresh one, which runs the initializer again.
Usage: python3 pool_recycle.py [-n WORKERS] [-c TASKS] [-r MAXTASKS]
Racy: which worker runs which task, and so how many replacements.
"""
import argparse
import multiprocessing
import os
import queue
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, parse_args, say  # noqa: E402

# The worker's globals: each worker process has its own.
block_size = 0                  # set by the initializer
cache = bytearray()             # grows with every task, never emptied
tasks_here = 0
started = None                  # the initializer's queue to the parent


def init(block_kib, started_queue):
    """Pool(initializer=init, initargs=(256, queue)): runs in each worker as it
    starts, before its first task. initargs travel pickled (a Queue may: it
    goes as the worker starts, not as a task's argument)."""
    global block_size, started
    block_size, started = block_kib * 1024, started_queue
    say(f"worker {os.getpid():<6}  initializer({block_kib}): a fresh worker, its cache empty")
    started.put(os.getpid())    # so the parent can count every worker started


def task(index):
    global tasks_here
    cache.extend(bytes([index % 256]) * block_size)     # the leak: kept for ever
    tasks_here += 1
    pid, kib = os.getpid(), len(cache) // 1024
    say(f"worker {pid:<6}  task {index:2d}  (its task {tasks_here})  cache now {kib} KiB")
    pace(0.2)
    return index, tasks_here, pid, kib


def main():
    parser = argparse.ArgumentParser(description="maxtasksperchild and initializer")
    parser.add_argument("-n", dest="workers", type=int_in(1, 64), default=2, metavar="WORKERS",
                        help="worker processes in the pool (default %(default)s)")
    parser.add_argument("-c", dest="tasks", type=int_in(1, 1000), default=10, metavar="TASKS",
                        help="tasks handed to the pool (default %(default)s)")
    parser.add_argument("-r", dest="maxtasks", type=int_in(0, 1000), default=3,
                        metavar="MAXTASKS",
                        help="tasks a worker runs before it is replaced, 0 for never "
                             "(default %(default)s)")
    args = parse_args(parser)
    me, block_kib = os.getpid(), 256

    # The pool replaces its workers from one of its threads: under fork,
    # that is a fork() in a process with threads, which 3.12 and later warn
    # about (chapter 13, fork_threads, shows why). So these workers come
    # from a fork server, which is not a thread's fork (pool_errors.py too).
    ctx = multiprocessing.get_context("forkserver")
    started_queue = ctx.Queue()
    say(f"parent {me:<6}  Pool({args.workers}, maxtasksperchild={args.maxtasks or None}): "
        f"each worker adds {block_kib} KiB to its cache per task")
    pool = ctx.Pool(args.workers, initializer=init, initargs=(block_kib, started_queue),
                    maxtasksperchild=args.maxtasks or None)
    handles = [pool.apply_async(task, (i,)) for i in range(args.tasks)]
    answers, failed = [], 0
    for i, handle in enumerate(handles):
        try:
            answers.append(handle.get())
        except Exception as err:        # get() re-raises the task's error
            say(f"parent {me:<6}  task {i:2d}  FAILED: {err}")
            failed += 1
    pool.close()
    pool.join()                         # stops and joins the workers left

    # Every worker started put its pid in the queue, up front and in place of
    # others. They have all ended, and a process flushes its queue before it
    # ends: every pid is in the pipe now, and get() without waiting finds it.
    workers = []
    while True:
        try:
            workers.append(started_queue.get(block=False))
        except queue.Empty:
            break
    pids, reaped = list(dict.fromkeys(a[2] for a in answers)), 0
    for pid in pids:
        mine = [a[0] for a in answers if a[2] == pid]
        try:
            os.kill(pid, 0)             # still there?
            gone = False
        except ProcessLookupError:      # reaped (by the fork server: its child)
            gone = True
        reaped += gone
        say(f"parent {me:<6}  worker {pid} ran {len(mine)} task{'' if len(mine) == 1 else 's'}:"
            + "".join(f" {i}" for i in mine) + ("; reaped" if gone else "; NOT REAPED"))
    say(f"parent {me:<6}  workers started: {args.workers} up front + "
        f"{len(workers) - args.workers} in place of others = {len(workers)}")
    largest = max((a[3] for a in answers), default=0)
    blocks = largest // block_kib
    say(f"parent {me:<6}  largest cache: {largest} KiB ({blocks} block{'' if blocks == 1 else 's'})")
    over = sum(1 for a in answers if args.maxtasks and a[1] > args.maxtasks)
    ok = (failed == 0 and over == 0 and reaped == len(pids)
          and (args.maxtasks == 0 or largest <= args.maxtasks * block_kib))
    limit = f"none over {args.maxtasks} on a worker" if args.maxtasks else "no limit"
    say(f"parent {me:<6}  self-check: {args.tasks} tasks once each; {limit}; "
        f"every worker reaped: {'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
