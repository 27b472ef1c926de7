"""fork_threads.py - why fork() in a process with threads can deadlock the child.

The C twin is fork_threads.c.
Usage: python3 fork_threads.py [-m deadlock|atfork] [-t SECONDS]
A thread takes a lock and says so; only then does the parent start a
Process with the fork start method. The child is a copy with one thread
only, the one that forked; its copy of the lock stays held by a thread it
does not have, so the child's acquire() waits for ever. The parent waits
at most SECONDS (join(timeout)), reports the hang, kills the child and
joins it. -m atfork registers os.register_at_fork handlers that take the
lock before the fork and release it after, in both processes: the child
gets the lock. Since 3.12, os.fork() warns when the process has other
threads ("DeprecationWarning: This process ... is multi-threaded, use of
fork() may lead to deadlocks in the child."): this twin records the
warning and prints it, in both modes (the handlers fix this lock, not the
others a library may hold); Python 3.11 has no such warning, and says so.
The better fix is not to fork a threaded process: spawn or forkserver.
"""
import argparse
import multiprocessing
import os
import signal
import sys
import threading
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import float_in, parse_args, say  # noqa: E402

lock = threading.Lock()


def holder(held, let_go, forked):
    """The other thread: takes the lock, says so, holds it until let go;
    then lives on until the fork is done (so that fork() always sees it)."""
    with lock:
        say(f"{'thread':9} {os.getpid():<6}  holds the lock")
        held.set()
        let_go.wait()
        say(f"{'thread':9} {os.getpid():<6}  lets go of the lock (in this process)")
    forked.wait()


def child(limit):
    """Its alarm bounds it even if nobody is left to kill it (the parent
    killed by SIGKILL): SIGALRM's default action ends it, SECONDS + 3 s after
    the fork, well after the parent has given up on it."""
    signal.alarm(int(limit) + 3)
    me = f"{'child':9} {os.getpid():<6}"
    say(f"{me}  taking the lock...")
    with lock:
        say(f"{me}  got the lock")


def main():
    parser = argparse.ArgumentParser(description="fork() while a thread holds a lock")
    parser.add_argument("-m", dest="mode", choices=("deadlock", "atfork"), default="deadlock",
                        metavar="deadlock|atfork", help="fork as a thread holds the lock, or "
                        "with pthread_atfork (default %(default)s)")
    parser.add_argument("-t", dest="limit", type=float_in(0.1, 60), default=2.0,
                        metavar="SECONDS", help="how long the parent waits for the child "
                        "(default 2)")
    args = parse_args(parser)
    me = f"{'parent':9} {os.getpid():<6}"
    atfork = args.mode == "atfork"
    say(f"{me}  -m {args.mode}: a thread takes the lock; "
        + ("fork()'s before handler waits for it" if atfork else "I fork while it holds it"))
    if atfork:
        os.register_at_fork(before=lock.acquire, after_in_parent=lock.release,
                            after_in_child=lock.release)
    held, let_go, forked = threading.Event(), threading.Event(), threading.Event()
    thread = threading.Thread(target=holder, args=(held, let_go, forked))
    thread.start()
    held.wait()                 # it holds the lock now
    if atfork:
        let_go.set()            # else the before handler would wait for ever too
    ctx = multiprocessing.get_context("fork")
    p = ctx.Process(target=child, args=(args.limit,))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")     # shown even under -W error: it is the lesson
        p.start()
    let_go.set()
    forked.set()
    say(f"{me}  forked child {p.pid}; waiting for it, at most {args.limit:g} s")
    for w in caught:
        say(f"{me}  {w.category.__name__} from os.fork():")
        text = str(w.message)
        cut = text.find(" use of fork()")
        say(f"{me}    {text[:cut] if cut > 0 else text}")
        if cut > 0:
            say(f"{me}   {text[cut:]}")
    if not caught:
        say(f"{me}  no DeprecationWarning: Python {sys.version_info.major}."
            f"{sys.version_info.minor} has none (3.12 and later warn)")
    p.join(args.limit)
    hung = p.is_alive()
    if hung:
        say(f"{me}  child {p.pid} has not ended after {args.limit:g} s: deadlocked in acquire()")
        say(f"{me}  (its copy of the lock is held by a thread that the child does not have)")
        p.kill()
        p.join()
    thread.join()
    say(f"{me}  child {p.pid} joined: exitcode {p.exitcode}"
        + (" (killed by SIGKILL)" if p.exitcode == -signal.SIGKILL else ""))
    if atfork:
        ok = not hung and p.exitcode == 0
        say(f"{me}  self-check: with register_at_fork the child got the lock and ended: "
            f"{'OK' if ok else 'FAILED'}")
    else:
        ok = hung
        say(f"{me}  self-check: the child deadlocked, was killed and joined: "
            f"{'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
