"""cost_manager.py - what one operation on a Manager's dict costs.

The C twin is cost_manager.c (row dict_set).
Usage: python3 cost_manager.py [-r ROW] [-s SCALE] [-p | -a]
Look for: d["key"] = i on a proxy pickles the call, sends it over a Unix
socket to the manager's server, where a thread for this connection
unpickles it, runs it, and sends the result back: a round trip plus
pickling and a thread switch on each side.
"""
import multiprocessing as mp
import time

from bench import Bench, report, us_per_op

ROWS = ["dict_set"]


def dict_set(ctx, n):
    with ctx.Manager() as manager:
        d = manager.dict()
        for i in range(n // 10 + 1 + n):
            if i == n // 10 + 1:
                start = time.perf_counter()
            d["key"] = i
        us = us_per_op(start, n)
        if d["key"] != n // 10 + n:
            raise SystemExit("the dict went wrong")
    return us


def main():
    b = Bench("what a Manager dict operation costs", ROWS)
    ctx = mp.get_context("fork")
    if b.wants("dict_set"):
        report("dict_set", "Python", dict_set(ctx, b.count(3000)), "us",
               "Manager().dict(); d['key'] = i")


if __name__ == "__main__":
    main()
