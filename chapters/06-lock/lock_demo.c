/* lock_demo.c - two processes append lines to one file; a Lock keeps each
 * writer's lines together.
 *
 * Writer "with" holds the lock the scoped way (lock_with: Python's `with
 * lock:`), writer "acquire" the explicit way (lock_acquire ... lock_release).
 * Each writes its lines one write(2) at a time, pausing between lines while
 * it holds the lock, so that without the lock (-u) the other writer has
 * every chance to slip its lines in between. Afterwards the parent prints
 * the file and counts the runs of lines from one writer: 2 means each
 * writer's lines are contiguous.
 *
 * Python:  multiprocessing.Lock(); `with lock:` and lock.acquire()/release()
 *          (lock_demo.py)
 * Usage:   ./lock_demo [-c LINES] [-u]     (-u: unlocked, to see the race)
 * Look for: with the lock, 2 runs: one writer's lines, then the other's.
 * Racy: which writer goes first; without the lock, how the lines interleave
 * (at WORKBOOK_PACE=0 they may well not interleave at all).
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"
#include "lock.h"

struct job {
    const char *label;          /* "with" or "acquire": how it takes the lock */
    int fd;                     /* the shared file, opened with O_APPEND */
    long lines;
};

/* The critical section: write the lines, pausing between them. Each line
 * is one write(2) to a file opened with O_APPEND, so a line is never torn
 * and never overwrites another; but nothing keeps the lines of one writer
 * together except the lock around this whole function. */
static void write_lines(void *arg)
{
    const struct job *job = arg;

    for (long i = 1; i <= job->lines; i++) {
        say_to(job->fd, "%-8s (%ld): line %ld of %ld", job->label,
               (long)getpid(), i, job->lines);
        pace(0.2);
    }
}

static void writer_with(struct lock *lock, struct job *job, bool locked)
{
    if (locked)
        lock_with(lock, write_lines, job);      /* Python: with lock: ... */
    else
        write_lines(job);
}

static void writer_acquire(struct lock *lock, struct job *job, bool locked)
{
    if (locked)
        lock_acquire(lock);                     /* Python: lock.acquire() */
    write_lines(job);
    if (locked)
        lock_release(lock);                     /* Python: lock.release() */
}

/* Read the whole file back, print it, and count its runs: stretches of
 * consecutive lines from the same writer. */
static long print_file(int fd)
{
    char buf[1 << 16];
    ssize_t n;
    long runs = 0;
    char last[16] = "";

    n = pread(fd, buf, sizeof buf - 1, 0);
    if (n == -1)
        die("pread");
    buf[n] = '\0';
    for (char *line = buf, *end; *line != '\0'; line = end + 1) {
        char label[16] = "";

        end = strchr(line, '\n');
        if (end == NULL)
            fatal("the file ends inside a line");
        *end = '\0';
        say("  | %s", line);
        /* The label is the first word of the line. */
        for (size_t i = 0; i < sizeof label - 1 && line[i] != ' '; i++)
            label[i] = line[i];
        if (strcmp(label, last) != 0) {
            runs++;
            memcpy(last, label, sizeof last);
        }
    }
    return runs;
}

int main(int argc, char *argv[])
{
    long lines = 5;
    bool locked = true;
    struct lock *lock;
    struct job jobs[2];
    pid_t pids[2];
    long runs;
    int fd, opt;

    prog_init(argc, argv, "[-c LINES] [-u]\n"
              "  -c LINES  lines each writer appends to the file (default 5)\n"
              "  -u        unlocked: let the writers race\n"
              "Python: multiprocessing.Lock, with lock: and acquire()/release() "
              "(twin: lock_demo.py)");
    while ((opt = get_option(argc, argv, "c:u")) != -1) {
        if (opt == 'c')
            lines = arg_long(optarg, opt, 1, 100);
        else
            locked = false;
    }
    no_operands(argc, argv);

    /* The file both writers append to. Its name is removed at once
     * (unnamed_file, lock.c): the open descriptor keeps it alive for us and
     * the children that inherit it, and nothing is left behind. */
    fd = unnamed_file("lock_demo");
    /* O_APPEND: every write goes to the end of the file as it is at that
     * moment, so the two writers never overwrite each other's lines. */
    if (fcntl(fd, F_SETFL, O_APPEND) == -1)
        die("fcntl");

    /* The lock must be in memory the writers share, not in memory fork()
     * copies: each child would otherwise lock its own copy. */
    lock = shared_alloc(sizeof *lock);
    lock_init(lock);

    say("%-8s (%ld): two writers append %ld lines each to one file, %s",
        "main", (long)getpid(), lines,
        locked ? "one at a time, holding the lock" : "WITHOUT the lock (-u)");

    jobs[0] = (struct job){ "with", fd, lines };
    jobs[1] = (struct job){ "acquire", fd, lines };
    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        if (pids[i] == -1)
            die("fork");
        if (pids[i] == 0) {
            if (i == 0)
                writer_with(lock, &jobs[i], locked);
            else
                writer_acquire(lock, &jobs[i], locked);
            _exit(0);           /* the child's work is done: not the parent's code */
        }
    }
    if (join_all(pids, 2) != 0)
        fatal("a writer failed: the other was stopped and joined");

    say("%-8s (%ld): the file, as the writers left it:", "main", (long)getpid());
    runs = print_file(fd);
    if (runs == 2 && locked)
        say("%-8s (%ld): 2 runs of lines: each writer's lines are contiguous", "main",
            (long)getpid());
    else if (runs == 2)
        say("%-8s (%ld): 2 runs of lines: contiguous this time, but only by luck",
            "main", (long)getpid());
    else
        say("%-8s (%ld): %ld runs of lines: the writers' lines interleave", "main",
            (long)getpid(), runs);

    lock_destroy(lock);
    shared_free(lock, sizeof *lock);
    if (close(fd) == -1)
        die("close");
    return 0;
}
