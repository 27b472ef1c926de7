#!/usr/bin/env python3
"""tools/costs.py - the table `make bench` prints: what each primitive costs
here, against the bare system calls, in the workbook's C (chapter 11's fast
Queue and Pool beside the simple ones) and in Python.

Chapter 11's cost_* programs each measure a few rows (one operation each)
and print one line per figure: "ROW IMPL VALUE UNIT what", IMPL being
floor, C, fast or Python. This script runs, for every row, the C program
(floor and C), its fast build where there is one (cost_queue_fast,
cost_pool_fast) and the Python twin, REPS times each, taking turns (the
order rotates each time), so that a machine that slows down during the run
slows them all alike. A cell is the median of its REPS figures, with their
spread: half their range, in percent of the median. Then it checks the
promises listed in docs/costs.md ("## The promises") against the figures.

Usage: tools/costs.py [-n REPS] [-s SCALE] [-o ROW] [-P PYTHON] [-c] [-t]
Not a lesson but a tool; chapter 11's README explains what it does and why.

SPDX-License-Identifier: MIT
"""
import argparse
import os
import platform
import re
import signal
import statistics
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHAPTER = os.path.join(TOP, "chapters", "11-costs")
PROMISES = os.path.join(TOP, "docs", "costs.md")
FAST = {"cost_queue", "cost_pool"}      # the programs with a fast build

# name, label, program, its -r ROW, where: "" anywhere, "-p" one CPU, "-a" two
ROWS = [
    ("fork", "Process start + join (fork)", "cost_spawn", "fork", ""),
    ("fork_16m", "  ... parent holds 16 MiB", "cost_spawn", "fork_16m", ""),
    ("fork_256m", "  ... parent holds 256 MiB", "cost_spawn", "fork_256m", ""),
    ("start_spawn", "Spawn: start + join", "cost_start", "start_spawn", ""),
    ("start_forkserver", "Forkserver: start + join", "cost_start", "start_forkserver", ""),
    ("spawn", "posix_spawn + wait (true)", "cost_spawn", "spawn", ""),
    ("spawn_256m", "  ... parent holds 256 MiB", "cost_spawn", "spawn_256m", ""),
    ("command", "run a trivial command (true)", "cost_spawn", "command", ""),
    ("pipe_rt", "pipe round trip", "cost_ipc", "pipe_rt", ""),
    ("pipe_rt_1cpu", "  ... both on one CPU", "cost_ipc", "pipe_rt", "-p"),
    ("pipe_rt_2cpu", "  ... on two CPUs", "cost_ipc", "pipe_rt", "-a"),
    ("sock_rt", "socketpair round trip", "cost_ipc", "sock_rt", ""),
    ("sock_rt_1cpu", "  ... both on one CPU", "cost_ipc", "sock_rt", "-p"),
    ("pipe_bulk", "pipe bulk, 64 KiB writes", "cost_ipc", "pipe_bulk", ""),
    ("pipeline_3p", "Pipeline, 3 processes, 2 pipes", "cost_pipeline", "pipeline_3p", ""),
    ("pipeline_1p", "  ... one process, no pipe", "cost_pipeline", "pipeline_1p", ""),
    ("queue_1x1", "Queue, 1 producer 1 consumer", "cost_queue", "queue_1x1", ""),
    ("queue_2x2", "Queue, 2 producers 2 consumers", "cost_queue", "queue_2x2", ""),
    ("apply_rt", "Pool apply_async round trip", "cost_pool", "apply_rt", ""),
    ("apply_rt_1cpu", "  ... all on one CPU", "cost_pool", "apply_rt", "-p"),
    ("map_1", "Pool map, 1 task per message", "cost_pool", "map_1", ""),
    ("map_chunks", "Pool map, default chunks", "cost_pool", "map_chunks", ""),
    ("imap_1", "Pool imap, 1 task per message", "cost_pool", "imap_1", ""),
    ("imap_first", "  ... until its first result", "cost_pool", "imap_first", ""),
    ("lock", "Lock acquire + release", "cost_sync", "lock", ""),
    ("lock_2", "  ... 2 processes contend", "cost_sync", "lock_2", ""),
    ("sem", "Semaphore acquire + release", "cost_sync", "sem", ""),
    ("sem_2", "  ... 2 processes contend", "cost_sync", "sem_2", ""),
    ("event_rt", "Event round trip", "cost_sync", "event_rt", ""),
    ("event_rt_1cpu", "  ... both on one CPU", "cost_sync", "event_rt", "-p"),
    ("manager", "Manager dict operation", "cost_manager", "dict_set", ""),
    ("manager_1cpu", "  ... all on one CPU", "cost_manager", "dict_set", "-p"),
    ("mib_queue", "1 MiB to parent, Queue", "cost_shm", "mib_queue", ""),
    ("mib_shm", "1 MiB to parent, shared memory", "cost_shm", "mib_shm", ""),
    ("value_inc", "Value += 1 with get_lock()", "cost_shm", "value_inc", ""),
]
IMPLS = ("floor", "C", "fast", "Python")
RATIOS = {"C/floor": ("C", "floor"), "Py/C": ("Python", "C"), "Py/fast": ("Python", "fast")}

running = None                          # the measuring program, for on_signal


def on_signal(sig, _frame):
    """SIGINT or SIGTERM: stop the program measuring (each cost_* program
    and twin stops its own children on SIGTERM), reap it, then die of the
    same signal, as a shell expects."""
    if running is not None:
        running.terminate()
        try:
            running.wait(5)             # a deadline, not synchronisation
        except subprocess.TimeoutExpired:
            running.kill()
            running.wait()
    signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)


def capture(argv):
    """Run argv; its exit status and what it wrote on stdout (its stderr is
    ours: its errors reach the user). 127 if it cannot be started."""
    global running
    try:
        running = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    except OSError:
        return 127, ""
    out, _ = running.communicate()
    code, running = running.returncode, None
    return code, out


class Cell:
    def __init__(self):
        self.figures, self.unit, self.missing = [], "", None

    def median(self):
        return statistics.median(self.figures) if self.figures else None

    def spread(self):
        return (max(self.figures) - min(self.figures)) / 2 / self.median() * 100

    def text(self):
        if not self.figures:
            return self.missing or "-"
        return f"{number(self.median())} ±{self.spread():.0f}%"


def number(v):
    """About four significant digits, never in exponent form."""
    return f"{v:.{0 if v >= 1000 else 1 if v >= 100 else 2 if v >= 10 else 3 if v >= 1 else 4}f}"


def ratio(cells, name):
    """How many times one cost is another's: for rates (units ending in /s)
    the ratio is turned over, so that 3 always means 'three times dearer'."""
    a, b = (cells[i] for i in RATIOS[name])
    if not a.figures or not b.figures:
        return None
    r = a.median() / b.median()
    return 1 / r if a.unit.endswith("/s") else r


def measure(row, run):
    """Every runner of the row, run.reps times, taking turns."""
    _, _, prog, arg, place = row
    cells = {impl: Cell() for impl in IMPLS}
    if (place == "-p" and run.cpus < 1) or (place == "-a" and run.cpus < 2):
        for cell in cells.values():
            cell.missing = "n/a"
        return cells
    opts = ["-r", arg, "-s", run.scale] + ([place] if place else [])
    runners = [(("floor", "C"), [os.path.join(run.bin, prog)] + opts)]
    if prog in FAST:
        runners.append((("fast",), [os.path.join(run.bin, prog + "_fast")] + opts))
    if run.python:
        runners.append((("Python",), [run.python, os.path.join(CHAPTER, prog + ".py")] + opts))
    else:
        cells["Python"].missing = run.no_python
    for rep in range(run.reps):
        turn = rep % len(runners)
        for impls, argv in runners[turn:] + runners[:turn]:
            if any(cells[i].missing for i in impls):
                continue                # it failed before
            code, out = capture(argv)
            found = 0
            for line in out.splitlines():
                f = line.split()
                if len(f) >= 4 and f[0] == arg and f[1] in impls:
                    try:
                        value = float(f[2])
                    except ValueError:
                        continue
                    if 0 < value < float("inf"):
                        cells[f[1]].figures.append(value)
                        cells[f[1]].unit = f[3]
                        found += 1
            if code != 0 or found == 0:
                why = "not built" if code == 127 else "failed"
                print(f"costs: {argv[0]} -r {arg}: {why}, exit status {code}"
                      + (" (run make first)" if code == 127 else ""), file=sys.stderr)
                for i in impls:
                    cells[i].missing = why
                run.failures += 1
    return cells


def unit_of(cells):
    return next((cells[i].unit for i in ("C", "floor", "fast", "Python") if cells[i].unit), "-")


def print_row(row, cells):
    r = [ratio(cells, n) for n in ("Py/C", "Py/fast")]
    print(f"{row[1]:<30} {unit_of(cells):<5}"
          # a space before each cell, even one too wide for its column
          + "".join(f" {cells[i].text():>11}" for i in IMPLS)
          + "".join(f" {'-' if x is None else f'{x:.2f}':>7}" for x in r), flush=True)


def tsv_row(row, cells, parent):
    label = row[1] if parent is None else f"{parent[1]}, {row[1].lstrip(' .')}"
    fields = [row[0], label, unit_of(cells)]
    for i in IMPLS:
        c = cells[i]
        fields += [f"{c.median():.6g}", f"{c.spread():.1f}"] if c.figures else ["NA", "NA"]
    for n in ("C/floor", "Py/C", "Py/fast"):
        x = ratio(cells, n)
        fields.append("NA" if x is None else f"{x:.3f}")
    print("\t".join(fields), flush=True)


def promises():
    """The promises of docs/costs.md: rows of its table under "## The
    promises", as | `row` | ratio | >= or <= bound | what is promised |."""
    found, inside = [], False
    shape = re.compile(r"\|\s*`(\w+)`\s*\|\s*(\S+)\s*\|\s*(≥|≤)\s*([0-9.]+)\s*\|\s*(.+?)\s*\|")
    with open(PROMISES, encoding="utf-8") as f:
        for line in f:
            if line.startswith("## "):
                inside = line.strip() == "## The promises"
            m = shape.fullmatch(line.strip()) if inside else None
            if m and m.group(2) in RATIOS:
                found.append((m.group(1), m.group(2), m.group(3), float(m.group(4)), m.group(5)))
    return found


def check_promises(measured):
    for row, name, sign, bound, text in promises():
        if row not in measured:
            continue
        x = ratio(measured[row], name)
        if x is None:
            print(f"promise: {text:<62} not measured")
        else:
            ok = x >= bound if sign == "≥" else x <= bound
            print(f"promise: {text:<62} {'met' if ok else 'MISSED'} ({name} {x:.2f})")


def explain_cpus(measured):
    one, two = measured.get("pipe_rt_1cpu"), measured.get("pipe_rt_2cpu")
    if not one or not two or not one["floor"].figures or not two["floor"].figures:
        return
    us1, us2 = one["floor"].median(), two["floor"].median()
    print(f"one CPU or two: a bare pipe round trip took {us1:.1f} us on one CPU, {us2:.1f} us"
          " on two:\n  " + ("the difference is waking the other CPU (or waiting for it to be free)"
                            if us2 > 2 * us1 else "waking another CPU is cheap on this machine"))


def arguments():
    p = argparse.ArgumentParser(prog="costs.py", description="The costs table of chapter 11.")
    p.add_argument("-n", dest="reps", type=int, default=5, metavar="REPS",
                   help="repetitions of each figure, 1 to 51 (default 5)")
    p.add_argument("-s", dest="scale", default="1", metavar="SCALE",
                   help="multiply every operation count (default 1; 0.01 for a quick look)")
    p.add_argument("-o", dest="only", default="", metavar="ROW",
                   help="only the rows whose name starts with ROW (e.g. -o pipe)")
    p.add_argument("-P", dest="python", default="python3", metavar="PYTHON",
                   help="the Python to compare with (default python3)")
    p.add_argument("-c", dest="c_only", action="store_true", help="C only: no Python column")
    p.add_argument("-t", "--tsv", dest="tsv", action="store_true", help="tab-separated values")
    p.add_argument("-b", dest="bin", default=CHAPTER, metavar="DIR",
                   help="where the cost_* programs are (default: chapter 11's folder)")
    # One line on stderr and status 2, as every program of the workbook.
    p.error = lambda msg: (print(f"costs.py: {msg}; {' '.join(p.format_usage().split())}",
                                 file=sys.stderr), sys.exit(2))
    run = p.parse_args()
    try:
        scale = float(run.scale)
    except ValueError:
        scale = -1.0
    if not 1 <= run.reps <= 51:
        p.error(f"-n must be from 1 to 51, not {run.reps}")
    if not 0.0001 <= scale <= 100:
        p.error(f"-s must be a number from 0.0001 to 100, not {run.scale!r}")
    if not run.python:
        p.error("-P wants a program, not ''")
    if not any(r[0].startswith(run.only) for r in ROWS):
        p.error(f"-o: no row starts with {run.only!r}")
    return run


def main():
    run = arguments()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    # A reader that goes away (| head) ends the tool as it ends a C program:
    # by SIGPIPE, between two measurements, with no child running.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    run.failures, run.no_python, version = 0, "not asked", ""
    if not run.c_only:
        code, out = capture([run.python, "-c", "import multiprocessing, platform;"
                             " print(platform.python_version())"])
        version = out.strip() if code == 0 else ""
        run.no_python = None if version else "no python3"
    run.python = None if run.c_only or not version else run.python
    run.cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0

    if run.tsv:
        print("\t".join(["row", "operation", "unit"]
                        + [f"{i.lower()}{s}" for i in IMPLS for s in ("", "_spread_pct")]
                        + ["c_over_floor", "python_over_c", "python_over_fast"]), flush=True)
    else:
        model = ""
        if os.path.exists("/proc/cpuinfo"):
            with open("/proc/cpuinfo", encoding="utf-8") as f:
                model = next((l.split(":", 1)[1].strip() for l in f
                              if l.startswith("model name")), "")
        print(f"costs: each figure is the median of {run.reps} runs (± half their range);"
              " the runs take turns")
        print(f"machine: {platform.system()} {platform.release()} {platform.machine()},"
              f" {os.cpu_count()} CPUs,"
              f" load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"[:100])
        print(f"cpu:     {model or 'unknown'}"[:100])
        print(f"python:  {version or ('not asked for (-c)' if run.c_only else 'not found')}")
        print(f"{'operation':<30} {'unit':<5}" + "".join(f"{h:>12}" for h in
              ("floor", "C", "C fast", "Python")) + f"{'Py/C':>8}{'Py/fast':>8}", flush=True)
    measured, parent = {}, None
    for row in ROWS:
        parent = parent if row[1].startswith(" ") else row
        if not row[0].startswith(run.only):
            continue
        measured[row[0]] = cells = measure(row, run)
        if run.tsv:
            tsv_row(row, cells, None if parent is row else parent)
        else:
            print_row(row, cells)
    if not run.tsv:
        print("C: the chapters' code; C fast: chapter 11's fast Queue and Pool;"
              " Py/C, Py/fast: Python's cost\n  over theirs (for rates, the inverse ratio)")
        explain_cpus(measured)
        check_promises(measured)
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
