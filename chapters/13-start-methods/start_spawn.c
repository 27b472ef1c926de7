/* start_spawn.c - the spawn start method: the child is a FRESH copy of the program.
 *
 * posix_spawn() starts this same program anew, as Python's "spawn" starts
 * a new interpreter: no memory is copied, so a global the parent changed
 * is back at its value in the program file. Everything the child needs
 * must be SENT: the parent passes "-r child" on its command line (Python:
 * --multiprocessing-fork) and writes the task down a socket that becomes
 * the child's standard input (Python pickles the target and its arguments
 * down a pipe). A function pointer means nothing in another process (its
 * addresses differ: ASLR), so the task names its function, "square", and
 * the child looks the name up, as unpickling looks up module.function.
 *
 * Python:  ctx = multiprocessing.get_context("spawn")
 *          ctx.Process(target=square, args=(k, conn)).start()
 *          (start_spawn.py)
 * Usage:   ./start_spawn [-n CHILDREN] [-r parent|child]
 * Look for: every child sees "setting = 1" although the parent set 2
 *          before it started them (the opposite of start_fork); each
 *          child's task arrives as text. Racy: the order of the children.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "frame.h"

#define MAX_CHILDREN 16
#define MSG_MAX 128

extern char **environ;

/* The global of the lesson: 1 in the program file; the parent sets it to 2
 * before it starts the children. A spawned child starts from the file. */
static int setting = 1;

static volatile sig_atomic_t stop_signal;       /* as in chapter 07 */

static void on_stop(int sig)
{
    stop_signal = sig;
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

static long square(long k)
{
    return k * k;
}

/* What a child can run, by name: unpickling a function looks it up the
 * same way (import the module, take the attribute). A lambda or a local
 * function has no name to look up: Python refuses to pickle it. */
static const struct {
    const char *name;
    long (*run)(long);
} known[] = { { "square", square } };

/* -r child: stdin is our end of the socket. Read the task, run it, answer. */
static int run_child(void)
{
    char msg[MSG_MAX + 1], name[32], role[32];
    size_t len;
    long arg;
    struct stat st;

    if (fstat(STDIN_FILENO, &st) == -1)
        die("fstat");
    if (!S_ISSOCK(st.st_mode))
        usage_error("-r child: start_spawn starts its children so; stdin is then its socket");
    switch (frame_recv(STDIN_FILENO, msg, MSG_MAX, &len)) {
    case -1: die("read the task");
    case 0: fatal("no task: the parent has gone");
    }
    msg[len] = '\0';
    if (sscanf(msg, "%31s %ld", name, &arg) != 2)
        fatal("bad task '%s'", msg);
    snprintf(role, sizeof role, "child %ld", arg);
    say("%-9s %-6ld  started afresh, task \"%s\" received; setting = %d (%s)", role,
        (long)getpid(), msg, setting, setting == 1 ? "from the program file" : "a copy?");
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(name, known[i].name) == 0) {
            long result = known[i].run(arg);

            pace(0.5);          /* the work */
            len = (size_t)snprintf(msg, sizeof msg, "%ld %d", result, setting);
            if (frame_send(STDIN_FILENO, msg, len) == -1)
                die("send the answer");
            return 0;
        }
    }
    fatal("no function named '%s' here", name);
}

/* Start one fresh copy of this program: posix_spawn (fork and exec in one
 * call; chapter 10). Its stdin is sock; every other descriptor of ours is
 * close-on-exec, so the child has 0, 1 and 2 only. */
static pid_t spawn_child(const char *argv0, int sock)
{
    posix_spawn_file_actions_t actions;
    char *args[] = { (char *)argv0, "-r", "child", NULL };
    /* LINUX-ONLY: /proc/self/exe is this very program file, wherever it
     * was started from. Elsewhere (macOS) it does not exist, and we run
     * argv[0] instead: a path, or a name searched in PATH (posix_spawnp). */
    const char *path = access("/proc/self/exe", X_OK) == 0 ? "/proc/self/exe" : argv0;
    pid_t pid;
    int err;

    if ((err = posix_spawn_file_actions_init(&actions)) != 0)
        check_pthread(err, "posix_spawn_file_actions_init");
    if ((err = posix_spawn_file_actions_adddup2(&actions, sock, STDIN_FILENO)) != 0)
        check_pthread(err, "posix_spawn_file_actions_adddup2");
    /* The signal handlers need nothing: exec puts a caught signal back to
     * its default action (a handler's code is not in the new program). */
    if (strchr(path, '/') != NULL)
        err = posix_spawn(&pid, path, &actions, NULL, args, environ);
    else
        err = posix_spawnp(&pid, path, &actions, NULL, args, environ);
    check_pthread(err, "posix_spawn");  /* it returns its error, as pthreads do */
    posix_spawn_file_actions_destroy(&actions);
    return pid;
}

int main(int argc, char *argv[])
{
    long n = 3, started = 0, good = 0;
    pid_t pids[MAX_CHILDREN];
    int socks[MAX_CHILDREN];
    int opt;
    int as_child = 0;

    prog_init(argc, argv, "[-n CHILDREN] [-r parent|child]\n"
              "  -n CHILDREN      child processes, each a fresh copy of this program (default 3)\n"
              "  -r parent|child  the part this copy plays; it starts its children with "
              "-r child (default parent)\n"
              "Python: multiprocessing.get_context(\"spawn\").Process (twin: start_spawn.py)");
    while ((opt = get_option(argc, argv, "n:r:")) != -1) {
        if (opt == 'n')
            n = arg_long(optarg, opt, 1, MAX_CHILDREN);
        else if (strcmp(optarg, "parent") == 0 || strcmp(optarg, "child") == 0)
            as_child = optarg[0] == 'c';
        else
            usage_error("-r wants parent or child, not '%s'", optarg);
    }
    no_operands(argc, argv);
    if (as_child)
        return run_child();

    handle_stops(on_stop);
    say("%-9s %-6ld  setting = %d (its value in the program file)", "parent",
        (long)getpid(), setting);
    setting = 2;                /* just before the start: does the child see it? */
    say("%-9s %-6ld  setting = 2 now; starting %ld fresh copies with posix_spawn()", "parent",
        (long)getpid(), n);

    for (long k = 1; k <= n && stop_signal == 0; k++) {
        int sv[2];
        char task[MSG_MAX];
        int len;

        /* One socket for both ways (Python's Pipe() is a socketpair too).
         * Close-on-exec: no other child inherits this one's end. */
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
            die("socketpair");
        set_cloexec(sv[0]);
        set_cloexec(sv[1]);
        pids[started] = spawn_child(argv[0], sv[1]);
        close(sv[1]);           /* the child's end: its copy is its stdin now */
        socks[started++] = sv[0];
        /* Send the task: the function's NAME and its argument, as text. */
        len = snprintf(task, sizeof task, "square %ld", k);
        if (frame_send(sv[0], task, (size_t)len) == -1)
            die("send the task");
    }

    /* Each answer, then the child's end. A stop signal does not interrupt
     * frame_recv (it goes on after EINTR), but each child answers or ends
     * soon: then the ones not yet reaped get SIGTERM, and are reaped. */
    for (long i = 0; i < started; i++) {
        char msg[MSG_MAX + 1];
        size_t len;
        long result = -1;
        int seen = 0, got, status;

        got = stop_signal == 0 ? frame_recv(socks[i], msg, MSG_MAX, &len) : 0;
        if (got == -1)
            die("read the answer");
        if (got == 1) {
            msg[len] = '\0';
            if (sscanf(msg, "%ld %d", &result, &seen) != 2)
                result = -1;
        }
        close(socks[i]);
        if (stop_signal != 0 && kill(pids[i], SIGTERM) == -1 && errno != ESRCH)
            die("kill");
        while (waitpid(pids[i], &status, 0) == -1)
            if (errno != EINTR)
                die("waitpid");
        if (stop_signal != 0)
            continue;
        say("%-9s %-6ld  child %ld (%ld): square(%ld) = %ld (expected %ld), it saw setting = %d",
            "parent", (long)getpid(), i + 1, (long)pids[i], i + 1, result, square(i + 1), seen);
        good += result == square(i + 1) && seen == 1 && exitcode_of(status) == 0;
    }

    if (stop_signal != 0) {
        say("%-9s %-6ld  stopped by %s: every child reaped", "parent", (long)getpid(),
            signal_name(stop_signal));
        handle_stops(SIG_DFL);
        raise(stop_signal);
    }
    say("%-9s %-6ld  self-check: %ld of %ld fresh children saw setting = 1 (not 2) and "
        "answered right: %s", "parent", (long)getpid(), good, n, good == n ? "OK" : "FAILED");
    return good == n ? 0 : 1;
}
