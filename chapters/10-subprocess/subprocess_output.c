/* subprocess_output.c - run a command and capture what it prints.
 *
 * The command's stdout is the write end of a pipe; we read the other end
 * until end-of-file, which comes when every copy of the write end is
 * closed: the command's, and those of any children it left running. Only
 * then do we wait for it. Waiting first would be a bug: a command that
 * prints more than the pipe holds (64 KiB on Linux) blocks in write()
 * until someone reads, and we would be waiting for it to end: a deadlock
 * (subprocess_communicate shows one). Its stderr is not captured unless
 * -e sends it into the same pipe.
 *
 * Python:  out = subprocess.run(['ls', '/'], stdout=subprocess.PIPE).stdout
 *          (check_output() is the same, and raises if the exit code is
 *          not 0); -e is stderr=subprocess.STDOUT  (subprocess_output.py)
 * Usage:   ./subprocess_output [-e] [-- COMMAND [ARG...]]
 *          (default command: ls /)
 * Look for: every captured line shown after "| ", byte for byte; the byte
 * and line counts; a last line without a newline is said to be one. The
 * exit code is also our exit status. Try -e with
 * `-- sh -c 'echo out; echo err >&2'`, with and without -e.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "command.h"

/* Show the captured bytes one line at a time, each as "| " + line + "\n"
 * in one write: the bytes as they came, a NUL or a very long line
 * included. Returns the number of lines. */
static size_t show_lines(const char *data, size_t len)
{
    size_t lines = 0, longest = 0, start = 0;
    char *line;

    for (size_t i = 0; i <= len; i++)           /* the longest line first */
        if (i == len || data[i] == '\n') {
            if (i - start > longest)
                longest = i - start;
            start = i + 1;
        }
    line = malloc(longest + 3);
    if (line == NULL)
        die("malloc");

    for (start = 0; start < len; lines++) {
        const char *nl = memchr(data + start, '\n', len - start);
        size_t n = (nl != NULL ? (size_t)(nl - data) : len) - start;

        memcpy(line, "| ", 2);
        memcpy(line + 2, data + start, n);
        line[2 + n] = '\n';
        if (write_all(STDOUT_FILENO, line, n + 3) == -1)
            die("write");
        if (nl == NULL)
            say("(no newline at the end)");
        start += n + 1;
    }
    free(line);
    return lines;
}

int main(int argc, char *argv[])
{
    static char *default_command[] = { "ls", "/", NULL };
    char **command, *out, shown[REPR_MAX];
    bool merge_stderr = false;
    struct command cmd;
    int nopts, opt, err, exitcode;
    size_t len, lines;

    prog_init(argc, argv, "[-e] [-- COMMAND [ARG...]]\n"
              "  -e           capture stderr too (stderr=STDOUT)\n"
              "  COMMAND ...  the command to run, after -- (default: ls /)\n"
              "Python: subprocess.run(stdout=PIPE), check_output (twin: subprocess_output.py)");
    command = command_operands(argc, argv, &nopts, default_command);
    while ((opt = get_option(nopts, argv, "e")) != -1)
        merge_stderr = true;
    no_operands(nopts, argv);

    say("Capturing the output of %s", repr_argv(command, shown, sizeof shown));
    err = spawn_command(command, SPAWN_STDOUT | (merge_stderr ? SPAWN_STDERR : 0), &cmd);
    if (err != 0)
        cannot_run(command, err);

    /* Read first, to end-of-file; wait afterwards. */
    len = read_to_end(cmd.from_stdout, &out);
    if (close(cmd.from_stdout) == -1)
        die("close");
    exitcode = join_child(cmd.pid);

    lines = show_lines(out, len);
    say("Captured %zu byte%s in %zu line%s.", len, len == 1 ? "" : "s",
        lines, lines == 1 ? "" : "s");
    say_exit_code(exitcode);
    free(out);
    return shell_status(exitcode);
}
