/* fork_threads.c - why fork() in a process with threads can deadlock the child.
 *
 * fork() copies the memory of the whole process but only the thread that
 * called it: in the child, every other thread is simply gone. A lock that
 * one of them held at that moment is copied as it was, LOCKED, and in the
 * child nobody will ever unlock it. The child's first attempt to take it
 * waits for ever. (malloc, stdio and many libraries have such locks inside.
 * POSIX therefore allows the child of a threaded parent only the
 * async-signal-safe functions until it calls exec; this demo breaks that
 * rule on purpose, to show what happens.) Here a thread takes a mutex and
 * says so, and only then does main fork: the child always hangs. The
 * parent waits for it with a time limit, reports the deadlock, kills and
 * reaps it. -m atfork is the fix for a lock you own: pthread_atfork
 * handlers take the lock just before fork() and release it just after, in
 * the parent and in the child, so the child's copy is never held by a
 * thread that is gone. Other ways out: exec right after fork (spawn,
 * chapter 10), or fork from a process without threads (start_forkserver).
 *
 * Python:  os.fork() in a process with threads (DeprecationWarning since
 *          3.12); os.register_at_fork(before=..., after_in_parent=...,
 *          after_in_child=...)  (fork_threads.py)
 * Usage:   ./fork_threads [-m deadlock|atfork] [-t SECONDS]
 * Look for: -m deadlock: the child says it takes the lock and never says
 *          it got it; the parent reports it after SECONDS and kills it.
 *          -m atfork: the child gets the lock. Racy: the order of the
 *          thread's and the child's lines.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int held[2], release[2];  /* thread -> main: "I hold it"; main -> thread: "let go" */

static volatile sig_atomic_t stop_signal;       /* as in chapter 07 */

static void on_stop(int sig)
{
    stop_signal = sig;
}

static void handle_stops(void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;    /* no SA_RESTART: poll and waitpid are interrupted */
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
        die("sigaction");
}

/* The other thread: it takes the lock, says so, and holds it until main
 * says "let go" (a logger writing a line, malloc growing its heap...). */
static void *holder(void *unused)
{
    char c = '!';

    (void)unused;
    check_pthread(pthread_mutex_lock(&lock), "pthread_mutex_lock");
    say("%-9s %-6ld  holds the lock", "thread", (long)getpid());
    if (write_all(held[1], &c, 1) == -1)
        die("write");
    if (read_full(release[0], &c, 1) == -1)     /* 1 byte, or 0 when main has gone */
        die("read");
    say("%-9s %-6ld  lets go of the lock (in this process)", "thread", (long)getpid());
    check_pthread(pthread_mutex_unlock(&lock), "pthread_mutex_unlock");
    return NULL;
}

/* -m atfork: the three handlers, run by fork() itself. */
static void before_fork(void)   /* in the parent, just before the copy */
{
    check_pthread(pthread_mutex_lock(&lock), "pthread_mutex_lock");
    say("%-9s %-6ld  atfork prepare: lock taken, so no other thread holds it now", "parent",
        (long)getpid());
}

static void after_fork(void)    /* in the parent and in the child: let go */
{
    check_pthread(pthread_mutex_unlock(&lock), "pthread_mutex_unlock");
}

/* The child: it says so on done_fd once it has the lock. Its alarm()
 * bounds it even if nobody is left to kill it (its parent killed by
 * SIGKILL): SIGALRM's default action ends it, SECONDS + 3 s after the fork,
 * well after the parent has given up on it (at SECONDS). */
static void child(int done_fd, double limit)
{
    char c = '!';

    alarm((unsigned)limit + 3);
    say("%-9s %-6ld  taking the lock...", "child", (long)getpid());
    check_pthread(pthread_mutex_lock(&lock), "pthread_mutex_lock");
    say("%-9s %-6ld  got the lock", "child", (long)getpid());
    check_pthread(pthread_mutex_unlock(&lock), "pthread_mutex_unlock");
    if (write_all(done_fd, &c, 1) == -1)
        die_child("write");
}

static void let_go(bool *told)
{
    char c = '!';

    if (!*told && write_all(release[1], &c, 1) == -1)
        die("write");
    *told = true;
}

int main(int argc, char *argv[])
{
    bool atfork = false, told = false, hung = false;
    double limit = 2.0, deadline;
    sigset_t stops, old;
    pthread_t thread;
    int done[2], opt, status, ready = 0;
    char c;
    pid_t pid;

    prog_init(argc, argv, "[-m deadlock|atfork] [-t SECONDS]\n"
              "  -m deadlock|atfork  fork as a thread holds the lock, or with pthread_atfork "
              "(default deadlock)\n"
              "  -t SECONDS          how long the parent waits for the child (default 2)\n"
              "Python: os.fork() with threads running; os.register_at_fork "
              "(twin: fork_threads.py)");
    while ((opt = get_option(argc, argv, "m:t:")) != -1) {
        if (opt == 't')
            limit = arg_double(optarg, opt, 0.1, 60);
        else if (strcmp(optarg, "deadlock") == 0 || strcmp(optarg, "atfork") == 0)
            atfork = optarg[0] == 'a';
        else
            usage_error("-m wants deadlock or atfork, not '%s'", optarg);
    }
    no_operands(argc, argv);

    handle_stops(on_stop);
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    if (pipe(held) == -1 || pipe(release) == -1 || pipe(done) == -1)
        die("pipe");
    say("%-9s %-6ld  -m %s: a thread takes the lock; %s", "parent", (long)getpid(),
        atfork ? "atfork" : "deadlock",
        atfork ? "fork()'s prepare handler waits for it" : "I fork while it holds it");
    if (atfork)
        check_pthread(pthread_atfork(before_fork, after_fork, after_fork), "pthread_atfork");

    /* The thread starts with SIGINT and SIGTERM blocked (it inherits our
     * mask), so that they always reach main, the one that cleans up. Then
     * the fork, with them still blocked (chapter 07 says why). */
    if (sigprocmask(SIG_BLOCK, &stops, &old) == -1)
        die("sigprocmask");
    check_pthread(pthread_create(&thread, NULL, holder, NULL), "pthread_create");
    if (read_full(held[0], &c, 1) != 1)         /* it holds the lock now */
        fatal("the thread did not take the lock");
    if (atfork)                 /* else before_fork would wait for ever too */
        let_go(&told);
    pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {             /* only a copy of THIS thread is here */
        handle_stops(SIG_DFL);
        if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
            die_child("sigprocmask");
        close(done[0]);
        child(done[1], limit);
        _exit(0);
    }
    if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
        die("sigprocmask");
    close(done[1]);
    say("%-9s %-6ld  forked child %ld; waiting for it, at most %g s", "parent",
        (long)getpid(), (long)pid, limit);
    let_go(&told);              /* our copy of the lock is free again soon */

    /* Wait for the child's word that it got the lock (or for its end: EOF
     * on done[0], without the word), with a time limit. */
    deadline = now_seconds() + limit;
    while (ready == 0 && stop_signal == 0) {
        double left = deadline - now_seconds();
        struct pollfd p = { done[0], POLLIN, 0 };

        if (left <= 0)
            break;
        ready = poll(&p, 1, (int)(left * 1000) + 1);
        if (ready == -1 && errno != EINTR)
            die("poll");
        if (ready == -1)
            ready = 0;          /* a stop signal: the loop ends */
    }
    if (ready == 1 && read(done[0], &c, 1) != 1)
        hung = true;            /* it ended without the lock: its alarm */
    if (ready == 0) {           /* no word in time, or we were asked to stop */
        hung = stop_signal == 0;
        if (hung) {
            say("%-9s %-6ld  child %ld has not ended after %g s: deadlocked in "
                "pthread_mutex_lock", "parent", (long)getpid(), (long)pid, limit);
            say("%-9s %-6ld  (its copy of the lock is held by a thread that the child does "
                "not have)", "parent", (long)getpid());
        }
        if (kill(pid, SIGKILL) == -1)
            die("kill");
    }
    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            die("waitpid");
    close(done[0]);
    check_pthread(pthread_join(thread, NULL), "pthread_join");
    close(held[0]);
    close(held[1]);
    close(release[0]);
    close(release[1]);
    if (stop_signal != 0) {
        say("%-9s %-6ld  stopped by %s: child killed and reaped, thread joined", "parent",
            (long)getpid(), signal_name(stop_signal));
        handle_stops(SIG_DFL);
        raise(stop_signal);
    }
    say("%-9s %-6ld  child %ld reaped: exitcode %d%s", "parent", (long)getpid(), (long)pid,
        exitcode_of(status), exitcode_of(status) == -SIGKILL ? " (killed by SIGKILL)" : "");
    if (atfork) {
        say("%-9s %-6ld  self-check: with pthread_atfork the child got the lock and ended: %s",
            "parent", (long)getpid(), !hung && exitcode_of(status) == 0 ? "OK" : "FAILED");
        return !hung && exitcode_of(status) == 0 ? 0 : 1;
    }
    say("%-9s %-6ld  self-check: the child deadlocked, was killed and reaped: %s", "parent",
        (long)getpid(), hung ? "OK" : "FAILED");
    return hung ? 0 : 1;
}
