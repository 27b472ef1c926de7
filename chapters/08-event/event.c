/* event.c - an Event that several processes share (see event.h; chapter 08).
 * SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "event.h"
#include "lock.h"               /* shared_mutex_init: chapter 06 */

/* Before it sleeps, a waiter looks at the flag up to SPINS times, calling
 * sched_yield() in between to let other processes (the setter, if it shares
 * our CPU) run. News that comes within microseconds is caught that way,
 * without the cost of sleeping and being woken: tens of microseconds when
 * the waker runs on another CPU (chapter 11 measures it). But sched_yield()
 * hands the CPU to any process that wants it, which may keep it for
 * milliseconds. So when spinning took longer than SPIN_LIMIT seconds, the
 * process goes straight to sleep for its next SKIP waits. */
#define SPINS 20
#define SPIN_LIMIT 500e-6
#define SKIP 100

/* Waits left without spinning. One per process (fork copies it): each
 * process learns for itself whether spinning pays where it runs. */
static int skip;

void shared_cond_init(pthread_cond_t *cond)
{
    pthread_condattr_t attr;

    check_pthread(pthread_condattr_init(&attr), "pthread_condattr_init");
    check_pthread(pthread_condattr_setpshared(&attr, PTHREAD_PROCESS_SHARED),
                  "pthread_condattr_setpshared");
    /* Timeouts on the monotonic clock: setting the date does not move them. */
    check_pthread(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC),
                  "pthread_condattr_setclock");
    check_pthread(pthread_cond_init(cond, &attr), "pthread_cond_init");
    check_pthread(pthread_condattr_destroy(&attr), "pthread_condattr_destroy");
}

void start_line_open(int line[2])
{
    if (pipe(line) == -1)
        die("pipe");
}

bool start_line_wait(int line[2])
{
    char byte;
    ssize_t got;

    /* Our copy of the write end first: else read() could wait for us. */
    if (close(line[1]) == -1)
        die_child("close");
    while ((got = read(line[0], &byte, 1)) == -1 && errno == EINTR)
        continue;
    if (got == -1)
        die_child("read");
    if (close(line[0]) == -1)
        die_child("close");
    return got == 1;            /* 0: end of file, the parent is gone */
}

void start_line_go(int line[2], int n)
{
    char go = '!';

    /* One byte per child: each takes one. */
    for (int i = 0; i < n; i++)
        if (write_all(line[1], &go, 1) == -1)
            die("write");
    if (close(line[0]) == -1 || close(line[1]) == -1)
        die("close");
}

void event_init(struct event *ev)
{
    shared_mutex_init(&ev->mutex, false);
    shared_cond_init(&ev->changed);
    atomic_init(&ev->flag, false);
}

void event_destroy(struct event *ev)
{
    check_pthread(pthread_cond_destroy(&ev->changed), "pthread_cond_destroy");
    check_pthread(pthread_mutex_destroy(&ev->mutex), "pthread_mutex_destroy");
}

void event_set(struct event *ev)
{
    /* The flag changes under the mutex, so it cannot change between a
     * waiter's last look at it and the moment that waiter is asleep on the
     * condition variable (pthread_cond_wait gives the mutex up only once
     * the waiter is asleep): no wakeup is lost. */
    check_pthread(pthread_mutex_lock(&ev->mutex), "pthread_mutex_lock");
    atomic_store(&ev->flag, true);
    check_pthread(pthread_mutex_unlock(&ev->mutex), "pthread_mutex_unlock");
    /* Wake EVERY waiter: they all wait for the same news. After the
     * unlock, so that a waiter that wakes finds the mutex free. (With
     * nobody asleep, a broadcast makes no system call.) */
    check_pthread(pthread_cond_broadcast(&ev->changed), "pthread_cond_broadcast");
}

void event_clear(struct event *ev)
{
    atomic_store(&ev->flag, false);
}

bool event_is_set(struct event *ev)
{
    return atomic_load(&ev->flag);
}

/* The short active wait before sleeping (see SPINS): true if the flag
 * is set. */
static bool spin_until_set(struct event *ev)
{
    bool set = atomic_load(&ev->flag);
    double start;

    if (set)
        return true;
    if (skip > 0) {
        skip--;
        return false;
    }
    start = now_seconds();
    for (int i = 0; i < SPINS && !set; i++) {
        sched_yield();
        set = atomic_load(&ev->flag);
    }
    if (now_seconds() - start > SPIN_LIMIT)
        skip = SKIP;            /* others want this CPU: spinning does not pay */
    return set;
}

void event_wait(struct event *ev)
{
    if (spin_until_set(ev))
        return;
    check_pthread(pthread_mutex_lock(&ev->mutex), "pthread_mutex_lock");
    /* A while, not an if: pthread_cond_wait may return without a
     * broadcast (a "spurious wakeup"), and the flag may have been cleared
     * again before we got the mutex back. */
    while (!atomic_load(&ev->flag))
        check_pthread(pthread_cond_wait(&ev->changed, &ev->mutex), "pthread_cond_wait");
    check_pthread(pthread_mutex_unlock(&ev->mutex), "pthread_mutex_unlock");
}

bool event_wait_timeout(struct event *ev, double seconds)
{
    /* One deadline for the whole wait, however many wakeups it takes. */
    struct timespec deadline = deadline_in(CLOCK_MONOTONIC, seconds);
    bool flag;
    int err = 0;

    if (spin_until_set(ev))
        return true;
    check_pthread(pthread_mutex_lock(&ev->mutex), "pthread_mutex_lock");
    while (!(flag = atomic_load(&ev->flag)) && err != ETIMEDOUT) {
        err = pthread_cond_timedwait(&ev->changed, &ev->mutex, &deadline);
        if (err != ETIMEDOUT)
            check_pthread(err, "pthread_cond_timedwait");
    }
    check_pthread(pthread_mutex_unlock(&ev->mutex), "pthread_mutex_unlock");
    return flag;
}
