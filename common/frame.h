/* frame.h - length-prefixed messages over a byte stream.
 *
 * A pipe or a stream socket carries bytes, not messages: two writes may
 * arrive as one read, and one write as two reads. Chapter 03 (pipe_duplex)
 * teaches the cure that Python's Connection uses too: send each message's
 * length first (4 bytes, big-endian), then the bytes. These are those few
 * functions, for the chapters after it.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef WORKBOOK_FRAME_H
#define WORKBOOK_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADER 4
#define FRAME_MAX (1u << 20)    /* the largest message body: 1 MiB */

/* Send one message: 0, or -1 with errno set (EMSGSIZE above FRAME_MAX).
 * A frame of at most PIPE_BUF bytes (header included) goes out in one
 * write(2), so writers sharing a pipe never interleave inside it. */
int frame_send(int fd, const void *msg, size_t len);

/* Receive one message of at most cap bytes into buf.
 * Returns 1 and sets *len; 0 at a clean end of file (between messages);
 * -1 with errno set: EPROTO if the stream ends inside a frame, EMSGSIZE if
 * the announced length exceeds cap (the stream is then out of step: close
 * it), or the error of read(2). */
int frame_recv(int fd, void *buf, size_t cap, size_t *len);

/* The decoder alone, for a reader that buffers (and for the fuzzer):
 * looks at the n bytes in data. Returns 1 when a whole frame is there (its
 * body starts at data + FRAME_HEADER and is *len bytes long), 0 when more
 * bytes are needed, -1 when the announced length exceeds cap. */
int frame_parse(const unsigned char *data, size_t n, size_t cap, size_t *len);

void frame_put_header(unsigned char header[FRAME_HEADER], uint32_t len);

#endif
