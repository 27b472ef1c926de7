/* queue_terminate.c - why a reader is stopped with a sentinel, not killed.
 *
 * The tutorials end a reader that loops forever with terminate(), that is
 * SIGTERM. This program does the same to a busy reader, and looks at the
 * queue afterwards. A writer fills the queue with large messages (16 of
 * 1 MiB) and ends; a reader keeps getting them; once the reader has its
 * first message, the parent sends it SIGTERM. Where it was when the signal
 * came is a matter of luck:
 *  - inside the queue, holding its lock, half-way through copying a
 *    message out: the next get finds the lock's owner dead (the lock is a
 *    robust mutex, so this is reported, not a hang) and the queue is
 *    broken from then on: every later call, in every process, fails;
 *  - outside the lock: the queue still works, but the message the reader
 *    had just taken dies with it.
 * The parent tries again, up to ATTEMPTS times, until it has seen the
 * first case. (Python's Queue is worse off: its reader holds the queue's
 * read lock even while it WAITS for a message, and a dead holder is never
 * noticed: later gets just time out, or wait forever. See queue_terminate.py.)
 *
 * Python:  pr.terminate() on a reader inside q.get()   (queue_terminate.py)
 * Usage:   ./queue_terminate [-c ATTEMPTS] [-s SIZE]
 *          -s SIZE: the messages, in bytes (default 1 MiB, at most 4 MiB)
 * Look for: "died holding the queue's lock", then EOWNERDEAD and
 * ENOTRECOVERABLE. Racy, and the lesson itself: which case each attempt
 * meets. The program always ends.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "queue.h"

enum { MAX_SIZE = 4 << 20 };           /* -s's limit */
static size_t size = 1 << 20;

struct attempt {
    struct queue *q;
    int started[2];     /* writer, then reader -> parent: a byte means
                           "the queue is full", then "I am busy" */
    pid_t main_pid;     /* to notice that main is gone */
};

/* Fills the queue, then ends: the reader alone uses the queue after that. */
static void writer(void *arg)
{
    const struct attempt *a = arg;
    unsigned char *msg = malloc(size);
    enum queue_result r;

    if (close(a->started[0]) == -1)
        die_child("close");
    if (msg == NULL)
        die_child("malloc");
    memset(msg, 'w', size);
    while ((r = queue_put(a->q, msg, size, QUEUE_NOWAIT)) == QUEUE_OK)
        continue;
    if (r != QUEUE_FULL)
        die_child("queue_put");
    if (write(a->started[1], "f", 1) == -1)
        die_child("write");
    free(msg);
}

static void reader(void *arg)
{
    const struct attempt *a = arg;
    /* Static, not malloc: this process ends by SIGTERM, and a heap block
     * it never freed would count as a leak (valgrind checks at that end). */
    static unsigned char buf[MAX_SIZE];
    size_t len;
    long total = 0;

    /* Close what is not ours: fork copied every pipe end (chapter 03). */
    if (close(a->started[0]) == -1)
        die_child("close");
    /* The tutorial's `while True: q.get(True)`. With a full queue in front
     * of it, this reader spends nearly all its time inside the queue's
     * lock, copying a message out, as a busy reader does. */
    for (;;) {
        /* Waits for ever, unless main is killed: see queue_demo. */
        enum queue_result r = queue_get_unless_orphaned(a->q, buf, size, &len,
                                                        a->main_pid);

        if (r == QUEUE_EMPTY)
            _exit(0);                   /* main is gone */
        if (r != QUEUE_OK)
            die_child("queue_get");
        if (total++ == 0 && write(a->started[1], "x", 1) == -1)
            die_child("write");
    }
}

/* One attempt; returns 1 if the reader died holding the lock. */
static int attempt(int n)
{
    struct attempt a;
    int code, held;
    pid_t pw, pr;
    char byte;
    unsigned char *buf;
    size_t len;
    enum queue_result r;

    a.main_pid = getpid();
    a.q = queue_new(16, size + QUEUE_HEADER);   /* 16 slots of one message */
    if (a.q == NULL)
        die("queue_new");
    if (pipe(a.started) == -1)
        die("pipe");
    pw = start_child(writer, &a);
    /* Start the reader once the writer has filled the queue: it then has
     * messages to copy from its first get on, and spends its time inside
     * the queue's lock rather than waiting. */
    if (read(a.started[0], &byte, 1) != 1)
        die("read");
    pr = start_child(reader, &a);
    if (close(a.started[1]) == -1)
        die("close");
    /* Once the reader is in its loop, terminate() it. */
    if (read(a.started[0], &byte, 1) != 1)
        die("read");
    if (kill(pr, SIGTERM) == -1)
        die("kill");
    code = join_child(pr);
    say("main (%ld): attempt %d: reader %ld terminated (exitcode %d), writer joined (%d)",
        (long)getpid(), n, (long)pr, code, join_child(pw));
    if (close(a.started[0]) == -1)
        die("close");

    buf = malloc(size);
    if (buf == NULL)
        die("malloc");
    r = queue_get(a.q, buf, size, &len, 0.5);
    held = r == QUEUE_ERROR && errno == EOWNERDEAD;
    if (held) {
        say("main (%ld): attempt %d: the reader died holding the queue's lock", (long)getpid(), n);
        say("main (%ld):   get(timeout=0.5) -> error EOWNERDEAD: its owner died, maybe mid-copy",
            (long)getpid());
        r = queue_put(a.q, "x", 1, QUEUE_NOWAIT);
        say("main (%ld):   put(block=False) -> %s %s: the queue refuses all further use",
            (long)getpid(), queue_result_name(r), r == QUEUE_ERROR ? errno_name(errno) : "");
    } else if (r == QUEUE_ERROR) {
        die("queue_get");
    } else {
        say("main (%ld): attempt %d: the reader died outside the lock; the queue still works",
            (long)getpid(), n);
        say("main (%ld):   get(timeout=0.5) -> %s; the message the reader had taken is lost",
            (long)getpid(), queue_result_name(r));
    }
    free(buf);
    if (queue_free(a.q) == -1)
        die("queue_free");
    return held;
}

int main(int argc, char *argv[])
{
    long attempts = 10;
    int opt, n, held = 0;

    prog_init(argc, argv, "[-c ATTEMPTS] [-s SIZE]\n"
              "  -c ATTEMPTS  attempts at most, until a reader dies holding the lock (default 10)\n"
              "  -s SIZE      bytes in each message, at most 4 MiB (default 1048576)\n"
              "Python: Process.terminate() on a reader inside Queue.get() "
              "(twin: queue_terminate.py)");
    while ((opt = get_option(argc, argv, "c:s:")) != -1) {
        if (opt == 'c')
            attempts = arg_long(optarg, opt, 1, 1000);
        else
            size = (size_t)arg_long(optarg, opt, 1, MAX_SIZE);
    }
    no_operands(argc, argv);

    for (n = 1; n <= attempts && !held; n++)
        held = attempt(n);
    say("main (%ld): %s after %d attempt%s", (long)getpid(),
        held ? "saw a reader die holding the lock" : "never saw a reader die holding the lock",
        n - 1, n - 1 == 1 ? "" : "s");
    return 0;
}
