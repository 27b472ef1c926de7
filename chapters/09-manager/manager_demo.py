"""manager_demo.py - a manager process serves a dict and a list to 10
workers; a plain list is not shared.

The C twin is manager_demo.c. Usage: python3 manager_demo.py [-n WORKERS]
l is shown 5 items a line (a list of pids is long). Racy: the order of the
workers' lines, the order of their pids in l, and how long l is when each
worker asks.
"""
import argparse
import multiprocessing
import os
import signal
import sys
from multiprocessing import Manager, Process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, parse_args, say  # noqa: E402

ROW = 5                 # items of l shown on one line


def worker(number, d, l, plain):
    # d and l are proxies: each operation is a request to the manager's
    # server and its reply. plain is this process's own copy of a list.
    d[1] = '1'
    d['2'] = 2
    d[0.25] = None
    l.append(os.getpid())
    plain.append(os.getpid())
    say(f"worker {number:2d} ({os.getpid()}): len(l) = {len(l)}, plain = {plain}")


def main():
    parser = argparse.ArgumentParser(description="a manager shares a dict and a list")
    parser.add_argument("-n", dest="workers", type=int_in(1, 32), default=10, metavar="WORKERS",
                        help="processes that use the manager's dict and list (default %(default)s)")
    args = parse_args(parser)

    me = os.getpid()
    with Manager() as manager:
        # manager._process is not public API: read here only to print the pid.
        say(f"main      ({me}): manager server {manager._process.pid} at {manager.address}")
        d = manager.dict()
        l = manager.list(range(5))
        plain = []
        workers = [Process(target=worker, args=(i + 1, d, l, plain))
                   for i in range(args.workers)]
        for p in workers:
            p.start()
        for p in workers:
            p.join()
        ok = all(p.exitcode == 0 for p in workers)

        # Every worker has been joined: all its requests were answered.
        say(f"main      ({me}): d = {d}")
        ok = ok and list(d.items()) == [(1, '1'), ('2', 2), (0.25, None)]
        items = list(l)                         # one request: a copy of l
        for i in range(0, len(items), ROW):     # a list of pids soon outgrows a line
            say(f"main      ({me}): l[{i}:{i + ROW}] = {items[i:i + ROW]}")
        pids = sorted(p.pid for p in workers)
        ok = ok and items[:5] == [0, 1, 2, 3, 4] and sorted(items[5:]) == pids
        say(f"main      ({me}): plain = {plain} (each worker appended to its own copy)")
        ok = ok and plain == []
        process = manager._process
    # Leaving the with block shut the manager down and joined its process.
    say(f"main      ({me}): manager stopped (exitcode {process.exitcode})")
    # Python's shutdown asks the server to exit, waits for it 1 s, then
    # terminates it: on a busy machine exitcode -15 (SIGTERM) is a clean
    # stop too. (The C manager is waited for, however long it takes.)
    ok = ok and process.exitcode in (0, -signal.SIGTERM)
    say(f"main      ({me}): check: l = 0..4 + the {args.workers} workers' pids, "
        f"d has 3 keys, plain is empty: {'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
