"""subprocess_timeout.py - give a command a deadline; when it runs over,
SIGTERM its process group, SIGKILL it after a grace period, and reap it.

subprocess.run(cmd, timeout=T) would kill with SIGKILL straight away; here
Popen.wait(timeout) raises TimeoutExpired (its message is printed as it is)
and the group gets SIGTERM first. start_new_session=True gives the command
its own session and process group, so os.killpg() reaches its children
too. SIGINT and SIGTERM sent to us are passed on to the group; then we end
by the same signal. Our exit status: 1 when the command had to be killed
(as on an uncaught TimeoutExpired), else the command's own. The C twin is subprocess_timeout.c. Usage:
python3 subprocess_timeout.py [-t SECONDS] [-g SECONDS] [-- COMMAND [ARG...]]
"""
import argparse
import os
import signal
import subprocess
import sys

from spawn import cannot_run, parse_args_and_command, say_exit_code, shell_status


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived: stop the command, then stop ourselves."""


# A signal is only recorded until the command has started and we are ready
# to wait for it; from then on (armed), the handler raises Interrupted, so
# that it can end the wait. An exception raised in the middle of Popen()
# could leave a child behind that nobody knows about.
signals = {"armed": False, "pending": None}


def on_signal(sig, _frame):
    if signals["pending"] is None:
        signals["pending"] = sig
    if signals["armed"]:
        signals["armed"] = False
        raise Interrupted(sig)


def seconds(low, high):
    """An argparse type: a number of seconds from low to high, shown as the
    C program's %g shows it (1, not 1.0)."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"wants a number, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low:g} to {high:g}, not {text}")
        return int(value) if value.is_integer() else value
    return parse


def signal_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:  # every process of the group is gone already
        pass


def main():
    parser = argparse.ArgumentParser(
        description="kill a command that runs too long",
        usage="%(prog)s [-t SECONDS] [-g SECONDS] [-- COMMAND [ARG...]]")
    parser.add_argument("-t", dest="timeout", type=seconds(0, 3600), default=1, metavar="SECONDS",
                        help="the deadline, then SIGTERM to the command's group "
                             "(default %(default)s)")
    parser.add_argument("-g", dest="grace", type=seconds(0, 60), default=1, metavar="SECONDS",
                        help="the grace after SIGTERM, then SIGKILL (default %(default)s)")
    args, command = parse_args_and_command(parser, ["sleep", "3"])

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    stop_signal = None

    print(f"Running {command!r} with a timeout of {args.timeout} seconds", flush=True)
    try:
        p = subprocess.Popen(command, start_new_session=True)
    except OSError as err:
        cannot_run(command, err)
    print(f"Started pid {p.pid}, the leader of its own process group", flush=True)

    timed_out = False
    try:
        signals["armed"] = True
        if signals["pending"] is not None:  # it came while we were starting
            raise Interrupted(signals["pending"])
        p.wait(timeout=args.timeout)
    except subprocess.TimeoutExpired as expired:
        print(expired, flush=True)          # Command '[...]' timed out after T seconds
        timed_out = True
    except Interrupted as stop:
        signals["armed"] = False
        stop_signal = stop.args[0]
        print(f"Got {signal.Signals(stop_signal).name}: passing it on", flush=True)

    signals["armed"] = False    # from here on, finish the job whatever comes
    if p.returncode is None:
        sig = stop_signal or signal.SIGTERM
        signal_group(p.pid, sig)
        print(f"Sent {signal.Signals(sig).name} to process group {p.pid}", flush=True)
        try:
            p.wait(timeout=args.grace)
        except subprocess.TimeoutExpired:
            signal_group(p.pid, signal.SIGKILL)
            print(f"Still running {args.grace} s after {signal.Signals(sig).name}: "
                  f"sent SIGKILL to process group {p.pid}", flush=True)
            p.wait()
        print(f"Reaped pid {p.pid}", flush=True)
    say_exit_code(p.returncode)

    stop_signal = signals["pending"]    # also one that came after the timeout
    if stop_signal is not None:
        # Asked to stop: the command is gone, so now end the way the signal
        # would have ended us (a shell sees 128 + N).
        signal.signal(stop_signal, signal.SIG_DFL)
        os.kill(os.getpid(), stop_signal)
    sys.exit(1 if timed_out else shell_status(p.returncode))


if __name__ == "__main__":
    main()
