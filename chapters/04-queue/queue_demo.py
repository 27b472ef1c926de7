"""queue_demo.py - a writer puts A, B, C on a Queue; a reader gets them.

The C twin is queue_demo.c. Usage: python3 queue_demo.py [-c ITEMS]

The reader stops when it gets the sentinel None, which the parent puts once
the writer has been joined: no terminate() needed (queue_terminate shows why
terminating a reader is dangerous).
Racy: where the reader's lines fall among the writer's.
"""
import argparse
import multiprocessing
import os
import sys
from multiprocessing import Process, Queue

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, parse_args, say  # noqa: E402


def write(q, items):
    say(f"writer ({os.getpid()}): Process to write")
    for i in range(items):
        letter = chr(ord("A") + i)
        say(f"writer ({os.getpid()}): Put {letter} to queue...")
        q.put(letter)
        pace(0.5)


def read(q):
    say(f"reader ({os.getpid()}): Process to read")
    while True:
        value = q.get(True)             # block until there is something
        if value is None:               # the sentinel
            break
        say(f"reader ({os.getpid()}): Get {value} from queue.")
    say(f"reader ({os.getpid()}): got the sentinel: stopping")


def main():
    parser = argparse.ArgumentParser(description="a writer and a reader share a Queue")
    parser.add_argument("-c", dest="items", type=int_in(1, 26), default=3, metavar="ITEMS",
                        help="letters the writer puts, from A on (default %(default)s)")
    args = parse_args(parser)

    q = Queue()
    pw = Process(target=write, args=(q, args.items))
    pr = Process(target=read, args=(q,))
    pw.start()
    pr.start()
    pw.join()       # the writer's exit waits until its feeder thread has sent everything
    say(f"main   ({os.getpid()}): writer joined, exitcode {pw.exitcode}; putting the sentinel")
    q.put(None)
    pr.join()
    say(f"main   ({os.getpid()}): reader joined, exitcode {pr.exitcode}")


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
