/* command_io.c - the parts of chapter 10's helper that are not about
 * starting a command: where the command is on our command line, reading
 * its output to the end, and telling its exit code. See command.h.
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "command.h"

/* ---- the command line ---------------------------------------------------- */

char **command_operands(int argc, char *argv[], int *nopts,
                        char **default_command)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            *nopts = i;         /* getopt sees the words before "--" only */
            if (i + 1 == argc)
                usage_error("'--' must be followed by a command");
            return argv + i + 1;
        }
    *nopts = argc;
    return default_command;
}

/* ---- the end of a command ------------------------------------------------ */

void say_exit_code(int exitcode)
{
    if (exitcode < 0)
        say("Exit code: %d (%s)", exitcode, signal_name(-exitcode));
    else
        say("Exit code: %d", exitcode);
}

int shell_status(int exitcode)
{
    return exitcode < 0 ? 128 - exitcode : exitcode;
}

/* ---- reading a pipe to its end -------------------------------------------- */

size_t read_to_end(int fd, char **buf)
{
    size_t cap = 65536, len = 0;
    char *data = malloc(cap);

    if (data == NULL)
        die("malloc");
    for (;;) {
        ssize_t n;

        if (len == cap) {
            char *bigger = realloc(data, cap * 2);
            if (bigger == NULL)
                die("realloc");
            data = bigger;
            cap *= 2;
        }
        n = read(fd, data + len, cap - len);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            die("read");
        }
        if (n == 0)
            break;              /* EOF: every write end is closed */
        len += (size_t)n;
    }
    *buf = data;
    return len;
}
