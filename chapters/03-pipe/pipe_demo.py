"""pipe_demo.py - Pipe(): the parent sends one message, the child receives it.

The C twin is pipe_demo.c. Usage: python3 pipe_demo.py [-m MESSAGE] [-s SIZE]

conn.send_bytes(msg) writes a 4-byte big-endian length, then the bytes;
conn.recv_bytes() reads them back. To show the length on the wire, the
child here reads the raw bytes from the connection's file descriptor
itself, exactly as recv_bytes() would. (conn.send(obj) is send_bytes of
the pickled object: the same frame around other bytes.)
Racy: how many reads a large message takes.
"""
import argparse
import multiprocessing
import os
import sys
from multiprocessing import Pipe, Process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, parse_args, say  # noqa: E402

MAX_SIZE = 1 << 20


def fnv1a(data):
    """FNV-1a, 32 bits, as in pipe_demo.c."""
    h = 2166136261
    for byte in data:
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def describe(msg, text):
    if text:
        return f"'{msg.decode()}' ({len(msg)} bytes)"
    return f"{len(msg)} bytes, checksum {fnv1a(msg):08x}"


def read_exactly(fd, n):
    """Read n bytes, however many reads it takes; return them and the count."""
    parts, got, reads = [], 0, 0
    while got < n:
        part = os.read(fd, n - got)
        if not part:
            raise EOFError("the stream ended inside a message")
        parts.append(part)
        got += len(part)
        reads += 1
    return b"".join(parts), reads


def child(conn, text):
    fd = conn.fileno()
    header, _ = read_exactly(fd, 4)
    length = int.from_bytes(header, "big")
    say(f"child  ({os.getpid()}): read the length prefix {header.hex(' ')} = "
        f"{length} bytes to follow")
    body, reads = read_exactly(fd, length)
    say(f"child  ({os.getpid()}): received {describe(body, text)}, "
        f"in {reads} read{'' if reads == 1 else 's'}")
    conn.close()


def main():
    parser = argparse.ArgumentParser(description="Pipe(): parent sends, child receives")
    parser.add_argument("-m", dest="message", default="hello from the parent", metavar="MESSAGE")
    parser.add_argument("-s", dest="size", type=int_in(0, MAX_SIZE), default=None, metavar="SIZE")
    args = parse_args(parser)
    if len(args.message) > 200:
        parser.error("-m: a message of at most 200 characters, please")

    text = args.size is None
    if text:
        msg = args.message.encode()
    else:
        msg = bytes((i * 7 + i // 251) & 0xFF for i in range(args.size))

    parent_conn, child_conn = Pipe()        # duplex: a socketpair
    p = Process(target=child, args=(child_conn, text))
    p.start()
    child_conn.close()                      # the child's end: not ours to use
    header = len(msg).to_bytes(4, "big")
    say(f"parent ({os.getpid()}): sending {describe(msg, text)}, "
        f"prefixed by its length {header.hex(' ')}")
    parent_conn.send_bytes(msg)             # writes the same 4 bytes, then msg
    parent_conn.close()
    p.join()
    say(f"parent ({os.getpid()}): child {p.pid} exited with {p.exitcode}")


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
