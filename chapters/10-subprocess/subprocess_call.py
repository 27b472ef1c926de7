"""subprocess_call.py - run another program and get its exit code:
subprocess.call (fork + exec underneath), or os.posix_spawnp with -m spawn.

The C twin is subprocess_call.c. Usage:
python3 subprocess_call.py [-m fork|spawn] [-- COMMAND [ARG...]]
(default command: ls -l /). The exit code is also our exit status; a
command that cannot be run gives 127 (not found) or 126, as in a shell.
"""
import argparse
import os
import signal
import subprocess
import sys

from spawn import (cannot_run, mark_inherited_cloexec, parse_args_and_command,
                   say_exit_code, shell_status)


def main():
    parser = argparse.ArgumentParser(description="run a command, get its exit code",
                                     usage="%(prog)s [-m fork|spawn] [-- COMMAND [ARG...]]")
    parser.add_argument("-m", dest="mode", choices=["fork", "spawn"], default="fork",
                        metavar="fork|spawn",
                        help="start it with fork + exec, or posix_spawnp (default %(default)s)")
    args, command = parse_args_and_command(parser, ["ls", "-l", "/"])

    # flush=True: our stdout is the command's stdout too. A line still in
    # Python's buffer would come out AFTER the command's output when stdout
    # is a pipe or a file.
    how = "fork + exec" if args.mode == "fork" else "posix_spawnp"
    print(f"Running {command!r} with {how}", flush=True)
    try:
        if args.mode == "fork":
            # Popen forks (vfork on Linux where it can) and execs; an exec
            # failure comes back through a close-on-exec pipe and is raised
            # here, in the parent, as FileNotFoundError or PermissionError.
            returncode = subprocess.call(command)
        else:
            mark_inherited_cloexec()
            # Python ignores SIGPIPE and SIGXFSZ for itself (it turns them
            # into exceptions): without setsigdef, the command would inherit
            # the ignoring. subprocess's restore_signals=True does the same.
            pid = os.posix_spawnp(command[0], command, os.environ,
                                  setsigdef=[signal.SIGPIPE, signal.SIGXFSZ],
                                  setsigmask=[])
            _, status = os.waitpid(pid, 0)
            returncode = os.waitstatus_to_exitcode(status)
    except OSError as err:
        cannot_run(command, err)
    say_exit_code(returncode)
    sys.exit(shell_status(returncode))


if __name__ == "__main__":
    main()
