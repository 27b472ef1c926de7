"""process_demo.py - Process(target, args): start, then join.

The C twin is process_demo.c (fork + waitpid written out).
Usage: python3 process_demo.py [-J]   (-J: print "end" without joining first)
With join the child's line comes before "Child process end."; without it,
either order (racy). Python still joins the child when the program ends.
"""
import argparse
import multiprocessing
import os
import sys
from multiprocessing import Process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import pace, parse_args  # noqa: E402


def run_proc(name):
    pace(0.5)
    print(f"Run child process {name} ({os.getpid()})...", flush=True)


def main():
    parser = argparse.ArgumentParser(description="start a Process and join it")
    parser.add_argument("-J", dest="join", action="store_false",
                        help='print "Child process end." without joining the child first')
    args = parse_args(parser)

    print(f"Parent process {os.getpid()}.", flush=True)
    p = Process(target=run_proc, args=("test",))   # ("test",): a tuple needs the comma
    print("Child process will start.", flush=True)
    p.start()
    if args.join:
        p.join()
    print("Child process end.", flush=True)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
