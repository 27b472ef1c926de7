"""workbook.py - the little the Python twins share (the C side: common/).

Every twin pauses through pace(), scaled by WORKBOOK_PACE exactly as the C
programs do (default 1; 0 means no pauses; 0.1 is ten times faster), and
parses its arguments with parse_args(), which refuses a bad WORKBOOK_PACE
the way argparse refuses a bad option: usage on stderr, exit status 2.
say() is common/say.c's say(): one line, one write. A reader of stdout that
goes away (python3 demo.py | head) ends the output quietly, in say() and
in print() alike, as in C; on a terminal, each process's lines come in the
colour say.c gives its pid (not with NO_COLOR set).

SPDX-License-Identifier: MIT
"""
import argparse
import os
import re
import sys
import time

PACE_MAX = 100.0
SAY_MAX = 512                  # common.h: the longest line say() writes whole


def say(text):
    """Write one line with one os.write(), as say() does in C: lines of several
    processes never tear, and nothing waits in a buffer that a fork would
    copy. (print() writes the text and the newline separately when Python runs
    unbuffered, PYTHONUNBUFFERED=1, and then lines of two processes can mix.)
    Never mix it with print() to stdout in one program: print()'s buffered
    lines would come out after say()'s, whatever the order of the calls."""
    data = (text + "\n").encode()
    if len(data) > SAY_MAX:                   # as say.c: cut it, and say so
        data = data[:SAY_MAX - 4] + b"...\n"
    colour = _colour()
    if colour:
        data = colour.encode() + data[:-1] + b"\033[0m\n"
    try:
        while data:                           # a pipe may take only part of it
            data = data[os.write(1, data):]
    except BrokenPipeError:
        _reader_gone()


def _colour():
    """The colour of this process's lines, as say.c picks it: on a terminal
    only, one of five by pid, none when NO_COLOR is set to anything but ""."""
    if os.environ.get("NO_COLOR") or not os.isatty(1):
        return ""
    return ("\033[36m", "\033[32m", "\033[33m", "\033[35m", "\033[34m")[os.getpid() % 5]


# The reader of stdout may go before the program ends (python3 demo.py |
# head). Python ignores SIGPIPE, so the next write raises BrokenPipeError:
# a traceback, and a process that dies wherever it is, perhaps holding a
# lock that others wait on. As say.c does: stdout then goes to /dev/null,
# nothing more is printed, pace() pauses no more (nobody is watching), and
# the program runs on to its normal end, every process joined.
_gone = False


def _reader_gone():
    global _gone
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)
    _gone = True


class _Quiet:
    """sys.stdout (and its .buffer) as parse_args() leaves it: print() as
    before, in this process's colour on a terminal, and a gone reader is
    _reader_gone(), not BrokenPipeError."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, data):
        colour = _colour() if isinstance(data, str) else ""
        try:
            if colour:      # print()'s text in say()'s colour, not its newline
                self._stream.write("\n".join(colour + part + "\033[0m" if part else ""
                                             for part in data.split("\n")))
                return len(data)
            return self._stream.write(data)
        except BrokenPipeError:
            _reader_gone()
            return len(data)

    def flush(self):
        try:
            self._stream.flush()
        except BrokenPipeError:
            _reader_gone()

    @property
    def buffer(self):
        return _Quiet(self._stream.buffer)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def pace_factor():
    text = os.environ.get("WORKBOOK_PACE", "1")
    # Digits with at most one decimal point, as pace.c accepts: float()
    # alone would also take " 1", "1_0" and "1e0".
    try:
        value = float(text) if re.fullmatch(r"[0-9]*\.?[0-9]*", text) else -1.0
    except ValueError:                        # "" or "."
        value = -1.0
    if not 0.0 <= value <= PACE_MAX:          # also refuses nan
        raise ValueError(
            f"WORKBOOK_PACE must be a number from 0 to {PACE_MAX:g}, not {text!r}")
    return value


def pace(seconds):
    """Pause for seconds * WORKBOOK_PACE. Never a way to synchronise.
    No pause once the reader of stdout has gone: nobody is watching."""
    if not _gone:
        time.sleep(seconds * pace_factor())


def parse_args(parser):
    """parser.parse_args(), a bad WORKBOOK_PACE refused the same way; then
    sys.stdout quiet when its reader goes (_Quiet)."""
    args = parser.parse_args()
    try:
        pace_factor()
    except ValueError as err:
        parser.error(str(err))
    if not isinstance(sys.stdout, _Quiet):
        sys.stdout = _Quiet(sys.stdout)
    return args


def join_all(procs):
    """Join the processes in the order they end, as join_all() does in C
    (common/proc.c): once one has failed (exitcode not 0), terminate() each
    one still running, which may be waiting for the failed one for ever,
    before it is joined. Returns how many did not end with 0."""
    from multiprocessing.connection import wait
    running, failed = list(procs), 0
    while running:
        ended = wait([p.sentinel for p in running])
        for p in [p for p in running if p.sentinel in ended]:
            p.join()
            running.remove(p)
            failed += p.exitcode != 0
            if failed == 1 and p.exitcode != 0:
                for other in running:
                    other.terminate()
    return failed


def int_in(low, high):
    """An argparse type: a whole number from low to high, as arg_long() checks."""
    def whole_number(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"wants a whole number, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, not {value}")
        return value
    return whole_number


def float_in(low, high):
    """An argparse type: a number from low to high, as arg_double() checks
    (nan and inf are refused too)."""
    def number(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"wants a number, not {text!r}") from None
        if not low <= value <= high:          # also refuses nan
            raise argparse.ArgumentTypeError(f"must be from {low:g} to {high:g}, not {text}")
        return value
    return number
