"""pipe_atomic.py - several writers on one pipe: writes of at most PIPE_BUF
bytes never interleave; larger ones may.

The C twin is pipe_atomic.c. Usage: python3 pipe_atomic.py [-n WRITERS] [-c RECORDS] [-s SIZE]

os.write() is one write(2), so Python sees exactly what C sees. (So does
Connection.send_bytes, which writes a message of up to 16 KiB, header
included, in one call: atomic only up to PIPE_BUF.)
Racy: how many records above PIPE_BUF are torn (0 is allowed).
"""
import argparse
import multiprocessing
import os
import sys
from multiprocessing import Process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, join_all, parse_args, say  # noqa: E402

MAX_WRITERS = 8
MAX_SIZE = 1 << 20
BIG = 100000


def writer(r, w, letter, records, size):
    os.close(r)                                 # writers do not read
    record = letter * size
    for _ in range(records):
        view = memoryview(record)
        while view:                             # loops only after a signal
            view = view[os.write(w, view):]
    os.close(w)


def read_block(fd, size):
    parts, got = [], 0
    while got < size:
        part = os.read(fd, size - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def round_of(writers, records, size, pipe_buf):
    me = os.getpid()
    say(f"reader ({me}): {writers} writers x {records} records of {size} bytes "
        f"({'<=' if size <= pipe_buf else '>'} PIPE_BUF)")
    r, w = os.pipe()
    letters = [bytes([ord("A") + i]) for i in range(writers)]
    procs = [Process(target=writer, args=(r, w, letters[i], records, size)) for i in range(writers)]
    for p in procs:
        p.start()
    os.close(w)                                 # else no end of file, ever
    torn = blocks = 0
    counts = [0] * writers
    while True:
        block = read_block(r, size)
        if not block:
            break
        blocks += 1
        if block.count(block[:1]) != len(block):
            torn += 1
        for i, letter in enumerate(letters):
            counts[i] += block.count(letter)
    os.close(r)
    if join_all(procs):
        sys.exit("pipe_atomic.py: a writer failed: the others were stopped and joined")
    ok = True
    if size <= pipe_buf:
        say(f"reader ({me}): {blocks} records read, {torn} torn (expected 0: guaranteed)")
        ok = torn == 0
    else:
        say(f"reader ({me}): {blocks} records' worth read, {torn} torn (any number is allowed)")
    for i in range(writers):
        say(f"reader ({me}): writer {letters[i].decode()}: {counts[i]} bytes arrived "
            f"(expected {records * size})")
        ok = ok and counts[i] == records * size
    return ok


def main():
    parser = argparse.ArgumentParser(description="PIPE_BUF atomicity with several writers")
    parser.add_argument("-n", dest="writers", type=int_in(1, MAX_WRITERS), default=4,
                        metavar="WRITERS",
                        help="writer processes on the one pipe (default %(default)s)")
    parser.add_argument("-c", dest="records", type=int_in(1, 100000), default=None,
                        metavar="RECORDS",
                        help="records each writer writes a round "
                        "(default: about 1 MiB; 64 with -s)")
    parser.add_argument("-s", dest="size", type=int_in(1, MAX_SIZE), default=None, metavar="SIZE",
                        help="one round, records of SIZE bytes (default: PIPE_BUF, then 100000)")
    args = parse_args(parser)

    r, w = os.pipe()
    pipe_buf = os.fpathconf(r, "PC_PIPE_BUF")
    os.close(r)
    os.close(w)
    say(f"reader ({os.getpid()}): PIPE_BUF is {pipe_buf} bytes here")
    if args.size is not None:
        ok = round_of(args.writers, args.records or 64, args.size, pipe_buf)
    else:
        ok = round_of(args.writers, args.records or (1 << 20) // pipe_buf, pipe_buf, pipe_buf)
        ok = round_of(args.writers, args.records or (1 << 20) // BIG, BIG, pipe_buf) and ok
    say(f"reader ({os.getpid()}): self-check: "
        + ("no small write torn, every byte arrived" if ok else "FAILED"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
