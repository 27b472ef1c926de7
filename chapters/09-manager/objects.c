/* objects.c - what the manager's server owns, and what each request does
 * to it (see server.h). Every object lives in the server's memory only; a
 * request names it by its id. A dict is an array of key, value pairs in
 * insertion order, a list an array, a queue an array read from its head.
 * The server keeps its own copy of every string a client sends: the request
 * it came in is gone once the reply is built.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

/* ---- stored values: the server keeps its own copy of every string ---- */
static int value_keep(struct server *s, const struct mgr_value *v, struct mgr_value *kept)
{
    char *copy;

    *kept = *v;
    if (v->type != MGR_STR)
        return 0;
    if (s->bytes + (long)v->len > MGR_MAX_BYTES)
        return -1;
    copy = malloc(v->len > 0 ? v->len : 1);
    if (copy == NULL)
        return -1;
    if (v->len > 0)
        memcpy(copy, v->str, v->len);
    kept->str = copy;
    s->bytes += (long)v->len;
    return 0;
}

static void value_drop(struct server *s, struct mgr_value *v)
{
    if (v->type == MGR_STR) {
        free((void *)v->str);
        s->bytes -= (long)v->len;
    }
    v->type = MGR_NONE;
}

/* Room for `more` values in o: MGR_MAX_ITEMS items at most. */
static int object_reserve(struct object *o, size_t more)
{
    size_t per_item = o->kind == MGR_DICT ? 2 : 1;
    size_t cap;
    struct mgr_value *items;

    if ((o->count - o->head) / per_item + 1 > MGR_MAX_ITEMS)
        return -1;
    if (o->kind == MGR_QUEUE && o->head > 0 && o->head >= o->count / 2) {
        /* Most of a queue's array has been taken: slide the rest down. */
        memmove(o->items, o->items + o->head, (o->count - o->head) * sizeof *o->items);
        o->count -= o->head;
        o->head = 0;
    }
    if (o->count + more <= o->cap)
        return 0;
    cap = o->cap ? o->cap * 2 : 16;
    while (cap < o->count + more)
        cap *= 2;
    items = realloc(o->items, cap * sizeof *items);
    if (items == NULL)
        return -1;
    o->items = items;
    o->cap = cap;
    return 0;
}

void object_free(struct server *s, struct object *o)
{
    for (size_t i = o->head; i < o->count; i++)
        value_drop(s, &o->items[i]);
    free(o->items);
    memset(o, 0, sizeof *o);
}

/* The pair index of key in a dict, or -1. A linear search: fine for the
 * workbook's sizes (a real manager would hash). */
static long dict_find(const struct object *o, const struct mgr_value *key)
{
    for (size_t i = 0; i < o->count; i += 2)
        if (mgr_value_equal(&o->items[i], key))
            return (long)i;
    return -1;
}

/* ---- acting on one request ------------------------------------------------ */
static void do_create(struct server *s, struct client *c, enum mgr_kind kind)
{
    for (uint32_t id = 1; id <= MGR_MAX_OBJECTS; id++)
        if (s->objects[id].kind == 0) {
            struct mgr_value v = mgr_int(id);
            s->objects[id].kind = kind;
            reply_ok(c, &v);
            return;
        }
    reply_error(c, MGR_E_FULL, "no room for another object (at most %d)", MGR_MAX_OBJECTS);
}

static void do_copy(struct client *c, const struct object *o)
{
    size_t per_item = o->kind == MGR_DICT ? 2 : 1;

    reply_begin(c, MGR_OK);
    if (out_room(c, 4) == -1) {
        reply_error(c, MGR_E_SIZE, "reply too large");
        return;
    }
    mgr_put_u32(c->out + c->out_len, (uint32_t)((o->count - o->head) / per_item));
    c->out_len += 4;
    for (size_t i = o->head; i < o->count; i++)
        if (reply_value(c, &o->items[i]) == -1) {
            reply_error(c, MGR_E_SIZE, "a copy of %zu values exceeds a reply's %u bytes",
                        o->count - o->head, MGR_MAX_REPLY);
            return;
        }
    reply_end(c);
}

/* The first client waiting on queue id, by order of asking; or NULL. */
static struct client *first_waiter(struct server *s, uint32_t id)
{
    struct client *first = NULL;

    for (int i = 0; i < MGR_MAX_CLIENTS; i++) {
        struct client *w = &s->clients[i];
        if (w->fd != -1 && w->waiting == id && (first == NULL || w->wait_order < first->wait_order))
            first = w;
    }
    return first;
}

static void do_put(struct server *s, struct client *c, uint32_t id, const struct mgr_value *v)
{
    struct object *o = &s->objects[id];
    struct client *w = first_waiter(s, id);
    struct mgr_value kept;

    if (w != NULL) {
        /* Someone is waiting, so the queue is empty: hand the item over. */
        w->waiting = 0;
        reply_ok(w, v);
        client_flush(w);
        s->woken = 1;
        reply_ok(c, NULL);
        return;
    }
    if (object_reserve(o, 1) == -1 || value_keep(s, v, &kept) == -1) {
        reply_error(c, MGR_E_FULL, "the manager's limits are reached");
        return;
    }
    o->items[o->count++] = kept;
    reply_ok(c, NULL);
}

static void do_take(struct server *s, struct client *c, uint32_t id, const struct mgr_value *t)
{
    struct object *o = &s->objects[id];
    double timeout;

    if (o->head < o->count) {
        struct mgr_value v = o->items[o->head];
        o->items[o->head++].type = MGR_NONE;
        reply_ok(c, &v);
        value_drop(s, &v);
        if (o->head == o->count)
            o->head = o->count = 0;
        return;
    }
    timeout = t->type == MGR_NONE ? -1.0 : t->type == MGR_INT ? (double)t->i : t->f;
    if (timeout == 0.0) {
        reply_error(c, MGR_E_EMPTY, "the queue is empty");
        return;
    }
    /* Park the client: its reply comes with the next put, or at its
     * deadline. A day is as long as anyone waits here. */
    c->waiting = id;
    c->wait_order = ++s->wait_counter;
    c->deadline = timeout < 0 ? -1.0 : now_seconds() + fmin(timeout, 86400.0);
}

void handle_request(struct server *s, struct client *c, const unsigned char *body, size_t len)
{
    struct request rq;
    struct object *o;
    struct mgr_value kept, kept_key;
    long at;

    if (request_parse(body, len, &rq) == -1) {
        log_line(s, "bad request of %zu bytes refused: %s", len, rq.why);
        reply_error(c, MGR_E_REQUEST, "%s", rq.why);
        return;
    }
    if (rq.op == MGR_OP_CREATE) {
        do_create(s, c, (enum mgr_kind)rq.arg[0].i);
        return;
    }
    if (rq.id > MGR_MAX_OBJECTS || s->objects[rq.id].kind == 0) {
        reply_error(c, MGR_E_OBJECT, "no object with id %lu", (unsigned long)rq.id);
        return;
    }
    o = &s->objects[rq.id];

    switch (rq.op) {
    case MGR_OP_LEN: {
        struct mgr_value n = mgr_int((int64_t)((o->count - o->head) / (o->kind == MGR_DICT ? 2 : 1)));
        reply_ok(c, &n);
        return;
    }
    case MGR_OP_COPY:
        if (o->kind == MGR_QUEUE)
            break;
        do_copy(c, o);
        return;
    case MGR_OP_GET:
        if (o->kind != MGR_DICT)
            break;
        at = dict_find(o, &rq.arg[0]);
        if (at < 0) {
            char key[64];
            mgr_value_repr(&rq.arg[0], key, sizeof key);
            reply_error(c, MGR_E_KEY, "%s", key);
        } else {
            reply_ok(c, &o->items[at + 1]);
        }
        return;
    case MGR_OP_SET:
        if (o->kind != MGR_DICT)
            break;
        at = dict_find(o, &rq.arg[0]);
        if (at >= 0) {                  /* a new value for a key we have */
            if (value_keep(s, &rq.arg[1], &kept) == -1)
                goto full;
            value_drop(s, &o->items[at + 1]);
            o->items[at + 1] = kept;
        } else {                        /* a new pair, at the end */
            if (object_reserve(o, 2) == -1 || value_keep(s, &rq.arg[0], &kept_key) == -1)
                goto full;
            if (value_keep(s, &rq.arg[1], &kept) == -1) {
                value_drop(s, &kept_key);
                goto full;
            }
            o->items[o->count++] = kept_key;
            o->items[o->count++] = kept;
        }
        reply_ok(c, NULL);
        return;
    case MGR_OP_APPEND:
        if (o->kind != MGR_LIST)
            break;
        if (object_reserve(o, 1) == -1 || value_keep(s, &rq.arg[0], &kept) == -1)
            goto full;
        o->items[o->count++] = kept;
        reply_ok(c, NULL);
        return;
    case MGR_OP_PUT:
        if (o->kind != MGR_QUEUE)
            break;
        do_put(s, c, rq.id, &rq.arg[0]);
        return;
    case MGR_OP_TAKE:
        if (o->kind != MGR_QUEUE)
            break;
        do_take(s, c, rq.id, &rq.arg[0]);
        return;
    default:
        break;
    }
    reply_error(c, MGR_E_TYPE, "operation '%c' does not apply to object %lu",
                (int)rq.op, (unsigned long)rq.id);
    return;
full:
    reply_error(c, MGR_E_FULL, "the manager's limits are reached");
}
