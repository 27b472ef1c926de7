"""queue_timeout.py - a bounded Queue: put and get with timeouts; Full and Empty.

The C twin is queue_timeout.c. Usage: python3 queue_timeout.py [-s MAXSIZE] [-t SECONDS]

put(x, timeout=t) raises queue.Full, get(timeout=t) raises queue.Empty: both
live in the queue module, not in multiprocessing.
Racy: how much longer than the timeout a wait takes.
"""
import argparse
import multiprocessing
import os
import queue
import sys
import time
from multiprocessing import Process, Queue

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import float_in, int_in, parse_args, say  # noqa: E402


def producer(q, maxsize, timeout):
    me = os.getpid()
    for i in range(1, maxsize + 3):
        block = i <= maxsize + 1
        call = f"put({i}, timeout={timeout:g})" if block else f"put({i}, block=False)"
        start = time.monotonic()
        try:
            q.put(i, block=block, timeout=timeout if block else None)
            say(f"producer ({me}): {call} -> OK")
        except queue.Full:
            say(f"producer ({me}): {call} -> Full after {time.monotonic() - start:.2f} s")


def main():
    parser = argparse.ArgumentParser(description="a bounded Queue with timeouts")
    parser.add_argument("-s", dest="maxsize", type=int_in(1, 1000), default=3, metavar="MAXSIZE",
                        help="the Queue's maxsize: how many items fit (default %(default)s)")
    parser.add_argument("-t", dest="timeout", type=float_in(0.01, 60), default=1.0,
                        metavar="SECONDS",
                        help="how long a put or get with a timeout waits (default 1)")
    args = parse_args(parser)
    me, t = os.getpid(), args.timeout

    q = Queue(maxsize=args.maxsize)
    say(f"main     ({me}): Queue(maxsize={args.maxsize}), timeouts of {t:g} s")
    p = Process(target=producer, args=(q, args.maxsize, t))
    p.start()
    p.join()
    say(f"main     ({me}): producer joined, exitcode {p.exitcode}: qsize() = {q.qsize()}, "
        f"full() = {str(q.full()).lower()}")
    for i in range(1, args.maxsize + 3):
        block = i <= args.maxsize + 1
        call = f"get(timeout={t:g})" if block else "get(block=False)"
        start = time.monotonic()
        try:
            value = q.get(block=block, timeout=t if block else None)
            say(f"main     ({me}): {call} -> {value}")
        except queue.Empty:
            say(f"main     ({me}): {call} -> Empty after {time.monotonic() - start:.2f} s")


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
