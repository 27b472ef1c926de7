"""cost_ipc.py - what a round trip and a bulk transfer cost between two
processes with multiprocessing's Pipe.

The C twin is cost_ipc.c (rows pipe_rt, sock_rt, pipe_bulk).
Usage: python3 cost_ipc.py [-r ROW] [-s SCALE] [-p | -a]
Look for: a round trip costs about what C's does plus pickling and
Python's own work on each side; most of it is waking the other process.
"""
import multiprocessing as mp
import time

from bench import Bench, place_child, report, us_per_op

ROWS = ["pipe_rt", "sock_rt", "pipe_bulk"]
CHUNK = 64 * 1024


def echo(inbox, outbox, unused):
    place_child()
    # Close the parent's ends in this child: recv() raises EOFError only
    # when every copy of the write end is closed, this child's too.
    for conn in unused:
        conn.close()
    try:
        while True:
            outbox.send(inbox.recv())
    except EOFError:
        pass


def bounce(out, inbox, n):
    for _ in range(n):
        out.send("ping")
        inbox.recv()


def round_trip(ctx, duplex, n):
    if duplex:
        mine, theirs = ctx.Pipe()               # a socketpair
        child = ctx.Process(target=echo, args=(theirs, theirs, [mine]), daemon=True)
        out = inbox = mine
        ours_to_close = [theirs]
    else:
        down_r, down_w = ctx.Pipe(duplex=False)  # pipes: (reader, writer)
        up_r, up_w = ctx.Pipe(duplex=False)
        child = ctx.Process(target=echo, args=(down_r, up_w, [down_w, up_r]), daemon=True)
        out, inbox = down_w, up_r
        ours_to_close = [down_r, up_w]
    child.start()
    for conn in ours_to_close:
        conn.close()
    bounce(out, inbox, n // 10 + 1)             # warm-up
    start = time.perf_counter()
    bounce(out, inbox, n)
    us = us_per_op(start, n)
    out.close()                                 # the child sees EOF
    inbox.close()
    child.join()
    return us


def sink(inbox, done, unused):
    place_child()
    for conn in unused:
        conn.close()
    total = 0
    try:
        while True:
            total += len(inbox.recv_bytes())
    except EOFError:
        pass
    done.send(total)


def bulk(ctx, chunks):
    data_r, data_w = ctx.Pipe(duplex=False)
    done_r, done_w = ctx.Pipe(duplex=False)
    child = ctx.Process(target=sink, args=(data_r, done_w, [data_w, done_r]), daemon=True)
    child.start()
    data_r.close()
    done_w.close()
    block = b"x" * CHUNK
    start = time.perf_counter()
    for _ in range(chunks):
        data_w.send_bytes(block)
    data_w.close()
    got = done_r.recv()
    secs = time.perf_counter() - start
    child.join()
    if got != chunks * CHUNK:
        raise SystemExit(f"bulk: the child read {got} bytes, not {chunks * CHUNK}")
    return chunks * CHUNK / (1024 * 1024) / secs


def main():
    b = Bench("what IPC costs, multiprocessing.Pipe", ROWS)
    ctx = mp.get_context("fork")
    if b.wants("pipe_rt"):
        report("pipe_rt", "Python", round_trip(ctx, False, b.count(3000)), "us",
               "Connection.send+recv each way, Pipe(duplex=False) x2")
    if b.wants("sock_rt"):
        report("sock_rt", "Python", round_trip(ctx, True, b.count(3000)), "us",
               "Connection.send+recv each way, Pipe() (a socketpair)")
    if b.wants("pipe_bulk"):
        report("pipe_bulk", "Python", bulk(ctx, b.count(4096)), "MiB/s",
               "send_bytes+recv_bytes of 64 KiB, Pipe(duplex=False)")


if __name__ == "__main__":
    main()
