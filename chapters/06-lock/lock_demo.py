"""lock_demo.py - two processes append lines to one file; a Lock keeps each
writer's lines together.

The C twin is lock_demo.c. Usage: python3 lock_demo.py [-c LINES] [-u]
Each line is flushed as soon as it is written: a file object that is only
flushed at close() writes all its lines in one go, and then nothing can
interleave even without the lock (the tutorial's demo cannot show the lock
working for that reason). Racy: which writer goes first; without the lock
(-u), how the lines interleave.
"""
import argparse
import multiprocessing
import os
import sys
import tempfile
from multiprocessing import Lock, Process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, join_all, pace, parse_args  # noqa: E402


def write_lines(path, label, lines):
    # Append mode: every write goes to the end of the file as it is then.
    with open(path, "a") as f:
        for i in range(1, lines + 1):
            f.write(f"{label:8} ({os.getpid()}): line {i} of {lines}\n")
            f.flush()           # one write(2) per line, now, not at close
            pace(0.2)


def writer_with(lock, path, lines, locked):
    if locked:
        with lock:                      # acquire here, release at the end of the block
            write_lines(path, "with", lines)
    else:
        write_lines(path, "with", lines)


def writer_acquire(lock, path, lines, locked):
    if locked:
        lock.acquire()
    try:
        write_lines(path, "acquire", lines)
    finally:
        if locked:
            lock.release()              # even if write_lines raised


def main():
    parser = argparse.ArgumentParser(description="a Lock keeps each writer's lines together")
    parser.add_argument("-c", dest="lines", type=int_in(1, 100), default=5, metavar="LINES",
                        help="lines each writer appends to the file (default %(default)s)")
    parser.add_argument("-u", dest="locked", action="store_false",
                        help="unlocked: let the writers race")
    args = parse_args(parser)
    me = f"{'main':8} ({os.getpid()})"

    fd, path = tempfile.mkstemp(prefix="lock_demo-")
    os.close(fd)
    try:
        lock = Lock()
        how = "one at a time, holding the lock" if args.locked else "WITHOUT the lock (-u)"
        print(f"{me}: two writers append {args.lines} lines each to one file, {how}", flush=True)
        writers = [Process(target=writer_with, args=(lock, path, args.lines, args.locked)),
                   Process(target=writer_acquire, args=(lock, path, args.lines, args.locked))]
        for w in writers:
            w.start()
        if join_all(writers):
            sys.exit("lock_demo.py: a writer failed: the other was stopped and joined")

        print(f"{me}: the file, as the writers left it:", flush=True)
        runs, last = 0, None
        with open(path) as f:
            for line in f.read().splitlines():
                print(f"  | {line}", flush=True)
                label = line.split(" ", 1)[0]
                if label != last:
                    runs, last = runs + 1, label
    finally:
        os.unlink(path)
    if runs == 2 and args.locked:
        print(f"{me}: 2 runs of lines: each writer's lines are contiguous", flush=True)
    elif runs == 2:
        print(f"{me}: 2 runs of lines: contiguous this time, but only by luck", flush=True)
    else:
        print(f"{me}: {runs} runs of lines: the writers' lines interleave", flush=True)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
