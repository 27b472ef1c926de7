"""barrier_demo.py - a Barrier: no process passes until all have arrived.

The C twin is barrier_demo.c. Usage: python3 barrier_demo.py [-n WORKERS] [-c ROUNDS]
Each worker says "arrived" before it waits, so in every round the last
"arrived" line is written before anyone passes. wait() returns a different
number from 0 to WORKERS - 1 to each process; the one that gets 0 is the
chosen one. Racy: the order of the "passed" lines, and who is chosen.
"""
import argparse
import multiprocessing
import os
import sys
from multiprocessing import Barrier, Process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, join_all, pace, parse_args, say  # noqa: E402


def worker(barrier, n, rounds):
    me = f"{'worker ' + str(n):10} ({os.getpid()})"
    for r in range(1, rounds + 1):
        pace(0.3 * n)                   # the work: longer for higher n
        say(f"{me}: round {r}: arrived")      # before waiting
        chosen = barrier.wait() == 0
        say(f"{me}: round {r}: passed{' (chosen)' if chosen else ''}")


def main():
    parser = argparse.ArgumentParser(description="nobody passes until all have arrived")
    parser.add_argument("-n", dest="workers", type=int_in(1, 16), default=3, metavar="WORKERS",
                        help="processes that meet at the barrier (default %(default)s)")
    parser.add_argument("-c", dest="rounds", type=int_in(1, 100), default=2, metavar="ROUNDS",
                        help="rounds: work, then wait at the barrier (default %(default)s)")
    args = parse_args(parser)
    me = f"{'main':10} ({os.getpid()})"

    barrier = Barrier(args.workers)
    say(f"{me}: {args.workers} workers, {args.rounds} rounds; "
        "none passes a round until all have arrived")
    workers = [Process(target=worker, args=(barrier, n, args.rounds))
               for n in range(1, args.workers + 1)]
    for w in workers:
        w.start()
    if join_all(workers):
        sys.exit("barrier_demo.py: a worker failed: the others were stopped and joined")
    say(f"{me}: all {args.workers} workers finished {args.rounds} rounds")


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
