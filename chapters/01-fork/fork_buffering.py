"""fork_buffering.py - a line printed once comes out twice.

print() appends to a buffer; into a pipe or a file, Python flushes it only
when it fills or at exit. os.fork() copies the buffer into the child, and
both processes write it out.

  -m broken  print, fork, both sides exit normally: duplicated when piped
  -m flush   flush before fork; the child ends with os._exit()
  -m write   print(..., flush=True) for every line: nothing left to copy

The C twin is fork_buffering.c.
Usage: python3 fork_buffering.py [-m broken|flush|write]; try it with | cat
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import parse_args  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description="stdio buffers are copied by fork")
    parser.add_argument("-m", dest="mode", choices=("broken", "flush", "write"),
                        default="broken", metavar="broken|flush|write",
                        help="fork with the line buffered, flushed, or unbuffered "
                        "(default %(default)s)")
    mode = parse_args(parser).mode
    eager = mode == "write"

    print(f"printed once, before fork (pid {os.getpid()})", flush=eager)
    if mode == "flush":
        sys.stdout.flush()      # empty the buffer before fork copies it

    pid = os.fork()
    if pid == 0:
        print(f"child  ({os.getpid()}): done", flush=eager)
        if mode == "broken":
            sys.exit(0)         # normal exit: flushes the inherited buffer too
        sys.stdout.flush()      # our own line, written on purpose
        os._exit(0)             # and nothing else
    os.waitpid(pid, 0)
    print(f"parent ({os.getpid()}): done", flush=eager)


if __name__ == "__main__":
    main()
