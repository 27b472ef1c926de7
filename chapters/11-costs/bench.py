"""bench.py - what every cost_*.py twin shares (the C side: bench.c).

Options [-r ROW] [-s SCALE] [-p | -a] (and -R ROLE for a twin that starts
copies of itself), one result line per measurement in the same shape as
the C programs print, no child left behind when a twin is stopped (its
multiprocessing children, and those popen() starts), and CPU placement
where os.sched_setaffinity exists (Linux): -p puts everything on one CPU;
-a keeps this process on one CPU and the children that call place_child()
on another.

SPDX-License-Identifier: MIT
"""
import argparse
import ctypes
import multiprocessing as mp
import os
import signal
import subprocess
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


# ---- stopping: no child left behind -----------------------------------------
# Raising SystemExit from a SIGTERM handler, so that `with` blocks clean up,
# looks tidy but is not: a Python-level handler runs between any two
# bytecodes, inside multiprocessing's own code too (between a fork and the
# line that records the child; half-way through a Condition's wait), and
# leaves it broken or hung. So the handler does what the C side's does:
# kill every child we know of, reap them, and die of the same signal.
# A child we do not know of yet (the signal came during its fork) is killed
# by the kernel when we die, where Linux offers it (prctl PR_SET_PDEATHSIG,
# reached through ctypes; elsewhere, nothing).
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
PR_SET_PDEATHSIG = 1
_parent = None


def _on_stop(sig, frame):
    children = mp.active_children()
    for p in children:
        p.kill()
    for p in children:
        p.join()
    # popen()'s children, with bare os calls: a Popen.wait() may be what the
    # signal interrupted, holding a lock that a second wait() would wait for.
    for p in _commands:
        if p.returncode is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
                os.waitpid(p.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass                    # reaped already
    signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)


_STOPS = {signal.SIGINT, signal.SIGTERM}
_commands = []


def popen(argv, **kwargs):
    """subprocess.Popen, its child known to the stop handler as the
    multiprocessing children are (cost_pipeline.py's stages). A signal that
    comes inside Popen() leaves that one child unknown: it ends when its
    pipes do, since this process holds no copy of their ends once dead."""
    p = subprocess.Popen(argv, **kwargs)
    _commands.append(p)
    return p


def _before_fork():
    # Until the child has SIGTERM's default action back, a SIGTERM must
    # wait: delivered to the child in between, it would meet the handler
    # being replaced, and Python would drop it ("ignored due to race
    # condition"); the worker would live on, and Pool.terminate() wait
    # for it forever. So both signals are blocked across the fork.
    global _parent
    _parent = os.getpid()
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)


def _in_parent():
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)


def _in_child():
    # Ctrl-C and SIGTERM do in a child what they do by default (die): the
    # parent's handler is not for it. These few calls are all that this
    # adds to each fork: microseconds against a Process start's milliseconds.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
    if _libc is not None:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != _parent:     # the parent died before the prctl
            os._exit(1)


class Bench:
    def __init__(self, description, rows, roles=None):
        parser = argparse.ArgumentParser(description=description)
        parser.add_argument("-r", dest="row", choices=rows, metavar="ROW",
                            help="only this row: " + ", ".join(rows) + " (default: all)")
        parser.add_argument("-s", dest="scale", type=scale_type, default=1.0, metavar="SCALE",
                            help="multiply every operation count (default 1)")
        where = parser.add_mutually_exclusive_group()
        where.add_argument("-p", dest="pin", action="store_true", help="everything on one CPU")
        where.add_argument("-a", dest="apart", action="store_true",
                           help="this process on one CPU, its children on another")
        if roles:               # as the C program's -R ROLE: roles[0] is the default
            parser.add_argument("-R", dest="role", choices=roles, default=roles[0],
                                metavar="|".join(roles), help="the part this copy plays; it "
                                f"starts fresh copies with -R {'|'.join(roles[1:])} "
                                "(default %(default)s)")
        args = parse_args(parser)
        self.error = parser.error       # for a twin's own usage errors
        self.role = args.role if roles else None
        self.row, self.scale, self.pin, self.apart = args.row, args.scale, args.pin, args.apart
        signal.signal(signal.SIGTERM, _on_stop)
        signal.signal(signal.SIGINT, _on_stop)
        os.register_at_fork(before=_before_fork, after_in_parent=_in_parent,
                           after_in_child=_in_child)
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
