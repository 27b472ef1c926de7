"""process_lifecycle.py - name, pid, exitcode, is_alive(), join(timeout),
terminate().

join(timeout) returns None whether or not the process ended: look at
is_alive() or exitcode afterwards. terminate() sends SIGTERM: the child's
finally blocks do not run. The C twin is process_lifecycle.c (which shows
the sentinel pipe join(timeout) is built on, and the zombie trap).
Usage: python3 process_lifecycle.py [-t SECONDS]
"""
import argparse
import multiprocessing
import os
import sys
import time
from multiprocessing import Process, current_process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import pace, pace_factor, parse_args  # noqa: E402


def with_cleanup(work):
    def target():
        try:
            work()
        finally:                # skipped when SIGTERM kills the process
            print(f"{current_process().name:8} ({os.getpid()}): cleanup ran", flush=True)
    return target


def sleep_forever():
    # "For ever": until terminate(), or until the parent is gone without
    # terminating us (Ctrl-C, kill -9): then leave, as the C sleeper does.
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.1)
    os._exit(0)


def finish():
    pace(0.2)


def fail():
    sys.exit(5)


def show(p, when):
    alive = str(p.is_alive()).lower()
    print(f"{p.name:8} {when:28} pid = {str(p.pid):6} exitcode = {str(p.exitcode):4} "
          f"daemon = {str(p.daemon).lower()} is_alive = {alive}", flush=True)


def main():
    parser = argparse.ArgumentParser(description="a process's life")
    parser.add_argument("-t", dest="timeout", type=float, default=1.0, metavar="SECONDS",
                        help="the sleeper's join(timeout), times WORKBOOK_PACE (default 1)")
    args = parse_args(parser)
    if not 0 <= args.timeout <= 60:
        parser.error(f"-t must be from 0 to 60, not {args.timeout:g}")

    sleeper = Process(name="sleeper", target=with_cleanup(sleep_forever))
    show(sleeper, "before start():")
    sleeper.start()
    show(sleeper, "after start():")
    sleeper.join(args.timeout * pace_factor())     # returns None either way
    show(sleeper, f"after join(timeout={args.timeout:g}):")
    sleeper.terminate()
    sleeper.join()
    show(sleeper, "after terminate(), join():")

    for name, work in (("worker", finish), ("failer", fail)):
        p = Process(name=name, target=with_cleanup(work))
        p.start()
        p.join()
        show(p, "after join():")


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
