"""queue_terminate.py - why a reader is stopped with a sentinel, not killed.

The C twin is queue_terminate.c.
Usage: python3 queue_terminate.py [-c ATTEMPTS] [-s SIZE]

A writer keeps putting large messages, a reader keeps getting them; the
parent terminate()s the reader, as the tutorials do. Python's reader holds
the queue's read lock (a semaphore) for the whole of get(), even while it
waits for data, so it almost always dies holding it; nobody ever releases it.
Afterwards get(timeout) raises Empty although items are there (qsize() says
so), and a plain get() would wait forever.
Messages are at most 2048 bytes here, whatever -s says, so that each goes
into the pipe in one atomic write: the writer ends without flushing
(cancel_join_thread), and a message cut in half by its end would make the
parent's get(timeout=...) hang in the middle of reading it, timeout or not.
Racy, and the lesson itself: where the reader was when it died.
"""
import argparse
import multiprocessing
import os
import queue
import sys
from multiprocessing import Event, Process, Queue

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, parse_args, say  # noqa: E402

ATOMIC = 2048       # pickled and framed, still below PIPE_BUF (4096)


def writer(q, stop, full, size):
    # Let this process end even with messages still buffered for the queue:
    # nobody may be left to read them. (By default its exit waits until its
    # feeder thread has written them all, which may be never.)
    q.cancel_join_thread()
    msg = b"w" * min(size, ATOMIC)
    while not stop.is_set():
        try:
            q.put(msg, timeout=0.05)
        except queue.Full:
            full.set()                  # full once: the reader may start


def reader(q, started):
    while True:                         # the tutorial's reader
        q.get(True)
        started.set()


def attempt(n, size):
    me = os.getpid()
    q = Queue(maxsize=16)
    stop, full, started = Event(), Event(), Event()
    pw = Process(target=writer, args=(q, stop, full, size))
    pw.start()
    full.wait(30)
    pr = Process(target=reader, args=(q, started))
    pr.start()
    started.wait(30)
    pr.terminate()
    pr.join()
    stop.set()
    pw.join()
    say(f"main ({me}): attempt {n}: reader {pr.pid} terminated (exitcode {pr.exitcode}), "
        f"writer joined ({pw.exitcode})")
    try:
        q.get(timeout=0.5)
    except queue.Empty:
        if q.qsize() > 0:
            say(f"main ({me}): attempt {n}: the reader died holding the queue's lock")
            say(f"main ({me}):   get(timeout=0.5) -> Empty, yet qsize() = {q.qsize()}: "
                "the dead reader holds the read lock")
            say(f"main ({me}):   nothing will ever release it: a plain get() would wait forever")
            return True
        say(f"main ({me}): attempt {n}: the reader died outside the lock; the queue still works")
        say(f"main ({me}):   get(timeout=0.5) -> Empty; the message the reader had taken is lost")
        return False
    say(f"main ({me}): attempt {n}: the reader died outside the lock; the queue still works")
    say(f"main ({me}):   get(timeout=0.5) -> OK; the message the reader had taken is lost")
    return False


def main():
    parser = argparse.ArgumentParser(
        description=f"terminate() a reader that is using a Queue (here a message is at most "
        f"{ATOMIC} bytes, whatever -s says)")
    parser.add_argument("-c", dest="attempts", type=int_in(1, 1000), default=10, metavar="ATTEMPTS",
                        help="attempts at most, until a reader dies holding the lock "
                        "(default %(default)s)")
    parser.add_argument("-s", dest="size", type=int_in(1, 4 << 20), default=1 << 20, metavar="SIZE",
                        help="bytes in each message, at most 4 MiB (default %(default)s)")
    args = parse_args(parser)
    held, n = False, 0
    while n < args.attempts and not held:
        n += 1
        held = attempt(n, args.size)
    say(f"main ({os.getpid()}): "
        + ("saw a reader die holding the lock" if held else "never saw a reader die holding the lock")
        + f" after {n} attempt{'' if n == 1 else 's'}")


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
