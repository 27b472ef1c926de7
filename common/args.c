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

/* The usage line: set once by prog_init(), read by the usage messages.
 * (The program's name is kept by error.c, which every message needs.) */
static const char *usage_text = "";

static void print_usage(int fd)
{
    /* No space after the name of a program without options. */
    say_to(fd, "usage: %s%s%s", prog_name(), usage_text[0] != '\0' ? " " : "", usage_text);
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
    say_to(STDERR_FILENO, "%s: %s; usage: %s%s%s", prog_name(), msg, prog_name(),
           usage_text[0] != '\0' ? " " : "", usage_text);
    exit(2);
}

void prog_init(int argc, char *argv[], const char *usage)
{
    if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
        const char *slash = strrchr(argv[0], '/');
        set_prog_name(slash ? slash + 1 : argv[0]);
    }
    usage_text = usage;
    /* getopt knows no long options; --help is the one we answer. */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0) {
            print_usage(STDOUT_FILENO);
            exit(0);
        }
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
        print_usage(STDOUT_FILENO);
        exit(0);
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
