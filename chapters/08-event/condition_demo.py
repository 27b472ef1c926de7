"""condition_demo.py - a producer and consumers share a small buffer,
guarded by one Lock, with two Conditions on it to sleep on.

The C twin is condition_demo.c.
Usage: python3 condition_demo.py [-n CONSUMERS] [-c ITEMS] [-s SLOTS]
Every change to the buffer, and the line that reports it, happens with the
lock held, so the output is the buffer's true history: "produced item K"
before "consumed item K", items out in the order they went in, never more
than SLOTS inside. Racy: which consumer takes which item.
"""
import argparse
import multiprocessing
import os
import sys
from multiprocessing import Condition, Lock, Process, RawArray, RawValue

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, join_all, pace, parse_args, say  # noqa: E402


class Buffer:
    """A ring buffer in shared memory; every field is guarded by lock."""

    def __init__(self, slots):
        self.lock = Lock()
        self.not_empty = Condition(self.lock)   # consumers sleep on it
        self.not_full = Condition(self.lock)    # the producer sleeps on it
        self.items = RawArray("l", slots)
        self.slots = slots
        self.first, self.count = RawValue("i", 0), RawValue("i", 0)
        self.done, self.consumed = RawValue("b", False), RawValue("l", 0)


def producer(buf, items):
    me = f"{'producer':10} ({os.getpid()})"
    for item in range(1, items + 1):
        pace(0.2)                               # making an item takes time
        with buf.lock:
            # A while, not an if: wait() gives the lock up while it sleeps
            # and takes it back before it returns; test again with it held.
            while buf.count.value == buf.slots:
                say(f"{me}: the buffer is full: waiting")
                buf.not_full.wait()
            buf.items[(buf.first.value + buf.count.value) % buf.slots] = item
            buf.count.value += 1
            say(f"{me}: produced item {item} ({buf.count.value} in the buffer)")
            buf.not_empty.notify()              # one new item: wake one consumer
    with buf.lock:
        buf.done.value = True
        say(f"{me}: no more items")
        buf.not_empty.notify_all()              # every consumer must hear this


def consumer(buf, n):
    me = f"{'consumer ' + str(n):10} ({os.getpid()})"
    took = 0
    while True:
        with buf.lock:
            while buf.count.value == 0 and not buf.done.value:
                buf.not_empty.wait()
            if buf.count.value == 0:            # empty, and nothing more will come
                say(f"{me}: the buffer is empty and the producer is done: "
                    f"leaving, after {took} item{'' if took == 1 else 's'}")
                return
            item = buf.items[buf.first.value]
            buf.first.value = (buf.first.value + 1) % buf.slots
            buf.count.value -= 1
            buf.consumed.value += 1
            took += 1
            say(f"{me}: consumed item {item} ({buf.count.value} in the buffer)")
            buf.not_full.notify()
        pace(1.0)                               # using the item, without the lock


def main():
    parser = argparse.ArgumentParser(description="producer and consumers on Conditions")
    parser.add_argument("-n", dest="consumers", type=int_in(1, 16), default=2, metavar="CONSUMERS",
                        help="consumer processes (default %(default)s)")
    parser.add_argument("-c", dest="items", type=int_in(1, 1000), default=6, metavar="ITEMS",
                        help="items the producer makes (default %(default)s)")
    parser.add_argument("-s", dest="slots", type=int_in(1, 16), default=2, metavar="SLOTS",
                        help="items the buffer holds at most (default %(default)s)")
    args = parse_args(parser)
    me = f"{'main':10} ({os.getpid()})"

    buf = Buffer(args.slots)
    plural = "" if args.consumers == 1 else "s"
    say(f"{me}: 1 producer makes {args.items} items for {args.consumers} consumer{plural}, "
        f"through {args.slots} slots")
    procs = [Process(target=producer, args=(buf, args.items))]
    procs += [Process(target=consumer, args=(buf, n)) for n in range(1, args.consumers + 1)]
    for p in procs:
        p.start()
    if join_all(procs):
        sys.exit("condition_demo.py: a process failed: the others were stopped and joined")
    say(f"{me}: {buf.consumed.value} items consumed (expected {args.items})")
    if buf.consumed.value != args.items:
        sys.exit("condition_demo.py: items were lost or taken twice")


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
