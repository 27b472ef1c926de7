"""fork_isolation.py - a global changed in a child process stays unchanged in
the parent: each process has its own copy of the memory.

The C twin is fork_isolation.c. Usage: python3 fork_isolation.py [-a AGE]
Python has no addresses to print; id() is CPython's address of the object,
shown so you can compare it with the C program's %p.
"""
import argparse
import multiprocessing
import os
import sys
from multiprocessing import Process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, parse_args  # noqa: E402

age = 22


def child():
    global age
    age += 1                    # changes the child's copy only
    print(f"child  ({os.getpid()}): age = {age} at {hex(id(age))}, after age += 1", flush=True)


def main():
    global age
    parser = argparse.ArgumentParser(description="memory is copied by fork")
    parser.add_argument("-a", dest="age", type=int_in(0, 150), default=22, metavar="AGE",
                        help="the global's value before fork; the child adds 1 to its copy "
                        "(default %(default)s)")
    age = parse_args(parser).age

    print(f"parent ({os.getpid()}): age = {age} at {hex(id(age))}, before fork", flush=True)
    p = Process(target=child)
    p.start()
    print(f"parent ({os.getpid()}): age = {age} at {hex(id(age))}, while the child runs",
          flush=True)
    p.join()
    print(f"parent ({os.getpid()}): age = {age} at {hex(id(age))}, after the child ended",
          flush=True)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
