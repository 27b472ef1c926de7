"""manager_queue_pool.py - a Pool whose tasks share a queue served by a
manager.

The C twin is manager_queue_pool.c. Usage: python3 manager_queue_pool.py [-c ITEMS]
Racy: how the writer's and the reader's lines interleave.
"""
import argparse
import multiprocessing
import os
import sys
from multiprocessing import Manager, Pool

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, parse_args, say  # noqa: E402

READER_PATIENCE = 30.0      # seconds the reader waits for one item


def shown(items, cap=200):
    """The list as C's mgr_values_repr() prints it: cut with "..." to fit."""
    text = "["
    for i, item in enumerate(items):
        sep, one = ("" if i == 0 else ", "), repr(item)
        if len(text) + len(sep) + len(one) + 5 > cap:
            text += "..."
            break
        text += sep + one
    return text + "]"


def writer(q, items):
    for n in range(1, items + 1):
        pace(0.2)
        q.put(n)
        say(f"writer ({os.getpid()}): put {n}")
    q.put(None)
    say(f"writer ({os.getpid()}): put None: no more items")
    return items


def reader(q):
    got = []
    while True:
        # Blocks until an item comes: the manager's server runs this get()
        # in its thread for our connection and answers when an item is there.
        item = q.get(timeout=READER_PATIENCE)
        if item is None:
            break
        say(f"reader ({os.getpid()}): got {item}")
        got.append(item)
    say(f"reader ({os.getpid()}): got None: {len(got)} items")
    return got


def main():
    parser = argparse.ArgumentParser(description="Pool tasks share a manager's queue")
    parser.add_argument("-c", dest="items", type=int_in(1, 1000), default=3, metavar="ITEMS",
                        help="items the writer task puts on the queue (default %(default)s)")
    args = parse_args(parser)

    me = os.getpid()
    ok = True
    # The manager first, then the pool. A multiprocessing.Queue() here would
    # be refused as a task argument (RuntimeError); the proxy of a manager's
    # queue travels by pickling: its address and id.
    with Manager() as manager:
        # manager._process is not public API: read here only to print the pid.
        say(f"main   ({me}): manager server {manager._process.pid} at {manager.address}")
        q = manager.Queue()
        say(f"main   ({me}): q = manager.Queue(): queue id {q._token.id}")
        pool = Pool(2)
        pids = [w.pid for w in pool._pool]      # not public API either: for the print
        say(f"main   ({me}): Pool(2) started: workers {pids[0]} and {pids[1]}")
        # The reader first: it waits on the server while the writer puts.
        r = pool.apply_async(reader, (q,))
        w = pool.apply_async(writer, (q, args.items))
        pool.close()
        try:
            written = w.get()
            say(f"main   ({me}): the writer put {written} items")
        except Exception as err:          # the task's own error, re-raised here
            say(f"main   ({me}): the writer failed: {err!r}")
            ok, written = False, -1
        try:
            got = r.get()
            say(f"main   ({me}): the reader got {shown(got)}")
            ok = ok and got == list(range(1, written + 1))
        except Exception as err:
            say(f"main   ({me}): the reader failed: {err!r}")
            ok = False
        pool.join()
    say(f"main   ({me}): check: the reader got every item the writer put, in order: "
        f"{'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
