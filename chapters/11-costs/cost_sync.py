"""cost_sync.py - what multiprocessing's Lock, Semaphore and Event cost.

The C twin is cost_sync.c (rows lock, lock_2, sem, sem_2, event_rt).
Usage: python3 cost_sync.py [-r ROW] [-s SCALE] [-p | -a]
Look for: acquire + release of a free Lock is two calls into C (a
sem_trywait-first SemLock) plus the interpreter's work around them; an
Event is a Condition and a Semaphore, so its round trip takes several
lock operations and wake-ups on each side.
"""
import multiprocessing as mp
import os
import time

from bench import Bench, pin, report, us_per_op

ROWS = ["lock", "lock_2", "sem", "sem_2", "event_rt"]


def pairs(lock, n):
    # The bound methods looked up once: the loop measures the lock, not
    # the attribute lookups (the fastest honest Python).
    acquire, release = lock.acquire, lock.release
    for _ in range(n):
        acquire()
        release()


def alone(lock, n):
    pairs(lock, n // 10 + 1)                    # warm-up
    start = time.perf_counter()
    pairs(lock, n)
    return us_per_op(start, n) * 1000           # nanoseconds


def contender(lock, n, ready, go, cpu):
    if cpu is not None:
        pin(cpu)
    pairs(lock, n // 10 + 1)
    ready.release()
    go.acquire()
    pairs(lock, n)


def two(ctx, b, lock, n):
    # Each on a CPU of its own unless -p, as in cost_sync.c.
    apart = not b.pin and hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) >= 2
    ready, go = ctx.Semaphore(0), ctx.Semaphore(0)
    # daemon=True: if this process is stopped (SIGTERM), Python stops these
    # at exit instead of waiting for them forever.
    procs = [ctx.Process(target=contender, args=(lock, n, ready, go, i if apart else None),
                         daemon=True)
             for i in range(2)]
    for p in procs:
        p.start()
    ready.acquire()
    ready.acquire()
    start = time.perf_counter()
    go.release()
    go.release()
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"a contender ended with exitcode {p.exitcode}")
    return us_per_op(start, 2 * n) * 1000       # nanoseconds


def answer(ping, pong, n):
    for _ in range(n):
        ping.wait()
        ping.clear()
        pong.set()


def event_round_trip(ctx, n):
    warm = n // 10 + 1
    ping, pong = ctx.Event(), ctx.Event()
    child = ctx.Process(target=answer, args=(ping, pong, warm + n), daemon=True)
    child.start()
    for i in range(warm + n):
        if i == warm:
            start = time.perf_counter()
        ping.set()
        pong.wait()
        pong.clear()
    us = us_per_op(start, n)
    child.join()
    return us


def main():
    b = Bench("what Lock, Semaphore and Event cost", ROWS)
    ctx = mp.get_context("fork")
    if b.wants("lock"):
        report("lock", "Python", alone(ctx.Lock(), b.count(2000000)), "ns",
               "Lock.acquire() + release(), free lock")
    if b.wants("lock_2"):
        report("lock_2", "Python", two(ctx, b, ctx.Lock(), b.count(500000)), "ns",
               "Lock.acquire() + release(), 2 processes, per pair")
    if b.wants("sem"):
        report("sem", "Python", alone(ctx.Semaphore(1), b.count(2000000)), "ns",
               "Semaphore(1).acquire() + release()")
    if b.wants("sem_2"):
        report("sem_2", "Python", two(ctx, b, ctx.Semaphore(1), b.count(500000)), "ns",
               "Semaphore(1).acquire() + release(), 2 processes, per pair")
    if b.wants("event_rt"):
        report("event_rt", "Python", event_round_trip(ctx, b.count(3000)), "us",
               "Event.set() + wait() + clear(), two events")


if __name__ == "__main__":
    main()
