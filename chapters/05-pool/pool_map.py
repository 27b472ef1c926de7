"""pool_map.py - Pool.map over CPU-bound work: the same answers, sooner.

The C twin is pool_map.c (same options, same lines). Pure Python is far
slower than C at the work itself, so the same limit takes longer here; the
speed-up from the pool is what to compare.
Usage: python3 pool_map.py [-n WORKERS] [-s LIMIT] [-c SLICES] [-k CHUNKSIZE]
Not guaranteed: the times and the speed-up.
"""
import argparse
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from workbook import int_in, parse_args, say  # noqa: E402


def count_primes(lo, hi):
    count = 0
    for n in range(max(lo, 2), hi):
        d = 2
        while d * d <= n:
            if n % d == 0:
                break
            d += 1
        else:
            count += 1
    return count


def count_slice(bounds):
    """The task: one slice in, one count out."""
    return count_primes(*bounds)


def main():
    parser = argparse.ArgumentParser(description="Pool.map over CPU-bound work")
    parser.add_argument("-n", dest="workers", type=int_in(1, 64), default=None, metavar="WORKERS",
                        help="worker processes in the pool (default: one per CPU)")
    parser.add_argument("-s", dest="limit", type=int_in(2, 100000000), default=1000000,
                        metavar="LIMIT", help="count the primes below LIMIT (default %(default)s)")
    parser.add_argument("-c", dest="slices", type=int_in(1, 10000), default=40, metavar="SLICES",
                        help="cut 0..LIMIT into SLICES tasks (default %(default)s)")
    parser.add_argument("-k", dest="chunksize", type=int_in(1, 10000), default=None,
                        metavar="CHUNKSIZE",
                        help="tasks sent to a worker at a time (default: Python's rule)")
    args = parse_args(parser)
    if args.slices > args.limit:
        parser.error(f"-c {args.slices}: more slices than numbers below {args.limit}")
    me = os.getpid()
    limit, slices = args.limit, args.slices
    bounds = [(limit * i // slices, limit * (i + 1) // slices) for i in range(slices)]

    # Pool(None): one worker per CPU (os.cpu_count()).
    with multiprocessing.Pool(args.workers) as pool:
        n = len(multiprocessing.active_children())
        say(f"parent {me:<6}  counting the primes below {limit} in {slices} slices, "
            f"serially and with Pool({n}).map")
        t0 = time.monotonic()
        serial = [count_slice(b) for b in bounds]
        t_serial = time.monotonic() - t0
        say(f"parent {me:<6}  serial, in this process:   {t_serial:7.3f} s")

        t0 = time.monotonic()
        mapped = pool.map(count_slice, bounds, chunksize=args.chunksize)
        t_pool = time.monotonic() - t0
        # Python's default: divmod(len, 4 * workers), rounded up.
        k = args.chunksize or -(-slices // (4 * n))
        speedup = t_serial / t_pool if t_pool > 0 else 0.0
        say(f"parent {me:<6}  Pool({n}).map, chunksize {k}: {t_pool:7.3f} s  "
            f"(speed-up {speedup:.2f}x with {n} worker{'' if n == 1 else 's'})")
        pool.close()
        pool.join()

    for i in range(0, slices, 10):
        row = "".join(f" {c}" for c in mapped[i:i + 10])
        say(f"parent {me:<6}  slices {i:3d} to {min(i + 9, slices - 1):3d}:{row}")
    say(f"parent {me:<6}  total: {sum(mapped)} primes below {limit}")
    same = mapped == serial
    say(f"parent {me:<6}  self-check: Pool.map's {slices} results equal the serial ones, "
        f"in order: {'OK' if same else 'FAILED'}")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    # fork, as the C program does: Linux's default only up to Python 3.13
    multiprocessing.set_start_method("fork")
    main()
