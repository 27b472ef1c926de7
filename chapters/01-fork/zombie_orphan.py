"""zombie_orphan.py - a zombie (ended, not yet reaped) and an orphan
(its parent ended first, so the kernel gave it a new one).

The C twin is zombie_orphan.c; the same steps with Python's os module.
Usage: python3 zombie_orphan.py [-t SECONDS]
"""
import argparse
import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import pace, pace_factor, parse_args  # noqa: E402


def proc_state(pid):
    """The state letter in /proc/PID/stat (Linux only), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2]


def zombie(look_seconds):
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    # Wait until the child has ended, without reaping it (WNOWAIT).
    info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    print(f"zombie: child {pid} has exited with status {info.si_status}; not reaped yet",
          flush=True)
    os.kill(pid, 0)             # raises if the pid were free
    print(f"zombie: kill({pid}, 0) succeeds: its pid is still taken", flush=True)
    state = proc_state(pid)
    if state is not None:
        suffix = " (zombie)" if state == "Z" else ""
        print(f"zombie: its state in /proc/{pid}/stat is {state}{suffix}", flush=True)
    else:
        print(f"zombie: no /proc here; `ps -o pid,stat,comm -p {pid}` shows Z", flush=True)
    if look_seconds > 0 and pace_factor() > 0:
        print(f"zombie: look at it now: ps -o pid,stat,comm -p {pid}", flush=True)
    pace(look_seconds)
    os.waitpid(pid, 0)
    print(f"zombie: reaped child {pid} with waitpid(); it is gone", flush=True)


def orphan(first, report_fd):
    # first is the middle's pid, from the middle itself: a getppid() here
    # could already see the new parent if the middle exited before we ran.
    now = os.getppid()
    deadline = time.monotonic() + 10
    while now == first and time.monotonic() < deadline:
        time.sleep(0.001)
        now = os.getppid()
    if now == first:
        sys.exit(f"orphan: my parent {first} did not exit within 10 s")
    what = "init" if now == 1 else "a subreaper, not init"
    print(f"orphan: pid {os.getpid()}, parent was {first}, is now {now} ({what})", flush=True)
    os.write(report_fd, struct.pack("ii", os.getpid(), now))


def main():
    parser = argparse.ArgumentParser(description="a zombie and an orphan")
    parser.add_argument("-t", dest="look", type=float, default=2.0, metavar="SECONDS",
                        help="how long the zombie is kept for ps, times WORKBOOK_PACE (default 2)")
    args = parse_args(parser)
    if not 0 <= args.look <= 60:
        parser.error(f"-t must be from 0 to 60, not {args.look:g}")

    zombie(args.look)

    print(f"orphan: main program is {os.getpid()}", flush=True)
    r, w = os.pipe()
    middle = os.fork()
    if middle == 0:
        os.close(r)
        me = os.getpid()
        grandchild = os.fork()
        if grandchild == 0:
            orphan(me, w)
            os._exit(0)
        print(f"orphan: middle {os.getpid()} exits, leaving its child {grandchild} behind",
              flush=True)
        os._exit(0)
    os.close(w)
    os.waitpid(middle, 0)
    with os.fdopen(r, "rb") as report:
        data = report.read()    # reads to EOF: returns once the orphan has exited
    if len(data) != 8:
        sys.exit("the orphan ended without reporting")
    orphan_pid, new_parent = struct.unpack("ii", data)
    if new_parent == os.getpid():
        os.waitpid(orphan_pid, 0)
    print(f"orphan: {orphan_pid} has ended; its new parent {new_parent} reaps it, not us",
          flush=True)


if __name__ == "__main__":
    main()
