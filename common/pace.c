/* pace.c - every pause of every demo, scaled by WORKBOOK_PACE. It calls
 * only output_gone() (say.c): prog_init() (args.c) refuses a bad value.
 * SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

/* WORKBOOK_PACE: unset means 1; otherwise a number from 0 to 100, written
 * as digits with at most one decimal point ("0", "0.5", "2", ".1"): the
 * same strings workbook.py accepts (strtod alone would also take " 1",
 * "0x1p-1" and "1e0", which Python's float() parses differently or not at
 * all). Returns -1 for anything else, so prog_init() can refuse it. */
static double parse_pace(void)
{
    const char *text = getenv("WORKBOOK_PACE");
    char *end;
    double value;

    if (text == NULL)
        return 1.0;
    if (strspn(text, "0123456789.") != strlen(text) || strchr(text, '.') != strrchr(text, '.'))
        return -1.0;
    errno = 0;
    value = strtod(text, &end);
    if (end == text || *end != '\0' || errno != 0 || !isfinite(value)
        || value < 0.0 || value > PACE_MAX)
        return -1.0;
    return value;
}

double pace_factor(void)
{
    static double factor = -2.0;        /* -2: not read yet */

    if (factor == -2.0)
        factor = parse_pace();
    return factor;
}

void pace(double seconds)
{
    double factor = pace_factor();
    double total = seconds * (factor < 0.0 ? 1.0 : factor);
    struct timespec left;

    if (total <= 0.0 || output_gone())     /* nobody is watching any more */
        return;
    left.tv_sec = (time_t)total;
    left.tv_nsec = (long)((total - (double)left.tv_sec) * 1e9);
    /* A signal handler may interrupt the sleep: sleep the rest. */
    while (nanosleep(&left, &left) == -1 && errno == EINTR)
        continue;
}
