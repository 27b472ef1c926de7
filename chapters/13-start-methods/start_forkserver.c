/* start_forkserver.c - the forkserver start method: a clean server forks the children.
 *
 * The program forks ONE process first of all, while it is still small,
 * single-threaded and has nothing open: the fork server. Later, for each
 * child it wants, the requester makes a socket pair and hands one end to
 * the server over a Unix socket (sendmsg with SCM_RIGHTS: the kernel puts
 * a copy of the descriptor into the server). The server forks a child
 * from ITSELF, and the child talks to the requester through that end. So
 * the child is a copy of the clean server, not of the requester: it has
 * none of the requester's later state (a global changed since, threads,
 * locks held), and its parent is the server. Python's forkserver does the
 * same (multiprocessing/forkserver.py), and the server also reaps the
 * children and reports each one's exit code, which the requester cannot
 * wait for itself: they are not its children. The descriptor travels by
 * send_fd() and recv_fd(), in fd_pass.c beside this file.
 *
 * Python:  ctx = multiprocessing.get_context("forkserver")
 *          ctx.Process(target=square, args=(k, conn)).start()
 *          (start_forkserver.py)
 * Usage:   ./start_forkserver [-n CHILDREN]
 * Look for: every child's parent (getppid) is the server, not the
 *          requester; every child sees "setting = 1", as the server does.
 *          Racy: the order of the children's lines.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "fd_pass.h"

#define MAX_CHILDREN 16

static int setting = 1;         /* the requester sets 2 after the server started */

struct answer {                 /* what a child writes to the requester */
    pid_t pid, ppid;
    int setting;
    long result;
};

struct ended {                  /* what the server writes when it reaped one */
    pid_t pid;
    int exitcode;
};

static volatile sig_atomic_t stop_signal;       /* as in chapter 07 */

static void on_stop(int sig)
{
    stop_signal = sig;
}

static void handle_stops(void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;    /* no SA_RESTART: recvmsg, waitpid are interrupted */
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
        die("sigaction");
}

/* A child of the server: answer the requester through the end it sent. */
static void child(long k, int conn)
{
    struct answer a;
    char role[16];
    long arg;

    memset(&a, 0, sizeof a);    /* the padding too: every byte we write is set */
    a.pid = getpid();
    a.ppid = getppid();
    a.setting = setting;

    snprintf(role, sizeof role, "child %ld", k);
    if (read_full(conn, &arg, sizeof arg) != (ssize_t)sizeof arg)
        die_child("read the task");
    say("%-9s %-6ld  my parent is %ld; setting = %d", role, (long)a.pid, (long)a.ppid, a.setting);
    pace(0.5);                  /* the work */
    a.result = arg * arg;
    if (write_all(conn, &a, sizeof a) == -1)
        die_child("write");
}

/* Kill and reap the children still running; then die of the signal. */
static void stop_all(pid_t *pids, long n)
{
    for (long i = 0; i < n; i++)
        if (pids[i] != 0 && kill(pids[i], SIGTERM) == -1 && errno != ESRCH)
            die("kill");
    for (long i = 0; i < n; i++)
        while (pids[i] != 0 && waitpid(pids[i], NULL, 0) == -1)
            if (errno != EINTR)
                die("waitpid");
    handle_stops(SIG_DFL);
    raise(stop_signal);
}

/* The fork server: one request, one child; at the end of the requests,
 * reap them all and report each one's exit code. */
static void serve(int ctl, sigset_t *stops)
{
    pid_t pids[MAX_CHILDREN] = { 0 };
    long n = 0, k;
    int conn = -1, got;
    sigset_t old;

    say("%-9s %-6ld  fork server started: single-threaded, nothing open but its socket",
        "server", (long)getpid());
    while (n < MAX_CHILDREN && (got = recv_fd(ctl, &k, sizeof k, &conn)) != 0) {
        if (got == -1 && errno == EINTR)        /* a stop signal */
            stop_all(pids, n);
        if (got == -1)
            die_child("recvmsg");
        if (sigprocmask(SIG_BLOCK, stops, &old) == -1)
            die("sigprocmask");
        pids[n] = fork();
        if (pids[n] == -1)
            die("fork");
        if (pids[n] == 0) {
            handle_stops(SIG_DFL);
            if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
                die_child("sigprocmask");
            close(ctl);         /* the child talks to the requester only */
            child(k, conn);
            _exit(0);
        }
        if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
            die("sigprocmask");
        close(conn);            /* the child's now: ours would keep the socket open */
        say("%-9s %-6ld  request %ld: a descriptor came with it (SCM_RIGHTS); forked child %ld",
            "server", (long)getpid(), k, (long)pids[n]);
        if (write_all(ctl, &pids[n], sizeof pids[n]) == -1)
            die("write");
        n++;
    }
    for (long i = 0; i < n; i++) {
        struct ended e = { pids[i], 0 };
        int status;

        while (waitpid(pids[i], &status, 0) == -1) {
            if (errno != EINTR)
                die("waitpid");
            stop_all(pids, n);
        }
        pids[i] = 0;
        e.exitcode = exitcode_of(status);
        if (write_all(ctl, &e, sizeof e) == -1)
            die("write");
    }
    say("%-9s %-6ld  no more requests: %ld children reaped, each exit code sent back", "server",
        (long)getpid(), n);
}

int main(int argc, char *argv[])
{
    long n = 3, requested = 0, theirs = 0, right = 0, ended = 0;
    int ctl[2], conns[MAX_CHILDREN];
    pid_t server, kids[MAX_CHILDREN];
    sigset_t stops, old;
    struct ended e;
    int opt, status;
    bool ok;

    prog_init(argc, argv, "[-n CHILDREN]\n"
              "  -n CHILDREN  child processes, each forked by the fork server (default 3)\n"
              "Python: multiprocessing.get_context(\"forkserver\").Process "
              "(twin: start_forkserver.py)");
    while ((opt = get_option(argc, argv, "n:")) != -1)
        n = arg_long(optarg, opt, 1, MAX_CHILDREN);
    no_operands(argc, argv);

    /* First of all: the server, while we are small and clean. */
    handle_stops(on_stop);
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, ctl) == -1)
        die("socketpair");
    if (sigprocmask(SIG_BLOCK, &stops, &old) == -1)
        die("sigprocmask");
    server = fork();
    if (server == -1)
        die("fork");
    if (server == 0) {          /* it keeps our handler: it cleans up too */
        stop_signal = 0;
        if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
            die_child("sigprocmask");
        close(ctl[0]);
        serve(ctl[1], &stops);
        _exit(0);
    }
    close(ctl[1]);
    if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
        die("sigprocmask");

    setting = 2;                /* after the server started: no child sees it */
    say("%-9s %-6ld  server %ld started; setting = 2 now; asking it for %ld children",
        "requester", (long)getpid(), (long)server, n);
    for (long k = 1; k <= n && stop_signal == 0; k++) {
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
            die("socketpair");
        if (send_fd(ctl[0], &k, sizeof k, sv[1]) == -1)        /* fd_pass.c */
            die("sendmsg");
        close(sv[1]);           /* the server has its own copy now */
        conns[requested++] = sv[0];
        if (read_full(ctl[0], &kids[k - 1], sizeof kids[0]) != (ssize_t)sizeof kids[0]) {
            if (stop_signal != 0)
                break;          /* the server was stopped too */
            fatal("the server did not say which child it forked");
        }
        if (write_all(sv[0], &k, sizeof k) == -1)       /* the task's argument */
            die("write");
    }
    for (long i = 0; i < requested; i++) {
        struct answer a;
        ssize_t got = stop_signal == 0 ? read_full(conns[i], &a, sizeof a) : 0;

        close(conns[i]);
        if (stop_signal != 0)
            continue;
        if (got != (ssize_t)sizeof a) {
            say("%-9s %-6ld  child %ld gave no answer", "requester", (long)getpid(), i + 1);
            continue;
        }
        say("%-9s %-6ld  child %ld (%ld): square(%ld) = %ld (expected %ld); its parent: %ld",
            "requester", (long)getpid(), i + 1, (long)a.pid, i + 1, a.result, (i + 1) * (i + 1),
            (long)a.ppid);
        theirs += a.pid == kids[i] && a.ppid == server && a.ppid != getpid();
        right += a.setting == 1 && a.result == (i + 1) * (i + 1);
    }
    /* No more requests: the server reaps its children and reports them. */
    if (shutdown(ctl[0], SHUT_WR) == -1)
        die("shutdown");
    while (stop_signal == 0 && read_full(ctl[0], &e, sizeof e) == (ssize_t)sizeof e) {
        say("%-9s %-6ld  server reports: child %ld ended, exitcode %d", "requester",
            (long)getpid(), (long)e.pid, e.exitcode);
        ended += e.exitcode == 0;
    }
    if (stop_signal != 0 && kill(server, SIGTERM) == -1)
        die("kill");
    while (waitpid(server, &status, 0) == -1)
        if (errno != EINTR)
            die("waitpid");
    if (stop_signal != 0) {
        say("%-9s %-6ld  stopped by %s: the server stopped its children; all reaped",
            "requester", (long)getpid(), signal_name(stop_signal));
        handle_stops(SIG_DFL);
        raise(stop_signal);
    }
    ok = theirs == n && right == n && ended == n && exitcode_of(status) == 0;
    say("%-9s %-6ld  self-check: %ld/%ld children of server %ld, %ld/%ld right answers, "
        "%ld/%ld exit 0: %s", "requester", (long)getpid(), theirs, n, (long)server, right, n,
        ended, n, ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
