/* subprocess_timeout.c - give a command a deadline, and when it runs over,
 * stop it: SIGTERM first, SIGKILL if it is still there after a grace
 * period, then reap it.
 *
 * waitpid() cannot wait with a timeout. The classic way around it is the
 * self-pipe: a SIGCHLD handler writes a byte into a pipe, and poll() waits
 * on that pipe's read end, with a timeout. (Python's Popen.wait(timeout)
 * calls waitpid(WNOHANG) in a loop with short sleeps instead.)
 *
 * The command gets its own session, hence its own process group (Python:
 * start_new_session=True), so that kill(-pid, sig) reaches its children
 * too. Killing only `sh` in `sh -c 'sleep 30; echo done'` would leave the
 * sleep running, still holding our stdout: whoever reads our output would
 * wait for it. The price: Ctrl-C at a terminal reaches only our group, so
 * we pass SIGINT and SIGTERM on to the command's group ourselves, reap it,
 * and then die of the same signal.
 *
 * Python:  subprocess.run(cmd, timeout=1) raises TimeoutExpired (and kills
 *          with SIGKILL at once); the twin uses Popen.wait(timeout), then
 *          os.killpg() with SIGTERM and SIGKILL  (subprocess_timeout.py)
 * Usage:   ./subprocess_timeout [-t SECONDS] [-g SECONDS] [-- COMMAND [ARG...]]
 *          -t: the deadline (default 1); -g: the grace period between
 *          SIGTERM and SIGKILL (default 1). Default command: sleep 3.
 * Look for: "timed out after 1 seconds", SIGTERM sent to the group, exit
 * code -15, reaped. `-- sh -c 'trap "" TERM; sleep 30'` ignores SIGTERM:
 * SIGKILL, -9. Our exit status: 1 when the command had to be killed (as a
 * Python script ends on an uncaught TimeoutExpired; timeout(1) uses 124),
 * else the command's own, as a shell reports it.
 * What no handler can help: kill -9 of this program leaves the command
 * running, alone in its session, until it ends by itself (3 s for the
 * default sleep).
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "command.h"

static int wake[2];             /* the self-pipe: handlers write, poll reads */
static volatile sig_atomic_t stop_signal = 0;   /* SIGINT or SIGTERM, for us */

/* Runs whenever a child ends (SIGCHLD) or someone asks us to stop. It only
 * records the signal and writes one byte: write() is async-signal-safe,
 * and the byte wakes the poll() below, however the two interleave. */
static void on_signal(int sig)
{
    int saved = errno;          /* the interrupted code may be reading errno */
    char byte = (char)sig;

    if (sig != SIGCHLD)
        stop_signal = sig;
    if (write(wake[1], &byte, 1) == -1) {
        /* EAGAIN: the pipe is full, so a wake-up is pending anyway */
    }
    errno = saved;
}

static void handle(int sig, int flags)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
    if (sigaction(sig, &sa, NULL) == -1)
        die("sigaction");
}

enum ending { ENDED, TIMED_OUT, INTERRUPTED };

/* Wait for the child until the deadline (in now_seconds() time). Returns
 * ENDED with its exitcode once it has been reaped; TIMED_OUT; or, if
 * interruptible, INTERRUPTED as soon as we are asked to stop. */
static enum ending wait_until(pid_t pid, double deadline, bool interruptible,
                              int *exitcode)
{
    for (;;) {
        struct pollfd fd = { .fd = wake[0], .events = POLLIN };
        char drain[64];
        double left;
        int status;
        pid_t done = waitpid(pid, &status, WNOHANG);    /* ended yet? */

        if (done == pid) {
            *exitcode = exitcode_of(status);
            return ENDED;
        }
        if (done == -1 && errno != EINTR)
            die("waitpid");
        if (interruptible && stop_signal != 0)
            return INTERRUPTED;
        left = deadline - now_seconds();
        if (left <= 0)
            return TIMED_OUT;
        /* Sleep until a signal's byte arrives or time is up. A SIGCHLD that
         * came before this poll() left its byte in the pipe: no wake-up is
         * lost, which a plain sleep() could not promise. */
        if (poll(&fd, 1, (int)(left * 1000) + 1) == -1 && errno != EINTR)
            die("poll");
        while (read(wake[0], drain, sizeof drain) > 0)
            ;                   /* non-blocking: empty it, then ask waitpid */
    }
}

static void signal_group(pid_t group, int sig)
{
    /* ESRCH: every process of the group has gone already. */
    if (kill(-group, sig) == -1 && errno != ESRCH)
        die("kill(-%ld, %s)", (long)group, signal_name(sig));
}

int main(int argc, char *argv[])
{
    static char *default_command[] = { "sleep", "3", NULL };
    char **command, shown[REPR_MAX];
    double timeout = 1.0, grace = 1.0;
    struct command cmd;
    enum ending ending;
    int nopts, opt, err, exitcode = 0;

    prog_init(argc, argv, "[-t SECONDS] [-g SECONDS] [-- COMMAND [ARG...]]\n"
              "  -t SECONDS   the deadline, then SIGTERM to the command's group (default 1)\n"
              "  -g SECONDS   the grace after SIGTERM, then SIGKILL (default 1)\n"
              "  COMMAND ...  the command to run, after -- (default: sleep 3)\n"
              "Python: subprocess.Popen.wait(timeout), os.killpg (twin: subprocess_timeout.py)");
    command = command_operands(argc, argv, &nopts, default_command);
    while ((opt = get_option(nopts, argv, "t:g:")) != -1) {
        if (opt == 't')
            timeout = arg_double(optarg, opt, 0, 3600);
        else
            grace = arg_double(optarg, opt, 0, 60);
    }
    no_operands(nopts, argv);

    /* The self-pipe, and the handlers that feed it, before the child
     * exists: its SIGCHLD cannot come too early. SA_NOCLDSTOP: a stopped
     * child is not an ended one. */
    cloexec_pipe(wake);
    set_nonblocking(wake[0]);
    set_nonblocking(wake[1]);   /* a handler must never block */
    handle(SIGCHLD, SA_RESTART | SA_NOCLDSTOP);
    handle(SIGINT, SA_RESTART);
    handle(SIGTERM, SA_RESTART);

    say("Running %s with a timeout of %g seconds",
        repr_argv(command, shown, sizeof shown), timeout);
    err = spawn_command(command, SPAWN_SESSION, &cmd);
    if (err != 0)
        cannot_run(command, err);
    /* spawn_command returns after the exec: setsid() has been done, so the
     * group exists and can be signalled. */
    say("Started pid %ld, the leader of its own process group", (long)cmd.pid);

    ending = wait_until(cmd.pid, now_seconds() + timeout, true, &exitcode);
    if (ending != ENDED) {
        int sig = SIGTERM;

        if (ending == TIMED_OUT) {
            /* Python's TimeoutExpired message, word for word */
            say("Command '%s' timed out after %g seconds", shown, timeout);
        } else {
            sig = stop_signal;
            say("Got %s: passing it on", signal_name(sig));
        }
        signal_group(cmd.pid, sig);
        say("Sent %s to process group %ld", signal_name(sig), (long)cmd.pid);
        if (wait_until(cmd.pid, now_seconds() + grace, false, &exitcode) != ENDED) {
            signal_group(cmd.pid, SIGKILL);     /* cannot be caught or ignored */
            say("Still running %g s after %s: sent SIGKILL to process group %ld",
                grace, signal_name(sig), (long)cmd.pid);
            exitcode = join_child(cmd.pid);
        }
        say("Reaped pid %ld", (long)cmd.pid);
    }
    say_exit_code(exitcode);

    if (close(wake[0]) == -1 || close(wake[1]) == -1)
        die("close");
    if (stop_signal != 0) {
        /* Asked to stop: the command is gone, so now end the way the
         * signal would have ended us (a shell sees 128 + N). */
        struct sigaction dfl;

        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        if (sigaction(stop_signal, &dfl, NULL) == -1)
            die("sigaction");
        raise(stop_signal);
    }
    return ending == ENDED ? shell_status(exitcode) : 1;
}
