/* frame_fuzz.c - fuzz target for common/frame.c, the length-prefixed
 * message decoder every chapter from 03 on reads its pipes and sockets with.
 *
 * The input is a byte stream as a reader might receive it. Checked:
 *   1. frame_parse, walked frame by frame over the stream with several
 *      caps, against an independent reading of the 4-byte header: a whole
 *      frame is returned only when all of it is there and it fits the cap;
 *      an oversized header is an error, never a read past the data.
 *   2. frame_recv over a pipe holding the same stream, into a buffer of
 *      exactly cap bytes (so that AddressSanitizer sees one byte too many):
 *      the same messages, then a clean 0 at a frame boundary, EPROTO for a
 *      truncated frame, EMSGSIZE for an oversized one. Never a hang: the
 *      pipe's write end is closed before reading.
 *   3. frame_send then frame_recv of the input as one message: the same
 *      bytes come back.
 * A broken promise aborts, which libFuzzer reports as a crash.
 *
 * Build: make check (tests/fuzz/run), or by hand
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icommon \
 *     tests/fuzz/frame_fuzz.c common/frame.c common/say.c -o frame_fuzz
 * tests/fuzz/replay.c runs it over files without libFuzzer (the bats test).
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "frame.h"

/* The most a pipe holds without a reader on Linux is 64 KiB; stay below. */
#define PIPE_ROOM 60000

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "frame_fuzz: broken promise: %s\n", what);
        abort();
    }
}

static uint32_t announced(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The decoder's verdicts for the whole stream: how many whole messages,
 * then how it ends: 0 clean, 1 truncated, 2 oversized. */
static int walk(const uint8_t *data, size_t size, size_t cap, size_t *messages)
{
    size_t off = 0, len = 0;

    *messages = 0;
    for (;;) {
        size_t n = size - off;
        int r = frame_parse(data + off, n, cap, &len);

        check(r >= -1 && r <= 1, "frame_parse returns -1, 0 or 1");
        if (n < FRAME_HEADER) {
            check(r == 0, "fewer than 4 bytes: more needed");
            return n == 0 ? 0 : 1;
        }
        uint32_t body = announced(data + off);
        if (body > cap || body > FRAME_MAX) {
            check(r == -1, "a length above the cap is an error");
            return 2;
        }
        if (n - FRAME_HEADER < body) {
            check(r == 0, "a partial body: more needed");
            return 1;
        }
        check(r == 1 && len == body, "a whole frame is returned with its length");
        off += FRAME_HEADER + len;
        (*messages)++;
    }
}

static void through_pipe(const uint8_t *data, size_t size, size_t cap)
{
    size_t messages, got_messages = 0, len;
    int verdict = walk(data, size, cap, &messages);
    int fds[2], r;
    unsigned char *buf = malloc(cap ? cap : 1);
    size_t off = 0;

    check(buf != NULL, "malloc");
    check(pipe(fds) == 0, "pipe");
    check(write_all(fds[1], data, size) == 0, "write to the pipe");
    close(fds[1]);              /* the reader must see end of file, not wait */
    while ((r = frame_recv(fds[0], buf, cap, &len)) == 1) {
        check(len <= cap, "a message fits the cap");
        check(memcmp(buf, data + off + FRAME_HEADER, len) == 0, "the message's bytes");
        off += FRAME_HEADER + len;
        got_messages++;
    }
    check(got_messages == messages, "frame_recv returns what frame_parse finds");
    if (verdict == 0)
        check(r == 0, "a clean end of file between frames");
    else if (verdict == 1)
        check(r == -1 && errno == EPROTO, "a truncated frame is EPROTO");
    else
        check(r == -1 && errno == EMSGSIZE, "an oversized frame is EMSGSIZE");
    close(fds[0]);
    free(buf);
}

static void round_trip(const uint8_t *data, size_t size)
{
    int fds[2];
    size_t len = 0;
    unsigned char *buf = malloc(size ? size : 1);

    check(buf != NULL, "malloc");
    check(pipe(fds) == 0, "pipe");
    check(frame_send(fds[1], data, size) == 0, "frame_send");
    close(fds[1]);
    check(frame_recv(fds[0], buf, size, &len) == 1 && len == size
          && memcmp(buf, data, size) == 0, "frame_send then frame_recv gives the message back");
    check(frame_recv(fds[0], buf, size, &len) == 0, "then a clean end of file");
    close(fds[0]);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[] = { 0, 1, 7, 16, 255, 4096, FRAME_MAX };
    size_t ignored;

    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
        walk(data, size, caps[i], &ignored);
    walk(data, size, SIZE_MAX, &ignored);
    if (size <= PIPE_ROOM) {
        /* The first byte picks the cap of the pipe reader. */
        through_pipe(data, size, size > 0 ? caps[data[0] % 7] : 16);
        if (size + FRAME_HEADER <= PIPE_ROOM)
            round_trip(data, size);
    }
    return 0;
}
