/* manager_probe.c - bad requests against a live manager: each gets an
 * error reply or a closed connection, and the server goes on serving.
 *
 * A server that several processes depend on must survive any one client:
 * a bug, a crash half-way through a message, or malice. This program
 * starts a manager and talks to it in raw bytes, as no proxy would: an
 * unknown operation, a value cut short, a string whose length lies, a
 * frame announcing a gigabyte, half a frame and then silence, a client
 * that never reads its replies, one connection too many, a list past its
 * limit, a reply too large to send, and a few hundred random requests.
 * After each, it checks that the server answered as it should and that
 * another client is still served.
 *
 * A test, not a lesson: tests/09-manager.bats builds it (with the manager's
 * sources from chapters/09-manager) and runs it.
 *
 * Python:  no twin: Python's manager first runs an authentication
 *          challenge, and its messages are pickles (never unpickle bytes
 *          from a stranger: a pickle can run code). manager_auth compares.
 * Usage:   manager_probe [-c ROUNDS]
 * Look for: each case's outcome beside the one expected; the stalled
 * client does not delay the others; the last line's self-check. Nothing
 * here is racy: each case waits for the server's answer.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "common.h"
#include "frame.h"
#include "manager.h"

static const char *address;
static uint32_t dict_id;
static int failures;

/* ---- raw connections: what a proxy does, by hand ---------------------- */
static int raw_connect(void)
{
    struct sockaddr_un addr;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    if (fd == -1)
        die("socket");
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, address);     /* manager_address() fits sun_path */
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == -1)
        die("connect %s", address);
    return fd;
}

static void raw_send(int fd, const void *bytes, size_t n)
{
    if (send_all(fd, bytes, n) == -1)
        die("send");
}

/* Send a frame whose header tells the truth about the body. */
static void send_frame(int fd, const void *body, size_t n)
{
    unsigned char header[FRAME_HEADER];

    frame_put_header(header, (uint32_t)n);
    raw_send(fd, header, sizeof header);
    raw_send(fd, body, n);
}

/* What came back: a reply (its status and message), or the connection
 * closed by the server. The reply's text goes to `text`. */
enum { CLOSED = -1 };

static int read_reply(int fd, char *text, size_t cap)
{
    static unsigned char body[MGR_MAX_REPLY];     /* a copy may be large */
    size_t len;
    int r = frame_recv(fd, body, sizeof body, &len);

    text[0] = '\0';
    if (r == 0 || (r == -1 && errno == ECONNRESET))
        return CLOSED;
    if (r == -1)
        die("frame_recv");
    if (len == 0)
        fatal("an empty reply");
    if (body[0] != MGR_OK) {
        size_t n = len - 1 < cap - 1 ? len - 1 : cap - 1;
        memcpy(text, body + 1, n);
        text[n] = '\0';
    }
    return body[0];
}

/* A new raw connection, past the server's greeting. */
static int greeted(void)
{
    char text[256];
    int fd = raw_connect();

    if (read_reply(fd, text, sizeof text) != MGR_OK)
        fatal("no greeting from the manager");
    return fd;
}

/* ---- reporting ------------------------------------------------------------- */
static void outcome(const char *what, int got, const char *text, int want)
{
    char seen[300];

    if (got == CLOSED)
        snprintf(seen, sizeof seen, "connection closed");
    else if (got == MGR_OK)
        snprintf(seen, sizeof seen, "OK");
    else
        snprintf(seen, sizeof seen, "%s: %s", mgr_status_name(got), text);
    if (got != want)
        failures++;
    say("probe: %-36s -> %s (expected %s)", what, seen,
        want == CLOSED ? "connection closed" : mgr_status_name(want));
}

/* One request body on a new connection: the reply, then whether the same
 * connection is still served afterwards (a length request on the dict). */
static void one_case(const char *what, const void *body, size_t n, int want)
{
    char text[256];
    unsigned char len_rq[5] = { MGR_OP_LEN };
    int fd = greeted(), got;

    send_frame(fd, body, n);
    got = read_reply(fd, text, sizeof text);
    outcome(what, got, text, want);
    if (got != CLOSED) {
        mgr_put_u32(len_rq + 1, dict_id);
        send_frame(fd, len_rq, sizeof len_rq);
        if (read_reply(fd, text, sizeof text) != MGR_OK) {
            say("probe: %-36s    but the same connection was not served after it", "");
            failures++;
        }
    }
    if (close(fd) == -1)
        die("close");
}

/* Is a brand-new client served? d['x'] must still be 1. */
static void still_served(const char *after)
{
    mgr_conn *c = mgr_connect(address);
    struct mgr_value v;
    int st;

    if (c == NULL)
        die("mgr_connect");
    st = mgr_dict_get(c, dict_id, mgr_str("x"), &v);
    if (st != MGR_OK || v.type != MGR_INT || v.i != 1) {
        failures++;
        say("probe: after %s, a new client is NOT served: %s", after, mgr_status_name(st));
    }
    if (mgr_close(c) == -1)
        die("mgr_close");
}

/* ---- the cases ---------------------------------------------------------------- */
static size_t request(unsigned char *buf, size_t cap, enum mgr_op op, uint32_t id,
                      const struct mgr_value *args, int nargs)
{
    size_t n = request_encode(buf, cap, op, id, args, nargs);

    if (n == 0)
        fatal("request_encode: no room");
    return n;
}

static void malformed_cases(void)
{
    unsigned char b[256];
    struct mgr_value a[2] = { mgr_str("y"), mgr_int(7) };
    size_t n;

    n = request(b, sizeof b, MGR_OP_SET, dict_id, a, 2);
    one_case("a good request, d['y'] = 7", b, n, MGR_OK);

    one_case("an empty request", b, 0, MGR_E_REQUEST);

    memcpy(b, "Z\0\0\0\1", 5);
    one_case("an unknown operation 'Z'", b, 5, MGR_E_REQUEST);

    n = request(b, sizeof b, MGR_OP_SET, dict_id, a, 2);
    one_case("a value cut short", b, n - 3, MGR_E_REQUEST);

    n = request(b, sizeof b, MGR_OP_SET, dict_id, a, 2);
    mgr_put_u32(b + 6, 1000);           /* the key 'y' claims 1000 bytes */
    one_case("a string whose length lies", b, n, MGR_E_REQUEST);

    n = request(b, sizeof b, MGR_OP_SET, dict_id, a, 2);
    b[5] = 'X';
    one_case("an unknown type letter 'X'", b, n, MGR_E_REQUEST);

    n = request(b, sizeof b, MGR_OP_GET, dict_id, a, 1);
    b[n] = 'N';
    one_case("a byte after the last argument", b, n + 1, MGR_E_REQUEST);

    n = request(b, sizeof b, MGR_OP_CREATE, 0, a, 1);
    one_case("a string as the kind of object", b, n, MGR_E_REQUEST);

    n = request(b, sizeof b, MGR_OP_GET, 4242, a, 1);
    one_case("an object that does not exist", b, n, MGR_E_OBJECT);

    n = request(b, sizeof b, MGR_OP_APPEND, dict_id, a, 1);
    one_case("append to a dict", b, n, MGR_E_TYPE);

    a[0] = mgr_str("missing");
    n = request(b, sizeof b, MGR_OP_GET, dict_id, a, 1);
    one_case("a key that is not there", b, n, MGR_E_KEY);
}

/* A header announcing 1 GiB: refused at once, before any body arrives;
 * the stream is then out of step, so the server also hangs up. */
static void oversized_case(void)
{
    unsigned char header[FRAME_HEADER];
    char text[256];
    int fd = greeted(), got;

    frame_put_header(header, 1u << 30);
    raw_send(fd, header, sizeof header);
    got = read_reply(fd, text, sizeof text);
    outcome("a frame announcing 1 GiB", got, text, MGR_E_SIZE);
    got = read_reply(fd, text, sizeof text);
    outcome("... and then", got, text, CLOSED);
    if (close(fd) == -1)
        die("close");
    still_served("an oversized frame");
}

/* Half a frame, then the client shuts its side: nothing to answer. */
static void truncated_case(void)
{
    unsigned char b[64];
    struct mgr_value a[2] = { mgr_str("y"), mgr_int(8) };
    size_t n = request(b + FRAME_HEADER, sizeof b - FRAME_HEADER, MGR_OP_SET, dict_id, a, 2);
    char text[256];
    int fd = greeted(), got;

    frame_put_header(b, (uint32_t)n);
    raw_send(fd, b, FRAME_HEADER + n / 2);
    if (shutdown(fd, SHUT_WR) == -1)    /* end-of-file inside the frame */
        die("shutdown");
    got = read_reply(fd, text, sizeof text);
    outcome("half a frame, then end-of-file", got, text, CLOSED);
    if (close(fd) == -1)
        die("close");
    still_served("a truncated frame");
}

/* A client sends 3 bytes of a header and stalls. Others are served in the
 * meantime; when it sends the rest, it is answered too. */
static void stalled_case(void)
{
    unsigned char b[64];
    struct mgr_value a[2] = { mgr_str("y"), mgr_int(9) };
    size_t n = request(b + FRAME_HEADER, sizeof b - FRAME_HEADER, MGR_OP_SET, dict_id, a, 2);
    char text[256];
    int fd = greeted(), got;
    double t0;

    frame_put_header(b, (uint32_t)n);
    raw_send(fd, b, 3);
    t0 = now_seconds();
    still_served("a stalled client");
    say("probe: %-36s -> served in %.0f ms meanwhile", "another client, while one stalls",
        (now_seconds() - t0) * 1000.0);
    raw_send(fd, b + 3, FRAME_HEADER + n - 3);
    got = read_reply(fd, text, sizeof text);
    outcome("the stalled client, completed", got, text, MGR_OK);
    if (close(fd) == -1)
        die("close");
}

/* A client sends requests and never reads a reply. The server stops
 * reading from it when its replies pile up, but serves everyone else. */
static void deaf_case(void)
{
    unsigned char b[64];
    struct mgr_value a[1] = { mgr_str("x") };
    size_t n = request(b + FRAME_HEADER, sizeof b - FRAME_HEADER, MGR_OP_GET, dict_id, a, 1);
    int fd = greeted();
    long sent = 0;
    struct pollfd p = { .fd = fd, .events = POLLOUT };

    frame_put_header(b, (uint32_t)n);
    set_nonblocking(fd);
    /* Send until the kernel will take no more: the server's buffers and
     * ours are full, and it has stopped reading from us. */
    for (;;) {
        ssize_t w = send(fd, b, FRAME_HEADER + n, MSG_NOSIGNAL);
        if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* Still no room a moment later? Then it is full for good. */
            int r = poll(&p, 1, 100);
            if (r == -1 && errno != EINTR)
                die("poll");
            if (r <= 0)
                break;
            continue;
        }
        if (w == -1)
            die("send");
        if ((size_t)w != FRAME_HEADER + n)
            fatal("a partial send to a full socket: not expected here");
        sent++;
    }
    still_served("a client that never reads");
    say("probe: %-36s -> %ld requests sent, none read; others still served",
        "a client that never reads replies", sent);
    if (close(fd) == -1)
        die("close");
    still_served("a deaf client hung up");
}

/* One connection more than the server takes: open connections until one
 * is refused, and count them. */
static void crowd_case(mgr_conn *mine)
{
    int fds[2 * MGR_MAX_CLIENTS], k, got = MGR_OK;
    char text[256], what[64];
    size_t len;

    /* Ours is open already. Every connection the cases before closed is
     * closed for the server too before it accepts a new one: it looks at
     * the clients' sockets before the listening one in each turn. */
    for (k = 0; k < 2 * MGR_MAX_CLIENTS && got == MGR_OK; k++) {
        fds[k] = raw_connect();
        got = read_reply(fds[k], text, sizeof text);
    }
    /* Ours and k - 1 new ones were served: the refused one is number k + 1. */
    snprintf(what, sizeof what, "connection %d, with %d open", k + 1, k);
    outcome(what, got, text, MGR_E_REFUSED);
    if (k != MGR_MAX_CLIENTS)
        failures++;
    for (int i = 0; i < k; i++)
        if (close(fds[i]) == -1)
            die("close");
    mgr_must(mgr_len(mine, dict_id, &len), mine, "len(d)");
    still_served("too many clients");
}

/* Append strings to a list until it holds `upto` items, 100 requests
 * per send, then their 100 replies: all must be OK. */
static void fill_list(int fd, uint32_t list, size_t *have, size_t upto)
{
    static unsigned char batch[100 * (FRAME_HEADER + 5 + 5 + 200)];
    static char filler[200];
    char text[256];

    memset(filler, 'x', sizeof filler);
    while (*have < upto) {
        size_t used = 0, k = 0;
        struct mgr_value v = mgr_bytes(filler, sizeof filler);
        for (; k < 100 && *have + k < upto; k++) {
            size_t n = request(batch + used + FRAME_HEADER, sizeof batch - used - FRAME_HEADER,
                               MGR_OP_APPEND, list, &v, 1);
            frame_put_header(batch + used, (uint32_t)n);
            used += FRAME_HEADER + n;
        }
        raw_send(fd, batch, used);
        for (size_t i = 0; i < k; i++)
            if (read_reply(fd, text, sizeof text) != MGR_OK)
                fatal("an append to the list failed: %s", text);
        *have += k;
    }
}

/* The server's limits: items per object, and the size of a reply. A
 * copy of about 800 KB goes out in pieces (the socket takes less at a
 * time); one of 2 MB is refused, as is item number MGR_MAX_ITEMS + 1. */
static void limits_case(mgr_conn *mine)
{
    unsigned char b[64];
    char text[256], what[64];
    struct mgr_value v = mgr_str("one more");
    uint32_t list;
    size_t have = 0, n;
    int fd = greeted(), got;

    mgr_must(mgr_create(mine, MGR_LIST, &list), mine, "manager.list()");
    fill_list(fd, list, &have, 4000);
    n = request(b, sizeof b, MGR_OP_COPY, list, NULL, 0);
    send_frame(fd, b, n);
    got = read_reply(fd, text, sizeof text);
    outcome("a copy of 4000 strings (820 KB)", got, text, MGR_OK);

    fill_list(fd, list, &have, MGR_MAX_ITEMS);
    n = request(b, sizeof b, MGR_OP_APPEND, list, &v, 1);
    send_frame(fd, b, n);
    got = read_reply(fd, text, sizeof text);
    snprintf(what, sizeof what, "item %d of a list", MGR_MAX_ITEMS + 1);
    outcome(what, got, text, MGR_E_FULL);

    n = request(b, sizeof b, MGR_OP_COPY, list, NULL, 0);
    send_frame(fd, b, n);
    got = read_reply(fd, text, sizeof text);
    snprintf(what, sizeof what, "a copy of %d strings (2 MB)", MGR_MAX_ITEMS);
    outcome(what, got, text, MGR_E_SIZE);
    if (close(fd) == -1)
        die("close");
    still_served("the limits");
}

/* Random requests from a fixed sequence (xorshift, seed 1): good requests
 * for the dict, each then damaged or not: a byte or two changed, cut
 * short, or pure noise. Each must get a reply, and the connection must
 * stay open. q.get() is left out: a well-formed one may rightly wait for
 * ever. */
static uint32_t xorshift(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static void random_case(long rounds)
{
    static const struct { enum mgr_op op; int nargs; } ops[] = {
        { MGR_OP_SET, 2 }, { MGR_OP_GET, 1 }, { MGR_OP_APPEND, 1 }, { MGR_OP_LEN, 0 },
        { MGR_OP_COPY, 0 }, { MGR_OP_SET, 2 }
    };
    uint32_t x = 1;
    unsigned char b[96];
    char text[256], key[8];
    long replies = 0, oks = 0;
    int fd = greeted();

    for (long r = 0; r < rounds; r++) {
        struct mgr_value a[2];
        size_t n;
        int got;

        snprintf(key, sizeof key, "k%u", (unsigned)(xorshift(&x) % 10));
        a[0] = mgr_str(key);
        a[1] = xorshift(&x) % 2 ? mgr_int((int64_t)xorshift(&x)) : mgr_float(xorshift(&x) / 7.0);
        {
            int k = (int)(xorshift(&x) % 6);
            n = request(b, sizeof b, ops[k].op, dict_id, a, ops[k].nargs);
        }
        switch (xorshift(&x) % 4) {
        case 0:                                 /* change a byte or two */
            b[xorshift(&x) % n] = (unsigned char)xorshift(&x);
            b[xorshift(&x) % n] ^= 1u << (xorshift(&x) % 8);
            break;
        case 1:                                 /* cut it short */
            n = xorshift(&x) % n;
            break;
        case 2:                                 /* noise */
            n = xorshift(&x) % sizeof b;
            for (size_t i = 0; i < n; i++)
                b[i] = (unsigned char)xorshift(&x);
            break;
        default:                                /* leave it whole */
            break;
        }
        if (n > 0 && b[0] == MGR_OP_TAKE)
            b[0] = MGR_OP_LEN;
        send_frame(fd, b, n);
        got = read_reply(fd, text, sizeof text);
        if (got == CLOSED)
            break;
        replies++;
        oks += got == MGR_OK;
    }
    if (replies != rounds)
        failures++;
    say("probe: %-36s -> %ld replies (%ld OK, %ld errors), connection open (expected %ld replies)",
        "random requests", replies, oks, replies - oks, rounds);
    if (close(fd) == -1)
        die("close");
}

int main(int argc, char *argv[])
{
    long rounds = 300;
    int opt;
    manager *m;
    mgr_conn *c;

    prog_init(argc, argv, "[-c ROUNDS]\n"
              "  -c ROUNDS  random, damaged requests sent at the end (default 300)\n"
              "Python: no twin: Python's manager authenticates first and speaks pickles");
    while ((opt = get_option(argc, argv, "c:")) != -1)
        rounds = arg_long(optarg, opt, 0, 100000);
    no_operands(argc, argv);

    m = manager_start(0);
    if (m == NULL)
        die("manager_start");
    address = manager_address(m);
    say("probe (%ld): manager server %ld at %s", (long)getpid(), (long)manager_pid(m), address);
    c = mgr_connect(address);
    if (c == NULL)
        die("mgr_connect");
    mgr_must(mgr_create(c, MGR_DICT, &dict_id), c, "manager.dict()");
    mgr_must(mgr_dict_set(c, dict_id, mgr_str("x"), mgr_int(1)), c, "d['x'] = 1");

    malformed_cases();
    oversized_case();
    truncated_case();
    stalled_case();
    deaf_case();
    crowd_case(c);
    limits_case(c);
    random_case(rounds);
    still_served("all that");

    if (mgr_close(c) == -1)
        die("mgr_close");
    {
        int code = manager_shutdown(m);
        if (code != 0)
            failures++;
        say("probe (%ld): manager stopped (exitcode %d)", (long)getpid(), code);
    }
    say("probe (%ld): check: every bad request got an error or a closed connection, "
        "and the server kept serving: %s", (long)getpid(), failures == 0 ? "OK" : "FAILED");
    return failures == 0 ? 0 : 1;
}
