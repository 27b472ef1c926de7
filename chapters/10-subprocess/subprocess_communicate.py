"""subprocess_communicate.py - feed a command its input and read its output
at the same time: Popen.communicate(). -m naive writes everything first and
reads afterwards, with a watchdog that reports the deadlock this causes,
then kills and reaps the command.

The C twin is subprocess_communicate.c, whose poll() loop is what
communicate() does inside (Lib/subprocess.py, _communicate, with the
selectors module). One difference: communicate() hides a command that stops
reading early (it swallows BrokenPipeError), so only the C program and the
naive mode here report EPIPE. Usage:
python3 subprocess_communicate.py [-m poll|naive] [-s KIB] [-i FILE] [-o FILE]
                                  [-t SECONDS] [-- COMMAND [ARG...]]
"""
import argparse
import errno
import os
import select
import subprocess
import sys

from spawn import cannot_run, parse_args_and_command, say_exit_code, shell_status

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in  # noqa: E402


def generate(kib):
    """KIB KiB of 16-byte lines numbered in a scrambled order, as in C."""
    return b"".join(b"line %010d\n" % ((i * 2654435761) & 0xFFFFFFFF)
                    for i in range(kib * 1024 // 16))


def epipe(sent, total):
    print(f"EPIPE: the command stopped reading after {sent} of {total} bytes; "
          "SIGPIPE is ignored, so write() said so instead of killing us", flush=True)


def naive(p, data, watchdog):
    """All the input first, then the output. Non-blocking only so that the
    watchdog can see we are stuck. Returns None if it got stuck."""
    fd = p.stdin.fileno()
    os.set_blocking(fd, False)
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    view, sent = memoryview(data), 0
    while sent < len(data):
        if not poller.poll(watchdog * 1000):
            print(f"Stuck for {watchdog:g} s after sending {sent} of {len(data)} bytes: "
                  "we are blocked writing the command's stdin, and it is not reading.",
                  flush=True)
            back = select.poll()
            back.register(p.stdout.fileno(), select.POLLIN)
            if back.poll(0):
                print("Deadlocked: the command is blocked writing its stdout, "
                      "which we will not read until all is written.", flush=True)
            else:
                print("Not a deadlock: the command does not read its stdin at all.",
                      flush=True)
            return None
        try:
            sent += os.write(fd, view[sent:])
        except BlockingIOError:
            continue
        except BrokenPipeError:
            epipe(sent, len(data))
            break
    p.stdin.close()             # EOF for the command: now read
    return p.stdout.read()


def main():
    parser = argparse.ArgumentParser(
        description="feed a command and read its output at once",
        usage="%(prog)s [-m poll|naive] [-s KIB] [-i FILE] [-o FILE] [-t SECONDS] "
              "[-- COMMAND [ARG...]]")
    parser.add_argument("-m", dest="mode", choices=["poll", "naive"], default="poll",
                        metavar="poll|naive", help="poll: feed and read at once; "
                        "naive: all input first (default %(default)s)")
    parser.add_argument("-s", dest="kib", type=int_in(1, 65536), default=1024, metavar="KIB",
                        help="generate KIB KiB of numbered lines to feed (default %(default)s)")
    parser.add_argument("-i", dest="infile", metavar="FILE",
                        help="feed FILE instead (default: the generated lines)")
    parser.add_argument("-o", dest="outfile", metavar="FILE",
                        help="write the command's output to FILE (default: not written)")
    parser.add_argument("-t", dest="watchdog", type=float, default=1.0, metavar="SECONDS",
                        help="-m naive's watchdog: how long without progress (default 1)")
    args, command = parse_args_and_command(parser, ["cat"])
    if not 0.1 <= args.watchdog <= 60:
        parser.error(f"-t must be from 0.1 to 60, not {args.watchdog:g}")

    if args.infile is not None:
        try:
            with open(args.infile, "rb") as f:
                data = f.read()
        except OSError as err:  # one line, as die() prints it in C
            print(f"{os.path.basename(sys.argv[0])}: open {args.infile}: "
                  f"{errno.errorcode.get(err.errno, 'E?')} ({os.strerror(err.errno)})",
                  file=sys.stderr)
            sys.exit(1)
    else:
        data = generate(args.kib)

    how = ("while reading its output (poll)" if args.mode == "poll"
           else "first, then reading its output (naive)")
    print(f"Feeding {len(data)} bytes to {command!r} {how}", flush=True)
    try:
        p = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    except OSError as err:
        cannot_run(command, err)
    # No SIGPIPE to ignore here: Python ignores it from the start (a write to
    # a closed pipe raises BrokenPipeError), and Popen gives the command
    # its default back (restore_signals=True).
    with p:
        if args.mode == "poll":
            out, _ = p.communicate(data)
        else:
            out = naive(p, data, args.watchdog)
            if out is None:
                p.terminate()   # SIGTERM; then close our ends and reap
                p.stdin.close()
                p.stdout.close()
                p.wait()
                print("Killed the command with SIGTERM and reaped it.", flush=True)
                say_exit_code(p.returncode)
                sys.exit(1)
            p.wait()

    if args.outfile is not None:
        with open(args.outfile, "wb") as f:
            f.write(out)
    print(f"Received {len(out)} bytes.", flush=True)
    print(f"Output identical to input: {'yes' if out == data else 'no'}", flush=True)
    say_exit_code(p.returncode)
    sys.exit(shell_status(p.returncode))


if __name__ == "__main__":
    main()
