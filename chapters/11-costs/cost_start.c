/* cost_start.c - what a start method costs: a child that does nothing,
 * started and joined, by spawn and through a fork server (chapter 13).
 * The fork start method is cost_spawn's fork row.
 *
 * Rows:
 *   start_spawn       floor: posix_spawn + waitpid of this program with -h
 *                     (its help to /dev/null): a fresh start, nothing sent.
 *                     C: as chapter 13's start_spawn does it: a socket pair,
 *                     posix_spawn of this program with -R child and the socket
 *                     as its stdin, the task's name ("nothing") sent as a
 *                     frame; the child looks it up, runs it and ends; waitpid.
 *   start_forkserver  C: as chapter 13's start_forkserver does it: a server
 *                     forked once, before the clock starts; per child, a
 *                     socket pair, one end sent to the server (SCM_RIGHTS,
 *                     chapter 13's fd_pass.c), which forks the child and
 *                     writes its pid down that end; the task goes to the
 *                     child the same way; the server waits for the child and
 *                     writes its exit code down that end too: the requester's
 *                     join is reading it (Python's forkserver does the same).
 *                     This server serves one child at a time (it waits in
 *                     waitpid); Python's reaps on SIGCHLD and serves on. No
 *                     floor: a fork + waitpid is cost_spawn's fork row.
 *
 * Python:  get_context("spawn") and get_context("forkserver"),
 *          Process(target=nothing).start(); join() (cost_start.py)
 * Usage:   ./cost_start [-r ROW] [-s SCALE] [-p | -a] [-R parent|child]
 * Look for: spawn pays an exec and the program's start (C: a millisecond or
 * two; Python: a whole interpreter that imports the main module again);
 * the fork server pays a fork and three messages, where the fork row pays
 * the fork alone.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "bench.h"
#include "fd_pass.h"
#include "frame.h"

#define MSG_MAX 64

extern char **environ;

static const char *const rows[] = { "start_spawn", "start_forkserver", NULL };
static const char *const roles[] = { "parent", "child", NULL };

static void nothing(void)
{
}

/* What a child can run, by name (a function pointer means nothing in a
 * fresh program: chapter 13, start_spawn). */
static const struct {
    const char *name;
    void (*run)(void);
} known[] = { { "nothing", nothing } };

/* Read a task's name from fd and run it: 0; or 1, said on stderr, when no
 * task came or none is known by that name. It returns rather than exits:
 * in the fork server's child, exit() would run the server's atexit work. */
static int run_task(int fd)
{
    char msg[MSG_MAX + 1];
    size_t len;
    int got = frame_recv(fd, msg, MSG_MAX, &len);

    if (got != 1) {
        say_to(STDERR_FILENO, "%s: no task: %s", prog_name(),
               got == 0 ? "the parent has gone" : strerror(errno));
        return 1;
    }
    msg[len] = '\0';
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(msg, known[i].name) == 0) {
            known[i].run();
            return 0;
        }
    say_to(STDERR_FILENO, "%s: no function named '%s' here", prog_name(), msg);
    return 1;
}

/* -R child: a fresh copy started by spawn_one; stdin is its socket. */
static int spawned_child(void)
{
    struct stat st;

    if (fstat(STDIN_FILENO, &st) == -1)
        die("fstat");
    if (!S_ISSOCK(st.st_mode))
        usage_error("-R child: cost_start starts its copies so; stdin is then their socket");
    return run_task(STDIN_FILENO);
}

/* posix_spawn this program with args, its stdin (C) or stdout (floor) on
 * fd; a child bench.c knows of, with no signal blocked. */
static pid_t spawn_one(const char *argv0, char *args[], int fd, int target)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    sigset_t none;
    /* LINUX-ONLY: /proc/self/exe is this program file; elsewhere argv[0]
     * (chapter 13's start_spawn does the same). */
    const char *path = access("/proc/self/exe", X_OK) == 0 ? "/proc/self/exe" : argv0;
    pid_t pid;
    int err;

    sigemptyset(&none);
    if ((err = posix_spawn_file_actions_init(&actions)) != 0
        || (err = posix_spawn_file_actions_adddup2(&actions, fd, target)) != 0)
        check_pthread(err, "posix_spawn_file_actions");
    if ((err = posix_spawnattr_init(&attr)) != 0
        || (err = posix_spawnattr_setsigmask(&attr, &none)) != 0
        || (err = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK)) != 0)
        check_pthread(err, "posix_spawnattr");
    bench_hold();               /* SIGINT, SIGTERM wait until bench.c knows it */
    if (strchr(path, '/') != NULL)
        err = posix_spawn(&pid, path, &actions, &attr, args, environ);
    else
        err = posix_spawnp(&pid, path, &actions, &attr, args, environ);
    check_pthread(err, "posix_spawn");  /* it returns its error */
    bench_adopt(pid);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return pid;
}

/* Start and join n children by spawn; microseconds each. */
static double spawns(const char *argv0, int floor, long n)
{
    char *help[] = { (char *)argv0, "-h", NULL };
    char *child[] = { (char *)argv0, "-R", "child", NULL };
    double start = 0;

    for (int pass = 0; pass < 2; pass++) {      /* pass 0 is the warm-up */
        long count = pass == 0 ? n / 10 + 1 : n;
        start = now_seconds();
        for (long i = 0; i < count; i++) {
            int sv[2], null;
            if (floor) {
                if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1)
                    die("open /dev/null");
                bench_wait(spawn_one(argv0, help, null, STDOUT_FILENO));
                close(null);
                continue;
            }
            /* Close-on-exec: the child gets its end as stdin, nothing more. */
            if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
                die("socketpair");
            set_cloexec(sv[0]);
            set_cloexec(sv[1]);
            pid_t pid = spawn_one(argv0, child, sv[1], STDIN_FILENO);
            close(sv[1]);
            if (frame_send(sv[0], "nothing", 7) == -1)
                die("send the task");
            close(sv[0]);
            bench_wait(pid);    /* join: waitpid, and insist on exit code 0 */
        }
    }
    return bench_us_per_op(start, n);
}

/* The fork server: per request, fork a child that runs its task from the
 * end that came with the request; tell the requester the child's pid, then
 * its exit code, down that same end. Ends when the requester closes. */
static void serve(int ctl)
{
    long request;
    int conn, got, status;

    while ((got = recv_fd(ctl, &request, sizeof request, &conn)) != 0) {
        pid_t pid;
        int code;
        if (got == -1)
            die_child("recvmsg");
        if ((pid = fork()) == -1)
            die_child("fork");
        if (pid == 0) {         /* the child: its task comes on conn */
            close(ctl);
            _exit(run_task(conn));
        }
        if (write_all(conn, &pid, sizeof pid) == -1)
            die_child("write the pid");
        while (waitpid(pid, &status, 0) == -1)
            if (errno != EINTR)
                die_child("waitpid");
        code = exitcode_of(status);
        if (write_all(conn, &code, sizeof code) == -1)
            die_child("write the exit code");
        close(conn);
    }
}

/* Start and join n children through a fork server; microseconds each. */
static double forkserver(long n)
{
    int ctl[2];
    pid_t server;
    double start = 0;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, ctl) == -1)
        die("socketpair");
    set_cloexec(ctl[0]);
    set_cloexec(ctl[1]);
    if ((server = bench_fork()) == 0) {         /* dies with us */
        close(ctl[0]);
        serve(ctl[1]);
        _exit(0);
    }
    close(ctl[1]);
    for (int pass = 0; pass < 2; pass++) {
        long count = pass == 0 ? n / 10 + 1 : n;
        start = now_seconds();
        for (long i = 0; i < count; i++) {
            int sv[2], code;
            pid_t pid;
            if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
                die("socketpair");
            set_cloexec(sv[0]);
            set_cloexec(sv[1]);
            if (send_fd(ctl[0], &i, sizeof i, sv[1]) == -1)     /* fd_pass.c */
                die("sendmsg");
            close(sv[1]);       /* the server has its own copy now */
            if (read_full(sv[0], &pid, sizeof pid) != (ssize_t)sizeof pid)
                fatal("the fork server did not say which child it forked");
            if (frame_send(sv[0], "nothing", 7) == -1)
                die("send the task");
            /* join: the exit code, which the server reads from waitpid */
            if (read_full(sv[0], &code, sizeof code) != (ssize_t)sizeof code || code != 0)
                fatal("child %ld: no exit code, or not 0", (long)pid);
            close(sv[0]);
        }
    }
    close(ctl[0]);              /* end of requests: the server ends */
    bench_wait(server);
    return bench_us_per_op(start, n);
}

int main(int argc, char *argv[])
{
    int role;
    struct bench b = bench_init_role(argc, argv, rows, "multiprocessing.get_context(\"spawn\"), "
                                     "get_context(\"forkserver\") (twin: cost_start.py)", roles,
                                     &role);

    if (role == 1)              /* -R child */
        return spawned_child();
    if (bench_wants(&b, "start_spawn")) {
        long n = bench_count(&b, 200);
        bench_report("start_spawn", "floor", spawns(argv[0], 1, n), "us",
                     "posix_spawn + waitpid of this program -h");
        bench_report("start_spawn", "C", spawns(argv[0], 0, n), "us",
                     "posix_spawn -R child, task sent, waitpid");
    }
    if (bench_wants(&b, "start_forkserver"))
        bench_report("start_forkserver", "C", forkserver(bench_count(&b, 400)), "us",
                     "SCM_RIGHTS to a fork server; task; exit code back");
    return 0;
}
