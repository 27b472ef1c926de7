"""start_fork.py - the fork start method: the child is a copy of its parent.

The C twin is start_fork.c.
Usage: python3 start_fork.py [-n CHILDREN]
The parent changes a global just before it starts the children; under
fork each child is a copy of the parent at that moment, so each one sees
the change, and its answer comes back on a Pipe the parent made: nothing
was pickled to start it. Racy: the order of the children's lines.
"""
import argparse
import multiprocessing
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, parse_args, say  # noqa: E402

setting = 1                     # the parent sets 2 before it starts the children


def square(k, conn):
    me = f"{'child ' + str(k):9} {os.getpid():<6}"
    copy = ("the parent's change IS here: I am its copy" if setting == 2
            else "not the parent's value?")
    say(f"{me}  setting = {setting} ({copy})")
    pace(0.5)                   # the work
    say(f"{me}  square({k}) = {k * k}, sent on a Pipe that the parent made")
    conn.send((setting, k * k))
    conn.close()


def main():
    global setting
    parser = argparse.ArgumentParser(description="the fork start method: a copy of the parent")
    parser.add_argument("-n", dest="children", type=int_in(1, 16), default=3, metavar="CHILDREN",
                        help="child processes, each started with fork() (default %(default)s)")
    args = parse_args(parser)
    me = f"{'parent':9} {os.getpid():<6}"
    ctx = multiprocessing.get_context("fork")       # Linux's default only up to 3.13

    say(f"{me}  setting = {setting} (its value in the program file)")
    setting = 2                 # just before the start: does the child see it?
    say(f"{me}  setting = 2 now; starting {args.children} children with fork()")
    children = []
    for k in range(1, args.children + 1):
        reader, writer = ctx.Pipe(duplex=False)
        p = ctx.Process(target=square, args=(k, writer))
        p.start()
        writer.close()          # the child's end: our copy would hide its EOF
        children.append((k, p, reader))
    good = 0
    for k, p, reader in children:
        try:
            seen, result = reader.recv()
        except EOFError:
            seen, result = None, None
        p.join()
        say(f"{me}  child {k} ({p.pid}): square({k}) = {result} (expected {k * k}), "
            f"it saw setting = {seen}")
        good += result == k * k and seen == 2 and p.exitcode == 0
    n = args.children
    say(f"{me}  self-check: {good} of {n} children saw setting = 2 and answered right: "
        f"{'OK' if good == n else 'FAILED'}")
    sys.exit(0 if good == n else 1)


if __name__ == "__main__":
    main()
