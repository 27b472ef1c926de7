/* pipe_atomic.c - several writers on one pipe: writes of at most PIPE_BUF
 * bytes never interleave; larger ones may.
 *
 * Each writer process fills records of SIZE bytes with its own letter (A,
 * B, C...) and writes each record with ONE write(2) into a shared pipe. The
 * parent reads the pipe SIZE bytes at a time: if every write arrived in one
 * piece, every block it reads is a whole record, one letter throughout. A
 * block with two letters is a torn record: another writer's bytes landed
 * in the middle of a write.
 * POSIX promises that a write of at most PIPE_BUF bytes to a pipe is
 * atomic: its bytes are never mixed with other writes. For larger writes
 * it promises nothing: when the pipe is full the writer sleeps half-way,
 * and another writer's bytes may go in meanwhile. The demo shows both;
 * frame_send (common/frame.c) relies on the first for small frames.
 *
 * Python:  os.write(w, record) from several processes  (pipe_atomic.py);
 *          Connection.send_bytes writes small messages the same way
 * Usage:   ./pipe_atomic [-n WRITERS] [-c RECORDS] [-s SIZE]
 *          without -s: a round at PIPE_BUF, then one at 100000 bytes
 * Look for: 0 torn records at SIZE <= PIPE_BUF, always; above it, some torn
 * records, usually (how many is racy, and 0 is allowed). Either way every
 * byte of every writer arrives.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"

#define MAX_WRITERS 8
#define MAX_SIZE (1L << 20)
#define BIG 100000              /* the second round's records */

/* One writer: records of size bytes, all `letter`, one write(2) each. */
static void writer(int wfd, char letter, long records, size_t size)
{
    char *record = malloc(size);

    if (record == NULL)
        die_child("malloc");
    memset(record, letter, size);
    for (long i = 0; i < records; i++) {
        /* One call. write_all() would loop only if the kernel took part of
         * the record, which a blocking pipe does only when a signal comes. */
        if (write_all(wfd, record, size) == -1)
            die_child("write");
    }
    free(record);
}

/* One round: returns 1 if what must hold held. */
static int round_of(long writers, long records, size_t size, long pipe_buf)
{
    int fds[2];
    pid_t pids[MAX_WRITERS];
    long torn = 0, blocks = 0, bytes[MAX_WRITERS] = { 0 };
    char *block = malloc(size);
    ssize_t got;
    int ok = 1;

    if (block == NULL)
        die("malloc");
    say("reader (%ld): %ld writers x %ld records of %zu bytes (%s PIPE_BUF)",
        (long)getpid(), writers, records, size, (long)size <= pipe_buf ? "<=" : ">");
    if (pipe(fds) == -1)
        die("pipe");
    for (long w = 0; w < writers; w++) {
        pids[w] = fork();
        if (pids[w] == -1)
            die("fork");
        if (pids[w] == 0) {
            free(block);
            if (close(fds[0]) == -1)    /* writers do not read */
                die_child("close");
            writer(fds[1], (char)('A' + w), records, size);
            _exit(0);
        }
    }
    /* Close our write end, or the loop below would never see end of file. */
    if (close(fds[1]) == -1)
        die("close");

    while ((got = read_full(fds[0], block, size)) > 0) {
        /* A whole record is one letter throughout. */
        int mixed = 0;

        for (ssize_t i = 0; i < got; i++) {
            int w = block[i] - 'A';

            if (w < 0 || w >= writers)
                fatal("byte %d is nobody's", block[i]);
            bytes[w]++;
            if (block[i] != block[0])
                mixed = 1;
        }
        torn += mixed;
        blocks++;
    }
    if (got == -1)
        die("read");
    if (close(fds[0]) == -1)
        die("close");
    if (join_all(pids, writers) != 0)
        fatal("a writer failed: the others were stopped and joined");
    free(block);

    if ((long)size <= pipe_buf) {
        say("reader (%ld): %ld records read, %ld torn (expected 0: guaranteed)",
            (long)getpid(), blocks, torn);
        ok = torn == 0;
    } else {
        say("reader (%ld): %ld records' worth read, %ld torn (any number is allowed)",
            (long)getpid(), blocks, torn);
    }
    for (long w = 0; w < writers; w++) {
        say("reader (%ld): writer %c: %ld bytes arrived (expected %ld)", (long)getpid(),
            (char)('A' + w), bytes[w], records * (long)size);
        if (bytes[w] != records * (long)size)
            ok = 0;
    }
    return ok;
}

int main(int argc, char *argv[])
{
    long writers = 4, records = -1, size = -1, pipe_buf;
    int opt, ok, fds[2];

    prog_init(argc, argv, "[-n WRITERS] [-c RECORDS] [-s SIZE]\n"
              "  -n WRITERS  writer processes on the one pipe (default 4)\n"
              "  -c RECORDS  records each writer writes a round "
              "(default: about 1 MiB; 64 with -s)\n"
              "  -s SIZE     one round, records of SIZE bytes (default: PIPE_BUF, then 100000)\n"
              "Python: os.write of each record, from several processes (twin: pipe_atomic.py)");
    while ((opt = get_option(argc, argv, "n:c:s:")) != -1) {
        if (opt == 'n')
            writers = arg_long(optarg, opt, 1, MAX_WRITERS);
        else if (opt == 'c')
            records = arg_long(optarg, opt, 1, 100000);
        else
            size = arg_long(optarg, opt, 1, MAX_SIZE);
    }
    no_operands(argc, argv);

    /* PIPE_BUF may differ between file systems, so POSIX lets us ask a
     * descriptor; limits.h has the value for pipes on this system. */
    if (pipe(fds) == -1)
        die("pipe");
    pipe_buf = fpathconf(fds[0], _PC_PIPE_BUF);
    if (pipe_buf == -1)
        pipe_buf = PIPE_BUF;
    if (close(fds[0]) == -1 || close(fds[1]) == -1)
        die("close");
    say("reader (%ld): PIPE_BUF is %ld bytes here", (long)getpid(), pipe_buf);

    if (size > 0) {
        ok = round_of(writers, records > 0 ? records : 64, (size_t)size, pipe_buf);
    } else {
        /* About 1 MiB per writer in each round. */
        ok = round_of(writers, records > 0 ? records : (1L << 20) / pipe_buf,
                      (size_t)pipe_buf, pipe_buf);
        /* Not a multiple of the page size: on Linux, writes of whole pages
         * that fit the pipe happen to tear less often (try -s 65536). */
        ok &= round_of(writers, records > 0 ? records : (1L << 20) / BIG, BIG, pipe_buf);
    }
    say("reader (%ld): self-check: %s", (long)getpid(),
        ok ? "no small write torn, every byte arrived" : "FAILED");
    return ok ? 0 : 1;
}
