/* bench.h - what every cost_* program of chapter 11 shares.
 *
 * Each cost_* program measures a few "rows" (an operation such as a pipe
 * round trip), each in up to two ways: "floor", the raw system calls with
 * nothing around them, and "C", the workbook's own implementation (the
 * Queue of chapter 04, the Pool of chapter 05...; "fast" for this
 * chapter's fast Queue and Pool, cost_queue_fast and cost_pool_fast). Its Python twin,
 * cost_*.py, measures the same rows with multiprocessing. Every
 * measurement is one output line, the same shape in C and in Python:
 *
 *     pipe_rt      floor       9.8120 us     write+read 1 byte each way
 *     ROW          IMPL        VALUE  UNIT   what was measured
 *
 * UNIT is "us" (microseconds per operation: lower is better) or a rate
 * ending in "/s" (higher is better). make bench (tools/costs.py) runs
 * these programs, repeats them, takes turns and prints the table.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef WORKBOOK_BENCH_H
#define WORKBOOK_BENCH_H

#include <stddef.h>
#include <sys/types.h>

/* The options every cost_* program takes: [-r ROW] [-s SCALE] [-p | -a]. */
struct bench {
    const char *row;    /* -r ROW: only this row (NULL: every row)       */
    double scale;       /* -s SCALE: multiplies every operation count     */
    int pin;            /* -p: everything on one CPU                      */
    int apart;          /* -a: this process on one CPU, the children that
                           bench_fork() starts on another                 */
};

/* Parses the options against the program's list of rows (NULL-ended),
 * installs the SIGINT/SIGTERM clean-up, and pins to one CPU if asked.
 * python is the last line of -h, after "Python: ": the Python the program
 * mirrors and its twin ("multiprocessing.Pipe (twin: cost_ipc.py)"). */
struct bench bench_init(int argc, char *argv[], const char *const rows[],
                        const char *python);

/* bench_init for a program that starts fresh copies of itself (cost_start,
 * as chapter 13's start_spawn; cost_pipeline, its stages): one more option,
 * -R ROLE, the part this copy plays. roles lists the parts (NULL-ended),
 * the first the default ("parent"), the others those it starts its copies
 * with ("child"); *role is the index of this copy's part in roles. */
struct bench bench_init_role(int argc, char *argv[], const char *const rows[],
                             const char *python, const char *const roles[], int *role);

/* True if row is to be measured in this run. */
int bench_wants(const struct bench *b, const char *row);

/* n operations scaled by -s, never fewer than 1. */
long bench_count(const struct bench *b, long n);

/* One result line (see above). */
void bench_report(const char *row, const char *impl, double value,
                  const char *unit, const char *how);

/* Microseconds per operation from a start time (now_seconds()) and a count. */
double bench_us_per_op(double start, long ops);

/* fork() that remembers the child, so that SIGINT or SIGTERM kills and
 * reaps it before this program dies (no orphan is left asleep on a
 * semaphore), and whose child dies with this process where the system
 * allows (die_with_parent), for the SIGKILL no handler sees.
 * bench_wait() waits for such a child and insists it ended with status 0:
 * a measurement whose other half failed is no measurement. */
pid_t bench_fork(void);
void bench_wait(pid_t pid);

/* A child started another way (cost_start's posix_spawn), known to the
 * SIGINT/SIGTERM clean-up as bench_fork's are: bench_hold() before starting
 * it holds those signals back (the child inherits the mask: spawn it with
 * its own); bench_adopt(pid) after records it and lets them in again. */
void bench_hold(void);
void bench_adopt(pid_t pid);

/* linux_extras.c (LINUX-ONLY, each with a fallback):
 * pin_to_cpu(n) keeps the calling process, and every child it forks later,
 * on the nth CPU it may use (0 is the first; n wraps around).
 * cpus_allowed() counts the CPUs it may use. Both return -1 with errno
 * ENOSYS where the system has no sched_setaffinity.
 * die_with_parent(parent), called first in a child, has the kernel kill it
 * when its parent ends, even by SIGKILL, so that a child asleep on a
 * semaphore is never left behind; -1 with errno ENOSYS where it cannot. */
int pin_to_cpu(int nth);
int cpus_allowed(void);
int die_with_parent(pid_t parent);

#endif
