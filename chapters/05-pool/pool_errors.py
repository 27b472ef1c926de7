"""pool_errors.py - when a task fails, or its worker dies: what Python's Pool does.

The C twin is pool_errors.c. The same three parts, and where Python's Pool
differs, this program says so instead of hanging:
1. A task that raises: get() re-raises its exception. A task whose worker
   dies (SIGKILL, os._exit) never gets a result: get() would wait forever,
   so we give up after a few seconds, and leave the pool with terminate()
   (join() would wait forever too).
2. A task that fails and whose result nobody fetches: join() says nothing.
3. terminate() while a task runs and another waits: get() would wait
   forever for both.
Usage: python3 pool_errors.py [-n WORKERS]
"""
import argparse
import multiprocessing
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, parse_args, say  # noqa: E402

TASKS = 8
GIVE_UP = 3.0       # seconds: a lost task never answers, however long we wait


def task(i):
    say(f"worker {os.getpid():<6}  task {i}  start")
    if i == 3:
        with open(f"/nonexistent/input-{i}"):     # raises FileNotFoundError
            pass
    if i == 5:
        os.kill(os.getpid(), signal.SIGKILL)    # the worker dies mid-task
    if i == 6:
        os._exit(3)                             # a task that ends its process
    return i * i


def init(started_event, go_event):
    """Pool(initializer=...): hands the Events to each worker as it starts.
    (An Event, like a Queue, cannot travel as a task's argument.)"""
    global started, go
    started, go = started_event, go_event


def wait_forever():
    say(f"worker {os.getpid():<6}  long task  start (it waits for a go that never comes)")
    started.set()
    go.wait()


def main():
    parser = argparse.ArgumentParser(description="failing tasks and dying workers in a Pool")
    parser.add_argument("-n", dest="workers", type=int_in(1, 64), default=2, metavar="WORKERS",
                        help="worker processes in the pool (default %(default)s)")
    args = parse_args(parser)
    me = os.getpid()
    ok = True

    say(f"--- 1. Pool({args.workers}), {TASKS} tasks: task 3 fails, task 5's worker is killed, "
        "task 6's worker exits")
    # Python's Pool replaces a dead worker from one of its own threads: under
    # fork, that is a fork() in a process with threads, which 3.12 and later
    # warn about (DeprecationWarning; chapter 13, fork_threads, shows why).
    # This pool's workers die, so it forks them from a fork server instead.
    with multiprocessing.get_context("forkserver").Pool(args.workers) as pool:
        handles = [pool.apply_async(task, (i,)) for i in range(TASKS)]
        good = failed = lost = 0
        deadline = time.monotonic() + GIVE_UP
        for i, handle in enumerate(handles):
            try:
                value = handle.get(timeout=max(deadline - time.monotonic(), 0.5))
                say(f"parent {me:<6}  task {i}  result {value} (expected {i * i})")
                good += value == i * i
            except multiprocessing.TimeoutError:
                say(f"parent {me:<6}  task {i}  LOST: no result after {GIVE_UP:g} s; its worker "
                    "died and Python's Pool never says so")
                lost += 1
            except Exception as err:            # get() re-raises the task's exception
                # An OSError's text repeats its errno and class: its file is enough.
                detail = getattr(err, "filename", None) or err
                say(f"parent {me:<6}  task {i}  FAILED: {type(err).__name__}: {detail}")
                failed += 1
        # close() + join() would wait forever for the lost tasks: leaving
        # the with-block calls terminate() instead.
    say(f"parent {me:<6}  {TASKS} tasks: {good} results, {failed} failed, {lost} lost")
    say(f"parent {me:<6}  Python replaced the dead workers without a word; terminate(), not join()")
    ok = ok and good == TASKS - 3 and failed == 1 and lost == 2

    say("--- 2. a task fails and nobody fetches its result")
    pool = multiprocessing.Pool(1)
    pool.apply_async(task, (3,))                # the handle is dropped, unread
    pool.close()
    returned = pool.join()
    say(f"parent {me:<6}  join() returned {returned}: the error is lost without a word")

    say("--- 3. terminate() while a task runs and another waits")
    started_event, go_event = multiprocessing.Event(), multiprocessing.Event()
    pool = multiprocessing.Pool(1, initializer=init, initargs=(started_event, go_event))
    running = pool.apply_async(wait_forever)
    waiting = pool.apply_async(wait_forever)
    started_event.wait()                        # it really runs (a wait, not a sleep)
    pool.terminate()
    pool.join()
    say(f"parent {me:<6}  terminate(): SIGTERM to the worker, which is reaped")
    for name, handle in (("long task", running), ("next task", waiting)):
        try:
            handle.get(timeout=0.5)
            say(f"parent {me:<6}  {name}  finished?")
            ok = False
        except multiprocessing.TimeoutError:
            say(f"parent {me:<6}  {name}  no result: get() would wait forever")

    say(f"parent {me:<6}  self-check: the others done, no hang, {lost} lost as Python's Pool "
        f"loses them: {'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    # fork, as the C program does (Linux's default only up to Python 3.13),
    # except for part 1's pool, whose workers are replaced (see there)
    multiprocessing.set_start_method("fork")
    main()
