/* clock.c - the workbook's one clock, and deadlines for the timed waits.
 * SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include <time.h>

#include "common.h"

double now_seconds(void)
{
    struct timespec t;

    if (clock_gettime(CLOCK_MONOTONIC, &t) == -1)
        die("clock_gettime");
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct timespec deadline_in(clockid_t clock, double seconds)
{
    struct timespec t;
    time_t whole;

    if (seconds < 0)            /* a time already past: Python treats it as 0 */
        seconds = 0;
    whole = (time_t)seconds;
    if (clock_gettime(clock, &t) == -1)
        die("clock_gettime");
    t.tv_sec += whole;
    t.tv_nsec += (long)((seconds - (double)whole) * 1e9);
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}
