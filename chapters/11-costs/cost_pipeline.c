/* cost_pipeline.c - what a pipeline of processes moves, against one
 * process doing the same work: `producer | filter | consumer`, each stage
 * a process, as chapter 10's subprocess_pipeline joins two commands.
 *
 * The work, the same in every row: the producer makes 64 KiB blocks of
 * lower-case text, each stamped with its number; the filter turns the
 * text to upper case (a table lookup per byte, as `tr a-z A-Z` does); the
 * consumer checks every block, its number and its bytes.
 *
 * Rows (in MiB/s through the consumer, after a tenth of the blocks as a
 * warm-up):
 *   pipeline_1p  one process, no pipe: the three stages called in turn on
 *                each block, in a loop
 *   pipeline_3p  three processes joined by two pipes. C: as chapter 10
 *                does it: pipe(), then per stage fork, dup2() onto stdin
 *                and stdout, exec of this program with -R producer, filter
 *                or consumer; the parent closes its copies of every pipe
 *                end (else the consumer never sees end of file), reads the
 *                consumer's figure from a third pipe, and waits for all
 *                three. Every byte is copied into a pipe and out, twice.
 *
 * Python:  p1 = Popen([python, me, "-R", "producer"], stdout=PIPE)
 *          p2 = Popen([..., "filter"], stdin=p1.stdout, stdout=PIPE)
 *          p1.stdout.close() ... (cost_pipeline.py, its stages itself)
 * Usage:   ./cost_pipeline [-r ROW] [-s SCALE] [-p | -a]
 *                          [-R parent|producer|filter|consumer]
 *          The stages run from a shell too, and the consumer prints the
 *          seconds its blocks took after the warm-up: ./cost_pipeline -R
 *          producer | ./cost_pipeline -R filter | ./cost_pipeline -R consumer
 * Look for: how much a process boundary costs when each stage does little:
 * the pipeline's copies, wake-ups and turns on the CPUs, against one loop.
 * -p puts the stages on one CPU, where they can only take turns.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "bench.h"

#define BLOCK (64 * 1024)       /* bytes in a block; a Linux pipe holds one */
#define STAMP 8                 /* "%08ld": the block's number, its first bytes */
#define BLOCKS 4096L            /* 256 MiB at -s 1 */
#ifndef FILTER_ROUNDS           /* -DFILTER_ROUNDS=8: a filter with more to do */
#define FILTER_ROUNDS 1
#endif

enum { PARENT, PRODUCER, FILTER, CONSUMER };

static const char *const rows[] = { "pipeline_1p", "pipeline_3p", NULL };
static const char *const roles[] = { "parent", "producer", "filter", "consumer", NULL };

static unsigned char text[BLOCK];       /* what the producer writes, unstamped */
static unsigned char upper[BLOCK];      /* the same, as the filter leaves it */
static unsigned char table[256];        /* the filter: byte -> byte */

/* Lines of 1 KiB: the phrase over and over, then a newline. */
static void prepare(void)
{
    static const char phrase[] = "a pipeline of processes, each stage in its own; ";

    for (size_t i = 0; i < BLOCK; i++)
        text[i] = (unsigned char)(i % 1024 == 1023 ? '\n' : phrase[i % 1024 % (sizeof phrase - 1)]);
    for (int c = 0; c < 256; c++)
        table[c] = (unsigned char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    for (size_t i = 0; i < BLOCK; i++)
        upper[i] = table[text[i]];
}

/* The three stages' work on one block. */
static void produce(unsigned char *block, long number)
{
    char stamp[STAMP + 1];

    memcpy(block, text, BLOCK);
    snprintf(stamp, sizeof stamp, "%08lu", (unsigned long)number % 100000000UL);
    memcpy(block, stamp, STAMP);
}

static void filter(unsigned char *bytes, size_t n)
{
    for (int round = 0; round < FILTER_ROUNDS; round++)
        for (size_t i = 0; i < n; i++)
            bytes[i] = table[bytes[i]];
}

static int consume(const unsigned char *block, long number)
{
    char stamp[STAMP + 1];

    snprintf(stamp, sizeof stamp, "%08lu", (unsigned long)number % 100000000UL);
    return memcmp(block, stamp, STAMP) == 0
        && memcmp(block + STAMP, upper + STAMP, BLOCK - STAMP) == 0;
}

static int is_pipe(int fd)
{
    struct stat st;

    if (fstat(fd, &st) == -1)
        die("fstat");
    return S_ISFIFO(st.st_mode);
}

/* The stages as processes: stdin and stdout are the pipes. The consumer
 * times the blocks after the warm-up and writes the seconds on stdout. */
static int stage(int role, long warm, long n)
{
    static unsigned char block[BLOCK];
    ssize_t got;
    double start = 0;

    /* Never 256 MiB of text to or from a terminal: a stage reads from a
     * pipe (but the producer) and writes into one (but the consumer). */
    if ((role != PRODUCER && !is_pipe(STDIN_FILENO))
        || (role != CONSUMER && !is_pipe(STDOUT_FILENO)))
        usage_error("-R %s: a stage runs between pipes, as cost_pipeline starts it (or a "
                    "shell: producer | filter | consumer)", roles[role]);
    if (role == PRODUCER) {
        for (long i = 0; i < warm + n; i++) {
            produce(block, i);
            if (write_all(STDOUT_FILENO, block, BLOCK) == -1)
                die("write");
        }
    } else if (role == FILTER) {
        /* Whatever the pipe holds: the filter needs no whole blocks. */
        while ((got = read(STDIN_FILENO, block, BLOCK)) != 0) {
            if (got == -1 && errno == EINTR)
                continue;
            if (got == -1)
                die("read");
            filter(block, (size_t)got);
            if (write_all(STDOUT_FILENO, block, (size_t)got) == -1)
                die("write");
        }
    } else {
        long i = 0;
        while ((got = read_full(STDIN_FILENO, block, BLOCK)) == BLOCK) {
            if (i == warm)
                start = now_seconds();
            if (!consume(block, i))
                fatal("block %ld: not the bytes the producer and the filter made", i);
            i++;
        }
        if (got == -1)
            die("read");
        if (got != 0 || i != warm + n)
            fatal("%ld whole blocks and %zd bytes, not %ld blocks", i, got, warm + n);
        say("%.9f", now_seconds() - start);
    }
    return 0;
}

/* Start one stage: fork, its pipe ends onto stdin and stdout, exec of
 * this program in that role. Every pipe end is close-on-exec, so the
 * stage keeps 0, 1 and 2 only: no stray copy of a write end. */
static pid_t start_stage(const char *path, const char *argv0, const char *role,
                         const char *scale, int in, int out)
{
    char *argv[] = { (char *)argv0, "-R", (char *)role, "-s", (char *)scale, NULL };
    pid_t pid = bench_fork();   /* on the other CPU with -a; dies with us */

    if (pid != 0)
        return pid;
    if ((in != -1 && dup2(in, STDIN_FILENO) == -1) || dup2(out, STDOUT_FILENO) == -1)
        die_child("dup2");
    if (strchr(path, '/') != NULL)
        execv(path, argv);
    else
        execvp(path, argv);
    die_child("exec %s", path);
}

static void cloexec_pipe(int fds[2])
{
    if (pipe(fds) == -1)
        die("pipe");
    set_cloexec(fds[0]);
    set_cloexec(fds[1]);
}

/* MiB/s through producer | filter | consumer. */
static double pipeline(const char *argv0, double scale, long n)
{
    /* LINUX-ONLY: /proc/self/exe names this program file; elsewhere argv[0]
     * (cost_start and chapter 13's start_spawn exec /proc/self/exe itself;
     * its target, read here, also serves a copy run under valgrind). */
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self);
    const char *path = argv0;
    int ab[2], bc[2], back[2];  /* producer -> filter -> consumer -> us */
    char text_scale[32], figure[64];
    pid_t pids[3];
    ssize_t got;
    double secs;

    if (len > 0 && len < (ssize_t)sizeof self) {       /* not cut short */
        self[len] = '\0';      /* readlink does not end it */
        path = self;
    }
    /* -s as the fewest digits that read back as the same number: the
     * stages count the same blocks. */
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(text_scale, sizeof text_scale, "%.*g", digits, scale);
        if (strtod(text_scale, NULL) == scale)
            break;
    }
    cloexec_pipe(ab);
    cloexec_pipe(bc);
    cloexec_pipe(back);
    pids[0] = start_stage(path, argv0, "producer", text_scale, -1, ab[1]);
    pids[1] = start_stage(path, argv0, "filter", text_scale, ab[0], bc[1]);
    pids[2] = start_stage(path, argv0, "consumer", text_scale, bc[0], back[1]);
    /* THE step: our copies closed, the filter and the consumer see end of
     * file when the stage before them ends; and a stage whose reader dies
     * gets SIGPIPE, where our copy of the read end would leave it blocked. */
    if (close(ab[0]) == -1 || close(ab[1]) == -1 || close(bc[0]) == -1
        || close(bc[1]) == -1 || close(back[1]) == -1)
        die("close");
    got = read_full(back[0], figure, sizeof figure - 1);
    if (got == -1)
        die("read");
    if (close(back[0]) == -1)
        die("close");
    for (int i = 2; i >= 0; i--)
        bench_wait(pids[i]);    /* each must end with 0: the consumer first,
                                   whose failure kills the others by SIGPIPE */
    figure[got] = '\0';
    if (sscanf(figure, "%lf", &secs) != 1 || !(secs > 0))
        fatal("the consumer said '%s', not a time", figure);
    return (double)n * BLOCK / (1024.0 * 1024.0) / secs;
}

/* MiB/s with the three stages called in turn in one process. */
static double one_process(long warm, long n)
{
    static unsigned char block[BLOCK];
    double start = 0;

    for (long i = 0; i < warm + n; i++) {
        if (i == warm)
            start = now_seconds();
        produce(block, i);
        filter(block, BLOCK);
        if (!consume(block, i))
            fatal("block %ld: not the bytes it should be", i);
    }
    return (double)n * BLOCK / (1024.0 * 1024.0) / (now_seconds() - start);
}

int main(int argc, char *argv[])
{
    int role;
    struct bench b = bench_init_role(argc, argv, rows, "subprocess.Popen(stdout=PIPE), "
                                     "Popen(stdin=p1.stdout) (twin: cost_pipeline.py)", roles,
                                     &role);
    long n = bench_count(&b, BLOCKS), warm = n / 10 + 1;

    prepare();
    if (role != PARENT)
        return stage(role, warm, n);
    if (bench_wants(&b, "pipeline_1p"))
        bench_report("pipeline_1p", "C", one_process(warm, n), "MiB/s",
                     "the three stages in turn, one process");
    if (bench_wants(&b, "pipeline_3p"))
        bench_report("pipeline_3p", "C", pipeline(argv[0], b.scale, n), "MiB/s",
                     "producer | filter | consumer, fork + exec");
    return 0;
}
