"""cost_pipeline.py - what a pipeline of processes moves, against one process
doing the same work: `producer | filter | consumer`, started the way chapter
10's subprocess_pipeline.py joins two commands (the documentation's recipe).

The C twin is cost_pipeline.c (rows pipeline_1p, pipeline_3p); the work is
the same: 64 KiB blocks of lower-case text, each stamped with its number;
the filter turns the text to upper case (bytes.translate: a table lookup
per byte, in C); the consumer checks every block.
Usage: python3 cost_pipeline.py [-r ROW] [-s SCALE] [-p | -a]
                                [-R parent|producer|filter|consumer]
The stages are this file, run by a fresh interpreter with -R producer,
filter or consumer: p1 = Popen(..., stdout=PIPE); p2 = Popen(...,
stdin=p1.stdout, stdout=PIPE); p1.stdout.close(); and so on (a shell can
join them too, as cost_pipeline.c says). The consumer times the blocks
after the warm-up and prints the seconds, which this process reads: the
interpreters' start is not in the figure.
Look for: the bytes themselves are handled by C code in both languages (a
copy, translate, a comparison), and so are the pipes: where does the
interpreter still show?
"""
import os
import signal
import stat
import subprocess
import sys
import time

import bench
from bench import Bench, report

ROWS = ["pipeline_1p", "pipeline_3p"]
ROLES = ("parent", "producer", "filter", "consumer")
BLOCK = 64 * 1024
STAMP = 8
BLOCKS = 4096                                   # 256 MiB at -s 1, as in C

PHRASE = b"a pipeline of processes, each stage in its own; "
LINE = (PHRASE * (1024 // len(PHRASE) + 1))[:1023] + b"\n"     # lines of 1 KiB, as in C
TEXT = LINE * (BLOCK // len(LINE))
TABLE = bytes.maketrans(b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
UPPER_REST = TEXT[STAMP:].translate(TABLE)      # what the consumer expects after a stamp


# ---- the three stages' work on one block -----------------------------------
def produce(number):
    return b"%08d" % (number % 100000000) + TEXT[STAMP:]


def consume(block, number):
    return block.startswith(b"%08d" % (number % 100000000)) and block.endswith(UPPER_REST)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# ---- the stages as processes: stdin and stdout are the pipes --------------
def stage(b, warm, n):
    if ((b.role != "producer" and not stat.S_ISFIFO(os.fstat(0).st_mode))
            or (b.role != "consumer" and not stat.S_ISFIFO(os.fstat(1).st_mode))):
        b.error(f"-R {b.role}: a stage runs between pipes, as cost_pipeline.py starts it "
                "(or a shell: producer | filter | consumer)")
    # Python ignores SIGPIPE from its start (Popen's restore_signals=True put
    # it back for the exec): a stage whose reader has died dies of it, as C's.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if b.role == "producer":
        for i in range(warm + n):
            write_all(1, produce(i))
    elif b.role == "filter":
        while data := os.read(0, BLOCK):        # whatever the pipe holds
            write_all(1, data.translate(TABLE))
    else:
        stdin, block, i, start = open(0, "rb", buffering=0, closefd=False), bytearray(BLOCK), 0, 0
        while True:
            got = 0
            while got < BLOCK and (more := stdin.readinto(memoryview(block)[got:])):
                got += more
            if got < BLOCK:
                break
            if i == warm:
                start = time.perf_counter()
            if not consume(block, i):
                sys.exit(f"cost_pipeline.py: block {i}: not the bytes the producer and "
                         "the filter made")
            i += 1
        if got != 0 or i != warm + n:
            sys.exit(f"cost_pipeline.py: {i} whole blocks and {got} bytes, not {warm + n} blocks")
        print(f"{time.perf_counter() - start:.9f}", flush=True)


# ---- the parent --------------------------------------------------------------
def pipeline(b, n):
    """MiB/s through producer | filter | consumer."""
    me = [sys.executable, os.path.abspath(__file__), "-s", repr(b.scale), "-R"]
    # With -a, each stage moves to the second CPU before its exec.
    place = {"preexec_fn": bench.place_child} if b.apart else {}
    p1 = bench.popen(me + ["producer"], stdout=subprocess.PIPE, **place)
    p2 = bench.popen(me + ["filter"], stdin=p1.stdout, stdout=subprocess.PIPE, **place)
    p3 = bench.popen(me + ["consumer"], stdin=p2.stdout, stdout=subprocess.PIPE, **place)
    # The recipe's step: our copies of the read ends closed (Popen closed the
    # write ends), so that a stage whose reader dies gets SIGPIPE.
    p1.stdout.close()
    p2.stdout.close()
    figure = p3.stdout.read()
    p3.stdout.close()
    for name, p in (("consumer", p3), ("filter", p2), ("producer", p1)):
        if p.wait() != 0:               # the consumer first: see cost_pipeline.c
            sys.exit(f"cost_pipeline.py: the {name} ended with exit code {p.returncode}")
    return n * BLOCK / (1024 * 1024) / float(figure)


def one_process(warm, n):
    """MiB/s with the three stages called in turn in one process."""
    for i in range(warm + n):
        if i == warm:
            start = time.perf_counter()
        if not consume(produce(i).translate(TABLE), i):
            sys.exit(f"cost_pipeline.py: block {i}: not the bytes it should be")
    return n * BLOCK / (1024 * 1024) / (time.perf_counter() - start)


def main():
    b = Bench("what a pipeline of processes moves, subprocess.Popen", ROWS, roles=ROLES)
    n = b.count(BLOCKS)
    warm = n // 10 + 1
    if b.role != "parent":
        stage(b, warm, n)
        return
    if b.wants("pipeline_1p"):
        report("pipeline_1p", "Python", one_process(warm, n), "MiB/s",
               "the three stages in turn, one process")
    if b.wants("pipeline_3p"):
        report("pipeline_3p", "Python", pipeline(b, n), "MiB/s",
               "Popen(stdout=PIPE) x3, stdin=p.stdout")


if __name__ == "__main__":
    main()
