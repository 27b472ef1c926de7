"""pool_apply.py - apply() blocks; apply_async() returns at once.

The C twin is pool_apply.c (same options, same lines). Part 3's task waits
for an Event handed to each worker by Pool(initializer=...): an Event, like
a Queue, cannot travel as a task's argument. (The C program uses a pipe
made before the pool, which every worker inherits.)
Usage: python3 pool_apply.py [-n WORKERS] [-c TASKS]
Racy: the order of the workers' lines in part 2.
"""
import argparse
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, pace_factor, parse_args, say  # noqa: E402

SECONDS = 0.5


def task(index, kind):
    say(f"worker {os.getpid():<6}  {kind} task {index}  start")
    pace(SECONDS)
    value = 10 * index
    say(f"worker {os.getpid():<6}  {kind} task {index}  end    -> {value}")
    return value


def init(event):
    global go
    go = event


def wait_for_go():
    say(f"worker {os.getpid():<6}  slow task  start (waits for the parent's go)")
    go.wait()
    say(f"worker {os.getpid():<6}  slow task  end    -> 42")
    return 42


def main():
    parser = argparse.ArgumentParser(description="apply blocks, apply_async does not")
    parser.add_argument("-n", dest="workers", type=int_in(1, 64), default=3, metavar="WORKERS",
                        help="worker processes in the pool (default %(default)s)")
    parser.add_argument("-c", dest="tasks", type=int_in(1, 100), default=3, metavar="TASKS",
                        help="tasks run by each of apply and apply_async (default %(default)s)")
    args = parse_args(parser)
    me = os.getpid()
    ok = True

    go_event = multiprocessing.Event()
    with multiprocessing.Pool(args.workers, initializer=init, initargs=(go_event,)) as pool:
        say("--- 1. apply(): blocks until the result is back")
        t0 = time.monotonic()
        for i in range(args.tasks):
            t = time.monotonic()
            value = pool.apply(task, (i, "apply"))
            took = time.monotonic() - t
            say(f"parent {me:<6}  apply(task {i}) returned {value} after {took:.2f} s")
            ok = ok and value == 10 * i
        say(f"parent {me:<6}  {args.tasks} tasks with apply() took {time.monotonic() - t0:.2f} s: "
            "one after the other")

        say("--- 2. apply_async(): returns a handle at once")
        t0 = time.monotonic()
        handles = []
        for i in range(args.tasks):
            handles.append(pool.apply_async(task, (i, "async")))
            say(f"parent {me:<6}  apply_async(task {i}) returned a handle after "
                f"{time.monotonic() - t0:.2f} s")
        for i, handle in enumerate(handles):
            value = handle.get()
            say(f"parent {me:<6}  get() of task {i} -> {value}")
            ok = ok and value == 10 * i
        say(f"parent {me:<6}  {args.tasks} tasks with apply_async() took "
            f"{time.monotonic() - t0:.2f} s: side by side, {args.workers} workers")

        say("--- 3. get(timeout) and ready()")
        slow = pool.apply_async(wait_for_go)
        ready = slow.ready()
        say(f"parent {me:<6}  ready() -> {'true' if ready else 'false'}")
        timeout = 0.5 * pace_factor()
        try:
            slow.get(timeout=timeout)
            got = "a result?"
        except multiprocessing.TimeoutError:
            got = "timed out: the task still runs"
        say(f"parent {me:<6}  get(timeout={timeout:.2f} s) -> {got}")
        ok = ok and not ready and got.startswith("timed out")
        say(f"parent {me:<6}  go!")
        go_event.set()
        value = slow.get()
        ready = slow.ready()
        say(f"parent {me:<6}  get() -> {value}; ready() -> {'true' if ready else 'false'}")
        ok = ok and value == 42 and ready
        pool.close()
        pool.join()

    say(f"parent {me:<6}  self-check: apply()'s and get()'s values, the timeout and ready() "
        f"as expected: {'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
