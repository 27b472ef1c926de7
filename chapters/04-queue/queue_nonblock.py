"""queue_nonblock.py - get(block=False) until Empty; qsize(), empty(), full().

The C twin is queue_nonblock.c. Usage: python3 queue_nonblock.py [-c ITEMS] [-r]

Without -r the reader starts only after the writer has been joined, so every
item is in the queue and Empty comes after all of them. With -r both start at
once, as in the tutorial: how many the reader gets is racy (often none: the
writer's feeder thread has not sent anything yet), and the parent collects
the rest. qsize() raises NotImplementedError on macOS.
"""
import argparse
import multiprocessing
import os
import queue
import sys
from multiprocessing import Process, Queue

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, parse_args, say  # noqa: E402


def report(q, when):
    say(f"main   ({os.getpid()}): {when}: qsize() = {q.qsize()}, "
        f"empty() = {str(q.empty()).lower()}, full() = {str(q.full()).lower()}")


def write(q, items):
    for i in range(1, items + 1):
        say(f"writer ({os.getpid()}): put({i})")
        q.put(i)
        pace(0.2)
    say(f"writer ({os.getpid()}): all {items} put")


def drain(q, who):
    got = 0
    while True:
        try:
            value = q.get(block=False)      # the keyword is block, not blocked
        except queue.Empty:                 # queue.Empty, not Queue.Empty
            break
        say(f"{who} ({os.getpid()}): get(block=False) -> {value}")
        got += 1
    say(f"{who} ({os.getpid()}): get(block=False) -> Empty, after {got} item{'' if got == 1 else 's'}")
    return got


def main():
    parser = argparse.ArgumentParser(description="non-blocking gets, and what qsize/empty/full say")
    parser.add_argument("-c", dest="items", type=int_in(1, 1000), default=3, metavar="ITEMS",
                        help="items the writer puts, also the Queue's maxsize "
                        "(default %(default)s)")
    parser.add_argument("-r", dest="racy", action="store_true",
                        help="start the reader with the writer, as the tutorial does (racy)")
    args = parse_args(parser)
    me = os.getpid()

    q = Queue(maxsize=args.items)
    report(q, "a new Queue(maxsize)")
    pw = Process(target=write, args=(q, args.items))
    pw.start()
    if args.racy:
        pr = Process(target=drain, args=(q, "reader"))
        pr.start()
        pw.join()
        say(f"main   ({me}): writer joined, exitcode {pw.exitcode}")
        pr.join()
        say(f"main   ({me}): reader joined, exitcode {pr.exitcode}")
        report(q, "both joined")
        left = drain(q, "main  ")
        say(f"main   ({me}): {left} items were left for the parent")
    else:
        pw.join()           # its exit waits for the feeder thread: all items are in the pipe
        say(f"main   ({me}): writer joined, exitcode {pw.exitcode}")
        report(q, "writer joined")
        pr = Process(target=drain, args=(q, "reader"))
        pr.start()
        pr.join()
        say(f"main   ({me}): reader joined, exitcode {pr.exitcode}")
    report(q, "at the end")


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
