/* command.h - start another program the way Python's subprocess.Popen does,
 * and the small things every program of chapter 10 shares.
 *
 * spawn_command() starts a command with the details that make it correct:
 * the exec's failure comes back as an errno, the child's stdin and stdout
 * can be pipes, and the command gets file descriptors 0, 1 and 2 and
 * nothing else. It does it in one of two ways: fork + exec, with a
 * close-on-exec pipe that reports a failed exec (SPAWN_FORK, SPAWN_SESSION),
 * or posix_spawnp, which copies nothing of us (a vfork-like start, as
 * Python's subprocess makes where it can): the default. The chapter's
 * README.md walks through both (sections 1 and 2); command.c is the code,
 * command_io.c the rest.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef WORKBOOK_COMMAND_H
#define WORKBOOK_COMMAND_H

#include <stddef.h>
#include <stdnoreturn.h>
#include <sys/types.h>

/* ---- the command line: OPTIONS -- COMMAND [ARG...] ---------------------
 * The program's own options end at "--"; the words after it are the
 * command to run. Returns those words (a NULL-terminated vector), or
 * default_command when there is no "--". *nopts is set to the number of
 * words getopt may look at, so that the command's own options (ls -l) are
 * never taken for ours. "--" with nothing after it is a usage error. */
char **command_operands(int argc, char *argv[], int *nopts,
                        char **default_command);

/* ---- showing commands the way Python shows them -------------------------
 * repr_argv: ['ls', '-l', '/'], as Python's repr() of a list of str (for
 * ASCII text); repr_str: one string, 'like this'. Both write into buf and
 * return it; a result too long for buf ends in "...". */
const char *repr_argv(char *const argv[], char *buf, size_t size);
const char *repr_str(const char *text, char *buf, size_t size);
#define REPR_MAX 400            /* room for one repr on a say() line */

/* ---- close-on-exec ----------------------------------------------------- */
void cloexec_pipe(int fds[2]);          /* pipe() with both ends FD_CLOEXEC */
int mark_inherited_cloexec(void);       /* fds >= 3 we inherited: FD_CLOEXEC
                                           on; returns how many it marked */

/* ---- starting a command ------------------------------------------------ */
enum {
    SPAWN_STDIN   = 1 << 0,     /* a pipe to its stdin       (stdin=PIPE)      */
    SPAWN_STDOUT  = 1 << 1,     /* a pipe from its stdout    (stdout=PIPE)     */
    SPAWN_STDERR  = 1 << 2,     /* its stderr into stdout    (stderr=STDOUT)   */
    SPAWN_SESSION = 1 << 3,     /* its own session and process group
                                   (start_new_session=True): fork + exec */
    SPAWN_FORK    = 1 << 4,     /* fork + exec, even where posix_spawnp
                                   would do (subprocess_call -m fork)     */
};

struct command {
    pid_t pid;                  /* the child; also its process group with
                                   SPAWN_SESSION */
    int to_stdin;               /* write end of its stdin pipe, or -1 */
    int from_stdout;            /* read end of its stdout pipe, or -1 */
};

/* Start argv[0] (searched in PATH, as execvp does) with argv as its
 * arguments. Returns 0 once the exec has succeeded: the command is running.
 * Returns the exec's errno (ENOENT, EACCES...) if it could not be run; the
 * child has then already been reaped and no pipe is left open. Any other
 * failure (pipe, fork, posix_spawn's set-up) ends the program. Without
 * SPAWN_FORK or SPAWN_SESSION, a system may also report a failed exec only
 * as the child's exit status 127, as POSIX allows (glibc does under
 * valgrind, which runs its vfork-like clone as a fork): the command then
 * seems to run, and the caller's wait finds 127. */
int spawn_command(char *const argv[], int flags, struct command *cmd);

/* What a shell answers for a command it could not run: 127 when it was
 * not found (ENOENT), 126 when it was found but could not be executed. */
int cannot_run_status(int err);
/* "prog: cannot run ['x']: ENOENT (No such file or directory)" on stderr,
 * then exit with cannot_run_status(err). */
noreturn void cannot_run(char *const argv[], int err);

/* ---- the end of a command ----------------------------------------------
 * say_exit_code: "Exit code: 3", or "Exit code: -15 (SIGTERM)" for a death
 * by signal (Python's returncode). shell_status: the status a shell gives
 * the same ending, for our own exit: N, or 128 + signal number. */
void say_exit_code(int exitcode);
int shell_status(int exitcode);

/* ---- reading a pipe to its end ------------------------------------------
 * Read fd until end of file into a buffer grown with realloc (*buf, which
 * the caller frees); returns the number of bytes read, or dies. */
size_t read_to_end(int fd, char **buf);

#endif
