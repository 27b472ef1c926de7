"""lock_counter.py - a counter in shared memory: updates are lost without a
lock, and the total is exact with one.

The C twin is lock_counter.c. Usage: python3 lock_counter.py [-n WORKERS] [-c COUNT] [-u]
`counter.value += 1` is a load, an add and a store: two processes that load
the same value both store value + 1. Value(..., lock=False) is the bare
shared memory, so that the Lock here is the only one. Racy: how many updates
are lost without the lock (-u); it may be none.
"""
import argparse
import multiprocessing
import os
import sys
from multiprocessing import Event, Lock, Process, Value

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, join_all, parse_args  # noqa: E402


def add(counter, lock, count, locked, gate):
    gate.wait()                 # start together, or nothing would ever collide
    if locked:
        for _ in range(count):
            with lock:
                counter.value += 1
    else:
        for _ in range(count):
            counter.value += 1


def main():
    parser = argparse.ArgumentParser(description="lost updates without a lock")
    parser.add_argument("-n", dest="procs", type=int_in(1, 64), default=4, metavar="WORKERS",
                        help="processes that add to the counter (default %(default)s)")
    parser.add_argument("-c", dest="count", type=int_in(1, 10000000), default=1000000,
                        metavar="COUNT", help="increments by each process (default %(default)s)")
    parser.add_argument("-u", dest="locked", action="store_false",
                        help="unlocked: let the updates race")
    args = parse_args(parser)
    me = f"{'main':8} ({os.getpid()})"
    expected = args.procs * args.count

    counter = Value("l", 0, lock=False)     # a C long in shared memory, no lock of its own
    lock = Lock()
    gate = Event()
    how = "holding the lock" if args.locked else "WITHOUT the lock (-u)"
    print(f"{me}: {args.procs} processes add 1 to a shared counter {args.count} times each, {how}",
          flush=True)
    workers = [Process(target=add, args=(counter, lock, args.count, args.locked, gate))
               for _ in range(args.procs)]
    for w in workers:
        w.start()
    gate.set()
    if join_all(workers):
        sys.exit("lock_counter.py: a worker failed: the others were stopped and joined")

    print(f"{me}: counter = {counter.value} (expected {expected})", flush=True)
    if counter.value == expected:
        print(f"{me}: exact{': no update lost' if args.locked else ' this time, but only by luck'}",
              flush=True)
    elif args.locked:
        sys.exit(f"lock_counter.py: {expected - counter.value} updates lost WITH the lock: "
                 "the lock is broken")
    else:
        print(f"{me}: {expected - counter.value} updates lost", flush=True)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
