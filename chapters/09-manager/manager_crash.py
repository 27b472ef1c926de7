"""manager_crash.py - the owner of a manager dies without shutting it down.

The C twin is manager_crash.c, whose server notices and cleans up. Python's
manager server has no such lifeline: when its owner dies by a signal, it
goes on running, orphaned, with its socket in place. This program shows it,
then stops that server and removes its directory by hand, so that nothing
is left behind. With -m exit, the owner ends normally and Python's exit
handlers shut the manager down.

Usage: python3 manager_crash.py [-m exit|term|kill]
"""
import argparse
import os
import shutil
import signal
import sys
import multiprocessing

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import pace, parse_args, say  # noqa: E402

# The fork start method, whatever this Python's default: the server must
# inherit the witness pipe, as the C server does.
ctx = multiprocessing.get_context("fork")
SAID = {"exit": "sys.exit(0)", "term": "SIGTERM", "kill": "SIGKILL"}


def owner(witness, how):
    me = os.getpid()
    manager = ctx.Manager()
    # manager._process is not public API: read here only for its pid.
    server = manager._process.pid
    say(f"owner   ({me}): manager server {server} at {manager.address}")
    d = manager.dict()
    d['alive'] = 1
    say(f"owner   ({me}): d['alive'] = 1 is stored in the server")
    os.write(witness, f"{server} {manager.address}\n".encode())
    # Keep the witness open: it closes when we die.
    say(f"owner   ({me}): ending by {SAID[how]}, without shutting the manager down")
    pace(0.5)
    if how == "term":
        os.kill(me, signal.SIGTERM)     # no handler: the process ends here
    elif how == "kill":
        os.kill(me, signal.SIGKILL)
    sys.exit(0)                         # Python's exit handlers run now


def read_until_eof(fd):
    data = b""
    while True:
        chunk = os.read(fd, 4096)
        if not chunk:
            return data
        data += chunk


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def main():
    parser = argparse.ArgumentParser(description="the owner of a manager dies")
    parser.add_argument("-m", dest="how", choices=["exit", "term", "kill"], default="kill",
                        metavar="exit|term|kill",
                        help="how the owner ends, without shutdown() (default %(default)s)")
    args = parse_args(parser)

    me = os.getpid()
    r, w = os.pipe()
    p = ctx.Process(target=owner, args=(w, args.how))
    p.start()
    os.close(w)                         # or we would wait for our own write end
    say(f"main    ({me}): started owner {p.pid}")
    news = b""
    while not news.endswith(b"\n"):
        chunk = os.read(r, 4096)
        if not chunk:
            sys.exit(f"{sys.argv[0]}: the owner sent no news")
        news += chunk
    server_text, address = news.decode().split(" ", 1)
    server, address = int(server_text), address.strip()
    p.join()
    say(f"main    ({me}): owner {p.pid} ended (exitcode {p.exitcode})")

    ok = True
    if alive(server):
        # Python's server cannot tell that its owner has gone.
        there = "still there" if os.path.exists(address) else "gone"
        say(f"main    ({me}): server {server} is still running, orphaned; "
            f"its socket is {there}")
        ok = False
        os.kill(server, signal.SIGTERM)
        read_until_eof(r)               # the server held the witness too
        say(f"main    ({me}): stopped server {server} with SIGTERM ourselves")
    else:
        read_until_eof(r)
        say(f"main    ({me}): every holder of the witness pipe has ended: server {server} too")
    os.close(r)
    directory = os.path.dirname(address)
    for path in (address, directory):
        state = "removed" if not os.path.exists(path) else "STILL THERE"
        say(f"main    ({me}): {path}: {state}")
        ok = ok and state == "removed"
    if os.path.exists(directory):
        shutil.rmtree(directory)
        say(f"main    ({me}): removed {directory} by hand")
    if ok:
        say(f"main    ({me}): check: the server did not outlive its owner and left nothing: OK")
    else:
        say(f"main    ({me}): check: the server outlived its owner "
            f"(Python's manager has no lifeline)")


if __name__ == "__main__":
    main()
