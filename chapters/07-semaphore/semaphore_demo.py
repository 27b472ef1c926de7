"""semaphore_demo.py - Semaphore(2): at most two workers inside at once.

The C twin is semaphore_demo.c.
Usage: python3 semaphore_demo.py [-n WORKERS] [-s SLOTS] [-m named|unnamed]
Each worker says "acquire" once it is in and "release" just before it
leaves, so the acquires minus the releases, at any point of the output, is
the number inside: never more than SLOTS. Python's Semaphore is a named
POSIX semaphore; under the fork start method its name is unlinked as soon
as it is created, so nothing is left behind, whatever happens (the C
program's -m named keeps the name while it runs, so that you can see it).
Python has only named ones: -m takes unnamed, as the C program does, only to
refuse it.
Racy: which workers get in first.
"""
import argparse
import multiprocessing
import os
import sys
from multiprocessing import Process, Semaphore, Value

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, parse_args, say  # noqa: E402


def worker(n, sem, inside, most):
    me = f"{'Process-' + str(n):10} ({os.getpid()})"
    with sem:                           # s.acquire() ... s.release()
        with inside.get_lock():         # the self-check's own small lock
            inside.value += 1
            most.value = max(most.value, inside.value)
        say(f"{me}: acquire")
        pace(0.5 * n)                   # the work; the tutorial sleeps n * 2 s
        with inside.get_lock():
            inside.value -= 1
        say(f"{me}: release")


def main():
    parser = argparse.ArgumentParser(description="at most SLOTS workers inside at once")
    parser.add_argument("-n", dest="workers", type=int_in(1, 64), default=5, metavar="WORKERS",
                        help="worker processes (default %(default)s)")
    parser.add_argument("-s", dest="slots", type=int_in(1, 64), default=2, metavar="SLOTS",
                        help="how many workers may be inside at once (default %(default)s)")
    parser.add_argument("-m", dest="kind", choices=("named", "unnamed"), default="named",
                        metavar="named|unnamed", help="sem_open() with a name, or sem_init() "
                        "in shared memory (default %(default)s)")
    args = parse_args(parser)
    if args.kind == "unnamed":
        parser.error("-m unnamed: Python has only named semaphores (sem_open)")
    me = f"{'main':10} ({os.getpid()})"

    sem = Semaphore(args.slots)
    inside, most = Value("i", 0), Value("i", 0)
    say(f"{me}: named semaphore created with value {args.slots}")
    say(f"{me}: its name is gone already: under fork, Python unlinks it at once")
    workers = [Process(target=worker, args=(n, sem, inside, most))
               for n in range(1, args.workers + 1)]
    for w in workers:
        w.start()
    failed = 0
    for w in workers:
        w.join()
        failed += w.exitcode != 0
    if failed:
        sys.exit(f"semaphore_demo.py: {failed} workers failed")
    say(f"{me}: most workers inside at once: {most.value} (the limit is {args.slots})")
    if most.value > args.slots:
        sys.exit("semaphore_demo.py: more workers inside than the semaphore allows")


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
