"""cost_pool.py - what multiprocessing's Pool costs: one task's round trip,
map over many trivial tasks, one per message or in chunks, and imap over
the same tasks (one per message: imap's default chunksize is 1).

The C twin is cost_pool.c (rows apply_rt, map_1, map_chunks, imap_1,
imap_first).
Usage: python3 cost_pool.py [-r ROW] [-s SCALE] [-p | -a]
Look for: each task travels through the pool's task queue (a pipe and a
lock), a handler thread, a worker, the result queue and a result thread:
several wake-ups per task, which chunks share among many tasks. imap's
results come through an iterator that the result thread feeds; its task
thread sends the input on as fast as the task pipe takes it (no window of
outstanding tasks, unlike chapter 05's C).
"""
import multiprocessing as mp
import time

from bench import Bench, report, us_per_op

ROWS = ["apply_rt", "map_1", "map_chunks", "imap_1", "imap_first"]


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


def imap_once(pool, n):
    """One imap over range(n), results checked in task order; the
    microseconds from the call to the first result in hand."""
    start = time.perf_counter()
    results = pool.imap(identity, range(n))         # chunksize 1, the default
    first_us = None
    for i, value in enumerate(results):
        if first_us is None:
            first_us = us_per_op(start, 1)
        if value != i:
            raise SystemExit(f"imap: result {i} is {value}")
    return first_us


def imap_rate(ctx, n):
    with ctx.Pool() as pool:
        imap_once(pool, n // 10 + 1)                # warm-up
        start = time.perf_counter()
        first_us = imap_once(pool, n)
        secs = time.perf_counter() - start
    return n / secs / 1000, first_us


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
    if b.wants("imap_1") or b.wants("imap_first"):
        rate, first_us = imap_rate(ctx, b.count(10000))
        if b.wants("imap_1"):
            report("imap_1", "Python", rate, "k/s", "Pool().imap(f, range(n)), in task order")
        if b.wants("imap_first"):
            report("imap_first", "Python", first_us, "us", "the same imap: until its first result")


if __name__ == "__main__":
    main()
