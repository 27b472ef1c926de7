/* cost_spawn.c - what starting a process costs: fork, fork from a big
 * parent, posix_spawn, and running a command.
 *
 * Rows:
 *   fork       start a child that does nothing and wait for it. floor:
 *              fork + _exit + waitpid; C: start_child + join_child
 *              (common/proc.c, chapter 02's Process)
 *   fork_16m   the same from a parent that holds 16 MiB of written memory
 *   fork_256m  ... 256 MiB: fork copies the parent's page tables, and every
 *              page the parent then writes is copied on write
 *   spawn      start the program `true` and wait. floor: posix_spawnp +
 *              waitpid, nothing set up; C: spawn_command + waitpid
 *              (chapters/10-subprocess/command.c: posix_spawnp with SIGPIPE
 *              reset and no signal blocked, as subprocess does)
 *   spawn_256m the same from a parent that holds 256 MiB: posix_spawn
 *              does not copy the page tables (fork + exec would: compare
 *              fork_256m, which is the fork alone)
 *   command    run `true` as subprocess.run does. floor: posix_spawnp +
 *              waitpid; C: spawn_command + waitpid, the same call as the
 *              spawn row's C (it is what subprocess.run comes down to); the
 *              Python differs: subprocess.run against os.posix_spawnp
 *
 * Python:  Process(target=...).start(); join() with the fork start method;
 *          os.posix_spawnp; subprocess.run(["true"]) (cost_spawn.py)
 * Usage:   ./cost_spawn [-r ROW] [-s SCALE] [-p | -a]
 * Look for: fork's cost grows with the parent's memory, though nothing is
 * copied but page tables; posix_spawn (which glibc does with a vfork-like
 * clone that shares the parent's memory) does not grow so. fork + exec
 * would pay fork_256m's price for page tables the exec throws away: that
 * is why chapter 10's spawn_command uses posix_spawnp, and why Python's
 * subprocess uses vfork.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "bench.h"
#include "command.h"

extern char **environ;

static const char *const rows[] = { "fork", "fork_16m", "fork_256m", "spawn", "spawn_256m",
                                    "command", NULL };

enum how { POSIX_SPAWN, SPAWN_COMMAND };

static void nothing(void *arg)
{
    (void)arg;
}

/* Start and wait for n children that do nothing; microseconds each. */
static double forks(int helper, long n)
{
    double start;

    for (int pass = 0; pass < 2; pass++) {      /* pass 0 is the warm-up */
        long count = pass == 0 ? n / 10 + 1 : n;
        start = now_seconds();
        for (long i = 0; i < count; i++) {
            if (helper) {
                if (join_child(start_child(nothing, NULL)) != 0)
                    fatal("a child that does nothing failed");
            } else {
                pid_t pid = fork();
                int status;
                if (pid == -1)
                    die("fork");
                if (pid == 0)
                    _exit(0);   /* _exit: no atexit handlers, no stdio flush */
                if (waitpid(pid, &status, 0) == -1)
                    die("waitpid");
            }
        }
    }
    return bench_us_per_op(start, n);
}

/* Memory the parent has written: allocated, every page touched. Memory
 * only allocated, never touched, has no pages yet, and fork would have
 * nothing to map. */
static char *ballast_new(size_t mib)
{
    size_t size = mib * 1024 * 1024;
    char *ballast = malloc(size);

    if (ballast == NULL)
        die("malloc %zu MiB", mib);
    memset(ballast, 1, size);
    return ballast;
}

/* Read it back, then free it: memory written and never read may be left
 * unwritten by the compiler, which would make the row measure nothing. */
static void ballast_free(char *ballast, size_t mib)
{
    size_t size = mib * 1024 * 1024, sum = 0;

    for (size_t i = 0; i < size; i += 4096)
        sum += (unsigned char)ballast[i];
    if (sum != size / 4096)
        fatal("the ballast changed under us");
    free(ballast);
}

/* fork from a parent that has written mib MiB of memory. */
static void fork_big(const char *row, size_t mib, long n)
{
    char *ballast = ballast_new(mib), floor_how[64], c_how[64];

    snprintf(floor_how, sizeof floor_how,
             "fork + _exit + waitpid, parent has written %zu MiB", mib);
    snprintf(c_how, sizeof c_how, "start_child + join_child, parent has written %zu MiB", mib);
    bench_report(row, "floor", forks(0, n), "us", floor_how);
    bench_report(row, "C", forks(1, n), "us", c_how);
    ballast_free(ballast, mib);
}

static double spawns(enum how how, long n)
{
    char *argv[] = { "true", NULL };
    double start;

    for (int pass = 0; pass < 2; pass++) {
        long count = pass == 0 ? n / 10 + 1 : n;
        start = now_seconds();
        for (long i = 0; i < count; i++) {
            pid_t pid;
            int status, err;
            if (how == SPAWN_COMMAND) {
                struct command cmd;
                if ((err = spawn_command(argv, 0, &cmd)) != 0)
                    cannot_run(argv, err);
                pid = cmd.pid;
            } else if ((err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ)) != 0) {
                errno = err;    /* posix_spawn returns the error number */
                die("posix_spawnp %s", argv[0]);
            }
            if (waitpid(pid, &status, 0) == -1)
                die("waitpid");
            if (exitcode_of(status) != 0)
                fatal("%s ended with exitcode %d", argv[0], exitcode_of(status));
        }
    }
    return bench_us_per_op(start, n);
}

int main(int argc, char *argv[])
{
    struct bench b = bench_init(argc, argv, rows, "multiprocessing.Process (fork), "
                                "os.posix_spawnp, subprocess.run (twin: cost_spawn.py)");

    if (bench_wants(&b, "fork")) {
        long n = bench_count(&b, 2000);
        bench_report("fork", "floor", forks(0, n), "us", "fork + _exit + waitpid");
        bench_report("fork", "C", forks(1, n), "us", "start_child + join_child");
    }
    if (bench_wants(&b, "fork_16m"))
        fork_big("fork_16m", 16, bench_count(&b, 300));
    if (bench_wants(&b, "fork_256m"))
        fork_big("fork_256m", 256, bench_count(&b, 40));
    if (bench_wants(&b, "spawn")) {
        long n = bench_count(&b, 500);
        bench_report("spawn", "floor", spawns(POSIX_SPAWN, n), "us", "posix_spawnp + waitpid of true");
        bench_report("spawn", "C", spawns(SPAWN_COMMAND, n), "us", "spawn_command (posix_spawnp) + waitpid of true");
    }
    if (bench_wants(&b, "spawn_256m")) {
        long n = bench_count(&b, 40);
        char *ballast = ballast_new(256);
        bench_report("spawn_256m", "floor", spawns(POSIX_SPAWN, n), "us", "posix_spawnp + waitpid of true, parent has 256 MiB");
        bench_report("spawn_256m", "C", spawns(SPAWN_COMMAND, n), "us", "spawn_command + waitpid of true, parent has 256 MiB");
        ballast_free(ballast, 256);
    }
    if (bench_wants(&b, "command")) {
        long n = bench_count(&b, 500);
        bench_report("command", "floor", spawns(POSIX_SPAWN, n), "us", "posix_spawnp + waitpid of true");
        bench_report("command", "C", spawns(SPAWN_COMMAND, n), "us", "spawn_command (posix_spawnp) + waitpid of true");
    }
    return 0;
}
