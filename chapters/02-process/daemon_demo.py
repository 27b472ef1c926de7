"""daemon_demo.py - a daemonic child is terminated when the program ends;
a normal child is joined.

daemon=True belongs to the CHILD and is set before start(). At exit,
multiprocessing terminates daemonic children and joins the others. If the
parent is killed with SIGKILL (-k) nobody does that: the daemon is orphaned,
not stopped, and here it notices end-of-file on a pipe from the parent.
The C twin is daemon_demo.c, which writes the "at exit" step out.
Usage: python3 daemon_demo.py [-c STEPS] [-k]
"""
import argparse
import multiprocessing
import os
import signal
import sys
from multiprocessing import Process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, parse_args  # noqa: E402


def daemon_main(stop_r, stop_w):
    os.close(stop_w)            # or we would wait for our own write end
    print(f"daemon ({os.getpid()}): started, working until told to stop", flush=True)
    os.read(stop_r, 1)          # blocks: the parent never writes
    print(f"daemon ({os.getpid()}): last line: my parent is gone and nobody stopped me",
          flush=True)


def worker_main(steps, stop_w):
    os.close(stop_w)            # only the parent may hold the write end
    for i in range(1, steps + 1):
        pace(0.5)
        print(f"worker ({os.getpid()}): step {i}/{steps}", flush=True)
    print(f"worker ({os.getpid()}): finished", flush=True)


def main():
    parser = argparse.ArgumentParser(description="daemonic and normal children")
    parser.add_argument("-c", dest="steps", type=int_in(1, 100), default=3, metavar="STEPS",
                        help="steps of the normal worker, 0.5 s each (default %(default)s)")
    parser.add_argument("-k", dest="crash", action="store_true",
                        help="the parent kills itself with SIGKILL: nobody stops the daemon")
    args = parse_args(parser)
    me = f"main   ({os.getpid()})"

    stop_r, stop_w = os.pipe()
    daemon = Process(target=daemon_main, args=(stop_r, stop_w), daemon=True)
    worker = Process(target=worker_main, args=(args.steps, stop_w))
    daemon.start()
    worker.start()
    os.close(stop_r)
    print(f"{me}: started daemon {daemon.pid} and worker {worker.pid}", flush=True)
    pace(0.3)
    print(f"{me}: main work done", flush=True)
    if args.crash:
        print(f"{me}: crashing with SIGKILL: nobody stops the daemon", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    # Returning: multiprocessing's own exit handler now terminates the
    # daemon and joins the worker. (The C twin writes those steps out.)
    print(f"{me}: returning: Python terminates the daemon, joins the worker", flush=True)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
