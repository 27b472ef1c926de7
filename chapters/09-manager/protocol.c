/* protocol.c - the manager's messages (see protocol.h): pure functions
 * that encode and check bytes, and nothing else. The server runs every
 * byte a client sends through request_parse() before it acts on any of it.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <string.h>

#include "protocol.h"

#define ANY   "NIFS"            /* argument types an operation accepts */
#define INT   "I"
#define WAIT  "NIF"

/* What each operation takes: a string of accepted type letters per
 * argument. One table, so the parser cannot disagree with itself. */
static const struct {
    enum mgr_op op;
    int nargs;
    const char *types[MGR_MAX_ARGS];
} ops[] = {
    { MGR_OP_CREATE, 1, { INT } },
    { MGR_OP_SET,    2, { ANY, ANY } },
    { MGR_OP_GET,    1, { ANY } },
    { MGR_OP_APPEND, 1, { ANY } },
    { MGR_OP_LEN,    0, { 0 } },
    { MGR_OP_COPY,   0, { 0 } },
    { MGR_OP_PUT,    1, { ANY } },
    { MGR_OP_TAKE,   1, { WAIT } },
};

/* ---- numbers, big-endian ---------------------------------------------- */
void mgr_put_u32(unsigned char *p, uint32_t n)
{
    p[0] = (unsigned char)(n >> 24);
    p[1] = (unsigned char)(n >> 16);
    p[2] = (unsigned char)(n >> 8);
    p[3] = (unsigned char)n;
}

uint32_t mgr_get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16
         | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void put_u64(unsigned char *p, uint64_t n)
{
    mgr_put_u32(p, (uint32_t)(n >> 32));
    mgr_put_u32(p + 4, (uint32_t)n);
}

static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)mgr_get_u32(p) << 32 | mgr_get_u32(p + 4);
}

/* ---- values ----------------------------------------------------------- */
struct mgr_value mgr_none(void)
{
    struct mgr_value v = { .type = MGR_NONE };
    return v;
}

struct mgr_value mgr_int(int64_t i)
{
    struct mgr_value v = { .type = MGR_INT, .i = i };
    return v;
}

struct mgr_value mgr_float(double f)
{
    struct mgr_value v = { .type = MGR_FLOAT, .f = f };
    return v;
}

struct mgr_value mgr_bytes(const void *p, size_t len)
{
    struct mgr_value v = { .type = MGR_STR, .str = p, .len = len };
    return v;
}

struct mgr_value mgr_str(const char *s)
{
    return mgr_bytes(s, strlen(s));
}

int mgr_value_equal(const struct mgr_value *a, const struct mgr_value *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case MGR_INT:
        return a->i == b->i;
    case MGR_FLOAT:
        return a->f == b->f;
    case MGR_STR:
        return a->len == b->len && (a->len == 0 || memcmp(a->str, b->str, a->len) == 0);
    default:
        return 1;                       /* None equals None */
    }
}

size_t mgr_value_size(const struct mgr_value *v)
{
    switch (v->type) {
    case MGR_INT:
    case MGR_FLOAT:
        return 1 + 8;
    case MGR_STR:
        return 1 + 4 + v->len;
    default:
        return 1;
    }
}

unsigned char *mgr_value_put(unsigned char *p, const struct mgr_value *v)
{
    uint64_t bits;

    *p++ = (unsigned char)v->type;
    switch (v->type) {
    case MGR_INT:
        put_u64(p, (uint64_t)v->i);     /* two's complement, as C11 ints are */
        return p + 8;
    case MGR_FLOAT:
        memcpy(&bits, &v->f, sizeof bits);      /* the double's bits, unchanged */
        put_u64(p, bits);
        return p + 8;
    case MGR_STR:
        mgr_put_u32(p, (uint32_t)v->len);
        if (v->len > 0)
            memcpy(p + 4, v->str, v->len);
        return p + 4 + v->len;
    default:
        return p;
    }
}

int mgr_value_get(const unsigned char *buf, size_t len, size_t *pos,
                  struct mgr_value *out)
{
    size_t at = *pos, left;
    uint64_t bits;
    uint32_t n;

    /* Each check compares what is LEFT with what is needed, never
     * at + need with len: that sum could wrap around. */
    if (at >= len)
        return -1;
    left = len - at - 1;
    switch (buf[at++]) {
    case MGR_NONE:
        *out = mgr_none();
        break;
    case MGR_INT:
        if (left < 8)
            return -1;
        *out = mgr_int((int64_t)get_u64(buf + at));
        at += 8;
        break;
    case MGR_FLOAT:
        if (left < 8)
            return -1;
        bits = get_u64(buf + at);
        *out = mgr_float(0.0);
        memcpy(&out->f, &bits, sizeof bits);
        at += 8;
        break;
    case MGR_STR:
        if (left < 4)
            return -1;
        n = mgr_get_u32(buf + at);
        if (n > left - 4)
            return -1;                  /* the string runs past the end */
        *out = mgr_bytes(buf + at + 4, n);
        at += 4 + (size_t)n;
        break;
    default:
        return -1;                      /* not a type letter */
    }
    *pos = at;
    return 0;
}

const char *mgr_status_name(int status)
{
    static const char *const names[] = {
        "OK", "BadRequest", "NoSuchObject", "TypeError", "KeyError",
        "Empty", "MemoryError", "TooLarge", "Refused"
    };

    if (status < 0 || status >= (int)(sizeof names / sizeof names[0]))
        return "status?";
    return names[status];
}

/* ---- requests ------------------------------------------------------------ */
static int fail(struct request *out, const char *why)
{
    out->why = why;
    return -1;
}

int request_parse(const unsigned char *buf, size_t len, struct request *out)
{
    size_t pos = 5, k;

    memset(out, 0, sizeof *out);
    if (len > MGR_MAX_REQUEST)
        return fail(out, "request too long");
    if (len < 5)
        return fail(out, "request shorter than its 5-byte head");
    for (k = 0; k < sizeof ops / sizeof ops[0]; k++)
        if ((unsigned char)ops[k].op == buf[0])
            break;
    if (k == sizeof ops / sizeof ops[0])
        return fail(out, "unknown operation");
    out->op = ops[k].op;
    out->id = mgr_get_u32(buf + 1);
    out->nargs = ops[k].nargs;
    if ((out->op == MGR_OP_CREATE) != (out->id == 0))
        return fail(out, "object id 0 is for create only, and create wants 0");

    for (int a = 0; a < out->nargs; a++) {
        if (pos >= len)
            return fail(out, "missing argument");
        if (mgr_value_get(buf, len, &pos, &out->arg[a]) == -1)
            return fail(out, "malformed or truncated value");
        if (strchr(ops[k].types[a], (int)out->arg[a].type) == NULL)
            return fail(out, "wrong argument type for this operation");
    }
    if (pos != len)
        return fail(out, "bytes after the last argument");

    /* Values the types allow but the operations do not. */
    if (out->op == MGR_OP_CREATE
        && (out->arg[0].i < MGR_DICT || out->arg[0].i > MGR_QUEUE))
        return fail(out, "unknown kind of object");
    if (out->op == MGR_OP_TAKE) {
        const struct mgr_value *t = &out->arg[0];
        if ((t->type == MGR_INT && t->i < 0)
            || (t->type == MGR_FLOAT && !(t->f >= 0 && isfinite(t->f))))
            return fail(out, "timeout must be None or a finite number >= 0");
    }
    return 0;
}

size_t request_encode(unsigned char *buf, size_t cap, enum mgr_op op,
                      uint32_t id, const struct mgr_value *args, int nargs)
{
    size_t need = 5;
    unsigned char *p = buf;

    for (int a = 0; a < nargs; a++) {
        size_t size = mgr_value_size(&args[a]);
        if (size > MGR_MAX_REQUEST)
            return 0;
        need += size;
    }
    if (need > cap || need > MGR_MAX_REQUEST)
        return 0;
    *p++ = (unsigned char)op;
    mgr_put_u32(p, id);
    p += 4;
    for (int a = 0; a < nargs; a++)
        p = mgr_value_put(p, &args[a]);
    return (size_t)(p - buf);
}
