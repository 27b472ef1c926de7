/* queue.c - the Queue of chapter 04 (see queue.h for the API and the model).
 *
 * How it works, in the order the code follows:
 *
 *  1. Layout. One shared mapping holds a header and the ring. Producers own
 *     `tail` (bytes written) and `puts` (messages written); consumers own
 *     `head` and `gets`. Each counter only grows (wrapping around size_t,
 *     which unsigned arithmetic handles), is written by its side under its
 *     side's lock, and is read by the other side without any lock: that is
 *     what C11 atomics are for. Fields that different sides write live on
 *     different cache lines, so that a producer's store does not slow down
 *     a consumer that only reads its own.
 *  2. Publishing. A producer copies the message into the ring first, then
 *     stores `puts` with release order; a consumer loads `puts` with
 *     acquire order before it reads the ring. So whoever sees the new count
 *     also sees the bytes (and symmetrically for `head`, which tells the
 *     producers that bytes may be overwritten).
 *  3. Waiting. A bell is a counter of sleepers plus a semaphore. A sleeper
 *     registers (sleepers + 1), checks its condition once more, then waits
 *     on the semaphore. The other side, after publishing, looks at the
 *     counter and posts the semaphore only if it is not 0. The two sides
 *     each store then load, with a full fence in between, so at least one
 *     of them sees the other's store: either the sleeper sees the new
 *     message and does not sleep, or the producer sees the sleeper and
 *     wakes it. No wake-up is lost, and none is sent when nobody sleeps.
 *  4. Dying. The locks are robust mutexes: if a process dies holding one,
 *     the next pthread_mutex_lock returns EOWNERDEAD. The queue then marks
 *     itself broken and wakes every sleeper (see queue.h, RESULTS).
 *
 * Why semaphores and not condition variables: glibc's process-shared
 * condition variables (2.25 and later) keep a reference for each waiter
 * that is blocked; a waiter that is killed never drops it, and a later
 * pthread_cond_signal can then wait for it forever (glibc bug 21422). A
 * semaphore holds nothing for its waiters: a killed sleeper leaves, at
 * worst, one wake-up that someone else receives for nothing.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
/* MAP_ANONYMOUS is in POSIX.1-2024 but not in POSIX.1-2008: glibc shows it
 * with _DEFAULT_SOURCE. Where it is missing, map_shared() falls back to a
 * POSIX shared-memory object. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "queue.h"

#define LINE 64                 /* a cache line, on the machines we know */
#ifndef SPINS
#define SPINS 100               /* lock attempts before sleeping on a lock */
#endif
#ifndef SPIN_WAIT
#define SPIN_WAIT 4000          /* looks at the other side before sleeping */
#endif

/* Where the processes of one side sleep (see 3. above). */
struct bell {
    atomic_uint sleepers;       /* registered, and not yet sent a wake-up */
    sem_t sem;                  /* one post = one wake-up */
};

/* One side: the producers' or the consumers'. */
struct side {
    /* Written and read only by this side's lock holder. */
    alignas(LINE) pthread_mutex_t lock;
    size_t other_pos;           /* the other side's pos and count, as last */
    size_t other_count;         /* seen: refreshed only when they say "no" */
    /* Written by this side, read by the other. */
    alignas(LINE) atomic_size_t pos;    /* bytes: tail (put) or head (get) */
    atomic_size_t count;                /* messages put, or got */
    /* Where this side's processes sleep; the other side rings it. */
    alignas(LINE) struct bell bell;
};

struct queue {
    struct side put, get;
    alignas(LINE) atomic_int broken;    /* 1 once a lock's owner died */
    size_t size;                /* ring bytes, a power of two */
    size_t maxsize;             /* messages, or 0 */
    size_t map_size;            /* the whole mapping, for munmap */
    alignas(LINE) unsigned char ring[];
};

const char *queue_result_name(enum queue_result r)
{
    switch (r) {
    case QUEUE_OK: return "OK";
    case QUEUE_EMPTY: return "Empty";
    case QUEUE_FULL: return "Full";
    case QUEUE_ERROR: return "error";
    }
    return "?";
}

/* ---- shared memory ------------------------------------------------------ */

static void *map_shared(size_t size)
{
    void *p;
#ifdef MAP_ANONYMOUS
    /* MAP_SHARED: fork() shares these pages with the children instead of
     * copying them; MAP_ANONYMOUS: no file behind them, zero-filled. */
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
#else
    /* A POSIX shared-memory object, unlinked as soon as it is open, with
     * SIGINT and SIGTERM held off meanwhile: no name is ever left behind. */
    static unsigned serial;
    char name[64];
    sigset_t block, old;
    int fd, err;

    snprintf(name, sizeof name, "/wb-queue-%ld-%u", (long)getpid(), serial++);
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &block, &old) == -1)
        return NULL;
    fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    err = errno;
    if (fd != -1)
        (void)shm_unlink(name);
    (void)sigprocmask(SIG_SETMASK, &old, NULL);
    if (fd == -1) {
        errno = err;
        return NULL;
    }
    p = MAP_FAILED;
    if (ftruncate(fd, (off_t)size) == 0)
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    err = errno;
    /* The mapping outlives its descriptor. A close that fails (it cannot,
     * for a descriptor just opened) would change nothing here. */
    (void)close(fd);
    errno = err;
    return p == MAP_FAILED ? NULL : p;
#endif
}

/* ---- creating and freeing ------------------------------------------------ */

static int init_lock(pthread_mutex_t *m)
{
    pthread_mutexattr_t attr;
    int err = pthread_mutexattr_init(&attr);

    /* PROCESS_SHARED: the mutex lives in shared memory and several
     * processes lock it. ROBUST: if its owner dies, the next locker hears
     * about it (EOWNERDEAD) instead of waiting forever. */
    if (err == 0)
        err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (err == 0)
        err = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    if (err == 0)
        err = pthread_mutex_init(m, &attr);
    (void)pthread_mutexattr_destroy(&attr);
    return err;
}

struct queue *queue_new(size_t maxsize, size_t bytes)
{
    struct queue *q;
    size_t size = QUEUE_DEFAULT_BYTES, map_size;
    int err;

    if (bytes > QUEUE_MAX_BYTES) {
        errno = EINVAL;
        return NULL;
    }
    if (bytes != 0)
        for (size = 64; size < bytes; size *= 2)
            continue;
    map_size = sizeof *q + size;
    q = map_shared(map_size);
    if (q == NULL)
        return NULL;
    /* The counters are read by other processes without a lock: they must
     * be atomic without a hidden lock of their own (which would be private
     * to each process). C11 calls such atomics lock-free and asks them to
     * work between processes too. */
    if (!atomic_is_lock_free(&q->put.pos) || !atomic_is_lock_free(&q->put.bell.sleepers)
        || !atomic_is_lock_free(&q->broken)) {
        (void)munmap(q, map_size);
        errno = ENOTSUP;
        return NULL;
    }
    q->size = size;
    q->maxsize = maxsize;
    q->map_size = map_size;
    atomic_init(&q->broken, 0);
    struct side *sides[2] = { &q->put, &q->get };
    for (int i = 0; i < 2; i++) {
        struct side *s = sides[i];
        err = init_lock(&s->lock);
        if (err != 0) {
            (void)munmap(q, map_size);
            errno = err;
            return NULL;
        }
        atomic_init(&s->pos, 0);
        atomic_init(&s->count, 0);
        atomic_init(&s->bell.sleepers, 0);
        /* pshared = 1: the semaphore is shared by processes; value 0: no
         * wake-up pending. */
        if (sem_init(&s->bell.sem, 1, 0) == -1) {
            err = errno;
            (void)munmap(q, map_size);
            errno = err;
            return NULL;
        }
    }
    return q;
}

int queue_free(struct queue *q)
{
    /* The mutexes and semaphores need no destroy: they hold nothing in the
     * kernel, and the memory they live in goes away with the last mapping. */
    return munmap(q, q->map_size);
}

size_t queue_max_message(const struct queue *q)
{
    return q->size - QUEUE_HEADER;
}

size_t queue_maxsize(const struct queue *q)
{
    return q->maxsize;
}

size_t queue_bytes(const struct queue *q)
{
    return q->size;
}

/* ---- time ---------------------------------------------------------------- */

static double mono_now(void)
{
    struct timespec t;

    (void)clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* sem_timedwait wants a moment on CLOCK_REALTIME: now + what is left. */
static struct timespec realtime_in(double seconds)
{
    struct timespec t;
    time_t whole;

    if (seconds < 0)
        seconds = 0;
    if (seconds > 1e6)                  /* keep tv_sec far from overflow */
        seconds = 1e6;
    whole = (time_t)seconds;
    (void)clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += whole;
    t.tv_nsec += (long)((seconds - (double)whole) * 1e9);
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

/* ---- a broken queue ------------------------------------------------------ */

/* Wake every sleeper of a bell (or up to n of them): take them off the
 * sleepers count, then post once for each. */
static void ring_bell(struct bell *b, unsigned n)
{
    unsigned seen = atomic_load_explicit(&b->sleepers, memory_order_relaxed);
    unsigned take;

    do {
        if (seen == 0)
            return;
        take = seen < n ? seen : n;
    } while (!atomic_compare_exchange_weak(&b->sleepers, &seen, seen - take));
    while (take-- > 0)
        (void)sem_post(&b->sem);    /* fails only with EOVERFLOW: enough posts */
}

static void mark_broken(struct queue *q)
{
    atomic_store(&q->broken, 1);
    atomic_thread_fence(memory_order_seq_cst);
    ring_bell(&q->put.bell, UINT_MAX);
    ring_bell(&q->get.bell, UINT_MAX);
}

/* ---- the locks ------------------------------------------------------------ */

/* Take a side's lock. Returns 0, or an errno value: EOWNERDEAD (the owner
 * died: the queue is now broken, and this caller is the first to know),
 * ENOTRECOVERABLE (broken before), ETIMEDOUT (only with a deadline: the
 * holder kept the lock past it, alive but stopped, say by SIGSTOP). A lock
 * is held only while messages are copied, never while anyone sleeps, so
 * without a deadline the wait is short. */
static int lock_side(struct queue *q, struct side *s, double deadline)
{
    int err = EBUSY;

    if (atomic_load_explicit(&q->broken, memory_order_acquire))
        return ENOTRECOVERABLE;
    /* A few tries usually get the lock without the system call (and the
     * sleep) that pthread_mutex_lock costs when the lock is taken. */
    for (int i = 0; i < SPINS && err == EBUSY; i++)
        err = pthread_mutex_trylock(&s->lock);
    if (err == EBUSY) {
        if (deadline < 0) {
            err = pthread_mutex_lock(&s->lock);
        } else {
            struct timespec until = realtime_in(deadline - mono_now());
            err = pthread_mutex_timedlock(&s->lock, &until);
        }
    }
    if (err == EOWNERDEAD) {
        /* We hold the lock now, but the dead owner may have left a message
         * half-copied. Do not call pthread_mutex_consistent: unlocking
         * makes the mutex unusable (ENOTRECOVERABLE) for everyone after. */
        mark_broken(q);
        (void)pthread_mutex_unlock(&s->lock);
        return EOWNERDEAD;
    }
    if (err == 0 && atomic_load_explicit(&q->broken, memory_order_acquire)) {
        (void)pthread_mutex_unlock(&s->lock);
        return ENOTRECOVERABLE;
    }
    return err;
}

static void unlock_side(struct side *s)
{
    (void)pthread_mutex_unlock(&s->lock);
}

/* ---- waiting ----------------------------------------------------------- */

/* The conditions sleepers wait for, checked with fresh values. */
static size_t room(struct queue *q)
{
    size_t head = atomic_load_explicit(&q->get.pos, memory_order_acquire);
    size_t tail = atomic_load_explicit(&q->put.pos, memory_order_relaxed);

    return q->size - (tail - head);
}

static int fits(struct queue *q, size_t need)
{
    size_t gets = atomic_load_explicit(&q->get.count, memory_order_acquire);
    size_t puts = atomic_load_explicit(&q->put.count, memory_order_relaxed);

    if (q->maxsize != 0 && puts - gets >= q->maxsize)
        return 0;
    return room(q) >= need;
}

static int has_message(struct queue *q)
{
    size_t puts = atomic_load_explicit(&q->put.count, memory_order_acquire);
    size_t gets = atomic_load_explicit(&q->get.count, memory_order_relaxed);

    return puts != gets;
}

/* Before sleeping, watch the other side's counter for a little while: on
 * another CPU it is probably about to change, and a sleep costs two system
 * calls and a wake-up that takes tens of microseconds. Returns 1 if ready. */
static int spin_for(struct queue *q, int (*ready)(struct queue *q, size_t need),
                    size_t need)
{
    for (int i = 0; i < SPIN_WAIT; i++)
        if (ready(q, need))
            return 1;
    return 0;
}

/* Sleep on side s's bell until the other side rings it or the deadline
 * passes, unless ready(q, need) is already true once registered. Called
 * without the lock. Returns 0 (look again), ETIMEDOUT, or ENOTRECOVERABLE. */
static int sleep_on(struct queue *q, struct side *s, double deadline,
                    int (*ready)(struct queue *q, size_t need), size_t need)
{
    struct bell *b = &s->bell;
    unsigned seen;
    int r;

    atomic_fetch_add(&b->sleepers, 1);
    /* Store (sleepers), fence, load (the other side's counter): the other
     * side does store (its counter), fence, load (sleepers). */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&q->broken))
        return ENOTRECOVERABLE;     /* stays registered: harmless now */
    if (ready(q, need)) {
        r = 0;
    } else {
        for (;;) {
            if (deadline < 0) {
                r = sem_wait(&b->sem);
            } else {
                double left = deadline - mono_now();
                struct timespec until;

                if (left <= 0) {
                    errno = ETIMEDOUT;
                    r = -1;
                } else {
                    until = realtime_in(left);
                    r = sem_timedwait(&b->sem, &until);
                }
            }
            if (r == 0)
                return 0;               /* woken: the waker unregistered us */
            if (errno == EINTR)
                continue;
            if (errno == ETIMEDOUT && deadline >= 0 && mono_now() < deadline)
                continue;               /* the wall clock ran ahead: wait on */
            break;
        }
        r = ETIMEDOUT;
    }
    /* Not woken by a post: unregister. If the count is already 0, a waker
     * took us off and its post is on the way; it will wake someone later
     * for nothing, which is harmless (every sleeper looks again). */
    seen = atomic_load_explicit(&b->sleepers, memory_order_relaxed);
    while (seen > 0 && !atomic_compare_exchange_weak(&b->sleepers, &seen, seen - 1))
        continue;
    return r;
}

/* After publishing, wake up to n sleepers of the other side, if any sleep.
 * The fence pairs with the one in sleep_on. */
static void wake(struct bell *b, unsigned n)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&b->sleepers, memory_order_relaxed) != 0)
        ring_bell(b, n);
}

static double deadline_of(double timeout)
{
    if (timeout < 0)
        return -1.0;
    return mono_now() + timeout;
}

/* ---- the ring ------------------------------------------------------------ */

static void ring_write(struct queue *q, size_t pos, const void *src, size_t n)
{
    size_t off = pos & (q->size - 1), first = q->size - off;

    if (n <= first) {
        memcpy(q->ring + off, src, n);
    } else {                            /* wraps around the end */
        memcpy(q->ring + off, src, first);
        memcpy(q->ring, (const unsigned char *)src + first, n - first);
    }
}

static void ring_read(const struct queue *q, size_t pos, void *dst, size_t n)
{
    size_t off = pos & (q->size - 1), first = q->size - off;

    if (n <= first) {
        memcpy(dst, q->ring + off, n);
    } else {
        memcpy(dst, q->ring + off, first);
        memcpy((unsigned char *)dst + first, q->ring, n - first);
    }
}

/* ---- put ----------------------------------------------------------------- */

/* With the put lock held: is there room for need bytes and one more
 * message? Looks at the consumers' counters only when the values seen last
 * time say no: most puts never touch the consumers' cache lines. */
static int room_for(struct queue *q, size_t tail, size_t puts, size_t need)
{
    struct side *p = &q->put;

    if ((q->maxsize == 0 || puts - p->other_count < q->maxsize)
        && q->size - (tail - p->other_pos) >= need)
        return 1;
    p->other_count = atomic_load_explicit(&q->get.count, memory_order_acquire);
    p->other_pos = atomic_load_explicit(&q->get.pos, memory_order_acquire);
    return (q->maxsize == 0 || puts - p->other_count < q->maxsize)
        && q->size - (tail - p->other_pos) >= need;
}

/* Map a failed lock or sleep to a result. */
static enum queue_result failed(int err, enum queue_result timed_out)
{
    if (err == ETIMEDOUT)
        return timed_out;
    errno = err;
    return QUEUE_ERROR;
}

enum queue_result queue_put_many(struct queue *q, const struct iovec *msgs,
                                 size_t n, size_t *done, double timeout)
{
    double deadline = deadline_of(timeout);
    size_t i = 0;
    enum queue_result result = QUEUE_OK;
    int err;

    for (size_t k = 0; k < n; k++)
        if (msgs[k].iov_len > queue_max_message(q)) {
            /* Refuse the whole call before anything goes in. */
            if (done != NULL)
                *done = 0;
            errno = EMSGSIZE;
            return QUEUE_ERROR;
        }
    while (i < n) {
        err = lock_side(q, &q->put, timeout > 0 ? deadline : -1.0);
        if (err != 0) {
            result = failed(err, QUEUE_FULL);
            break;
        }
        size_t tail = atomic_load_explicit(&q->put.pos, memory_order_relaxed);
        size_t puts = atomic_load_explicit(&q->put.count, memory_order_relaxed);
        size_t first = i;

        /* Copy in as many as fit, then publish them all with one store. */
        while (i < n && room_for(q, tail, puts, QUEUE_HEADER + msgs[i].iov_len)) {
            uint32_t len = (uint32_t)msgs[i].iov_len;

            ring_write(q, tail, &len, QUEUE_HEADER);
            ring_write(q, tail + QUEUE_HEADER, msgs[i].iov_base, len);
            tail += QUEUE_HEADER + len;
            puts++;
            i++;
        }
        if (i > first) {
            atomic_store_explicit(&q->put.pos, tail, memory_order_relaxed);
            /* release: a consumer that sees this count sees the bytes. */
            atomic_store_explicit(&q->put.count, puts, memory_order_release);
            wake(&q->get.bell, (unsigned)(i - first > UINT_MAX ? UINT_MAX : i - first));
        }
        unlock_side(&q->put);
        if (i == n)
            break;
        /* No room for msgs[i]: wait unless told not to. */
        if (timeout == 0) {
            result = QUEUE_FULL;
            break;
        }
        if (spin_for(q, fits, QUEUE_HEADER + msgs[i].iov_len))
            continue;
        err = sleep_on(q, &q->put, deadline, fits, QUEUE_HEADER + msgs[i].iov_len);
        if (err != 0) {
            result = failed(err, QUEUE_FULL);
            break;
        }
    }
    if (done != NULL)
        *done = i;
    return result;
}

enum queue_result queue_put(struct queue *q, const void *msg, size_t len,
                            double timeout)
{
    struct iovec one;

    one.iov_base = (void *)msg;         /* iovec has no const; we only read */
    one.iov_len = len;
    return queue_put_many(q, &one, 1, NULL, timeout);
}

/* ---- get ----------------------------------------------------------------- */

static int ready_to_get(struct queue *q, size_t need)
{
    (void)need;
    return has_message(q);
}

enum queue_result queue_get_many(struct queue *q, void *buf, size_t cap,
                                 struct iovec *msgs, size_t max, size_t *got,
                                 double timeout)
{
    double deadline = deadline_of(timeout);
    struct side *g = &q->get;
    unsigned char *out = buf;
    size_t taken = 0, used = 0;
    enum queue_result result = QUEUE_OK;
    int err;

    if (max == 0) {
        errno = EINVAL;
        if (got != NULL)
            *got = 0;
        return QUEUE_ERROR;
    }
    for (;;) {
        err = lock_side(q, g, timeout > 0 ? deadline : -1.0);
        if (err != 0) {
            result = failed(err, QUEUE_EMPTY);
            break;
        }
        size_t head = atomic_load_explicit(&g->pos, memory_order_relaxed);
        size_t gets = atomic_load_explicit(&g->count, memory_order_relaxed);

        if (g->other_count == gets)     /* empty as last seen: look again */
            g->other_count = atomic_load_explicit(&q->put.count, memory_order_acquire);
        /* Take messages while there are some and they fit in buf. */
        while (taken < max && g->other_count != gets) {
            uint32_t len;

            ring_read(q, head, &len, QUEUE_HEADER);
            if (len > cap - used)
                break;
            ring_read(q, head + QUEUE_HEADER, out + used, len);
            msgs[taken].iov_base = out + used;
            msgs[taken].iov_len = len;
            used += len;
            taken++;
            head += QUEUE_HEADER + len;
            gets++;
        }
        if (taken > 0) {
            atomic_store_explicit(&g->pos, head, memory_order_release);
            atomic_store_explicit(&g->count, gets, memory_order_release);
            /* Producers wait for different amounts of room: wake them all
             * (each one looks again; those that still do not fit sleep). */
            wake(&q->put.bell, UINT_MAX);
            /* Messages are left and consumers sleep: pass one on. */
            if (g->other_count != gets)
                wake(&g->bell, 1);
            unlock_side(g);
            break;
        }
        if (g->other_count != gets) {
            /* A message is there but buf is too small for it: it stays. */
            if (atomic_load(&g->bell.sleepers) != 0)
                ring_bell(&g->bell, 1);
            unlock_side(g);
            errno = EMSGSIZE;
            result = QUEUE_ERROR;
            break;
        }
        unlock_side(g);
        if (timeout == 0) {
            result = QUEUE_EMPTY;
            break;
        }
        if (spin_for(q, ready_to_get, 0))
            continue;
        err = sleep_on(q, g, deadline, ready_to_get, 0);
        if (err != 0) {
            result = failed(err, QUEUE_EMPTY);
            break;
        }
    }
    if (got != NULL)
        *got = taken;
    return result;
}

enum queue_result queue_get(struct queue *q, void *buf, size_t cap,
                            size_t *len, double timeout)
{
    struct iovec one;
    enum queue_result r = queue_get_many(q, buf, cap, &one, 1, NULL, timeout);

    if (r == QUEUE_OK && len != NULL)
        *len = one.iov_len;
    return r;
}

/* Half a second: short enough that an orphan leaves soon after main dies,
 * long enough that a waiting consumer costs nothing worth measuring. */
#define ORPHAN_CHECK 0.5

enum queue_result queue_get_many_unless_orphaned(struct queue *q, void *buf,
                                                 size_t cap, struct iovec *msgs,
                                                 size_t max, size_t *got,
                                                 pid_t parent)
{
    for (;;) {
        enum queue_result r = queue_get_many(q, buf, cap, msgs, max, got,
                                             ORPHAN_CHECK);

        if (r != QUEUE_EMPTY || getppid() != parent)
            return r;
    }
}

enum queue_result queue_get_unless_orphaned(struct queue *q, void *buf,
                                            size_t cap, size_t *len,
                                            pid_t parent)
{
    struct iovec one;
    enum queue_result r = queue_get_many_unless_orphaned(q, buf, cap, &one, 1,
                                                         NULL, parent);

    if (r == QUEUE_OK && len != NULL)
        *len = one.iov_len;
    return r;
}

/* ---- snapshots -------------------------------------------------------- */

size_t queue_qsize(const struct queue *q)
{
    struct queue *w = (struct queue *)q;    /* atomic loads do not write */
    /* gets first: every message counted there was counted in puts before,
     * so puts read afterwards is never smaller. */
    size_t gets = atomic_load(&w->get.count);
    size_t puts = atomic_load(&w->put.count);

    return puts - gets;
}

int queue_empty(const struct queue *q)
{
    return queue_qsize(q) == 0;
}

int queue_full(const struct queue *q)
{
    struct queue *w = (struct queue *)q;

    if (q->maxsize != 0 && queue_qsize(q) >= q->maxsize)
        return 1;
    return room(w) < QUEUE_HEADER;
}
