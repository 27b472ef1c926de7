"""queue_workers.py - several producers and consumers share one Queue; they
stop cleanly on sentinels.

The C twin is queue_workers.c.
Usage: python3 queue_workers.py [-p PRODUCERS] [-n CONSUMERS] [-c ITEMS] [-s BYTES] [-v]
                                [-t SECONDS]

The messages, their sizes and their CRC-32s are the same as in C: -s BYTES
sets the largest message to BYTES - 4 (Python's Queue has no such limit; the
twin keeps the C program's sizes so that both can be compared). None is the
sentinel. Racy: which consumer gets which message.
"""
import argparse
import multiprocessing
import os
import re
import sys
import zlib
from multiprocessing import Process, Queue

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, parse_args, say  # noqa: E402

MAX_PROCS = 16
HEADER = 4
PATTERN = bytes(range(256)) * 2
M32 = 0xFFFFFFFF


def size_of(p, seq, largest, head):
    """The same sizes as queue_workers.c: mostly small, one in eight near the largest."""
    h = ((p * 2654435761) & M32) ^ ((seq * 40503) & M32)
    h ^= h >> 15
    h = (h * 2246822519) & M32
    h ^= h >> 13
    if h % 8 == 0:
        return largest - h // 8 % 16
    if h % 8 < 4:
        return head + h // 8 % 48
    return head + h // 8 % (largest - head + 1)


def make_message(p, seq, largest, mixed):
    text = f"p{p} #{seq}".encode()
    if not mixed:
        return text
    size = size_of(p, seq, largest, len(text) + 1)
    start = len(text) + 1
    first = (p * 31 + seq * 17 + start) % 256     # byte i is (p*31 + seq*17 + i) mod 256
    body = b""
    while len(body) < size - start:
        body += PATTERN[first:first + 256]
        first = (first + 256) % 256
    return text + b" " + body[:size - start]


def producer(q, me, items, largest, mixed, delay):
    pid = os.getpid()
    for seq in range(1, items + 1):
        msg = make_message(me, seq, largest, mixed)
        say(f"producer {me} ({pid}): put p{me} #{seq} ({len(msg)} bytes, crc {zlib.crc32(msg):08x})")
        q.put(msg)
        pace(delay)


def consumer(q, results, me, producers, largest, mixed):
    pid = os.getpid()
    last = [0] * producers
    got = bad = 0
    while True:
        msg = q.get()
        if msg is None:                     # the sentinel
            break
        got += 1
        m = re.match(rb"p(\d+) #(\d+)", msg)
        if not m or int(m[1]) >= producers:
            bad += 1
            continue
        p, seq = int(m[1]), int(m[2])
        say(f"consumer {me} ({pid}): got p{p} #{seq} ({len(msg)} bytes, crc {zlib.crc32(msg):08x})")
        if seq <= last[p]:                  # one producer's items come in order
            bad += 1
        last[p] = seq
        if msg != make_message(p, seq, largest, mixed):
            bad += 1
    say(f"consumer {me} ({pid}): got the sentinel after {got} item{'' if got == 1 else 's'}, "
        f"{bad} bad")
    results.put((got, bad))


def seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"wants a number, not {text!r}") from None
    if not 0 <= value <= 10:
        raise argparse.ArgumentTypeError(f"must be from 0 to 10, not {text}")
    return value


def main():
    parser = argparse.ArgumentParser(description="producers and consumers on one Queue")
    parser.add_argument("-p", dest="producers", type=int_in(1, MAX_PROCS), default=2,
                        metavar="PRODUCERS", help="producer processes (default %(default)s)")
    parser.add_argument("-n", dest="consumers", type=int_in(1, MAX_PROCS), default=2,
                        metavar="CONSUMERS", help="consumer processes (default %(default)s)")
    parser.add_argument("-c", dest="items", type=int_in(1, 10000000), default=5, metavar="ITEMS",
                        help="messages each producer puts (default %(default)s)")
    parser.add_argument("-s", dest="bytes", type=int_in(64, 16 << 20), default=64 * 1024,
                        metavar="BYTES", help="bytes per slot; the largest message is BYTES - 4 "
                        "(default %(default)s)")
    parser.add_argument("-v", dest="mixed", action="store_true",
                        help="vary the item sizes, from a few bytes up to the largest")
    parser.add_argument("-t", dest="delay", type=seconds, default=0.1, metavar="SECONDS",
                        help="a producer's pause after a put, times WORKBOOK_PACE "
                        "(default %(default)s)")
    args = parse_args(parser)
    me = os.getpid()
    largest = args.bytes - HEADER           # as in a slot of the C queue

    q, results = Queue(), Queue()
    say(f"main       ({me}): {args.producers} producers x {args.items} items, "
        f"{args.consumers} consumers; largest message {largest} bytes")
    say(f"main       ({me}): put({largest + 1} bytes) -> would be accepted: "
        "Python's Queue has no largest message")
    producers = [Process(target=producer, args=(q, i, args.items, largest, args.mixed, args.delay))
                 for i in range(args.producers)]
    consumers = [Process(target=consumer, args=(q, results, i, args.producers, largest, args.mixed))
                 for i in range(args.consumers)]
    for p in producers + consumers:
        p.start()
    for p in producers:
        p.join()
    say(f"main       ({me}): producers joined; putting {args.consumers} sentinels")
    for _ in consumers:
        q.put(None)
    # Take the summaries BEFORE joining: a process that still has items
    # buffered for a queue cannot end until they are read.
    total = bad = 0
    for _ in consumers:
        got, wrong = results.get()
        total += got
        bad += wrong
    for p in consumers:
        p.join()
    expected = args.producers * args.items
    say(f"main       ({me}): consumers joined: {total} items got (expected {expected}), "
        f"{bad} bad; qsize() = {q.qsize()}")
    ok = total == expected and bad == 0 and q.empty()
    say(f"main       ({me}): self-check: {'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
