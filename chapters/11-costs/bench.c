/* bench.c - options, result lines, children and shared memory for the
 * cost_* programs of chapter 11 (bench.h says what each one is for).
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "bench.h"

#define MAX_KIDS 16

/* The children alive now, for the signal handler: it may run between any
 * two instructions, so it reads only these (volatile, written in an order
 * that keeps them consistent: pid first, count after). */
static volatile pid_t kids[MAX_KIDS];
static volatile sig_atomic_t nkids;
static int apart;               /* -a: children on the second CPU */

/* SIGINT or SIGTERM: kill and reap our children, then die of the same
 * signal, so that whoever started us sees what happened. Only
 * async-signal-safe calls here (kill, waitpid, sigaction, raise). */
static void on_signal(int sig)
{
    struct sigaction dfl;

    /* A handler has nowhere to report a failure: the results are ignored
     * on purpose, and the signal is raised again whatever happens. */
    for (int i = 0; i < nkids; i++)
        if (kids[i] > 0)
            (void)kill(kids[i], SIGKILL);
    for (int i = 0; i < nkids; i++)
        if (kids[i] > 0)
            while (waitpid(kids[i], NULL, 0) == -1 && errno == EINTR)
                continue;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    (void)sigaction(sig, &dfl, NULL);
    raise(sig);
}

/* The rows as "a, b, c", for -h and for -r's usage error. */
static void list_rows(const char *const rows[], char *list, size_t size)
{
    size_t used = 0;

    list[0] = '\0';
    for (int i = 0; rows[i] != NULL; i++) {
        int n = snprintf(list + used, size - used, "%s%s", i ? ", " : "", rows[i]);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
}

/* bench_init, and with roles != NULL bench_init_role (-R ROLE). */
static struct bench init(int argc, char *argv[], const char *const rows[],
                         const char *python, const char *const roles[], int *role)
{
    /* The help text stays in use for the program's life (usage errors). */
    static char help[SAY_MAX * 2];
    char list[SAY_MAX / 2], parts[SAY_MAX / 4] = "", copies[SAY_MAX / 4] = "", line[SAY_MAX];
    struct bench b = { NULL, 1.0, 0, 0 };
    struct sigaction sa;
    int opt, n;

    list_rows(rows, list, sizeof list);
    if (roles != NULL) {        /* "parent|child", and the copies' "child" */
        for (int i = 0; roles[i] != NULL; i++) {
            size_t used = strlen(parts);
            snprintf(parts + used, sizeof parts - used, "%s%s", i ? "|" : "", roles[i]);
            used = strlen(copies);
            if (i > 0)
                snprintf(copies + used, sizeof copies - used, "%s%s", i > 1 ? "|" : "", roles[i]);
        }
        snprintf(line, sizeof line, "  -R %s  the part this copy plays; it starts fresh copies "
                 "with -R %s (default %s)\n", parts, copies, roles[0]);
    }
    n = snprintf(help, sizeof help, "[-r ROW] [-s SCALE] [-p | -a]%s%s%s\n"
             "  -r ROW    only this row: %s (default: all)\n"
             "  -s SCALE  multiply every operation count (default 1)\n"
             "  -p        everything on one CPU\n"
             "  -a        this process on one CPU, its children on another\n%s"
             "Python: %s", roles ? " [-R " : "", parts, roles ? "]" : "", list,
             roles ? line : "", python);
    if (n < 0 || (size_t)n >= sizeof help)
        fatal("the help text does not fit %zu bytes", sizeof help);
    prog_init(argc, argv, help);
    while ((opt = get_option(argc, argv, roles ? "r:s:paR:" : "r:s:pa")) != -1) {
        switch (opt) {
        case 'R':
            *role = -1;
            for (int i = 0; roles[i] != NULL; i++)
                if (strcmp(optarg, roles[i]) == 0)
                    *role = i;
            if (*role == -1)
                usage_error("-R wants %s, not '%s'", parts, optarg);
            break;
        case 'r':
            b.row = NULL;
            for (int i = 0; rows[i] != NULL; i++)
                if (strcmp(optarg, rows[i]) == 0)
                    b.row = rows[i];
            if (b.row == NULL)
                usage_error("-r wants one of %s, not '%s'", list, optarg);
            break;
        case 's':
            b.scale = arg_double(optarg, opt, 0.0001, 100.0);
            break;
        case 'p':
            b.pin = 1;
            break;
        case 'a':
            b.apart = 1;
            break;
        }
    }
    no_operands(argc, argv);
    if (b.pin && b.apart)
        usage_error("-p and -a exclude each other");

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
        die("sigaction");
    /* Pin before any child exists: children inherit the CPU mask. */
    if ((b.pin || b.apart) && pin_to_cpu(0) == -1)
        die("sched_setaffinity");
    apart = b.apart;
    return b;
}

struct bench bench_init(int argc, char *argv[], const char *const rows[],
                        const char *python)
{
    return init(argc, argv, rows, python, NULL, NULL);
}

struct bench bench_init_role(int argc, char *argv[], const char *const rows[],
                             const char *python, const char *const roles[], int *role)
{
    *role = 0;
    return init(argc, argv, rows, python, roles, role);
}

int bench_wants(const struct bench *b, const char *row)
{
    return b->row == NULL || strcmp(b->row, row) == 0;
}

long bench_count(const struct bench *b, long n)
{
    double scaled = floor((double)n * b->scale + 0.5);

    return scaled < 1.0 ? 1 : (long)scaled;
}

void bench_report(const char *row, const char *impl, double value,
                  const char *unit, const char *how)
{
    say("%-12s %-6s %14.4f %-6s %s", row, impl, value, unit, how);
}

double bench_us_per_op(double start, long ops)
{
    return (now_seconds() - start) * 1e6 / (double)ops;
}

/* The signal mask before bench_hold(), for bench_adopt() to put back. */
static sigset_t held;

void bench_hold(void)
{
    sigset_t block;

    if (nkids == MAX_KIDS)
        fatal("more than %d children at once", MAX_KIDS);
    /* SIGINT and SIGTERM wait until the child is in kids[]: a handler
     * running between its start and that line would not know of it. */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &block, &held) == -1)
        die("sigprocmask");
}

void bench_adopt(pid_t pid)
{
    kids[nkids] = pid;
    nkids++;
    if (sigprocmask(SIG_SETMASK, &held, NULL) == -1)
        die("sigprocmask");
}

pid_t bench_fork(void)
{
    pid_t pid, parent = getpid();

    bench_hold();
    pid = fork();
    if (pid == -1)
        die("fork");
    if (pid > 0) {
        bench_adopt(pid);
        return pid;
    }
    nkids = 0;                  /* the parent's children are not ours */
    if (die_with_parent(parent) == -1 && errno != ENOSYS)
        die_child("prctl");
    if (apart && pin_to_cpu(1) == -1)
        die_child("sched_setaffinity");
    if (sigprocmask(SIG_SETMASK, &held, NULL) == -1)
        die_child("sigprocmask");
    return 0;
}

void bench_wait(pid_t pid)
{
    int status;

    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            die("waitpid %ld", (long)pid);
    for (int i = 0; i < nkids; i++)
        if (kids[i] == pid) {
            kids[i] = kids[nkids - 1];
            nkids--;
            break;
        }
    if (exitcode_of(status) != 0)
        fatal("child %ld ended with exitcode %d", (long)pid, exitcode_of(status));
}
