"""pool_interrupt.py - Ctrl-C while a Pool works: stop cleanly, say what was done.

The C twin is pool_interrupt.c (same options, same lines where Python can
say the same). Ctrl-C sends SIGINT to the whole foreground process group,
workers included. The clean design (default): an initializer makes every
worker ignore SIGINT, so only the parent gets KeyboardInterrupt; it calls
terminate(), lists the tasks whose results it has, and dies of SIGINT (130).
With -m naive (no initializer) each worker also gets KeyboardInterrupt in
the middle of its task, and prints a traceback of its own (bpo-8296).
Usage: python3 pool_interrupt.py [-n WORKERS] [-c TASKS] [-t SECONDS] [-m clean|naive]
"""
import argparse
import multiprocessing
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import float_in, int_in, pace, parse_args, say  # noqa: E402

PARENT = os.getpid()
GIVE_UP = 3.0       # seconds for terminate(): the naive pool may hang in it


class Stopped(Exception):
    """SIGTERM arrived in the parent (SIGINT is KeyboardInterrupt)."""


def on_term(signum, frame):
    """The parent's SIGTERM handler. A worker inherits it (fork): there, do
    what the default does, die of it, or terminate() would wait for ever."""
    if os.getpid() != PARENT:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    raise Stopped(signum)


def ignore_sigint():
    """The initializer: runs in each worker as it starts. Ctrl-C is then
    the parent's business alone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def terminate_bounded(pool):
    """pool.terminate() and join(), given GIVE_UP seconds. In the naive
    design they may never return: a worker that Ctrl-C killed in the wrong
    place left the Pool's shared task queue locked (bpo-8296). Then kill
    the workers, reap them, and go on: the demo must end."""
    stuck = threading.Thread(target=lambda: (pool.terminate(), pool.join()), daemon=True)
    stuck.start()
    stuck.join(GIVE_UP)
    if not stuck.is_alive():
        return True
    for child in multiprocessing.active_children():     # the workers still there
        child.kill()
        child.join()
    return False


def task(i, seconds):
    say(f"worker {os.getpid():<6}  task {i}  start")
    pace(seconds)               # the work: slow enough to press Ctrl-C
    # Before the result goes back: a finished task has printed this line.
    say(f"worker {os.getpid():<6}  task {i}  done -> {i * i}")
    return i * i


def main():
    parser = argparse.ArgumentParser(description="Ctrl-C while a Pool works")
    parser.add_argument("-n", dest="workers", type=int_in(1, 64), default=3, metavar="WORKERS",
                        help="worker processes in the pool (default %(default)s)")
    parser.add_argument("-c", dest="tasks", type=int_in(1, 1000), default=9, metavar="TASKS",
                        help="tasks handed to the pool (default %(default)s)")
    parser.add_argument("-t", dest="seconds", type=float_in(0, 3600), default=1.0,
                        metavar="SECONDS", help="how long each task works, times WORKBOOK_PACE "
                        "(default 1)")
    parser.add_argument("-m", dest="mode", choices=("clean", "naive"), default="clean",
                        metavar="clean|naive", help="workers ignore SIGINT, or keep its default "
                        "(default %(default)s)")
    args = parse_args(parser)
    me = os.getpid()
    # KeyboardInterrupt even when started with SIGINT ignored (as `cmd &`
    # in a script is): the C program installs its handler in any case.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, on_term)

    pool, handles, sig = None, [], 0
    try:
        pool = multiprocessing.Pool(args.workers, initializer=ignore_sigint if args.mode == "clean" else None)
        how = "ignore SIGINT (initializer)" if args.mode == "clean" \
            else "keep SIGINT's default (naive)"
        say(f"parent {me:<6}  Pool({args.workers}), {args.tasks} tasks; workers {how}; "
            "press Ctrl-C while they run")
        handles = [pool.apply_async(task, (i, args.seconds)) for i in range(args.tasks)]
        for h in handles:
            h.wait()            # a signal interrupts the wait: KeyboardInterrupt
    except KeyboardInterrupt:
        sig = signal.SIGINT
    except Stopped:
        sig = signal.SIGTERM
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # the way out is not interrupted
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    done = [i for i, h in enumerate(handles) if h.ready() and h.successful()]
    if sig == 0:
        pool.close()
        pool.join()
        failed = [i for i in range(args.tasks) if i not in done]
        say(f"parent {me:<6}  no Ctrl-C: finished: {' '.join(map(str, done)) or 'none'}")
        say(f"parent {me:<6}  failed: {' '.join(map(str, failed)) or 'none'}; join() returned None")
        sys.exit(0 if not failed else 1)

    name = signal.Signals(sig).name
    if pool is not None and not terminate_bounded(pool):
        say(f"parent {me:<6}  got {name}; terminate() HANGS: no return after {GIVE_UP:g} s "
            "(bpo-8296)")
        say(f"parent {me:<6}  so the workers were sent SIGKILL instead, and reaped")
    else:
        say(f"parent {me:<6}  got {name}; terminate(): no more tasks, SIGTERM to the workers, "
            "all reaped")
    done = [i for i, h in enumerate(handles) if h.ready() and h.successful()]
    say(f"parent {me:<6}  finished (result in hand): {' '.join(map(str, done)) or 'none'}")
    say(f"parent {me:<6}  not finished: {args.tasks - len(done)} tasks; Python's Pool cannot "
        "tell running from waiting")
    say(f"parent {me:<6}  all workers reaped; now dying of {name}, as the shell expects "
        f"({128 + sig})")
    signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
