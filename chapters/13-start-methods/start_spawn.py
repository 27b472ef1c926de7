"""start_spawn.py - the spawn start method: the child is a fresh interpreter.

The C twin is start_spawn.c.
Usage: python3 start_spawn.py [-n CHILDREN] [-r parent|child]
Under spawn, Python starts a new interpreter for each child; it imports
this file again, as the module __mp_main__ (so the code under
`if __name__ == "__main__":` does not run again: without that guard, each
child would start children of its own), then unpickles the target and
its arguments, which the parent sent down a pipe. So a global the parent
changed is back at its value in the file, and the target must be
something pickle can find by name: a lambda or a local function cannot
travel ("Can't pickle local object"; 3.13: "Can't get local object"),
which part 2 shows and catches.
-r exists to match the C program's options: Python's spawn starts its
children its own way (python -c 'from multiprocessing.spawn import
spawn_main; ...' --multiprocessing-fork), so -r child is refused.
Racy: the order of the children's lines.
"""
import argparse
import multiprocessing
import os
import pickle
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, pace, parse_args, say  # noqa: E402

setting = 1                     # the parent sets 2 before it starts the children


def square(k, conn):
    me = f"{'child ' + str(k):9} {os.getpid():<6}"
    fresh = "from the program file" if setting == 1 else "a copy?"
    say(f"{me}  started afresh as module {__name__!r}; setting = {setting} ({fresh})")
    pace(0.5)                   # the work
    conn.send((setting, k * k))
    conn.close()


def main():
    global setting
    parser = argparse.ArgumentParser(description="the spawn start method: a fresh interpreter")
    parser.add_argument("-n", dest="children", type=int_in(1, 16), default=3, metavar="CHILDREN",
                        help="child processes, each a fresh copy of this program "
                        "(default %(default)s)")
    parser.add_argument("-r", dest="role", choices=("parent", "child"), default="parent",
                        metavar="parent|child", help="the part this copy plays; it starts its "
                        "children with -r child (default %(default)s)")
    args = parse_args(parser)
    if args.role == "child":
        parser.error("-r child: Python's spawn starts its children itself (--multiprocessing-fork)")
    me = f"{'parent':9} {os.getpid():<6}"
    ctx = multiprocessing.get_context("spawn")      # macOS's default since 3.8

    say(f"{me}  setting = {setting} (its value in the program file)")
    setting = 2                 # just before the start: does the child see it?
    say(f"{me}  setting = 2 now; starting {args.children} fresh interpreters with spawn")
    children = []
    for k in range(1, args.children + 1):
        reader, writer = ctx.Pipe(duplex=False)
        p = ctx.Process(target=square, args=(k, writer))    # pickled: by name
        p.start()
        writer.close()
        children.append((k, p, reader))
    good = 0
    for k, p, reader in children:
        try:
            seen, result = reader.recv()
        except EOFError:
            seen, result = None, None
        p.join()
        say(f"{me}  child {k} ({p.pid}): square({k}) = {result} (expected {k * k}), "
            f"it saw setting = {seen}")
        good += result == k * k and seen == 1 and p.exitcode == 0

    say("--- 2. a local function as the target: spawn must pickle it, and cannot")

    def local_square(k):        # a function inside a function: no name to import
        return k * k

    refused = False
    p = ctx.Process(target=local_square, args=(7,))
    try:
        p.start()
        p.join()
        say(f"{me}  start() took a local function?")
    except (AttributeError, pickle.PicklingError) as err:   # 3.14: PicklingError
        refused = "local object" in str(err)    # 3.13 says "Can't get local object"
        say(f"{me}  start() refused in the parent, {type(err).__name__}:")
        say(f"{me}  {err}")
        say(f"{me}  (the fix: a function at the top of the module, as square is)")
    n = args.children
    ok = good == n and refused
    say(f"{me}  self-check: {good}/{n} saw setting = 1, answered right; the local function "
        f"refused: {'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
