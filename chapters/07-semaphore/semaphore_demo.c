/* semaphore_demo.c - Semaphore(2): at most two workers inside at once.
 *
 * A semaphore is a counter that never goes below 0. sem_wait takes 1 from
 * it, and sleeps first while it is 0; sem_post adds 1, and wakes a
 * sleeper. Started at 2, it lets two workers in; the third waits until one
 * of them leaves. Each worker says "acquire" once it is in and "release"
 * just before it leaves, so at any point of the output the acquires minus
 * the releases is the number inside: never more than 2.
 *
 * The semaphore is named by default (sem_open), as Python's is: the name
 * lives in the file system (on Linux, /dev/shm/sem.NAME) until sem_unlink,
 * even after every process using it has ended. So this program unlinks it
 * at the end, and also when SIGINT or SIGTERM stops it: it stops the
 * workers, unlinks, and only then dies of the signal. With -m unnamed it
 * is an unnamed one instead (sem_init in shared memory): no name, nothing
 * to leak.
 *
 * Python:  s = multiprocessing.Semaphore(2); s.acquire() ... s.release()
 *          (semaphore_demo.py)
 * Usage:   ./semaphore_demo [-n WORKERS] [-s SLOTS] [-m named|unnamed]
 * Look for: never more than SLOTS workers between "acquire" and "release".
 * Racy: which workers get in first, and the order of everything else.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define MAX_WORKERS 64

struct shared {
    sem_t unnamed;              /* -m unnamed: the semaphore itself */
    /* For the self-check: how many workers are inside now, and the most
     * ever inside at once. Lock-free atomics work between processes when
     * they sit in shared memory. */
    atomic_int inside, most;
};

/* The signal that asked us to stop, or 0. A handler may do very little
 * safely (see man 7 signal-safety): it records the signal, and main does
 * the rest. It has no SA_RESTART, so it also interrupts main's waitpid. */
static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

/* The name while it exists, for the last-resort clean-up below. */
static char name[64];
static pid_t owner;

/* Registered with atexit(): if main dies of an error (die() calls exit)
 * while the name exists, remove it anyway. Only the process that created
 * it does; the children end with _exit(), which runs no atexit handler. */
static void unlink_at_exit(void)
{
    if (name[0] != '\0' && getpid() == owner)
        (void)sem_unlink(name);         /* exiting already: nothing better to do */
}

static void handle_stops(void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
        die("sigaction");
}

static void worker(int n, sem_t *sem, struct shared *s)
{
    int inside, most;

    while (sem_wait(sem) == -1)         /* Python: s.acquire() */
        if (errno != EINTR)
            die_child("sem_wait");
    inside = atomic_fetch_add(&s->inside, 1) + 1;
    most = atomic_load(&s->most);
    while (inside > most && !atomic_compare_exchange_weak(&s->most, &most, inside))
        continue;               /* most now holds the latest value: try again */
    say("Process-%-2d (%ld): acquire", n, (long)getpid());

    pace(0.5 * n);              /* the work; the tutorial sleeps n * 2 s */

    atomic_fetch_sub(&s->inside, 1);
    say("Process-%-2d (%ld): release", n, (long)getpid());
    if (sem_post(sem) == -1)            /* Python: s.release() */
        die_child("sem_post");
}

int main(int argc, char *argv[])
{
    long nworkers = 5, slots = 2;
    bool named = true;
    sigset_t stops, old;
    struct shared *s;
    sem_t *sem;
    pid_t workers[MAX_WORKERS];
    int started = 0, failed = 0;
    bool stopping = false;
    int opt;

    prog_init(argc, argv, "[-n WORKERS] [-s SLOTS] [-m named|unnamed]\n"
              "  -n WORKERS        worker processes (default 5)\n"
              "  -s SLOTS          how many workers may be inside at once (default 2)\n"
              "  -m named|unnamed  sem_open() with a name, or sem_init() in shared memory "
              "(default named)\n"
              "Python: multiprocessing.Semaphore, acquire() and release() "
              "(twin: semaphore_demo.py)");
    while ((opt = get_option(argc, argv, "n:s:m:")) != -1) {
        if (opt == 'n')
            nworkers = arg_long(optarg, opt, 1, MAX_WORKERS);
        else if (opt == 's')
            slots = arg_long(optarg, opt, 1, MAX_WORKERS);
        else if (strcmp(optarg, "named") == 0 || strcmp(optarg, "unnamed") == 0)
            named = optarg[0] == 'n';
        else
            usage_error("-m wants named or unnamed, not '%s'", optarg);
    }
    no_operands(argc, argv);

    /* Handlers first: from the moment the name exists, a signal must find
     * someone ready to unlink it. */
    handle_stops(on_stop);
    s = shared_alloc(sizeof *s);
    if (named) {
        /* A name with our pid in it: two runs at once do not collide.
         * O_EXCL: fail rather than use a semaphore someone else left. */
        owner = getpid();
        if (atexit(unlink_at_exit) != 0)
            fatal("atexit failed");
        snprintf(name, sizeof name, "/semaphore_demo-%ld", (long)owner);
        sem = sem_open(name, O_CREAT | O_EXCL, 0600, (unsigned)slots);
        if (sem == SEM_FAILED) {
            name[0] = '\0';    /* not ours: not to be unlinked */
            die("sem_open /semaphore_demo-%ld", (long)owner);
        }
        say("%-10s (%ld): named semaphore %s created with value %ld", "main",
            (long)getpid(), name, slots);
    } else {
        /* pshared = 1: shared by processes, so it must be in shared memory. */
        sem = &s->unnamed;
        if (sem_init(sem, 1, (unsigned)slots) == -1)
            die("sem_init");
        say("%-10s (%ld): unnamed semaphore created in shared memory with value %ld",
            "main", (long)getpid(), slots);
    }

    /* Fork with SIGINT and SIGTERM blocked, so that a child never runs our
     * handler: it puts back the default action first. A signal that arrives
     * meanwhile waits, and is delivered when the mask is restored: in the
     * child with the default action (it dies), in us to the handler. */
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    for (int i = 0; i < nworkers; i++) {
        pid_t pid;

        if (sigprocmask(SIG_BLOCK, &stops, &old) == -1)
            die("sigprocmask");
        if (stop_signal != 0) {         /* stopped before all were started */
            if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
                die("sigprocmask");
            break;
        }
        pid = fork();
        if (pid == -1)
            die("fork");
        if (pid == 0) {
            handle_stops(SIG_DFL);
            if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
                die_child("sigprocmask");
            worker(i + 1, sem, s);
            _exit(0);           /* the child's work is done: not the parent's code */
        }
        workers[started++] = pid;
        if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
            die("sigprocmask");
    }

    /* Wait for the workers in turn. When a signal has asked us to stop,
     * stop the workers not yet reaped (a pid we have not reaped is still
     * ours to kill), then go on waiting. (A signal that lands just before
     * waitpid starts to wait is noticed when that worker ends.) */
    for (int i = 0; i < started; ) {
        int status;

        if (stop_signal != 0 && !stopping) {
            for (int j = i; j < started; j++)
                if (kill(workers[j], SIGTERM) == -1 && errno != ESRCH)
                    die("kill");
            stopping = true;
        }
        if (waitpid(workers[i], &status, 0) == -1) {
            if (errno == EINTR)
                continue;       /* the handler ran: see above */
            die("waitpid");
        }
        if (exitcode_of(status) != 0)
            failed++;
        i++;
    }

    if (named) {
        /* sem_close lets go of our handle; sem_unlink removes the name.
         * Without sem_unlink the semaphore outlives us. */
        if (sem_close(sem) == -1)
            die("sem_close");
        if (sem_unlink(name) == -1)
            die("sem_unlink %s", name);
        owner = 0;              /* gone: nothing left for unlink_at_exit */
    } else if (sem_destroy(sem) == -1) {
        die("sem_destroy");
    }

    if (stop_signal != 0) {
        say("%-10s (%ld): stopped by %s: workers ended, semaphore %s", "main",
            (long)getpid(), signal_name(stop_signal), named ? "unlinked" : "destroyed");
        shared_free(s, sizeof *s);
        /* Now die of the signal, as we would have without a handler, so
         * that our parent (a shell) sees how we ended. */
        handle_stops(SIG_DFL);
        raise(stop_signal);
    }
    if (failed)
        fatal("%d workers failed", failed);
    say("%-10s (%ld): most workers inside at once: %d (the limit is %ld)",
        "main", (long)getpid(), atomic_load(&s->most), slots);
    if (named)
        say("%-10s (%ld): semaphore %s unlinked", "main", (long)getpid(), name);
    if (atomic_load(&s->most) > slots)
        fatal("more workers inside than the semaphore allows");
    shared_free(s, sizeof *s);
    return 0;
}
