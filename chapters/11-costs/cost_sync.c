/* cost_sync.c - what a Lock, a Semaphore and an Event cost.
 *
 * Rows:
 *   lock       acquire + release of a free lock, one process. floor: sem_wait
 *              + sem_post on a process-shared semaphore; C: lock_acquire +
 *              lock_release (chapters/06-lock/lock.c)
 *   lock_2     the same, two processes on two CPUs hammering one lock: a
 *              pair may have to sleep in the kernel and be woken by the other
 *   sem        acquire + release of a Semaphore(1), one process. floor: an
 *              unnamed semaphore (sem_init); C: a named one (sem_open, then
 *              sem_unlink at once), as chapter 07 and Python make it
 *   sem_2      ... two processes on two CPUs
 *   event_rt   a round trip made of two events: the parent sets one and
 *              waits on the other, the child waits on the first, clears it
 *              and sets the second. floor: sem_post + sem_wait of two
 *              semaphores; C: event_set/event_wait/event_clear
 *              (chapters/08-event/event.c)
 *
 * Python:  multiprocessing Lock, Semaphore, Event (cost_sync.py)
 * Usage:   ./cost_sync [-r ROW] [-s SCALE] [-p | -a]
 * Look for: a free lock costs a few nanoseconds and no system call (an
 * atomic instruction on shared memory); only a holder that has to wait
 * enters the kernel. With two processes per lock, the figure depends on
 * how often they collide, which is not fixed: watch the spread.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"
#include "bench.h"
#include "event.h"
#include "lock.h"

static const char *const rows[] = { "lock", "lock_2", "sem", "sem_2", "event_rt", NULL };

/* What the processes share: every kind of lock measured, and two
 * semaphores to start the contenders together. */
struct shared {
    sem_t raw;                  /* the floor: a bare semaphore, value 1  */
    sem_t ping, pong;           /* the floor of event_rt                 */
    sem_t ready, go;            /* the contenders' starting line         */
    struct lock lock;           /* chapter 06                            */
    struct event ping_ev, pong_ev;      /* chapter 08                    */
};

enum kind { RAW, LOCK, NAMED };

/* The named semaphore of the sem rows (sem_open maps it: after fork, the
 * children share it as they share the unnamed ones). */
static sem_t *named;

static void wait_sem(sem_t *s)
{
    /* A signal interrupts sem_wait with EINTR: wait again. */
    while (sem_wait(s) == -1)
        if (errno != EINTR)
            die("sem_wait");
}

static void post_sem(sem_t *s)
{
    if (sem_post(s) == -1)
        die("sem_post");
}

static void pairs(struct shared *sh, enum kind kind, long n)
{
    for (long i = 0; i < n; i++) {
        switch (kind) {
        case RAW:
            wait_sem(&sh->raw);
            post_sem(&sh->raw);
            break;
        case LOCK:
            lock_acquire(&sh->lock);
            lock_release(&sh->lock);
            break;
        case NAMED:
            wait_sem(named);
            post_sem(named);
            break;
        }
    }
}

/* One process, nobody else: nanoseconds per acquire + release, for the
 * floor and for one other kind. A few nanoseconds are easily swayed by
 * what happens around them (the CPU's clock speeding up, an interrupt), so
 * the two are measured in turns, SLICES slices each, and each gets the
 * median of its slices: whatever drifts during the run touches both. */
#define SLICES 9

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static void alone(struct shared *sh, enum kind kind, long n, double *floor_ns, double *kind_ns)
{
    double t[2][SLICES], start;
    long slice = n / SLICES + 1;

    pairs(sh, RAW, n / 10 + 1);         /* warm-up */
    pairs(sh, kind, n / 10 + 1);
    for (int i = 0; i < SLICES; i++)
        for (int k = 0; k < 2; k++) {
            start = now_seconds();
            pairs(sh, k == 0 ? RAW : kind, slice);
            t[k][i] = bench_us_per_op(start, slice) * 1000.0;
        }
    qsort(t[0], SLICES, sizeof t[0][0], by_value);
    qsort(t[1], SLICES, sizeof t[1][0], by_value);
    *floor_ns = t[0][SLICES / 2];
    *kind_ns = t[1][SLICES / 2];
}

/* Two children, n pairs each, started together: nanoseconds per pair.
 * Each on a CPU of its own (unless -p put everything on one), or else the
 * scheduler may well run them one after the other, and they never meet. */
static double two(const struct bench *b, struct shared *sh, enum kind kind, long n)
{
    pid_t pid[2];
    double start;

    for (int i = 0; i < 2; i++) {
        pid[i] = bench_fork();
        if (pid[i] == 0) {
            if (!b->pin && cpus_allowed() >= 2 && pin_to_cpu(i) == -1)
                die_child("sched_setaffinity");
            pairs(sh, kind, n / 10 + 1);        /* warm-up, alone or not */
            post_sem(&sh->ready);
            wait_sem(&sh->go);
            pairs(sh, kind, n);
            _exit(0);           /* not exit: the parent's stdio is not ours */
        }
    }
    wait_sem(&sh->ready);
    wait_sem(&sh->ready);
    start = now_seconds();
    post_sem(&sh->go);
    post_sem(&sh->go);
    bench_wait(pid[0]);
    bench_wait(pid[1]);
    return bench_us_per_op(start, 2 * n) * 1000.0;
}

/* event_rt: the parent sets ping and waits for pong, n times; the child
 * answers each ping. With semaphores (the floor) or with Events. */
static double ping_pong(struct shared *sh, int events, long n)
{
    long warm = n / 10 + 1;
    pid_t pid = bench_fork();
    double start = 0.0;

    if (pid == 0) {
        for (long i = 0; i < warm + n; i++) {
            if (events) {
                event_wait(&sh->ping_ev);
                event_clear(&sh->ping_ev);      /* before answering: the */
                event_set(&sh->pong_ev);        /* next ping comes after */
            } else {
                wait_sem(&sh->ping);
                post_sem(&sh->pong);
            }
        }
        _exit(0);
    }
    for (long i = 0; i < warm + n; i++) {
        if (i == warm)
            start = now_seconds();
        if (events) {
            event_set(&sh->ping_ev);
            event_wait(&sh->pong_ev);
            event_clear(&sh->pong_ev);
        } else {
            post_sem(&sh->ping);
            wait_sem(&sh->pong);
        }
    }
    bench_wait(pid);
    return bench_us_per_op(start, n);
}

/* A named semaphore, as Python and chapter 07 make one: sem_open, then
 * sem_unlink at once, so the name never outlives this moment. SIGINT and
 * SIGTERM wait while it exists, so an interrupt cannot leave it behind. */
static sem_t *open_named(void)
{
    char name[64];
    sigset_t block, old;
    sem_t *s;

    snprintf(name, sizeof name, "/wb-costs-%ld", (long)getpid());
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &block, &old) == -1)
        die("sigprocmask");
    s = sem_open(name, O_CREAT | O_EXCL, 0600, 1);
    if (s == SEM_FAILED)
        die("sem_open %s", name);
    if (sem_unlink(name) == -1)
        die("sem_unlink %s", name);
    if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
        die("sigprocmask");
    return s;
}

int main(int argc, char *argv[])
{
    struct bench b = bench_init(argc, argv, rows, "multiprocessing Lock, Semaphore "
                                "and Event (twin: cost_sync.py)");
    struct shared *sh = shared_alloc(sizeof *sh);

    /* pshared = 1: used by several processes through shared memory. */
    if (sem_init(&sh->raw, 1, 1) == -1 || sem_init(&sh->ping, 1, 0) == -1
        || sem_init(&sh->pong, 1, 0) == -1 || sem_init(&sh->ready, 1, 0) == -1
        || sem_init(&sh->go, 1, 0) == -1)
        die("sem_init");
    lock_init(&sh->lock);
    event_init(&sh->ping_ev);
    event_init(&sh->pong_ev);
    named = open_named();

    if (bench_wants(&b, "lock")) {
        long n = bench_count(&b, 2000000);
        double floor_ns, c_ns;
        alone(sh, LOCK, n, &floor_ns, &c_ns);
        bench_report("lock", "floor", floor_ns, "ns", "sem_wait + sem_post, free semaphore");
        bench_report("lock", "C", c_ns, "ns", "lock_acquire + lock_release, free lock");
    }
    if (bench_wants(&b, "lock_2")) {
        long n = bench_count(&b, 1000000);
        bench_report("lock_2", "floor", two(&b, sh, RAW, n), "ns", "sem_wait + sem_post, 2 processes, per pair");
        bench_report("lock_2", "C", two(&b, sh, LOCK, n), "ns", "lock_acquire + lock_release, 2 processes, per pair");
    }
    if (bench_wants(&b, "sem")) {
        long n = bench_count(&b, 2000000);
        double floor_ns, c_ns;
        alone(sh, NAMED, n, &floor_ns, &c_ns);
        bench_report("sem", "floor", floor_ns, "ns", "sem_wait + sem_post, unnamed semaphore");
        bench_report("sem", "C", c_ns, "ns", "sem_wait + sem_post, named semaphore");
    }
    if (bench_wants(&b, "sem_2")) {
        long n = bench_count(&b, 1000000);
        bench_report("sem_2", "floor", two(&b, sh, RAW, n), "ns", "sem_wait + sem_post, unnamed, 2 processes, per pair");
        bench_report("sem_2", "C", two(&b, sh, NAMED, n), "ns", "sem_wait + sem_post, named, 2 processes, per pair");
    }
    if (bench_wants(&b, "event_rt")) {
        long n = bench_count(&b, 5000);
        bench_report("event_rt", "floor", ping_pong(sh, 0, n), "us", "sem_post + sem_wait on two semaphores");
        bench_report("event_rt", "C", ping_pong(sh, 1, n), "us", "event_set + event_wait + event_clear, two events");
    }

    if (sem_close(named) == -1)
        die("sem_close");
    event_destroy(&sh->ping_ev);
    event_destroy(&sh->pong_ev);
    lock_destroy(&sh->lock);
    if (sem_destroy(&sh->raw) == -1 || sem_destroy(&sh->ping) == -1
        || sem_destroy(&sh->pong) == -1 || sem_destroy(&sh->ready) == -1
        || sem_destroy(&sh->go) == -1)
        die("sem_destroy");
    shared_free(sh, sizeof *sh);
    return 0;
}
