"""start_forkserver.py - the forkserver start method: a clean server forks the children.

The C twin is start_forkserver.c.
Usage: python3 start_forkserver.py [-n CHILDREN]
The first Process started with the "forkserver" context starts the fork
server: a fresh interpreter that imports this file (as __mp_main__, as
spawn does) and then waits on a Unix socket. For each Process, the parent
sends it the child's pipe ends there (SCM_RIGHTS) and the server forks
the child from ITSELF: the child's parent is the server, and it has none
of the parent's later state (the changed global, threads, held locks).
The server's pid is a private detail of multiprocessing
(forkserver._forkserver._forkserver_pid): this twin reads it to show it.
Racy: the order of the children's lines.
"""
import argparse
import multiprocessing
import os
import sys
from multiprocessing import forkserver

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, parse_args, say  # noqa: E402

setting = 1                     # the parent sets 2 before it starts the children


def square(k, conn):
    me = f"{'child ' + str(k):9} {os.getpid():<6}"
    say(f"{me}  my parent is {os.getppid()}; setting = {setting}")
    pace(0.5)                   # the work
    conn.send((os.getpid(), os.getppid(), setting, k * k))
    conn.close()


def main():
    global setting
    parser = argparse.ArgumentParser(description="the forkserver start method")
    parser.add_argument("-n", dest="children", type=int_in(1, 16), default=3, metavar="CHILDREN",
                        help="child processes, each forked by the fork server "
                        "(default %(default)s)")
    args = parse_args(parser)
    me = f"{'requester':9} {os.getpid():<6}"
    ctx = multiprocessing.get_context("forkserver")     # Linux's default from 3.14

    setting = 2
    say(f"{me}  setting = 2 now; asking the fork server for {args.children} children")
    children = []
    for k in range(1, args.children + 1):
        reader, writer = ctx.Pipe(duplex=False)
        p = ctx.Process(target=square, args=(k, writer))
        p.start()               # the first start() starts the server
        writer.close()
        children.append((k, p, reader))
    server = getattr(forkserver._forkserver, "_forkserver_pid", None)
    say(f"{me}  the fork server is {server}")
    theirs = right = 0
    for k, p, reader in children:
        try:
            pid, ppid, seen, result = reader.recv()
        except EOFError:
            pid = ppid = seen = result = None
        p.join()                # the server reports the exit code to us
        say(f"{me}  child {k} ({pid}): square({k}) = {result} (expected {k * k}); "
            f"its parent: {ppid}; exitcode {p.exitcode}")
        theirs += pid == p.pid and ppid == server and ppid != os.getpid()
        right += seen == 1 and result == k * k and p.exitcode == 0
    n = args.children
    ok = theirs == n and right == n
    say(f"{me}  self-check: {theirs}/{n} children of server {server}, {right}/{n} right answers "
        f"and exit 0: {'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
