"""cost_start.py - what a start method costs in Python: a Process whose
target does nothing, started and joined, with the spawn and the forkserver
start methods (the fork method is cost_spawn.py's fork row).

The C twin is cost_start.c (rows start_spawn, start_forkserver).
Usage: python3 cost_start.py [-r ROW] [-s SCALE] [-p | -a] [-R parent|child]
Look for: spawn starts a fresh interpreter for every child, which imports
this file again (as __mp_main__: hence the guard at the end) and what it
imports, then unpickles the Process object; forkserver starts its server
once (in the warm-up here) and forks each child from it: the child is
already an interpreter with this file imported.
-R exists to match the C program's options: Python starts its fresh copies
itself (--multiprocessing-fork), so -R child is refused.
"""
import multiprocessing as mp
import time

from bench import Bench, report, us_per_op

ROWS = ["start_spawn", "start_forkserver"]


def nothing():
    pass


def processes(ctx, n):
    for count in (n // 10 + 1, n):              # the first pass is the warm-up
        start = time.perf_counter()
        for _ in range(count):
            p = ctx.Process(target=nothing)     # pickled by name: a top-level function
            p.start()
            p.join()
            if p.exitcode != 0:
                raise SystemExit(f"a child that does nothing ended with {p.exitcode}")
    return us_per_op(start, n)


def main():
    # ctx: the row's get_context("spawn") or get_context("forkserver").
    b = Bench("what a start method costs, multiprocessing.Process", ROWS,
              roles=("parent", "child"))
    if b.role == "child":
        b.error("-R child: Python's spawn starts its children itself (--multiprocessing-fork)")
    if b.wants("start_spawn"):
        report("start_spawn", "Python", processes(mp.get_context("spawn"), b.count(30)), "us",
               "ctx.Process(target=nothing).start() + join()")
    if b.wants("start_forkserver"):
        report("start_forkserver", "Python", processes(mp.get_context("forkserver"), b.count(150)),
               "us", "ctx.Process(target=nothing).start() + join()")


if __name__ == "__main__":
    main()
