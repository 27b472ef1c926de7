/* cost_ipc.c - what a round trip and a bulk transfer cost between two
 * processes, over pipes and over a socketpair.
 *
 * Rows (each once raw, "floor", and once through the workbook's framed
 * messages, "C": frame_send/frame_recv of common/frame.c, which chapter 03
 * teaches and which work as Python's Connection.send/recv do):
 *   pipe_rt    a parent and a child bounce a small message over two pipes
 *   sock_rt    the same over one socketpair (Python's Pipe() is one)
 *   pipe_bulk  256 MiB through one pipe in 64 KiB writes, in MiB/s
 *
 * Python:  multiprocessing.Pipe() send/recv (cost_ipc.py)
 * Usage:   ./cost_ipc [-r ROW] [-s SCALE] [-p | -a]
 * Look for: a round trip costs far more than the two system calls' copy
 * of a few bytes: most of it is waking the other process. With -p (both on
 * one CPU) the wake-up is a switch on the same CPU; with -a (the child on
 * another CPU) the other CPU has to be woken from idle, which on a virtual
 * machine costs tens of microseconds. Without either, the scheduler
 * chooses, and may change its mind from run to run: make bench repeats
 * every figure and takes the median.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "frame.h"
#include "bench.h"

#define SMALL 8                 /* bytes in a "small message"            */
#define CHUNK (64 * 1024)       /* bytes per write in the bulk transfer  */

static const char *const rows[] = { "pipe_rt", "sock_rt", "pipe_bulk", NULL };

/* ---- round trips ------------------------------------------------------- */

/* The child's half: send back every message until end of file. */
static void echo(int in, int out, int framed)
{
    char msg[SMALL];
    size_t len;

    for (;;) {
        if (framed) {
            int r = frame_recv(in, msg, sizeof msg, &len);
            if (r == -1)
                die_child("frame_recv");
            if (r == 0)
                break;                  /* the parent closed its end */
            if (frame_send(out, msg, len) == -1)
                die_child("frame_send");
        } else {
            ssize_t r = read(in, msg, 1);
            if (r == -1)
                die_child("read");
            if (r == 0)
                break;
            if (write(out, msg, 1) == -1)
                die_child("write");
        }
    }
}

/* The parent's half: one message out, its echo back, n times. */
static void bounce(int out, int in, int framed, long n)
{
    char msg[SMALL] = "ping!!!", back[SMALL];
    size_t len;

    for (long i = 0; i < n; i++) {
        if (framed) {
            if (frame_send(out, msg, sizeof msg) == -1)
                die("frame_send");
            if (frame_recv(in, back, sizeof back, &len) != 1 || len != sizeof msg)
                die("frame_recv");
        } else {
            if (write(out, msg, 1) != 1)
                die("write");
            if (read(in, back, 1) != 1)
                die("read");
        }
    }
}

/* One round-trip measurement: a fresh child, a warm-up, then n timed. */
static double round_trip(int use_socket, int framed, long n)
{
    int down[2], up[2];         /* pipes: parent -> child, child -> parent */
    int to_child, from_child;   /* the parent's ends */
    pid_t pid;
    double start, us;

    if (use_socket) {
        /* One socketpair carries both directions: each side has one end. */
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, down) == -1)
            die("socketpair");
        pid = bench_fork();
        if (pid == 0) {
            if (close(down[0]) == -1)
                die_child("close");
            echo(down[1], down[1], framed);
            _exit(0);           /* not exit: the parent's stdio is not ours */
        }
        if (close(down[1]) == -1)
            die("close");
        to_child = from_child = down[0];
    } else {
        if (pipe(down) == -1 || pipe(up) == -1)
            die("pipe");
        pid = bench_fork();
        if (pid == 0) {
            /* Close the ends the child does not use: it must see end of
             * file when the parent closes its write end. */
            if (close(down[1]) == -1 || close(up[0]) == -1)
                die_child("close");
            echo(down[0], up[1], framed);
            _exit(0);
        }
        if (close(down[0]) == -1 || close(up[1]) == -1)
            die("close");
        to_child = down[1];
        from_child = up[0];
    }

    /* Warm-up: the child is scheduled, its pages and caches are in. */
    bounce(to_child, from_child, framed, n / 10 + 1);
    start = now_seconds();
    bounce(to_child, from_child, framed, n);
    us = bench_us_per_op(start, n);

    if (close(to_child) == -1)                  /* the child sees EOF */
        die("close");
    if (from_child != to_child && close(from_child) == -1)
        die("close");
    bench_wait(pid);
    return us;
}

/* ---- bulk ---------------------------------------------------------------- */

/* MiB/s through one pipe: the child reads until end of file and sends the
 * byte count back, which both stops the clock and checks the transfer. */
static double bulk(int framed, long chunks)
{
    int data[2], done[2];
    char *buf = malloc(CHUNK);
    long long total = 0, got;
    pid_t pid;
    double start, secs;

    if (buf == NULL)
        die("malloc");
    memset(buf, 'x', CHUNK);
    if (pipe(data) == -1 || pipe(done) == -1)
        die("pipe");
    pid = bench_fork();
    if (pid == 0) {
        size_t len;
        if (close(data[1]) == -1 || close(done[0]) == -1)
            die_child("close");
        for (;;) {
            ssize_t r;
            if (framed) {
                int f = frame_recv(data[0], buf, CHUNK, &len);
                if (f == -1)
                    die_child("frame_recv");
                r = f == 0 ? 0 : (ssize_t)len;
            } else if ((r = read(data[0], buf, CHUNK)) == -1) {
                die_child("read");
            }
            if (r == 0)
                break;
            total += r;
        }
        if (write_all(done[1], &total, sizeof total) == -1)
            die_child("write");
        free(buf);
        _exit(0);
    }
    if (close(data[0]) == -1 || close(done[1]) == -1)
        die("close");

    start = now_seconds();
    for (long i = 0; i < chunks; i++) {
        if ((framed ? frame_send(data[1], buf, CHUNK)
                    : write_all(data[1], buf, CHUNK)) == -1)
            die("write");
    }
    if (close(data[1]) == -1)
        die("close");
    if (read_full(done[0], &got, sizeof got) != (ssize_t)sizeof got)
        die("read");
    secs = now_seconds() - start;
    if (got != (long long)chunks * CHUNK)
        fatal("bulk: the child read %lld bytes, not %lld", got, (long long)chunks * CHUNK);
    if (close(done[0]) == -1)
        die("close");
    bench_wait(pid);
    free(buf);
    return (double)chunks * CHUNK / (1024.0 * 1024.0) / secs;
}

int main(int argc, char *argv[])
{
    struct bench b = bench_init(argc, argv, rows, "multiprocessing.Pipe, "
                                "Connection.send and recv (twin: cost_ipc.py)");

    if (bench_wants(&b, "pipe_rt")) {
        long n = bench_count(&b, 5000);
        bench_report("pipe_rt", "floor", round_trip(0, 0, n), "us",
                     "write+read of 1 byte each way, two pipes");
        bench_report("pipe_rt", "C", round_trip(0, 1, n), "us",
                     "frame_send+frame_recv of 8 bytes each way, two pipes");
    }
    if (bench_wants(&b, "sock_rt")) {
        long n = bench_count(&b, 5000);
        bench_report("sock_rt", "floor", round_trip(1, 0, n), "us",
                     "write+read of 1 byte each way, one socketpair");
        bench_report("sock_rt", "C", round_trip(1, 1, n), "us",
                     "frame_send+frame_recv of 8 bytes each way, one socketpair");
    }
    if (bench_wants(&b, "pipe_bulk")) {
        long chunks = bench_count(&b, 4096);    /* 256 MiB */
        bench_report("pipe_bulk", "floor", bulk(0, chunks), "MiB/s",
                     "write of 64 KiB, read until EOF, one pipe");
        bench_report("pipe_bulk", "C", bulk(1, chunks), "MiB/s",
                     "frame_send+frame_recv of 64 KiB messages, one pipe");
    }
    return 0;
}
