"""bench.py - what every cost_*.py twin shares (the C side: bench.c).

Options [-r ROW] [-s SCALE] [-p | -a], one result line per measurement in
the same shape as the C programs print, a clean exit on SIGTERM, and CPU
placement where os.sched_setaffinity exists (Linux): -p puts everything on
one CPU; -a keeps this process on one CPU and the children that call
place_child() on another.

SPDX-License-Identifier: MIT
"""
import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import parse_args  # noqa: E402


def scale_type(text):
    """An argparse type: the -s SCALE range that arg_double() checks in C."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"wants a number, not {text!r}") from None
    if not 0.0001 <= value <= 100.0:          # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"must be from 0.0001 to 100, not {text}")
    return value


_apart = False
_allowed = None             # the CPUs we were allowed on at the start


def pin(nth):
    """Run on the nth CPU we may use (wrapping), as pin_to_cpu() in linux_extras.c."""
    global _allowed
    if _allowed is None:
        _allowed = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {_allowed[nth % len(_allowed)]})


def place_child():
    """Called first in a child's target: with -a, move to the second CPU."""
    if _apart:
        pin(1)


class Bench:
    def __init__(self, description, rows):
        parser = argparse.ArgumentParser(description=description)
        parser.add_argument("-r", dest="row", choices=rows, metavar="ROW",
                            help="only this row: " + ", ".join(rows))
        parser.add_argument("-s", dest="scale", type=scale_type, default=1.0, metavar="SCALE")
        where = parser.add_mutually_exclusive_group()
        where.add_argument("-p", dest="pin", action="store_true", help="everything on one CPU")
        where.add_argument("-a", dest="apart", action="store_true",
                           help="this process on one CPU, its children on another")
        args = parse_args(parser)
        self.row, self.scale, self.pin, self.apart = args.row, args.scale, args.pin, args.apart
        # SIGTERM becomes SystemExit in this process, so that the `with`
        # blocks of the twins stop their pools, managers and children on
        # the way out. A child must not inherit that handler: a Python-level
        # handler runs only between bytecodes, so a SIGTERM that lands just
        # before a blocking call (a pool worker about to wait for a task)
        # is noticed only when the call returns, perhaps never, and
        # Pool.terminate() would wait for that worker forever. So every
        # child forked from here on gets back SIGTERM's default action.
        signal.signal(signal.SIGTERM, lambda sig, frame: sys.exit(128 + sig))
        os.register_at_fork(after_in_child=lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL))
        if self.pin or self.apart:
            if not hasattr(os, "sched_setaffinity"):
                sys.exit(f"{sys.argv[0]}: this system has no sched_setaffinity")
            # Inherited by every child started from now on (fork keeps it).
            pin(0)
            global _apart
            _apart = self.apart

    def wants(self, row):
        return self.row is None or self.row == row

    def count(self, n):
        return max(1, int(n * self.scale + 0.5))


def report(row, impl, value, unit, how):
    print(f"{row:<12} {impl:<6} {value:14.4f} {unit:<6} {how}", flush=True)


def us_per_op(start, ops):
    return (time.perf_counter() - start) * 1e6 / ops
