"""pipe_duplex.py - both ends of a Pipe() send and receive; frames keep the
messages apart.

The C twin is pipe_duplex.c. Usage: python3 pipe_duplex.py [-c REQUESTS] [-m framed|raw]

send_bytes()/recv_bytes() frame every message with its length, so three
messages sent in a row come back as three. With -m raw the child writes the
bytes itself (os.write on the connection's descriptor, no length), and one
os.read() gets them all run together. Nothing here is racy.
"""
import argparse
import multiprocessing
import os
import sys
from multiprocessing import Pipe, Process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, parse_args, say  # noqa: E402

REQUESTS = ["apple", "banana split", "", "cherry", "a rather longer request, to vary the length"]
BURST = ["one", "two", "three"]


def child(conn, n, raw):
    me = os.getpid()
    for i in range(1, n + 1):
        req = conn.recv_bytes().decode()
        say(f"child  ({me}): got request {i}:   '{req}' ({len(req)} bytes)")
        reply = req.upper()
        say(f"child  ({me}): sending reply {i}:  '{reply}'")
        conn.send_bytes(reply.encode())
    conn.recv_bytes()                       # part 2: wait to be asked
    for word in BURST:
        say(f"child  ({me}): sending '{word}' ({len(word)} bytes)"
            + (" with a plain write()" if raw else " as a frame"))
        if raw:
            os.write(conn.fileno(), word.encode())
        else:
            conn.send_bytes(word.encode())
    conn.close()


def main():
    parser = argparse.ArgumentParser(description="a duplex Pipe: request/reply and boundaries")
    parser.add_argument("-c", dest="requests", type=int_in(1, 1000), default=3, metavar="REQUESTS",
                        help="requests of part 1, each answered in upper case "
                        "(default %(default)s)")
    parser.add_argument("-m", dest="mode", choices=["framed", "raw"], default="framed",
                        metavar="framed|raw",
                        help="part 2's messages as frames or plain write()s (default %(default)s)")
    args = parse_args(parser)
    raw = args.mode == "raw"
    me = os.getpid()

    parent_conn, child_conn = Pipe()        # duplex=True: a socketpair
    p = Process(target=child, args=(child_conn, args.requests, raw))
    p.start()
    child_conn.close()

    say(f"parent ({me}): part 1, request and reply")
    for i in range(1, args.requests + 1):
        req = REQUESTS[(i - 1) % len(REQUESTS)]
        say(f"parent ({me}): sending request {i}: '{req}' ({len(req)} bytes)")
        parent_conn.send_bytes(req.encode())
        reply = parent_conn.recv_bytes().decode()
        say(f"parent ({me}): got reply {i}:      '{reply}' ({len(reply)} bytes)")

    say(f"parent ({me}): part 2, boundaries: asking for three messages in a row")
    parent_conn.send_bytes(b"burst")
    p.join()
    say(f"parent ({me}): the child exited with {p.exitcode}; all it sent is waiting: reading")
    if raw:
        data = os.read(parent_conn.fileno(), 255).decode()
        say(f"parent ({me}): one read() returned {len(data)} bytes: '{data}': "
            "where did each message end?")
    else:
        count = 0
        while True:
            try:
                msg = parent_conn.recv_bytes().decode()
            except EOFError:
                break
            count += 1
            say(f"parent ({me}): got message {count} of the burst: '{msg}' ({len(msg)} bytes)")
        say(f"parent ({me}): end of file after {count} messages (expected {len(BURST)})")
    parent_conn.close()


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
