"""fork_demo.py - os.fork() is called once and returns twice.

The C twin is fork_demo.c. Usage: python3 fork_demo.py [-n CHILDREN]
Racy: whether the parent's line or the child's comes first.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, parse_args  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description="fork() returns twice")
    parser.add_argument("-n", dest="children", type=int_in(1, 64), default=1, metavar="CHILDREN",
                        help="child processes the parent forks (default %(default)s)")
    args = parse_args(parser)

    # flush=True: output still in Python's buffer at fork() would be copied
    # into the child and printed twice (fork_buffering shows it).
    print(f"Process ({os.getpid()}) start...", flush=True)
    for _ in range(args.children):
        pid = os.fork()
        if pid == 0:
            print(f"I am child process ({os.getpid()}) and my parent is {os.getppid()}.",
                  flush=True)
            os._exit(0)         # leave now: the loop is the parent's
        print(f"I ({os.getpid()}) just created a child process ({pid}).", flush=True)
    for _ in range(args.children):
        os.wait()


if __name__ == "__main__":
    main()
