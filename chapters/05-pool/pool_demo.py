"""pool_demo.py - a Pool of 4 workers runs 10 tasks: the others wait.

The C twin is pool_demo.c (same options, same lines).
Usage: python3 pool_demo.py [-n WORKERS] [-c TASKS]
Racy: which worker runs which task, and the order of different workers' lines.
"""
import argparse
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, parse_args, say  # noqa: E402


def task(index, given, seconds):
    """Runs in a worker: os.getpid() is the worker's pid."""
    pid = os.getpid()
    started = time.monotonic()      # CLOCK_MONOTONIC: one clock for every process
    say(f"worker {pid:<6}  task {index:2d}  start  (waited {started - given:.2f} s)")
    pace(seconds)
    value = index * index
    ended = time.monotonic()
    say(f"worker {pid:<6}  task {index:2d}  end    (ran {ended - started:.2f} s) -> {value}")
    return index, value, pid, started, ended


def max_running(answers):
    most = 0
    for _, _, _, start, _ in answers:
        running = sum(1 for _, _, _, s, e in answers if s <= start < e)
        most = max(most, running)
    return most


def main():
    parser = argparse.ArgumentParser(description="a Pool runs more tasks than it has workers")
    parser.add_argument("-n", dest="workers", type=int_in(1, 64), default=4, metavar="WORKERS",
                        help="worker processes in the pool (default %(default)s)")
    parser.add_argument("-c", dest="tasks", type=int_in(1, 1000), default=10, metavar="TASKS",
                        help="tasks handed to the pool with apply_async (default %(default)s)")
    args = parse_args(parser)
    me = os.getpid()

    began = time.monotonic()
    with multiprocessing.Pool(args.workers) as pool:
        # Pool() has started every worker already: they are our children now.
        workers = [child.pid for child in multiprocessing.active_children()]
        say(f"parent {me:<6}  Pool({args.workers}) started its workers up front: "
            + " ".join(str(pid) for pid in workers))
        handles = []
        for i in range(args.tasks):
            seconds = 0.3 + 0.7 * ((i * 7 + 3) % 10) / 10.0
            handles.append(pool.apply_async(task, (i, time.monotonic(), seconds)))
        say(f"parent {me:<6}  gave {args.tasks} tasks with apply_async: "
            f"at most {args.workers} run at once, the others wait")

        ok = True
        answers = []
        for i, handle in enumerate(handles):
            try:
                answer = handle.get()       # the value, not the handle
            except Exception as err:        # get() re-raises the task's error
                say(f"parent {me:<6}  task {i:2d}  FAILED: {err}")
                ok = False
                continue
            answers.append(answer)
            right = answer[0] == i and answer[1] == i * i
            say(f"parent {me:<6}  task {i:2d}  result {answer[1]:3d} (expected {i * i})"
                + ("" if right else "  WRONG"))
            ok = ok and right
        # Which tasks each worker ran: the same few processes, reused.
        for pid in workers:
            mine = "".join(f" {a[0]}" for a in answers if a[2] == pid)
            say(f"parent {me:<6}  worker {pid} ran tasks:{mine or ' none'}")
        pool.close()                # no more tasks...
        pool.join()                 # ...then wait for the workers to end
    busy = sum(e - s for _, _, _, s, e in answers)
    say(f"parent {me:<6}  close() and join(): the workers have ended; "
        f"{busy:.2f} s of tasks took {time.monotonic() - began:.2f} s")
    most = max_running(answers)
    good = ok and most <= args.workers
    say(f"parent {me:<6}  self-check: {args.tasks} tasks, each result back once and matching "
        f"its task: {'OK' if ok else 'FAILED'}")
    say(f"parent {me:<6}  self-check: at most {most} ran at once (limit {args.workers}): "
        f"{'OK' if most <= args.workers else 'FAILED'}")
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
