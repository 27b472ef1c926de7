"""shared_value.py - Value('i', 0) and RawValue('i', 0): an int that the
workers share, with and without a lock of its own.

The C twin is shared_value.c.
Usage: python3 shared_value.py [-n WORKERS] [-c COUNT] [-m all|raw|value|locked|atomic]
WORKERS processes each add 1 to the shared int COUNT times, three ways:
raw (RawValue, no lock), value (Value: `v.value += 1`, whose read and whose
write each take the Value's lock, but not both at once) and locked (`with
v.get_lock(): v.value += 1`). Only locked is bound to be exact. Python has no
atomic add for a Value: -m atomic is the C program's, and refused here.
Racy: how many updates raw and value lose; they may lose none.
"""
import argparse
import multiprocessing
import os
import sys
from multiprocessing import Event, Process, RawValue, Value

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, join_all, parse_args, say  # noqa: E402

WAYS = {
    "raw": "r.value += 1           (RawValue)",
    "value": "v.value += 1           (Value)",
    "locked": "with v.get_lock(): v.value += 1",
}


def add(n, way, shared, count, gate):
    gate.wait()                 # start together, or nothing would ever collide
    if way == "raw":
        for _ in range(count):
            shared.value += 1               # read, then write: no lock at all
    elif way == "value":
        for _ in range(count):
            shared.value += 1               # read (locked), then write (locked)
    else:
        for _ in range(count):
            with shared.get_lock():         # an RLock: .value takes it again inside
                shared.value += 1
    say(f"worker {n:<4} ({os.getpid()}): {way:6} added 1, {count} times")


def run_way(way, workers, count):
    shared = RawValue("i", 0) if way == "raw" else Value("i", 0)
    gate = Event()
    procs = [Process(target=add, args=(n, way, shared, count, gate))
             for n in range(1, workers + 1)]
    for p in procs:
        p.start()
    gate.set()
    if join_all(procs):
        sys.exit("shared_value.py: a worker failed: the others were stopped and joined")
    return shared.value         # every worker joined: its writes are all here


def main():
    parser = argparse.ArgumentParser(description="lost updates on a shared Value")
    parser.add_argument("-n", dest="workers", type=int_in(1, 64), default=4, metavar="WORKERS",
                        help="processes that add to the shared int (default %(default)s)")
    parser.add_argument("-c", dest="count", type=int_in(1, 10000000), default=100000,
                        metavar="COUNT", help="increments by each process (default %(default)s)")
    parser.add_argument("-m", dest="mode", default="all",
                        choices=("all", "raw", "value", "locked", "atomic"),
                        metavar="all|raw|value|locked|atomic",
                        help="which ways to add 1 (default %(default)s)")
    args = parse_args(parser)
    if args.mode == "atomic":
        parser.error("-m atomic: Python has no atomic add for a Value: hold get_lock()")
    if args.workers * args.count > 2147483647:
        parser.error(f"-n times -c must be at most 2147483647, not {args.workers * args.count}")
    me = f"{'main':11} ({os.getpid()})"
    expected = args.workers * args.count

    say(f"{me}: {args.workers} workers add 1 to a shared int, {args.count} times each")
    exact = True
    for way, python in WAYS.items():
        if args.mode not in ("all", way):
            continue
        total = run_way(way, args.workers, args.count)
        result = "exact" if total == expected else f"{expected - total} lost"
        say(f"{me}: {way:6} {python}: {total} (expected {expected}): {result}")
        if way == "locked" and total != expected:
            exact = False
    if args.mode in ("raw", "value"):
        say(f"{me}: self-check: nothing to check (a lost count is racy): OK")
        return
    say(f"{me}: self-check: lock held around +=: total {expected}: {'OK' if exact else 'FAILED'}")
    if not exact:
        sys.exit(1)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
