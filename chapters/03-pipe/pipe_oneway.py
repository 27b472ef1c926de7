"""pipe_oneway.py - Pipe(duplex=False); EOFError only when every write end
is closed.

The C twin is pipe_oneway.c.
Usage: python3 pipe_oneway.py [-c MESSAGES] [-m none|parent|child] [-t SECONDS]

The child is given both ends, as fork() gives them to a C child, and closes
the write end unless told to forget (-m child); the parent closes its own
unless told to forget (-m parent). The reader waits with r.poll(timeout), so
a forgotten close ends with a report instead of a hang.
Racy: where the child's lines fall among the parent's "sending" lines.
"""
import argparse
import multiprocessing
import os
import sys
from multiprocessing import Pipe, Process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import float_in, int_in, pace, parse_args, say  # noqa: E402


def reader(r, w, timeout, forget):
    me = os.getpid()
    if forget == "child":
        say(f"child  ({me}): forgets to close its copy of the write end")
    else:
        w.close()                       # else we would wait for ourselves
    count = 0
    while True:
        if not r.poll(timeout):         # nothing, not even end of file
            whose = {"child": "this reader's own copy, from fork()",
                     "parent": "the parent's"}.get(forget, "the parent's: slow, or stuck?")
            say(f"child  ({me}): no end of file after {timeout:g} s: "
                f"a write end is still open ({whose})")
            break
        try:
            msg = r.recv_bytes().decode()
        except EOFError:
            say(f"child  ({me}): end of file after {count} messages: "
                "every write end is closed (Python: EOFError)")
            break
        say(f"child  ({me}): got '{msg}'")
        count += 1
    r.close()


def main():
    parser = argparse.ArgumentParser(description="a one-way Pipe and end of file")
    parser.add_argument("-c", dest="messages", type=int_in(0, 1000), default=3, metavar="MESSAGES",
                        help="messages the parent sends (default %(default)s)")
    parser.add_argument("-m", dest="forget", choices=["none", "parent", "child"], default="none",
                        metavar="none|parent|child",
                        help="who forgets to close a write end (default %(default)s)")
    parser.add_argument("-t", dest="timeout", type=float_in(0.01, 60), default=2.0,
                        metavar="SECONDS",
                        help="how long the reader waits for a message or end of file (default 2)")
    args = parse_args(parser)
    me = os.getpid()

    r, w = Pipe(duplex=False)           # r only receives, w only sends
    p = Process(target=reader, args=(r, w, args.timeout, args.forget))
    p.start()
    r.close()                           # the parent only writes
    for i in range(1, args.messages + 1):
        msg = f"message {i}"
        say(f"parent ({me}): sending '{msg}'")
        try:
            w.send_bytes(msg.encode())
        except BrokenPipeError:         # EPIPE: the reader gave up
            say(f"parent ({me}): EPIPE: nobody reads this pipe any more; stopping")
            break
        pace(0.5)
    if args.forget == "parent":
        say(f"parent ({me}): forgets to close its write end, and waits for the child")
    else:
        say(f"parent ({me}): closes its write end, and waits for the child")
        w.close()
    p.join()
    say(f"parent ({me}): the child exited with {p.exitcode}")
    w.close()                           # late, but closed (a no-op if closed)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
