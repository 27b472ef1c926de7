"""wait_status.py - Process.exitcode for each way a child can end.

exitcode is N for sys.exit(N), 1 for an uncaught exception, and -N when the
child was killed by signal N. The C twin, wait_status.c, decodes the raw
waitpid() status that Python turns into these numbers.
Usage: python3 wait_status.py   (the uncaught exception prints a traceback
on stderr: that is part of the demo)
"""
import argparse
import multiprocessing
import os
import signal
import sys
import time
from multiprocessing import Event, Process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import parse_args  # noqa: E402


def exit_zero(_running):
    sys.exit(0)


def exit_three(_running):
    sys.exit(3)


def uncaught(_running):
    raise RuntimeError("uncaught in the child: its exitcode becomes 1")


def wait_to_be_killed(running):
    running.set()               # tell the parent we are running
    while True:
        time.sleep(60)


def kill_itself(_running):
    os.kill(os.getpid(), signal.SIGKILL)


CASES = [
    ("sys.exit(0)", exit_zero),
    ("sys.exit(3)", exit_three),
    ("an uncaught exception", uncaught),
    ("killed by its parent: SIGTERM", wait_to_be_killed),
    ("killed by itself: SIGKILL", kill_itself),
]


def main():
    parse_args(argparse.ArgumentParser(description="how a child ended"))
    print(f"{'the child ends by':38} {'what join() saw':36} Python", flush=True)
    for description, target in CASES:
        running = Event()
        p = Process(target=target, args=(running,))
        p.start()
        if target is wait_to_be_killed:
            running.wait()
            p.terminate()       # sends SIGTERM
        p.join()
        code = p.exitcode
        if code >= 0:
            print(f"{description:38} exited, status {code:2}{'':14}exitcode {code:3}", flush=True)
        else:
            name = signal.Signals(-code).name
            print(f"{description:38} killed by signal {-code:2}{'':12}exitcode {code:3}  ({name})",
                  flush=True)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
