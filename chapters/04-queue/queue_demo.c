/* queue_demo.c - a writer puts A, B, C on a Queue; a reader gets them.
 *
 * The parent makes a Queue (queue.c, this chapter) BEFORE it forks, so both
 * children share it. The writer puts a few letters, pausing between them;
 * the reader takes them off in the same order. When the writer has been
 * joined, the parent puts a sentinel, an empty message that means "no more",
 * and the reader stops when it gets it. (The tutorials end their reader,
 * which loops forever, with terminate(); queue_terminate shows why that is
 * dangerous.)
 *
 * Python:  q = Queue(); Process(target=write, args=(q,)) ...
 *          reader loops on q.get() until it gets None     (queue_demo.py)
 * Usage:   ./queue_demo [-c ITEMS]
 * Look for: "Put X" before "Get X" (a letter is put before it can be got);
 * the letters got in the order put (FIFO); the reader stops on the
 * sentinel, after the last letter. Racy: where the reader's lines fall
 * among the writer's.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "queue.h"

static long items = 3;
static pid_t parent_pid;        /* main's pid, noted before any fork */

static void writer(void *arg)
{
    struct queue *q = arg;

    say("writer (%ld): Process to write", (long)getpid());
    for (long i = 0; i < items; i++) {
        char letter = (char)('A' + i);

        /* Said before the put: so it is written before the reader can get
         * the letter and say so. */
        say("writer (%ld): Put %c to queue...", (long)getpid(), letter);
        if (queue_put(q, &letter, 1, QUEUE_FOREVER) != QUEUE_OK)
            die_child("queue_put");
        pace(0.5);
    }
}

static void reader(void *arg)
{
    struct queue *q = arg;
    char buf[16];
    size_t len;

    say("reader (%ld): Process to read", (long)getpid());
    for (;;) {
        /* Block until there is something: Python's q.get(True). But if
         * main was killed, no sentinel will ever come: then the call gives
         * up (QUEUE_EMPTY), and the reader leaves rather than stay behind
         * as an orphan blocked for ever (queue.h says how). */
        enum queue_result r = queue_get_unless_orphaned(q, buf, sizeof buf, &len,
                                                        parent_pid);

        if (r == QUEUE_EMPTY)
            _exit(0);           /* main is gone: leave quietly */
        if (r != QUEUE_OK)
            die_child("queue_get");
        if (len == 0)
            break;              /* the sentinel: nothing more will come */
        say("reader (%ld): Get %.*s from queue.", (long)getpid(), (int)len, buf);
    }
    say("reader (%ld): got the sentinel: stopping", (long)getpid());
}

int main(int argc, char *argv[])
{
    struct queue *q;
    pid_t pw, pr;
    int opt;

    prog_init(argc, argv, "[-c ITEMS]\n"
              "  -c ITEMS  letters the writer puts, from A on (default 3)\n"
              "Python: multiprocessing.Queue, put, get and a None sentinel (twin: queue_demo.py)");
    while ((opt = get_option(argc, argv, "c:")) != -1)
        items = arg_long(optarg, opt, 1, 26);
    no_operands(argc, argv);
    parent_pid = getpid();

    /* Before fork(): the children inherit the mapping, so one queue. */
    q = queue_new(0, 0);
    if (q == NULL)
        die("queue_new");
    pw = start_child(writer, q);
    pr = start_child(reader, q);

    /* The writer first: once it is joined, every letter is in the queue
     * (our Queue copies at put time; Python's hands it to a feeder thread,
     * which the writer's exit waits for). Then the sentinel, after them. */
    say("main   (%ld): writer joined, exitcode %d; putting the sentinel", (long)getpid(),
        join_child(pw));
    if (queue_put(q, "", 0, QUEUE_FOREVER) != QUEUE_OK)
        die("queue_put");
    say("main   (%ld): reader joined, exitcode %d", (long)getpid(), join_child(pr));
    if (queue_free(q) == -1)
        die("queue_free");
    return 0;
}
