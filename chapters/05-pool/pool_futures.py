"""pool_futures.py - concurrent.futures: submit, as_completed, wait, and an
executor that a dying worker breaks.

The C twin is pool_futures.c (same parts, same lines). 1. submit() 6 tasks
of mixed lengths; as_completed() yields each future as it finishes. 2.
wait(FIRST_COMPLETED) on a quick task and two that wait for the parent's
go: it returns the quick one alone. 3. A task kills its own worker: the
executor is broken, every future not yet done fails with BrokenProcessPool,
and submit() is refused. (multiprocessing.Pool would wait for ever for the
lost task: pool_errors.py.)
Usage: python3 pool_futures.py [-n WORKERS]
"""
import argparse
import multiprocessing
import os
import signal
import sys
from concurrent.futures import (ALL_COMPLETED, FIRST_COMPLETED, ProcessPoolExecutor,
                                as_completed, wait)
from concurrent.futures.process import BrokenProcessPool

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, parse_args, say  # noqa: E402

WORK, WAIT_FOR_GO, KILL_WORKER = range(3)


def init(go_event, die_event):
    """initializer: hands the parent's Events to each worker as it starts."""
    global go, die
    go, die = go_event, die_event


def task(id_, kind, seconds):
    if kind == KILL_WORKER:         # once every task is submitted
        say(f"worker {os.getpid():<6}  task {id_}  start: kills its worker (SIGKILL) at the "
            "parent's word")
        die.wait()
        os.kill(os.getpid(), signal.SIGKILL)
    say(f"worker {os.getpid():<6}  task {id_}  start"
        + (": waits for the parent's go" if kind == WAIT_FOR_GO else ""))
    if kind == WAIT_FOR_GO:
        go.wait()
    pace(seconds)
    say(f"worker {os.getpid():<6}  task {id_}  done")
    return id_ * id_


def report(me, fs):
    """as_completed(): each future as it finishes."""
    for f in as_completed(fs):
        try:
            say(f"parent {me:<6}  as_completed: task {fs[f]} -> {f.result()}")
        except BrokenProcessPool:
            say(f"parent {me:<6}  as_completed: task {fs[f]}  BrokenProcessPool: a process was "
                "terminated abruptly")


def main():
    parser = argparse.ArgumentParser(description="concurrent.futures over a pool of processes")
    parser.add_argument("-n", dest="workers", type=int_in(2, 64), default=2, metavar="WORKERS",
                        help="worker processes in each executor (default %(default)s)")
    args = parse_args(parser)
    me, ok = os.getpid(), True
    ctx = multiprocessing.get_context("fork")   # as the C program (Linux's default up to 3.13)
    go, die = ctx.Event(), ctx.Event()

    say("--- 1. submit() 6 tasks; as_completed() gives each future as it finishes")
    with ProcessPoolExecutor(args.workers, mp_context=ctx, initializer=init,
                             initargs=(go, die)) as ex:
        fs = {ex.submit(task, i, WORK, 0.2 * (3 - i % 3)): i for i in range(6)}
        report(me, fs)
        ok = ok and all(f.result() == i * i for f, i in fs.items())

    say("--- 2. wait(return_when=FIRST_COMPLETED): one quick task, two that wait for a go")
    with ProcessPoolExecutor(args.workers, mp_context=ctx, initializer=init,
                             initargs=(go, die)) as ex:
        fs = {ex.submit(task, 10, WORK, 0.2): 10}
        fs.update({ex.submit(task, i, WAIT_FOR_GO, 0.2): i for i in (11, 12)})
        for when, name in ((FIRST_COMPLETED, "FIRST_COMPLETED"), (ALL_COMPLETED, "ALL_COMPLETED")):
            done, not_done = wait(fs, return_when=when)
            done_ids = " ".join(str(i) for i in sorted(fs[f] for f in done)) or "none"
            not_done_ids = " ".join(str(i) for i in sorted(fs[f] for f in not_done)) or "none"
            say(f"parent {me:<6}  wait({name}) -> done: {done_ids}; not done: {not_done_ids}")
            if when == FIRST_COMPLETED:
                ok = ok and done_ids == "10" and not_done_ids == "11 12"
                # Said before the go is given: so it comes before their "done" lines.
                say(f"parent {me:<6}  go! then wait(ALL_COMPLETED)")
                go.set()
        ok = ok and not_done_ids == "none"
    go.clear()

    say("--- 3. a worker dies: the executor is broken, every pending future fails")
    with ProcessPoolExecutor(args.workers, mp_context=ctx, initializer=init,
                             initargs=(go, die)) as ex:
        first = {ex.submit(task, i, WORK, 0.2): i for i in (20, 21)}
        report(me, first)               # both done before anything breaks
        fs = {ex.submit(task, 22, KILL_WORKER, 0): 22}
        fs.update({ex.submit(task, i, WAIT_FOR_GO, 0.2): i for i in range(23, 23 + args.workers)})
        # (A broken executor refuses submit(): so the death waits for this word.)
        say(f"parent {me:<6}  all submitted: the word to task 22")
        die.set()
        report(me, fs)
        broken = sum(isinstance(f.exception(), BrokenProcessPool) for f in fs)
        try:
            ex.submit(task, 30, WORK, 0.2)
            refused = False
        except BrokenProcessPool:
            refused = True
        say(f"parent {me:<6}  submit() after that: "
            + ("refused: BrokenProcessPool" if refused else "accepted?"))
        say(f"parent {me:<6}  (multiprocessing.Pool, in pool_errors.py: task 22's result never "
            "comes)")
        ok = ok and all(f.result() == i * i for f, i in first.items()) and refused \
            and broken == len(fs)
    say(f"parent {me:<6}  self-check: as_completed, FIRST_COMPLETED, BrokenProcessPool as "
        f"expected: {'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
