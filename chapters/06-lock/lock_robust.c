/* lock_robust.c - a lock whose holder dies inside the critical section.
 *
 * The shared data is two amounts, a and b, with a + b = 100 whenever the
 * lock is free. A holder takes the lock and moves 10 from a to b: it notes
 * the move in a journal (moving = 10), takes 10 from a, and is killed by
 * SIGKILL before it adds 10 to b. Then a survivor asks for the lock. Each
 * kind of lock answers differently:
 *
 *   sem     a semaphore (what Python's Lock is): nobody will ever post it;
 *           the survivor would wait forever (here it gives up in time).
 *   plain   a process-shared pthread mutex: the same, forever.
 *   robust  a robust pthread mutex: the survivor gets it, and is told
 *           EOWNERDEAD: "its owner died; the data may be half-updated".
 *           It repairs the data from the journal, marks the mutex
 *           consistent and goes on.
 *   fcntl   a file lock: the kernel releases it when its holder dies, so
 *           the survivor gets it at once, but is told nothing: only the
 *           journal shows that the data is half-updated.
 *
 * Python:  none of its own: multiprocessing.Lock behaves as `sem` here, and
 *          lock.acquire(timeout=2) is how a Python survivor would give up.
 * Usage:   ./lock_robust [-m sem|plain|robust|fcntl|all]
 * Look for: sem and plain "would hang forever"; robust gets EOWNERDEAD and
 * repairs a + b to 100; fcntl gets the lock at once. Nothing is racy: the
 * survivor starts only after the holder is dead and reaped.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "lock.h"

enum kind { SEM, PLAIN, ROBUST, FCNTL, KINDS };
static const char *const kind_names[KINDS] = { "sem", "plain", "robust", "fcntl" };

struct shared {
    struct lock lock;           /* kind sem */
    pthread_mutex_t mutex;      /* kinds plain and robust */
    long a, b;                  /* a + b == 100 whenever the lock is free */
    long moving;                /* the journal: the amount in flight, or 0 */
};

#define GIVE_UP 2.0             /* seconds (times WORKBOOK_PACE) before the
                                   survivor stops waiting for a dead holder */

/* An fcntl() lock on the whole file: F_SETLKW waits for it, F_SETLK asks
 * without waiting. It belongs to the process: the kernel drops it when the
 * process ends, however it ends. */
static int file_lock(int fd, int cmd)
{
    struct flock fl;

    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;        /* exclusive */
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 0;               /* 0: to the end of the file, however long */
    return fcntl(fd, cmd, &fl);
}

static void show(const char *role, const struct shared *s)
{
    say("%-8s (%ld): a = %ld, b = %ld, moving = %ld: a + b = %ld%s", role,
        (long)getpid(), s->a, s->b, s->moving, s->a + s->b,
        s->a + s->b == 100 ? ", as it should be" : ", HALF-UPDATED");
}

/* The holder: take the lock, start the move, tell the parent, and wait to
 * be killed. It waits by reading a pipe whose write end the parent holds,
 * so that if the parent dies first, read returns 0 and the holder leaves
 * too: no orphan is left behind. */
static noreturn void holder(enum kind kind, struct shared *s, int fd, int ready, int never)
{
    char byte;

    switch (kind) {
    case SEM:
        lock_acquire(&s->lock);
        break;
    case PLAIN:
    case ROBUST:
        check_pthread(pthread_mutex_lock(&s->mutex), "pthread_mutex_lock");
        break;
    default:
        if (file_lock(fd, F_SETLKW) == -1)
            die_child("fcntl F_SETLKW");
    }
    s->moving = 10;             /* the journal first, then the data */
    s->a -= 10;
    say("%-8s (%ld): holds the %s lock; took 10 from a, and dies before adding it to b",
        "holder", (long)getpid(), kind_names[kind]);
    if (write(ready, "!", 1) == -1)
        die_child("write");
    if (read(never, &byte, 1) == -1)    /* the parent kills us in here */
        die_child("read");
    _exit(1);                   /* the parent died first */
}

/* Put the data right: finish the move the journal describes. */
static void repair(struct shared *s)
{
    show("survivor", s);
    if (s->moving != 0) {
        s->b += s->moving;
        s->moving = 0;
        say("%-8s (%ld): repaired: finished the move the journal describes",
            "survivor", (long)getpid());
        show("survivor", s);
    }
}

static void would_hang(const struct shared *s)
{
    say("%-8s (%ld): still not free after %g s: it would hang forever",
        "survivor", (long)getpid(), GIVE_UP * pace_factor());
    show("survivor", s);
}

static void survivor(enum kind kind, struct shared *s, int fd)
{
    struct timespec deadline;
    int err;

    say("%-8s (%ld): asks for the %s lock", "survivor", (long)getpid(), kind_names[kind]);
    switch (kind) {
    case SEM:
        /* Python: lock.acquire(timeout=2) returns False. */
        if (lock_acquire_timeout(&s->lock, GIVE_UP * pace_factor()))
            fatal("the semaphore was released: nobody should have");
        would_hang(s);
        break;
    case PLAIN:
        deadline = deadline_in(CLOCK_REALTIME, GIVE_UP * pace_factor());
        err = pthread_mutex_timedlock(&s->mutex, &deadline);
        if (err == 0)
            fatal("the mutex was released: nobody should have");
        if (err != ETIMEDOUT)
            check_pthread(err, "pthread_mutex_timedlock");
        would_hang(s);
        break;
    case ROBUST:
        err = pthread_mutex_lock(&s->mutex);
        if (err == 0)
            fatal("pthread_mutex_lock returned 0, not EOWNERDEAD");
        if (err != EOWNERDEAD)
            check_pthread(err, "pthread_mutex_lock");
        say("%-8s (%ld): pthread_mutex_lock: EOWNERDEAD: we hold it, and its last owner died",
            "survivor", (long)getpid());
        repair(s);
        /* Tell the mutex the data is whole again. Unlocking without this
         * would make the mutex unusable for good (ENOTRECOVERABLE). */
        check_pthread(pthread_mutex_consistent(&s->mutex), "pthread_mutex_consistent");
        check_pthread(pthread_mutex_unlock(&s->mutex), "pthread_mutex_unlock");
        check_pthread(pthread_mutex_lock(&s->mutex), "pthread_mutex_lock");
        say("%-8s (%ld): marked it consistent; it locks normally again: the program goes on",
            "survivor", (long)getpid());
        check_pthread(pthread_mutex_unlock(&s->mutex), "pthread_mutex_unlock");
        break;
    default:
        if (file_lock(fd, F_SETLK) == -1)
            die("fcntl F_SETLK (the lock should be free)");
        say("%-8s (%ld): got it at once: the kernel released it when the holder died",
            "survivor", (long)getpid());
        say("%-8s (%ld): but nothing said the holder died: only the journal shows it",
            "survivor", (long)getpid());
        repair(s);
    }
}

static void run_case(enum kind kind)
{
    struct shared *s = shared_alloc(sizeof *s);
    int ready[2], never[2];
    int fd = -1, status;
    char byte;
    pid_t pid;

    s->a = 100;
    lock_init(&s->lock);
    /* Robust or not: the one difference between the plain and robust cases
     * (shared_mutex_init, lock.c, sets PTHREAD_MUTEX_ROBUST). */
    shared_mutex_init(&s->mutex, kind == ROBUST);
    if (kind == FCNTL)
        fd = unnamed_file("lock_robust");      /* the file to lock */
    if (pipe(ready) == -1 || pipe(never) == -1)
        die("pipe");

    say("--- %s: %s", kind_names[kind],
        kind == SEM ? "a semaphore, as Python's Lock" :
        kind == PLAIN ? "a process-shared pthread mutex" :
        kind == ROBUST ? "a robust process-shared pthread mutex" : "an fcntl() file lock");
    show("main", s);
    pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        /* Close the ends we do not use; never[1] above all, so that
         * read(never) sees EOF when the parent dies. */
        if (close(ready[0]) == -1 || close(never[1]) == -1)
            die_child("close");
        holder(kind, s, fd, ready[1], never[0]);
    }
    if (close(ready[1]) == -1 || close(never[0]) == -1)
        die("close");

    /* Wait until the holder holds the lock, then kill it: SIGKILL cannot
     * be caught, so nothing in the holder gets a chance to clean up. */
    if (read(ready[0], &byte, 1) != 1)
        die("read (the holder did not take the lock)");
    if (kill(pid, SIGKILL) == -1)
        die("kill");
    if (waitpid(pid, &status, 0) == -1)
        die("waitpid");
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
        fatal("the holder was not killed by SIGKILL");
    say("%-8s (%ld): holder %ld killed by SIGKILL while holding the lock", "main",
        (long)getpid(), (long)pid);

    survivor(kind, s, fd);

    if (close(ready[0]) == -1 || close(never[1]) == -1)
        die("close");
    if (fd != -1 && close(fd) == -1)
        die("close");
    lock_destroy(&s->lock);
    /* A plain mutex whose owner died stays locked for good, and a locked
     * mutex may not be destroyed: its memory is simply unmapped. */
    if (kind != PLAIN)
        check_pthread(pthread_mutex_destroy(&s->mutex), "pthread_mutex_destroy");
    shared_free(s, sizeof *s);
}

int main(int argc, char *argv[])
{
    int first = SEM, last = FCNTL;
    int opt;

    prog_init(argc, argv, "[-m sem|plain|robust|fcntl|all]\n"
              "  -m sem|plain|robust|fcntl|all  the kind of lock whose holder dies (default all)\n"
              "Python: no Python twin: multiprocessing.Lock is the sem kind, "
              "and has no robust one");
    while ((opt = get_option(argc, argv, "m:")) != -1) {
        first = SEM;
        last = FCNTL;
        if (strcmp(optarg, "all") == 0)
            continue;
        for (first = 0; first < KINDS && strcmp(optarg, kind_names[first]) != 0; first++)
            ;
        if (first == KINDS)
            usage_error("-m wants sem, plain, robust, fcntl or all, not '%s'", optarg);
        last = first;
    }
    no_operands(argc, argv);

    for (int kind = first; kind <= last; kind++)
        run_case((enum kind)kind);
    return 0;
}
