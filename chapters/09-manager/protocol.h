/* protocol.h - the manager's messages: values, requests and replies.
 *
 * Chapter 09 teaches it (chapters/09-manager/README.md). A client (a
 * "proxy", in Python's words) and the manager's server talk over a
 * Unix-domain stream socket. Every message travels as one frame of
 * common/frame.h (a 4-byte big-endian length, then the body: chapter 03).
 * This file says what a body holds. It is pure: no system calls, no
 * allocation, no global state. The server parses every request with
 * request_parse(), which is fuzzed (it must reject anything malformed and
 * never read outside its buffer); chapter 11 reuses the encoders.
 *
 * VALUES. Python's manager pickles any object; ours carries four kinds of
 * value, enough for Python's example (ints, strings, floats and None). On
 * the wire a value is a type letter, then its payload:
 *
 *     'N'                          None
 *     'I'  8 bytes                 int: a 64-bit two's complement integer
 *     'F'  8 bytes                 float: the IEEE 754 double's bits
 *     'S'  4 bytes length, bytes   str: any bytes, NUL included
 *
 * Every number is big-endian, as the frame header is.
 *
 * REQUEST body:  op (1 byte)  object id (4 bytes)  arguments (values)
 * Each operation takes a fixed list of arguments (the table in protocol.c
 * says which types it accepts); nothing may follow them. The object id is 0
 * for MGR_OP_CREATE, which makes an object and answers its id.
 *
 * REPLY body:  status (1 byte), then
 *     status MGR_OK:      the result, if the operation has one: a value
 *                         (get, len, create), or for MGR_OP_COPY a 4-byte
 *                         count and that many values (a list) or key,
 *                         value pairs (a dict);
 *     any other status:   a message, as text (no terminating NUL).
 * The first frame on every connection comes from the server, unasked: the
 * greeting, MGR_OK and the server's pid as an int; or MGR_E_REFUSED and
 * why, after which the server closes the connection.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef WORKBOOK_PROTOCOL_H
#define WORKBOOK_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

/* ---- limits ---------------------------------------------------------------
 * A request is small; a reply may be as large as a frame may be (a copy of a
 * whole list). The server refuses what exceeds them, with an error. */
#define MGR_MAX_REQUEST (64 * 1024)     /* bytes of request body           */
#define MGR_MAX_REPLY   (1u << 20)      /* bytes of reply body: FRAME_MAX  */
#define MGR_MAX_ARGS    2               /* arguments of one request        */
#define MGR_MAX_MESSAGE 200             /* bytes of an error message       */

/* ---- values ---------------------------------------------------------------- */
enum mgr_type {
    MGR_NONE  = 'N',
    MGR_INT   = 'I',
    MGR_FLOAT = 'F',
    MGR_STR   = 'S'
};

/* A value. A string is NOT NUL-terminated and may contain NUL bytes: it is
 * len bytes at str. A parsed string points into the buffer it was parsed
 * from, so it lives as long as that buffer does. */
struct mgr_value {
    enum mgr_type type;
    union {
        int64_t i;                      /* MGR_INT   */
        double f;                       /* MGR_FLOAT */
        struct {                        /* MGR_STR   */
            const char *str;
            size_t len;
        };
    };
};

/* Constructors, so a caller can write mgr_str("2") where Python writes '2'. */
struct mgr_value mgr_none(void);
struct mgr_value mgr_int(int64_t i);
struct mgr_value mgr_float(double f);
struct mgr_value mgr_str(const char *s);                 /* up to the NUL */
struct mgr_value mgr_bytes(const void *p, size_t len);

/* Equal as dict keys: same type and same value (floats compare with ==, so
 * 0.0 and -0.0 are one key and a NaN key is never found again). Unlike
 * Python, 1 and 1.0 are two different keys here. */
int mgr_value_equal(const struct mgr_value *a, const struct mgr_value *b);

/* Bytes the value takes on the wire. */
size_t mgr_value_size(const struct mgr_value *v);

/* Encode v at p, which has room for mgr_value_size(v) bytes; returns the
 * byte after it. */
unsigned char *mgr_value_put(unsigned char *p, const struct mgr_value *v);

/* Decode one value from buf[*pos .. len). Returns 0 and advances *pos, or
 * -1 (*pos unchanged) if the bytes there are not a whole, valid value.
 * Never reads outside buf[0 .. len). A string points into buf. */
int mgr_value_get(const unsigned char *buf, size_t len, size_t *pos,
                  struct mgr_value *out);

/* Python's repr() of the value (repr.c), as text ("None", "42", "0.25", "'2'"),
 * cut to fit cap bytes (NUL included). Returns the length written. */
size_t mgr_value_repr(const struct mgr_value *v, char *buf, size_t cap);

/* Python's repr() of a copy (mgr_copy in manager.h): n values as a list,
 * "[0, 1, 2]"; or, if as_dict, as alternating keys and values, "{1: '1'}".
 * Cut with "..." to fit cap bytes (NUL included). Returns the length. */
size_t mgr_values_repr(const struct mgr_value *v, size_t n, int as_dict,
                       char *buf, size_t cap);

/* ---- objects and operations ------------------------------------------------ */
enum mgr_kind {                         /* the argument of MGR_OP_CREATE */
    MGR_DICT  = 1,
    MGR_LIST  = 2,
    MGR_QUEUE = 3
};

enum mgr_op {               /* arguments          works on      Python        */
    MGR_OP_CREATE = 'c',    /* int kind           -             manager.dict()*/
    MGR_OP_SET    = 's',    /* key, value         dict          d[k] = v      */
    MGR_OP_GET    = 'g',    /* key                dict          d[k]          */
    MGR_OP_APPEND = 'a',    /* value              list          l.append(v)   */
    MGR_OP_LEN    = 'n',    /* -                  any           len(x), qsize */
    MGR_OP_COPY   = 'x',    /* -                  dict, list    d.copy(), l[:]*/
    MGR_OP_PUT    = 'p',    /* value              queue         q.put(v)      */
    MGR_OP_TAKE   = 'q'     /* timeout            queue         q.get(True, t)*/
};
/* MGR_OP_TAKE's timeout: None waits as long as it takes; an int or a float
 * number of seconds >= 0 waits at most that long (0: do not wait, Python's
 * get(block=False)); then the reply is MGR_E_EMPTY. */

/* ---- reply status: what Python would raise ------------------------------ */
enum mgr_status {
    MGR_OK        = 0,
    MGR_E_REQUEST = 1,      /* malformed request                  */
    MGR_E_OBJECT  = 2,      /* no such object                     */
    MGR_E_TYPE    = 3,      /* wrong kind of object: TypeError    */
    MGR_E_KEY     = 4,      /* KeyError                           */
    MGR_E_EMPTY   = 5,      /* queue.Empty                        */
    MGR_E_FULL    = 6,      /* the server's limits: MemoryError   */
    MGR_E_SIZE    = 7,      /* request or reply too large         */
    MGR_E_REFUSED = 8       /* not allowed to connect             */
};

/* "KeyError" for MGR_E_KEY, and so on; "status?" for an unknown status. */
const char *mgr_status_name(int status);

/* ---- requests ------------------------------------------------------------------ */
struct request {
    enum mgr_op op;
    uint32_t id;                            /* the object; 0 for create   */
    int nargs;
    struct mgr_value arg[MGR_MAX_ARGS];     /* strings point into buf     */
    const char *why;                        /* set when the parse fails   */
};

/* Parse a request body of len bytes (the frame's body, header excluded).
 * Returns 0 and fills *out; or -1 with out->why, a short static text
 * saying what is wrong (unknown operation, wrong argument type, truncated
 * value, bytes after the arguments, too long). Pure: it never reads outside
 * buf[0 .. len), allocates nothing, and accepts exactly what
 * request_encode() can produce. */
int request_parse(const unsigned char *buf, size_t len, struct request *out);

/* Encode a request body into buf (cap bytes). Returns its length, or 0 if
 * it does not fit in cap or in MGR_MAX_REQUEST. The arguments are not
 * checked: a client may send what the server will refuse. */
size_t request_encode(unsigned char *buf, size_t cap, enum mgr_op op,
                      uint32_t id, const struct mgr_value *args, int nargs);

/* The 4-byte big-endian numbers of the bodies. */
void mgr_put_u32(unsigned char *p, uint32_t n);
uint32_t mgr_get_u32(const unsigned char *p);

#endif
