"""cost_queue.py - how many small messages per second multiprocessing's
Queue moves, with one producer and one consumer, and with two of each.

The C twin is cost_queue.c (rows queue_1x1, queue_2x2).
Usage: python3 cost_queue.py [-r ROW] [-s SCALE] [-p | -a]
Look for: put() hands the object to a feeder thread, which pickles it and
writes it to a pipe under a lock; get() reads it under another lock and
unpickles it: a system call or two per message, plus the interpreter.
"""
import multiprocessing as mp
import time

from bench import Bench, report

ROWS = ["queue_1x1", "queue_2x2"]


def producer(q, count, ready, go):
    ready.release()
    go.wait()
    for k in range(count):
        q.put(k)
    # At exit the feeder thread flushes what is left into the pipe: join()
    # in the parent returns once every message is in.


def consumer(q, counts, ready, go):
    ready.release()
    go.wait()
    got = 0
    while q.get() is not None:
        got += 1
    counts.put(got)


def run(ctx, nprod, ncons, n):
    q = ctx.Queue()
    counts = ctx.SimpleQueue()
    ready, go = ctx.Semaphore(0), ctx.Event()
    # daemon=True: stopped by Python, not waited for, if we are stopped.
    cons = [ctx.Process(target=consumer, args=(q, counts, ready, go), daemon=True)
            for _ in range(ncons)]
    prods = [ctx.Process(target=producer, args=(q, n // nprod + (i < n % nprod), ready, go),
                         daemon=True)
             for i in range(nprod)]
    for p in cons + prods:
        p.start()
    for _ in cons + prods:
        ready.acquire()
    start = time.perf_counter()
    go.set()
    for p in prods:
        p.join()
    for _ in cons:
        q.put(None)                 # one sentinel per consumer, after the rest
    for p in cons:
        p.join()
    secs = time.perf_counter() - start
    # The sentinels started this process's feeder thread: end it now, or
    # the next row's fork() may find it running (a fork in a process with
    # threads, which Python 3.12 and later warn of).
    q.close()
    q.join_thread()
    total = sum(counts.get() for _ in cons)
    if total != n:
        raise SystemExit(f"the consumers got {total} messages, not {n}")
    return n / secs / 1000


def main():
    b = Bench("how many messages a Queue moves", ROWS)
    ctx = mp.get_context("fork")
    if b.wants("queue_1x1"):
        report("queue_1x1", "Python", run(ctx, 1, 1, b.count(200000)), "k/s",
               "Queue().put(i) / get(), small ints")
    if b.wants("queue_2x2"):
        report("queue_2x2", "Python", run(ctx, 2, 2, b.count(200000)), "k/s",
               "2 producers, 2 consumers, Queue().put(i) / get()")


if __name__ == "__main__":
    main()
