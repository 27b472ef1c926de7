"""process_class.py - subclass Process and override run().

start() runs run() in a new process; calling run() directly is an ordinary
method call in the parent. The C twin is process_class.c.
Usage: python3 process_class.py [-c TICKS]
"""
import argparse
import multiprocessing
import os
import sys
from multiprocessing import Process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, parse_args  # noqa: E402


class ClockProcess(Process):
    def __init__(self, ticks, interval):
        super().__init__()      # forget this and start() fails
        self.ticks = ticks
        self.interval = interval

    def run(self):
        for i in range(1, self.ticks + 1):
            print(f"ClockProcess.run(): tick {i}/{self.ticks} in pid {os.getpid()}", flush=True)
            pace(self.interval)


def main():
    parser = argparse.ArgumentParser(description="a Process subclass")
    parser.add_argument("-c", dest="ticks", type=int_in(1, 100), default=3, metavar="TICKS",
                        help="ticks of run(), once called directly, once in a child "
                        "(default %(default)s)")
    args = parse_args(parser)

    print(f"main: pid {os.getpid()}", flush=True)
    clock = ClockProcess(args.ticks, 0.5)
    print("main: calling run() directly: no new process", flush=True)
    clock.run()
    print("main: calling start(): run() in a child", flush=True)
    clock.start()
    clock.join()
    print(f"main: joined child {clock.pid}, exitcode {clock.exitcode}", flush=True)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
