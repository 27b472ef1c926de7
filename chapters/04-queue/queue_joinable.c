/* queue_joinable.c - JoinableQueue: join() waits until every item put has
 * been marked done with task_done().
 *
 * Python's JoinableQueue is a Queue plus a count of unfinished tasks: put()
 * adds one, task_done() takes one away, join() waits until it is 0. Here it
 * is this chapter's Queue (queue.c, unchanged) plus that count, in shared
 * memory beside it. Main starts the consumers, puts ITEMS numbers and calls
 * join(); a consumer gets a number, works on it, says "done", and only then
 * calls task_done(). After join(), main puts one sentinel per consumer (a
 * task too, marked done like the others) and joins the consumers.
 *   -m ok      each item marked done once: join() returns after the last
 *   -m forget  every 4th item is never marked done: join() would wait for
 *              ever, so here it gives up after -t seconds; once the
 *              consumers are joined, main reports the tasks left undone
 *   -m extra   every 4th item is marked done twice: the extra call takes
 *              away another item's count, and a later call finds the count
 *              at 0 and fails with EINVAL (Python: ValueError)
 *
 * Python:  q = JoinableQueue(); each consumer calls q.task_done() after
 *          its work on q.get(); main calls q.join()    (queue_joinable.py)
 * Usage:   ./queue_joinable [-m ok|forget|extra] [-n CONSUMERS] [-c ITEMS] [-t SECONDS]
 * Look for: -m ok: "join() returned" after every "done" line. -m forget:
 * "join() would wait for ever: N tasks never marked done" (N = ITEMS / 4).
 * -m extra: one EINVAL line per extra call. Racy: which consumer gets which
 * item; with -m extra, which call meets the 0, and whether join() returns
 * before the last "done" line (it may: the extra call stole a count).
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "queue.h"

#define MAX_CONSUMERS 16
#define SENTINEL 0L             /* the items are 1, 2, 3...; 0 means "stop" */

/* The JoinableQueue: a Queue, and beside it the count (Python: class
 * JoinableQueue(Queue) adds a Semaphore as the count, and a Condition to
 * wait for 0). A semaphore cannot wait for 0, so here the count is a plain
 * number under a lock, and join() sleeps on a semaphore: not on a condition
 * variable, which a killed sleeper can jam (the README, sections 1 and 7). */
struct joinable {
    struct queue *q;            /* the items: this chapter's Queue */
    pthread_mutex_t lock;       /* guards the three numbers below */
    sem_t all_done;             /* join() sleeps here */
    long unfinished;            /* puts not yet matched by a task_done() */
    long sleepers;              /* processes asleep in join() */
    unsigned long zeros;        /* how often unfinished came down to 0 */
};

enum mode { OK, FORGET, EXTRA };

struct setup {
    struct joinable *jq;
    enum mode mode;
    int id;                     /* this consumer's number */
    pid_t main_pid;             /* main's pid, noted before any fork */
};

/* In shared memory, made before fork(): every child shares it. The lock is
 * robust and process-shared, as queue.c's. */
static struct joinable *joinable_new(void)
{
    struct joinable *jq = shared_alloc(sizeof *jq);
    pthread_mutexattr_t attr;

    jq->q = queue_new(0, 64);           /* 16 slots; an item is one long */
    if (jq->q == NULL)
        die("queue_new");
    check_pthread(pthread_mutexattr_init(&attr), "pthread_mutexattr_init");
    check_pthread(pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED),
                  "pthread_mutexattr_setpshared");
    check_pthread(pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST),
                  "pthread_mutexattr_setrobust");
    check_pthread(pthread_mutex_init(&jq->lock, &attr), "pthread_mutex_init");
    pthread_mutexattr_destroy(&attr);
    if (sem_init(&jq->all_done, 1, 0) == -1)    /* 1: between processes */
        die("sem_init");
    return jq;
}

/* Main only, once every child is joined. */
static void joinable_free(struct joinable *jq)
{
    if (queue_free(jq->q) == -1)
        die("queue_free");
    check_pthread(pthread_mutex_destroy(&jq->lock), "pthread_mutex_destroy");
    if (sem_destroy(&jq->all_done) == -1)
        die("sem_destroy");
    shared_free(jq, sizeof *jq);
}

/* Lock the count. If a process died holding the lock (killed inside put or
 * task_done), the count may be wrong: as queue.c does, it is then broken for
 * good (ENOTRECOVERABLE for everyone after), and a sleeper in join() is
 * woken to hear it (it fails to lock too, and wakes the next). */
static int lock_count(struct joinable *jq)
{
    int err = pthread_mutex_lock(&jq->lock);

    if (err == 0)
        return 0;
    if (err == EOWNERDEAD)
        pthread_mutex_unlock(&jq->lock);            /* never consistent */
    else if (err != ENOTRECOVERABLE)
        check_pthread(err, "pthread_mutex_lock");   /* a bug: dies */
    sem_post(&jq->all_done);
    errno = err;
    return -1;
}

static void unlock_count(struct joinable *jq)
{
    check_pthread(pthread_mutex_unlock(&jq->lock), "pthread_mutex_unlock");
}

/* task_done(): one task fewer. 0, or -1 with errno EINVAL when the count is
 * already 0 (Python raises ValueError), or the errno of a broken count. */
static int joinable_task_done(struct joinable *jq)
{
    if (lock_count(jq) == -1)
        return -1;
    if (jq->unfinished == 0) {
        unlock_count(jq);
        errno = EINVAL;         /* more task_done() calls than puts */
        return -1;
    }
    if (--jq->unfinished == 0) {
        /* The count has reached 0: each process asleep in join() may
         * return. One post each, made under the lock, so that none is
         * missed: a joiner counts itself in under this lock too. */
        jq->zeros++;
        for (; jq->sleepers > 0; jq->sleepers--)
            sem_post(&jq->all_done);
    }
    unlock_count(jq);
    return 0;
}

/* put(): the count goes up BEFORE the item is in the queue, or a consumer
 * could get it and call task_done() first (CPython counts it inside put()
 * too). */
static enum queue_result joinable_put(struct joinable *jq, long item)
{
    enum queue_result r;
    int err;

    if (lock_count(jq) == -1)
        return QUEUE_ERROR;
    jq->unfinished++;
    unlock_count(jq);
    r = queue_put(jq->q, &item, sizeof item, QUEUE_FOREVER);
    if (r != QUEUE_OK) {
        err = errno;
        joinable_task_done(jq);         /* not put: not a task */
        errno = err;
    }
    return r;
}

/* join(): wait until the count has been 0 at least once since the call,
 * for at most timeout seconds (QUEUE_FOREVER: for ever, as Python's join(),
 * which takes no timeout). 0 when it was; 1 when the time ran out first; -1
 * with errno if the count is broken. */
static int joinable_join(struct joinable *jq, double timeout)
{
    struct timespec deadline = deadline_in(CLOCK_REALTIME, timeout);
    unsigned long zeros;
    int rc, timed_out;

    if (lock_count(jq) == -1)
        return -1;
    zeros = jq->zeros;
    if (jq->unfinished > 0) {
        jq->sleepers++;
        /* A wake-up is not proof: it may be one posted for a joiner that
         * gave up meanwhile. Only a change of `zeros` says that the count
         * reached 0 (and that task_done() no longer counts us asleep). */
        while (jq->zeros == zeros) {
            unlock_count(jq);
            if (timeout < 0)
                rc = sem_wait(&jq->all_done);
            else
                rc = sem_timedwait(&jq->all_done, &deadline);
            if (rc == -1 && errno != EINTR && errno != ETIMEDOUT)
                die("sem_wait");
            timed_out = rc == -1 && errno == ETIMEDOUT;
            if (lock_count(jq) == -1)
                return -1;
            if (timed_out && jq->zeros == zeros) {
                jq->sleepers--;         /* nobody will post for us now */
                unlock_count(jq);
                return 1;
            }
        }
    }
    unlock_count(jq);
    return 0;
}

/* task_done(), and what a failure means. */
static void mark_done(const struct setup *s, long item)
{
    char what[32];

    if (joinable_task_done(s->jq) == 0)
        return;
    if (errno != EINVAL)
        die_child("task_done");
    if (item == SENTINEL)
        snprintf(what, sizeof what, "the sentinel");
    else
        snprintf(what, sizeof what, "item %ld", item);
    say("consumer %d (%ld): task_done() for %s -> error EINVAL: called too many times",
        s->id, (long)getpid(), what);
}

static void consumer(void *arg)
{
    const struct setup *s = arg;
    long item;
    size_t len;

    for (;;) {
        /* Block until there is something, unless main was killed: then
         * no sentinel will ever come (queue_demo says more). */
        enum queue_result r = queue_get_unless_orphaned(s->jq->q, &item, sizeof item, &len,
                                                        s->main_pid);

        if (r == QUEUE_EMPTY)
            _exit(0);                   /* main is gone: leave quietly */
        if (r != QUEUE_OK)
            die_child("queue_get");
        if (item == SENTINEL) {
            say("consumer %d (%ld): got the sentinel: task_done(), and stop", s->id,
                (long)getpid());
            mark_done(s, item);
            return;
        }
        say("consumer %d (%ld): got item %ld", s->id, (long)getpid(), item);
        pace(0.5);                      /* the work */
        if (s->mode == FORGET && item % 4 == 0) {
            say("consumer %d (%ld): done with item %ld, and forgot task_done()", s->id,
                (long)getpid(), item);
            continue;
        }
        /* Said BEFORE task_done(): join() cannot return before this line. */
        say("consumer %d (%ld): done with item %ld: task_done()", s->id, (long)getpid(), item);
        mark_done(s, item);
        if (s->mode == EXTRA && item % 4 == 0) {
            say("consumer %d (%ld): task_done() again for item %ld, by mistake", s->id,
                (long)getpid(), item);
            mark_done(s, item);
        }
    }
}

int main(int argc, char *argv[])
{
    static const char *const names[] = { "ok", "forget", "extra" };
    struct setup s = { .mode = OK };
    long consumers = 2, items = 8, expected, left;
    double timeout = 3.0;
    pid_t pids[MAX_CONSUMERS];
    int opt, joined;

    prog_init(argc, argv, "[-m ok|forget|extra] [-n CONSUMERS] [-c ITEMS] [-t SECONDS]\n"
              "  -m ok|forget|extra  task_done() once an item; never, or twice, every 4th "
              "(default ok)\n"
              "  -n CONSUMERS        consumer processes (default 2)\n"
              "  -c ITEMS            items main puts (default 8)\n"
              "  -t SECONDS          -m forget: how long join() waits before giving up "
              "(default 3)\n"
              "Python: multiprocessing.JoinableQueue, task_done() and join() "
              "(twin: queue_joinable.py)");
    while ((opt = get_option(argc, argv, "m:n:c:t:")) != -1) {
        switch (opt) {
        case 'm':
            if (strcmp(optarg, "ok") == 0)
                s.mode = OK;
            else if (strcmp(optarg, "forget") == 0)
                s.mode = FORGET;
            else if (strcmp(optarg, "extra") == 0)
                s.mode = EXTRA;
            else
                usage_error("-m wants ok, forget or extra, not '%s'", optarg);
            break;
        case 'n': consumers = arg_long(optarg, opt, 1, MAX_CONSUMERS); break;
        case 'c': items = arg_long(optarg, opt, 1, 10000); break;
        default: timeout = arg_double(optarg, opt, 0.01, 60); break;
        }
    }
    no_operands(argc, argv);

    s.main_pid = getpid();
    s.jq = joinable_new();              /* before fork(): one for all */
    say("main       (%ld): JoinableQueue, %ld consumers, %ld items, -m %s", (long)getpid(),
        consumers, items, names[s.mode]);
    for (long i = 0; i < consumers; i++) {
        s.id = (int)i;
        pids[i] = start_child(consumer, &s);
    }

    say("main       (%ld): put items 1 to %ld; join() waits until each is marked done",
        (long)getpid(), items);
    for (long item = 1; item <= items; item++)
        if (joinable_put(s.jq, item) != QUEUE_OK)
            die("queue_put");
    /* Python's join() has no timeout; -m forget needs one, or it would
     * wait for ever (the twin waits in a thread, and stops waiting). */
    joined = joinable_join(s.jq, s.mode == FORGET ? timeout : QUEUE_FOREVER);
    if (joined == -1)
        die("join");
    if (joined == 0)
        say("main       (%ld): join() returned: the count of unfinished tasks came down to 0",
            (long)getpid());
    else
        say("main       (%ld): join() still waiting after %g s: giving up", (long)getpid(),
            timeout);

    say("main       (%ld): putting %ld sentinels", (long)getpid(), consumers);
    for (long i = 0; i < consumers; i++)
        if (joinable_put(s.jq, SENTINEL) != QUEUE_OK)
            die("queue_put");
    if (join_all(pids, consumers) != 0)
        fatal("a consumer failed: the others were stopped and joined");

    /* Every consumer is joined: nobody is left to call task_done(). What
     * is still unfinished now stays unfinished for ever. */
    expected = s.mode == FORGET ? items / 4 : 0;
    left = s.jq->unfinished;
    if (left > 0)
        say("main       (%ld): join() would wait for ever: %ld task%s never marked done "
            "(expected %ld)", (long)getpid(), left, left == 1 ? "" : "s", expected);
    else
        say("main       (%ld): consumers joined: 0 tasks never marked done (expected %ld)",
            (long)getpid(), expected);
    joinable_free(s.jq);
    return left == expected ? 0 : 1;
}
