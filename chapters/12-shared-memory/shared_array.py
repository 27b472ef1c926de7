"""shared_array.py - Array('d', n): workers fill one shared array, each its
own slice, and the parent reads every element after join. With -m sharing:
false sharing, measured.

The C twin is shared_array.c.
Usage: python3 shared_array.py [-n WORKERS] [-s SIZE] [-c COUNT] [-m fill|sharing]
Worker k writes a[i] = i + 0.5 for its own slice; the parent joins them all
(join is what makes their writes visible) and checks every element. A Queue
would have pickled the same numbers and carried them through a pipe: the
program prints how many bytes that would have been, against 0 here.
-m sharing: two processes each add 1 to their own counter, side by side in
one cache line, then 128 bytes apart; the times depend on the machine (and
in Python the interpreter's own work hides most of the difference).
Racy: the order of the workers' lines, and the times.
"""
import argparse
import multiprocessing
import os
import pickle
import sys
import time
from multiprocessing import Array, Event, Process, RawArray

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, join_all, parse_args, say  # noqa: E402


def fill_slice(k, a, lo, hi):
    for i in range(lo, hi):
        a[i] = i + 0.5
    say(f"worker {k:<2} ({os.getpid()}): wrote a[{lo}:{hi}]")


def fill(me, workers, size):
    a = Array("d", size, lock=False)    # no element is written by two workers
    say(f"{me}: Array('d', {size}) in shared memory: {workers} workers fill a slice each")
    bounds = [(size * k // workers, size * (k + 1) // workers) for k in range(workers + 1)]
    procs = [Process(target=fill_slice, args=(k + 1, a, *bounds[k])) for k in range(workers)]
    for p in procs:
        p.start()
    if join_all(procs):
        sys.exit("shared_array.py: a worker failed: the others were stopped and joined")
    values = a[:]               # every worker joined: all its writes are here
    bad = sum(1 for i, x in enumerate(values) if x != i + 0.5)
    say(f"{me}: after join: a[0] = {values[0]:.1f}, a[{size - 1}] = {values[-1]:.1f}")
    # What a Queue would have moved: each worker's slice, pickled, through a pipe.
    pickled = sum(len(pickle.dumps(values[lo:hi])) for lo, hi in bounds[:workers])
    say(f"{me}: a Queue would have pickled {pickled} bytes and carried them through a pipe,")
    say(f"{me}: each copied into the kernel and out; here: 0 bytes, 0 copies")
    say(f"{me}: self-check: all {size} elements as the workers wrote them: "
        f"{'OK' if bad == 0 else 'FAILED'}")
    return bad == 0


def hammer_one(c, k, count, gate):
    gate.wait()
    for _ in range(count):
        c[k] += 1               # only this process writes c[k]: nothing is lost


def hammer(apart, count):
    c = RawArray("q", 32)       # 256 bytes; element 16 is 128 bytes after element 0
    gate = Event()
    procs = [Process(target=hammer_one, args=(c, k * apart, count, gate)) for k in range(2)]
    for p in procs:
        p.start()
    start = time.monotonic()
    gate.set()
    if join_all(procs):
        sys.exit("shared_array.py: a worker failed: the others were stopped and joined")
    return time.monotonic() - start, c[0] == count and c[apart] == count


def sharing(me, count):
    say(f"{me}: 2 processes add 1 to their own counter, {count} times each "
        f"({os.cpu_count()} CPUs)")
    near, ok1 = hammer(1, count)
    say(f"{me}: counters  8 bytes apart (one cache line):  {near:.3f} s")
    far, ok2 = hammer(16, count)
    say(f"{me}: counters 128 bytes apart (two cache lines): {far:.3f} s")
    say(f"{me}: apart is {near / far if far > 0 else 0:.1f} times as fast here (machine-dependent)")
    say(f"{me}: self-check: each counter = {count} in both runs: {'OK' if ok1 and ok2 else 'FAILED'}")
    return ok1 and ok2


def main():
    parser = argparse.ArgumentParser(description="a shared Array, and false sharing")
    parser.add_argument("-n", dest="workers", type=int_in(1, 64), default=4, metavar="WORKERS",
                        help="processes that fill the array (default %(default)s)")
    parser.add_argument("-s", dest="size", type=int_in(1, 100000000), default=1000000,
                        metavar="SIZE", help="elements in the array (default %(default)s)")
    parser.add_argument("-c", dest="count", type=int_in(1, 1000000000), default=10000000,
                        metavar="COUNT",
                        help="-m sharing: increments by each process (default %(default)s)")
    parser.add_argument("-m", dest="mode", choices=("fill", "sharing"), default="fill",
                        metavar="fill|sharing",
                        help="fill the array, or measure false sharing (default %(default)s)")
    args = parse_args(parser)
    me = f"{'main':9} ({os.getpid()})"
    ok = sharing(me, args.count) if args.mode == "sharing" else fill(me, args.workers, args.size)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
