"""subprocess_check.py - what subprocess.run() does with its keywords, in four
parts: check=True (a failing command raises CalledProcessError, which
carries its status and its stderr); env= and cwd= (the child's, not ours);
stdout=DEVNULL; stdout=PIPE and stderr=PIPE at once, which run() reads
together (communicate(), with the selectors module), so that neither pipe
fills up while it waits on the other. The C twin is subprocess_check.c,
which does each of these by hand between fork and exec. Usage:
python3 subprocess_check.py [-c LINES] [-- COMMAND [ARG...]]
"""
import argparse
import os
import subprocess
import sys

from spawn import cannot_run, parse_args_and_command

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in  # noqa: E402


def run(argv, **keywords):
    """subprocess.run(), a command that cannot be run reported as in C."""
    try:
        return subprocess.run(argv, **keywords)
    except OSError as err:
        cannot_run(argv, err)


def part_check(command):
    print("1. check=True, capture_output=True: a command that fails raises CalledProcessError")
    print(f"   argv: {command!r}")
    try:
        r = run(command, capture_output=True, text=True, check=True)
        print("   returned 0: no exception, a CompletedProcess")
    except subprocess.CalledProcessError as e:
        print("   CalledProcessError:")
        print(f"   {e}")                  # Python's own message
        r = e
    print(f"   returncode = {r.returncode}, stdout = {r.stdout!r}, stderr = {r.stderr!r}")


def part_env_cwd():
    argv = ["sh", "-c", 'echo "WB_GREETING=$WB_GREETING, in $(pwd)"']
    env = {**os.environ, "WB_GREETING": "hello"}    # env= REPLACES the environment
    before = os.getcwd()
    print("2. env= and cwd=: the child's environment and working folder, not ours")
    print(f"   argv: {argv!r}")
    print("   env: a copy of ours plus WB_GREETING='hello'; cwd='/'")
    r = run(argv, env=env, cwd="/", stdout=subprocess.PIPE, text=True)
    shown = r.stdout.removesuffix("\n")
    print(f"   | {shown}")
    mine = os.environ.get("WB_GREETING")
    print(f"   parent: WB_GREETING {'not set' if mine is None else '= ' + repr(mine)}, "
          f"working folder unchanged: {'yes' if os.getcwd() == before else 'no'}")


def part_devnull():
    argv = ["sh", "-c", "echo nobody will read this"]
    print("3. stdout=DEVNULL: what the command prints goes nowhere")
    print(f"   argv: {argv!r}")
    r = run(argv, stdout=subprocess.DEVNULL)
    print(f"   exit code {r.returncode}; nothing came to us (its stdout was /dev/null)")


def part_both(lines):
    program = ("BEGIN { for (i = 1; i <= %d; i++) "
               '{ print "out " i; print "err " i > "/dev/stderr" } }' % lines)
    print("4. stdout=PIPE, stderr=PIPE: two pipes, read together with poll (communicate)")
    print(f"   awk writes {lines} lines to each, in turn")
    r = run(["awk", program], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out_lines, err_lines = r.stdout.count(b"\n"), r.stderr.count(b"\n")
    print(f"   stdout: {out_lines} lines, {len(r.stdout)} bytes; "
          f"stderr: {err_lines} lines, {len(r.stderr)} bytes; exit code {r.returncode}")


def main():
    parser = argparse.ArgumentParser(
        description="subprocess.run()'s check=, env=, cwd=, stdout=DEVNULL, stderr=PIPE",
        usage="%(prog)s [-c LINES] [-- COMMAND [ARG...]]")
    parser.add_argument("-c", dest="lines", type=int_in(1, 1000000), default=20000,
                        metavar="LINES",
                        help="lines part 4's command writes to stdout and to stderr "
                             "(default 20000)")
    args, command = parse_args_and_command(parser, ["sh", "-c", 'echo "disk full" >&2; exit 3'])
    sys.stdout.reconfigure(line_buffering=True)
    part_check(command)
    part_env_cwd()
    part_devnull()
    part_both(args.lines)


if __name__ == "__main__":
    main()
