"""subprocess_shell.py - an argument vector against a shell command line.

The same text, 'hello; echo INJECTED' by default, given four ways:
  1. subprocess.run(['echo', text])             one argument: data
  2. subprocess.run('echo ' + text, shell=True)  pasted into a command line:
                                                 the shell runs the rest
  3. subprocess.run([SCRIPT, 'sh', text], shell=True)
                                                 a fixed script reading "$1":
                                                 a shell, and still data
  4. subprocess.run(['echo', text], shell=True)  the tutorial's mistake: only
                                                 'echo' is the script
shell=True runs ['/bin/sh', '-c'] + the list (or + [the string]); each case
shows the vector that is really executed. The C twin is subprocess_shell.c.
Usage: python3 subprocess_shell.py [-w TEXT]
"""
import argparse
import os
import subprocess
import sys

from spawn import cannot_run

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import parse_args  # noqa: E402

TEXT_MAX = 200
SHELL = "/bin/sh"               # what shell=True runs on POSIX
SCRIPT = "printf '%s\\n' \"$1\""  # printf, not echo: dash's echo reads backslashes


def run_case(number, how, args, shell, text):
    executed = [SHELL, "-c"] + ([args] if isinstance(args, str) else args) if shell else args
    print(f"{number}. {how}:", flush=True)
    print(f"   argv: {executed!r}", flush=True)
    try:
        result = subprocess.run(args, shell=shell, stdout=subprocess.PIPE)
    except OSError as err:
        cannot_run(executed, err)
    out = result.stdout
    lines = out.split(b"\n")
    if lines[-1] == b"":        # what follows the last newline
        lines.pop()
    for line in lines:
        sys.stdout.buffer.write(b"   | " + line + b"\n")
    sys.stdout.buffer.flush()
    if out == text.encode() + b"\n":
        verdict = "the text stayed data"
    elif out == b"\n":
        verdict = "the text was not used: the list's other items became $0, $1..."
    else:
        verdict = "the shell treated the text as code"
    print(f"   -> exit code {result.returncode}: {verdict}", flush=True)


def main():
    parser = argparse.ArgumentParser(description="argument vector against shell string",
                                     usage="%(prog)s [-w TEXT]")
    parser.add_argument("-w", dest="text", default="hello; echo INJECTED", metavar="TEXT",
                        help="the text handed to each of the four commands "
                             "(default: 'hello; echo INJECTED')")
    args = parse_args(parser)
    text = args.text
    if len(text.encode()) > TEXT_MAX:
        parser.error(f"-w wants at most {TEXT_MAX} bytes of text")

    print(f"The text: {text!r}", flush=True)
    run_case(1, "argument vector, no shell", ["echo", text], False, text)
    run_case(2, "the text pasted into a shell command line", "echo " + text, True, text)
    run_case(3, 'a fixed shell script, the text as "$1"', [SCRIPT, "sh", text], True, text)
    run_case(4, "a list with shell=True (the tutorial's mistake)", ["echo", text], True, text)


if __name__ == "__main__":
    main()
