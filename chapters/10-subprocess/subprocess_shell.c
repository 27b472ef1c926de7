/* subprocess_shell.c - an argument vector against a shell command line,
 * and why text pasted into a shell command line is dangerous.
 *
 * exec takes a vector of strings: each one reaches the program as one
 * argument, whatever it contains. A shell takes one string, and parses it:
 * `;`, `|`, `$(...)`, quotes, spaces all mean something. Text pasted into
 * that string (a file name, a user's input) can therefore become commands.
 * The harmless payload here, "hello; echo INJECTED", shows it with echo:
 *   1. ['echo', TEXT]: the text is one argument, printed as it is;
 *   2. ['/bin/sh', '-c', 'echo ' + TEXT]: the shell runs a second command;
 *   3. ['/bin/sh', '-c', SCRIPT, 'sh', TEXT]: a fixed script that reads
 *      the text as "$1": a shell, and the text still stays data;
 *   4. ['/bin/sh', '-c', 'echo', TEXT]: Python's shell=True with a list,
 *      the tutorial's mistake: only the first item is the script, the
 *      others become $0, $1...: the text is not used at all.
 * Each case's vector is shown on a line of its own after "argv:", and
 * the command's output, captured, after "| ".
 *
 * Python:  subprocess.run(['echo', text]) against
 *          subprocess.run('echo ' + text, shell=True)  (subprocess_shell.py)
 * Usage:   ./subprocess_shell [-w TEXT]   (default: 'hello; echo INJECTED')
 * Look for: INJECTED on a line of its own in case 2 only; the whole text,
 * unchanged, in cases 1 and 3; an empty line in case 4. Try
 * -w 'today is $(date)' and -w "it's".
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "command.h"

#define TEXT_MAX 200            /* keeps every line within one say() */
#define SHELL "/bin/sh"         /* the shell Python's shell=True runs */

/* Run one form, capture its stdout, show it and say what became of the
 * text. */
static void run_case(int number, const char *how, char *const argv[],
                     const char *text)
{
    char shown[REPR_MAX], *out;
    struct command cmd;
    size_t len, start, textlen = strlen(text);
    int err, exitcode;
    const char *verdict;

    say("%d. %s:", number, how);
    say("   argv: %s", repr_argv(argv, shown, sizeof shown));
    err = spawn_command(argv, SPAWN_STDOUT, &cmd);
    if (err != 0)
        cannot_run(argv, err);
    len = read_to_end(cmd.from_stdout, &out);   /* all of it, then wait */
    if (close(cmd.from_stdout) == -1)
        die("close");
    exitcode = join_child(cmd.pid);

    for (start = 0; start < len;) {
        const char *nl = memchr(out + start, '\n', len - start);
        size_t n = (nl != NULL ? (size_t)(nl - out) : len) - start;

        say("   | %.*s", (int)n, out + start);
        start += n + 1;
    }
    if (len == textlen + 1 && memcmp(out, text, textlen) == 0 && out[textlen] == '\n')
        verdict = "the text stayed data";
    else if (len == 1 && out[0] == '\n')
        verdict = "the text was not used: the list's other items became $0, $1...";
    else
        verdict = "the shell treated the text as code";
    say("   -> exit code %d: %s", exitcode, verdict);
    free(out);
}

int main(int argc, char *argv[])
{
    char *text = "hello; echo INJECTED", shown[REPR_MAX];
    char pasted[TEXT_MAX + 8];
    char script[] = "printf '%s\\n' \"$1\"";  /* the text arrives as "$1" */
    int opt;

    prog_init(argc, argv, "[-w TEXT]\n"
              "  -w TEXT  the text handed to each of the four commands "
              "(default: 'hello; echo INJECTED')\n"
              "Python: subprocess.run, with and without shell=True (twin: subprocess_shell.py)");
    while ((opt = get_option(argc, argv, "w:")) != -1) {
        if (strlen(optarg) > TEXT_MAX)
            usage_error("-w wants at most %d bytes of text", TEXT_MAX);
        text = optarg;
    }
    no_operands(argc, argv);

    say("The text: %s", repr_str(text, shown, sizeof shown));

    {
        char *argv1[] = { "echo", text, NULL };
        run_case(1, "argument vector, no shell", argv1, text);
    }
    {
        /* The mistake: build a command LINE by pasting the text in. */
        char *argv2[] = { SHELL, "-c", pasted, NULL };
        snprintf(pasted, sizeof pasted, "echo %s", text);
        run_case(2, "the text pasted into a shell command line", argv2, text);
    }
    {
        /* The safe way to give a shell data: a fixed script, and the data
         * as an argument after it ($0 is "sh", the text is $1). printf, not
         * echo: dash's echo would interpret backslashes in the text. */
        char *argv3[] = { SHELL, "-c", script, "sh", text, NULL };
        run_case(3, "a fixed shell script, the text as \"$1\"", argv3, text);
    }
    {
        /* shell=True with a list: Python runs ['/bin/sh', '-c'] + list. */
        char *argv4[] = { SHELL, "-c", "echo", text, NULL };
        run_case(4, "a list with shell=True (the tutorial's mistake)", argv4, text);
    }
    return 0;
}
