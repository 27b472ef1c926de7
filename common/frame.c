/* frame.c - length-prefixed messages (see frame.h; taught in chapter 03).
 * SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "frame.h"

#ifndef PIPE_BUF
#define PIPE_BUF 512            /* the POSIX minimum */
#endif

void frame_put_header(unsigned char header[FRAME_HEADER], uint32_t len)
{
    header[0] = (unsigned char)(len >> 24);
    header[1] = (unsigned char)(len >> 16);
    header[2] = (unsigned char)(len >> 8);
    header[3] = (unsigned char)len;
}

static uint32_t get_header(const unsigned char header[FRAME_HEADER])
{
    return (uint32_t)header[0] << 24 | (uint32_t)header[1] << 16
         | (uint32_t)header[2] << 8 | (uint32_t)header[3];
}

int frame_parse(const unsigned char *data, size_t n, size_t cap, size_t *len)
{
    uint32_t body;

    if (n < FRAME_HEADER)
        return 0;
    body = get_header(data);
    if (body > cap || body > FRAME_MAX)
        return -1;
    if (n - FRAME_HEADER < body)
        return 0;
    *len = body;
    return 1;
}

int frame_send(int fd, const void *msg, size_t len)
{
    unsigned char frame[PIPE_BUF];

    if (len > FRAME_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    if (len <= sizeof frame - FRAME_HEADER) {
        /* Small: header and body in one write, atomic on a pipe. */
        frame_put_header(frame, (uint32_t)len);
        memcpy(frame + FRAME_HEADER, msg, len);
        return write_all(fd, frame, FRAME_HEADER + len);
    }
    /* Large: two writes. Another writer on the same pipe could slip in
     * between them, so several writers of large frames need a lock. */
    frame_put_header(frame, (uint32_t)len);
    if (write_all(fd, frame, FRAME_HEADER) == -1)
        return -1;
    return write_all(fd, msg, len);
}

int frame_recv(int fd, void *buf, size_t cap, size_t *len)
{
    unsigned char header[FRAME_HEADER];
    ssize_t got = read_full(fd, header, sizeof header);
    size_t body;

    if (got == -1)
        return -1;
    if (got == 0)
        return 0;                       /* clean end of file */
    if (got < FRAME_HEADER) {
        errno = EPROTO;                 /* the stream ended inside a header */
        return -1;
    }
    if (frame_parse(header, sizeof header, cap, &body) == -1) {
        errno = EMSGSIZE;
        return -1;
    }
    /* frame_parse returned 0: the header is whole, the body still to read */
    body = get_header(header);
    got = read_full(fd, buf, body);
    if (got == -1)
        return -1;
    if ((size_t)got < body) {
        errno = EPROTO;                 /* the stream ended inside a body */
        return -1;
    }
    *len = body;
    return 1;
}
