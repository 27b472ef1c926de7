"""spawn.py - what the Python twins of chapter 10 share (the C side: command.c).

The starting itself needs nothing here: Python's subprocess module does the
fork, the exec and the close-on-exec error pipe (in _posixsubprocess.c).
What is left is the command line (OPTIONS -- COMMAND [ARG...]), the
"cannot run" report with a shell's exit status, and the exit code line.

SPDX-License-Identifier: MIT
"""
import argparse
import errno
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import parse_args  # noqa: E402


def parse_args_and_command(parser, default_command):
    """Options before "--", the command after it (default_command if there
    is no "--"), as command_operands() in command.c: argparse never sees the
    command's own options (ls -l). -h ends with the command's line, as the
    C program's -h does."""
    parser.epilog = ("  COMMAND ...  the command to run, after -- "
                     f"(default: {' '.join(default_command)})")
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    argv = sys.argv[1:]
    command = list(default_command)
    if "--" in argv:
        i = argv.index("--")
        command = argv[i + 1:]
        if not command:
            parser.error("'--' must be followed by a command")
        sys.argv[1:] = argv[:i]
    return parse_args(parser), command


def cannot_run_status(err):
    """127 when the command was not found, 126 when it could not be run."""
    return 127 if err.errno == errno.ENOENT else 126


def cannot_run(command, err):
    """The OSError that subprocess raised in the parent, reported as the C
    programs do; then exit as a shell would."""
    prog = os.path.basename(sys.argv[0])
    sys.stdout.flush()
    print(f"{prog}: cannot run {command!r}: {errno.errorcode.get(err.errno, 'E?')} "
          f"({os.strerror(err.errno)})", file=sys.stderr, flush=True)
    sys.exit(cannot_run_status(err))


def say_exit_code(returncode):
    """Exit code: 3, or Exit code: -15 (SIGTERM): Popen.returncode."""
    if returncode < 0:
        print(f"Exit code: {returncode} ({signal.Signals(-returncode).name})", flush=True)
    else:
        print(f"Exit code: {returncode}", flush=True)


def shell_status(returncode):
    """Our own exit status for the command's ending: N, or 128 + signal."""
    return 128 - returncode if returncode < 0 else returncode


def mark_inherited_cloexec():
    """Descriptors above 2 that we inherited (a shell's exec 5<file, bats'
    fd 3) become non-inheritable, as mark_inherited_cloexec() in command.c.
    subprocess needs none of this (close_fds=True closes them in the
    child); os.posix_spawn has no such option."""
    for fd in range(3, os.sysconf("SC_OPEN_MAX")):
        try:
            if os.get_inheritable(fd):
                os.set_inheritable(fd, False)
        except OSError:         # EBADF: not open
            pass
