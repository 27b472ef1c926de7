"""cost_pool.py - what multiprocessing's Pool costs: one task's round trip,
and map over many trivial tasks, one per message or in chunks.

The C twin is cost_pool.c (rows apply_rt, map_1, map_chunks).
Usage: python3 cost_pool.py [-r ROW] [-s SCALE] [-p | -a]
Look for: each task travels through the pool's task queue (a pipe and a
lock), a handler thread, a worker, the result queue and a result thread:
several wake-ups per task, which chunks share among many tasks.
"""
import multiprocessing as mp
import time

from bench import Bench, report, us_per_op

ROWS = ["apply_rt", "map_1", "map_chunks"]


def identity(x):
    return x


def apply_many(pool, n):
    for i in range(n):
        if pool.apply_async(identity, (i,)).get() != i:
            raise SystemExit(f"identity({i}) went wrong")


def apply_rt(ctx, n):
    with ctx.Pool() as pool:
        apply_many(pool, n // 10 + 1)           # warm-up
        start = time.perf_counter()
        apply_many(pool, n)
        return us_per_op(start, n)


def map_rate(ctx, n, chunksize):
    items = range(n)
    with ctx.Pool() as pool:
        pool.map(identity, range(n // 10 + 1), chunksize)
        start = time.perf_counter()
        results = pool.map(identity, items, chunksize)
        secs = time.perf_counter() - start
    if results != list(items):
        raise SystemExit("map went wrong")
    return n / secs / 1000


def main():
    b = Bench("what a Pool costs", ROWS)
    ctx = mp.get_context("fork")
    if b.wants("apply_rt"):
        report("apply_rt", "Python", apply_rt(ctx, b.count(2000)), "us",
               "Pool().apply_async(f, (i,)).get(), trivial task")
    if b.wants("map_1"):
        report("map_1", "Python", map_rate(ctx, b.count(10000), 1), "k/s",
               "Pool().map(f, range(n), chunksize=1), trivial tasks")
    if b.wants("map_chunks"):
        report("map_chunks", "Python", map_rate(ctx, b.count(300000), None), "k/s",
               "Pool().map(f, range(n)), default chunks, trivial tasks")


if __name__ == "__main__":
    main()
