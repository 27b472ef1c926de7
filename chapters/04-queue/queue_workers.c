/* queue_workers.c - several producers and consumers share one Queue; they
 * stop cleanly on sentinels.
 *
 * Each producer puts ITEMS messages. A message names its producer and its
 * number ("p1 #7"), and with -v is padded to a size that varies from a few
 * bytes up to the queue's largest message, with bytes that follow from the
 * producer and the number. Each side prints one line per message with a
 * CRC-32 of its bytes: the producer of what it put, the consumer of what it
 * got, so the two can be compared line by line (the chapter's test does,
 * for 5000 messages). Consumers check every message themselves too: its
 * bytes, and that each producer's numbers come in increasing order.
 * Shutting down: the parent joins the producers, then puts one sentinel (an
 * empty message) per consumer; a consumer stops at its sentinel and sends a
 * summary back on a second queue.
 *
 * Python:  producers and consumers sharing a Queue, stopped with None
 *          sentinels                                      (queue_workers.py)
 * Usage:   ./queue_workers [-p PRODUCERS] [-n CONSUMERS] [-c ITEMS] [-s BYTES] [-v]
 *                          [-t SECONDS]
 *          -s BYTES: a slot of the queue (its largest message is BYTES - 4);
 *          -t: the producers' pause after each put (default 0.1, scaled by
 *          WORKBOOK_PACE; use -t 0 for many items)
 * Look for: every "put" line has one "got" line with the same CRC; within
 * one consumer, each producer's numbers increase. Racy: which consumer gets
 * which message, and how the lines of different processes interleave.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "queue.h"

#define MAX_PROCS 16

struct setup {
    struct queue *q;            /* the work */
    struct queue *results;      /* one summary per consumer */
    long items;                 /* per producer */
    double delay;               /* pause after each put */
    int producers;
    int mixed;                  /* -v: sizes up to the largest message */
    int id;                     /* this process's number */
    pid_t main_pid;             /* main's pid, noted before any fork */
};

/* CRC-32 as zlib computes it (Python's zlib.crc32): a change of any byte,
 * or of their order, changes it. The table holds the effect of each byte
 * value, computed once (each process fills its own copy: it is cheap). */
static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    static uint32_t table[256];
    uint32_t crc = 0xFFFFFFFFu;

    if (table[1] == 0)
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;

            for (int k = 0; k < 8; k++)
                c = (c >> 1) ^ (0xEDB88320u & -(c & 1u));
            table[i] = c;
        }
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

/* The size of message #seq of producer p: mostly small, often anything up
 * to max, and one in eight within 16 bytes of max (a cheap hash decides). */
static size_t size_of(int p, long seq, size_t max, size_t head)
{
    uint32_t h = (uint32_t)p * 2654435761u ^ (uint32_t)seq * 40503u;

    h ^= h >> 15;
    h *= 2246822519u;
    h ^= h >> 13;
    if (h % 8 == 0)
        return max - h / 8 % 16;
    if (h % 8 < 4)
        return head + h / 8 % 48;
    return head + h / 8 % (max - head + 1);
}

/* Byte i of every message, after its text: follows from p, seq and i. */
static unsigned char filler(int p, long seq, size_t i)
{
    return (unsigned char)(p * 31 + seq * 17 + (long)i);
}

/* Build message #seq of producer p in buf; returns its length. */
static size_t make_message(const struct setup *s, int p, long seq, unsigned char *buf,
                           size_t max)
{
    int head = snprintf((char *)buf, max, "p%d #%ld", p, seq);
    size_t len = (size_t)head;

    if (s->mixed) {
        /* Pad with a space, then filler bytes. */
        len = size_of(p, seq, max, (size_t)head + 1);
        buf[head] = ' ';
        for (size_t i = (size_t)head + 1; i < len; i++)
            buf[i] = filler(p, seq, i);
    }
    return len;
}

static void producer(void *arg)
{
    const struct setup *s = arg;
    size_t max = queue_max_message(s->q);
    unsigned char *buf = malloc(max);

    if (buf == NULL)
        die_child("malloc");
    for (long seq = 1; seq <= s->items; seq++) {
        size_t len = make_message(s, s->id, seq, buf, max);
        uint32_t crc = crc32_of(buf, len);

        /* Said before the put, so it comes before the consumer's line. */
        say("producer %d (%ld): put p%d #%ld (%zu bytes, crc %08lx)", s->id, (long)getpid(),
            s->id, seq, len, (unsigned long)crc);
        if (queue_put(s->q, buf, len, QUEUE_FOREVER) != QUEUE_OK)
            die_child("queue_put");
        pace(s->delay);
    }
    free(buf);
}

static void consumer(void *arg)
{
    const struct setup *s = arg;
    size_t max = queue_max_message(s->q), len;
    unsigned char *buf = malloc(max + 1), *want = malloc(max + 1);
    long last[MAX_PROCS] = { 0 }, got = 0, bad = 0;
    char summary[128];

    if (buf == NULL || want == NULL)
        die_child("malloc");
    for (;;) {
        int p;
        long seq;

        /* Block until there is something, unless main was killed: then
         * no sentinel will ever come (queue_demo says more). */
        enum queue_result r = queue_get_unless_orphaned(s->q, buf, max, &len,
                                                        s->main_pid);

        if (r == QUEUE_EMPTY)
            _exit(0);                   /* main is gone: leave quietly */
        if (r != QUEUE_OK)
            die_child("queue_get");
        if (len == 0)
            break;                      /* the sentinel: no more work */
        got++;
        buf[len] = '\0';                /* the text part ends at a space */
        if (sscanf((char *)buf, "p%d #%ld", &p, &seq) != 2 || p < 0 || p >= s->producers) {
            bad++;
            continue;
        }
        say("consumer %d (%ld): got p%d #%ld (%zu bytes, crc %08lx)", s->id, (long)getpid(),
            p, seq, len, (unsigned long)crc32_of(buf, len));
        /* The queue is FIFO, so one producer's numbers increase. */
        if (seq <= last[p])
            bad++;
        last[p] = seq;
        /* Intact: exactly the message its producer made. */
        if (make_message(s, p, seq, want, max) != len || memcmp(want, buf, len) != 0)
            bad++;
    }
    free(buf);
    free(want);
    snprintf(summary, sizeof summary, "consumer %d: %ld items, %ld bad", s->id, got, bad);
    say("consumer %d (%ld): got the sentinel after %ld item%s, %ld bad", s->id,
        (long)getpid(), got, got == 1 ? "" : "s", bad);
    if (queue_put(s->results, summary, strlen(summary), QUEUE_FOREVER) != QUEUE_OK)
        die_child("queue_put");
}

int main(int argc, char *argv[])
{
    struct setup s = { .items = 5, .producers = 2, .delay = 0.1 };
    long consumers = 2, bytes = 64 * 1024, total = 0, bad = 0;
    pid_t pids[2 * MAX_PROCS];
    int opt;

    prog_init(argc, argv, "[-p PRODUCERS] [-n CONSUMERS] [-c ITEMS] [-s BYTES] [-v] [-t SECONDS]\n"
              "  -p PRODUCERS  producer processes (default 2)\n"
              "  -n CONSUMERS  consumer processes (default 2)\n"
              "  -c ITEMS      messages each producer puts (default 5)\n"
              "  -s BYTES      bytes per slot; the largest message is BYTES - 4 (default 65536)\n"
              "  -v            vary the item sizes, from a few bytes up to the largest\n"
              "  -t SECONDS    a producer's pause after a put, times WORKBOOK_PACE (default 0.1)\n"
              "Python: multiprocessing.Queue, producers, consumers and None sentinels "
              "(twin: queue_workers.py)");
    while ((opt = get_option(argc, argv, "p:n:c:s:vt:")) != -1) {
        switch (opt) {
        case 'p': s.producers = (int)arg_long(optarg, opt, 1, MAX_PROCS); break;
        case 'n': consumers = arg_long(optarg, opt, 1, MAX_PROCS); break;
        case 'c': s.items = arg_long(optarg, opt, 1, 10000000); break;
        case 's': bytes = arg_long(optarg, opt, 64, 16L << 20); break;
        case 't': s.delay = arg_double(optarg, opt, 0, 10); break;
        default: s.mixed = 1; break;
        }
    }
    no_operands(argc, argv);

    s.main_pid = getpid();
    s.q = queue_new(0, (size_t)bytes);
    s.results = queue_new(0, 0);
    if (s.q == NULL || s.results == NULL)
        die("queue_new");
    say("main       (%ld): %d producers x %ld items, %ld consumers; largest message %zu bytes",
        (long)getpid(), s.producers, s.items, consumers, queue_max_message(s.q));

    /* A message larger than the largest is refused whole, never cut. */
    {
        size_t too_big = queue_max_message(s.q) + 1;
        char *big = calloc(1, too_big);

        if (big == NULL)
            die("calloc");
        if (queue_put(s.q, big, too_big, QUEUE_NOWAIT) != QUEUE_ERROR)
            fatal("a message of %zu bytes was accepted", too_big);
        say("main       (%ld): put(%zu bytes) -> error %s (%s)", (long)getpid(), too_big,
            errno_name(errno), strerror(errno));
        free(big);
    }

    /* Each child gets its own copy of s (fork copies it), with its own id. */
    for (int i = 0; i < s.producers; i++) {
        s.id = i;
        pids[i] = start_child(producer, &s);
    }
    for (int i = 0; i < consumers; i++) {
        s.id = i;
        pids[s.producers + i] = start_child(consumer, &s);
    }

    /* Shut down: wait until the producers are done, THEN one sentinel per
     * consumer. Sentinels go after every item (the queue is FIFO), and each
     * consumer takes exactly one, since it stops at the first. */
    for (int i = 0; i < s.producers; i++)
        if (join_child(pids[i]) != 0)
            fatal("producer %d failed", i);
    say("main       (%ld): producers joined; putting %ld sentinels", (long)getpid(),
        consumers);
    for (int i = 0; i < consumers; i++)
        if (queue_put(s.q, "", 0, QUEUE_FOREVER) != QUEUE_OK)
            die("queue_put");
    for (int i = 0; i < consumers; i++) {
        char summary[128];
        size_t len;
        long got, wrong;

        if (queue_get(s.results, summary, sizeof summary - 1, &len, QUEUE_FOREVER) != QUEUE_OK)
            die("queue_get");
        summary[len] = '\0';
        if (sscanf(summary, "consumer %*d: %ld items, %ld bad", &got, &wrong) != 2)
            fatal("a summary I cannot read: %s", summary);
        total += got;
        bad += wrong;
    }
    for (int i = 0; i < consumers; i++)
        if (join_child(pids[s.producers + i]) != 0)
            fatal("consumer %d failed", i);
    say("main       (%ld): consumers joined: %ld items got (expected %ld), %ld bad; qsize() = %zu",
        (long)getpid(), total, s.producers * s.items, bad, queue_qsize(s.q));
    say("main       (%ld): self-check: %s", (long)getpid(),
        total == s.producers * s.items && bad == 0 && queue_empty(s.q) ? "OK" : "FAILED");
    if (queue_free(s.q) == -1 || queue_free(s.results) == -1)
        die("queue_free");
    return total == s.producers * s.items && bad == 0 ? 0 : 1;
}
