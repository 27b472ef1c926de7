/* subprocess_call.c - run another program and get its exit code, in the two
 * ways POSIX offers: fork + exec, and posix_spawnp.
 *
 * fork + exec (-m fork, the default): fork a copy of ourselves, and let
 * the copy replace itself with the command. If the exec fails, the child
 * writes its errno into a close-on-exec pipe, so the parent learns "not
 * found" as an error, not as a mysterious exit status. posix_spawnp
 * (-m spawn) does fork + exec in one call, with a fixed menu of things to
 * set up in between, and without copying us; glibc (2.24 and later), musl
 * and macOS return the exec's failure as its result, while POSIX also
 * allows an implementation to report it only as exit status 127. Both are
 * spawn_command() in command.c: SPAWN_FORK asks for fork + exec. Either way
 * the command's output goes straight to our stdout: nothing is captured
 * (see subprocess_output).
 *
 * Python:  r = subprocess.call(['ls', '-l', '/']); print('Exit code:', r)
 *          os.posix_spawnp() and os.waitpid() for -m spawn
 *          (subprocess_call.py)
 * Usage:   ./subprocess_call [-m fork|spawn] [-- COMMAND [ARG...]]
 *          (default command: ls -l /)
 * Look for: the "Running" line first, the command's own output, then its
 * exit code, which is also this program's exit status (128 + N for a death
 * by signal N, as in a shell). A command that is not found: a "cannot run"
 * line, status 127; found but not executable: status 126. Try
 * `-- sh -c 'exit 3'`, `-- false`, `-- nosuchcommand`.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "command.h"

/* subprocess.call: by the time spawn_command() returns, the exec has
 * worked or we know its errno. No pipes: the command shares our stdin,
 * stdout and stderr. */
static pid_t start(char *const argv[], const char *mode, int *err)
{
    struct command cmd;

    *err = spawn_command(argv, strcmp(mode, "fork") == 0 ? SPAWN_FORK : 0, &cmd);
    return cmd.pid;
}

int main(int argc, char *argv[])
{
    static char *default_command[] = { "ls", "-l", "/", NULL };
    char **command, shown[REPR_MAX];
    const char *mode = "fork";
    int nopts, opt, err, exitcode;
    pid_t pid;

    prog_init(argc, argv, "[-m fork|spawn] [-- COMMAND [ARG...]]\n"
              "  -m fork|spawn  start it with fork + exec, or posix_spawnp (default fork)\n"
              "  COMMAND ...    the command to run, after -- (default: ls -l /)\n"
              "Python: subprocess.call, os.posix_spawnp (twin: subprocess_call.py)");
    command = command_operands(argc, argv, &nopts, default_command);
    while ((opt = get_option(nopts, argv, "m:")) != -1) {
        if (strcmp(optarg, "fork") != 0 && strcmp(optarg, "spawn") != 0)
            usage_error("-m wants fork or spawn, not '%s'", optarg);
        mode = optarg;
    }
    no_operands(nopts, argv);

    /* say() is one write(2), so this line is out before the command starts:
     * nothing waits in a buffer to come out after the command's output. */
    say("Running %s with %s", repr_argv(command, shown, sizeof shown),
        strcmp(mode, "fork") == 0 ? "fork + exec" : "posix_spawnp");

    pid = start(command, mode, &err);
    if (err != 0)
        cannot_run(command, err);       /* exit status 127 or 126 */

    exitcode = join_child(pid);         /* waitpid: the call returns when the
                                           command has ended */
    say_exit_code(exitcode);
    return shell_status(exitcode);
}
