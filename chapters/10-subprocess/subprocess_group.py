"""subprocess_group.py - stopping a whole tree of processes: a command that
starts children of its own, sh -c 'sleep 30 & ... wait'.

Popen.terminate() and .kill() signal ONE process: the shell. Its sleeps run
on, orphans (part 1). A process group collects the tree: process_group=0
(Python 3.11, setpgid) keeps our session; start_new_session=True (setsid)
makes a session too, with no controlling terminal (part 2); os.killpg()
reaches every member. Either way the terminal's Ctrl-C, which goes to its
foreground group only, ours, no longer reaches the command: SIGINT and
SIGTERM are caught and passed on to the group as SIGKILL, the tree is
waited for, and then we end by the same signal. End of file on the
command's stdout, which the sleeps inherit, says the whole tree has ended.
The C twin is subprocess_group.c. Usage: python3 subprocess_group.py [-t SECONDS]
"""
import argparse
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, parse_args  # noqa: E402

COMMAND = ["sh", "-c", "sleep {0} & echo $!; sleep {0} & echo $!; wait"]   # -t: {0}


class Stop(Exception):
    """SIGINT or SIGTERM arrived: stop the tree, then stop ourselves."""


# Only recorded while a Popen() is under way (an exception raised inside it
# could leave a child that nobody knows about); raised once it has returned
# and its result is ours (arm()).
signals = {"armed": False, "pending": None}


def on_signal(sig, _frame):
    signals["pending"] = signals["pending"] or sig
    if signals["armed"]:
        signals["armed"] = False
        raise Stop(sig)


def ending(code):
    return f"exit code {code}" + (f" ({signal.Signals(-code).name})" if code < 0 else "")


def until_gone(p):
    """Read the tree's stdout to its end: every process holding it has exited."""
    p.stdout.read()
    p.stdout.close()


def arm():
    """From now on a signal raises Stop; one that came before does so now."""
    signals["armed"] = True
    if signals["pending"] is not None:
        signals["armed"] = False
        raise Stop(signals["pending"])


def show_tree(p):
    sleeps = [int(p.stdout.readline()) for _ in range(2)]
    print(f"   sh, pid {p.pid}: process group {os.getpgid(p.pid)} (ours: {os.getpgrp()}), "
          f"session {os.getsid(p.pid)} (ours: {os.getsid(0)})")
    print(f"   its children: sleep {sleeps[0]}, sleep {sleeps[1]}")
    pace(1)                                 # time to look: ps -o pid,pgid,sid,tty,comm
    return sleeps


def stop(sig, p, gone):
    """SIGKILL to the group (background jobs of sh ignore SIGINT), wait for end
    of file, reap the shell, then die of the same signal (status 128 + N)."""
    signals["armed"] = False
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print(f"Got {signal.Signals(sig).name}: SIGKILL to the command's process group")
    if p is not None:
        if not gone:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:      # no group yet: p alone, no children
                p.kill()
            until_gone(p)
        p.wait()
    print("Nothing of the tree is left; reaped the shell")
    sys.stdout.flush()
    signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)


def main():
    parser = argparse.ArgumentParser(description="stop a whole tree of processes",
                                     usage="%(prog)s [-t SECONDS]")
    parser.add_argument("-t", dest="seconds", type=int_in(1, 3600), default=30,
                        metavar="SECONDS",
                        help="how long each of the shell's two sleeps lasts (default 30)")
    args = parse_args(parser)
    COMMAND[2] = COMMAND[2].format(args.seconds)
    sys.stdout.reconfigure(line_buffering=True)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    p, gone = None, False
    try:
        print(f"Command: {COMMAND!r}")
        print("1. process_group=0 (setpgid): a group of its own, in our session; kill() the shell")
        signals["armed"] = False
        p = subprocess.Popen(COMMAND, stdout=subprocess.PIPE, process_group=0)
        arm()
        sleeps = show_tree(p)
        p.terminate()                       # kill(pid, SIGTERM): the shell alone
        p.wait()
        print(f"   kill({p.pid}, SIGTERM), the shell alone: {ending(p.returncode)}, reaped")
        for pid in sleeps:
            try:
                os.kill(pid, 0)             # alive: its group keeps our pipe open
                print(f"   sleep {pid}: still running, an orphan now")
            except ProcessLookupError:
                print(f"   sleep {pid}: gone")
        pace(1)
        try:
            os.killpg(p.pid, signal.SIGTERM)
            print(f"   kill(-{p.pid}, SIGTERM), the whole group (os.killpg): the rest of it")
        except ProcessLookupError:      # a short -t: the sleeps ended on their own
            print(f"   kill(-{p.pid}, SIGTERM): ESRCH, nobody left in the group")
        until_gone(p)
        gone = True
        print("   end of file on their stdout: every process of the tree has ended")

        print("2. start_new_session=True (setsid): a session and a group of its own; "
              "kill the group")
        signals["armed"] = False
        p, gone = subprocess.Popen(COMMAND, stdout=subprocess.PIPE, start_new_session=True), False
        arm()
        show_tree(p)
        os.killpg(p.pid, signal.SIGTERM)
        print(f"   kill(-{p.pid}, SIGTERM), the whole group: sh and both sleeps at once")
        until_gone(p)
        gone = True
        p.wait()
        print(f"   sh: {ending(p.returncode)}, reaped; "
              "end of file: every process of the tree has ended")
        signals["armed"] = False
    except Stop as s:
        stop(s.args[0], p, gone)
    if signals["pending"] is not None:      # came during the last steps
        stop(signals["pending"], None, True)


if __name__ == "__main__":
    main()
