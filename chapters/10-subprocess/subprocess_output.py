"""subprocess_output.py - run a command and capture what it prints.

subprocess.run(..., stdout=PIPE) reads the pipe to its end, then waits
(check_output() does the same and raises if the exit code is not 0). -e is
stderr=subprocess.STDOUT. The C twin is subprocess_output.c. Usage:
python3 subprocess_output.py [-e] [-- COMMAND [ARG...]]   (default: ls /)
"""
import argparse
import subprocess
import sys

from spawn import cannot_run, parse_args_and_command, say_exit_code, shell_status


def show_lines(data):
    """Each captured line as "| " + line, byte for byte; returns the count."""
    out = sys.stdout.buffer
    lines = data.split(b"\n")
    last = lines.pop()          # after the final newline: b"" if there was one
    for line in lines:
        out.write(b"| " + line + b"\n")
    if last:
        out.write(b"| " + last + b"\n(no newline at the end)\n")
    out.flush()
    return len(lines) + (1 if last else 0)


def main():
    parser = argparse.ArgumentParser(description="capture a command's output",
                                     usage="%(prog)s [-e] [-- COMMAND [ARG...]]")
    parser.add_argument("-e", dest="merge", action="store_true",
                        help="capture stderr too (stderr=STDOUT)")
    args, command = parse_args_and_command(parser, ["ls", "/"])

    print(f"Capturing the output of {command!r}", flush=True)
    try:
        result = subprocess.run(command, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT if args.merge else None)
    except OSError as err:
        cannot_run(command, err)
    size = len(result.stdout)
    lines = show_lines(result.stdout)
    print(f"Captured {size} byte{'' if size == 1 else 's'} "
          f"in {lines} line{'' if lines == 1 else 's'}.", flush=True)
    say_exit_code(result.returncode)
    sys.exit(shell_status(result.returncode))


if __name__ == "__main__":
    main()
