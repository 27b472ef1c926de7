"""process_workers.py - several workers at once; names, pids, is_alive, join.

The C twin is process_workers.c.
Usage: python3 process_workers.py [-n WORKERS] [-c COUNT]
Racy: how the workers' lines interleave, and is_alive right after start.
"""
import argparse
import multiprocessing
import os
import sys
from multiprocessing import Process, current_process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, parse_args  # noqa: E402


def count(times):
    name = current_process().name          # Process-1, Process-2, ...
    for i in range(1, times + 1):
        print(f"{name:10} ({os.getpid()}): count {i}/{times}", flush=True)
        pace(0.5)


def main():
    parser = argparse.ArgumentParser(description="several workers at once")
    parser.add_argument("-n", dest="workers", type=int_in(1, 64), default=3, metavar="WORKERS",
                        help="worker processes, all running at once (default %(default)s)")
    parser.add_argument("-c", dest="times", type=int_in(1, 1000), default=3, metavar="COUNT",
                        help="how far each worker counts, 0.5 s a step (default %(default)s)")
    args = parse_args(parser)
    me = f"{'main':10} ({os.getpid()})"

    print(f"{me}: {os.cpu_count()} CPUs online, starting {args.workers} workers", flush=True)
    workers = [Process(target=count, args=(args.times,)) for _ in range(args.workers)]
    for p in workers:
        p.start()
        print(f"{me}: started {p.name}, pid {p.pid}, is_alive = {str(p.is_alive()).lower()}",
              flush=True)
    for p in workers:
        p.join()
        print(f"{me}: joined {p.name}: is_alive = {str(p.is_alive()).lower()}, "
              f"exitcode = {p.exitcode}", flush=True)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
