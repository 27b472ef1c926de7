"""subprocess_pipeline.py - two commands joined by a pipe, as a shell's
`writer | reader`, and what we read from the reader.

The default mode is the recipe of Python's documentation ("Replacing shell
pipeline"): the writer's stdout=PIPE, that pipe's read end as the reader's
stdin, then writer.stdout.close(). Popen has already closed the parent's
copy of the write end; the recipe closes the parent's copy of the read end,
so that the writer gets SIGPIPE if the reader ends first. -m leak makes the
pipe with os.pipe() and keeps both copies, as a C program that forgets its
close() calls does: the reader never sees end of file, or the writer never
gets SIGPIPE. After -t seconds it says which, closes them, and the
pipeline ends. Popen puts SIGPIPE back to its default in each command
(restore_signals=True), although Python itself ignores it: yes dies of it.
The C twin is subprocess_pipeline.c. Usage:
python3 subprocess_pipeline.py [-m close|leak] [-c LINES] [-t SECONDS]
                               [-- WRITER... '|' READER...]
"""
import argparse
import os
import select
import signal
import subprocess
import sys
import time

from spawn import cannot_run, shell_status

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import float_in, int_in, parse_args  # noqa: E402

AWK = 'BEGIN { for (i = 1; i <= %d; i++) print "line " i }'


class Stop(Exception):
    """SIGINT or SIGTERM arrived: stop the pipeline, then stop ourselves."""


# A signal is only recorded until both commands have started (an exception
# raised inside Popen() could leave a child nobody knows about); from then
# on (armed) the handler raises Stop.
signals = {"armed": False, "pending": None}


def on_signal(sig, _frame):
    signals["pending"] = signals["pending"] or sig
    if signals["armed"]:
        signals["armed"] = False
        raise Stop(sig)


def read_output(reader, chunks, deadline):
    """Read the reader's stdout until end of file (closing it then) or the
    deadline (None: none)."""
    while not reader.stdout.closed:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return
        if select.select([reader.stdout], [], [], left)[0]:
            data = os.read(reader.stdout.fileno(), 65536)
            if not data:
                reader.stdout.close()       # end of file: the reader closed its stdout
            chunks.append(data)


def ended_by(p, deadline):
    """True once p has ended (and been reaped) before the deadline."""
    try:
        p.wait(timeout=max(0, deadline - time.monotonic()))
        return True
    except subprocess.TimeoutExpired:
        return False


def say_ending(role, p):
    if p.returncode < 0:
        print(f"{role}, pid {p.pid}: exit code {p.returncode} "
              f"({signal.Signals(-p.returncode).name}; a shell would show "
              f"{shell_status(p.returncode)})", flush=True)
    else:
        print(f"{role}, pid {p.pid}: exit code {p.returncode}", flush=True)


def stop_all(sig, procs, ends):
    """As stop_all() in C: pass the signal on, close, reap, then die of it."""
    print(f"Got {signal.Signals(sig).name}: stopping the pipeline", flush=True)
    for fd in ends:
        os.close(fd)
    for p in procs:
        if p.stdout:
            p.stdout.close()
        p.terminate()                       # nothing sent if already reaped
    for p in procs:
        p.wait()
    print("Reaped the writer and the reader", flush=True)
    signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)


def main():
    parser = argparse.ArgumentParser(
        description="two commands joined by a pipe",
        usage="%(prog)s [-m close|leak] [-c LINES] [-t SECONDS] [-- WRITER... '|' READER...]",
        epilog="  WRITER | READER  the two commands, after -- (default: awk printing LINES "
               "lines | wc -l)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-m", dest="mode", choices=["close", "leak"], default="close",
                        metavar="close|leak",
                        help="close: we close our copies of the pipe's ends; leak: we keep "
                             "them (default close)")
    parser.add_argument("-c", dest="lines", type=int_in(0, 10000000), default=5, metavar="LINES",
                        help="lines the default writer prints (default 5)")
    parser.add_argument("-t", dest="timeout", type=float_in(0.1, 60), default=1.0,
                        metavar="SECONDS",
                        help="-m leak: how long to wait before saying what is stuck (default 1)")
    argv = sys.argv[1:]
    command = None
    if "--" in argv:                        # the commands come after "--"
        command = argv[argv.index("--") + 1:]
        sys.argv[1:] = argv[:argv.index("--")]
    args = parse_args(parser)
    if command is None:
        command = ["awk", AWK % args.lines, "|", "wc", "-l"]
    if "|" not in command or not command[:command.index("|")] \
            or not command[command.index("|") + 1:]:
        parser.error("after --, a writer, the word '|' and a reader")
    writer_cmd, reader_cmd = command[:command.index("|")], command[command.index("|") + 1:]
    timeout = int(args.timeout) if args.timeout.is_integer() else args.timeout   # as %g

    print(f"Pipeline: {writer_cmd!r} | {reader_cmd!r}", flush=True)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    procs, ends, chunks, stuck = [], [], [], False
    try:
        if args.mode == "close":            # the documentation's recipe
            writer = subprocess.Popen(writer_cmd, stdout=subprocess.PIPE)
            procs.append(writer)
            reader = subprocess.Popen(reader_cmd, stdin=writer.stdout, stdout=subprocess.PIPE)
        else:                               # a pipe of our own, both ends kept
            ends = list(os.pipe())
            writer = subprocess.Popen(writer_cmd, stdout=ends[1])
            procs.append(writer)
            reader = subprocess.Popen(reader_cmd, stdin=ends[0], stdout=subprocess.PIPE)
        procs.append(reader)
    except OSError as err:
        stop_pending = signals["pending"]
        for p in procs:                     # the writer started: end it first
            p.stdout and p.stdout.close()
            p.kill()
            p.wait()
        for fd in ends:
            os.close(fd)
        if stop_pending:
            signal.signal(stop_pending, signal.SIG_DFL)
            os.kill(os.getpid(), stop_pending)
        cannot_run(writer_cmd if len(procs) == 0 else reader_cmd, err)
    print(f"Started the writer, pid {writer.pid}: its stdout is the pipe's write end", flush=True)
    print(f"Started the reader, pid {reader.pid}: its stdin is the pipe's read end", flush=True)

    try:
        signals["armed"] = True
        if signals["pending"] is not None:  # it came while we were starting
            raise Stop(signals["pending"])
        deadline = None
        if args.mode == "close":
            # THE step: the parent's copy of the read end. Without it the
            # writer never gets SIGPIPE when the reader ends first.
            writer.stdout.close()
            print("Closed our copies of both ends of the pipe", flush=True)
        else:
            print("Kept our copies of both ends of the pipe (the mistake)", flush=True)
            deadline = time.monotonic() + args.timeout
        read_output(reader, chunks, deadline)
        if args.mode == "leak":
            if not ended_by(reader, deadline):
                print(f"After {timeout} s the reader still runs: it never saw end of file, "
                      "as we hold a copy of the write end", flush=True)
                stuck = True
            elif not ended_by(writer, deadline):
                print(f"After {timeout} s the writer runs on, its reader gone: no SIGPIPE, "
                      "as we hold a copy of the read end", flush=True)
                stuck = True
            while ends:                     # the cure, late: now it all ends
                os.close(ends.pop())
            print("Closed our copies of both ends of the pipe"
                  + (": now it ends" if stuck else ""), flush=True)
            read_output(reader, chunks, None)
        reader.wait()
        writer.wait()
    except Stop as stop:
        signals["armed"] = False
        stop_all(stop.args[0], procs, ends)
    signals["armed"] = False

    lines = b"".join(chunks).split(b"\n")
    if lines[-1] == b"":
        lines.pop()                         # after the last newline: nothing
    for line in lines:
        print("| " + line.decode(errors="replace"), flush=True)
    say_ending("writer", writer)
    say_ending("reader", reader)
    if signals["pending"] is not None:      # came after the last wait
        signal.signal(signals["pending"], signal.SIG_DFL)
        os.kill(os.getpid(), signals["pending"])
    sys.exit(1 if stuck else shell_status(reader.returncode))


if __name__ == "__main__":
    main()
