/* linux_extras.c - the two things chapter 11 needs that POSIX lacks, each
 * with a fallback: choosing the CPU a process runs on, and a child that
 * dies with its parent.
 *
 * LINUX-ONLY: sched_setaffinity() and prctl(PR_SET_PDEATHSIG) are Linux
 * extensions (glibc and musl declare them, and the CPU_SET macros, only
 * with _GNU_SOURCE): hence this separate file, the one place in the
 * chapter that asks for more than POSIX. Where they do not exist (macOS,
 * for one) the functions fail with ENOSYS: make bench then prints "n/a"
 * for the rows run on chosen CPUs, and a child simply does not die with its
 * parent (it still ends when its pipe or its count runs out).
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>
#if defined(__has_include)
#if __has_include(<sys/prctl.h>)
#include <sys/prctl.h>
#endif
#endif

#include "bench.h"

#ifdef CPU_SET
/* The CPUs this program was allowed on when it started, remembered before
 * the first pin narrows them (a forked child inherits the copy). */
static cpu_set_t allowed;
static int known;

static int remember_allowed(void)
{
    if (!known && sched_getaffinity(0, sizeof allowed, &allowed) == -1)
        return -1;
    known = 1;
    return 0;
}
#endif

int cpus_allowed(void)
{
#ifdef CPU_SET
    if (remember_allowed() == -1)
        return -1;
    return CPU_COUNT(&allowed);
#else
    errno = ENOSYS;
    return -1;
#endif
}

int pin_to_cpu(int nth)
{
#ifdef CPU_SET
    cpu_set_t one;
    int count, seen = 0;

    /* The nth CPU we may use, counting from 0 and wrapping around (a
     * container may forbid CPU 0, or give us only one). */
    if (remember_allowed() == -1)
        return -1;
    count = CPU_COUNT(&allowed);
    if (count == 0) {
        errno = EINVAL;
        return -1;
    }
    nth %= count;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &allowed) && seen++ == nth) {
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            /* The mask is inherited across fork and exec: every process
             * this one starts from now on runs on the same CPU. */
            return sched_setaffinity(0, sizeof one, &one);
        }
    errno = EINVAL;
    return -1;
#else
    (void)nth;
    errno = ENOSYS;
    return -1;
#endif
}

int die_with_parent(pid_t parent)
{
#ifdef PR_SET_PDEATHSIG
    /* SIGKILL arrives when the parent ends, however it ends: a SIGKILL
     * sent to the parent runs no handler that could stop us. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
        return -1;
    /* The parent may have died before the prctl: then no signal comes. */
    if (getppid() != parent)
        _exit(1);
    return 0;
#else
    (void)parent;
    errno = ENOSYS;
    return -1;
#endif
}
