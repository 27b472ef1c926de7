"""cost_shm.py - what chapter 12's shared memory buys in Python: 1 MiB from
a child to its parent through a Queue and through shared memory, and what
a Value's locked increment costs.

The C twin is cost_shm.c (rows mib_queue, mib_shm, value_inc).
Usage: python3 cost_shm.py [-r ROW] [-s SCALE] [-p | -a]
Look for: a Queue pickles the bytes (a copy), its feeder thread writes them
into a pipe (a copy), get() reads them out (a copy) and unpickles them (a
copy); and since the pickling happens later, in the feeder thread, the
child must put() a snapshot that it will not change (one more copy, the
bytes() of each round: put() it the bytearray itself and change it for
the next round, and the parent may get the later stamps). Through a RawArray the child copies them in once and the parent
reads them where they are. `with v.get_lock(): v.value += 1` is an RLock
taken and given back, and two calls into ctypes.
"""
import multiprocessing as mp
import time

from bench import Bench, place_child, report, us_per_op

ROWS = ["mib_queue", "mib_shm", "value_inc"]
MIB = 1024 * 1024


def producer(how, channel, rounds, ready=None, room=None):
    place_child()
    data = bytearray(b"\x01") * MIB
    view = memoryview(channel).cast("B") if how == "shm" else None
    for i in range(rounds):
        data[0] = data[-1] = i % 256
        if how == "queue":
            # put() pickles later, in the feeder thread: handed data itself,
            # the parent could get a later round's stamps. A snapshot, then.
            channel.put(bytes(data))
        else:
            room.acquire()
            at = i % 2 * MIB
            view[at:at + MIB] = data            # one copy, into shared memory
            ready.release()
    # At exit the Queue's feeder thread flushes what is left into the pipe.


def consume(how, channel, first, rounds, ready=None, room=None):
    view = memoryview(channel).cast("B") if how == "shm" else None
    for i in range(first, first + rounds):
        if how == "queue":
            got, at = channel.get(), 0          # new bytes, unpickled
        else:
            ready.acquire()
            got, at = view, i % 2 * MIB         # read where it is: no copy
        if got[at] != i % 256 or got[at + MIB - 1] != i % 256:
            raise SystemExit(f"round {i}: not the bytes the child sent")
        if how == "shm":
            room.release()


def mib(ctx, how, n):
    warm = n // 10 + 1
    if how == "queue":
        channel, sems = ctx.Queue(2), ()
    else:
        channel, sems = ctx.RawArray("B", 2 * MIB), (ctx.Semaphore(0), ctx.Semaphore(2))
    # daemon=True: stopped by Python, not waited for, if we are stopped.
    p = ctx.Process(target=producer, args=(how, channel, warm + n) + sems, daemon=True)
    p.start()
    consume(how, channel, 0, warm, *sems)
    start = time.perf_counter()
    consume(how, channel, warm, n, *sems)
    us = us_per_op(start, n)
    p.join()
    if p.exitcode != 0:
        raise SystemExit(f"the child ended with {p.exitcode}")
    return us


def increments(ctx, n):
    v = ctx.Value("l", 0)
    for count in (n // 10 + 1, n):              # the first pass is the warm-up
        start = time.perf_counter()
        for _ in range(count):
            with v.get_lock():
                v.value += 1
    if v.value != n // 10 + 1 + n:
        raise SystemExit(f"the counter is {v.value}, not {n // 10 + 1 + n}")
    return us_per_op(start, n) * 1000


def main():
    b = Bench("what shared memory buys, multiprocessing.Queue, RawArray, Value", ROWS)
    ctx = mp.get_context("fork")
    if b.wants("mib_queue"):
        report("mib_queue", "Python", mib(ctx, "queue", b.count(300)), "us",
               "Queue(2).put(bytes of 1 MiB) / get()")
    if b.wants("mib_shm"):
        report("mib_shm", "Python", mib(ctx, "shm", b.count(1000)), "us",
               "1 MiB into RawArray('B', 2 MiB), two Semaphores")
    if b.wants("value_inc"):
        report("value_inc", "Python", increments(ctx, b.count(300000)), "ns",
               "with v.get_lock(): v.value += 1")


if __name__ == "__main__":
    main()
