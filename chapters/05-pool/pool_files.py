"""pool_files.py - a real workload: checksum every file under a folder.

The C twin is pool_files.c (same options, same lines). Pool.map runs the
checksum over the paths, in chunks; a failure comes back as a value. The
checksum is POSIX cksum's CRC, written out in Python (zlib.crc32 is a different CRC),
so the system's cksum can check the answers. Pure Python computes it byte
by byte, far slower than C: try it on a small folder.
Usage: python3 pool_files.py [-d DIR] [-n WORKERS]
Not guaranteed: the times.
"""
import argparse
import multiprocessing
import os
import stat
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, parse_args, say  # noqa: E402


def make_table():
    table = []
    for i in range(256):
        crc = i << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1) & 0xFFFFFFFF
        table.append(crc)
    return table


# Computed once, when the module is loaded, before the pool starts: with
# the fork start method each worker has a copy (with spawn, each loads the
# module again and computes its own).
TABLE = make_table()


def crc_add(crc, data):
    table = TABLE
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[(crc >> 24) ^ byte]
    return crc


def cksum_file(path):
    """The task: a path in, (crc, size) out; an OSError travels back to get()."""
    crc = size = 0
    with open(path, "rb") as f:
        while True:
            block = f.read(64 * 1024)
            if not block:
                break
            crc = crc_add(crc, block)
            size += len(block)
    length = size
    while length > 0:
        crc = crc_add(crc, bytes([length & 0xFF]))
        length >>= 8
    return crc ^ 0xFFFFFFFF, size


def cksum_entry(path):
    """The task map runs: (crc, size, None), or (None, None, the error).
    An error returned as a value fails only this file; raised, it would
    fail the whole map() (get() re-raises the first exception)."""
    try:
        crc, size = cksum_file(path)
        return crc, size, None
    except OSError as err:
        return None, None, str(err)


def walk(top):
    """Every regular file under top, symbolic links not followed; and the
    number of folders that could not be read (os.walk skips them silently
    unless it is given an onerror function)."""
    found, unreadable = [], []

    def report(err):
        print(f"{os.path.basename(sys.argv[0])}: cannot read folder {err.filename}: "
              f"{err.strerror}", file=sys.stderr, flush=True)
        unreadable.append(err.filename)

    for folder, dirs, names in os.walk(top, onerror=report):
        for name in names:
            path = os.path.join(folder, name)
            try:
                if stat.S_ISREG(os.lstat(path).st_mode):
                    found.append(path)
            except OSError:
                pass                    # it went away meanwhile
    return sorted(found), len(unreadable)


def main():
    parser = argparse.ArgumentParser(description="checksum every file under a folder, in parallel")
    parser.add_argument("-d", dest="dir", default=".", metavar="DIR",
                        help="the folder whose files are read (default %(default)s)")
    parser.add_argument("-n", dest="workers", type=int_in(1, 64), default=None, metavar="WORKERS",
                        help="worker processes in the pool (default: one per CPU)")
    args = parse_args(parser)
    if not os.path.isdir(args.dir):
        parser.error(f"-d {args.dir}: not a folder")
    me = os.getpid()
    paths, unreadable = walk(args.dir)

    with multiprocessing.Pool(args.workers) as pool:
        n = len(multiprocessing.active_children())
        t0 = time.monotonic()
        # map sends the paths in chunks (about four per worker): most files
        # are small, and a round trip per file would cost as much as the work.
        answers = pool.map(cksum_entry, paths)
        got, nbytes, errors = [], 0, 0
        for path, (crc, size, err) in zip(paths, answers):
            if err is None:
                say(f"{crc} {size} {path}")
                got.append((crc, size))
                nbytes += size
            else:
                say(f"parent {me:<6}  FAILED: {err}")
                got.append(None)
                errors += 1
        t_pool = time.monotonic() - t0
        pool.close()
        pool.join()

    t0 = time.monotonic()
    same = 0
    for path, answer in zip(paths, got):
        try:
            mine = cksum_file(path)
        except OSError:
            mine = None
        same += mine == answer
    t_serial = time.monotonic() - t0

    speedup = t_serial / t_pool if t_pool > 0 else 0.0
    say(f"parent {me:<6}  {len(paths)} files, {nbytes} bytes under {args.dir}")
    say(f"parent {me:<6}  Pool({n}) {t_pool:.3f} s, serial {t_serial:.3f} s "
        f"(speed-up {speedup:.2f}x)")
    if errors:
        say(f"parent {me:<6}  {errors} file{'' if errors == 1 else 's'} could not be read; "
            "each is reported above, the rest were done")
    say(f"parent {me:<6}  self-check: the pool's answers for {len(paths)} files equal the "
        f"serial ones: {'OK' if same == len(paths) else 'FAILED'}")
    sys.exit(0 if same == len(paths) and errors == 0 and unreadable == 0 else 1)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
