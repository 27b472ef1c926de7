/* args.c - option parsing with the workbook's conventions.
 * SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

/* The help text: set once by prog_init(), read by -h and the usage
 * errors. Its first line is the usage line; the lines after it describe
 * the options. (The program's name is kept by error.c.) */
static const char *usage_text = "";

/* The length of the usage line: the help text up to its first newline. */
static int usage_length(void)
{
    return (int)strcspn(usage_text, "\n");
}

/* -h and --help: the usage line, then the lines after it as they are. */
static noreturn void print_help(void)
{
    const char *line = usage_text + usage_length();

    /* No space after the name of a program without options. */
    say("usage: %s%s%.*s", prog_name(), usage_length() > 0 ? " " : "",
        usage_length(), usage_text);
    while (*line == '\n') {
        line++;
        say("%.*s", (int)strcspn(line, "\n"), line);
        line += strcspn(line, "\n");
    }
    exit(0);
}

void usage_error(const char *fmt, ...)
{
    char msg[SAY_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* An argument may hold a newline: shown as '?', so that the error
     * stays on one line. (say_to cuts a line too long, and marks it.) */
    for (char *c = msg; *c != '\0'; c++)
        if (*c == '\n' || *c == '\r')
            *c = '?';
    fflush(stdout);
    /* One line: what is wrong, then how to call the program. */
    say_to(STDERR_FILENO, "%s: %s; usage: %s%s%.*s", prog_name(), msg, prog_name(),
           usage_length() > 0 ? " " : "", usage_length(), usage_text);
    exit(2);
}

void prog_init(int argc, char *argv[], const char *help)
{
    if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
        const char *slash = strrchr(argv[0], '/');
        set_prog_name(slash ? slash + 1 : argv[0]);
    }
    usage_text = help;
    /* getopt knows no long options; --help is the one we answer. */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0)
            print_help();
    if (pace_factor() < 0)      /* a bad WORKBOOK_PACE is refused now */
        usage_error("WORKBOOK_PACE must be a number from 0 to %g, not '%s'",
                    PACE_MAX, getenv("WORKBOOK_PACE"));
}

int get_option(int argc, char *argv[], const char *optstring)
{
    char spec[64];
    int opt;

    /* Leading ':' makes getopt return ':' for a missing value, and opterr = 0
     * stops it printing a second line of its own. */
    snprintf(spec, sizeof spec, ":%sh", optstring);
    opterr = 0;
    opt = getopt(argc, argv, spec);
    switch (opt) {
    case 'h':
        print_help();
    case '?':
        usage_error("unknown option '-%c'", optopt);
    case ':':
        usage_error("option -%c needs a value", optopt);
    default:
        return opt;
    }
}

long arg_long(const char *text, int opt, long min, long max)
{
    char *end;
    long value;

    errno = 0;
    value = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE)
        usage_error("-%c wants a whole number, not '%s'", opt, text);
    if (value < min || value > max)
        usage_error("-%c must be from %ld to %ld, not %s", opt, min, max, text);
    return value;
}

double arg_double(const char *text, int opt, double min, double max)
{
    char *end;
    double value;

    errno = 0;
    value = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(value))
        usage_error("-%c wants a number, not '%s'", opt, text);
    if (value < min || value > max)
        usage_error("-%c must be from %g to %g, not %s", opt, min, max, text);
    return value;
}

void no_operands(int argc, char *argv[])
{
    if (optind < argc)
        usage_error("unexpected argument '%s'", argv[optind]);
}
