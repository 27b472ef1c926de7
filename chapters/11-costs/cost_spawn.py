"""cost_spawn.py - what starting a process costs in Python: Process with
the fork start method, from a small and from a big parent, and
os.posix_spawnp.

The C twin is cost_spawn.c (rows fork, fork_16m, fork_256m, spawn, spawn_256m,
command).
Usage: python3 cost_spawn.py [-r ROW] [-s SCALE] [-p | -a]
Look for: Process adds its own work (a Popen object, a sentinel pipe, the
child's clean-up at exit) to fork's; both grow with the parent's memory.
"""
import multiprocessing as mp
import os
import subprocess
import time

from bench import Bench, report, us_per_op

ROWS = ["fork", "fork_16m", "fork_256m", "spawn", "spawn_256m", "command"]


def nothing():
    pass


def processes(ctx, n):
    for count in (n // 10 + 1, n):              # the first pass is the warm-up
        start = time.perf_counter()
        for _ in range(count):
            p = ctx.Process(target=nothing)
            p.start()
            p.join()
            if p.exitcode != 0:
                raise SystemExit(f"a child that does nothing ended with {p.exitcode}")
    return us_per_op(start, n)


def processes_big(ctx, mib, n):
    # bytes * n writes every byte: the pages exist, as after memset in C.
    ballast = b"\x01" * (mib * 1024 * 1024)
    us = processes(ctx, n)
    if ballast[-1] != 1:
        raise SystemExit("the ballast changed under us")
    return us


def spawns(n):
    for count in (n // 10 + 1, n):
        start = time.perf_counter()
        for _ in range(count):
            pid = os.posix_spawnp("true", ["true"], os.environ)
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                raise SystemExit(f"true ended with {os.waitstatus_to_exitcode(status)}")
    return us_per_op(start, n)


def commands(n):
    for count in (n // 10 + 1, n):
        start = time.perf_counter()
        for _ in range(count):
            subprocess.run(["true"], check=True)
    return us_per_op(start, n)


def main():
    b = Bench("what starting a process costs, multiprocessing.Process", ROWS)
    ctx = mp.get_context("fork")
    if b.wants("fork"):
        report("fork", "Python", processes(ctx, b.count(200)), "us",
               "Process(target=nothing).start() + join(), fork method")
    if b.wants("fork_16m"):
        report("fork_16m", "Python", processes_big(ctx, 16, b.count(150)), "us",
               "the same, parent holds 16 MiB of written bytes")
    if b.wants("fork_256m"):
        report("fork_256m", "Python", processes_big(ctx, 256, b.count(40)), "us",
               "the same, parent holds 256 MiB of written bytes")
    if b.wants("spawn"):
        report("spawn", "Python", spawns(b.count(500)), "us", "os.posix_spawnp + os.waitpid of true")
    if b.wants("spawn_256m"):
        ballast = b"\x01" * (256 * 1024 * 1024)
        report("spawn_256m", "Python", spawns(b.count(40)), "us",
               "os.posix_spawnp + os.waitpid of true, parent holds 256 MiB")
        del ballast
    if b.wants("command"):
        report("command", "Python", commands(b.count(500)), "us", "subprocess.run(['true'], check=True)")


if __name__ == "__main__":
    main()
