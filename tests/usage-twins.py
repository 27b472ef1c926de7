"""usage-twins.py - the Python twins' part of tests/usage-table.

    python3 -S usage-twins.py SECONDS < CASES

CASES: for each twin a line "twin PATH", then a line "option LINE" for each
option its C program's -h describes (spaces squeezed), and a line "bad
ARGS..." for each further call it must refuse (the words split on spaces).
Each twin must answer -h with its usage on stdout and status 0, describe
the same options as its C program in the same words (argparse's lines,
spaces squeezed, -h itself left out), and refuse, with status 2,
nothing on stdout and the usage on stderr: an option its usage does not
name, a bad WORKBOOK_PACE, and each "bad" call. One line is printed for
each call that does not behave so; the status is 1 if there was one.

A Python start costs about 0.1 s here, mostly importing argparse and
multiprocessing, and a usage table makes dozens of twin calls. So each call
is made as Python's forkserver makes a child: this interpreter has imported
those modules (and common/workbook.py) once, and compiled each twin once,
and forks a copy that runs the twin as __main__, as runpy would, with its
own argv, environment and stdout and stderr in files; a call that does not
end within SECONDS dies of SIGALRM.

SPDX-License-Identifier: MIT
"""

import argparse  # noqa: F401  imported once, for every fork
import multiprocessing  # noqa: F401
import multiprocessing.managers  # noqa: F401
import multiprocessing.pool  # noqa: F401
import os
import signal
import subprocess  # noqa: F401
import sys
import tempfile
import traceback
import types

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import workbook  # noqa: E402,F401  imported once, for every fork

COMPILED = {}   # path -> the twin's code, compiled once


def call(path, args, pace, seconds, out, err):
    """Run the twin at path with args; return (status, stdout, stderr)."""
    if path not in COMPILED:
        with open(path) as f:
            COMPILED[path] = compile(f.read(), path, "exec")
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            for fd, name, flags in ((0, os.devnull, os.O_RDONLY),
                                    (1, out, os.O_WRONLY | os.O_TRUNC),
                                    (2, err, os.O_WRONLY | os.O_TRUNC)):
                os.dup2(os.open(name, flags), fd)
            signal.alarm(seconds)
            os.environ["WORKBOOK_PACE"] = pace
            os.environ["COLUMNS"] = "100"     # argparse's width for -h
            sys.argv = [path] + args
            sys.path[0] = os.path.dirname(path)
            try:
                main = types.ModuleType("__main__")
                main.__file__ = path
                sys.modules["__main__"] = main
                exec(COMPILED[path], main.__dict__)
                code = 0
            except SystemExit as e:
                if e.code is None or isinstance(e.code, int):
                    code = e.code or 0
                else:
                    print(e.code, file=sys.stderr)
            except BaseException:   # noqa: B036  reported, whatever it is
                traceback.print_exc()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    with open(out) as o, open(err) as e:
        return os.waitstatus_to_exitcode(status), o.read(), e.read()


def described_options(help_text):
    """argparse's lines for the options (an option's help may go on over
    more lines), spaces squeezed, without -h's own."""
    options, current = [], None
    for line in help_text.split("\n"):
        if line.startswith("  -"):
            current = line.split()
            options.append(current)
        elif line.startswith("   ") and current is not None:
            current += line.split()             # the help goes on
        else:
            current = None                      # an operand, or a new section
    options = [" ".join(words) for words in options]
    return [option for option in options if not option.startswith("-h, --help")]


def main():
    seconds = int(float(sys.argv[1]))
    pace = os.environ.get("WORKBOOK_PACE", "0")
    twins = []
    for line in sys.stdin:
        word, _, rest = line.rstrip("\n").partition(" ")
        if word == "twin":
            twins.append((rest, [], []))
        elif word == "option" and twins:
            twins[-1][1].append(rest)
        elif word == "bad" and twins:
            twins[-1][2].append(rest.split())
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        out, err = os.path.join(tmp, "out"), os.path.join(tmp, "err")
        for path in (out, err):
            open(path, "w").close()

        def report(path, args, pace_used, what, result):
            nonlocal failures
            status, stdout, stderr = result
            print(f"{os.path.basename(path)} {' '.join(args)} (WORKBOOK_PACE={pace_used}): "
                  f"{what}; status {status}, stdout: {stdout[:300]}, stderr: {stderr[:300]}")
            failures += 1

        def refused(path, args, pace_used=pace):
            result = call(path, args, pace_used, seconds, out, err)
            status, stdout, stderr = result
            if status != 2 or stdout or "usage:" not in stderr:
                report(path, args, pace_used,
                       "expected status 2, nothing on stdout, the usage on stderr", result)

        for path, options, bad in twins:
            result = call(path, ["-h"], pace, seconds, out, err)
            if result[0] != 0 or "usage:" not in result[1]:
                report(path, ["-h"], pace, "expected the usage on stdout, status 0", result)
                continue
            described = described_options(result[1])
            if described != options:
                report(path, ["-h"], pace, "expected the C program's option lines "
                       f"{options}, not {described}", result)
            usage = result[1][result[1].index("usage:"):].split("\n\n")[0]
            unused = next(c for c in "ZQYXWVU" if "-" + c not in usage)
            refused(path, ["-" + unused])
            refused(path, [], "abc")
            for args in bad:
                refused(path, args)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
